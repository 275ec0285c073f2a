"""The run folder of a training run: its layout, atomic writes, resuming, previews, reading back.

One layout for every run, whatever it trains on: photos (``colorkit.training.loop.train``) or
cached encoder features (``colorkit.training.cached.train_guided``).

Layout (``config.run_dir``)::

    config.json                 the TrainConfig (JSON), rewritten at each (re)start; a
                                cached-feature run's GuidedConfig with "kind": "cached_features"
    summary.json                epochs completed, best epoch and val_loss, seconds and peak
                                memory of the process that trained last
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
    ab_prior.npy, rebalancing_weights.npy   (zhang and guided) float32 (Q,)

A cached-feature run has no previews or TensorBoard files (its model is the decoder alone).

Every file is written atomically (a temporary file in the same folder, then ``os.replace``).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
import os
import platform
import re
import resource
import shutil
import time
import warnings
import zipfile
from pathlib import Path

import numpy as np

from colorkit import atomic, color, data, infer, viz
from colorkit.models import saving
from colorkit.training.config import GuidedConfig, TrainConfig, config_from_dict

__all__ = [
    "Run",
    "best_from_csv",
    "clean_stale_files",
    "copy_atomic",
    "cpu_model",
    "epoch_checkpoints",
    "load_checkpoint",
    "load_latest_checkpoint",
    "load_run",
    "prepare_run_dir",
    "read_csv",
    "save_model_atomic",
    "save_npy_atomic",
    "save_preview_inputs",
    "to_uint8",
    "write_summary",
    "truncate_csv",
    "write_bytes_atomic",
    "write_csv_atomic",
    "write_json",
    "write_preview",
]

EPOCH_FILE = re.compile(r"^epoch_(\d{3,})\.keras$")


PREVIEW_FILE = re.compile(r"^epoch_(\d{3,})\.npy$")


# --------------------------------------------------------------------------------------------
# Atomic file helpers
# --------------------------------------------------------------------------------------------


def write_bytes_atomic(path: Path, payload: bytes) -> None:
    with atomic.atomic_path(path) as temporary, open(temporary, "wb") as stream:
        stream.write(payload)
        stream.flush()
        os.fsync(stream.fileno())


def save_npy_atomic(path: Path, array: np.ndarray) -> None:
    buffer = io.BytesIO()
    np.save(buffer, array)
    write_bytes_atomic(path, buffer.getvalue())


def copy_atomic(source: Path, destination: Path) -> None:
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
# Resume helpers
# --------------------------------------------------------------------------------------------


def epoch_checkpoints(run_dir: Path) -> dict[int, Path]:
    folder = run_dir / "checkpoints"
    found = {}
    if folder.is_dir():
        for path in folder.iterdir():
            match = EPOCH_FILE.match(path.name)
            if match:
                found[int(match.group(1))] = path
    return dict(sorted(found.items()))


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    if not path.is_file():
        return [], []
    with open(path, newline="") as stream:
        reader = csv.DictReader(stream)
        rows = [row for row in reader if row and row.get("epoch") not in (None, "")]
        return list(reader.fieldnames or []), rows


def write_csv_atomic(path: Path, fields: list[str], rows: list[dict]) -> None:
    """A CSV log (header ``fields``, then ``rows``), written atomically."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_bytes_atomic(path, buffer.getvalue().encode())


def truncate_csv(path: Path, completed_epochs: int) -> None:
    """Keep the CSV rows of epochs < completed_epochs (0-based epoch column), atomically."""
    fields, rows = read_csv(path)
    if not fields:
        return
    kept = []
    for row in rows:
        try:
            if int(float(row["epoch"])) < completed_epochs:
                kept.append(row)
        except (TypeError, ValueError):
            continue  # a torn last line from a killed process
    write_csv_atomic(path, fields, kept)


def best_from_csv(path: Path) -> float:
    _, rows = read_csv(path)
    best = math.inf
    for row in rows:
        try:
            value = float(row.get("val_loss") or row.get("loss") or "nan")
        except ValueError:
            continue
        if math.isfinite(value):
            best = min(best, value)
    return best


def clean_stale_files(run_dir: Path, completed_epochs: int) -> None:
    """Remove a killed run's temporary files (colorkit's own only:
    ``atomic.remove_stale_temporaries``) and previews/checkpoints after the resumed one."""
    for folder in (run_dir, run_dir / "checkpoints", run_dir / "previews"):
        atomic.remove_stale_temporaries(folder)
    for number, path in epoch_checkpoints(run_dir).items():
        if number > completed_epochs:
            path.unlink(missing_ok=True)
    previews = run_dir / "previews"
    if previews.is_dir():
        for path in previews.iterdir():
            match = re.match(r"^epoch_(\d{3,})\.(npy|png)$", path.name)
            if match and int(match.group(1)) > completed_epochs:
                path.unlink(missing_ok=True)


