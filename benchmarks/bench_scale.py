"""Benchmark: colorizing many photos, batched (``colorkit.scale``) vs one by one, and on Dask.

Ratios are measured in the same run:

- 500 CIFAR-size photos (32 x 32, extracted from ``colorkit.data.dataset_paths("cifar10")``
  to a temporary folder) colorized at their own size (``size=32``): photos/s of
  ``scale.colorize_many`` vs the one-by-one path (``read_image`` -> ``infer.colorize`` ->
  ``save_image`` per photo, what ``colorkit colorize`` did before). Goal >= 8x.
- 50 photo-size images (BSDS500 from ``../shared/data``, else a sample photo at 481 x 321) at
  working size 256: the same ratio. Goal >= 1.3x.
- Dask ``local:2`` (``scale.colorize_archive``, 2 worker processes) vs one process on the same
  500 photos (ratio; cluster start-up reported apart; parity is expected on 2 cores).
- Peak memory flat in the number of photos: growth of the peak RSS of this process between a
  run on 100 photos and a run on the 500 (MiB).

Uses the shipped pretrained model (else the default U-Net at random init; the row says which).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from benchmarks.common import emit, peak_rss_gib, row

SECTION = "scale"


def _model():
    from colorkit import models, pretrained

    try:
        return pretrained.load_pretrained("default"), "shipped pretrained model (zhang)"
    except (ValueError, FileNotFoundError):
        return models.build_model("unet"), "default unet, random init"


def _small_photos(folder: Path, count: int) -> list[str]:
    from colorkit import data

    folder.mkdir(parents=True)
    try:
        sources = data.dataset_paths("cifar10")[:count]
    except (FileNotFoundError, ValueError):
        sources = []
    rng = np.random.default_rng(0)
    paths = []
    for index in range(count):
        if index < len(sources):
            image = data.read_image(sources[index])
        else:
            image = rng.random((32, 32, 3)).astype(np.float32)
        paths.append(str(data.save_image(image, folder / f"c{index:04d}.png")))
    return paths


def _large_photos(folder: Path, count: int) -> list[str]:
    from PIL import Image

    from colorkit import data

    try:
        return data.dataset_paths("bsds500")[:count]
    except (FileNotFoundError, ValueError):
        folder.mkdir(parents=True)
        image = data.read_image(next(iter(data.sample_paths().values())))
        pil = Image.fromarray(np.round(image * 255).astype(np.uint8)).resize((481, 321))
        photo = np.asarray(pil, np.float32) / 255.0
        return [str(data.save_image(photo, folder / f"p{i:03d}.png")) for i in range(count)]


def _one_by_one(paths, out: Path, model, size: int) -> float:
    from colorkit import color, data, infer

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", color.GamutWarning)
        for path in paths:
            image = infer.colorize(data.read_image(path), model, size=size)
            data.save_image(image, out / f"{Path(path).stem}.png")
    return time.perf_counter() - start


def _same(first: Path, second: Path) -> str:
    """ "identical files i of n, max pixel difference d/255" between two output folders."""
    from colorkit import data

    names = sorted(p.name for p in first.glob("*.png"))
    if names != sorted(p.name for p in second.glob("*.png")):
        return "different file lists"
    identical, worst = 0, 0
    for name in names:
        if (first / name).read_bytes() == (second / name).read_bytes():
            identical += 1
            continue
        a, b = (np.round(data.read_image(f / name) * 255) for f in (first, second))
        worst = max(worst, int(np.abs(a - b).max()))
    return f"identical files {identical} of {len(names)}, max pixel difference {worst}/255"


def run(quick: bool = False) -> list[dict]:
    from colorkit import scale

    model, which = _model()
    small, large = (100, 10) if quick else (500, 50)
    root = Path(tempfile.mkdtemp(prefix="colorkit-bench-scale-"))
    rows = []
    try:
        paths = _small_photos(root / "cifar", small)
        photos = _large_photos(root / "photos", large)
        scale.colorize_many(paths[:16], root / "warm", model, size=32, progress=False)
        rss_before = peak_rss_gib()
        scale.colorize_many(paths[:100], root / "mem", model, size=32, progress=False)
        rss_100 = peak_rss_gib()

        for label, items, size, goal in (
            (f"{small} CIFAR-size photos (32x32, size 32)", paths, 32, 8.0),
            (f"{large} photos (BSDS500, size 256)", photos, 256, 1.3),
        ):
            one_dir, batch_dir = root / f"one{size}", root / f"batch{size}"
            one = _one_by_one(items, one_dir, model, size)
            summary = scale.colorize_many(items, batch_dir, model, size=size, progress=False)
            rows.append(row(SECTION, f"one by one: {label}", len(items) / one, "photos/s"))
            rows.append(row(SECTION, f"batched: {label}", len(items) / summary.seconds, "photos/s"))
            ratio = one / summary.seconds
            rows.append(
                row(
                    SECTION,
                    f"batched / one by one: {label}",
                    ratio,
                    "x",
                    goal=f">= {goal}x",
                    met=ratio >= goal,
                    note=f"{which}; {_same(one_dir, batch_dir)}",
                )
            )
            if size == 32:
                rss_all = peak_rss_gib()
                single_seconds = summary.seconds

        rows.append(
            row(
                SECTION,
                f"peak RSS growth from 100 to {small} photos (batched)",
                (rss_all - rss_100) * 1024,
                "MiB",
                note=f"peak after warm-up {rss_before:.2f} GiB, after 100 photos {rss_100:.2f} GiB",
            )
        )

        from dask import distributed

        start = time.perf_counter()
        cluster = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
            host="127.0.0.1",
        )  # fmt: skip
        client = distributed.Client(cluster)
        startup = time.perf_counter() - start
        model_path = root / "model.keras"
        model.save(model_path)
        quiet = open("/dev/null", "w")  # noqa: SIM115
        try:
            cold = scale.colorize_archive(
                paths[:16], root / "dask_warm", model_path, client=client, size=32,
                progress=False, file=quiet,
            )  # fmt: skip
            summary = scale.colorize_archive(
                paths, root / "dask", model_path, client=client, size=32, progress=False,
                file=quiet,
            )  # fmt: skip
        finally:
            client.close()
            cluster.close()
        rows.append(
            row(SECTION, f"Dask local:2: {small} CIFAR-size photos", small / summary.seconds,
                "photos/s", note=f"workers warm (model loaded); cluster start-up {startup:.1f} s "
                f"and the first 16 photos, which import TensorFlow and load the model in each "
                f"worker, took {cold.seconds:.1f} s apart")
        )  # fmt: skip
        rows.append(
            row(
                SECTION,
                "Dask local:2 / single process (batched)",
                single_seconds / summary.seconds,
                "x",
                note=f"2 shared cores; vs batched: {_same(root / 'batch32', root / 'dask')}",
            )
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    emit(run(parser.parse_args().quick))
