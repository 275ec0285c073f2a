"""Benchmark: images per second to produce 128 x 128 ``(L, ab)`` batches from real photos.

Source: ``../shared/data/imagenet-sample`` (JPEG decode included). Measured cold (decode, random
crop, flip and Lab conversion every epoch) and cached (decoded, resized images kept in memory),
for the tf.data pipeline and the NumPy ``ColorPyDataset`` path. Goal: at least 10x the training
throughput of the default model (measured by ``bench_train`` in the same ``make bench`` run; the
goal column uses the 40 img/s target of the default model).
"""

from __future__ import annotations

import argparse
import time

from benchmarks.common import SHARED_DATA, emit, row

SECTION = "data"
MODEL_TARGET_IMAGES_PER_SECOND = 40.0


def _images_per_second(dataset, batch_size: int, max_batches: int) -> float:
    count = 0
    start = time.perf_counter()
    for index, (lightness, _) in enumerate(dataset):
        count += int(lightness.shape[0])
        if index + 1 >= max_batches:
            break
    return count / (time.perf_counter() - start)


def run(quick: bool = False) -> list[dict]:
    from colorkit import data

    source = SHARED_DATA / "imagenet-sample"
    if not source.is_dir():
        return [row(SECTION, "pipeline throughput", 0.0, "img/s", note=f"{source} absent")]
    paths = data.list_images(source)
    if quick:
        paths = paths[:192]
    batch_size = 32
    batches = len(paths) // batch_size
    goal = MODEL_TARGET_IMAGES_PER_SECOND * 10
    rows = []

    def add(name: str, value: float, note: str = "") -> None:
        rows.append(
            row(
                SECTION,
                name,
                value,
                "img/s",
                baseline=MODEL_TARGET_IMAGES_PER_SECOND,
                ratio=value / MODEL_TARGET_IMAGES_PER_SECOND,
                goal=f">= {goal:.0f} img/s",
                met=value >= goal,
                note=note,
            )
        )

    cold = data.make_tf_dataset(
        paths, image_size=128, batch_size=batch_size, augment=True, cache=False, seed=0
    )
    add(
        "tf.data cold (decode+crop+flip+Lab)",
        _images_per_second(cold, batch_size, batches),
        note=f"{len(paths)} JPEGs, batch {batch_size}",
    )
    cached = data.make_tf_dataset(
        paths, image_size=128, batch_size=batch_size, augment=True, cache=True, seed=0
    )
    first = _images_per_second(cached, batch_size, batches)
    later = max(_images_per_second(cached, batch_size, batches) for _ in range(3))
    add(
        "tf.data cached, epoch 2+",
        later,
        note=f"best of epochs 2-4; first epoch (fills the cache) {first:.0f} img/s",
    )

    start = time.perf_counter()
    crops = data.preload_crops(paths, 128, progress=False)
    preload = len(paths) / (time.perf_counter() - start)
    numpy_data = data.ColorPyDataset(crops, image_size=128, batch_size=batch_size, augment=True)
    count, start = 0, time.perf_counter()
    for index in range(min(len(numpy_data), batches)):
        count += numpy_data[index][0].shape[0]
    add(
        "NumPy ColorPyDataset from preloaded crops",
        count / (time.perf_counter() - start),
        note=f"preload_crops itself {preload:.0f} img/s (once)",
    )
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    emit(run(parser.parse_args().quick))
