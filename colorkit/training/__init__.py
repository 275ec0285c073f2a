"""Training: one engine that fits a colorkit model and records the run on disk.

- :mod:`~colorkit.training.config`: what defines a run, serialized to ``config.json``:
  :class:`TrainConfig` (photos) or :class:`GuidedConfig` (cached encoder features), and the
  learning-rate schedule (:func:`learning_rate_at`).
- :mod:`~colorkit.training.run_folder`: the run folder, one layout for every run (in its
  docstring): the guard that refuses to overwrite a run, atomic writes, checkpoints, the CSV
  log, the summary, resuming, previews, and :func:`load_run` to read a run back.
  :mod:`~colorkit.training.callbacks` holds the Keras callbacks that write it during ``fit``.
- :mod:`~colorkit.training.loop`: :func:`train`, a model trained on photos (data, model,
  loss, devices, ``fit``).
- :mod:`~colorkit.training.cached`: :func:`train_guided`, the guided decoder trained on a
  feature cache (its data source and step function), and the default recipe's three stages.
- :mod:`~colorkit.training.recipes`: the named recipes behind the shipped models and
  :func:`run_recipe`, which runs any of them (and exports the result).

Every file is written atomically (a temporary file in the same folder, then ``os.replace``):
a run killed at any moment (even ``kill -9`` mid-epoch) leaves only complete files, and a
resumed run continues from the last checkpoint with the optimizer state, the epoch counter
and the CSV log intact (rows after the checkpoint's epoch are dropped).
"""

from __future__ import annotations

from colorkit.training import cached, recipes  # noqa: E402  (they build on the modules above)
from colorkit.training.cached import train_guided
from colorkit.training.config import (
    DATA_BACKENDS,
    DISTRIBUTE_MODES,
    LR_SCHEDULES,
    PROGRESS_MODES,
    GuidedConfig,
    TrainConfig,
    learning_rate_at,
)
from colorkit.training.loop import resolve_splits, train
from colorkit.training.run_folder import Run, load_run, save_model_atomic

__all__ = [
    "DATA_BACKENDS",
    "DISTRIBUTE_MODES",
    "LR_SCHEDULES",
    "PROGRESS_MODES",
    "GuidedConfig",
    "Run",
    "TrainConfig",
    "cached",
    "learning_rate_at",
    "load_run",
    "recipes",
    "resolve_splits",
    "save_model_atomic",
    "train",
    "train_guided",
]
