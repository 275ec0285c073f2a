"""The multi-source validation and test sets, and scores per source with the harm rate."""

from __future__ import annotations

import numpy as np
import pytest

from colorkit import color, data, metrics
from colorkit.evaluation import sources


def test_psnr_gain_and_harm_rate():
    rng = np.random.default_rng(0)
    truth = rng.random((16, 16, 3), dtype=np.float32)
    gray = color.desaturate(truth, method="lab")
    wrong = np.clip(gray + np.float32([0.4, -0.4, 0.4]), 0, 1)
    gains = metrics.psnr_gain_over_gray([gray, truth * 0.999 + 0.0005, wrong], [truth] * 3)
    assert gains[0] == 0 and gains[1] > 20 and gains[2] < -3
    assert metrics.harm_rate(gains) == pytest.approx(1 / 3)
    assert metrics.harm_rate(gains, threshold_db=100) == 0
    with pytest.raises(ValueError, match="Received: gains.shape"):
        metrics.harm_rate([])
    with pytest.raises(ValueError, match="Received: len"):
        metrics.psnr_gain_over_gray([gray], [])


@pytest.fixture
def collections(tmp_path, monkeypatch):
    rng = np.random.default_rng(1)
    for name in ("imagenette", "utkface"):
        folder = tmp_path / name / "train"
        folder.mkdir(parents=True)
        for index in range(300):
            image = rng.random((20, 30, 3)).astype("float32")
            data.save_image(image, folder / f"{index}.png")
    monkeypatch.setenv("COLORKIT_DATA", str(tmp_path))
    return ("imagenette", "utkface")


def test_source_photos_are_held_out_and_capped(collections):
    val = sources.source_photos("val", sources=collections)
    test = sources.source_photos("test", per_source=1, sources=collections)
    for name in collections:
        assert val[name] and not set(val[name]) & set(data.dataset_paths(name, "train"))
        assert len(test[name]) <= 1
    with pytest.raises(ValueError, match="Received: split='train'"):
        sources.source_photos("train", sources=collections)


def test_scores_per_source_gray_and_truth(collections):
    photos = sources.source_photos("val", sources=collections)
    photos = {name: paths for name, paths in photos.items() if paths}

    def gray(truths):
        return [color.desaturate(t, method="lab") for t in truths]

    scores = sources.score_by_source(gray, photos, long_side=24)
    assert set(scores.rows) == {*photos, "all"}
    assert scores.rows["all"]["photos"] == sum(map(len, photos.values()))
    assert scores.rows["all"]["harm_rate"] == 0 and scores.rows["all"]["psnr_gain"] == 0
    assert scores.rows["all"]["false_color_score_pooled"] == 0
    assert len(scores.worst(3)) == min(3, len(scores.gains))
    with pytest.raises(ValueError, match="No photos"):
        sources.score_by_source(gray, {})
