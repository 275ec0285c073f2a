"""Training: ``train(TrainConfig(...))`` fits a colorkit model and records the run on disk.

Run directory layout (``config.run_dir``)::

    config.json                 the TrainConfig (JSON), rewritten at each (re)start
    environment.json            backend, versions, mixed precision, strategy and replicas
    log.csv                     one row per epoch: epoch (0-based), loss, val_loss, learning_rate,
                                seconds_per_step, ... (appended on resume, never duplicated)
    tensorboard/                TensorBoard event files (train/ and validation/)
    checkpoints/epoch_001.keras one full model per epoch (weights + optimizer state)
    best.keras                  copy of the epoch with the lowest val_loss so far
    last.keras                  copy of the latest epoch
    previews/ground_truth.npy   uint8 (N, S, S, 3): the fixed validation photos
    previews/gray.npy           uint8 (N, S, S, 3): their gray versions (the network's input)
    previews/epoch_000.npy      uint8 (N, S, S, 3): the colorization before training, then
    previews/epoch_001.npy ...  after every epoch (replay how the model learned with a slider)
    previews/epoch_001.png ...  gray | predicted | true grid (``viz.comparison_grid``)
    ab_prior.npy, rebalancing_weights.npy   (zhang family only) float32 (Q,)

Every file is written atomically (a temporary file in the same folder, then ``os.replace``):
a run killed at any moment (even ``kill -9`` mid-epoch) leaves only complete files, and
``train(config, resume=True)`` continues it from the last checkpoint with the optimizer state,
the epoch counter and the CSV log intact (rows after the checkpoint's epoch are dropped).

``load_run(run_dir)`` reads a run back: config, history, preview snapshots.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
import os
import re
import shutil
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from colorkit import atomic, color, data
from colorkit.models import saving

#: Learning-rate schedules accepted by ``TrainConfig.lr_schedule``.
LR_SCHEDULES = ("constant", "cosine", "step")
#: Data pipelines accepted by ``TrainConfig.data_backend``.
DATA_BACKENDS = ("auto", "tf", "numpy")
#: Progress displays accepted by ``TrainConfig.progress``.
PROGRESS_MODES = ("auto", "keras", "tqdm", "none")
#: Multi-device strategies accepted by ``TrainConfig.distribute``.
DISTRIBUTE_MODES = ("auto", "none", "mirrored")

_EPOCH_FILE = re.compile(r"^epoch_(\d{3,})\.keras$")
_PREVIEW_FILE = re.compile(r"^epoch_(\d{3,})\.npy$")
#: Default loss per model output kind.
_DEFAULT_LOSS = {"ab": "l2", "uv": "l2", "bins": "soft_ce"}
#: Images read to estimate the ab prior of the zhang family.
_PRIOR_IMAGES = 256
#: Largest training set decoded into memory for the NumPy pipeline (bytes of uint8 crops).
_PRELOAD_BYTES = 1 << 30


@dataclasses.dataclass
class TrainConfig:
    """Everything that defines a training run (serialized to ``config.json``).

    Attributes:
        model: Model family name for ``colorkit.models.build_model`` ("unet", "dahl", "zhang").
        model_kwargs: Keyword arguments of the builder (e.g. ``{"base_filters": 16}``).
        loss: Loss name for ``colorkit.losses.get_loss``; None picks "l2" for regression
            models and "soft_ce" for the zhang family.
        loss_kwargs: Keyword arguments of the loss. For zhang, ``lam`` (or ``lambda``, default
            0.5) sets the rebalancing: the prior is computed from the training images.
        dataset: A registered dataset name (``colorkit.data.DATASETS``), "samples", a folder,
            a ``.tar`` archive, or a list of image paths.
        val_dataset: Validation source (same forms); None takes the registered dataset's
            "val" split, or holds out ``val_fraction`` of ``dataset``.
        val_fraction: Fraction held out when ``val_dataset`` is None and there is no split.
        image_size: Training crop side in pixels (a multiple of the model's stride).
        batch_size: Global batch size (split across devices under a distribution strategy).
        epochs: Total number of epochs (resume continues up to this number).
        learning_rate: Initial learning rate (Adam).
        lr_schedule: "constant", "cosine" (to 0 at the last epoch) or "step" (times
            ``lr_step_factor`` every ``lr_step_epochs``), applied per epoch.
        lr_step_epochs: Epochs between decays of the "step" schedule.
        lr_step_factor: Decay factor of the "step" schedule.
        seed: Seed of weights, shuffling, augmentation and the split.
        run_dir: Folder of the run (created).
        steps_per_epoch: Batches per epoch; None means one pass over the training images.
        max_images: Use at most this many training images (None: all).
        augment: Random crops and flips on the training set.
        data_backend: "tf" (tf.data), "numpy" (``ColorPyDataset``, any backend) or "auto"
            (tf.data under the TensorFlow backend, NumPy otherwise).
        preview_images: Number of fixed validation photos colorized after every epoch.
        mixed_precision: "auto" (mixed_float16 when a GPU is present), True or False.
        distribute: "auto" (MirroredStrategy with several GPUs, TensorFlow only), "none", or
            "mirrored" (forced; over the logical CPUs when there is no GPU).
        progress: "auto" (tqdm in notebooks, Keras' bar in a terminal, one line per epoch
            otherwise), "keras", "tqdm" or "none".
        cache: Keep the decoded, resized training photos in memory (tf.data) so that later
            epochs skip JPEG decoding; augmentation still changes every epoch.
        init_weights: Optional ``.keras`` file of the same architecture whose weights start
            the run (curriculum: a 64 px stage initialising a 128 px stage). Ignored on resume.
    """

    model: str = "unet"
    model_kwargs: dict = dataclasses.field(default_factory=dict)
    loss: str | None = None
    loss_kwargs: dict = dataclasses.field(default_factory=dict)
    dataset: str | list = "samples"
    val_dataset: str | list | None = None
    val_fraction: float = 0.1
    image_size: int = 64
    batch_size: int = 16
    epochs: int = 5
    learning_rate: float = 1e-3
    lr_schedule: str = "constant"
    lr_step_epochs: int = 10
    lr_step_factor: float = 0.1
    seed: int = 0
    run_dir: str = "runs/colorkit"
    steps_per_epoch: int | None = None
    max_images: int | None = None
    augment: bool = True
    data_backend: str = "auto"
    preview_images: int = 6
    mixed_precision: str | bool = "auto"
    distribute: str = "auto"
    progress: str = "auto"
    cache: bool = False
    init_weights: str | None = None

    def __post_init__(self):
        def positive_int(name, allow_none=False, minimum=1):
            value = getattr(self, name)
            if value is None and allow_none:
                return
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise ValueError(
                    f"TrainConfig.{name} must be an int >= {minimum}. Received: {name}={value!r}"
                )

        if not isinstance(self.model, str) or not self.model:
            raise TypeError(
                f"TrainConfig.model must be a model name. Received: model={self.model!r}"
            )
        for name in ("model_kwargs", "loss_kwargs"):
            if not isinstance(getattr(self, name), dict):
                raise TypeError(
                    f"TrainConfig.{name} must be a dict. Received: {name}={getattr(self, name)!r}"
                )
        if isinstance(self.dataset, os.PathLike):
            self.dataset = os.fspath(self.dataset)
        if isinstance(self.val_dataset, os.PathLike):
            self.val_dataset = os.fspath(self.val_dataset)
        if isinstance(self.dataset, tuple):
            self.dataset = list(self.dataset)
        if isinstance(self.dataset, list):
            self.dataset = [os.fspath(p) for p in self.dataset]
        if isinstance(self.val_dataset, list | tuple):
            self.val_dataset = [os.fspath(p) for p in self.val_dataset]
        self.run_dir = os.fspath(self.run_dir)
        if self.init_weights is not None:
            self.init_weights = os.fspath(self.init_weights)
        for name in ("image_size", "batch_size", "epochs", "lr_step_epochs"):
            positive_int(name)
        positive_int("steps_per_epoch", allow_none=True)
        positive_int("max_images", allow_none=True)
        positive_int("preview_images", minimum=0)
        positive_int("seed", minimum=0)
        if not 0.0 < float(self.val_fraction) < 1.0:
            raise ValueError(
                "TrainConfig.val_fraction must be in (0, 1). "
                f"Received: val_fraction={self.val_fraction}"
            )
        if not (math.isfinite(self.learning_rate) and self.learning_rate > 0):
            raise ValueError(
                "TrainConfig.learning_rate must be > 0. "
                f"Received: learning_rate={self.learning_rate}"
            )
        choices = {
            "lr_schedule": LR_SCHEDULES,
            "data_backend": DATA_BACKENDS,
            "progress": PROGRESS_MODES,
            "distribute": DISTRIBUTE_MODES,
        }
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ValueError(
                    f"TrainConfig.{name} must be one of {allowed}. "
                    f"Received: {name}={getattr(self, name)!r}"
                )
        if self.mixed_precision not in ("auto", True, False):
            raise ValueError(
                "TrainConfig.mixed_precision must be 'auto', True or False. "
                f"Received: mixed_precision={self.mixed_precision!r}"
            )

    def to_dict(self) -> dict:
        """The config as a JSON-serializable dict."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> TrainConfig:
        """Build a config from ``to_dict()`` output (unknown keys raise ``ValueError``)."""
        names = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise ValueError(f"Unknown TrainConfig fields: {unknown}")
        return cls(**values)


# --------------------------------------------------------------------------------------------
# Atomic file helpers
# --------------------------------------------------------------------------------------------


def _atomic_write_bytes(path: Path, payload: bytes) -> None:
    with atomic.atomic_path(path) as temporary, open(temporary, "wb") as stream:
        stream.write(payload)
        stream.flush()
        os.fsync(stream.fileno())


def _atomic_save_npy(path: Path, array: np.ndarray) -> None:
    buffer = io.BytesIO()
    np.save(buffer, array)
    _atomic_write_bytes(path, buffer.getvalue())


def _atomic_copy(source: Path, destination: Path) -> None:
    with atomic.atomic_path(destination) as temporary:
        shutil.copyfile(source, temporary)


def save_model_atomic(model, path: str | os.PathLike) -> Path:
    """Save a model to ``path`` (``.keras``) atomically: temporary file, then ``os.replace``.

    Args:
        model: A ``keras.Model`` (its optimizer state is included when compiled).
        path: Destination ending in ``.keras``; its folder must exist.

    Returns:
        The destination ``Path``.

    Raises:
        ValueError: If ``path`` does not end in ``.keras``.
        FileNotFoundError: If the folder does not exist.
    """
    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"Checkpoint path must end in .keras. Received: path={str(path)!r}")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"Folder does not exist: {path.parent} (saving {path})")
    # Keras insists on the .keras suffix: the temporary name keeps it.
    with atomic.atomic_path(path, suffix=".keras") as temporary:
        model.save(temporary)
    return path


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------


