"""Cached-feature training: the guided decoder trained on encoder features, with simulated hints.

This is the training engine's second data source. :class:`CachedBatches` (the data source)
and :func:`training_model` (the step function: the decoder, or its cell-sampling wrapper) run
behind the same run folder as photo training (``colorkit.training.run_folder``: the same
checkpoints, best/last, ``log.csv``, ``config.json``, ``summary.json`` and resume);
:func:`run_guided_recipe` chains the default recipe's three stages on one pair of caches.

The encoder is frozen, so its features come from a ``colorkit.features`` cache and only the
decoder (``colorkit.models.guided.guided_decoder``) trains. Each step reads a batch of cached
crops, flips half of them left-right (features, lightness and target together), and draws
simulated hints as Zhang, Zhu et al. (2017) did: with probability ``p_no_hints`` none (so that
zero hints is the automatic colorizer), otherwise a geometric number of points (mean
``mean_hints``) at uniform positions, each carrying the true 1/4-resolution ab there.

With ``sample_stride`` > 1 (the ``default`` recipe) the loss is computed at one
1/4-resolution cell per ``sample_stride`` x ``sample_stride`` block, at a random phase per crop
and step (``guided.sampled_trainer``), and the simulated hints sit on those cells: the
decoder's layers run at full resolution, but its 313-bin output layer, softmax and loss only
on those cells, which is most of what a step on cached features costs. Validation scores every
cell (each crop at every phase), so the validation loss is the full one.

Batches depend only on ``(seed, epoch, batch index)``, and the model (with its optimizer state)
is saved atomically after every epoch, so a killed run resumed from its last checkpoint gives
the same weights as a run that was never killed.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import keras
import numpy as np

from colorkit import atomic, color, data, features, losses
from colorkit._checks import check_bool, check_int
from colorkit.evaluation import sources
from colorkit.models import encoders, guided, saving
from colorkit.training import run_folder
from colorkit.training.callbacks import RunCheckpoint, StepTimer
from colorkit.training.config import GuidedConfig, config_to_dict

#: The default recipe's second stage: the best epoch of the first is fine-tuned with spread
#: blocks and more hints (fewer crops without any), so that a click reaches further; its
#: epochs and learning rate come from the recipe's second ``Stage``.
FINETUNE_SETTINGS = {"p_no_hints": 0.2, "mean_hints": 10.0, "seed": 7, "spread": True}
#: The stages after the first, in order: each trains in ``<work>/<name>/`` and records
#: ``<name>_from``, ``<name>_seconds`` and ``<name>_peak_rss_gib`` in ``summary.json``.
LATER_STAGES = ("finetune", "last_stage")


def recipe_peak_rss_gib(summary: dict) -> float:
    """The recipe's peak memory in GiB from its ``summary.json``: the highest of its stages'
    processes (a stage resumed in a process of its own records its peak separately)."""
    keys = ("peak_rss_gib", *(f"{name}_peak_rss_gib" for name in LATER_STAGES))
    return max(float(summary.get(key, 0.0)) for key in keys)


#: The default recipe's third stage: the fine-tune's last epoch trained further together with
#: the encoder's last stage, on the same hints; epochs and learning rate from its third ``Stage``.
LAST_STAGE_SETTINGS = {**FINETUNE_SETTINGS, "last_stage": True}


def simulate_hints(
    ab: np.ndarray,
    rng: np.random.Generator,
    p_no_hints: float,
    mean_hints: float,
    max_hints: int,
    phase: np.ndarray | None = None,
    stride: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """Random ground-truth hints on 1/4-resolution ab targets.

    Args:
        ab: float32 ``(B, h, w, 2)`` model-scale ab (ab / 110).
        rng: Random generator.
        p_no_hints: Probability that a crop gets no hint at all, in [0, 1].
        mean_hints: Mean of the geometric number of hints otherwise (>= 1).
        max_hints: Cap on the number of hints (>= 1).
        phase: Optional int ``(B, 2)``: put crop b's hints on the cells the sampled loss
            scores (``guided.sample_cells`` with ``stride``), so that a hinted cell is scored.
        stride: The sampled loss's stride (with ``phase``).

    Returns:
        ``(hint_ab (B, h, w, 2), hint_mask (B, h, w, 1))`` float32: the true ab at the hinted
        cells (zero elsewhere) and 1 at the hinted cells.

    Example:
        >>> ab = np.ones((2, 4, 4, 2), np.float32)
        >>> hint_ab, mask = simulate_hints(ab, np.random.default_rng(0), 0.0, 3.0, 5)
        >>> bool(np.all(hint_ab == mask * ab)), mask.shape
        (True, (2, 4, 4, 1))
    """
    batch, height, width, _ = ab.shape
    mask = np.zeros((batch, height, width, 1), np.float32)
    for index in range(batch):
        if rng.random() < p_no_hints:
            continue
        count = min(int(rng.geometric(1.0 / mean_hints)), max_hints)
        if phase is None:
            rows = rng.integers(0, height, count)
            cols = rng.integers(0, width, count)
        else:
            rows = phase[index, 0] + stride * rng.integers(0, height // stride, count)
            cols = phase[index, 1] + stride * rng.integers(0, width // stride, count)
        mask[index, rows, cols, 0] = 1.0
    return ab * mask, mask


class CachedBatches(keras.utils.PyDataset):
    """Batches of cached features with flips and simulated hints, seeded by (seed, epoch).

    Args:
        cache: An open ``features.FeatureCache``.
        config: The run's ``GuidedConfig``.
        train: Shuffle, flip and simulate hints (training) or read in order without hints
            (validation; the last partial batch is kept).
        epoch: The epoch these batches belong to (it seeds their order, flips and hints).
        order: Training only: the cache rows of the batches, in order (batch ``i`` reads rows
            ``order[i * batch_size : (i + 1) * batch_size]``; a partial last batch is
            dropped), e.g. :func:`repeated_order` of some rows for a study; default a
            permutation of every row drawn from ``(seed, epoch)``.
    """

    def __init__(
        self,
        cache,
        config: GuidedConfig,
        train: bool = True,
        epoch: int = 0,
        order: np.ndarray | None = None,
    ):
        # Two threads prepare batches while the model trains (NumPy releases the GIL); the
        # batches stay in order and depend only on their index, so runs are reproducible.
        super().__init__(workers=2, use_multiprocessing=False, max_queue_size=4)
        if order is not None and not train:
            raise ValueError("order applies to training batches only. Received: train=False")
        self.cache = cache
        self.config = config
        self.train = train
        self.epoch = epoch
        self._order = None if order is None else np.asarray(order)
        self._fixed_order = order is not None
        self._order_epoch = None

    def __len__(self) -> int:
        if self.train:
            rows = len(self._order) if self._fixed_order else self.cache.count
            return rows // self.config.batch_size
        return -(-self._rows // self.config.batch_size)

    @property
    def _rows(self) -> int:
        """Validation rows: every crop at every sampling phase (all its cells are scored)."""
        return self.cache.count * self.config.sample_stride**2

    def _indices(self, index: int) -> np.ndarray:
        size = self.config.batch_size
        if not self.train:
            return np.arange(index * size, min((index + 1) * size, self._rows))
        if not self._fixed_order and self._order_epoch != self.epoch:
            rng = np.random.default_rng([self.config.seed, self.epoch])
            self._order = rng.permutation(self.cache.count)
            self._order_epoch = self.epoch
        return np.sort(self._order[index * size : (index + 1) * size])

    def __getitem__(self, index: int):
        stride = self.config.sample_stride
        indices = self._indices(index)
        if not self.train:  # validation row v is crop v // stride**2 at phase v % stride**2
            crops, cells = np.divmod(indices, stride**2)
            unique, inverse = np.unique(crops, return_inverse=True)
            rows = {k: v[inverse] for k, v in self.cache.read(unique, dtype="float16").items()}
            phase = np.stack(np.divmod(cells, stride), axis=1)
        else:
            rows = self.cache.read(indices, dtype="float16")
        rows["ab"] = rows["ab"].astype(np.float32)
        rows["lightness"] = rows["lightness"].astype(np.float32)
        if self.train:
            rng = np.random.default_rng([self.config.seed, self.epoch, index])
            flip = rng.random(len(rows["ab"])) < 0.5
            for name in rows:
                rows[name][flip] = rows[name][flip, :, ::-1]
            phase = rng.integers(0, stride, (len(rows["ab"]), 2)) if stride > 1 else None
            hint_ab, mask = simulate_hints(
                rows["ab"],
                rng,
                self.config.p_no_hints,
                self.config.mean_hints,
                self.config.max_hints,
                phase=phase,
                stride=stride,
            )
        else:
            hint_ab = np.zeros_like(rows["ab"])
            mask = np.zeros_like(rows["lightness"])
        taps = (rows["stage2"], rows["stage3"])
        if not self.config.last_stage:  # else the trained last stage computes stage4
            taps += (rows["stage4"],)
        inputs = (*taps, rows["lightness"], hint_ab, mask)
        if stride == 1:
            return inputs, rows["ab"]
        phase = phase.astype(np.int32)
        return (*inputs, phase), guided.sample_cells(rows["ab"], phase, stride)


def repeated_order(rows, steps: int, batch_size: int, seed) -> np.ndarray:
    """``steps * batch_size`` cache rows for :class:`CachedBatches` ``order``: ``rows``
    permuted (a fresh permutation each time round) by ``numpy.random.default_rng(seed)``,
    repeated until the steps are filled.

    Example:
        >>> order = repeated_order(np.arange(3), steps=2, batch_size=2, seed=0)
        >>> len(order), sorted(order[:3].tolist())
        (4, [0, 1, 2])
    """
    rng = np.random.default_rng(seed)
    need = steps * batch_size
    repeats = -(-need // len(rows))
    return np.concatenate([rng.permutation(rows) for _ in range(repeats)])[:need]


def cache_prior(cache, max_rows: int = 4000, seed: int = 0) -> np.ndarray:
    """Empirical ab prior (313 bins, sums to 1) of a cache's 1/4-resolution targets."""
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.permutation(cache.count)[:max_rows])
    ab = np.concatenate([cache.read(rows[i : i + 256])["ab"] for i in range(0, len(rows), 256)])
    return color.ab_prior(ab.reshape(-1, 2) * color.AB_SCALE)


