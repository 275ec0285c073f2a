"""Benchmark: training speed of each model family through colorkit vs a bare ``model.fit``.

For each family's CPU-sized default at 64 and 128 px (batch 32): images per second when
trained by ``colorkit.training.train`` (real photos from ``../shared/data/imagenet-sample``,
tf.data pipeline with decode cache, augmentation, per-epoch checkpoints, previews and
validation) next to the same architecture and loss trained by a bare ``model.fit`` on in-memory
NumPy arrays. Step time is the median interval between consecutive ``on_train_batch_end``
calls (so waiting for data counts), epochs after the first only. Goals: toolkit overhead ratio
under 1.15, and >= 40 img/s at 128 px for every default. Also the achieved training GFLOP/s
(3x the forward FLOPs per image) next to the machine's float32 matmul peak measured in the
same run (NumPy 4096 x 4096), and the peak memory of training at batch 32, 128 px (own process).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from benchmarks.common import REPO_ROOT, SHARED_DATA, emit, peak_rss_gib, row, time_call

SECTION = "train"
BATCH = 32


def _interval_timer():
    import keras

    class IntervalTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.intervals: list[float] = []
            self.epoch = 0

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch_index = epoch
            self.last = None

        def on_train_batch_end(self, batch, logs=None):
            if logs and "loss" in logs:
                float(logs["loss"])
            now = time.perf_counter()
            if self.last is not None and self.epoch_index > 0:
                self.intervals.append(now - self.last)
            self.last = now

        def step_seconds(self) -> float:
            return float(np.median(self.intervals))

    return IntervalTimer()


def matmul_peak_gflops() -> float:
    """float32 matmul GFLOP/s of NumPy on 4096 x 4096 (the practical peak of the machine)."""
    rng = np.random.default_rng(0)
    a = rng.random((4096, 4096), dtype=np.float32)
    b = rng.random((4096, 4096), dtype=np.float32)
    seconds = time_call(lambda: a @ b, repeats=3)["min"]
    return 2 * 4096**3 / seconds / 1e9


def toolkit_step(family: str, size: int, paths: list[str], steps: int, epochs: int) -> float:
    from colorkit import training

    timer = _interval_timer()
    with tempfile.TemporaryDirectory() as run_dir:
        config = training.TrainConfig(
            model=family,
            dataset=paths,
            val_dataset=paths[:32],
            image_size=size,
            batch_size=BATCH,
            epochs=epochs,
            steps_per_epoch=steps,
            run_dir=run_dir,
            cache=True,
            preview_images=4,
            progress="none",
        )
        training.train(config, callbacks=[timer])
    return timer.step_seconds()


def bare_step(family: str, size: int, steps: int, epochs: int) -> float:
    import keras

    from colorkit import losses, models

    rng = np.random.default_rng(0)
    count = steps * BATCH
    lightness = rng.random((count, size, size, 1), dtype=np.float32)
    chroma = (rng.random((count, size, size, 2), dtype=np.float32) - 0.5) * 0.5
    if models.FAMILIES[family]["output"] == "uv":
        chroma = chroma + 0.5
    model = models.build_model(family)
    loss_name = models.FAMILIES[family]["loss"]
    loss_kwargs = {}
    if loss_name == "soft_ce":
        from colorkit import color

        loss_kwargs["prior_weights"] = np.ones(color.NUM_BINS, np.float32)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3), loss=losses.get_loss(loss_name, **loss_kwargs)
    )
    timer = _interval_timer()
    model.fit(lightness, chroma, batch_size=BATCH, epochs=epochs, callbacks=[timer], verbose=0)
    return timer.step_seconds()


def peak_memory_child() -> None:
    """Entry point of the memory subprocess: train the default model at batch 32, 128 px."""
    from colorkit import data, training

    paths = [str(p) for p in data.list_images(SHARED_DATA / "imagenet-sample")][:256]
    with tempfile.TemporaryDirectory() as run_dir:
        config = training.TrainConfig(
            model="unet",
            dataset=paths,
            val_dataset=paths[:32],
            image_size=128,
            batch_size=BATCH,
            epochs=1,
            steps_per_epoch=8,
            run_dir=run_dir,
            cache=True,
            preview_images=2,
            progress="none",
        )
        training.train(config)
    print(json.dumps({"peak_rss_gib": peak_rss_gib()}))


def run(quick: bool = False) -> list[dict]:
    from colorkit import data, models

    source = SHARED_DATA / "imagenet-sample"
    if not source.is_dir():
        return [row(SECTION, "training speed", 0.0, "img/s", note=f"{source} absent")]
    paths = [str(p) for p in data.list_images(source)]
    steps, epochs = (4, 2) if quick else (12, 3)
    sizes = (64,) if quick else (64, 128)
    peak = matmul_peak_gflops()
    rows = [row(SECTION, "NumPy float32 matmul 4096^2 (machine peak)", peak, "GFLOP/s")]
    for family in models.PHOTO_TRAINED:
        for size in sizes:
            flops = models.count_flops(models.build_model(family), size)
            bare = bare_step(family, size, steps, epochs)
            kit = toolkit_step(family, size, paths[: max(steps * BATCH, 256)], steps, epochs)
            images_per_second = BATCH / kit
            ratio = kit / bare
            rows.append(
                row(
                    SECTION,
                    f"{family} {size}px: colorkit.train",
                    images_per_second,
                    "img/s",
                    baseline=BATCH / bare,
                    ratio=ratio,
                    goal="overhead ratio < 1.15",
                    met=ratio < 1.15,
                    note=f"baseline = bare model.fit on arrays; ratio = step time "
                    f"colorkit/bare ({kit * 1000:.0f} / {bare * 1000:.0f} ms)",
                )
            )
            if size == 128:
                rows.append(
                    row(
                        SECTION,
                        f"{family} 128px default speed",
                        images_per_second,
                        "img/s",
                        goal=">= 40 img/s",
                        met=images_per_second >= 40,
                    )
                )
            achieved = 3 * flops * images_per_second / 1e9
            rows.append(
                row(
                    SECTION,
                    f"{family} {size}px training GFLOP/s",
                    achieved,
                    "GFLOP/s",
                    baseline=peak,
                    ratio=achieved / peak,
                    note=f"{flops / 1e9:.3f} GFLOP/img forward; x3 for training",
                )
            )
    completed = subprocess.run(
        [sys.executable, "-c", "from benchmarks.bench_train import peak_memory_child as m; m()"],
        cwd=REPO_ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=900,
    )
    if completed.returncode == 0:
        peak_memory = json.loads(completed.stdout.strip().splitlines()[-1])["peak_rss_gib"]
        rows.append(
            row(
                SECTION,
                "peak memory, unet training batch 32 @ 128 px",
                peak_memory,
                "GiB",
                goal="< 4 GiB",
                met=peak_memory < 4,
                note="whole process (TensorFlow, pipeline cache, model) ru_maxrss",
            )
        )
    else:
        rows.append(row(SECTION, "peak memory", 0.0, "GiB", note=completed.stderr[-300:]))
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    emit(run(parser.parse_args().quick))
