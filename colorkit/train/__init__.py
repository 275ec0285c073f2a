"""Training: ``train(TrainConfig(...))`` fits a colorkit model and records the run on disk.

Three jobs, three modules:

- :mod:`~colorkit.train.config`: :class:`TrainConfig` (serialized to ``config.json``) and the
  learning-rate schedule (:func:`learning_rate_at`).
- :mod:`~colorkit.train.run_folder`: the run folder (layout in its docstring): the guard that
  refuses to overwrite a run, atomic writes, checkpoints, the CSV log, the environment record,
  previews, and :func:`load_run` to read a run back. :mod:`~colorkit.train.callbacks` holds the
  Keras callbacks that write it during ``fit``.
- :mod:`~colorkit.train.loop`: :func:`train` itself (data, model, loss, devices, ``fit``).

Every file is written atomically (a temporary file in the same folder, then ``os.replace``):
a run killed at any moment (even ``kill -9`` mid-epoch) leaves only complete files, and
``train(config, resume=True)`` continues it from the last checkpoint with the optimizer state,
the epoch counter and the CSV log intact (rows after the checkpoint's epoch are dropped).
"""

from __future__ import annotations

from colorkit.train.config import (
    DATA_BACKENDS,
    DISTRIBUTE_MODES,
    LR_SCHEDULES,
    PROGRESS_MODES,
    TrainConfig,
    learning_rate_at,
)
from colorkit.train.loop import resolve_splits, train
from colorkit.train.run_folder import Run, load_run, save_model_atomic

__all__ = [
    "DATA_BACKENDS",
    "DISTRIBUTE_MODES",
    "LR_SCHEDULES",
    "PROGRESS_MODES",
    "Run",
    "TrainConfig",
    "learning_rate_at",
    "load_run",
    "resolve_splits",
    "save_model_atomic",
    "train",
]