def resume_run(run_dir: Path, initial_epoch: int) -> float:
    """Make a run folder agree with its latest checkpoint; returns the best loss so far.

    The CSV rows after ``initial_epoch`` are dropped, temporary files and the checkpoints and
    previews of later epochs are removed (a run killed mid-epoch), and the lowest ``val_loss``
    (else ``loss``) of the epochs kept is returned (``inf`` for a new run).
    """
    truncate_csv(run_dir / "log.csv", initial_epoch)
    clean_stale_files(run_dir, initial_epoch)
    return best_from_csv(run_dir / "log.csv") if initial_epoch else math.inf


def best_epoch(run_dir: Path) -> int | None:
    """The epoch (1-based, as the checkpoint names) with the lowest ``val_loss`` in ``log.csv``
    whose checkpoint exists; None when there is none."""
    best = _best_row(run_dir)
    return None if best is None else best[1]


def _best_row(run_dir: Path) -> tuple[float, int] | None:
    """``(val_loss, epoch)`` of the best epoch that has a checkpoint (torn rows skipped)."""
    _, rows = read_csv(run_dir / "log.csv")
    checkpoints = epoch_checkpoints(run_dir)
    scored = []
    for row in rows:
        try:
            number, value = int(float(row["epoch"])) + 1, float(row.get("val_loss") or "nan")
        except (TypeError, ValueError):
            continue
        if number in checkpoints and math.isfinite(value):
            scored.append((value, number))
    return min(scored) if scored else None


