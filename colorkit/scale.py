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

Existing outputs are skipped and counted as skipped unless ``overwrite=True``; so are those
another run writes meanwhile (never replaced: ``colorkit.atomic.publish``) and, on one machine,
the photos another running ``colorize_many`` has claimed (before colorizing a chunk, each of
its photos is claimed with a temporary file in the output folder). Memory is bounded by
decoded pixels, not photo counts (:data:`MEMORY_BUDGET_PIXELS`).
"""

from __future__ import annotations

import collections
import concurrent.futures
import dataclasses
import os
import re
import sys
import threading
import time
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

from PIL import Image
from tqdm import auto

from colorkit import _checks, _optional, atomic, color, data, infer, outputs

#: Photos colorized together at most (the network still runs ``batch_size`` at a time); a
#: chunk also ends when it holds :data:`MEMORY_BUDGET_PIXELS` pixels.
DEFAULT_CHUNK = 64
#: Decoded pixels :func:`colorize_many` holds at a time in each of its three queues: photos
#: read ahead, photos colorized together (a chunk), results waiting to be written. A photo
#: larger than the budget goes alone. The peak memory of a run is about the fixed cost
#: (Python, TensorFlow, the model) plus ``colorkit.data.PEAK_BYTES_PER_PIXEL`` per pixel of
#: the largest chunk plus 12 bytes per pixel read ahead or waiting to be written (float32
#: RGB), whatever the number of photos: at most about 1.8 GB for photos up to 16 megapixels;
#: for a larger photo, its own peak plus about 24 bytes per pixel (one photo read ahead, one
#: waiting to be written).
MEMORY_BUDGET_PIXELS = 16_000_000
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
    """``(input, output_dir / name)`` pairs, ``name`` from ``colorkit.outputs.output_name``.

    An output's name depends on its input's name only (``x.jpg`` -> ``x.png``, ``x.png`` ->
    ``x_png.png``), never on the other paths.

    Raises:
        ValueError: Two paths (from different folders, or differing only in letter case) would
            have the same output; pass ``(input, output)`` pairs instead.

    Example:
        >>> [t.name for _, t in default_targets(["a/x.jpg", "b/x.png", "y.tif"], "out")]
        ['x.png', 'x_png.png', 'y_tif.png']
    """
    out = Path(output_dir)
    pairs = [(os.fspath(source), out / outputs.output_name(source)) for source in paths]
    _, collisions = outputs.case_collisions(pairs)
    if collisions:
        source, reason = collisions[0]
        raise ValueError(
            f"Two inputs would share an output in {os.fspath(out)!r}: {source!r}: {reason}. "
            f"Pass (input, output) pairs instead. Received: {len(collisions)} collision(s)"
        )
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


def _header_pixels(path: str) -> int:
    """Pixels of the photo at ``path`` from its header (0 when that cannot be read: the read
    itself will report why)."""
    try:
        with Image.open(path) as image:
            return image.width * image.height
    except Exception:  # noqa: BLE001 - not an image, an archive member: the read says why
        return 0


def _prefetch(executor, pairs, budget: int, skip, max_pixels: int | None = None) -> Iterable:
    """Yield ``(source, target, image or exception)`` in order, reading ahead of the caller.

    The photos read ahead (submitted, not yet yielded) hold at most ``budget`` decoded pixels
    (from their headers), or one photo. A pair for which ``skip(target)`` is true when its turn
    to be read comes is yielded with ``None`` instead of an image, unread.
    """
    queue: collections.deque = collections.deque()  # (source, target, future, pixels)
    iterator = iter(pairs)
    held = 0
    following = next(iterator, None)
    while queue or following is not None:
        while following is not None:
            source, target = following
            if skip(target):
                queue.append((source, target, None, 0))
                following = next(iterator, None)
                continue
            pixels = _header_pixels(source)
            if queue and held + pixels > budget:
                break
            queue.append((source, target, executor.submit(_read, source, max_pixels), pixels))
            held += pixels
            following = next(iterator, None)
        source, target, future, pixels = queue.popleft()
        held -= pixels
        if future is None:
            yield source, target, None
            continue
        try:
            yield source, target, future.result()
        except Exception as error:  # noqa: BLE001 - a bad file is reported, not fatal
            yield source, target, error


def _pending(pairs, overwrite: bool, summary: Summary) -> list:
    """The pairs to colorize: an existing output is counted as skipped (unless
    ``overwrite``), an output path taken by a folder (or under a file) as failed."""
    pending = []
    for source, target in pairs:
        problem = outputs.output_path_problem(target)
        if problem is not None:
            summary.failed.append((source, f"cannot write '{target}': {problem}"))
        elif os.path.lexists(target) and not overwrite:
            summary.skipped += 1
        else:
            pending.append((source, target))
    return pending


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
    memory_budget: int = MEMORY_BUDGET_PIXELS,
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
        chunk: Photos colorized together at most (a chunk also ends at ``memory_budget``
            pixels).
        overwrite: Replace existing outputs (default: skip them, counted as skipped; also
            those that another run writes while this one runs: they are not redone, and
            never replaced).
        progress: Show a progress bar (photos/s, ETA); None: only on a terminal/notebook.
        read_threads: Threads reading and decoding ahead of the model.
        write_threads: Threads encoding and writing outputs.
        file: Stream of the progress bar (default ``sys.stderr``).
        max_pixels: Refuse photos above this many pixels before decoding (None:
            ``colorkit.data.MAX_IMAGE_PIXELS``).
        hints: User color hints for a model with hint inputs: one entry per path (a list of
            ``colorkit.hints.Hint`` in that photo's pixels, or None), aligned with ``paths``;
            a photo whose hints do not fit it fails with the reason. None: no hints.
        memory_budget: Decoded pixels held at a time in each of the three queues (photos
            read ahead, a chunk, results waiting to be written; a larger photo goes alone).
            Memory is bounded by photo size, not photo count: see
            :data:`MEMORY_BUDGET_PIXELS`.

    Returns:
        A :class:`Summary`; photos that failed are listed with the reason, the others are
        written regardless.
    """
    start = time.perf_counter()
    chunk = _checks.check_int("chunk", chunk)
    batch_size = _checks.check_int("batch_size", batch_size)
    memory_budget = _checks.check_int("memory_budget", memory_budget)
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
    pending = _pending(pairs, overwrite, summary)
    bar = auto.tqdm(
        total=len(pending),
        unit="photo",
        disable=(not progress) if progress is not None else None,
        file=file or sys.stderr,
        smoothing=0.1,
    )
    lock = threading.Lock()

    claims: dict = {}  # target -> this run's claim on it (a colorkit temporary file)

    def release(target):
        with lock:
            claim = claims.pop(target, None)
        if claim is not None:
            claim.unlink(missing_ok=True)

    def claim_chunk(items) -> list:
        """The items no other running colorkit process on this machine has written or is
        colorizing; each is claimed with a temporary file (the others count as skipped)."""
        if overwrite:
            return items
        folders = {target.parent for _, target, _ in items}
        busy = {folder: atomic.busy_names(folder) for folder in folders}
        mine = []
        for item in items:
            target = item[1]
            if os.path.lexists(target) or atomic.temporary_stem(target) in busy[target.parent]:
                with lock:
                    summary.skipped += 1
                bar.update(1)
                continue
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                claims[target] = atomic.create_temporary(target, suffix=".claim")
            except OSError:
                pass  # the folder cannot be written to: the write will say so
            mine.append(item)
        # Two runs that claimed the same photos at the same moment: the lower pid keeps them.
        busy = {folder: atomic.busy_names(folder) for folder in folders}
        kept = []
        for item in mine:
            target = item[1]
            other = busy[target.parent].get(atomic.temporary_stem(target))
            if other is not None and other < os.getpid():
                release(target)
                with lock:
                    summary.skipped += 1
                bar.update(1)
                continue
            kept.append(item)
        return kept

    def write(image, source, target):
        try:
            data.save_image(image, target, overwrite=overwrite)
        except FileExistsError:  # another run wrote it meanwhile: its result is kept
            with lock:
                summary.skipped += 1
        except OSError as error:  # disk full, read-only, no permission, a folder in the way
            with lock:
                summary.failed.append((source, outputs.write_error_message(target, error)))
        except Exception as error:  # noqa: BLE001 - reported per file
            with lock:
                summary.failed.append((source, _describe(error)))
        else:
            with lock:
                summary.done += 1
        finally:
            release(target)
        bar.update(1)

    writes: collections.deque = collections.deque()  # (future, pixels)
    waiting = [0]  # pixels of the results in ``writes``

    def chunk_hints(items):
        return None if hints is None else [hints_of[target] for _, target, _ in items]

    def run_chunk(items, writer):
        items = claim_chunk(items)
        if not items:
            return
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
                    release(target)
                    bar.update(1)
                    continue
            else:
                rgb, clipped = result[0][position], result[1][position]
            summary.clipped += bool(clipped)
            summary.colored += not data.is_grayscale(image)
            writes.append((writer.submit(write, rgb, source, target), rgb.shape[0] * rgb.shape[1]))
            waiting[0] += rgb.shape[0] * rgb.shape[1]
            while len(writes) > 1 and waiting[0] > memory_budget:  # results waiting: bounded
                future, pixels = writes.popleft()
                future.result()
                waiting[0] -= pixels

    def written_meanwhile(target) -> bool:
        return not overwrite and os.path.lexists(target)

    try:
        with (
            concurrent.futures.ThreadPoolExecutor(read_threads, "colorkit-read") as reader,
            concurrent.futures.ThreadPoolExecutor(write_threads, "colorkit-write") as writer,
        ):
            items, held = [], 0
            photos = _prefetch(reader, pending, memory_budget, written_meanwhile, max_pixels)
            for source, target, image in photos:
                if image is None:  # another run wrote it while this one ran
                    with lock:
                        summary.skipped += 1
                    bar.update(1)
                    continue
                if isinstance(image, BaseException):
                    with lock:
                        summary.failed.append((source, _describe(image)))
                    bar.update(1)
                    continue
                pixels = image.shape[0] * image.shape[1]
                if items and held + pixels > memory_budget:
                    run_chunk(items, writer)
                    items, held = [], 0
                items.append((source, target, image))
                held += pixels
                if len(items) >= chunk:
                    run_chunk(items, writer)
                    items, held = [], 0
            if items:
                run_chunk(items, writer)
            for future, _ in writes:
                future.result()
    finally:  # this run's claims on photos it did not finish
        for target in list(claims):
            release(target)
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


