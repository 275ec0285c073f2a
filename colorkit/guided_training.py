"""Training the guided decoder on cached encoder features, with simulated user hints.

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

import csv
import dataclasses
import json
import os
import resource
import time
from pathlib import Path

import keras
import numpy as np

from colorkit import atomic, color, data, features, losses
from colorkit._checks import check_bool, check_int
from colorkit.evaluation import sources
from colorkit.models import encoders, guided
from colorkit.train import save_model_atomic


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

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


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
        rows: Which rows each training epoch takes (``features.BalancedRows``: a quota per
            source, drawn afresh every epoch); None: every row, shuffled.
    """

    def __init__(
        self,
        cache,
        config: GuidedConfig,
        train: bool = True,
        epoch: int = 0,
        rows: features.BalancedRows | None = None,
    ):
        # Two threads prepare batches while the model trains (NumPy releases the GIL); the
        # batches stay in order and depend only on their index, so runs are reproducible.
        super().__init__(workers=2, use_multiprocessing=False, max_queue_size=4)
        self.cache = cache
        self.config = config
        self.train = train
        self.epoch = epoch
        self._order = None
        self._order_epoch = None
        if rows is not None and rows.count != cache.count:
            raise ValueError(
                f"rows describes {rows.count} cache rows, the cache holds {cache.count}. "
                f"Received: rows={rows.to_dict()}"
            )
        self.rows = rows

    def __len__(self) -> int:
        if self.train:
            total = len(self.rows) if self.rows is not None else self.cache.count
            return total // self.config.batch_size
        return -(-self._rows // self.config.batch_size)

    @property
    def _rows(self) -> int:
        """Validation rows: every crop at every sampling phase (all its cells are scored)."""
        return self.cache.count * self.config.sample_stride**2

    def _indices(self, index: int) -> np.ndarray:
        size = self.config.batch_size
        if not self.train:
            return np.arange(index * size, min((index + 1) * size, self._rows))
        if self._order_epoch != self.epoch:
            if self.rows is not None:
                self._order = self.rows.epoch(self.epoch)
            else:
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


def cache_prior(cache, max_rows: int = 4000, seed: int = 0) -> np.ndarray:
    """Empirical ab prior (313 bins, sums to 1) of a cache's 1/4-resolution targets."""
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.permutation(cache.count)[:max_rows])
    ab = np.concatenate([cache.read(rows[i : i + 256])["ab"] for i in range(0, len(rows), 256)])
    return color.ab_prior(ab.reshape(-1, 2) * color.AB_SCALE)


class _EpochCheckpoint(keras.callbacks.Callback):
    """Saves ``saved`` (the decoder, compiled with the optimizer the training model uses, so
    its state is in the file) after every epoch and appends the epoch's logs to ``log.csv``."""

    def __init__(self, run_dir: Path, saved: keras.Model):
        super().__init__()
        self.run_dir = run_dir
        self.saved = saved

    def on_epoch_end(self, epoch, logs=None):
        save_model_atomic(self.saved, self.run_dir / f"epoch_{epoch + 1:03d}.keras")
        log_path = self.run_dir / "log.csv"
        row = {"epoch": epoch + 1, **{k: float(v) for k, v in (logs or {}).items()}}
        new = not log_path.exists()
        with open(log_path, "a", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(row))
            if new:
                writer.writeheader()
            writer.writerow(row)


def _epoch_number(path: Path) -> int:
    return int(path.stem.split("_")[1])


def _epochs_done(run_dir: Path) -> int:
    """The highest epoch number among a run folder's ``epoch_NNN.keras`` files (0: none)."""
    return max(map(_epoch_number, run_dir.glob("epoch_*.keras")), default=0)


def _last_checkpoint(run_dir: Path) -> tuple[int, Path | None]:
    checkpoints = sorted(run_dir.glob("epoch_*.keras"))
    for path in reversed(checkpoints):
        try:
            keras.saving.load_model(path, compile=True)
        except Exception as error:  # a damaged checkpoint: fall back to the previous epoch
            print(f"warning: checkpoint {path} cannot be loaded ({error}); using an earlier one")
            continue
        return _epoch_number(path), path
    return 0, None


