"""Command-line interface: ``colorkit`` (or ``python -m colorkit``).

Subcommands::

    colorkit train    --model unet --data bsds500 --epochs 10 --run-dir runs/unet [--resume]
    colorkit colorize photo.jpg old_photos/ --output colorized/ --model runs/unet/last.keras
    colorkit colorize photo.jpg --hints hints.json --output colorized/
    colorkit evaluate --data bsds500 --limit 50 [--model runs/unet/best.keras]
    colorkit colorize-video clip.avi clip_color.mp4 --method flow --width 384
    colorkit models

Output (tested in tests/test_cli_startup.py): results on stdout; on stderr errors, one summary
line and one line per kind of note or warning, counted ("3 of 5 photo(s) had out-of-gamut
colors clipped to sRGB"; a warning raised once per photo or frame is summarised, never shown
with its source line). TensorFlow's native start-up lines are kept off stderr. ``-q`` (before
or after the subcommand): errors only, no progress bar; ``-v``: TensorFlow's log lines and
every warning where it happens. ``--help``, ``--version`` and usage errors import neither
TensorFlow nor Keras (nor SciPy): the modules that need them load when a command first uses
one.

Exit status, the same for every subcommand (tested in tests/test_cli.py):

- 0: success;
- 1: some inputs failed: a file or folder is missing or unreadable, a photo or video could not
  be colorized, training raised, nothing was colorized;
- 2: bad usage: unknown subcommand or option, a missing or malformed argument (a
  non-positive ``--size``, a negative ``--saturation``, an unknown recipe, a malformed
  ``--scheduler``...), ``train --resume`` of a folder that does not exist or holds no run,
  ``train --recipe`` with options a recipe does not take, and for ``--hints``: several inputs
  (or a folder), an invalid hints file (not JSON, nested too deeply, not a list, a bad hint;
  the message names it by index), a hint outside the photo, or a ``--model`` that takes no
  hints. A missing hints file is a missing file (1).

User hints (``colorize --hints hints.json``, one photo): a JSON list of
``{"x": col, "y": row, "color": "#rrggbb"}`` (optional ``"radius"``, default 2) in the photo's
pixel coordinates (``colorkit.hints.parse_hints``); only the hints' chroma is used, the photo
keeps its luminance. Without ``--model`` the shipped hint model is used
(``colorkit.pretrained.load_pretrained_hint_model``).

Safe output rule of ``colorize``: outputs are ``<output>/<relative folder>/<name>.png``; an input
is never overwritten. The output folder may not be an input folder or lie inside one (the
results would mix with, and on the next run be read as, inputs); a file whose output path
would be one of the inputs is refused (and reported). An output's name depends on its input's
name only (``colorkit.outputs.output_name``): ``x.jpg`` -> ``x.png``, any other extension is
kept, ``x.JPG`` -> ``x_JPG.png``, ``x.png`` -> ``x_png.png``; an input whose output would equal
another's up to letter case is refused. Existing outputs that are not inputs are replaced
(atomically: temporary file, then ``os.replace``) only with ``--overwrite``; without it
they are skipped and counted ("skipped N existing output(s)"), also those another run writes
meanwhile (never replaced), so re-running a folder continues where it stopped, and two runs
into one folder share the work. Hidden files and files that are not photos in an input folder
are counted and named in one line. ``colorize-video`` likewise refuses an existing output
without ``--overwrite``.

Failures (exit 1) are one line each naming the path and the cause: an unreadable or too large
photo (over ``--max-pixels``, checked before decoding, on every path, Dask included), a broken
symbolic link or a link loop in an input folder (skipped, the batch goes on), an output that
cannot be written (read-only file system, no permission, disk full, a folder at its path; no
partial file is left). Checked once before any work (exit 1): ``--output`` is a file (or lies
under one), the model cannot colorize (not a colorkit model, another architecture).

Folders are colorized batched (``colorkit.scale.colorize_many``: reading ahead, photos of the
same working size through the network together, writing in the background), with a summary
(done, skipped, failed, seconds); ``--scheduler tcp://host:8786`` or ``--scheduler local:N``
runs it on a Dask cluster (``colorkit.scale.colorize_archive``); a malformed ``--scheduler`` is
a usage error (2), an unreachable one a failure (1). A ``tcp://`` scheduler must be trusted:
Dask exchanges pickled data with it, which can run code on this machine.
"""

from __future__ import annotations

import argparse
import collections
import importlib
import json
import os
import re
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

# NumPy and Pillow only: --help, --version and usage errors never load TensorFlow or SciPy.
from colorkit import __version__, color, data, outputs


class _LazyModule:
    """A colorkit module imported at the first attribute read (Keras ones after TensorFlow,
    quietly).

    TensorFlow and Keras take seconds to import (SciPy a few tenths); ``colorkit --help``,
    ``--version`` and usage errors must not pay for them, so the command bodies name these
    modules as usual and the import happens when a command first uses one.
    """

    def __init__(self, name: str, needs_keras: bool = True) -> None:
        self._name = name
        self._needs_keras = needs_keras

    def __getattr__(self, attribute: str):
        if self._needs_keras:
            _import_keras()
        return getattr(importlib.import_module(self._name), attribute)