def write_summary(run_dir: Path, seconds: float | None, **facts) -> dict:
    """Write ``summary.json``: epochs completed, the best epoch and its ``val_loss``, and
    (when this process trained, ``seconds`` not None) its training seconds and peak memory.

    Returns:
        The summary written.
    """
    path = run_dir / "summary.json"
    summary = json.loads(path.read_text()) if path.is_file() else {}
    checkpoints = epoch_checkpoints(run_dir)
    best = _best_row(run_dir)
    summary["epochs_completed"] = max(checkpoints) if checkpoints else 0
    summary["best_epoch"] = None if best is None else best[1]
    summary["best_val_loss"] = None if best is None else best[0]
    if seconds is not None:
        summary["seconds"] = round(seconds, 1)
        summary["peak_rss_gib"] = round(peak_rss_gib(), 2)
        summary["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    summary.update(facts)
    write_json(path, summary)
    return summary


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo``), for hardware records (manifest, summaries)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def peak_rss_gib() -> float:
    """This process's peak resident memory in GiB (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def load_checkpoint(path: Path):
    return saving.load_file(path, compile=True)


# --------------------------------------------------------------------------------------------
# Previews
# --------------------------------------------------------------------------------------------


def write_json(path: Path, payload: dict) -> None:
    """``payload`` as indented JSON, atomically (``config.json``, ``environment.json``)."""
    write_bytes_atomic(path, (json.dumps(payload, indent=2) + "\n").encode())


def prepare_run_dir(run_dir: Path, resume: bool) -> dict[int, Path]:
    """The guard of a run folder: create it, refuse to overwrite a run unless resuming.

    Args:
        run_dir: The run folder (created with ``checkpoints/`` and ``previews/``).
        resume: Whether existing checkpoints are to be continued.

    Returns:
        ``{epoch: checkpoint path}`` already there (empty for a new run).

    Raises:
        FileExistsError: If ``run_dir`` already holds checkpoints and ``resume`` is False.
    """
    checkpoints = epoch_checkpoints(run_dir)
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
    return checkpoints


def remove_unfinished_run(run_dir: Path) -> bool:
    """Delete a run folder this call created when it failed before any checkpoint.

    Only a folder holding nothing but what :func:`prepare_run_dir` and the set-up write
    (no checkpoint) is removed, so a failed start (e.g. ``--image-size 33`` for a stride-32
    model) leaves no half-made run behind and never touches a run that made progress.

    Returns:
        Whether the folder was removed.
    """
    if not run_dir.is_dir() or epoch_checkpoints(run_dir):
        return False
    shutil.rmtree(run_dir, ignore_errors=True)
    return True


def seek_epoch(train_data, epoch: int, steps_per_epoch: int | None):
    """Position a training pipeline at ``epoch`` so a resumed run equals an uninterrupted one.

    The data order and augmentation of epoch ``e`` are drawn from ``(seed, e)``: the NumPy
    pipeline (``ColorPyDataset``) seeds them so directly; the tf.data pipeline is one endless
    seeded stream read ``steps_per_epoch`` batches per epoch, so a resumed run skips the
    batches of the epochs already done (reading them once, no training).

    Args:
        train_data: The training pipeline (``ColorPyDataset`` or ``tf.data.Dataset``).
        epoch: Epochs already completed (0 for a new run).
        steps_per_epoch: Batches per epoch (needed for a tf.data pipeline).

    Returns:
        The pipeline to train on.
    """
    if epoch <= 0:
        return train_data
    if hasattr(train_data, "set_epoch"):
        train_data.set_epoch(epoch)
        return train_data
    if steps_per_epoch is None:
        raise ValueError("steps_per_epoch is needed to seek in a tf.data pipeline")
    return train_data.skip(epoch * steps_per_epoch)


def load_preview_array(path: Path) -> np.ndarray:
    """A preview ``.npy`` of a run (no pickles); a corrupt one raises ``ValueError`` naming it.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If it is not a readable ``.npy`` array (truncated, corrupt, another file).
    """
    if not path.is_file():
        raise FileNotFoundError(f"Preview file not found: '{path}'")
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise ValueError(
            f"Cannot read the preview file '{path}': expected a NumPy .npy array "
            f"({type(error).__name__}: {error})"
        ) from error


def load_latest_checkpoint(run_dir: Path, checkpoints: dict[int, Path]):
    """``(model, epoch)`` of the latest loadable checkpoint, falling back one epoch at a time.

    Raises:
        ValueError: If no checkpoint can be loaded.
    """
    for number in sorted(checkpoints, reverse=True):
        try:
            return load_checkpoint(checkpoints[number]), number
        except (OSError, ValueError, zipfile.BadZipFile) as error:  # unreadable: fall back
            warnings.warn(
                f"Cannot load {checkpoints[number]} ({error}); trying an earlier one",
                stacklevel=3,
            )
    raise ValueError(f"No loadable checkpoint in '{run_dir / 'checkpoints'}'")


def to_uint8(images: np.ndarray) -> np.ndarray:
    return np.round(np.clip(images, 0.0, 1.0) * 255.0).astype(np.uint8)


def save_preview_inputs(run_dir: Path, paths: list[str], image_size: int):
    """Load the fixed preview photos; save ``ground_truth.npy`` and ``gray.npy``.

    Returns:
        ``(truth, gray)``: float32 ``(N, S, S, 3)`` in [0, 1], exactly what the npy files hold.
    """
    truth = np.asarray(data.load_images(paths, image_size, crop="center"))
    truth = to_uint8(truth).astype(np.float32) / 255.0  # exactly what the npy holds
    gray = np.asarray(color.desaturate(truth, method="lab"), np.float32)
    previews = run_dir / "previews"
    save_npy_atomic(previews / "ground_truth.npy", to_uint8(truth))
    save_npy_atomic(previews / "gray.npy", to_uint8(gray))
    return truth, gray


def write_preview(model, config, run_dir: Path, state: dict, epoch: int, logs) -> None:
    """Colorize the fixed validation photos with ``model``: ``epoch_XXX.npy`` and ``.png``."""
    truth = state["ground_truth"]
    with warnings.catch_warnings():
        # Early epochs predict wild colors; clipping them for display is expected.
        warnings.simplefilter("ignore", color.GamutWarning)
        predicted = infer.colorize(
            truth, model, size=config.image_size, batch_size=max(1, config.batch_size)
        )
    folder = run_dir / "previews"
    save_npy_atomic(folder / f"epoch_{epoch:03d}.npy", to_uint8(predicted))
    figure = viz.comparison_grid(
        {"gray": state["gray"], f"epoch {epoch}": predicted, "true": truth}
    )
    viz.save_figure(figure, folder / f"epoch_{epoch:03d}.png")  # a pyplot-free Figure


# --------------------------------------------------------------------------------------------
# Reading a run back
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Run:
    """A training run read from disk (see the module docstring for the layout).

    Attributes:
        run_dir: The run folder.
        config: Its ``TrainConfig`` or ``GuidedConfig`` (from config.json).
        history: ``{column: [value per epoch]}`` from log.csv (floats; ``epoch`` is Keras'
            0-based epoch index, so row ``i`` is the state after ``i + 1`` epochs).
    """

    run_dir: Path
    config: TrainConfig | GuidedConfig
    history: dict

    def snapshots(self) -> list[int]:
        """Epochs that have a preview, sorted (0 is before training)."""
        folder = self.run_dir / "previews"
        if not folder.is_dir():
            return []
        found = []
        for path in folder.iterdir():
            match = PREVIEW_FILE.match(path.name)
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
        return load_preview_array(path)

    def ground_truth(self) -> np.ndarray:
        """uint8 ``(N, S, S, 3)``: the validation photos of the previews."""
        return load_preview_array(self.run_dir / "previews" / "ground_truth.npy")

    def gray(self) -> np.ndarray:
        """uint8 ``(N, S, S, 3)``: their gray versions."""
        return load_preview_array(self.run_dir / "previews" / "gray.npy")

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
        found = epoch_checkpoints(self.run_dir)
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
    config = config_from_dict(json.loads(config_path.read_text()))
    fields, rows = read_csv(run_dir / "log.csv")
    history: dict[str, list[float]] = {name: [] for name in fields}
    for row in rows:
        for name in fields:
            try:
                value = float(row.get(name) or "nan")
            except ValueError:
                value = math.nan
            history[name].append(value)
    return Run(run_dir=run_dir, config=config, history=history)