def best_checkpoint(run_dir: str | os.PathLike, checkpoints=None) -> Path:
    """The epoch of a run with the lowest validation loss (``log.csv``).

    The decoder memorises its cached crops: after a few epochs its validation loss rises while
    the training loss keeps falling, so the first stage is stopped early on BSDS500 val.

    Args:
        run_dir: A ``train_guided`` run folder.
        checkpoints: Folder of the ``epoch_NNN.keras`` files (default ``run_dir``).

    Returns:
        Path of that epoch's ``epoch_NNN.keras``.

    Raises:
        FileNotFoundError: If no epoch listed in ``log.csv`` has its checkpoint.
    """
    run_dir = Path(run_dir)
    folder = Path(checkpoints) if checkpoints is not None else run_dir
    with open(run_dir / "log.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in sorted(rows, key=lambda r: float(r["val_loss"])):
        path = folder / f"epoch_{int(row['epoch']):03d}.keras"
        if path.is_file():
            return path
    raise FileNotFoundError(f"No checkpoint listed in '{run_dir / 'log.csv'}' exists in '{folder}'")


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
    config: GuidedConfig = GuidedConfig(),
    verbose: int = 2,
    callbacks: list | None = None,
    init_decoder: str | os.PathLike | None = None,
    in_memory: bool = True,
    rows: features.BalancedRows | None = None,
) -> keras.Model:
    """Trains (or resumes) the guided decoder on cached features.

    Args:
        run_dir: Run folder: ``config.json``, ``prior.npy``, ``epoch_NNN.keras`` (the compiled
            decoder with its optimizer state, every epoch: 7 MB each; the export picks the
            epoch with the best validation loss, the learning curve and the epoch replay use
            them all) and ``log.csv``.
        train_cache: Training feature cache folder.
        val_cache: Validation feature cache folder (same encoder and crop size).
        config: Run settings; a resumed run must use the same.
        verbose: Keras ``fit`` verbosity.
        callbacks: Extra Keras callbacks (after the epoch checkpoint).
        init_decoder: A decoder ``.keras`` file whose layers start a fresh run (layers it
            lacks, e.g. spread blocks, keep their initialisation); ignored when resuming.
        in_memory: Load both caches into RAM (about 235 kB per crop) or read each batch's
            rows from disk (``FeatureCache(in_memory=False)``: a cache larger than memory; the
            same batches and weights). A storage choice, not a setting of the run.
        rows: Which training rows each epoch takes (``features.BalancedRows``, recorded in
            ``balance.json``; a resumed run must use the same), or None for every row.

    Returns:
        The trained decoder (``guided_decoder``), compiled; with ``config.last_stage`` the
        decoder behind the trained last stage (``guided.decoder_with_last_stage``).

    Raises:
        ValueError: If ``run_dir`` holds a run with other settings, or ``in_memory`` is not a
            bool.
    """
    check_int("sample_stride", config.sample_stride)
    check_bool("in_memory", in_memory)
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    config_path = run_dir / "config.json"
    if config_path.exists():
        # Settings added since a run was started take their defaults.
        found = {**GuidedConfig().to_dict(), **json.loads(config_path.read_text())}
        if found != config.to_dict():
            raise ValueError(
                f"'{run_dir}' holds a run with other settings: {found}. "
                f"Received: config={config.to_dict()}"
            )
    else:
        atomic.write_json(config_path, config.to_dict())
    balance_path = run_dir / "balance.json"
    balance = rows.to_dict() if rows is not None else None
    if balance_path.exists() and json.loads(balance_path.read_text()) != balance:
        raise ValueError(
            f"'{run_dir}' holds a run with other rows per epoch: {balance_path.read_text()}. "
            f"Received: rows={balance}"
        )
    atomic.write_json(balance_path, balance)
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
    try:
        return _train_on_caches(run_dir, train, val, config, verbose, callbacks, init_decoder, rows)
    finally:
        train.close()
        val.close()


