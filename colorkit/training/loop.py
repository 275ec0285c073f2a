"""The training loop: ``train(TrainConfig(...))`` fits a colorkit model and records the run.

Data (``colorkit.data.resolve_source`` -> :func:`resolve_splits` -> ``make_tf_dataset`` or
``ColorPyDataset``), model and loss (``colorkit.models``, ``colorkit.losses``; the zhang
family's ab prior and rebalancing weights), devices (mixed precision, ``MirroredStrategy``),
callbacks (``colorkit.training.callbacks``) and ``model.fit``. The run folder (its guard,
checkpoints, CSV log, environment record and previews) is ``colorkit.training.run_folder``.
"""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

import keras
import numpy as np
import tqdm.keras

from colorkit import color, data, infer, losses, models
from colorkit.training.callbacks import Previews, RunCheckpoint, StepTimer
from colorkit.training.config import TrainConfig, learning_rate_at
from colorkit.training.run_folder import (
    epoch_checkpoints,
    load_latest_checkpoint,
    load_run,
    prepare_run_dir,
    remove_unfinished_run,
    resume_run,
    save_npy_atomic,
    save_preview_inputs,
    seek_epoch,
    write_json,
    write_summary,
)

__all__ = ["resolve_splits", "train"]


#: Default loss per model output kind.
_DEFAULT_LOSS = {"ab": "l2", "uv": "l2", "bins": "soft_ce"}


#: Images read to estimate the ab prior of the zhang family.
_PRIOR_IMAGES = 256


#: Largest training set decoded into memory for the NumPy pipeline (bytes of uint8 crops).
_PRELOAD_BYTES = 1 << 30


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
    if config.data_backend == "auto":
        return "tf" if keras.backend.backend() == "tensorflow" else "numpy"
    return config.data_backend


def _make_datasets(config, train_paths, val_paths, space, strategy):
    """(train_data, val_data, steps_per_epoch) for ``model.fit``."""
    backend = _data_backend(config)
    steps = config.steps_per_epoch
    batch = config.batch_size
    if backend == "tf":
        import tensorflow as tf  # only the tf.data path needs it (JAX/torch runs skip it)

        train_data = data.make_tf_dataset(
            train_paths,
            image_size=config.image_size,
            batch_size=batch,
            space=space,
            augment=config.augment,
            shuffle=True,
            cache=bool(config.cache),
            seed=config.seed,
            # One endless stream, epochs of `steps` batches: its position after e epochs is
            # exact, so a resumed run skips to it (seek_epoch) and equals an uninterrupted one.
            repeat=True,
        )
        if steps is None:
            steps = math.ceil(len(train_paths) / batch)
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
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf  # the running backend's own library (imported by keras)

        return len(tf.config.list_physical_devices("GPU"))
    if backend == "jax":
        import jax  # optional backend: imported only when it is the one running

        return sum(device.platform == "gpu" for device in jax.devices())
    if backend == "torch":
        import torch  # optional backend: imported only when it is the one running

        return torch.cuda.device_count()
    return 0


def _use_mixed_precision(config: TrainConfig) -> bool:
    if config.mixed_precision == "auto":
        return _gpu_count() > 0
    return bool(config.mixed_precision)


def worker_role() -> tuple[str, int, int] | None:
    """``(task type, task index, number of workers)`` from ``TF_CONFIG``; None without it."""
    text = os.environ.get("TF_CONFIG")
    if not text:
        return None
    spec = json.loads(text)
    cluster, task = spec.get("cluster", {}), spec.get("task", {})
    count = sum(len(cluster.get(kind, [])) for kind in ("chief", "worker"))
    return str(task.get("type", "worker")), int(task.get("index", 0)), count


def is_chief() -> bool:
    """Whether this process writes the run folder: the chief, or worker 0 when none is named."""
    role = worker_role()
    if role is None:
        return True
    kind, index, _ = role
    has_chief = bool(json.loads(os.environ["TF_CONFIG"]).get("cluster", {}).get("chief"))
    return kind == "chief" or (kind == "worker" and index == 0 and not has_chief)