#: Seconds to wait for a ``tcp://`` Dask scheduler before giving up.
CONNECT_TIMEOUT_SECONDS = 20.0


def parse_scheduler(scheduler: str) -> tuple[str, int | str]:
    """Check a scheduler address: ``("local", N)`` or ``("address", "tcp://host:port")``.

    A ``tcp://`` scheduler must be trusted: Dask exchanges pickled data with it, which can run
    code on this machine.

    Raises:
        ValueError: For another form, or ``local:N`` where N is not an integer >= 1.

    Example:
        >>> parse_scheduler("local:2"), parse_scheduler("tcp://10.0.0.5:8786")
        (('local', 2), ('address', 'tcp://10.0.0.5:8786'))
        >>> parse_scheduler("local:abc")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: Invalid scheduler: expected 'local:N' ... Received: scheduler='local:abc'
    """
    if not isinstance(scheduler, str):
        raise TypeError(f"Invalid scheduler type: expected str. Received: scheduler={scheduler!r}")
    if scheduler.startswith("local:"):
        count = scheduler.split(":", 1)[1]
        if not count.isdigit() or int(count) < 1:
            raise ValueError(
                "Invalid scheduler: expected 'local:N' with N an integer >= 1. "
                f"Received: scheduler={scheduler!r}"
            )
        return "local", int(count)
    if re.fullmatch(r"(tcp|tls|ucx|inproc)://\S+", scheduler) or re.fullmatch(
        r"[\w.\-\[\]:]+:\d+", scheduler
    ):
        return "address", scheduler
    raise ValueError(
        "Invalid scheduler: expected 'tcp://host:port' or 'local:N'. "
        f"Received: scheduler={scheduler!r}"
    )