def _train_on_caches(run_dir, train, val, config, verbose, callbacks, init_decoder, rows=None):
    """``train_guided`` once its caches are open."""
    prior_path = run_dir / "prior.npy"
    if not prior_path.exists():
        np.save(prior_path, cache_prior(train, seed=config.seed))
    prior = np.load(prior_path)
    initial_epoch, checkpoint = _last_checkpoint(run_dir)
    if checkpoint is not None:
        model = keras.saving.load_model(checkpoint, compile=True)
    else:
        keras.utils.set_random_seed(config.seed)
        model = guided.guided_decoder(width=config.width, spread=config.spread)
        if init_decoder is not None:
            _copy_matching_weights(model, keras.saving.load_model(init_decoder, compile=False))
        if config.last_stage:
            model = guided.decoder_with_last_stage(model, encoders.last_stage())
        per_epoch = len(rows) if rows is not None else train.count
        steps = config.epochs * (per_epoch // config.batch_size)
        schedule = keras.optimizers.schedules.CosineDecay(
            config.learning_rate, decay_steps=steps, alpha=0.05
        )
        weights = color.rebalancing_weights(prior, lam=config.lam)
        optimizer = keras.optimizers.Adam(schedule)
        # Built on the decoder's own variables, which the sampled training model shares: the
        # saved decoder carries the optimizer's state, and a resumed run continues it.
        optimizer.build(model.trainable_variables)
        model.compile(
            optimizer=optimizer, loss=losses.SoftEncodedCrossEntropy(prior_weights=weights)
        )
    if initial_epoch >= config.epochs:
        return model
    trainer = model
    if config.sample_stride > 1:
        trainer = guided.sampled_trainer(model, config.sample_stride)
        trainer.compile(optimizer=model.optimizer, loss=model.loss)
    # One fit call per epoch: each epoch's batches are built for that epoch number, so the
    # order never depends on when Keras calls a dataset's on_epoch_end (it prefetches).
    validation = CachedBatches(val, config, train=False)
    checkpoint_callback = _EpochCheckpoint(run_dir, model)
    for epoch in range(initial_epoch, config.epochs):
        trainer.fit(
            CachedBatches(train, config, train=True, epoch=epoch, rows=rows),
            validation_data=validation,
            epochs=epoch + 1,
            initial_epoch=epoch,
            shuffle=False,  # the batches are already shuffled by (seed, epoch); Keras' own
            # shuffle of a PyDataset's batch order uses Python's global random state
            callbacks=[checkpoint_callback, *(callbacks or [])],
            verbose=verbose,
        )
    return model


def default_plan_sources(smoke: bool = False, cifar_step: int = 3) -> tuple[list, list]:
    """The default recipe's photos as ``(paths, views per photo)`` for training and validation.

    Training: ImageNet-sample (grayscale photos left out) x 6 views, BSDS500 train x 8,
    ``clothing/`` x 3 and every ``cifar_step``-th CIFAR-10 photo (upscaled from 32 px) x 1;
    validation: BSDS500 val x 2. ``smoke`` takes a few photos of each for tests.

    Args:
        smoke: A few photos of each source (tests; ``cifar_step`` is then checked, not used).
        cifar_step: Take every ``cifar_step``-th of CIFAR-10's 50,000 training photos: 3 (the
            default recipe) gives 16,667, 1 all of them (``default-cifar50k``).

    Raises:
        ValueError: If ``cifar_step`` is not an int >= 1.
    """
    cifar_step = check_int("cifar_step", cifar_step)
    imagenet = data.scan_images(data.dataset_paths("imagenet-sample")).paths
    bsds_train = data.dataset_paths("bsds500", "train")
    clothing = data.list_images(data.dataset_root("bsds500").parent / "clothing")
    cifar = data.dataset_paths("cifar10")
    if smoke:
        train = [(imagenet[:16], 2), (bsds_train[:8], 2), (clothing[:8], 1), (cifar[:32], 1)]
        return train, [(data.dataset_paths("bsds500", "val")[:16], 1)]
    train = [(imagenet, 6), (bsds_train, 8), (clothing, 3), (cifar[::cifar_step], 1)]
    return train, [(data.dataset_paths("bsds500", "val"), 2)]


#: The collections held out by photo (``data.hashed_split``) that the real-photo plan adds.
REAL_COLLECTIONS = ("imagenette", "imagewoof", "caltech101", "intel-scenes", "utkface")


def real_plan_sources(smoke: bool = False, val_per_source: int = 100) -> tuple[list, list]:
    """The real-photo recipe's photos as ``(paths, views per photo)``, one entry per source.

    Training: the default recipe's real photos (ImageNet-sample x 6 views, BSDS500 train x 8,
    ``clothing/`` x 3; no CIFAR-10) and the ``train`` split of every collection of
    :data:`REAL_COLLECTIONS` x 1. Validation: BSDS500 val x 2 and ``val_per_source`` photos of
    each collection's ``val`` split (``colorkit.evaluation.sources.source_photos``), so that
    the epoch is chosen on photos that look like the world, not like BSDS500 alone.

    Args:
        smoke: A few photos of each source (tests).
        val_per_source: Validation photos per collection.
    """
    imagenet = data.scan_images(data.dataset_paths("imagenet-sample")).paths
    bsds_train = data.dataset_paths("bsds500", "train")
    clothing = data.list_images(data.dataset_root("bsds500").parent / "clothing")
    collections = [data.dataset_paths(name, "train") for name in REAL_COLLECTIONS]
    held_out = sources.source_photos("val", val_per_source, REAL_COLLECTIONS)
    val = [(data.dataset_paths("bsds500", "val"), 2)]
    val += [(held_out[name], 1) for name in REAL_COLLECTIONS]
    if smoke:
        train = [(imagenet[:8], 2), (bsds_train[:4], 2), (clothing[:4], 1)]
        train += [(paths[:8], 1) for paths in collections]
        return train, [(paths[:4], views) for paths, views in val]
    train = [(imagenet, 6), (bsds_train, 8), (clothing, 3)]
    train += [(paths, 1) for paths in collections]
    return train, val


_PLANS = {"default": default_plan_sources, "real": real_plan_sources}


def run_guided_recipe(
    work: str | os.PathLike,
    config: GuidedConfig,
    smoke: bool = False,
    finetune: GuidedConfig | None = None,
    last_stage: GuidedConfig | None = None,
    cifar_step: int = 3,
    in_memory: bool = True,
    plan: str = "default",
    quota: int | None = None,
) -> Path:
    """The whole default recipe, resumable at every step: caches, decoder, fine-tune, last stage.

    Args:
        work: Folder for ``cache_train/``, ``cache_val/``, ``run/``, ``finetune/``,
            ``last_stage/`` and ``summary.json``.
        config: The decoder's training settings.
        smoke: A seconds-long version on a few photos (tests).
        finetune: Settings of a second stage that starts from the first stage's best epoch
            (:func:`best_checkpoint`) and trains in ``finetune/``; None: no second stage.
        last_stage: Settings (``last_stage=True``) of a third stage that starts from the
            second's last epoch and trains it with the encoder's last stage in
            ``last_stage/``; None: no third stage (it needs the second).
        cifar_step: Which CIFAR-10 photos the training plan takes
            (:func:`default_plan_sources`).
        in_memory: Train from caches loaded into RAM, or read each batch from disk
            (:func:`train_guided`; for a training cache larger than the memory goal).
        plan: Which photos: ``"default"`` (:func:`default_plan_sources`) or ``"real"``
            (:func:`real_plan_sources`; ``cifar_step`` must then stay 3, its default).
        quota: Most crops of one source per epoch (``features.BalancedRows``, drawn afresh
            every epoch), or None for every crop every epoch.

    Returns:
        The last stage's run folder (its last ``epoch_NNN.keras`` is the trained decoder).

    Raises:
        ValueError: For an unknown plan, or ``cifar_step`` given to the real-photo plan.
    """
    check_bool("in_memory", in_memory)
    if plan not in _PLANS:
        raise ValueError(f"plan must be one of {sorted(_PLANS)}. Received: plan={plan!r}")
    if plan == "real" and cifar_step != 3:
        raise ValueError(
            f"The real-photo plan takes no CIFAR-10 photos. Received: cifar_step={cifar_step!r}"
        )
    work = Path(work)
    start = time.time()
    if plan == "default":
        train_sources, val_sources = default_plan_sources(smoke, cifar_step)
    else:
        train_sources, val_sources = real_plan_sources(smoke)
    rows = None
    if quota is not None:
        rows = features.BalancedRows(features.source_sizes(train_sources), quota, config.seed)
    train_plan = features.crop_plan(train_sources, seed=0)
    val_plan = features.crop_plan(val_sources, seed=1)
    print(f"plan: {len(train_plan)} training crops, {len(val_plan)} validation crops", flush=True)
    features.build_feature_cache(work / "cache_val", val_plan)
    features.build_feature_cache(work / "cache_train", train_plan)
    # What building the caches took, whichever process built them (None: not recorded).
    parts = [features.build_seconds(work / name) for name in ("cache_val", "cache_train")]
    cache_seconds = None if None in parts else round(sum(parts), 1)
    # The summary keeps what earlier processes of a resumed recipe recorded; each stage's time
    # and the process's peak memory are recorded by the process that trained it.
    summary_path = work / "summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
    summary.update(train_crops=len(train_plan), val_crops=len(val_plan))
    if cache_seconds is not None or "cache_build_seconds" not in summary:
        summary["cache_build_seconds"] = cache_seconds
    stages = [("run", config)]
    if finetune is not None:
        stages.append(("finetune", finetune))
        if last_stage is not None:
            stages.append(("last_stage", last_stage))
    last, base = work / "run", None
    for name, settings in stages:
        seconds_key, peak_key, tick = "total_seconds", "peak_rss_gib", start
        if name != "run":
            # The fine-tune starts from the first stage's best epoch, the last stage from the
            # fine-tune's last epoch (the recipe's design, not chosen on val).
            base = best_checkpoint(last) if name == "finetune" else max(last.glob("epoch_*.keras"))
            summary[f"{name}_from"] = f"{last.name}/{base.name}"
            seconds_key, peak_key, tick = f"{name}_seconds", f"{name}_peak_rss_gib", time.time()
        folder = work / name
        trains = _epochs_done(folder) < settings.epochs
        train_guided(
            folder,
            work / "cache_train",
            work / "cache_val",
            settings,
            init_decoder=base,
            in_memory=in_memory,
            rows=rows,
        )
        if trains:
            summary[seconds_key] = round(time.time() - tick, 1)
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
            summary[peak_key] = round(peak, 2)
        last = folder
    atomic.write_json(work / "summary.json", summary)
    return last