def _distribute_mode(config: TrainConfig) -> str:
    """``config.distribute`` with "auto" resolved for multi-worker and JAX runs."""
    mode = config.distribute
    if mode == "auto":
        role = worker_role()
        if role is not None and role[2] > 1:
            return "multiworker"
        if keras.backend.backend() == "jax" and len(keras.distribution.list_devices()) > 1:
            return "dataparallel"
    return mode


def _make_strategy(config: TrainConfig):
    """A ``tf.distribute`` strategy (Mirrored or MultiWorkerMirrored) or None.

    For "dataparallel" (JAX), sets the global ``keras.distribution.DataParallel`` instead and
    returns None.
    """
    mode = _distribute_mode(config)
    if mode == "none":
        return None
    is_tf = keras.backend.backend() == "tensorflow"
    if mode == "dataparallel":
        if keras.backend.backend() != "jax":
            raise ValueError(
                "distribute='dataparallel' needs the JAX backend (keras.distribution). "
                f"Received: KERAS_BACKEND={keras.backend.backend()!r}"
            )
        devices = keras.distribution.list_devices()
        keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
        return None
    if mode == "multiworker":
        if not is_tf:
            raise ValueError(
                "distribute='multiworker' needs the TensorFlow backend. "
                f"Received: KERAS_BACKEND={keras.backend.backend()!r}"
            )
        if worker_role() is None:
            raise ValueError(
                "distribute='multiworker' needs TF_CONFIG (the cluster and this task), e.g. "
                '{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
                '"task": {"type": "worker", "index": 0}}'
            )
        import tensorflow as tf  # the TensorFlow backend is running (checked above)

        return tf.distribute.MultiWorkerMirroredStrategy()
    if mode == "mirrored" and not is_tf:
        raise ValueError(
            "distribute='mirrored' needs the TensorFlow backend. "
            f"Received: KERAS_BACKEND={keras.backend.backend()!r}"
        )
    if not is_tf:
        return None
    import tensorflow as tf  # the TensorFlow backend is running (checked above)

    gpus = tf.config.list_logical_devices("GPU")
    if mode == "auto":
        return tf.distribute.MirroredStrategy() if len(gpus) > 1 else None
    devices = [device.name for device in (gpus or tf.config.list_logical_devices("CPU"))]
    return tf.distribute.MirroredStrategy(devices=devices)


def _float32_output(model):
    """Under mixed precision: append a float32 identity so the output (and loss) are float32."""
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
        save_npy_atomic(prior_path, prior)
    weights = np.asarray(color.rebalancing_weights(prior, lam=lam), np.float32)
    save_npy_atomic(weights_path, weights)
    return prior, weights


def _make_loss(config: TrainConfig, output_kind: str, train_paths, run_dir: Path):
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


def _load_init_weights(model, path: str) -> None:
    """Copy the weights of a saved model of the same architecture into ``model``."""
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


def _build_from_local_replica(model, strategy) -> None:
    """Work around Keras' symbolic build under ``MultiWorkerMirroredStrategy``.

    Keras 3's TensorFlow trainer builds the model from a batch reduced across replicas
    (``strategy.reduce("MEAN", batch)``), which a collective strategy cannot do on a nested
    input structure (TypeError on a ``PerReplica``). The shapes are all it needs: this
    builds from this worker's own replica of the batch.
    """
    import tensorflow as tf  # the TensorFlow backend is running (multiworker needs it)

    def local(value):
        if isinstance(value, tf.distribute.DistributedValues):
            return strategy.experimental_local_results(value)[0]
        return value

    def maybe_symbolic_build(iterator=None, data_batch=None):
        if iterator is not None:
            for _, _, batches in iterator:
                data_batch = tf.nest.map_structure(local, next(batches))
                break
        with strategy.scope():
            model._symbolic_build(data_batch=data_batch)

    model._maybe_symbolic_build = maybe_symbolic_build
    _patch_scalar_reduce()