def _is_registered(name) -> bool:
    return isinstance(name, str) and name in data.DATASETS


def _source_paths(source, split: str | None) -> list[str]:
    """Usable photo paths of a dataset source (``colorkit.data.resolve_source``)."""
    return [str(p) for p in data.resolve_source(source, split=split).paths]


def _registered_has_split(name: str, split: str) -> bool:
    try:
        return bool(data.dataset_paths(name, split=split))
    except (ValueError, KeyError, FileNotFoundError):
        return False


def resolve_splits(config: TrainConfig) -> tuple[list[str], list[str]]:
    """Training and validation image paths for a config.

    Args:
        config: The ``TrainConfig``.

    Returns:
        ``(train_paths, val_paths)``, both non-empty lists of str.

    Raises:
        FileNotFoundError: For a source that does not exist.
        ValueError: If a split ends up empty.
    """
    source = config.dataset
    if config.val_dataset is not None:
        train_split = (
            "train" if _is_registered(source) and _registered_has_split(source, "train") else None
        )
        train_paths = _source_paths(source, train_split)
        val_paths = _source_paths(config.val_dataset, "val")
    elif _is_registered(source) and _registered_has_split(source, "val"):
        train_split = "train" if _registered_has_split(source, "train") else None
        train_paths = _source_paths(source, train_split)
        val_paths = _source_paths(source, "val")
    else:
        paths = _source_paths(source, None)
        if len(paths) < 2:
            raise ValueError(
                "Need at least 2 images to hold out a validation split. "
                f"Received: {len(paths)} image(s) in dataset={source!r}"
            )
        fraction = float(config.val_fraction)
        train_paths, val_paths, _ = data.split_paths(
            paths, fractions=(1.0 - fraction, fraction, 0.0), seed=config.seed
        )
        train_paths, val_paths = list(train_paths), list(val_paths)
        if not val_paths:
            train_paths, val_paths = train_paths[:-1], train_paths[-1:]
    if config.max_images is not None:
        train_paths = train_paths[: config.max_images]
    if not train_paths or not val_paths:
        raise ValueError(
            f"Empty split: {len(train_paths)} training and {len(val_paths)} validation images "
            f"from dataset={source!r}"
        )
    return train_paths, val_paths


