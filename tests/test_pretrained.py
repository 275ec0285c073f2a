"""The shipped pretrained colorizers: they load in a fresh process and colorize real photos."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import numpy as np
import pytest

from colorkit import color, data, infer, metrics, pretrained


def test_manifest_lists_the_shipped_models():
    names = pretrained.available_pretrained()
    assert {"default", "l2-baseline"} <= set(names)
    for name in names:
        info = pretrained.pretrained_info(name)
        path = pretrained.pretrained_path(name)
        assert path.stat().st_size <= 20 * 1024 * 1024
        assert info["sha256"] == data.file_sha256(path)


def test_weights_load_in_a_fresh_process():
    code = (
        "import json, colorkit\n"
        "model = colorkit.load_pretrained()\n"
        "print(json.dumps({'params': model.count_params(), 'name': model.name}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    info = json.loads(result.stdout.strip().splitlines()[-1])
    assert info["params"] == pretrained.pretrained_info("default")["parameters"]


@pytest.fixture(scope="module")
def shipped():
    return pretrained.load_pretrained("default")


def test_colorizing_a_sample_photo_is_colorful_and_keeps_luminance(shipped):
    photo = data.read_image(data.sample_paths()["chelsea"])
    gray = color.desaturate(photo, method="lab")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", color.GamutWarning)
        result = infer.colorize(gray, shipped)
    assert result.shape == photo.shape and result.dtype == np.float32
    assert metrics.colorfulness(result) > metrics.colorfulness(gray) + 5.0
    lightness_in = color.rgb_to_lab(gray)[..., 0]
    lightness_out = color.rgb_to_lab(result)[..., 0]
    # Equal wherever the merged color stayed inside the sRGB gamut (nearly everywhere).
    close = np.abs(lightness_out - lightness_in) < 0.5
    assert close.mean() > 0.95


def test_recommended_decoding_settings_are_recorded(shipped):
    settings = infer.recommended_settings(shipped)
    decode = pretrained.pretrained_info("default").get("decode", {})
    assert settings == {key: float(value) for key, value in decode.items()}


def test_l2_baseline_is_duller_than_the_shipped_model(shipped):
    baseline = pretrained.load_pretrained("l2-baseline")
    photos = [data.read_image(p) for p in list(data.sample_paths().values())[:4]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", color.GamutWarning)
        vivid = [metrics.colorfulness(infer.colorize(p, shipped, size=128)) for p in photos]
        dull = [metrics.colorfulness(infer.colorize(p, baseline, size=128)) for p in photos]
    assert np.mean(vivid) > np.mean(dull)


def test_unknown_name_and_corrupt_file(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="Received: name='nope'"):
        pretrained.load_pretrained("nope")
    manifest = json.loads(pretrained.MANIFEST.read_text())
    fake = tmp_path / "weights"
    fake.mkdir()
    (fake / manifest["default"]["file"]).write_bytes(b"not a keras file")
    (fake / "manifest.json").write_text(json.dumps(manifest))
    monkeypatch.setattr(pretrained, "WEIGHTS_DIR", fake)
    monkeypatch.setattr(pretrained, "MANIFEST", fake / "manifest.json")
    with pytest.raises(ValueError, match="checksum"):
        pretrained.load_pretrained("default")
    (fake / manifest["default"]["file"]).unlink()
    with pytest.raises(FileNotFoundError, match="missing"):
        pretrained.load_pretrained("default")