hints = _LazyModule("colorkit.hints", needs_keras=False)
infer = _LazyModule("colorkit.infer")
metrics = _LazyModule("colorkit.metrics")
models = _LazyModule("colorkit.models")
pretrained = _LazyModule("colorkit.pretrained")
scale = _LazyModule("colorkit.scale")
training = _LazyModule("colorkit.training")
video = _LazyModule("colorkit.video")

#: -q: errors only; default: errors, warnings and one summary line per kind of note; -v: details
#: (TensorFlow's start-up and C++ log lines, every warning where it happens).
QUIET, NORMAL, VERBOSE = -1, 0, 1
_verbosity = NORMAL

# TensorFlow's native start-up lines, written straight to file descriptor 2 by absl before its
# logging is initialised (TF_CPP_MIN_LOG_LEVEL does not reach them): the "All log messages
# before absl::InitializeLog()" banner, absl INFO lines ("I0000 00:00:1796694095.643472 5574
# port.cc:153] oneDNN custom operations are on...") and the CPU-feature note's second line.
_NATIVE_STARTUP_LINE = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\) is called"
    r"|I\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ \S+:\d+\]"
    r"|To enable the following instructions: )"
)


def _import_keras() -> None:
    """Import TensorFlow and Keras once, keeping their native start-up lines off stderr.

    Below ``-v`` the lines TensorFlow's C++ libraries print while loading are captured (at the
    file-descriptor level: they bypass ``sys.stderr``) and only those that are not start-up
    chatter are passed on; an import that fails shows everything it printed.
    """
    if "keras" in sys.modules and "tensorflow" in sys.modules:
        return
    if _verbosity >= VERBOSE:
        import keras  # noqa: F401 (TensorFlow comes with it: Keras' backend)
        import tensorflow  # noqa: F401

        return
    sys.stderr.flush()
    saved = os.dup(2)
    failed = True
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            import keras  # noqa: F401
            import tensorflow

            tensorflow.get_logger().setLevel("ERROR")
            failed = False
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            lines = capture.read().decode(errors="replace").splitlines(keepends=True)
            for line in lines:
                if failed or not _NATIVE_STARTUP_LINE.match(line):
                    sys.stderr.write(line)
            sys.stderr.flush()


#: Exit status for failures at run time, and for invalid arguments (as argparse).
EXIT_FAILURE = 1
EXIT_USAGE = 2


class UsageError(ValueError):
    """Invalid command-line arguments detected after parsing (exit status 2)."""


def _error(command: str, message: str) -> None:
    # Keras errors carry ANSI bold escapes and an "Arguments received by ..." trailer.
    message = re.sub(r"\x1b\[[0-9;]*m", "", message).split("\n\nArguments received by")[0]
    print(f"colorkit {command}: error: {message.strip()}", file=sys.stderr)


def _json_dict(text: str) -> dict:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise argparse.ArgumentTypeError(f"not valid JSON ({error}): {text!r}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"expected a JSON object like '{{\"a\": 1}}': {text!r}")
    return value


def _unit_interval(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1), got {text!r}") from None
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1), got {text!r}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0, got {text!r}")
    return value


def _positive_float(text: str) -> float:
    value = _non_negative_float(text)
    if value == 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
    return value


def _note(command: str, message: str) -> None:
    """A note or warning on stderr (not under ``-q``: errors only)."""
    if _verbosity > QUIET:
        print(f"colorkit {command}: {message}", file=sys.stderr)


# --------------------------------------------------------------------------------------------
# Parser
# --------------------------------------------------------------------------------------------


def _add_verbosity_options(parser: argparse.ArgumentParser, default) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "-q", "--quiet", action="store_true", default=default, help="errors only (no notes)"
    )
    group.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=default,
        help="details: TensorFlow's start-up and log lines, every warning where it happens",
    )


