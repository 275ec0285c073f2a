"""Colorizing many photos: batched in one process, or on a Dask cluster.

``colorize_many(paths, output_dir, model)`` colorizes a list of photo files in one process:
a small thread pool reads and decodes ahead of the model, photos are colorized a chunk at a
time with ``colorkit.infer.colorize_report`` (whose core, ``infer.full_chroma``, batches the
photos of the same working canvas through the network), and outputs are written in the
background with ``colorkit.data.save_image`` (atomic: a temporary file, then a rename). The
outputs are the same files as colorizing the photos one by one. A progress bar (``tqdm.auto``:
a widget in notebooks) shows photos/s and the ETA; a :class:`Summary` (done, skipped, failed,
seconds) is returned.

``colorize_archive(paths, output_dir, model, client=...)`` does the same on a Dask cluster
(``dask.distributed``): the photo list is cut into partitions, each worker process loads the
model once (a per-process cache keyed by the model's path and modification time) and runs
``colorize_many`` on its partitions. Each output is written atomically, a failing photo is
reported by name without losing the rest of its partition, and a partition whose worker
died is run again elsewhere (its finished outputs are then skipped). A second run skips every
output that exists (resumable).

Existing outputs are skipped and counted as skipped unless ``overwrite=True``.
"""

from __future__ import annotations

import collections
import concurrent.futures
import dataclasses
import os
import sys
import threading
import time
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

from tqdm import auto

from colorkit import _checks, _optional, color, data, infer, outputs

#: Photos colorized together (the network still runs ``batch_size`` at a time).
DEFAULT_CHUNK = 64
#: Photos per Dask task.
DEFAULT_PARTITION = 64


@dataclasses.dataclass
class Summary:
    """What a run of :func:`colorize_many` or :func:`colorize_archive` did.

    Attributes:
        done: Outputs written.
        skipped: Outputs that existed already (not rewritten, ``overwrite=False``).
        failed: ``(input path, reason)`` for each photo that could not be colorized or written.
        seconds: Wall time of the run.
        clipped: Photos with out-of-gamut colors clipped to sRGB.
        colored: Inputs that already had color (their luminance was used).
    """

    done: int = 0
    skipped: int = 0
    failed: list = dataclasses.field(default_factory=list)
    seconds: float = 0.0
    clipped: int = 0
    colored: int = 0

    @property
    def total(self) -> int:
        return self.done + self.skipped + len(self.failed)

    def merge(self, other: Summary) -> None:
        self.done += other.done
        self.skipped += other.skipped
        self.failed.extend(other.failed)
        self.clipped += other.clipped
        self.colored += other.colored

    def __str__(self) -> str:
        rate = self.done / self.seconds if self.seconds > 0 else 0.0
        return (
            f"{self.done} done, {self.skipped} skipped, {len(self.failed)} failed in "
            f"{self.seconds:.1f} s ({rate:.1f} photos/s)"
        )


def default_targets(paths: Sequence, output_dir) -> list[tuple[str, Path]]:
    """``(input, output_dir / <stem>.png)`` pairs; a repeated stem gets ``<stem>_<ext>[_n].png``.

    Example:
        >>> [t.name for _, t in default_targets(["a/x.jpg", "b/x.png", "y.tif"], "out")]
        ['x.png', 'x_png.png', 'y.png']
    """
    out = Path(output_dir)
    taken: set[Path] = set()
    pairs = []
    for source in paths:
        stem, ext = Path(source).stem, Path(source).suffix.lstrip(".").lower()
        target = out / f"{stem}.png"
        number = 1
        while target in taken:
            suffix = f"_{ext}" if number == 1 else f"_{ext}_{number}"
            target = out / f"{stem}{suffix}.png"
            number += 1
        taken.add(target)
        pairs.append((os.fspath(source), target))
    return pairs


def _pairs(paths, output_dir) -> list[tuple[str, Path]]:
    """``paths`` (files, or ``(input, output)`` pairs) -> ``(input, output Path)`` pairs."""
    items = list(paths)
    if items and all(isinstance(item, tuple | list) and len(item) == 2 for item in items):
        return [(os.fspath(s), Path(t)) for s, t in items]
    if output_dir is None:
        raise ValueError("output_dir is required unless paths are (input, output) pairs")
    return default_targets(items, output_dir)