def make_client(scheduler: str):
    """A ``distributed.Client`` for ``"tcp://host:port"`` or ``"local:N"`` (N worker processes).

    Raises:
        ValueError: For another form (see :func:`parse_scheduler`).
        ConnectionError: The scheduler cannot be reached within
            :data:`CONNECT_TIMEOUT_SECONDS` (the message names it).
    """
    kind, value = parse_scheduler(scheduler)
    # The [scale] extra, and heavy (tornado, cloudpickle...): only Dask runs need it.
    distributed = _optional.require("dask.distributed", "scale", "colorize on a Dask cluster")

    if kind == "local":
        cluster = distributed.LocalCluster(
            n_workers=value,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            host="127.0.0.1",
        )
        return distributed.Client(cluster)
    try:
        return distributed.Client(value, timeout=CONNECT_TIMEOUT_SECONDS)
    except OSError as error:  # TimeoutError, refused, unknown host
        raise ConnectionError(
            f"Cannot reach the Dask scheduler {value!r} within {CONNECT_TIMEOUT_SECONDS:g} s "
            f"(is it running, and is the address right?): {type(error).__name__}: {error}"
        ) from None


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
    max_pixels: int | None = None,
) -> Summary:
    """Colorize photo files on a Dask cluster (each worker loads the model once).

    Args:
        paths: Photo files, or ``(input, output)`` pairs; paths must be readable by the
            workers (a shared file system on a real cluster).
        output_dir: Output folder (``<stem>.png``; see :func:`default_targets`).
        model: Path of a ``.keras`` file the workers can read, or a pretrained name.
        client: A ``distributed.Client``; None: one from ``scheduler`` (closed at the end).
        scheduler: ``"tcp://host:8786"`` or ``"local:N"`` when ``client`` is None. A
            ``tcp://`` scheduler must be trusted: Dask exchanges pickled data with it, which
            can run code on this machine.
        partition_size: Photos per task.
        size, temperature, saturation, batch_size, overwrite, max_pixels: As
            :func:`colorize_many` (each worker refuses the same photos as one process).
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
        pending = _pending(_pairs(paths, output_dir), overwrite, summary)
        settings = dict(size=size, temperature=temperature, saturation=saturation)
        settings.update(batch_size=batch_size, max_pixels=max_pixels)
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
