"""What defines a training run, serialized to its ``config.json``: :class:`TrainConfig` (a
model trained on photos) or :class:`GuidedConfig` (the guided decoder trained on cached encoder
features, ``colorkit.training.cached``), and the learning-rate schedule."""

from __future__ import annotations

import dataclasses
import math
import os

from colorkit.models import guided

__all__ = [
    "DATA_BACKENDS",
    "DISTRIBUTE_MODES",
    "GUIDED_LR_SCHEDULES",
    "LR_SCHEDULES",
    "RUN_KINDS",
    "GuidedConfig",
    "PROGRESS_MODES",
    "TrainConfig",
    "learning_rate_at",
]


#: Learning-rate schedules accepted by ``TrainConfig.lr_schedule``.
LR_SCHEDULES = ("constant", "cosine", "step")


#: Learning-rate schedules of a cached-feature run (``GuidedConfig.lr_schedule``; per step).
GUIDED_LR_SCHEDULES = ("cosine", "constant")


#: What ``config.json``'s ``"kind"`` says a run is: photos (``TrainConfig``) or cached features
#: (``GuidedConfig``).
RUN_KINDS = ("photos", "cached_features")


#: Data pipelines accepted by ``TrainConfig.data_backend``.
DATA_BACKENDS = ("auto", "tf", "numpy")


#: Progress displays accepted by ``TrainConfig.progress``.
PROGRESS_MODES = ("auto", "keras", "tqdm", "none")


#: Multi-device strategies accepted by ``TrainConfig.distribute``.
DISTRIBUTE_MODES = ("auto", "none", "mirrored", "multiworker", "dataparallel")


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
        distribute: "auto" (MultiWorkerMirroredStrategy when ``TF_CONFIG`` names several
            tasks; else MirroredStrategy with several GPUs under TensorFlow, DataParallel with
            several devices under JAX), "none", "mirrored" (forced; over the logical CPUs
            when there is no GPU), "multiworker" (TensorFlow ``MultiWorkerMirroredStrategy``
            from ``TF_CONFIG``: the chief writes the run folder, the data is sharded by
            worker) or "dataparallel" (``keras.distribution.DataParallel`` over all devices,
            JAX backend).
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
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(
                    f"TrainConfig.{name} must be an int >= {minimum}. Received: {name}={value!r}"
                )
            if value < minimum:
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


@dataclasses.dataclass(frozen=True)
class GuidedConfig:
    """Settings of a cached-feature decoder run.

    Attributes:
        epochs: Passes over the training cache.
        batch_size: Crops per step.
        learning_rate: Peak Adam learning rate (cosine decay to 5% over the run).
        width: Decoder width (``guided_decoder(width=...)``).
        lam: Rebalancing strength (Zhang's lambda; 0 = no rebalancing, 1 = uniform).
        p_no_hints: Share of crops trained without any hint.
        mean_hints: Mean number of hints on crops that get hints (geometric distribution).
        max_hints: Cap on the number of hints per crop.
        seed: Seed of the batch order, flips and hints.
        spread: Build the decoder with its zero-initialised spread blocks
            (``guided_decoder(spread=True)``; the hint fine-tune).
        last_stage: Train the encoder's last stage with the decoder: ``stage4`` is computed
            from the cached ``stage3`` by ``encoders.last_stage()`` instead of read from the
            cache (``guided.decoder_with_last_stage``; the recipe's third stage).
        sample_stride: The loss sees one cell per ``sample_stride`` x ``sample_stride`` block
            of the 1/4-resolution output, at a random phase per crop and step
            (``guided.sampled_trainer``); 1 scores every cell.
        lr_schedule: "cosine" (per step, down to 5% of ``learning_rate`` at the last step) or
            "constant".
    """

    epochs: int = 12
    batch_size: int = 64
    learning_rate: float = 2e-3
    width: int = guided.DEFAULT_WIDTH
    lam: float = 0.5
    p_no_hints: float = 0.5
    mean_hints: float = 8.0
    max_hints: int = 64
    seed: int = 0
    spread: bool = False
    last_stage: bool = False
    sample_stride: int = 1
    lr_schedule: str = "cosine"

    def __post_init__(self):
        if self.lr_schedule not in GUIDED_LR_SCHEDULES:
            raise ValueError(
                f"GuidedConfig.lr_schedule must be one of {GUIDED_LR_SCHEDULES}. "
                f"Received: lr_schedule={self.lr_schedule!r}"
            )

    def to_dict(self) -> dict:
        """The config as a JSON-serializable dict."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> GuidedConfig:
        """A config from ``to_dict()`` output; settings added since a run started take their
        defaults (unknown keys raise ``ValueError``)."""
        names = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise ValueError(f"Unknown GuidedConfig fields: {unknown}")
        return cls(**values)


def config_from_dict(values: dict) -> TrainConfig | GuidedConfig:
    """The config a run's ``config.json`` holds: its ``"kind"`` (``RUN_KINDS``; "photos" when
    absent) picks :class:`TrainConfig` or :class:`GuidedConfig`.

    Raises:
        ValueError: For an unknown kind or unknown fields.
    """
    values = dict(values)
    kind = values.pop("kind", "photos")
    if kind not in RUN_KINDS:
        raise ValueError(f"Unknown run kind: expected one of {RUN_KINDS}. Received: {kind=}")
    if kind == "cached_features":
        values.pop("rows", None)  # which rows each epoch reads: data, not a setting
        return GuidedConfig.from_dict(values)
    return TrainConfig.from_dict(values)


def config_to_dict(config: TrainConfig | GuidedConfig) -> dict:
    """What a run's ``config.json`` holds: the config's fields, and ``"kind"`` for a
    cached-feature run (a photo run's file stays a plain ``TrainConfig``, which
    ``colorkit train --resume`` reads back as its options)."""
    if isinstance(config, GuidedConfig):
        return {"kind": "cached_features", **config.to_dict()}
    return config.to_dict()  # "photos", the kind a config.json without one has