def _read(path: str, max_pixels: int | None = None):
    return data.read_image(path, max_pixels=max_pixels)


def _prefetch(executor, pairs, depth: int, max_pixels: int | None = None) -> Iterable:
    """Yield ``(source, target, image or exception)`` in order, reading ``depth`` ahead."""
    queue: collections.deque = collections.deque()
    iterator = iter(pairs)
    for source, target in iterator:
        queue.append((source, target, executor.submit(_read, source, max_pixels)))
        if len(queue) >= depth:
            break
    while queue:
        source, target, future = queue.popleft()
        following = next(iterator, None)
        if following is not None:
            queue.append((*following, executor.submit(_read, following[0], max_pixels)))
        try:
            yield source, target, future.result()
        except Exception as error:  # noqa: BLE001 - a bad file is reported, not fatal
            yield source, target, error


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def colorize_many(
    paths: Sequence,
    output_dir: str | os.PathLike | None,
    model,
    *,
    size: int | None = None,
    temperature: float | None = None,
    saturation: float | None = None,
    batch_size: int = 16,
    chunk: int = DEFAULT_CHUNK,
    overwrite: bool = False,
    progress: bool | None = True,
    read_threads: int = 2,
    write_threads: int = 2,
    file=None,
    max_pixels: int | None = None,
    hints: Sequence | None = None,
) -> Summary:
    """Colorize photo files in one process, batched, reading and writing in the background.

    The result files are the same as colorizing each photo alone with
    ``colorkit.infer.colorize`` and ``colorkit.data.save_image`` (tested).

    Args:
        paths: Photo files; or ``(input, output)`` pairs (then ``output_dir`` is unused).
        output_dir: Folder of the outputs ``<stem>.png`` (see :func:`default_targets`).
        model: A colorkit ``keras.Model``, or a ``.keras`` path / pretrained name.
        size, temperature, saturation: As ``colorkit.infer.colorize`` (None: the model's
            recommended settings).
        batch_size: Photos per forward pass of the network.
        chunk: Photos decoded and colorized together (bounds memory: about ``3 * chunk``
            photos are in memory at a time, whatever the number of photos).
        overwrite: Replace existing outputs (default: skip them, counted as skipped).
        progress: Show a progress bar (photos/s, ETA); None: only on a terminal/notebook.
        read_threads: Threads reading and decoding ahead of the model.
        write_threads: Threads encoding and writing outputs.
        file: Stream of the progress bar (default ``sys.stderr``).
        max_pixels: Refuse photos above this many pixels before decoding (None:
            ``colorkit.data.MAX_IMAGE_PIXELS``).
        hints: User color hints for a model with hint inputs: one entry per path (a list of
            ``colorkit.hints.Hint`` in that photo's pixels, or None), aligned with ``paths``;
            a photo whose hints do not fit it fails with the reason. None: no hints.

    Returns:
        A :class:`Summary`; photos that failed are listed with the reason, the others are
        written regardless.
    """
    start = time.perf_counter()
    chunk = _checks.check_int("chunk", chunk)
    batch_size = _checks.check_int("batch_size", batch_size)
    if isinstance(model, str | os.PathLike):
        model = infer.load_model(model)
    summary = Summary()
    pairs = _pairs(paths, output_dir)
    if hints is not None and len(hints) != len(pairs):
        raise ValueError(
            "hints must hold one entry (a list of Hint, or None) per path. "
            f"Received: {len(hints)} entries for {len(pairs)} paths"
        )
    hints_of = {} if hints is None else {t: h for (_, t), h in zip(pairs, hints, strict=True)}
    pending = []
    for source, target in pairs:
        if target.exists() and not overwrite:
            summary.skipped += 1
        else:
            pending.append((source, target))
    bar = auto.tqdm(
        total=len(pending),
        unit="photo",
        disable=(not progress) if progress is not None else None,
        file=file or sys.stderr,
        smoothing=0.1,
    )
    lock = threading.Lock()

    def write(image, source, target):
        try:
            data.save_image(image, target, overwrite=overwrite)
        except OSError as error:  # disk full, read-only, no permission, a folder in the way
            with lock:
                summary.failed.append((source, outputs.write_error_message(target, error)))
        except Exception as error:  # noqa: BLE001 - reported per file
            with lock:
                summary.failed.append((source, _describe(error)))
        else:
            with lock:
                summary.done += 1
        bar.update(1)

    writes: collections.deque = collections.deque()

    def chunk_hints(items):
        return None if hints is None else [hints_of[target] for _, target, _ in items]

    def run_chunk(items, writer):
        try:
            result = _colorize_chunk(
                [image for _, _, image in items],
                model,
                size,
                temperature,
                saturation,
                batch_size,
                chunk_hints(items),
            )
        except Exception:  # noqa: BLE001 - find the culprit photo by photo
            result = None
        for position, (source, target, image) in enumerate(items):
            if result is None:
                try:
                    rgb, clipped = _colorize_chunk(
                        [image],
                        model,
                        size,
                        temperature,
                        saturation,
                        batch_size,
                        chunk_hints([(source, target, image)]),
                    )
                    rgb, clipped = rgb[0], clipped[0]
                except Exception as error:  # noqa: BLE001
                    with lock:
                        summary.failed.append((source, _describe(error)))
                    bar.update(1)
                    continue
            else:
                rgb, clipped = result[0][position], result[1][position]
            summary.clipped += bool(clipped)
            summary.colored += not data.is_grayscale(image)
            writes.append(writer.submit(write, rgb, source, target))
        while len(writes) > 2 * chunk:  # bound the images waiting to be written
            writes.popleft().result()

    with (
        concurrent.futures.ThreadPoolExecutor(read_threads, "colorkit-read") as reader,
        concurrent.futures.ThreadPoolExecutor(write_threads, "colorkit-write") as writer,
    ):
        items = []
        for source, target, image in _prefetch(reader, pending, 2 * chunk, max_pixels):
            if isinstance(image, BaseException):
                with lock:
                    summary.failed.append((source, _describe(image)))
                bar.update(1)
                continue
            items.append((source, target, image))
            if len(items) >= chunk:
                run_chunk(items, writer)
                items = []
        if items:
            run_chunk(items, writer)
        for future in writes:
            future.result()
    bar.close()
    summary.seconds = time.perf_counter() - start
    return summary