def _data_backend(config: TrainConfig) -> str:
    import keras

    if config.data_backend == "auto":
        return "tf" if keras.backend.backend() == "tensorflow" else "numpy"
    return config.data_backend


def _make_datasets(config, train_paths, val_paths, space, strategy):
    """(train_data, val_data, steps_per_epoch) for ``model.fit``."""
    backend = _data_backend(config)
    steps = config.steps_per_epoch
    batch = config.batch_size
    if backend == "tf":
        import tensorflow as tf

        train_data = data.make_tf_dataset(
            train_paths,
            image_size=config.image_size,
            batch_size=batch,
            space=space,
            augment=config.augment,
            shuffle=True,
            cache=bool(config.cache),
            seed=config.seed,
            repeat=steps is not None,
        )
        val_data = data.make_tf_dataset(
            val_paths,
            image_size=config.image_size,
            batch_size=batch,
            space=space,
            augment=False,
            shuffle=False,
            cache=True,
            seed=config.seed,
        )
        if strategy is not None:
            options = tf.data.Options()
            options.experimental_distribute.auto_shard_policy = (
                tf.data.experimental.AutoShardPolicy.DATA
            )
            train_data = train_data.with_options(options)
            val_data = val_data.with_options(options)
        return train_data, val_data, steps
    # Decode once into memory when it fits (JPEG decoding dominates otherwise).
    scale = 1.25
    side = math.ceil(config.image_size * scale)
    if len(train_paths) * side * side * 3 <= _PRELOAD_BYTES:
        train_source = data.preload_crops(
            train_paths, config.image_size, scale=scale, progress=False
        )
        val_source = data.preload_crops(val_paths, config.image_size, scale=1.0, progress=False)
    else:
        train_source, val_source = train_paths, val_paths
    train_data = data.ColorPyDataset(
        train_source,
        image_size=config.image_size,
        batch_size=batch,
        space=space,
        augment=config.augment,
        shuffle=True,
        seed=config.seed,
    )
    val_data = data.ColorPyDataset(
        val_source,
        image_size=config.image_size,
        batch_size=batch,
        space=space,
        augment=False,
        shuffle=False,
        seed=config.seed,
    )
    if steps is not None:
        steps = min(steps, len(train_data))
    return train_data, val_data, steps


