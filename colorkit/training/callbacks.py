"""The Keras callbacks of a training run: step timing, run-folder checkpoints, previews, tqdm.

Plain ``keras.callbacks.Callback`` classes; :func:`colorkit.training.loop.train` puts them in order.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import keras
import numpy as np

from colorkit.training.config import TrainConfig
from colorkit.training.run_folder import copy_atomic, save_model_atomic, write_preview

__all__ = ["Previews", "RunCheckpoint", "StepTimer"]


class StepTimer(keras.callbacks.Callback):
    """Adds ``seconds_per_step`` (median over the epoch, first step excluded) to the logs."""

    def on_epoch_begin(self, epoch, logs=None):
        self.times = []
        self.start = None

    def on_train_batch_begin(self, batch, logs=None):
        self.start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if self.start is not None:
            if logs and "loss" in logs:
                float(logs["loss"])  # wait for the step (JAX and GPUs dispatch asynchronously)
            self.times.append(time.perf_counter() - self.start)

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None and self.times:
            times = self.times[1:] or self.times
            logs["seconds_per_step"] = float(np.median(times))


class RunCheckpoint(keras.callbacks.Callback):
    """epoch_XXX.keras, last.keras and best.keras (by val_loss), all atomic.

    Args:
        run_dir: The run folder.
        state: The run's shared state; ``state["best"]`` is the lowest loss so far.
        saved: The model to save, when it is not the one ``fit`` trains (a cached-feature
            run trains a sampling wrapper around the decoder it saves); default the trained one.
    """

    def __init__(self, run_dir: Path, state: dict, saved=None):
        super().__init__()
        self.run_dir, self.state, self.saved = run_dir, state, saved

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        folder = self.run_dir / "checkpoints"
        model = self.saved if self.saved is not None else self.model
        path = save_model_atomic(model, folder / f"epoch_{epoch + 1:03d}.keras")
        copy_atomic(path, self.run_dir / "last.keras")
        value = logs.get("val_loss", logs.get("loss"))
        if value is not None and math.isfinite(value) and value < self.state["best"]:
            self.state["best"] = float(value)
            copy_atomic(path, self.run_dir / "best.keras")


class Previews(keras.callbacks.Callback):
    """Colorizes the fixed validation photos after every epoch (npy + png grid).

    Args:
        config: The run's ``TrainConfig``.
        run_dir: The run folder.
        state: The run's shared state (``initial_epoch``, ``ground_truth``, ``gray``).
    """

    def __init__(self, config: TrainConfig, run_dir: Path, state: dict):
        super().__init__()
        self.config, self.run_dir, self.state = config, run_dir, state

    def on_train_begin(self, logs=None):
        if self.state["initial_epoch"] == 0 and self.state["ground_truth"] is not None:
            write_preview(self.model, self.config, self.run_dir, self.state, 0, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.state["ground_truth"] is not None:
            write_preview(self.model, self.config, self.run_dir, self.state, epoch + 1, logs)