def _colorize_chunk(images, model, size, temperature, saturation, batch_size, hints=None):
    """``infer.colorize_report`` on a list of images -> (list of RGB, list of clip counts)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", color.GamutWarning)
        report = infer.colorize_report(
            list(images), model, size, temperature, saturation, batch_size, hints
        )
    return report.images, report.clipped_pixels


# --------------------------------------------------------------------------------------------
# Dask
# --------------------------------------------------------------------------------------------

_MODELS: dict = {}
_MODELS_LOCK = threading.Lock()


def worker_model(model_ref: str):
    """The model ``model_ref`` (a path or pretrained name), loaded once per process.

    Keyed by the path and its modification time, so a retrained file is reloaded.
    """
    path = Path(model_ref).expanduser()
    key = (str(model_ref), path.stat().st_mtime_ns if path.exists() else None)
    with _MODELS_LOCK:
        if key not in _MODELS:
            _MODELS[key] = infer.load_model(model_ref)
        return _MODELS[key]


def _colorize_partition(pairs, model_ref, settings, overwrite) -> Summary:
    """One Dask task: colorize a partition with the worker's cached model."""
    model = worker_model(model_ref)
    return colorize_many(pairs, None, model, overwrite=overwrite, progress=False, **settings)


def make_client(scheduler: str):
    """A ``distributed.Client`` for ``"tcp://host:port"`` or ``"local:N"`` (N worker processes).

    Raises:
        ValueError: For another form.
    """
    # The [scale] extra, and heavy (tornado, cloudpickle...): only Dask runs need it.
    distributed = _optional.require("dask.distributed", "scale", "colorize on a Dask cluster")

    if scheduler.startswith("local:"):
        workers = _checks.check_int("workers", int(scheduler.split(":", 1)[1]))
        cluster = distributed.LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            host="127.0.0.1",
        )
        return distributed.Client(cluster)
    if "://" in scheduler or ":" in scheduler:
        return distributed.Client(scheduler)
    raise ValueError(
        "scheduler must be 'tcp://host:port' or 'local:N'. Received: scheduler={scheduler!r}"
    )