def _patch_scalar_reduce() -> None:
    """Work around Keras 3 reducing scalar logs with ``axis=0`` under a multi-worker strategy.

    ``keras.src.backend.tensorflow.trainer.reduce_per_replica`` calls
    ``strategy.reduce("MEAN", v, axis=0)`` on every log of a multi-worker run (per-replica or
    not), which fails on a scalar (the loss). Scalars are reduced with ``axis=None`` (the
    mean over all replicas of all workers); everything else goes to Keras unchanged. Applied
    once, idempotent.
    """
    import tensorflow as tf  # the TensorFlow backend is running (multiworker needs it)
    from keras.src.backend.tensorflow import trainer

    if getattr(trainer.reduce_per_replica, "_colorkit_patched", False):
        return
    original = trainer.reduce_per_replica

    def reduce_per_replica(values, strategy, reduction):
        multi_worker = isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
        if not multi_worker or reduction not in ("auto", "mean"):
            return original(values, strategy, reduction)

        def reduce(value):
            if isinstance(value, tf.distribute.DistributedValues):
                rank = strategy.experimental_local_results(value)[0].shape.rank
            else:
                rank = getattr(getattr(value, "shape", None), "rank", None)
            if not rank:  # 0, or unknown while tracing (the logs are scalars)
                return strategy.reduce("MEAN", value, axis=None)
            return original(value, strategy, reduction)

        return tf.nest.map_structure(reduce, values)

    reduce_per_replica._colorkit_patched = True
    trainer.reduce_per_replica = reduce_per_replica


class _NullScope:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


# --------------------------------------------------------------------------------------------
# Callbacks and progress
# --------------------------------------------------------------------------------------------


def _make_callbacks(config: TrainConfig, run_dir: Path, state: dict) -> list:
    """Callbacks in order: timing, learning rate, CSV, previews, then checkpoints, ..."""
    return [
        StepTimer(),
        keras.callbacks.LearningRateScheduler(lambda epoch, lr: learning_rate_at(config, epoch)),
        keras.callbacks.CSVLogger(str(run_dir / "log.csv"), append=True),
        # Previews before the checkpoint: a checkpoint on disk implies its epoch's preview is
        # too, so a run killed between the two never resumes with a missing snapshot.
        Previews(config, run_dir, state),
        RunCheckpoint(run_dir, state),
        keras.callbacks.TensorBoard(
            log_dir=str(run_dir / "tensorboard"), write_graph=False, profile_batch=0
        ),
    ]


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
            # Keras' own bar on a terminal, one line per epoch in a log file (fit's verbose).
            return (1 if sys.stdout.isatty() else 2), []
    if mode == "keras":
        return 1, []
    if mode == "tqdm":
        # tqdm's own Keras callback (an epoch bar that starts at a resumed run's epoch).
        return 0, [tqdm.keras.TqdmCallback(epochs=config.epochs, verbose=1)]
    return 0, []


def _build_or_resume(
    config, family_info, run_dir, checkpoints, strategy, mixed, train_paths, checkpoint_dir=None
):
    """``(compiled model, initial epoch)``: the latest checkpoint, or a new model (epoch 0)."""
    previous_policy = keras.config.dtype_policy()
    scope = strategy.scope() if strategy is not None else _NullScope()
    try:
        if mixed:
            keras.config.set_dtype_policy("mixed_float16")
        with scope:
            if checkpoints:
                # The loss is rebuilt from the config only when needed to compile again.
                return load_latest_checkpoint(checkpoint_dir or run_dir, checkpoints)
            model = models.build_model(config.model, **config.model_kwargs)
            if config.init_weights is not None:
                _load_init_weights(model, config.init_weights)
            if mixed:
                model = _float32_output(model)
            loss = _make_loss(config, family_info["output"], train_paths, run_dir)
            model.compile(
                optimizer=keras.optimizers.Adam(learning_rate=config.learning_rate), loss=loss
            )
            return model, 0
    finally:
        keras.config.set_dtype_policy(previous_policy)