# --------------------------------------------------------------------------------------------
# Model, loss, devices
# --------------------------------------------------------------------------------------------


def _gpu_count() -> int:
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return len(tf.config.list_physical_devices("GPU"))
    if backend == "jax":
        import jax

        return sum(device.platform == "gpu" for device in jax.devices())
    if backend == "torch":
        import torch

        return torch.cuda.device_count()
    return 0


def _use_mixed_precision(config: TrainConfig) -> bool:
    if config.mixed_precision == "auto":
        return _gpu_count() > 0
    return bool(config.mixed_precision)


def _make_strategy(config: TrainConfig):
    """A ``tf.distribute.MirroredStrategy`` or None."""
    import keras

    if config.distribute == "none":
        return None
    is_tf = keras.backend.backend() == "tensorflow"
    if config.distribute == "mirrored" and not is_tf:
        raise ValueError(
            "distribute='mirrored' needs the TensorFlow backend. "
            f"Received: KERAS_BACKEND={keras.backend.backend()!r}"
        )
    if not is_tf:
        return None
    import tensorflow as tf

    gpus = tf.config.list_logical_devices("GPU")
    if config.distribute == "auto":
        return tf.distribute.MirroredStrategy() if len(gpus) > 1 else None
    devices = [device.name for device in (gpus or tf.config.list_logical_devices("CPU"))]
    return tf.distribute.MirroredStrategy(devices=devices)


def _float32_output(model):
    """Under mixed precision: append a float32 identity so the output (and loss) are float32."""
    import keras

    if model.outputs[0].dtype == "float32":
        return model
    outputs = keras.layers.Activation("linear", dtype="float32", name="output_float32")(
        model.outputs[0]
    )
    return keras.Model(model.inputs[0], outputs, name=model.name)


def _zhang_weights(config: TrainConfig, train_paths: list[str], run_dir: Path):
    """Empirical ab prior and rebalancing weights of the training images (saved in the run)."""
    lam = config.loss_kwargs.get("lam", config.loss_kwargs.get("lambda", 0.5))
    prior_path, weights_path = run_dir / "ab_prior.npy", run_dir / "rebalancing_weights.npy"
    if prior_path.is_file():
        prior = np.load(prior_path)
    else:
        images = data.load_images(
            train_paths[:_PRIOR_IMAGES], config.image_size, crop="center", seed=config.seed
        )
        prior = np.asarray(color.ab_prior(images), np.float32)
        _atomic_save_npy(prior_path, prior)
    weights = np.asarray(color.rebalancing_weights(prior, lam=lam), np.float32)
    _atomic_save_npy(weights_path, weights)
    return prior, weights


def _make_loss(config: TrainConfig, output_kind: str, train_paths, run_dir: Path):
    from colorkit import losses

    name = config.loss or _DEFAULT_LOSS.get(output_kind, "l2")
    kwargs = {k: v for k, v in config.loss_kwargs.items() if k not in ("lam", "lambda")}
    if name == "soft_ce" and output_kind != "bins":
        raise ValueError(
            f"loss 'soft_ce' needs a classification model (zhang). Received: model={config.model!r}"
        )
    if output_kind == "bins" and name != "soft_ce":
        raise ValueError(
            "The zhang family outputs bin probabilities: use loss 'soft_ce'. "
            f"Received: loss={name!r}"
        )
    if name == "soft_ce" and kwargs.get("prior_weights") is None:
        _, weights = _zhang_weights(config, train_paths, run_dir)
        kwargs["prior_weights"] = weights
    return losses.get_loss(name, **kwargs)