def colorize_archive(
    paths: Sequence,
    output_dir: str | os.PathLike | None,
    model: str | os.PathLike,
    client=None,
    *,
    scheduler: str | None = None,
    partition_size: int = DEFAULT_PARTITION,
    size: int | None = None,
    temperature: float | None = None,
    saturation: float | None = None,
    batch_size: int = 16,
    overwrite: bool = False,
    progress: bool | None = True,
    file=None,
) -> Summary:
    """Colorize photo files on a Dask cluster (each worker loads the model once).

    Args:
        paths: Photo files, or ``(input, output)`` pairs; paths must be readable by the
            workers (a shared file system on a real cluster).
        output_dir: Output folder (``<stem>.png``; see :func:`default_targets`).
        model: Path of a ``.keras`` file the workers can read, or a pretrained name.
        client: A ``distributed.Client``; None: one from ``scheduler`` (closed at the end).
        scheduler: ``"tcp://host:8786"`` or ``"local:N"`` when ``client`` is None.
        partition_size: Photos per task.
        size, temperature, saturation, batch_size, overwrite: As :func:`colorize_many`.
        progress: Progress bar over photos (None: automatic).
        file: Stream of the bar and of the dashboard line (default ``sys.stderr``).

    Returns:
        A :class:`Summary`. Photos of a task that failed for good (e.g. its workers kept
        dying) are listed as failed with the reason.

    Example (notebook)::

        from dask.distributed import Client
        summary = colorkit.scale.colorize_archive(paths, "out", "model.keras", client=Client())
    """
    # The [scale] extra, and heavy (tornado, cloudpickle...): only Dask runs need it.
    distributed = _optional.require("dask.distributed", "scale", "colorize on a Dask cluster")

    if not isinstance(model, str | os.PathLike):
        raise TypeError(
            "model must be a path (readable by every worker) or a pretrained name, not a loaded "
            f"model: save it with model.save('model.keras'). Received: type={type(model).__name__}"
        )
    model_ref = os.fspath(Path(model).expanduser().resolve()) if Path(model).exists() else model
    stream = file or sys.stderr
    start = time.perf_counter()
    own_client = client is None
    if own_client:
        client = make_client(scheduler or "local:2")
    try:
        link = getattr(client, "dashboard_link", None)
        if link:
            print(f"colorkit: Dask dashboard at {link}", file=stream)
        summary = Summary()
        pending = []
        for source, target in _pairs(paths, output_dir):
            if target.exists() and not overwrite:
                summary.skipped += 1
            else:
                pending.append((source, target))
        settings = dict(size=size, temperature=temperature, saturation=saturation)
        settings["batch_size"] = batch_size
        partition_size = _checks.check_int("partition_size", partition_size)
        parts = [pending[i : i + partition_size] for i in range(0, len(pending), partition_size)]
        futures = {
            client.submit(
                _colorize_partition, part, model_ref, settings, overwrite, pure=False
            ): part
            for part in parts
        }
        bar = auto.tqdm(
            total=len(pending),
            unit="photo",
            disable=(not progress) if progress is not None else None,
            file=stream,
        )
        for future in distributed.as_completed(futures):
            part = futures[future]
            try:
                result = future.result()
            except Exception as error:  # noqa: BLE001 - e.g. KilledWorker: report its photos
                result = Summary(failed=[(source, _describe(error)) for source, _ in part])
            summary.merge(result)
            bar.update(len(part))
        bar.close()
    finally:
        if own_client:
            cluster = getattr(client, "cluster", None)
            client.close()
            if cluster is not None:
                cluster.close()
    summary.seconds = time.perf_counter() - start
    return summary