def best_checkpoint(run_dir: str | os.PathLike) -> Path:
    """The checkpoint of a run's epoch with the lowest validation loss (``log.csv``).

    The decoder memorises its cached crops: after a few epochs its validation loss rises while
    the training loss keeps falling, so the first stage is stopped early on BSDS500 val.

    Args:
        run_dir: A run folder (``checkpoints/epoch_NNN.keras`` and ``log.csv``).

    Returns:
        Path of that epoch's ``checkpoints/epoch_NNN.keras``.

    Raises:
        FileNotFoundError: If no epoch listed in ``log.csv`` has its checkpoint.
    """
    run_dir = Path(run_dir)
    best = run_folder.best_epoch(run_dir)
    if best is None:
        raise FileNotFoundError(
            f"No checkpoint listed in '{run_dir / 'log.csv'}' exists in '{run_dir / 'checkpoints'}'"
        )
    return run_folder.epoch_checkpoints(run_dir)[best]


def last_checkpoint(run_dir: str | os.PathLike) -> Path:
    """The checkpoint of a run's last epoch (``checkpoints/epoch_NNN.keras``).

    Raises:
        FileNotFoundError: If the run has no checkpoint.
    """
    checkpoints = run_folder.epoch_checkpoints(Path(run_dir))
    if not checkpoints:
        raise FileNotFoundError(f"No checkpoint in '{Path(run_dir) / 'checkpoints'}'")
    return checkpoints[max(checkpoints)]