def _environment(config, strategy, mixed: bool, initial_epoch: int) -> dict:
    """What ``environment.json`` records: backend, versions, precision, devices."""
    distribution = keras.distribution.distribution() if keras.backend.backend() == "jax" else None
    if strategy is None and distribution is not None:
        name = type(distribution).__name__
        replicas = int(np.prod(distribution.device_mesh.shape))
    else:
        name = type(strategy).__name__ if strategy is not None else None
        replicas = int(strategy.num_replicas_in_sync) if strategy is not None else 1
    role = worker_role()
    return {
        "backend": keras.backend.backend(),
        "keras": keras.__version__,
        "data_backend": _data_backend(config),
        "mixed_precision": mixed,
        "strategy": name,
        "replicas": replicas,
        "workers": role[2] if role is not None else 1,
        "gpus": _gpu_count(),
        "initial_epoch": initial_epoch,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


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
    # A MultiWorkerMirroredStrategy must exist before TensorFlow runs anything.
    strategy = _make_strategy(config)
    shared_dir = Path(config.run_dir).expanduser().resolve()
    fresh = not os.path.lexists(shared_dir)
    try:
        return _train(config, shared_dir, resume, callbacks, strategy)
    except BaseException:
        if fresh and is_chief():
            remove_unfinished_run(shared_dir)  # a run that failed before its first checkpoint
        raise


def _train(config: TrainConfig, shared_dir: Path, resume: bool, callbacks, strategy):
    if is_chief():
        run_dir = shared_dir
        checkpoints = prepare_run_dir(run_dir, resume)
    else:
        # Other workers write to a scratch folder and read the chief's checkpoints to resume.
        run_dir = Path(tempfile.mkdtemp(prefix="colorkit-worker-"))
        prepare_run_dir(run_dir, resume=False)
        checkpoints = epoch_checkpoints(shared_dir) if resume else {}

    family = config.model
    family_info = models.FAMILIES.get(family)
    if family_info is None:
        raise ValueError(
            f"Unknown model name: expected one of {models.available_models()}. "
            f"Received: model={config.model!r}"
        )
    if family not in models.PHOTO_TRAINED:
        raise ValueError(
            f"The {family!r} family trains on cached encoder features, not on photos: use a "
            f"recipe (colorkit train --recipe default) or colorkit.training.train_guided. "
            f"Expected one of {list(models.PHOTO_TRAINED)}. Received: model={config.model!r}"
        )
    keras.utils.set_random_seed(config.seed)
    train_paths, val_paths = resolve_splits(config)
    write_json(run_dir / "config.json", config.to_dict())

    mixed = _use_mixed_precision(config)
    model, initial_epoch = _build_or_resume(
        config, family_info, run_dir, checkpoints if resume else {}, strategy, mixed, train_paths,
        checkpoint_dir=shared_dir,
    )  # fmt: skip
    write_json(run_dir / "environment.json", _environment(config, strategy, mixed, initial_epoch))
    best = resume_run(run_dir, initial_epoch) if resume else math.inf
    state = {
        "best": best,
        "initial_epoch": initial_epoch,
        "ground_truth": None,
        "gray": None,
    }
    if config.preview_images:
        preview_paths = val_paths[: config.preview_images]
        state["ground_truth"], state["gray"] = save_preview_inputs(
            run_dir, preview_paths, config.image_size
        )

    history = keras.callbacks.History()
    if initial_epoch >= config.epochs:
        history.history = load_run(run_dir).history
        return history
    started = time.time()

    train_data, val_data, steps = _make_datasets(
        config, train_paths, val_paths, family_info["space"], strategy
    )
    train_data = seek_epoch(train_data, initial_epoch, steps)
    if _distribute_mode(config) == "multiworker":
        _build_from_local_replica(model, strategy)
    verbose, progress_callbacks = _progress(config, initial_epoch)
    callbacks = _make_callbacks(config, run_dir, state) + progress_callbacks + list(callbacks or [])
    history = model.fit(
        train_data,
        validation_data=val_data,
        epochs=config.epochs,
        initial_epoch=initial_epoch,
        steps_per_epoch=steps,
        callbacks=callbacks,
        verbose=verbose,
        shuffle=False,  # the pipelines shuffle (seeded) themselves
    )
    write_summary(run_dir, time.time() - started)
    return history