def build_parser() -> argparse.ArgumentParser:
    """The ``colorkit`` parser (train, colorize, colorize-video, evaluate, models)."""
    parser = argparse.ArgumentParser(
        prog="colorkit", description="Neural image colorization: train, colorize, evaluate."
    )
    parser.add_argument("--version", action="version", version=f"colorkit {__version__}")
    _add_verbosity_options(parser, default=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    train = commands.add_parser("train", help="train a model (records a run directory)")
    train.add_argument("--recipe", help="start from a named recipe (colorkit.training.recipes)")
    train.add_argument("--model", help="model family: unet, dahl or zhang (default unet)")
    train.add_argument("--model-kwargs", type=_json_dict, help="builder arguments as JSON")
    train.add_argument("--loss", help="loss name (default: l2, or soft_ce for zhang)")
    train.add_argument("--loss-kwargs", type=_json_dict, help="loss arguments as JSON")
    train.add_argument(
        "--data", nargs="+", help="registered dataset name, folder, archive, or image files"
    )
    train.add_argument("--val-data", nargs="+", help="validation source (default: a split)")
    train.add_argument("--epochs", type=_positive_int)
    train.add_argument("--image-size", type=_positive_int)
    train.add_argument("--batch-size", type=_positive_int)
    train.add_argument("--lr", "--learning-rate", dest="learning_rate", type=_positive_float)
    train.add_argument("--lr-schedule", choices=("constant", "cosine", "step"))
    train.add_argument("--steps-per-epoch", type=_positive_int)
    train.add_argument("--max-images", type=_positive_int)
    train.add_argument("--preview-images", type=int)
    train.add_argument("--seed", type=int)
    train.add_argument("--data-backend", choices=("auto", "tf", "numpy"))
    train.add_argument("--progress", choices=("auto", "keras", "tqdm", "none"))
    train.add_argument(
        "--distribute",
        metavar="MODE",
        help="multi-device / multi-worker training: auto, none, mirrored, multiworker "
        "(TF_CONFIG) or dataparallel (JAX)",
    )
    train.add_argument("--run-dir", help="run directory (default runs/<model>)")
    train.add_argument(
        "--export",
        metavar="MODEL.keras",
        help="with --recipe: also save the final model for inference (a guided recipe: the "
        "full colorizer, its decoding settings chosen on the validation photos)",
    )
    train.add_argument(
        "--resume",
        action="store_true",
        help="continue the run in --run-dir from its last checkpoint (its config.json is the "
        "default for every option)",
    )

    colorize = commands.add_parser("colorize", help="colorize image files or folders")
    colorize.add_argument("inputs", nargs="+", metavar="INPUT", help="image files or folders")
    colorize.add_argument("--output", "-o", required=True, help="output folder (created)")
    colorize.add_argument("--model", help="a .keras file (or a pretrained model name)")
    colorize.add_argument(
        "--size",
        type=_positive_int,
        default=None,
        help="working long side of the network (default: the model's recommended size, else 256)",
    )
    colorize.add_argument(
        "--temperature",
        type=_positive_float,
        default=None,
        help="annealed-mean temperature (default: the model's recommended setting, else "
        f"{color.DEFAULT_TEMPERATURE})",
    )
    colorize.add_argument(
        "--saturation",
        type=_non_negative_float,
        default=None,
        help="chroma multiplier (default: the model's recommended setting, else 1.0)",
    )
    colorize.add_argument("--batch-size", type=_positive_int, default=4)
    colorize.add_argument(
        "--hints",
        metavar="HINTS.json",
        help='user color hints for one photo: a JSON list of {"x": col, "y": row, "color": '
        '"#rrggbb"} in its pixels (default model: the shipped hint model)',
    )
    colorize.add_argument("--no-recursive", action="store_true", help="do not enter sub-folders")
    colorize.add_argument(
        "--overwrite",
        action="store_true",
        help="replace existing outputs (default: skip them; a re-run continues where it stopped)",
    )
    colorize.add_argument(
        "--max-pixels",
        type=_positive_int,
        default=None,
        help=f"refuse larger photos (default {data.MAX_IMAGE_PIXELS:,} pixels; each needs about "
        f"{data.PEAK_BYTES_PER_PIXEL} bytes of memory per pixel while it is colorized)",
    )
    colorize.add_argument("--no-progress", action="store_true", help="no progress bar")
    colorize.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="colorize on a Dask cluster: tcp://host:8786, or local:N for N local worker "
        "processes (needs --model as a file the workers can read, or a pretrained name). "
        "Use only a scheduler you trust: Dask exchanges pickled data, which can run code here",
    )

    evaluate = commands.add_parser("evaluate", help="metrics of a model against ground truth")
    evaluate.add_argument("--data", required=True, nargs="+", help="dataset name, folder, files")
    evaluate.add_argument(
        "--model", help="a .keras file or a pretrained name (default: the shipped model)"
    )
    evaluate.add_argument("--size", type=_positive_int, default=128, help="image side (crop)")
    evaluate.add_argument("--limit", type=_positive_int, help="use at most N images")
    evaluate.add_argument("--temperature", type=_positive_float, default=None)
    evaluate.add_argument("--batch-size", type=_positive_int, default=8)

    clip = commands.add_parser(
        "colorize-video", help="colorize a video with temporal coherence (frame/smooth/flow)"
    )
    clip.add_argument("input", help="source video file")
    clip.add_argument("output", help="output video file (.mp4); never the input")
    clip.add_argument(
        "--method", default="flow", help="temporal method: frame, smooth or flow (default flow)"
    )
    clip.add_argument("--model", default=None, help="model name or .keras path (default: shipped)")
    clip.add_argument("--size", type=_positive_int, default=None, help="working size (px)")
    clip.add_argument("--temperature", type=_positive_float, default=None, help="annealed-mean T")
    clip.add_argument(
        "--saturation",
        type=_non_negative_float,
        default=None,
        help="chroma multiplier (default: the model's recommended setting, else 1.0)",
    )
    clip.add_argument("--max-frames", type=_positive_int, default=None, help="first frames only")
    clip.add_argument("--width", type=_positive_int, default=None, help="downscale to this width")
    clip.add_argument(
        "--temporal-weight",
        type=_unit_interval,
        default=None,
        help="in [0, 1) (default: the method's own, colorkit.video.DEFAULT_FLOW_WEIGHT or "
        "DEFAULT_TEMPORAL_WEIGHT)",
    )
    clip.add_argument("--no-audio", action="store_true", help="do not carry the audio over")
    clip.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    clip.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    model_list = commands.add_parser(
        "models", help="every model family (parameters, FLOPs) and its pretrained names"
    )
    model_list.add_argument("--image-size", type=_positive_int, default=128)
    for command in commands.choices.values():  # -q / -v before or after COMMAND
        _add_verbosity_options(command, default=argparse.SUPPRESS)
    return parser