def _copy_matching_weights(model: keras.Model, source: keras.Model) -> None:
    """Weights of ``source``'s layers into ``model``'s layers of the same name and shapes."""
    names = {layer.name for layer in source.layers}
    for layer in model.layers:
        if layer.weights and layer.name in names:
            layer.set_weights(source.get_layer(layer.name).get_weights())


def train_guided(
    run_dir: str | os.PathLike,
    train_cache: str | os.PathLike,
    val_cache: str | os.PathLike,
    config: GuidedConfig | None = None,
    verbose: int = 2,
    callbacks: list | None = None,
    init_decoder: str | os.PathLike | None = None,
    in_memory: bool = True,
    resume: bool = False,
    rows: features.BalancedRows | None = None,
) -> keras.Model:
    """Trains (or resumes) the guided decoder on cached features, in a training run folder.

    The run folder has the layout of every colorkit run (``colorkit.training.run_folder``):
    ``config.json`` (the ``GuidedConfig``, ``"kind": "cached_features"``), ``ab_prior.npy``
    and ``rebalancing_weights.npy``, ``checkpoints/epoch_NNN.keras`` (the compiled decoder
    with its optimizer state, every epoch: the export takes the best or the last, the learning
    curve and the epoch replay use them all), ``best.keras``, ``last.keras``, ``log.csv``
    (epochs counted from 0, as Keras does) and ``summary.json``.

    Args:
        run_dir: The run folder.
        train_cache: Training feature cache folder.
        val_cache: Validation feature cache folder (same encoder and crop size).
        config: Run settings (default ``GuidedConfig()``); a resumed run must use the same.
        verbose: Keras ``fit`` verbosity.
        callbacks: Extra Keras callbacks (after the run's own).
        init_decoder: A decoder ``.keras`` file whose layers start a fresh run (layers it
            lacks, e.g. spread blocks, keep their initialisation); ignored when resuming.
        in_memory: Load both caches into RAM (about 235 kB per crop) or read each batch's
            rows from disk (``FeatureCache(in_memory=False)``: a cache larger than memory; the
            same batches and weights). A storage choice, not a setting of the run.
        resume: Continue the run in ``run_dir`` from its last loadable checkpoint.
        rows: Which training rows each epoch takes (``features.BalancedRows``: a quota of
            each source, drawn afresh from ``(seed, epoch)``), recorded in ``config.json``
            (a resumed run must use the same); None: every row, shuffled.

    Returns:
        The trained decoder (``guided_decoder``), compiled; with ``config.last_stage`` the
        decoder behind the trained last stage (``guided.decoder_with_last_stage``).

    Raises:
        TypeError: If ``in_memory`` or ``resume`` is not a bool.
        FileExistsError: If ``run_dir`` holds checkpoints and ``resume`` is False.
        ValueError: If ``run_dir`` holds a run with other settings, or a run in the layout
            before the common run folder (:func:`upgrade_run_folder` moves it).
    """
    config = GuidedConfig() if config is None else config
    check_int("sample_stride", config.sample_stride)
    check_bool("in_memory", in_memory)
    check_bool("resume", resume)
    run_dir = Path(run_dir)
    if any(run_dir.glob("epoch_*.keras")):
        raise ValueError(
            f"'{run_dir}' is a cached-feature run in the layout before the common run folder "
            "(epoch_NNN.keras beside log.csv): upgrade it first with "
            f"colorkit.training.cached.upgrade_run_folder('{run_dir}')"
        )
    _check_same_settings(run_dir, config, rows)
    fresh = not run_dir.exists()
    try:
        return _train_guided(
            run_dir, train_cache, val_cache, config, verbose, callbacks, init_decoder, in_memory,
            resume, rows,
        )  # fmt: skip
    except BaseException:
        if fresh:
            run_folder.remove_unfinished_run(run_dir)  # failed before its first checkpoint
        raise