def learning_rate_at(config: TrainConfig, epoch: int) -> float:
    """Learning rate of epoch ``epoch`` (0-based) under the config's schedule.

    Example:
        >>> config = TrainConfig(epochs=4, learning_rate=0.1, lr_schedule="cosine")
        >>> [round(learning_rate_at(config, e), 4) for e in range(4)]
        [0.1, 0.0854, 0.05, 0.0146]
        >>> step = TrainConfig(learning_rate=1.0, lr_schedule="step", lr_step_epochs=2)
        >>> [learning_rate_at(step, e) for e in range(5)]
        [1.0, 1.0, 0.1, 0.1, 0.010000000000000002]
    """
    base = float(config.learning_rate)
    if config.lr_schedule == "cosine":
        return base * 0.5 * (1.0 + math.cos(math.pi * epoch / config.epochs))
    if config.lr_schedule == "step":
        return base * config.lr_step_factor ** (epoch // config.lr_step_epochs)
    return base


# --------------------------------------------------------------------------------------------
# Callbacks
# --------------------------------------------------------------------------------------------


def _make_callbacks(config, run_dir: Path, state: dict):
    """Callbacks in order: timing, learning rate, CSV, previews, then checkpoints, ..."""
    import keras

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
        """epoch_XXX.keras, last.keras and best.keras (by val_loss), all atomic."""

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            folder = run_dir / "checkpoints"
            path = save_model_atomic(self.model, folder / f"epoch_{epoch + 1:03d}.keras")
            _atomic_copy(path, run_dir / "last.keras")
            value = logs.get("val_loss", logs.get("loss"))
            if value is not None and math.isfinite(value) and value < state["best"]:
                state["best"] = float(value)
                _atomic_copy(path, run_dir / "best.keras")

    class Previews(keras.callbacks.Callback):
        """Colorizes the fixed validation photos after every epoch (npy + png grid)."""

        def on_train_begin(self, logs=None):
            if state["initial_epoch"] == 0 and state["ground_truth"] is not None:
                _write_preview(self.model, config, run_dir, state, 0, logs)

        def on_epoch_end(self, epoch, logs=None):
            if state["ground_truth"] is not None:
                _write_preview(self.model, config, run_dir, state, epoch + 1, logs)

    callbacks = [
        StepTimer(),
        keras.callbacks.LearningRateScheduler(lambda epoch, lr: learning_rate_at(config, epoch)),
        keras.callbacks.CSVLogger(str(run_dir / "log.csv"), append=True),
        # Previews before the checkpoint: a checkpoint on disk implies its epoch's preview is
        # too, so a run killed between the two never resumes with a missing snapshot.
        Previews(),
        RunCheckpoint(),
    ]
    callbacks.append(
        keras.callbacks.TensorBoard(
            log_dir=str(run_dir / "tensorboard"), write_graph=False, profile_batch=0
        )
    )
    return callbacks


def _write_preview(model, config, run_dir: Path, state: dict, epoch: int, logs) -> None:
    from colorkit import infer, viz

    truth = state["ground_truth"]
    with warnings.catch_warnings():
        # Early epochs predict wild colors; clipping them for display is expected.
        warnings.simplefilter("ignore", color.GamutWarning)
        predicted = infer.colorize(
            truth, model, size=config.image_size, batch_size=max(1, config.batch_size)
        )
    folder = run_dir / "previews"
    _atomic_save_npy(folder / f"epoch_{epoch:03d}.npy", _to_uint8(predicted))
    figure = viz.comparison_grid(
        {"gray": state["gray"], f"epoch {epoch}": predicted, "true": truth}
    )
    try:
        viz.save_figure(figure, folder / f"epoch_{epoch:03d}.png")
    finally:
        import matplotlib.pyplot as plt

        plt.close(figure)


class _TqdmProgress:
    """Factory of a tqdm epoch + batch progress callback (tqdm.auto: widgets in notebooks)."""

    @staticmethod
    def create(total_epochs: int, initial_epoch: int):
        import keras
        from tqdm import auto

        class TqdmProgress(keras.callbacks.Callback):
            def on_train_begin(self, logs=None):
                self.epoch_bar = auto.tqdm(
                    total=total_epochs, initial=initial_epoch, unit="epoch", desc="training"
                )
                self.batch_bar = None

            def on_epoch_begin(self, epoch, logs=None):
                steps = self.params.get("steps") if self.params else None
                self.batch_bar = auto.tqdm(
                    total=steps, unit="batch", leave=False, desc=f"epoch {epoch + 1}"
                )

            def on_train_batch_end(self, batch, logs=None):
                if self.batch_bar is not None:
                    self.batch_bar.update(1)
                    if logs and "loss" in logs:
                        self.batch_bar.set_postfix(loss=f"{float(logs['loss']):.4f}", refresh=False)

            def on_epoch_end(self, epoch, logs=None):
                if self.batch_bar is not None:
                    self.batch_bar.close()
                shown = {k: f"{float(v):.4g}" for k, v in (logs or {}).items() if "loss" in k}
                self.epoch_bar.set_postfix(shown, refresh=False)
                self.epoch_bar.update(1)

            def on_train_end(self, logs=None):
                if self.batch_bar is not None:
                    self.batch_bar.close()
                self.epoch_bar.close()

        return TqdmProgress()


def _in_notebook() -> bool:
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    try:
        ipython = shell.get_ipython()
    except AttributeError:
        return False
    return ipython is not None and type(ipython).__name__ == "ZMQInteractiveShell"


def _progress(config: TrainConfig, initial_epoch: int):
    """(verbose for model.fit, extra callbacks)."""
    mode = config.progress
    if mode == "auto":
        if _in_notebook():
            mode = "tqdm"
        else:
            return (1 if sys.stdout.isatty() else 2), []
    if mode == "keras":
        return 1, []
    if mode == "tqdm":
        return 0, [_TqdmProgress.create(config.epochs, initial_epoch)]
    return 0, []


def _to_uint8(images: np.ndarray) -> np.ndarray:
    return np.round(np.clip(images, 0.0, 1.0) * 255.0).astype(np.uint8)


# --------------------------------------------------------------------------------------------
# Resume helpers
# --------------------------------------------------------------------------------------------


def _epoch_checkpoints(run_dir: Path) -> dict[int, Path]:
    folder = run_dir / "checkpoints"
    found = {}
    if folder.is_dir():
        for path in folder.iterdir():
            match = _EPOCH_FILE.match(path.name)
            if match:
                found[int(match.group(1))] = path
    return dict(sorted(found.items()))


def _read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    if not path.is_file():
        return [], []
    with open(path, newline="") as stream:
        reader = csv.DictReader(stream)
        rows = [row for row in reader if row and row.get("epoch") not in (None, "")]
        return list(reader.fieldnames or []), rows


def _truncate_csv(path: Path, completed_epochs: int) -> None:
    """Keep the CSV rows of epochs < completed_epochs (0-based epoch column), atomically."""
    fields, rows = _read_csv(path)
    if not fields:
        return
    kept = []
    for row in rows:
        try:
            if int(float(row["epoch"])) < completed_epochs:
                kept.append(row)
        except (TypeError, ValueError):
            continue  # a torn last line from a killed process
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(kept)
    _atomic_write_bytes(path, buffer.getvalue().encode())


def _best_from_csv(path: Path) -> float:
    _, rows = _read_csv(path)
    best = math.inf
    for row in rows:
        try:
            value = float(row.get("val_loss") or row.get("loss") or "nan")
        except ValueError:
            continue
        if math.isfinite(value):
            best = min(best, value)
    return best


def _clean_stale_files(run_dir: Path, completed_epochs: int) -> None:
    """Remove temporary files and previews/checkpoints after the resumed checkpoint."""
    for folder in (run_dir, run_dir / "checkpoints", run_dir / "previews"):
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            if path.name.startswith(".") and (
                path.name.endswith(".tmp") or path.name.endswith(".keras")
            ):
                path.unlink(missing_ok=True)
    for number, path in _epoch_checkpoints(run_dir).items():
        if number > completed_epochs:
            path.unlink(missing_ok=True)
    previews = run_dir / "previews"
    if previews.is_dir():
        for path in previews.iterdir():
            match = re.match(r"^epoch_(\d{3,})\.(npy|png)$", path.name)
            if match and int(match.group(1)) > completed_epochs:
                path.unlink(missing_ok=True)


def _load_checkpoint(path: Path):
    return saving.load_file(path, compile=True)


# --------------------------------------------------------------------------------------------
# train
# --------------------------------------------------------------------------------------------


def train(config: TrainConfig, resume: bool = False, callbacks: list | None = None):
    """Train a model as described by ``config``, recording the run in ``config.run_dir``.

    The data pipeline yields ``(lightness (B, S, S, 1), chroma (B, S, S, 2))`` in model scale
    (``colorkit.data``); the model comes from ``colorkit.models.build_model``; Adam with the
    config's per-epoch learning-rate schedule. For the zhang family, the ab prior of the
    training images gives the rebalancing weights of the ``soft_ce`` loss, and previews are
    decoded by the annealed mean. Under a GPU, mixed_float16 is used with a float32 output;
    several GPUs train with ``tf.distribute.MirroredStrategy`` (TensorFlow backend only).

    Args:
        config: A ``TrainConfig``.
        resume: Continue the run in ``config.run_dir`` from its last complete checkpoint
            (optimizer state, epoch counter and CSV log intact). Starts a new run if there is
            no checkpoint yet.
        callbacks: Extra ``keras.callbacks.Callback`` objects, run after colorkit's own.

    Returns:
        The ``keras.callbacks.History`` of this call (``.history``: dict of per-epoch lists;
        the whole run's history is ``load_run(run_dir).history``).

    Raises:
        TypeError: If ``config`` is not a ``TrainConfig``.
        FileExistsError: If ``run_dir`` already holds checkpoints and ``resume`` is False.
        ValueError / FileNotFoundError: For bad data sources or model/loss arguments.
    """
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig. Received: type={type(config).__name__}")
    import keras

    from colorkit import data, models

    run_dir = Path(config.run_dir).expanduser().resolve()
    checkpoints = _epoch_checkpoints(run_dir)
    if checkpoints and not resume:
        raise FileExistsError(
            f"Run directory already holds checkpoints: '{run_dir}'. Use resume=True "
            "(--resume) to continue it, or choose another run directory."
        )
    for folder in (run_dir, run_dir / "checkpoints", run_dir / "previews"):
        folder.mkdir(parents=True, exist_ok=True)
    log_path = run_dir / "log.csv"
    if not checkpoints and log_path.exists():
        log_path.unlink()  # a run killed before its first checkpoint starts over

    family = config.model
    family_info = models.FAMILIES.get(family)
    if family_info is None:
        raise ValueError(
            f"Unknown model name: expected one of {models.available_models()}. "
            f"Received: model={config.model!r}"
        )
    keras.utils.set_random_seed(config.seed)
    train_paths, val_paths = resolve_splits(config)
    _atomic_write_bytes(
        run_dir / "config.json", (json.dumps(config.to_dict(), indent=2) + "\n").encode()
    )

    strategy = _make_strategy(config)
    mixed = _use_mixed_precision(config)
    previous_policy = keras.config.dtype_policy()
    scope = strategy.scope() if strategy is not None else _NullScope()
    initial_epoch = 0
    try:
        if mixed:
            keras.config.set_dtype_policy("mixed_float16")
        with scope:
            loaded = None
            if resume and checkpoints:
                for number in sorted(checkpoints, reverse=True):
                    try:
                        loaded = _load_checkpoint(checkpoints[number])
                    except (OSError, ValueError) as error:  # unreadable: fall back one epoch
                        warnings.warn(
                            f"Cannot load {checkpoints[number]} ({error}); trying an earlier one",
                            stacklevel=2,
                        )
                        continue
                    initial_epoch = number
                    break
                if loaded is None:
                    raise ValueError(f"No loadable checkpoint in '{run_dir / 'checkpoints'}'")
            if loaded is not None:
                model = loaded
                # The loss is rebuilt from the config only when needed to compile again.
            else:
                model = models.build_model(config.model, **config.model_kwargs)
                if config.init_weights is not None:
                    _load_init_weights(model, config.init_weights)
                if mixed:
                    model = _float32_output(model)
                loss = _make_loss(config, family_info["output"], train_paths, run_dir)
                model.compile(
                    optimizer=keras.optimizers.Adam(learning_rate=config.learning_rate),
                    loss=loss,
                )
    finally:
        keras.config.set_dtype_policy(previous_policy)

    environment = {
        "backend": keras.backend.backend(),
        "keras": keras.__version__,
        "data_backend": _data_backend(config),
        "mixed_precision": mixed,
        "strategy": type(strategy).__name__ if strategy is not None else None,
        "replicas": int(strategy.num_replicas_in_sync) if strategy is not None else 1,
        "gpus": _gpu_count(),
        "initial_epoch": initial_epoch,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    _atomic_write_bytes(
        run_dir / "environment.json", (json.dumps(environment, indent=2) + "\n").encode()
    )
    if resume:
        _truncate_csv(log_path, initial_epoch)
        _clean_stale_files(run_dir, initial_epoch)
    state = {
        "best": _best_from_csv(log_path) if initial_epoch else math.inf,
        "initial_epoch": initial_epoch,
        "ground_truth": None,
        "gray": None,
    }
    if config.preview_images:
        preview_paths = val_paths[: config.preview_images]
        truth = np.asarray(data.load_images(preview_paths, config.image_size, crop="center"))
        truth = _to_uint8(truth).astype(np.float32) / 255.0  # exactly what the npy holds
        gray = np.asarray(color.desaturate(truth, method="lab"), np.float32)
        state["ground_truth"], state["gray"] = truth, gray
        previews = run_dir / "previews"
        _atomic_save_npy(previews / "ground_truth.npy", _to_uint8(truth))
        _atomic_save_npy(previews / "gray.npy", _to_uint8(gray))

    history = keras.callbacks.History()
    if initial_epoch >= config.epochs:
        history.history = load_run(run_dir).history
        return history

    train_data, val_data, steps = _make_datasets(
        config, train_paths, val_paths, family_info["space"], strategy
    )
    verbose, progress_callbacks = _progress(config, initial_epoch)
    callbacks = _make_callbacks(config, run_dir, state) + progress_callbacks + list(callbacks or [])
    return model.fit(
        train_data,
        validation_data=val_data,
        epochs=config.epochs,
        initial_epoch=initial_epoch,
        steps_per_epoch=steps,
        callbacks=callbacks,
        verbose=verbose,
        shuffle=False,  # the pipelines shuffle (seeded) themselves
    )


def _load_init_weights(model, path: str) -> None:
    """Copy the weights of a saved model of the same architecture into ``model``."""
    from colorkit import infer

    source_path = Path(path).expanduser()
    if not source_path.is_file():
        raise FileNotFoundError(f"init_weights file not found: '{source_path}'")
    source = infer.load_model(source_path)
    source_weights = source.get_weights()
    target_weights = model.get_weights()
    shapes = [w.shape for w in source_weights] != [w.shape for w in target_weights]
    if len(source_weights) != len(target_weights) or shapes:
        raise ValueError(
            "init_weights must come from a model of the same architecture. "
            f"Received: init_weights='{source_path}' ({len(source_weights)} arrays, "
            f"model has {len(target_weights)})"
        )
    model.set_weights(source_weights)


class _NullScope:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


# --------------------------------------------------------------------------------------------
# Reading a run back
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Run:
    """A training run read from disk (see the module docstring for the layout).

    Attributes:
        run_dir: The run folder.
        config: Its ``TrainConfig`` (from config.json).
        history: ``{column: [value per epoch]}`` from log.csv (floats; ``epoch`` is Keras'
            0-based epoch index, so row ``i`` is the state after ``i + 1`` epochs).
    """

    run_dir: Path
    config: TrainConfig
    history: dict

    def snapshots(self) -> list[int]:
        """Epochs that have a preview, sorted (0 is before training)."""
        folder = self.run_dir / "previews"
        if not folder.is_dir():
            return []
        found = []
        for path in folder.iterdir():
            match = _PREVIEW_FILE.match(path.name)
            if match:
                found.append(int(match.group(1)))
        return sorted(found)

    def snapshot(self, epoch: int) -> np.ndarray:
        """uint8 ``(N, S, S, 3)`` colorized previews after ``epoch`` epochs.

        Raises:
            ValueError: If there is no preview for that epoch (lists the available ones).
        """
        path = self.run_dir / "previews" / f"epoch_{int(epoch):03d}.npy"
        if not path.is_file():
            raise ValueError(
                f"No preview for epoch {epoch} in '{self.run_dir}'. Available: {self.snapshots()}"
            )
        return np.load(path)

    def ground_truth(self) -> np.ndarray:
        """uint8 ``(N, S, S, 3)``: the validation photos of the previews."""
        return np.load(self.run_dir / "previews" / "ground_truth.npy")

    def gray(self) -> np.ndarray:
        """uint8 ``(N, S, S, 3)``: their gray versions."""
        return np.load(self.run_dir / "previews" / "gray.npy")

    def checkpoint(self, which: int | str = "best") -> Path:
        """Path of a checkpoint: "best", "last" or an epoch number.

        Raises:
            FileNotFoundError: If it does not exist (names the path).
        """
        if isinstance(which, int):
            path = self.run_dir / "checkpoints" / f"epoch_{which:03d}.keras"
        else:
            path = self.run_dir / f"{which}.keras"
        if not path.is_file():
            raise FileNotFoundError(f"Checkpoint not found: '{path}'")
        return path

    def epochs_completed(self) -> int:
        """Number of epochs with a checkpoint."""
        found = _epoch_checkpoints(self.run_dir)
        return max(found) if found else 0


def load_run(run_dir: str | os.PathLike) -> Run:
    """Read a training run: config, per-epoch history and preview snapshots.

    Args:
        run_dir: A folder written by ``train``.

    Returns:
        A ``Run``.

    Raises:
        FileNotFoundError: If ``run_dir`` or its config.json does not exist.
    """
    run_dir = Path(run_dir).expanduser().resolve()
    config_path = run_dir / "config.json"
    if not config_path.is_file():
        raise FileNotFoundError(f"Not a colorkit run (no config.json): '{run_dir}'")
    config = TrainConfig.from_dict(json.loads(config_path.read_text()))
    fields, rows = _read_csv(run_dir / "log.csv")
    history: dict[str, list[float]] = {name: [] for name in fields}
    for row in rows:
        for name in fields:
            try:
                value = float(row.get(name) or "nan")
            except ValueError:
                value = math.nan
            history[name].append(value)
    return Run(run_dir=run_dir, config=config, history=history)