# --------------------------------------------------------------------------------------------
# train
# --------------------------------------------------------------------------------------------


def _recipe(name: str):
    try:
        return training.recipes.get_recipe(name)
    except ValueError as error:
        raise UsageError(str(error)) from None


def _single_or_list(values):
    if values is None:
        return None
    return values[0] if len(values) == 1 else list(values)


#: Options of ``train`` named as on the command line (the rest: ``--`` + dest with dashes).
_TRAIN_OPTION_NAMES = {"dataset": "--data", "val_dataset": "--val-data", "learning_rate": "--lr"}


def _option_name(dest: str) -> str:
    return _TRAIN_OPTION_NAMES.get(dest, "--" + dest.replace("_", "-"))


def _saved_run_settings(run_dir: Path) -> dict:
    """The settings of the run to resume in ``run_dir`` (its ``config.json``).

    Raises:
        UsageError: ``run_dir`` holds no run (no ``config.json`` and no epoch checkpoint).
        ValueError: Its ``config.json`` cannot be read (truncated, edited); names the file.
    """
    saved = run_dir / "config.json"
    if not saved.is_file() and not training.run_folder.epoch_checkpoints(run_dir):
        runs = sorted(
            str(child) for child in run_dir.iterdir() if (child / "config.json").is_file()
        )
        hint = f"; runs inside it: {', '.join(runs[:5])}" if runs else ""
        raise UsageError(
            f"--resume: '{run_dir}' holds no run (a run folder holds config.json, log.csv and "
            f"checkpoints/epoch_NNN.keras, as written by colorkit train){hint}. Give the run "
            "folder itself as --run-dir, or leave out --resume to start a new run"
        )
    if not saved.is_file():
        return {}
    try:
        values = json.loads(saved.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(
            f"Cannot read the settings of the run to resume, '{saved}' (truncated or edited?): "
            f"{error}"
        ) from None
    if not isinstance(values, dict):
        raise ValueError(
            f"Cannot read the settings of the run to resume, '{saved}': expected a JSON "
            f"object. Received: {type(values).__name__}"
        )
    return values


def _check_choice(option: str, value, choices) -> None:
    """Usage error for a value outside ``choices`` (kept by the library, read after parsing)."""
    if value is not None and value not in choices:
        raise UsageError(
            f"argument {option}: invalid choice: {value!r} (choose from "
            f"{', '.join(map(repr, choices))})"
        )


def _run_train(args) -> int:
    _check_choice("--distribute", args.distribute, training.config.DISTRIBUTE_MODES)
    values: dict = {}
    run_dir_arg = args.run_dir
    if args.resume:
        if run_dir_arg is None:
            raise UsageError("--resume needs --run-dir (the run to continue)")
        if not Path(run_dir_arg).is_dir():
            raise UsageError(
                f"--resume: no run directory '{run_dir_arg}' (nothing to resume; check the "
                "spelling, or leave out --resume to start a new run)"
            )
        values.update(_saved_run_settings(Path(run_dir_arg)))
    if args.recipe:
        _recipe(args.recipe)
        taken = {"recipe", "run_dir", "resume", "command", "export", "quiet", "verbose"}
        extra = sorted(
            _option_name(dest)
            for dest, value in vars(args).items()
            if dest not in taken and value is not None
        )
        if extra:
            raise UsageError(
                f"--recipe {args.recipe} fixes the model, the data and every training setting; "
                "it takes only --run-dir (and --resume, --export). "
                f"Received also: {', '.join(extra)} "
                "(leave them out, or leave out --recipe to train with your own options)"
            )
        final = training.recipes.run_recipe(
            args.recipe, run_root=run_dir_arg, resume=True, export=args.export
        )
        print(f"colorkit train: recipe {args.recipe!r} finished; final model {final}")
        return 0
    if args.export is not None:
        raise UsageError("--export goes with --recipe (a run's models are in its run directory)")
    overrides = {
        "model": args.model,
        "model_kwargs": args.model_kwargs,
        "loss": args.loss,
        "loss_kwargs": args.loss_kwargs,
        "dataset": _single_or_list(args.data),
        "val_dataset": _single_or_list(args.val_data),
        "epochs": args.epochs,
        "image_size": args.image_size,
        "batch_size": args.batch_size,
        "learning_rate": args.learning_rate,
        "lr_schedule": args.lr_schedule,
        "steps_per_epoch": args.steps_per_epoch,
        "max_images": args.max_images,
        "preview_images": args.preview_images,
        "seed": args.seed,
        "data_backend": args.data_backend,
        "progress": args.progress,
        "distribute": args.distribute,
        "run_dir": run_dir_arg,
    }
    values.update({key: value for key, value in overrides.items() if value is not None})
    values.setdefault("run_dir", str(Path("runs") / values.get("model", "unet")))
    config = training.TrainConfig.from_dict(values)
    history = training.train(config, resume=args.resume)
    losses = history.history.get("val_loss") or history.history.get("loss") or []
    final = f"; final val_loss {losses[-1]:.4f}" if losses else ""
    print(f"colorkit train: run saved in {Path(config.run_dir).resolve()}{final}")
    return 0


# --------------------------------------------------------------------------------------------
# colorize
# --------------------------------------------------------------------------------------------


def _resolve_model(name_or_path: str | None, command: str):
    if name_or_path is None:
        return pretrained.load_pretrained()
    return infer.load_model(name_or_path)


def _is_within(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
    except ValueError:
        return False
    return True


def plan_outputs(
    inputs: list[str], output_dir: str | os.PathLike, recursive: bool = True
) -> tuple[list[tuple[Path, Path]], list[tuple[str, str]]]:
    """Map input files/folders to output PNG paths under ``output_dir`` (the safe rule).

    Args:
        inputs: Image files and folders.
        output_dir: The output folder.
        recursive: Enter sub-folders of input folders.

    Returns:
        ``(jobs, problems)``: ``jobs`` is a list of ``(input file, output file)``; ``problems``
        lists ``(path, reason)`` for inputs that are missing or whose output would overwrite an
        input.

    Raises:
        UsageError: If the output folder is an input folder or inside one.

    Example:
        >>> import tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "a.jpg").write_bytes(b"")
        >>> jobs, problems = plan_outputs([str(folder / "a.jpg")], folder / "out")
        >>> [(i.name, o.name) for i, o in jobs], problems
        ([('a.jpg', 'a.png')], [])
    """
    out = Path(os.path.realpath(Path(output_dir).expanduser()))
    candidates: list[tuple[Path, Path]] = []  # (input file, relative output folder)
    problems: list[tuple[str, str]] = []
    for text in inputs:
        path = Path(text).expanduser()
        resolved = Path(os.path.realpath(path))  # never raises, even for a link loop
        if resolved.is_dir():
            if resolved == out or (recursive and _is_within(out, resolved)):
                raise UsageError(
                    f"The output folder '{out}' is the input folder '{resolved}' or inside it: "
                    "outputs would mix with the inputs. Choose another --output"
                )
            try:
                files = data.list_images(str(resolved), recursive=recursive)
            except ValueError:  # list_images refuses a folder without images
                files = []
            if not files:
                problems.append((str(path), "no image files in this folder"))
            for file in files:
                entry = Path(file)  # under `resolved`, links not followed (yet)
                reason = outputs.unreadable_entry_reason(entry)
                if reason is not None:
                    problems.append((file, reason))
                    continue
                candidates.append((entry, entry.parent.relative_to(resolved)))
        elif resolved.is_file():
            candidates.append((Path(os.path.abspath(path)), Path()))
        else:
            problems.append((str(path), outputs.unreadable_entry_reason(path) or "not a file"))

    input_set = {Path(os.path.realpath(path)) for path, _ in candidates}
    seen: set[Path] = set()
    jobs: list[tuple[Path, Path]] = []
    for source, relative in candidates:
        real = Path(os.path.realpath(source))
        if real in seen:
            continue  # the same file given twice (or a link to one already planned)
        seen.add(real)
        target = out / relative / outputs.output_name(source)
        if Path(os.path.realpath(target)) in input_set or target == source:
            problems.append(
                (str(source), f"refusing to overwrite an input with its output '{target}'")
            )
            continue
        jobs.append((source, target))
    jobs, collisions = outputs.case_collisions(jobs)
    problems.extend((str(source), reason) for source, reason in collisions)
    return jobs, problems


def ignored_entries(inputs: list[str], recursive: bool = True) -> list[tuple[str, str]]:
    """The files of the input folders that ``colorize`` leaves out, with the reason.

    Hidden files (and the files in hidden folders) and files without a photo extension
    (``colorkit.data.IMAGE_EXTENSIONS``: a ``.gif``, a ``.txt``...) are not inputs.

    Args:
        inputs: Image files and folders, as given to ``colorize``.
        recursive: Enter sub-folders of input folders.

    Returns:
        ``(path, reason)`` pairs, sorted by path.

    Example:
        >>> import tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> for name in ("a.jpg", ".b.jpg", "c.gif"):
        ...     _ = (folder / name).write_bytes(b"")
        >>> [(pathlib.Path(p).name, why) for p, why in ignored_entries([str(folder)])]
        [('.b.jpg', 'hidden'), ('c.gif', 'not a photo type colorkit reads (.gif)')]
    """
    ignored = []
    for text in inputs:
        root = Path(text).expanduser()
        if not root.is_dir():
            continue
        for folder, subfolders, files in os.walk(root):
            hidden_folders = sorted(name for name in subfolders if name.startswith("."))
            for name in hidden_folders:
                ignored.append((os.path.join(folder, name), "hidden folder"))
            subfolders[:] = (
                [] if not recursive else [name for name in subfolders if not name.startswith(".")]
            )
            for name in files:
                path = os.path.join(folder, name)
                if name.startswith("."):
                    ignored.append((path, "hidden"))
                elif not name.lower().endswith(data.IMAGE_EXTENSIONS):
                    extension = os.path.splitext(name)[1].lower() or "no extension"
                    ignored.append((path, f"not a photo type colorkit reads ({extension})"))
    return sorted(ignored)


def _report_ignored(ignored: list[tuple[str, str]], shown: int = 5) -> None:
    """One line counting and naming the files left out of the input folders."""
    if not ignored:
        return
    names = "; ".join(f"{path} ({reason})" for path, reason in ignored[:shown])
    more = f"; and {len(ignored) - shown} more" if len(ignored) > shown else ""
    print(
        f"colorkit colorize: left out {len(ignored)} item(s) of the input folders (not photos "
        f"to colorize): {names}{more}",
        file=sys.stderr,
    )


def _check_output_folder(output: str) -> None:
    """Refuse an ``--output`` that is a file or lies under one, before any work."""
    path = Path(output).expanduser()
    for folder in (path, *path.parents):
        if os.path.lexists(folder):
            if not folder.is_dir():
                raise NotADirectoryError(
                    f"--output must be a folder; '{folder}' is a file"
                    + ("" if folder == path else f" (in the way of '{path}')")
                    + ". Choose another --output"
                )
            return


def _check_scheduler(args) -> None:
    """A malformed ``--scheduler`` is a usage error (before any work)."""
    if args.scheduler is None:
        return
    if args.hints is not None:
        raise UsageError("--hints colorizes one photo in this process: leave out --scheduler")
    try:
        scale.parse_scheduler(args.scheduler)
    except ValueError as error:
        raise UsageError(str(error)) from None


def _check_model(model, name: str) -> None:
    """Colorize one tiny gray photo: a model that cannot (not a colorkit model, another
    architecture) is named once, before any photo is read."""
    try:
        stride = infer.model_stride(model)
        probe = np.full((2 * stride, 2 * stride, 3), 0.5, np.float32)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            infer.colorize(probe, model, size=2 * stride)
    except Exception as error:  # noqa: BLE001 - any failure here is the model's
        message = re.sub(r"\s+", " ", str(error)).strip()[:300]
        raise ValueError(
            f"The model {name!r} cannot colorize photos ({type(error).__name__}: {message}). "
            "Use a model trained by colorkit (colorkit train) or a pretrained name"
        ) from None


def _check_hint_usage(args) -> None:
    """``--hints`` takes one photo file and a valid hints file (raises UsageError otherwise)."""
    if len(args.inputs) != 1 or Path(args.inputs[0]).is_dir():
        raise UsageError(
            "--hints applies to one photo (its hints are in that photo's pixels): give exactly "
            f"one input file. Received: {len(args.inputs)} input(s): {' '.join(args.inputs)}"
        )
    try:
        hints.parse_hints(Path(args.hints))
    except ValueError as error:
        raise UsageError(str(error)) from None


def _photo_hints(path: str, image_shape) -> list:
    try:
        return hints.parse_hints(Path(path), image_shape)
    except ValueError as error:
        raise UsageError(str(error)) from None


def _hint_model(name_or_path: str | None):
    if name_or_path is None:
        return pretrained.load_pretrained_hint_model()
    model = infer.load_model(name_or_path)
    if not models.model_spec(model).hint_inputs:
        raise UsageError(
            f"--hints needs a model with hint inputs; {name_or_path!r} takes none (its "
            "ModelSpec.hint_inputs is False). Leave out --model to use the shipped hint model"
        )
    return model


def _run_colorize(args) -> int:
    if args.hints is not None:
        _check_hint_usage(args)
    _check_scheduler(args)
    _check_output_folder(args.output)
    jobs, problems = plan_outputs(args.inputs, args.output, recursive=not args.no_recursive)
    _report_ignored(ignored_entries(args.inputs, recursive=not args.no_recursive))
    jobs, existing, blocked = outputs.split_existing(jobs, overwrite=args.overwrite)
    problems = problems + [(str(source), reason) for source, reason in blocked]
    for path, reason in problems:
        _error("colorize", f"skipped {path}: {reason}")
    if existing:
        _note(
            "colorize",
            f"skipped {len(existing)} existing output(s) in "
            f"{Path(args.output).resolve()} (pass --overwrite to replace them)",
        )
    if not jobs and existing and not problems:
        print("colorkit colorize: nothing left to do: every output exists")
        return 0
    if not jobs:
        _error("colorize", "nothing to colorize")
        return EXIT_FAILURE
    if args.hints is None:
        return _run_colorize_many(args, jobs, problems)
    model = _hint_model(args.model)
    source = jobs[0][0]
    try:  # the hints are checked against the photo's size before anything is written
        image = data.read_image(source, max_pixels=args.max_pixels)
    except (OSError, ValueError) as error:  # ImageReadError is a ValueError
        _error("colorize", f"skipped {source}: {error}")
        return EXIT_FAILURE
    photo_hints = _photo_hints(args.hints, image.shape[:2])
    return _run_colorize_many(args, jobs, problems, model=model, hints=[photo_hints])


def _run_colorize_many(args, jobs, problems, model=None, hints=None) -> int:
    """``colorize``: batched in this process (with the photos' ``hints`` if given, one entry
    per job, for the hint ``model``), or on Dask (``--scheduler``, no hints)."""
    overwrite = bool(getattr(args, "overwrite", False))
    settings = dict(size=args.size, temperature=args.temperature, saturation=args.saturation)
    progress = False if args.no_progress or _verbosity <= QUIET else None
    if args.scheduler:
        model = args.model if args.model is not None else "default"
        pretrained_name = not Path(model).suffix and os.sep not in model
        if pretrained_name or Path(model).exists():  # else only the workers may see it
            _check_model(_resolve_model(model, "colorize"), model)
        summary = scale.colorize_archive(
            jobs,
            None,
            model,
            scheduler=args.scheduler,
            overwrite=overwrite,
            batch_size=args.batch_size,
            progress=progress,
            max_pixels=args.max_pixels,
            **settings,
        )
    else:
        if model is None:
            model = _resolve_model(args.model, "colorize")
            _check_model(model, args.model or "default")
        summary = scale.colorize_many(
            jobs,
            None,
            model,
            overwrite=overwrite,
            batch_size=args.batch_size,
            progress=progress,
            max_pixels=args.max_pixels,
            hints=hints,
            **settings,
        )
    for source, reason in summary.failed:
        _error("colorize", f"skipped {source}: {reason}")
    if summary.colored:
        _note("colorize", f"note: {summary.colored} input(s) had color; using their luminance")
    print(f"colorkit colorize: wrote {summary.done} image(s) to {Path(args.output).resolve()}")
    _note("colorize", str(summary))
    if summary.clipped:
        _note(
            "colorize",
            f"note: {summary.clipped} of {summary.done} photo(s) had out-of-gamut colors "
            "clipped to sRGB",
        )
    failed = len(problems) + len(summary.failed)
    if failed:
        _error("colorize", f"{failed} input(s) skipped (see above)")
    if failed or not (summary.done or summary.skipped):
        return EXIT_FAILURE
    return 0


# --------------------------------------------------------------------------------------------
# evaluate / models
# --------------------------------------------------------------------------------------------


def _evaluation_paths(sources: list[str]) -> list[str]:
    if len(sources) == 1 and sources[0] in data.DATASETS:
        splits = data.DATASETS[sources[0]].splits or {}
        split = "test" if "test" in splits else ("val" if "val" in splits else None)
        return data.resolve_source(sources[0], split).paths
    return data.resolve_source(sources[0] if len(sources) == 1 else sources).paths


def _run_evaluate(args) -> int:
    paths = _evaluation_paths(args.data)
    if args.limit is not None:
        paths = paths[: args.limit]
    model = _resolve_model(args.model, "evaluate")
    truth = data.load_images(paths, args.size, crop="center")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", color.GamutWarning)  # part of what is being measured
        predicted = infer.colorize(
            truth, model, size=args.size, temperature=args.temperature, batch_size=args.batch_size
        )
    gray = np.asarray(color.desaturate(truth, method="lab"), np.float32)
    name = Path(args.model).stem if args.model else "default (shipped)"
    rows = {name: metrics.evaluate_batch(predicted, truth)}
    with warnings.catch_warnings():
        # Gray has no hue: hue_agreement is nan by definition, no need to warn about it.
        warnings.simplefilter("ignore", RuntimeWarning)
        rows["gray baseline"] = metrics.evaluate_batch(gray, truth)
    print(f"{len(paths)} images at {args.size} px (center crops)")
    print(metrics.metrics_table(rows), end="")
    return 0


def _run_models(args) -> int:
    names: dict[str, list[str]] = {}
    for name in pretrained.available_pretrained():
        names.setdefault(pretrained.pretrained_info(name)["family"], []).append(name)
    print(models.summary_table(image_size=args.image_size, pretrained=names), end="\n")
    return 0


def _run_colorize_video(args) -> int:
    _check_choice("--method", args.method, video.METHODS)
    model = args.model if args.model is not None else pretrained.load_pretrained()
    report = video.colorize_video(
        args.input,
        args.output,
        model,
        method=args.method,
        size=args.size,
        temperature=args.temperature,
        saturation=args.saturation,
        max_frames=args.max_frames,
        max_width=args.width,
        temporal_weight=args.temporal_weight,
        keep_audio=not args.no_audio,
        progress=not args.no_progress and _verbosity > QUIET,
        overwrite=args.overwrite,
    )
    print(report.summary())
    if report.declared_frames is not None:
        _note(
            "colorize-video",
            f"warning: {args.input}: read {report.num_frames} of "
            f"{report.declared_frames} declared frames (the file may be truncated)",
        )
    return 0


_COMMANDS = {
    "train": _run_train,
    "colorize": _run_colorize,
    "colorize-video": _run_colorize_video,
    "evaluate": _run_evaluate,
    "models": _run_models,
}


def main(argv: list[str] | None = None) -> int:
    """Run the ``colorkit`` command line.

    Args:
        argv: Arguments without the program name (default ``sys.argv[1:]``).

    Returns:
        The exit status: 0 success, 1 failure, 2 invalid arguments.

    Example:
        >>> main(["colorize", "/nonexistent.jpg", "--output", "/tmp/out", "--no-progress"])
        1
    """
    global _verbosity
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_request:  # --help, --version, or an argparse error
        code = exit_request.code
        return code if isinstance(code, int) else (0 if code is None else EXIT_USAGE)
    _verbosity = QUIET if args.quiet else (VERBOSE if args.verbose else NORMAL)
    # TensorFlow's C++ log lines are not for the users of a program (an explicit
    # TF_CPP_MIN_LOG_LEVEL in the environment wins); -v shows them.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "0" if _verbosity >= VERBOSE else "3")
    if _verbosity >= VERBOSE:
        return _dispatch(args)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)  # count every one, then summarise
        try:
            return _dispatch(args)
        finally:
            _summarize_warnings(args.command, caught)


#: Warnings that come in numbers (one per photo or frame), summarised as one counted line.
_COUNTED_WARNINGS = {
    "GamutWarning": "note: out-of-gamut colors were clipped to sRGB in {count} result(s)",
    "DecompressionBombWarning": (
        "warning: {count} photo(s) above Pillow's decompression-bomb limit were decoded "
        "(they were within --max-pixels)"
    ),
}


def _summarize_warnings(command: str, caught: list[warnings.WarningMessage]) -> None:
    """One stderr line per kind of warning, counted, instead of each warning with its source
    line (``-v`` shows those; ``-q`` nothing).

    A kind of :data:`_COUNTED_WARNINGS` seen once keeps its own message (it may carry a count of
    its own, such as the clipped pixels of a video); any other warning (a corrupt checkpoint
    skipped, ...) is its message's first line, with ``(N times)`` when repeated.
    """
    messages: dict[str, list[str]] = collections.defaultdict(list)
    for record in caught:
        kind = record.category.__name__
        text = str(record.message).strip().splitlines()[0] if str(record.message) else kind
        messages[kind if kind in _COUNTED_WARNINGS else f"warning: {text}"].append(text)
    for key, texts in messages.items():
        if key not in _COUNTED_WARNINGS:
            _note(command, key + (f" ({len(texts)} times)" if len(texts) > 1 else ""))
        elif len(texts) == 1 and key == "GamutWarning":
            _note(command, f"note: {texts[0]}")
        else:
            _note(command, _COUNTED_WARNINGS[key].format(count=len(texts)))


def _dispatch(args) -> int:
    try:
        return _COMMANDS[args.command](args)
    except UsageError as error:
        _error(args.command, str(error))
        return EXIT_USAGE
    except ModuleNotFoundError as error:  # an optional package: the message names its extra
        _error(args.command, str(error))
        return EXIT_FAILURE
    except (FileNotFoundError, FileExistsError, ValueError, TypeError) as error:
        _error(args.command, str(error))
        return EXIT_FAILURE
    except OSError as error:  # output side: read-only, no permission, disk full, a folder...
        if error.filename is None:  # not about a file: e.g. an unreachable Dask scheduler
            _error(args.command, str(error))
        else:
            _error(args.command, outputs.write_error_message(error.filename, error))
        return EXIT_FAILURE
    except KeyboardInterrupt:
        _error(args.command, "interrupted")
        return 130