def _train_guided(
    run_dir, train_cache, val_cache, config, verbose, callbacks, init_decoder, in_memory, resume,
    rows,
):  # fmt: skip
    """``train_guided`` once its arguments are checked."""
    checkpoints = run_folder.prepare_run_dir(run_dir, resume)
    recorded = config_to_dict(config)
    if rows is not None:
        recorded["rows"] = rows.to_dict()
    run_folder.write_json(run_dir / "config.json", recorded)
    train = features.FeatureCache(train_cache, in_memory=in_memory)
    val = features.FeatureCache(
        val_cache, train.meta["encoder"], train.meta["crop_size"], in_memory=in_memory
    )
    if config.last_stage and train.meta["encoder"] != "resnet50_1by2":
        raise ValueError(
            "last_stage=True trains the ResNet-50-1by2's last stage on cached stage3 features: "
            f"expected a cache built with encoder 'resnet50_1by2'. "
            f"Received: encoder={train.meta['encoder']!r} in '{train_cache}'"
        )
    # The caches hold several GB in RAM: free them when this stage ends, so that the next
    # stage of a recipe in the same process does not hold two copies.
    if rows is not None and rows.count != train.count:
        raise ValueError(
            f"rows describes {rows.count} cache rows, the cache in '{train_cache}' holds "
            f"{train.count}. Received: rows={rows.to_dict()}"
        )
    try:
        per_epoch = len(rows) if rows is not None else train.count
        model, initial_epoch = _build_or_resume(
            run_dir, train, config, checkpoints, init_decoder, per_epoch
        )
        return _fit(run_dir, model, initial_epoch, train, val, config, verbose, callbacks, rows)
    finally:
        train.close()
        val.close()


def upgrade_run_folder(run_dir: str | os.PathLike) -> bool:
    """Move a cached-feature run written before the common run-folder layout into it.

    Such a folder holds ``epoch_NNN.keras`` beside ``log.csv`` (epochs counted from 1) and
    ``prior.npy``. They become ``checkpoints/epoch_NNN.keras``, a ``log.csv`` counting from 0,
    ``ab_prior.npy``, ``best.keras`` / ``last.keras`` and a ``config.json`` with its kind; the
    checkpoints themselves are unchanged, so the run resumes where it stopped.

    Returns:
        Whether the folder was in the old layout (and is now upgraded).
    """
    run_dir = Path(run_dir)
    old = sorted(run_dir.glob("epoch_*.keras"))
    if not old:
        return False
    (run_dir / "checkpoints").mkdir(exist_ok=True)
    for path in old:
        os.replace(path, run_dir / "checkpoints" / path.name)
    fields, rows = run_folder.read_csv(run_dir / "log.csv")
    if fields:
        for row in rows:
            row["epoch"] = str(int(float(row["epoch"])) - 1)
        run_folder.write_csv_atomic(run_dir / "log.csv", fields, rows)
    if (run_dir / "prior.npy").exists():
        os.replace(run_dir / "prior.npy", run_dir / "ab_prior.npy")
    config = json.loads((run_dir / "config.json").read_text())
    config.pop("kind", None)
    upgraded = config_to_dict(GuidedConfig.from_dict(config))
    balance = run_dir / "balance.json"  # the rows per epoch, kept beside config.json before
    if balance.exists():
        rows = json.loads(balance.read_text())
        if rows is not None:
            upgraded["rows"] = rows
        balance.unlink()
    run_folder.write_json(run_dir / "config.json", upgraded)
    run_folder.copy_atomic(last_checkpoint(run_dir), run_dir / "last.keras")
    if run_folder.best_epoch(run_dir) is not None:
        run_folder.copy_atomic(best_checkpoint(run_dir), run_dir / "best.keras")
    run_folder.write_summary(run_dir, None)
    return True


