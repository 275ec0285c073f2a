"""colorkit.scale: batched colorization in one process and on a Dask LocalCluster."""

from __future__ import annotations

import io
import os
import signal
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from colorkit import cli, color, data, infer, models, outputs, scale

SHAPES = [(32, 32), (40, 56), (64, 48), (33, 21)]


def _photos(folder: Path, count: int) -> list[str]:
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        height, width = SHAPES[index % len(SHAPES)]
        image = rng.random((height, width, 3)).astype(np.float32)
        paths.append(str(data.save_image(image, folder / f"p{index:03d}.png")))
    return paths


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    model = models.build_model("unet", base_filters=4, depth=1)
    path = tmp_path_factory.mktemp("model") / "tiny.keras"
    model.save(path)
    return path


@pytest.fixture(scope="module")
def reference(tmp_path_factory, tiny_model):
    """The photos, and their outputs colorized one by one (infer.colorize + save_image)."""
    root = tmp_path_factory.mktemp("reference")
    paths = _photos(root / "src", 24)
    model = infer.load_model(tiny_model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", color.GamutWarning)
        for path in paths:
            image = infer.colorize(data.read_image(path), model, size=32)
            data.save_image(image, root / "one" / outputs.output_name(path))
    return paths, root / "one"


def _same_files(folder: Path, expected: Path) -> None:
    """The same files; pixels equal up to one 8-bit level: the network run on a batch of
    another size may round its last float bit differently (about 5e-7), which can move a
    value across a rounding boundary of the 8-bit output."""
    names = sorted(p.name for p in expected.glob("*.png"))
    assert sorted(p.name for p in folder.glob("*.png")) == names
    for name in names:
        ours = np.asarray(Image.open(folder / name), np.int16)
        theirs = np.asarray(Image.open(expected / name), np.int16)
        assert ours.shape == theirs.shape and np.abs(ours - theirs).max() <= 1, name


def test_colorize_many_matches_one_by_one(tmp_path, tiny_model, reference):
    paths, expected = reference
    stream = io.StringIO()
    summary = scale.colorize_many(
        paths, tmp_path, infer.load_model(tiny_model), size=32, chunk=7, batch_size=3, file=stream
    )
    assert (summary.done, summary.skipped, summary.failed) == (len(paths), 0, [])
    assert "photo/s" in stream.getvalue()
    _same_files(tmp_path, expected)


def test_colorize_many_with_hints_matches_colorize(tmp_path):
    """Per-photo hints reach the hint model as infer.colorize(..., hints=...) gets them; a
    photo whose hints do not fit it fails with the reason, the others are written."""
    from colorkit import hints
    from colorkit.models import guided

    paths = _photos(tmp_path / "src", 3)
    model = guided.hint_spreader(reach=2)
    red = hints.Hint(row=10, col=12, ab=(60.0, 40.0))
    photo_hints = [[red], None, [hints.Hint(row=500, col=1, ab=(10.0, -60.0))]]
    summary = scale.colorize_many(
        paths, tmp_path / "out", model, size=32, chunk=3, progress=False, hints=photo_hints
    )
    assert summary.done == 2 and [Path(s).name for s, _ in summary.failed] == ["p002.png"]
    assert "outside the image" in summary.failed[0][1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", color.GamutWarning)
        expected = infer.colorize(data.read_image(paths[0]), model, size=32, hints=[red])
    written = data.read_image(tmp_path / "out" / "p000_png.png")
    assert np.abs(written - expected).max() <= 1 / 255 + 1e-6
    with pytest.raises(ValueError, match="one entry .* per path"):
        scale.colorize_many(paths, tmp_path / "o2", model, hints=[[red]])


def test_colorize_many_skips_existing_and_reports_failures(tmp_path, tiny_model, reference):
    paths, expected = reference
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image")
    out = tmp_path / "out"
    out.mkdir()
    (out / "p000_png.png").write_bytes(b"existing")
    summary = scale.colorize_many(
        [*paths, str(broken)], out, tiny_model, size=32, chunk=5, progress=False
    )
    assert (summary.done, summary.skipped) == (len(paths) - 1, 1)
    assert [source for source, _ in summary.failed] == [str(broken)]
    assert (out / "p000_png.png").read_bytes() == b"existing"  # not overwritten
    again = scale.colorize_many(paths, out, tiny_model, size=32, overwrite=True, progress=False)
    assert again.done == len(paths)
    _same_files(out, expected)
    assert "done" in str(again)


def test_cli_colorize_folder_batched(tmp_path, tiny_model, reference, capsys):
    paths, expected = reference
    source = Path(paths[0]).parent
    argv = ["colorize", str(source), "-o", str(tmp_path), "--model", str(tiny_model)]
    argv += ["--size", "32", "--no-progress"]
    assert cli.main(argv) == 0
    _same_files(tmp_path, expected)
    capsys.readouterr()
    assert cli.main(argv) == 0  # resumed: everything skipped
    assert f"skipped {len(paths)} existing output(s)" in capsys.readouterr().err


@pytest.mark.slow
def test_colorize_archive_local_cluster_with_killed_worker(tmp_path, tiny_model, reference):
    """2 worker processes on loopback: same files as one by one; a kill -9 loses nothing."""
    from dask import distributed

    paths, expected = reference
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
        host="127.0.0.1",
    )  # fmt: skip
    client = distributed.Client(cluster)
    try:
        stream = io.StringIO()
        summary = scale.colorize_archive(
            paths, tmp_path / "a", tiny_model, client=client, size=32, partition_size=5,
            file=stream,
        )  # fmt: skip
        assert "dashboard" in stream.getvalue()
        assert (summary.done, summary.failed) == (len(paths), [])
        _same_files(tmp_path / "a", expected)

        # Kill one worker process (kill -9) once some outputs exist; the run still completes.
        many = _photos(tmp_path / "many", 240)
        out = tmp_path / "b"
        pids = list(client.run(os.getpid).values())
        result = {}

        def run():
            result["summary"] = scale.colorize_archive(
                many, out, tiny_model, client=client, size=32, partition_size=4, progress=False
            )

        runner = threading.Thread(target=run)
        runner.start()
        deadline = time.monotonic() + 60
        while len(list(out.glob("*.png"))) < 8 and time.monotonic() < deadline:
            time.sleep(0.005)
        written_before_kill = len(list(out.glob("*.png")))
        os.kill(pids[0], signal.SIGKILL)
        runner.join(timeout=120)
        assert not runner.is_alive()
        assert written_before_kill < len(many)  # the kill happened mid-run
        summary = result["summary"]
        assert summary.failed == [] and summary.done + summary.skipped == len(many)
        outputs = sorted(out.glob("*.png"))
        assert len(outputs) == len(many)
        for output in outputs:
            assert data.read_image(output).shape[:2] in SHAPES
        # Resumable: a second run skips every complete output.
        again = scale.colorize_archive(many, out, tiny_model, client=client, size=32)
        assert (again.done, again.skipped) == (0, len(many))
    finally:
        client.close()
        cluster.close()


@pytest.mark.slow
def test_cli_colorize_scheduler_local(tmp_path, tiny_model, reference):
    paths, expected = reference
    source = Path(paths[0]).parent
    argv = ["colorize", str(source), "-o", str(tmp_path), "--model", str(tiny_model)]
    argv += ["--size", "32", "--no-progress", "--scheduler", "local:2"]
    start = time.perf_counter()
    assert cli.main(argv) == 0
    assert time.perf_counter() - start < 120
    _same_files(tmp_path, expected)