def _check_same_settings(run_dir: Path, config: GuidedConfig, rows=None) -> None:
    """Refuse to continue a run with other settings (added settings take their defaults)."""
    path = run_dir / "config.json"
    if not path.exists():
        return
    found = {**GuidedConfig().to_dict(), **json.loads(path.read_text())}
    found.pop("kind", None)
    found_rows = found.pop("rows", None)
    if found_rows != (None if rows is None else rows.to_dict()):
        raise ValueError(
            f"'{run_dir}' holds a run with other rows per epoch: {found_rows}. "
            f"Received: rows={None if rows is None else rows.to_dict()}"
        )
    if found != config.to_dict():
        raise ValueError(
            f"'{run_dir}' holds a run with other settings: {found}. "
            f"Received: config={config.to_dict()}"
        )


def _build_or_resume(run_dir, train, config, checkpoints, init_decoder, per_epoch):
    """``(compiled decoder, initial epoch)``: the latest checkpoint, or a new decoder."""
    prior_path = run_dir / "ab_prior.npy"
    if not prior_path.exists():
        run_folder.save_npy_atomic(prior_path, cache_prior(train, seed=config.seed))
    weights = np.asarray(color.rebalancing_weights(np.load(prior_path), lam=config.lam))
    run_folder.save_npy_atomic(run_dir / "rebalancing_weights.npy", weights.astype(np.float32))
    if checkpoints:
        return run_folder.load_latest_checkpoint(run_dir, checkpoints)
    keras.utils.set_random_seed(config.seed)
    model = guided.guided_decoder(width=config.width, spread=config.spread)
    if init_decoder is not None:
        _copy_matching_weights(model, keras.saving.load_model(init_decoder, compile=False))
    if config.last_stage:
        model = guided.decoder_with_last_stage(model, encoders.last_stage())
    steps = config.epochs * (per_epoch // config.batch_size)
    return compile_decoder(model, weights, config, steps), 0


def compile_decoder(model: keras.Model, prior_weights, config: GuidedConfig, steps: int):
    """Compile a decoder (or decoder with last stage) as cached-feature training does.

    Adam at ``config.learning_rate`` ("cosine": decayed per step to 5% over ``steps``
    steps), the rebalanced soft cross-entropy with ``prior_weights``; the optimizer is built
    on the decoder's own variables, which the sampled training model shares, so the saved
    decoder carries the optimizer's state and a resumed run continues it.

    Returns:
        ``model``, compiled.
    """
    learning_rate = config.learning_rate
    if config.lr_schedule == "cosine":
        learning_rate = keras.optimizers.schedules.CosineDecay(
            config.learning_rate, decay_steps=steps, alpha=0.05
        )
    optimizer = keras.optimizers.Adam(learning_rate)
    optimizer.build(model.trainable_variables)
    loss = losses.SoftEncodedCrossEntropy(prior_weights=prior_weights)
    model.compile(optimizer=optimizer, loss=loss)
    return model


def training_model(decoder: keras.Model, config: GuidedConfig) -> keras.Model:
    """The step function of a cached-feature run: the model ``fit`` trains.

    The decoder itself, or with ``sample_stride`` > 1 the sampling wrapper that runs the
    313-bin layer, softmax and loss on one cell per block (``guided.sampled_trainer``),
    compiled with the decoder's own optimizer and loss (so the saved decoder holds its state).
    """
    if config.sample_stride == 1:
        return decoder
    trainer = guided.sampled_trainer(decoder, config.sample_stride)
    trainer.compile(optimizer=decoder.optimizer, loss=decoder.loss)
    return trainer


def _fit(run_dir, model, initial_epoch, train, val, config, verbose, callbacks, rows=None):
    """Train ``model`` from ``initial_epoch`` to ``config.epochs``, recording the run folder."""
    state = {"best": run_folder.resume_run(run_dir, initial_epoch)}
    if initial_epoch >= config.epochs:
        return model
    started = time.time()
    trainer = training_model(model, config)
    validation = CachedBatches(val, config, train=False)
    own = [
        StepTimer(),
        keras.callbacks.CSVLogger(str(run_dir / "log.csv"), append=True),
        RunCheckpoint(run_dir, state, saved=model),
    ]
    # One fit call per epoch: each epoch's batches are built for that epoch number, so the
    # order never depends on when Keras calls a dataset's on_epoch_end (it prefetches).
    for epoch in range(initial_epoch, config.epochs):
        trainer.fit(
            CachedBatches(
                train,
                config,
                train=True,
                epoch=epoch,
                order=None if rows is None else rows.epoch(epoch),
            ),
            validation_data=validation,
            epochs=epoch + 1,
            initial_epoch=epoch,
            shuffle=False,  # the batches are already shuffled by (seed, epoch); Keras' own
            # shuffle of a PyDataset's batch order uses Python's global random state
            callbacks=[*own, *(callbacks or [])],
            verbose=verbose,
        )
    run_folder.write_summary(run_dir, time.time() - started)
    return model


#: The photos a cached-feature recipe can train on, ``(dataset, split)`` -> ``(views per photo,
#: photos in a smoke run, views in a smoke run)``: a source not listed here is refused.
SOURCE_VIEWS = {
    ("imagenet-sample", None): (6, 16, 2),
    ("bsds500", "train"): (8, 8, 2),
    ("clothing", None): (3, 8, 1),
    ("cifar10", None): (1, 32, 1),
}
#: The default recipe's training photos (``SOURCE_VIEWS`` order, before the collections below).
DEFAULT_TRAIN_SOURCES = tuple(SOURCE_VIEWS)
#: The collections held out by photo (``data.hashed_split``) that the real-photo recipe adds:
#: each one's ``train`` split, one view per photo.
REAL_COLLECTIONS = ("imagenette", "imagewoof", "caltech101", "intel-scenes", "utkface")
SOURCE_VIEWS.update({(name, "train"): (1, 8, 1) for name in REAL_COLLECTIONS})
#: The multi-source validation set as a ``val_source``: BSDS500 val x 2 views and
#: ``MULTI_SOURCE_VAL_PHOTOS`` photos of each collection's ``val`` split x 1
#: (``colorkit.evaluation.sources.source_photos``).
MULTI_SOURCE_VAL = ("multi-source", "val")
MULTI_SOURCE_VAL_PHOTOS = 100
#: Validation photos of a cached-feature recipe and their views (full run, smoke photos, smoke).
VAL_VIEWS = {("bsds500", "val"): (2, 16, 1), MULTI_SOURCE_VAL: (1, 4, 1)}


def _source_photos(source: tuple, cifar_step: int) -> list:
    """The photo paths of one ``(dataset, split)`` of ``SOURCE_VIEWS`` or ``VAL_VIEWS``."""
    name, split = source
    if source == ("imagenet-sample", None):  # its grayscale photos are left out
        return data.scan_images(data.dataset_paths(name)).paths
    if source == ("clothing", None):  # a folder beside the registered datasets
        return data.list_images(data.dataset_root("bsds500").parent / "clothing")
    paths = data.dataset_paths(name, split)
    return paths[::cifar_step] if source == ("cifar10", None) else paths


def plan_sources(
    train_sources=DEFAULT_TRAIN_SOURCES,
    val_source=("bsds500", "val"),
    smoke: bool = False,
    cifar_step: int = 3,
) -> tuple[list, list]:
    """A cached-feature recipe's photos as ``(paths, views per photo)`` lists.

    Args:
        train_sources: ``(dataset, split)`` pairs, each a key of ``SOURCE_VIEWS``.
        val_source: ``(dataset, split)``, a key of ``VAL_VIEWS``.
        smoke: A few photos of each source (tests; ``cifar_step`` is then checked, not used).
        cifar_step: Take every ``cifar_step``-th of CIFAR-10's 50,000 training photos.

    Returns:
        ``(train, val)``: lists of ``(paths, views)`` for ``features.crop_plan``.

    Raises:
        ValueError: For a source without views in ``SOURCE_VIEWS`` / ``VAL_VIEWS`` (the
            message names the field), or a ``cifar_step`` that is not an int >= 1.
    """
    cifar_step = check_int("cifar_step", cifar_step)
    plans = []
    for field, chosen, table in (
        ("train_sources", tuple(map(tuple, train_sources)), SOURCE_VIEWS),
        ("val_source", (tuple(val_source),), VAL_VIEWS),
    ):
        unknown = [source for source in chosen if source not in table]
        if unknown:
            raise ValueError(
                f"A cached-feature recipe's {field} must come from {list(table)}. "
                f"Received: {field}={unknown}"
            )
        plan = []
        for source in chosen:
            if source == MULTI_SOURCE_VAL:
                plan += _multi_source_val(smoke)
                continue
            views, smoke_photos, smoke_views = table[source]
            photos = _source_photos(source, 1 if smoke else cifar_step)
            plan.append((photos[:smoke_photos], smoke_views) if smoke else (photos, views))
        plans.append(plan)
    return plans[0], plans[1]


def _multi_source_val(smoke: bool) -> list:
    """``MULTI_SOURCE_VAL``'s ``(paths, views)`` entries, one per collection."""
    _, smoke_photos, smoke_views = VAL_VIEWS[MULTI_SOURCE_VAL]
    held_out = sources.source_photos(
        "val", smoke_photos if smoke else MULTI_SOURCE_VAL_PHOTOS, REAL_COLLECTIONS
    )
    bsds = data.dataset_paths("bsds500", "val")
    bsds_entry = (
        (bsds[:smoke_photos], smoke_views) if smoke else (bsds, VAL_VIEWS[("bsds500", "val")][0])
    )
    return [bsds_entry] + [(held_out[name], 1) for name in REAL_COLLECTIONS]


def default_plan_sources(smoke: bool = False, cifar_step: int = 3) -> tuple[list, list]:
    """The default recipe's photos as ``(paths, views per photo)`` for training and validation.

    Training: ImageNet-sample (grayscale photos left out) x 6 views, BSDS500 train x 8,
    ``clothing/`` x 3 and every ``cifar_step``-th CIFAR-10 photo (upscaled from 32 px) x 1;
    validation: BSDS500 val x 2. ``smoke`` takes a few photos of each for tests
    (:func:`plan_sources` with the default sources).

    Raises:
        ValueError: If ``cifar_step`` is not an int >= 1.
    """
    return plan_sources(smoke=smoke, cifar_step=cifar_step)


def _build_caches(work: Path, train_sources, val_source, smoke, cifar_step, crop_size) -> dict:
    """Build (or resume) ``cache_train/`` and ``cache_val/``; what the recipe summary records."""
    train_sources_plan, val_plan = plan_sources(train_sources, val_source, smoke, cifar_step)
    train_plan = features.crop_plan(train_sources_plan, seed=0)
    val_plan = features.crop_plan(val_plan, seed=1)
    print(f"plan: {len(train_plan)} training crops, {len(val_plan)} validation crops", flush=True)
    features.build_feature_cache(work / "cache_val", val_plan, crop_size=crop_size)
    features.build_feature_cache(work / "cache_train", train_plan, crop_size=crop_size)
    # What building the caches took, whichever process built them (None: not recorded).
    parts = [features.build_seconds(work / name) for name in ("cache_val", "cache_train")]
    return {
        "train_crops": len(train_plan),
        "val_crops": len(val_plan),
        "source_crops": list(features.source_sizes(train_sources_plan)),
        "cache_build_seconds": None if None in parts else round(sum(parts), 1),
    }


def _recipe_stages(config, finetune, last_stage) -> list[tuple[str, GuidedConfig]]:
    """``(run folder name, settings)`` of the recipe's stages: the last stage needs the second."""
    stages = [("run", config)]
    if finetune is not None:
        stages.append(("finetune", finetune))
        if last_stage is not None:
            stages.append(("last_stage", last_stage))
    return stages


def run_guided_recipe(
    work: str | os.PathLike,
    config: GuidedConfig,
    smoke: bool = False,
    finetune: GuidedConfig | None = None,
    last_stage: GuidedConfig | None = None,
    cifar_step: int = 3,
    in_memory: bool = True,
    resume: bool = True,
    crop_size: int = 128,
    train_sources=DEFAULT_TRAIN_SOURCES,
    val_source=("bsds500", "val"),
    quota: int | None = None,
) -> Path:
    """The whole default recipe, resumable at every step: caches, decoder, fine-tune, last stage.

    Args:
        work: Folder for ``cache_train/``, ``cache_val/``, the run folders ``run/``,
            ``finetune/`` and ``last_stage/`` (``colorkit.training.run_folder`` layout) and
            the recipe's ``summary.json``.
        config: The decoder's training settings.
        smoke: A seconds-long version on a few photos (tests).
        finetune: Settings of a second stage that starts from the first stage's best epoch
            (:func:`best_checkpoint`) and trains in ``finetune/``; None: no second stage.
        last_stage: Settings (``last_stage=True``) of a third stage that starts from the
            second's last epoch and trains it with the encoder's last stage in
            ``last_stage/``; None: no third stage (it needs the second).
        cifar_step: Which CIFAR-10 photos the training plan takes (:func:`plan_sources`).
        in_memory: Train from caches loaded into RAM, or read each batch from disk
            (:func:`train_guided`; for a training cache larger than the memory goal).
        resume: Continue stages that have checkpoints (False: such a stage is refused).
        crop_size: Side of the cached crops in pixels (the recipe's ``Stage.image_size``).
        train_sources: ``(dataset, split)`` training photos (keys of ``SOURCE_VIEWS``).
        val_source: ``(dataset, split)`` validation photos (a key of ``VAL_VIEWS``).
        quota: Most crops of one training source per epoch (``features.BalancedRows``,
            drawn afresh every epoch, so a large source cannot dominate), or None: every crop
            every epoch.

    Returns:
        The last stage's run folder (its ``last.keras`` is the trained decoder).
    """
    check_bool("in_memory", in_memory)
    check_bool("resume", resume)
    work = Path(work)
    start = time.time()
    facts = _build_caches(work, train_sources, val_source, smoke, cifar_step, crop_size)
    # The summary keeps what earlier processes of a resumed recipe recorded; each stage's time
    # and the process's peak memory are recorded by the process that trained it.
    summary_path = work / "summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
    if facts["cache_build_seconds"] is None and "cache_build_seconds" in summary:
        facts.pop("cache_build_seconds")
    sizes = tuple(facts.pop("source_crops"))
    summary.update(facts)
    rows = None if quota is None else features.BalancedRows(sizes, quota)
    last, base = work / "run", None
    for name, settings in _recipe_stages(config, finetune, last_stage):
        seconds_key, peak_key, tick = "total_seconds", "peak_rss_gib", start
        if name != "run":
            # The fine-tune starts from the first stage's best epoch, the last stage from the
            # fine-tune's last epoch (the recipe's design, not chosen on val).
            base = best_checkpoint(last) if name == "finetune" else last_checkpoint(last)
            summary[f"{name}_from"] = base.relative_to(work).as_posix()
            seconds_key, peak_key, tick = f"{name}_seconds", f"{name}_peak_rss_gib", time.time()
        folder = work / name
        done = run_folder.epoch_checkpoints(folder)
        trains = (max(done) if done else 0) < settings.epochs
        train_guided(
            folder,
            work / "cache_train",
            work / "cache_val",
            settings,
            init_decoder=base,
            in_memory=in_memory,
            resume=resume,
            rows=rows,
        )
        if trains:
            summary[seconds_key] = round(time.time() - tick, 1)
            summary[peak_key] = round(run_folder.peak_rss_gib(), 2)
        last = folder
    atomic.write_json(work / "summary.json", summary)
    return last


def colorizer_from_run(
    run_dir: str | os.PathLike,
    checkpoint: str | os.PathLike | None = None,
    temperature: float | None = None,
    saturation: float | None = None,
) -> keras.Model:
    """The full guided colorizer (``guided.guided_zhang``, spec attached) from a run's decoder.

    What the checkpoint holds is read from the run's ``config.json`` (``GuidedConfig
    .last_stage``: the decoder behind a trained encoder last stage, or the decoder alone),
    never guessed from a model's name.

    Args:
        run_dir: A cached-feature run folder.
        checkpoint: One of its checkpoints (default ``last.keras``).
        temperature: Decoding temperature stored in the colorizer's ``ModelSpec``.
        saturation: Chroma multiplier stored in it.

    Returns:
        The colorizer (``colorkit_guided``); the encoder is rebuilt from its package at load
        time, so a saved file holds what was trained.

    Raises:
        FileNotFoundError: If the run or the checkpoint does not exist.
        ValueError: If ``run_dir`` is not a cached-feature run.
    """
    run = run_folder.load_run(run_dir)
    if not isinstance(run.config, GuidedConfig):
        raise ValueError(
            f"Expected a cached-feature run (config.json kind 'cached_features'). "
            f"Received: run_dir='{run.run_dir}'"
        )
    path = Path(checkpoint) if checkpoint is not None else run.checkpoint("last")
    return colorizer_from_decoder(
        saving.load_file(path), run.config.last_stage, temperature, saturation
    )


def colorizer_from_decoder(
    trained: keras.Model,
    last_stage: bool,
    temperature: float | None = None,
    saturation: float | None = None,
) -> keras.Model:
    """The full guided colorizer from a trained decoder model.

    Args:
        trained: A ``guided_decoder``, or with ``last_stage`` a
            ``guided.decoder_with_last_stage`` model (its run's ``GuidedConfig.last_stage``).
        last_stage: Whether ``trained`` holds a trained encoder last stage.
        temperature: Decoding temperature stored in the colorizer's ``ModelSpec``.
        saturation: Chroma multiplier stored in it.

    Returns:
        The colorizer (``colorkit_guided``).
    """
    settings = {"temperature": temperature, "saturation": saturation}
    if check_bool("last_stage", last_stage):
        decoder = trained.get_layer("guided_decoder")
        block = trained.get_layer("stage4_block")
        return guided.guided_zhang(decoder=decoder, last_stage=block, **settings)
    return guided.guided_zhang(decoder=trained, **settings)
