"""Regenerate docs/MODEL_CARD.md and its figures for the shipped default (``make model-card``).

Usage::

    python scripts/model_card.py                      # every input at its default place
    python scripts/model_card.py --default runs/dev_guided.keras --limit 8 \\
        --output /tmp/card/MODEL_CARD.md --semantic-test 200

Every number in the card comes from this script (or from the JSON files it names, written by
``scripts/compare_encoders.py`` and ``scripts/evaluate_hints.py``):

- the test table on BSDS500 test (200 photos, long side 256): gray, the L2 baseline, colorkit
  0.1's random-init Zhang classifier, Dahl's decoder on the trained VGG16, the new default and
  the truth; per-photo means (``metrics.evaluate_batch`` once per photo and model) and the
  pooled AuC / rebalanced AuC / false color (``metrics.pooled_scores``); the issue 11 goals;
- the equal-budget encoder comparison (``colorkit/weights/comparison.json``);
- the learning curve of the run's per-epoch decoder checkpoints on 40 BSDS500 val photos
  (cached in ``<figures>/learning_curve.json`` so that regenerating without the run keeps it);
- example and failure figures, the hats (spread vs concentrated color distributions), the
  semantic check on CIFAR-10 (notebook 08's classifier), the hints curve, and the model facts.

Models are pretrained names or ``.keras`` paths; a missing optional model (``--zhang-scratch``,
``--l2``, ``--dahl``) is skipped with a note in the card. A missing default model, dataset or
explicitly given input file stops the script with a one-line error (exit status 2).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

import keras
import numpy as np
from matplotlib import colormaps
from PIL import Image

from colorkit import atomic, color, data, evaluation, infer, metrics, models, pretrained, viz
from colorkit.evaluation import sources
from colorkit.models import encoders, guided
from colorkit.training import cached, recipes

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SUMMARY = REPO_ROOT / "runs" / "recipe-default" / "summary.json"
DEFAULT_RUN = REPO_ROOT / "runs" / "recipe-default" / "run"
ROW_LABELS = {
    "gray": "gray (no color)",
    "l2": "L2 U-Net baseline",
    "zhang-scratch": "0.1 Zhang classifier (random init)",
    "dahl": "Dahl decoder on trained VGG16",
    "default": "**new default** (trained ResNet + guided decoder)",
    "truth": "ground truth",
}
COLUMNS = [
    ("auc_ab", "AuC"),
    ("auc_ab_pooled", "AuC pooled"),
    ("rebalanced_auc_ab", "rebal. AuC"),
    ("rebalanced_auc_ab_pooled", "rebal. AuC pooled"),
    ("psnr", "PSNR dB"),
    ("ssim", "SSIM"),
    ("colorfulness", "colorful."),
    ("colorfulness_ratio", "/ truth"),
    ("sludge_score", "sludge"),
    ("sepia_score", "sepia"),
    ("false_color_score", "false color"),
]
#: ImageNet-sample classes with sky or grass in most photos (for the hats comparison).
SCENE_CLASSES = (
    "alp",
    "cliff",
    "lakeside",
    "promontory",
    "sandbar",
    "seashore",
    "volcano",
    "balloon",
    "parachute",
    "golfcart",
    "lawn_mower",
    "soccer_ball",
    "daisy",
    "hay",
)


class InputMissing(Exception):
    """A required input (model, dataset, file) is not there; the message names it."""


def log(message: str) -> None:
    print(f"[model-card] {message}", flush=True)


def fmt(value, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "n/a"
    if np.isinf(value):
        return "inf"
    return f"{value:.{digits}f}" if abs(value) < 10 else f"{value:.2f}"


def markdown_table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]


# --------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------
def model_file(name: str) -> Path | None:
    """The ``.keras`` file behind a pretrained name or path (None when there is none)."""
    path = Path(name).expanduser()
    if name.endswith(".keras") or os.sep in name or path.exists():
        return path if path.is_file() else None
    if name not in pretrained.available_pretrained():
        return None
    try:
        return pretrained.pretrained_path(name)
    except FileNotFoundError:
        return None


def load_models(args) -> tuple[dict, dict, list[str]]:
    """``{key: model}``, ``{key: file}`` and notes on skipped models; the default is required."""
    loaded, files, notes = {}, {}, []
    for key, name in (
        ("default", args.default),
        ("zhang-scratch", args.zhang_scratch),
        ("l2", args.l2),
        ("dahl", args.dahl),
    ):
        path = model_file(name)
        if path is None:
            if key == "default":
                raise InputMissing(
                    f"the default model {name!r} is neither a .keras file nor a shipped model "
                    f"(shipped: {pretrained.available_pretrained()})"
                )
            notes.append(f"{ROW_LABELS[key]} (`{name}`): not found, skipped.")
            log(notes[-1])
            continue
        loaded[key] = infer.load_model(path)
        files[key] = path
        log(f"{key}: {path} ({models.model_spec(loaded[key]).family})")
    return loaded, files, notes


def colorize(model, truths, **settings) -> list[np.ndarray]:
    """Colorized truths, with the model's recommended decoding unless ``settings`` says."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", color.GamutWarning)
        return infer.colorize(list(truths), model, **settings)


def guided_from_decoder(decoder_path: Path, spec: models.ModelSpec) -> keras.Model:
    """A full guided colorizer from a per-epoch decoder checkpoint, decoded like ``spec``."""
    decoder = keras.saving.load_model(decoder_path, compile=False)
    return guided.guided_zhang(decoder=decoder, **spec.decoding())


# --------------------------------------------------------------------------------------------
# Scores
# --------------------------------------------------------------------------------------------
def score(predictions, truths, prior) -> dict:
    """Per-photo rows (``evaluate_batch`` once per photo), their means and the pooled scores."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # hue agreement of gray is NaN
        rows = [
            metrics.evaluate_batch(p, t, prior=prior)
            for p, t in zip(predictions, truths, strict=True)
        ]
        means = {key: float(np.nanmean([row[key] for row in rows])) for key in rows[0]}
    means.update(metrics.pooled_scores(predictions, truths, prior))
    return {"means": means, "per_photo": rows}


def test_table(loaded, truths, prior) -> tuple[dict, dict]:
    """Predictions and scores of every row of the test table."""
    predictions = {"gray": [color.desaturate(t, method="lab") for t in truths]}
    for key in ("l2", "zhang-scratch", "dahl", "default"):
        if key in loaded:
            tick = time.time()
            predictions[key] = colorize(loaded[key], truths)
            log(f"colorized {len(truths)} test photos with {key} in {time.time() - tick:.0f} s")
    predictions["truth"] = list(truths)
    scores = {}
    for key, images in predictions.items():
        scores[key] = score(images, truths, prior)
    truth_colorfulness = scores["truth"]["means"]["colorfulness"]
    for result in scores.values():
        result["means"]["colorfulness_ratio"] = result["means"]["colorfulness"] / truth_colorfulness
    return predictions, scores


#: Issue 11's goal for the new default's pooled rebalanced AuC on test: gray + this margin.
POOLED_GOAL = 0.08


def pooled_goal_gap(scores: dict) -> float:
    """How much pooled rebalanced AuC the new default still lacks for its goal on test."""
    new, gray = scores["default"]["means"], scores["gray"]["means"]
    return POOLED_GOAL - (new["rebalanced_auc_ab_pooled"] - gray["rebalanced_auc_ab_pooled"])


def goals(scores: dict) -> list[tuple[str, str, bool | None]]:
    """Issue 11's acceptance criteria for the new default, from the test table."""
    new, gray = scores["default"]["means"], scores["gray"]["means"]
    l2 = scores.get("l2", {}).get("means")

    def margin(key):
        return new[key] - gray[key]

    rows = [
        (
            f"pooled rebalanced AuC >= gray + {POOLED_GOAL}",
            f"{margin('rebalanced_auc_ab_pooled'):+.3f}",
            margin("rebalanced_auc_ab_pooled") >= POOLED_GOAL,
        ),
        (
            "per-photo rebalanced AuC >= gray + 0.045",
            f"{margin('rebalanced_auc_ab'):+.3f}",
            margin("rebalanced_auc_ab") >= 0.045,
        ),
        ("plain AuC >= gray + 0.005", f"{margin('auc_ab'):+.3f}", margin("auc_ab") >= 0.005),
        ("PSNR >= gray", f"{margin('psnr'):+.2f} dB", margin("psnr") >= 0),
        (
            "colorfulness 0.6-1.1x truth",
            f"{new['colorfulness_ratio']:.2f}x",
            0.6 <= new["colorfulness_ratio"] <= 1.1,
        ),
        (
            "sepia below the L2 baseline's",
            f"{new['sepia_score']:.3f} vs {fmt(l2['sepia_score']) if l2 else 'n/a'}",
            None if l2 is None else new["sepia_score"] < l2["sepia_score"],
        ),
        (
            # "The share of pixels": pooled over the test set; the per-photo mean must hold too.
            "false-color score <= 0.08 (pooled share of pixels, and per-photo mean)",
            f"{new['false_color_score_pooled']:.3f} pooled, {new['false_color_score']:.3f} mean",
            max(new["false_color_score_pooled"], new["false_color_score"]) <= 0.08,
        ),
    ]
    return rows


# --------------------------------------------------------------------------------------------
# Where the rebalanced AuC's weight lies
# --------------------------------------------------------------------------------------------
#: Bands of a bin centre's chroma (Lab units) in the weight table; None: no upper bound.
CHROMA_BANDS = ((0, 20), (20, 40), (40, 60), (60, 80), (80, None))
HEAVY_CHROMA = 40
#: The rows of the weight table: the test table's predictions and two chroma/hue oracles.
WEIGHT_ROWS = {
    "gray": "gray",
    "default": "new default",
    "hue_oracle": "new default's hue, true chroma",
    "chroma_oracle": "true hue, new default's chroma",
}


def pooled_pixels(images) -> np.ndarray:
    """All pixels of a list of RGB photos as one ``(P, 1, 3)`` float32 image."""
    return np.concatenate([np.asarray(i, np.float32).reshape(-1, 1, 3) for i in images])


def chroma_oracles(predicted: np.ndarray, truth: np.ndarray) -> dict[str, np.ndarray]:
    """Two oracles that each fix half of a prediction's ab error, in Lab.

    ``hue_oracle`` keeps the prediction's hue and gives every pixel its true chroma (a pixel
    predicted exactly gray stays gray); ``chroma_oracle`` keeps the prediction's chroma on the
    true hue. Both keep the true lightness and are clipped back into RGB.
    """
    true_lab, pred_lab = color.rgb_to_lab(truth), color.rgb_to_lab(predicted)
    true_ab, pred_ab = true_lab[..., 1:], pred_lab[..., 1:]
    true_chroma = np.hypot(true_ab[..., 0], true_ab[..., 1])[..., None]
    pred_chroma = np.hypot(pred_ab[..., 0], pred_ab[..., 1])[..., None]
    scale = np.where(pred_chroma > 1e-3, true_chroma / np.maximum(pred_chroma, 1e-3), 0.0)
    true_hue = np.where(true_chroma > 1e-3, true_ab / np.maximum(true_chroma, 1e-3), 0.0)
    oracles = {}
    for name, ab in (("hue_oracle", pred_ab * scale), ("chroma_oracle", true_hue * pred_chroma)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", color.GamutWarning)
            lab = np.concatenate([true_lab[..., :1], ab], axis=-1)
            oracles[name] = color.lab_to_rgb(lab).astype(np.float32)
    return oracles


def weight_by_chroma(predictions: dict, truths) -> dict:
    """Per-chroma-band shares of pixels and of the rebalanced AuC's weight, and each band's
    mean bin AuC for gray, the new default and its two oracles (``metrics.auc_ab_by_bin``)."""
    truth = pooled_pixels(truths)
    images = {key: pooled_pixels(predictions[key]) for key in ("gray", "default")}
    images.update(chroma_oracles(images["default"], truth))
    aucs = {}
    for key in WEIGHT_ROWS:
        aucs[key], counts = metrics.auc_ab_by_bin(images[key], truth)
    occupied = counts > 0
    bins = color.ab_bins().astype(np.float64)
    chroma = np.hypot(bins[:, 0], bins[:, 1])
    bands = []
    for low, high in CHROMA_BANDS:
        inside = occupied & (chroma >= low) & (chroma < (np.inf if high is None else high))
        bands.append(
            {
                "low": low,
                "high": high,
                "bins": int(inside.sum()),
                "pixel_share": float(counts[inside].sum() / counts.sum()),
                "weight_share": float(inside.sum() / occupied.sum()),
                **{
                    key: float(np.mean(auc[inside])) if inside.any() else None
                    for key, auc in aucs.items()
                },
            }
        )
    heavy = occupied & (chroma >= HEAVY_CHROMA)
    return {
        "pixels": int(counts.sum()),
        "bins": int(occupied.sum()),
        "heavy": {
            "pixel_share": float(counts[heavy].sum() / counts.sum()),
            "weight_share": float(heavy.sum() / occupied.sum()),
        },
        "bands": bands,
        "total": {key: float(np.nanmean(auc)) for key, auc in aucs.items()},
    }


def weight_section(result: dict, goal_margin: float = POOLED_GOAL) -> list[str]:
    """The weight table and what it says about the pooled rebalanced AuC goal."""
    total, heavy = result["total"], result["heavy"]
    lines = [
        "### Where the pooled rebalanced AuC is decided",
        "",
        f"The {result['pixels']:,} test pixels fall in {result['bins']} of the 313 ab bins. "
        "With the test set's own prior every occupied bin weighs the same, so the pooled "
        "rebalanced AuC is the mean over those bins of each bin's AuC "
        "(`metrics.auc_ab_by_bin`). Bins of chroma "
        f"{HEAVY_CHROMA} and above hold {heavy['pixel_share']:.1%} of the pixels and "
        f"{heavy['weight_share']:.0%} of the weight. The two oracle rows fix half of the new "
        "default's error each: its own hue with every pixel's true chroma, or the true hue "
        "with its own chroma.",
        "",
    ]
    header = ["bin chroma", "bins", "pixels", "weight", *WEIGHT_ROWS.values()]
    rows = []
    for band in result["bands"]:
        label = f"{band['low']}-{band['high']}" if band["high"] is not None else f">= {band['low']}"
        rows.append(
            [
                label,
                str(band["bins"]),
                f"{band['pixel_share']:.1%}",
                f"{band['weight_share']:.1%}",
                *(fmt(band[key]) for key in WEIGHT_ROWS),
            ]
        )
    rows.append(
        ["all: pooled rebal. AuC", str(result["bins"]), "100%", "100%"]
        + [fmt(total[key]) for key in WEIGHT_ROWS]
    )
    lines += markdown_table(header, rows)
    goal = total["gray"] + goal_margin
    relation = "above" if goal > total["hue_oracle"] else "at or below"
    lines += [
        "",
        f"The goal, gray + {goal_margin} = {goal:.3f}, is {relation} the score of the new "
        f"default's hues with every pixel's true chroma ({total['hue_oracle']:.3f}, "
        f"{total['hue_oracle'] - total['default']:+.3f} over the new default's "
        f"{total['default']:.3f}); the true hues with its own chroma score "
        f"{total['chroma_oracle']:.3f} ({total['chroma_oracle'] - total['default']:+.3f}).",
        "",
    ]
    return lines


# --------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------
def square(image: np.ndarray, side: int = 160) -> np.ndarray:
    pil = Image.fromarray(np.round(np.clip(image, 0, 1) * 255).astype(np.uint8))
    return np.asarray(pil.resize((side, side), Image.Resampling.BICUBIC), np.float32) / 255


def photo_grid(predictions, indices, names, path: Path, title: str, metrics_of=None) -> None:
    titles = {
        "gray": "gray input",
        "default": "new default",
        "zhang-scratch": "0.1 Zhang",
        "l2": "L2 baseline",
        "truth": "truth",
    }
    columns = {
        titles[key]: np.stack([square(predictions[key][i]) for i in indices])
        for key in titles
        if key in predictions
    }
    figure = viz.comparison_grid(
        columns,
        row_titles=[names[i] for i in indices],
        metrics=metrics_of,
        image_size=1.6,
    )
    figure.suptitle(title)
    viz.save_figure(figure, path)


def failure_sentence(name: str, row: dict, gray_row: dict) -> str:
    """What fails on one photo, read from its own numbers."""
    problems = []
    if row["false_color_score"] > 0.08:
        problems.append(
            f"paints near-neutral surfaces ({row['false_color_score']:.0%} of them get chroma "
            "> 25: false color)"
        )
    ratio = row["colorfulness"] / max(row["colorfulness_true"], 1e-6)
    if ratio < 0.6:
        problems.append(f"is too dull ({ratio:.2f}x the truth's colorfulness)")
    elif ratio > 1.1:
        problems.append(f"is too vivid ({ratio:.2f}x the truth's colorfulness)")
    if row["sepia_score"] > 0.2:
        problems.append(f"drifts to sepia (sepia {row['sepia_score']:.2f})")
    if not problems:
        problems.append(
            f"picks wrong hues at a plausible vividness ({ratio:.2f}x the truth's colorfulness)"
        )
    versus = row["rebalanced_auc_ab"] - gray_row["rebalanced_auc_ab"]
    return (
        f"- `{name}`: rebalanced AuC {row['rebalanced_auc_ab']:.3f} ({versus:+.3f} vs gray); "
        f"it {' and '.join(problems)}."
    )


# --------------------------------------------------------------------------------------------
# Learning curve
# --------------------------------------------------------------------------------------------
def checkpoints(run: Path, folder: Path | None) -> dict[int, Path]:
    """``{epoch: decoder checkpoint}`` from the run folder and the folder of kept copies."""
    found = {}
    for source in (folder, run / "checkpoints", run):
        if source is not None and source.is_dir():
            for path in sorted(source.glob("epoch_*.keras")):
                found.setdefault(int(path.stem.split("_")[1]), path)
    return dict(sorted(found.items()))


def crops_per_epoch(summary: dict, run: Path) -> int | None:
    """Crops the decoder sees per epoch (full batches over the training cache)."""
    count = summary.get("train_crops")
    meta = run.parent / "cache_train" / "meta.json"
    if count is None and meta.is_file():
        count = json.loads(meta.read_text())["count"]
    config = run / "config.json"
    batch = json.loads(config.read_text())["batch_size"] if config.is_file() else None
    if count is None or batch is None:
        return None
    return (int(count) // batch) * batch


def learning_curve(found: dict, per_epoch: int, spec, photos: int) -> dict:
    """Pooled scores of every checkpoint on the first ``photos`` BSDS500 val photos."""
    val = evaluation.scoring_set(limit=photos)
    truths, prior = val.truths, val.prior
    gray = metrics.pooled_scores([color.desaturate(t) for t in truths], truths, prior)
    points = []
    for epoch, path in found.items():
        model = guided_from_decoder(path, spec)
        pooled = metrics.pooled_scores(colorize(model, truths), truths, prior)
        points.append({"epoch": epoch, "crops_seen": epoch * per_epoch, **pooled})
        log(f"learning curve: epoch {epoch}: {pooled}")
    decoding = {"temperature": spec.temperature, "saturation": spec.saturation}
    return {"photos": len(truths), "decoding": decoding, "gray": gray, "points": points}


# --------------------------------------------------------------------------------------------
# Hats: spread or concentrated predicted distributions
# --------------------------------------------------------------------------------------------
def predicted_distributions(model, image: np.ndarray):
    """The model's bin probabilities ``(h, w, Q)`` on the photo and the photo at that size."""
    settings = infer.recommended_settings(model)
    lightness = infer.luminance(image, "lab")
    output = infer.working_output(
        model,
        lightness,
        size=settings.get("size", infer.DEFAULT_SIZE),
        temperature=settings.get("temperature", color.DEFAULT_TEMPERATURE),
    )
    work_h, work_w = output.prepared.shape
    height, width = work_h // guided.OUTPUT_STRIDE, work_w // guided.OUTPUT_STRIDE
    probabilities = output.output[:height, :width]
    pil = Image.fromarray(np.round(image * 255).astype(np.uint8))
    small = np.asarray(pil.resize((width, height), Image.Resampling.BOX), np.float32) / 255
    return probabilities, color.rgb_to_lab(small)


def region_masks(lab: np.ndarray, kind: str) -> np.ndarray:
    """Cells of a photo that are hat (the central half: the hats are centred on a backdrop),
    sky (blue, upper half) or grass and foliage (green)."""
    lightness, a, b = lab[..., 0], lab[..., 1], lab[..., 2]
    chroma = np.hypot(a, b)
    hue = np.degrees(np.arctan2(b, a)) % 360
    rows = np.arange(lab.shape[0])[:, None] / max(lab.shape[0] - 1, 1)
    if kind == "hat":
        columns = np.arange(lab.shape[1])[None, :] / max(lab.shape[1] - 1, 1)
        central = (np.abs(rows - 0.5) <= 0.25) & (np.abs(columns - 0.5) <= 0.25)
        return np.broadcast_to(central, lightness.shape)
    if kind == "sky":
        return (hue >= 200) & (hue <= 290) & (chroma > 8) & (rows < 0.5)
    return (hue >= 95) & (hue <= 165) & (chroma > 10)  # grass and foliage


def hats(model, hat_paths, scene_paths, figure_path: Path) -> dict:
    """Entropy and modes of the predicted distributions on hats, sky and grass."""
    cells = {"hat": [], "sky": [], "grass": []}
    shown = []
    for kind_paths, kinds in ((hat_paths, ("hat",)), (scene_paths, ("sky", "grass"))):
        for image in evaluation.load_long_side(kind_paths, 256):
            probabilities, lab = predicted_distributions(model, image)
            for kind in kinds:
                mask = region_masks(lab, kind)
                if mask.any():
                    cells[kind].append(probabilities[mask])
            if kinds == ("hat",) and len(shown) < 4:
                shown.append((image, probabilities))
    result = {}
    for kind, chunks in cells.items():
        if not chunks:
            result[kind] = None
            continue
        stacked = np.concatenate(chunks)
        entropy = metrics.distribution_entropy(stacked)
        modes = metrics.count_modes(stacked)
        result[kind] = {
            "photos": len(chunks),
            "cells": int(len(stacked)),
            "entropy_mean": float(entropy.mean()),
            "entropy_median": float(np.median(entropy)),
            "modes_mean": float(modes.mean()),
            "multimodal_share": float(np.mean(modes >= 2)),
        }
    if shown:
        colormap = colormaps["magma"]
        top = np.log2(color.NUM_BINS)
        entropy_maps = [
            colormap(metrics.distribution_entropy(p) / top)[..., :3].astype(np.float32)
            for _, p in shown
        ]
        columns = {
            "gray input": np.stack([square(color.desaturate(i)) for i, _ in shown]),
            "new default": np.stack([square(colorize(model, [i])[0]) for i, _ in shown]),
            "entropy 0-8.3 bits": np.stack([square(m) for m in entropy_maps]),
            "truth": np.stack([square(i) for i, _ in shown]),
        }
        figure = viz.comparison_grid(columns, image_size=1.6)
        figure.suptitle("Predicted color distributions on hats")
        viz.save_figure(figure, figure_path)
    return result


def hats_sentence(result: dict) -> str:
    """What the numbers show, in whichever direction they point."""
    hat, sky, grass = result.get("hat"), result.get("sky"), result.get("grass")
    if not hat or not (sky or grass):
        return "Not enough photos to compare."
    parts = []
    for name, other in (("sky", sky), ("grass", grass)):
        if other is None:
            continue
        difference = hat["entropy_mean"] - other["entropy_mean"]
        direction = "more spread" if difference > 0 else "more concentrated"
        parts.append(
            f"{abs(difference):.2f} bits {direction} than on {name} "
            f"({hat['entropy_mean']:.2f} vs {other['entropy_mean']:.2f} bits; "
            f"{hat['multimodal_share']:.0%} vs {other['multimodal_share']:.0%} of cells with "
            "two or more modes)"
        )
    expected = all(
        other is None or hat["entropy_mean"] > other["entropy_mean"] for other in (sky, grass)
    )
    verdict = (
        "as expected: a hat's color is a free choice, sky and grass are not"
        if expected
        else "not the expected ordering: the model is not less sure of a hat's color"
    )
    return f"On hats the predicted distributions are {'; '.join(parts)}: {verdict}."


# --------------------------------------------------------------------------------------------
# Semantic check (notebook 08): a small CNN trained on color CIFAR-10
# --------------------------------------------------------------------------------------------
def cifar_class(path: str) -> str:
    return Path(path.split("::")[-1]).parent.name


def cifar_classifier(num_classes: int) -> keras.Model:
    """Notebook 08's small CNN for 32 x 32 color images."""
    return keras.Sequential(
        [
            keras.Input((32, 32, 3)),
            keras.layers.RandomFlip("horizontal"),
            keras.layers.Rescaling(2.0, offset=-1.0),
            keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
            keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(64, 3, padding="same", activation="relu"),
            keras.layers.Conv2D(64, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(128, 3, padding="same", activation="relu"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(num_classes, activation="softmax"),
        ],
        name="cifar_classifier",
    )


def semantic_check(loaded, train_count: int, test_count: int, epochs: int, size: int) -> dict:
    """Classifier accuracy on true, gray and colorized held-out CIFAR-10 images."""
    paths = data.dataset_paths("cifar10")
    names = sorted({cifar_class(p) for p in paths})
    order = np.random.default_rng(0).permutation(len(paths))[: train_count + test_count]
    picked = [paths[i] for i in order]
    images = data.load_images(picked, 32)
    labels = np.array([names.index(cifar_class(p)) for p in picked])
    x_train, y_train = images[:train_count], labels[:train_count]
    x_test, y_test = images[train_count:], labels[train_count:]
    keras.utils.set_random_seed(0)
    classifier = cifar_classifier(len(names))
    classifier.compile(
        optimizer=keras.optimizers.Adam(2e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    classifier.fit(x_train, y_train, epochs=epochs, batch_size=64, verbose=0)
    versions = {"truth": x_test, "gray": color.desaturate(x_test, method="lab")}
    for key in ("default", "zhang-scratch", "l2"):
        if key in loaded:
            versions[key] = np.stack(colorize(loaded[key], list(x_test), size=size))
    accuracy = {
        key: float(np.mean(classifier.predict(x, verbose=0).argmax(axis=1) == y_test))
        for key, x in versions.items()
    }
    return {"train": train_count, "test": test_count, "epochs": epochs, "size": size, **accuracy}


# --------------------------------------------------------------------------------------------
# The card
# --------------------------------------------------------------------------------------------
def read_json(path: Path | None, required: bool) -> dict | list | None:
    if path is None or not path.is_file():
        if required:
            raise InputMissing(f"file not found: '{path}'")
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def decoding_choice(path: Path) -> str:
    """One sentence on how the export chose the decoding (its trials file), or nothing."""
    trials = read_json(path, required=False)
    if not trials or "constraints" not in trials:
        return ""
    chosen, count, limits = trials["chosen"], len(trials["trials"]), trials["constraints"]
    qualifying = sum(trial["qualifies"] for trial in trials["trials"])
    low, high = limits["colorfulness_ratio"]
    return (
        f" Of {count} settings tried ({qualifying} qualifying: pooled false color at most "
        f"{limits['false_color_bound_max']} on {limits['false_color_quantile']:.0%} of bootstrap "
        "resamples of the val photos, "
        f"colorfulness {low}-{high}x the truth's, plain AuC and PSNR not below gray's), the "
        "chosen one has the best pooled rebalanced "
        f"AuC on val: {chosen['rebalanced_auc_ab_pooled']:.3f} (gray "
        f"{chosen['gray']['rebalanced_auc_ab_pooled']:.3f}), false color "
        f"{chosen['false_color_score_pooled']:.3f} (bound {chosen['false_color_bound']:.3f}); "
        "every trial is in `colorkit/weights/guided_decoding_trials.json`."
    )


def model_section(loaded, files, summary, notes) -> list[str]:
    model = loaded["default"]
    spec = models.model_spec(model)
    decoder_params = model.get_layer("guided_decoder").count_params()
    # The FrozenEncoder layer keeps its weights out of the model (and its file): count them
    # on the same architecture, less the last stage when the model has its own trained one.
    frozen = encoders.build_encoder("resnet50_1by2", weights=None).count_params()
    names = {layer.name for layer in model.layers}
    stage_params = model.get_layer("stage4_block").count_params() if "stage4_block" in names else 0
    encoder = encoders.ENCODERS["resnet50_1by2"]
    recipe = recipes.get_recipe("default")
    stage_text = "; then ".join(
        f"{stage.epochs} epochs, batch {stage.batch_size}, learning rate {stage.learning_rate} "
        f"({stage.lr_schedule})"
        for stage in recipe.stages
    )
    lines = [
        "## Model",
        "",
        f"- File `{files['default'].name}` ({files['default'].stat().st_size / 2**20:.1f} MB): "
        + (
            "the decoder and the encoder's trained last stage; the rest of the encoder is "
            "frozen and rebuilt from its installed package at load."
            if stage_params
            else "the decoder only; the frozen encoder is rebuilt from its installed package "
            "at load."
        ),
        f"- Family `{spec.family}` (hint inputs: {spec.hint_inputs}); {decoder_params:,} "
        "trained decoder parameters"
        + (
            f", {stage_params:,} in the encoder's last stage (trained from the package's "
            f"weights), {frozen - stage_params:,} frozen encoder parameters."
            if stage_params
            else f", {frozen:,} frozen encoder parameters."
        ),
        f"- Encoder: ResNet-50-1by2 of Yahoo's open_nsfw from the `{encoder['package']}` "
        f"package ({encoder['version']}), licence: {encoder['licence']}; its ONNX file ships "
        "unchanged in `colorkit/weights/encoders/` with those licences (the package itself "
        "requires onnxruntime, which colorkit never runs).",
        f"- Decoding (stored in the model's `ModelSpec`, chosen on BSDS500 val by "
        f"`scripts/export_guided.py`): temperature {spec.temperature}, saturation "
        f"{spec.saturation}, working size {spec.working_size} px, {spec.num_bins} ab bins at "
        f"1/{guided.OUTPUT_STRIDE} resolution; full-resolution luminance kept."
        + decoding_choice(files["default"].parent / "guided_decoding_trials.json"),
        f"- Recipe `default` (`colorkit train --recipe default`): {recipe.description}. "
        f"{stage_text}; loss `{recipe.loss}` {recipe.loss_kwargs}.",
    ]
    if summary:
        build = summary.get("cache_build_seconds")
        cache = (
            f"building the feature cache {build / 60:.0f} min"
            if build is not None
            else "the feature cache's build time not recorded (built by an earlier process of "
            "the run, before build times were recorded)"
        )
        finetune = ""
        for stage, what in (("finetune", "the fine-tune"), ("last_stage", "the last stage")):
            if f"{stage}_seconds" in summary:
                finetune += (
                    f"; {what} from {summary[f'{stage}_from']} "
                    f"{summary[f'{stage}_seconds'] / 60:.0f} min"
                )
        peak = cached.recipe_peak_rss_gib(summary)
        lines.append(
            f"- Training run: {summary.get('train_crops', '?'):,} training crops; {cache}; "
            f"the first stage's process (decoder training) "
            f"{summary.get('total_seconds', 0) / 60:.0f} min wall time on 2 CPU cores{finetune}; "
            f"peak memory {peak:.2f} GiB."
        )
    else:
        lines.append("- Training run: no `summary.json` given, time and memory not recorded.")
    lines += [
        "- Intended use: teaching, and colorizing old photos for fun; predictions are plausible "
        "guesses, not a restoration of the true colors.",
        *(f"- Note: {note}" for note in notes),
        "",
        "## Data",
        "",
    ]
    rows = []
    for label, source, use, views in (
        ("imagenet-sample", ("imagenet-sample", None), "training", "6 crops / photo"),
        ("bsds500 train", ("bsds500", "train"), "training", "8 crops / photo"),
        ("cifar10 (every third, 32 px upscaled)", ("cifar10", None), "training", "1 crop"),
        ("bsds500 val", ("bsds500", "val"), "validation, decoding choice", "2 crops"),
        ("bsds500 test", ("bsds500", "test"), "this card's test table", "whole photo"),
    ):
        count = len(data.dataset_paths(*source))
        if source[0] == "cifar10":
            count = len(range(0, count, 3))
        rows.append([label, use, f"{count:,}", views, data.DATASETS[source[0]].licence])
    clothing = data.list_images(data.dataset_root("bsds500").parent / "clothing")
    rows.insert(2, ["clothing", "training", f"{len(clothing):,}", "3 crops / photo", "CC0"])
    lines += markdown_table(["dataset", "use", "photos", "crops", "licence"], rows)
    return lines + ["", "Grayscale ImageNet-sample photos are left out of training.", ""]


def encoder_finetune_section(study) -> list[str]:
    """The encoder's last stage fine-tuned on cached features vs the decoder alone: the
    recipe's third stage against a control trained the same way without it."""
    lines = ["## Fine-tuning the encoder's last stage (BSDS500 val)", ""]
    if not study:
        return lines + ["Not run: `python scripts/compare_encoder_finetune.py` writes it.", ""]
    decode = study["decoding"]
    keys = (
        "rebalanced_auc_ab_pooled",
        "rebalanced_auc_ab_mean",
        "auc_ab_pooled",
        "false_color_score_pooled",
        "psnr_mean",
    )
    rows = study["rows"]
    lines += [
        "`scripts/compare_encoder_finetune.py`: from the hint fine-tune's last epoch (the "
        "recipe's second stage), two arms train "
        f"{study['epochs']} epochs ({study['steps_per_epoch']} steps each) on the same batches "
        f"at learning rate {study['learning_rate']}: the decoder alone on the cached features, "
        "or the decoder with the encoder's last stage (recomputed from the cached `stage3`, so "
        f"it trains on this CPU). {study['photos']} BSDS500 val photos, no hints, T = "
        f"{decode['temperature']}, saturation {decode['saturation']}; training took "
        + ", ".join(f"{arm} {sec / 60:.1f} min" for arm, sec in study["train_seconds"].items())
        + ".",
        "",
        *markdown_table(
            ["model", *keys],
            [[arm, *(fmt(row.get(key)) for key in keys)] for arm, row in rows.items()],
        ),
        "",
    ]
    alone, tuned = rows["decoder only"], rows["decoder + last encoder stage"]
    gain = tuned["rebalanced_auc_ab_pooled"] - alone["rebalanced_auc_ab_pooled"]
    fewer = tuned["false_color_score_pooled"] < alone["false_color_score_pooled"]
    lines += [
        f"Training the last stage too changes the pooled rebalanced AuC by {gain:+.3f} over the "
        f"decoder alone at the same steps, with {'less' if fewer else 'more'} false color. The "
        "recipe's third stage trains it so (the shipped file stores the stage's weights), and "
        "the export then chooses the decoding for it on val.",
        "",
    ]
    return lines


def cifar_section(schedule) -> list[str]:
    """CIFAR-10 mixed in vs decoder pre-training vs left out (``cifar_schedule.json``)."""
    lines = ["## CIFAR-10: mixed in, pre-training, or left out (BSDS500 val)", ""]
    if not schedule:
        return lines + ["Not run: `python scripts/compare_cifar_schedule.py` writes it.", ""]
    decode = schedule["decoding"]
    lines += [
        f"`scripts/compare_cifar_schedule.py`: three fresh decoders on the default recipe's own "
        f"feature cache ({schedule['train_crops']:,} crops, {schedule['cifar_crops']:,} of them "
        f"CIFAR-10 upscaled from 32 px), each {schedule['steps']} steps of "
        f"{schedule['batch_size']} crops from the same seed: *mixed* draws every batch from all "
        "crops (the recipe's choice), *pretrain* spends the first half on CIFAR-10 crops and "
        "the second on the photos, *photos only* never sees CIFAR-10. Validation loss on the "
        f"BSDS500 val cache; pooled scores on {schedule['val_photos']} BSDS500 val photos (long "
        f"side 256, no hints, T = {decode['temperature']}, saturation {decode['saturation']}).",
        "",
    ]
    keys = ("val_loss", "rebalanced_auc_ab_pooled", "auc_ab_pooled", "false_color_score_pooled")
    arms = schedule["arms"]
    lines += markdown_table(
        ["arm", *keys], [[arm, *(fmt(row[key]) for key in keys)] for arm, row in arms.items()]
    )
    best_loss = min(arms, key=lambda arm: arms[arm]["val_loss"])
    best_auc = max(arms, key=lambda arm: arms[arm]["rebalanced_auc_ab_pooled"])
    verdict = (
        f"*{best_loss}* has both the lowest validation loss and the highest pooled rebalanced AuC"
        if best_loss == best_auc
        else f"the lowest validation loss is *{best_loss}*'s, the highest pooled rebalanced AuC "
        f"*{best_auc}*'s: the two measures disagree at this budget"
    )
    crops = schedule.get("val_crops")
    scope = "one seed" + (f", {crops} validation crops" if crops else "")
    return lines + ["", f"On one budget, {verdict} ({scope}).", ""]


def frontier_table(study) -> list[str]:
    """Each model's best decoding within the false-color goal, and the second minus the first
    (``scripts/compare_sampled_recipe.py``'s JSON)."""
    rows = []
    for name, entry in study["models"].items():
        best = entry["best_within_goal"]
        if best is None:
            rows.append([name, "none within the goal", "", "", "", ""])
            continue
        rows.append(
            [
                name,
                f"T {best['temperature']}, s {best['saturation']}",
                fmt(best["rebalanced_auc_ab_pooled"]),
                fmt(best["auc_ab_pooled"]),
                fmt(best["false_color_score_pooled"]),
                fmt(best["false_color_bound"]),
            ]
        )
    lines = markdown_table(
        [
            "model",
            "best setting",
            "rebalanced AuC (pooled)",
            "AuC (pooled)",
            "false color",
            "99% bound",
        ],
        rows,
    )
    names = list(study["models"])
    if "difference" in study:
        lines += [
            "",
            f"*{names[1]}* minus *{names[0]}*: {study['difference']:+.4f} pooled rebalanced "
            "AuC at their best settings within the goal (one training run of each).",
        ]
    return lines + [""]


def frontier_method(study) -> str:
    """How ``scripts/compare_sampled_recipe.py`` compares models (one sentence)."""
    return (
        "`scripts/compare_sampled_recipe.py` decodes each model over the same grid of "
        f"temperatures and saturations ({study['photos']} BSDS500 val photos, long side 256, no "
        "hints) and keeps the best pooled rebalanced AuC among the settings whose pooled false "
        f"color's 99% bootstrap bound is at most {study['false_color_goal']}."
    )


def sampled_section(study) -> list[str]:
    """The sampled loss (the default recipe) against every cell scored (``default-dense``):
    ``scripts/compare_sampled_recipe.py``'s ``sampled_recipe.json``."""
    lines = ["## The decoder's width and the sampled loss (BSDS500 val)", ""]
    if not study or len(study.get("models", {})) < 2:
        return lines + ["Not run: `python scripts/compare_sampled_recipe.py` writes it.", ""]
    default = recipes.get_recipe("default").model_kwargs
    dense = recipes.get_recipe("default-dense").model_kwargs
    lines += [
        f"The `default` recipe's decoder has width {default['width']}, and its loss scores one "
        f"1/4-resolution cell per {default['sample_stride']}x{default['sample_stride']} block "
        "(a random phase per crop and step, with the simulated hints on those cells); "
        f"`default-dense` (width {dense['width']}, every cell scored) is otherwise the same "
        "recipe. A step on cached features costs a fraction as much (`make bench`, "
        f"`benchmarks/results.md`). {frontier_method(study)}",
        "",
    ]
    return lines + frontier_table(study)


def cifar_amount_section(study) -> list[str]:
    """The default recipe on every third CIFAR-10 photo (shipped) against all of them
    (``default-cifar50k``): ``compare_sampled_recipe.py``'s ``cifar_amount.json``."""
    lines = ["## CIFAR-10: every third photo or all 50,000 (BSDS500 val)", ""]
    if not study or len(study.get("models", {})) < 2:
        command = (
            "python scripts/compare_sampled_recipe.py --model default=colorkit/weights/"
            "colorizer.keras --model default-cifar50k=RUN --output docs/figures/cifar_amount.json"
        )
        return lines + [f"Not run: `{command}` writes it.", ""]
    default, study_recipe = recipes.get_recipe("default"), recipes.get_recipe("default-cifar50k")
    epochs = " + ".join(str(stage.epochs) for stage in study_recipe.stages)
    shipped_epochs = " + ".join(str(stage.epochs) for stage in default.stages)
    lines += [
        "More distinct photos against the decoder's memorising of its crops: `colorkit train "
        "--recipe default-cifar50k` is the shipped recipe with all 50,000 CIFAR-10 photos instead "
        "of every third (cifar_step "
        f"{study_recipe.guided_kwargs['cifar_step']}; its cache is read from disk) and its "
        f"stages shortened to {epochs} epochs (the shipped recipe: {shipped_epochs}) for about "
        f"the same number of steps. {frontier_method(study)}",
        "",
    ]
    return lines + frontier_table(study)


def multi_source_section(study) -> list[str]:
    """Photos from elsewhere: the multi-source test (``scripts/evaluate_sources.py``'s
    ``multi_source.json``), per collection, with the harm rate and the worst photos."""
    lines = ["## Photos from elsewhere: the multi-source test, per collection", ""]
    if not study or not study.get("rows"):
        command = (
            "python scripts/evaluate_sources.py --split test --per-source 100 --model "
            "default=default --output docs/figures/multi_source.json --worst-figure "
            "docs/figures/worst_photos.png"
        )
        return lines + [f"Not run: `{command}` writes it.", ""]
    rows = study["rows"]
    labels = [label for label in rows if label != "gray"]
    lines += [
        f"Held-out `{study['split']}` photos of every collection (`data.hashed_split`: never "
        "trained on, never tuned on), "
        + (f"{study['per_source']} per collection" if study.get("per_source") else "all of them")
        + ", at long side 256. Harm: the share of photos the colors made more than 3 dB worse "
        "(PSNR) than the gray input (`metrics.harm_rate`). Models: "
        + ", ".join(f"`{label}`" for label in labels)
        + ".",
        "",
        *sources.markdown_table(rows),
        "",
        f"![the 12 worst photos of `{labels[0]}` (by PSNR against gray), beside `{labels[-1]}`"
        " and the truth](figures/worst_photos.png)",
        "",
    ]
    first = rows[labels[0]]["all"]
    for label in labels[1:]:
        other = rows[label]["all"]
        lines.append(
            f"`{label}` against `{labels[0]}` on all collections: harm rate "
            f"{first['harm_rate']:.1%} -> {other['harm_rate']:.1%}, pooled rebalanced AuC "
            f"{first['rebalanced_auc_ab_pooled']:.3f} -> {other['rebalanced_auc_ab_pooled']:.3f},"
            f" PSNR {first['psnr']:.2f} -> {other['psnr']:.2f} dB, false color "
            f"{first['false_color_score_pooled']:.3f} -> {other['false_color_score_pooled']:.3f}."
        )
    return lines + [""]


def data_amount_section(study, gap: float | None, figures: Path) -> list[str]:
    """Score against the number of distinct training photos (``compare_data_amount.py``'s
    ``data_amount.json``), and what the test goal's remaining ``gap`` would take at that rate."""
    lines = ["## More photos: the score against the number of training photos (BSDS500 val)", ""]
    if not study or not study.get("arms"):
        command = "python scripts/compare_data_amount.py --work RUN_OF_default-cifar50k"
        return lines + [f"Not run: `{command}` writes `docs/figures/data_amount.json`.", ""]
    arms = sorted(study["arms"], key=lambda arm: arm["photos"])
    reference = study["reference"]
    target = study["false_color"]
    lines += [
        "`scripts/compare_data_amount.py`: nested subsets of the `default-cifar50k` recipe's "
        "training crops, drawn by photo (a photo's crops are in or out together, and every "
        "subset holds the smaller ones), each training a fresh copy of the recipe's first-stage "
        f"decoder for the same {study['steps']:,} steps of {study['batch_size']} crops on the "
        f"cached features. Each is decoded at T {study['temperature']} over a grid of "
        f"saturations on {study['val_photos']} BSDS500 val photos (long side 256, no hints), "
        "and its scores are read off at the shipped model's own pooled false color on val "
        f"({target:.3f}, `{reference['file']}` at T {reference['temperature']}, saturation "
        f"{reference['saturation']}: pooled rebalanced AuC "
        f"{reference['rebalanced_auc_ab_pooled']:.3f}), so every subset is compared at equal "
        "false color.",
        "",
    ]
    rows = [
        [
            f"{arm['fraction']:.4g}",
            f"{arm['photos']:,}",
            f"{arm['crops']:,}",
            f"{arm['epochs']:.1f}",
            fmt(arm["at_reference_false_color"]["rebalanced_auc_ab_pooled"]),
            fmt(arm["at_reference_false_color"]["rebalanced_auc_ab_mean"]),
            fmt(arm["at_reference_false_color"]["auc_ab_pooled"]),
        ]
        for arm in arms
    ]
    lines += markdown_table(
        [
            "share of photos",
            "photos",
            "crops",
            "epochs",
            "rebal. AuC pooled",
            "rebal. AuC per photo",
            "AuC pooled",
        ],
        rows,
    )
    log2_photos = np.log2([arm["photos"] for arm in arms])
    pooled = [arm["at_reference_false_color"]["rebalanced_auc_ab_pooled"] for arm in arms]
    figure = viz.metric_curves(
        {
            "first-stage decoder": (log2_photos, pooled),
            "shipped model (all stages)": (
                log2_photos[[0, -1]],
                [reference["rebalanced_auc_ab_pooled"]] * 2,
            ),
        },
        xlabel="log2(distinct training photos)",
        ylabel=f"pooled rebalanced AuC at false color {target:.3f}",
        title="BSDS500 val",
    )
    viz.save_figure(figure, figures / "data_amount.png")
    slope = study["gain_per_doubling"]
    steps = [
        (pooled[i + 1] - pooled[i]) / (log2_photos[i + 1] - log2_photos[i])
        for i in range(len(arms) - 1)
    ]
    lines += [
        "",
        "![score against the number of training photos](figures/data_amount.png)",
        "",
        f"Least-squares slope against log2(photos): {slope['rebalanced_auc_ab_pooled']:+.4f} "
        f"pooled and {slope['rebalanced_auc_ab_mean']:+.4f} per-photo rebalanced AuC per "
        "doubling of the photos (one run per subset).",
    ]
    if steps:
        falling = all(later < earlier for earlier, later in zip(steps, steps[1:], strict=False))
        lines[-1] += (
            " Pooled gain per doubling from each subset to the next: "
            + ", ".join(f"{step:+.4f}" for step in steps)
            + (" (falling at every step)." if falling and len(steps) > 1 else ".")
        )
    if gap is not None and gap > 0 and steps:
        if steps[-1] > 0:
            doublings = gap / steps[-1]
            lines[-1] += (
                f" Even at the last doubling's rate, if it held on test, the {gap:+.3f} the "
                f"pooled goal still lacks there would take {doublings:.1f} more doublings: "
                f"about {2**doublings:,.0f}x the {arms[-1]['photos']:,} photos used here."
            )
        else:
            lines[-1] += " The last doubling of the photos did not raise the pooled score."
    return lines + [""]


def comparison_section(comparison) -> list[str]:
    lines = ["## Random-init vs trained encoder, one budget (BSDS500 val)", ""]
    if not comparison or comparison.get("experiment") != "encoder-init":
        return lines + ["Not run: `python scripts/compare_encoders.py` writes it.", ""]
    val, decode = comparison["val"], comparison["decoding"]
    lines += [
        f"`scripts/compare_encoders.py`: the same {comparison['train_crops']:,} crops of "
        f"{comparison['crop_size']} px ({comparison['sources']}), cached once per encoder; the "
        f"same guided decoder trained {comparison['config']['epochs']} epochs on each "
        f"(same batches, hints and seed); evaluated on {val['photos']} {val['dataset']} photos "
        f"(long side {val['long_side']}, no hints, T = {decode['temperature']}, saturation "
        f"{decode['saturation']}). Measured run time {comparison['seconds'] / 60:.0f} min, "
        f"peak memory {comparison['peak_rss_gib']} GiB."
        + (" **Smoke run: not a result.**" if comparison.get("smoke") else ""),
        "",
    ]
    keys = [
        "auc_ab",
        "auc_ab_pooled",
        "rebalanced_auc_ab",
        "rebalanced_auc_ab_pooled",
        "psnr",
        "colorfulness",
        "false_color_score",
    ]
    rows = [
        [name, *(fmt(values[key]) for key in keys)] for name, values in comparison["rows"].items()
    ]
    lines += markdown_table(["", *keys], rows) + [""]
    for pair, boot in comparison["paired_bootstrap"].items():
        lines += [
            f"Paired bootstrap ({boot['resamples']:,} resamples of the photos), {pair}:",
            "",
        ]
        lines += markdown_table(
            ["difference", "observed", "95% interval"],
            [
                [
                    key,
                    f"{boot[key]['mean']:+.4f}",
                    f"[{boot[key]['low']:+.4f}, {boot[key]['high']:+.4f}]",
                ]
                for key in ("rebalanced_auc_ab", "rebalanced_auc_ab_pooled")
            ],
        )
        pooled = boot["rebalanced_auc_ab_pooled"]
        if pooled["low"] > 0:
            verdict = "the trained encoder is better beyond the resampling noise"
        elif pooled["high"] < 0:
            verdict = "the random-init encoder is better beyond the resampling noise"
        else:
            verdict = "the interval contains 0: no difference resolved at this budget"
        lines += ["", f"On the pooled rebalanced AuC {verdict}.", ""]
    return lines


def finetune_section(finetune) -> list[str]:
    """What the hint fine-tune (the recipe's second stage) bought on BSDS500 val."""
    lines = ["### The hint fine-tune (BSDS500 val)", ""]
    if not finetune:
        return lines + ["Not run: `python scripts/compare_hint_finetune.py` writes it.", ""]
    decode, hints = finetune["decoding"], finetune["hints"]
    keys = [
        "psnr_0_hints",
        f"psnr_{hints}_hints",
        "psnr_gain",
        "rebalanced_auc_ab_pooled",
        "false_color_score_pooled",
    ]
    rows = [[label, *(fmt(row[key]) for key in keys)] for label, row in finetune["rows"].items()]
    labels = list(finetune["rows"])
    first, last = finetune["rows"][labels[0]], finetune["rows"][labels[-1]]
    lines += [
        f"`scripts/compare_hint_finetune.py`: the first stage's best epoch and each epoch of the "
        f"fine-tune, decoded alike (T = {decode['temperature']}, saturation "
        f"{decode['saturation']}), on {finetune['photos']} BSDS500 val photos with 0 and "
        f"{hints} random ground-truth hints; pooled scores with 0 hints.",
        "",
        *markdown_table(["decoder", *keys], rows),
        "",
        f"The fine-tune moves the {hints}-hint PSNR gain from {first['psnr_gain']:+.2f} to "
        f"{last['psnr_gain']:+.2f} dB and the 0-hint pooled rebalanced AuC from "
        f"{first['rebalanced_auc_ab_pooled']:.3f} to {last['rebalanced_auc_ab_pooled']:.3f}.",
        "",
    ]
    return lines


def spread_section(spread) -> list[str]:
    """What spreading the hints along the photo's edges buys (BSDS500 val)."""
    lines = ["### Spreading the hints along the photo's edges (BSDS500 val)", ""]
    if not spread:
        return lines + ["Not run: `python scripts/compare_hint_spread.py` writes it.", ""]
    hints = spread["hints"]
    rows = [
        [fmt(row["scale"]), fmt(row["edge"]), f"{row['gain_1_hint']:+.2f}", f"{row['gain']:+.2f}"]
        for row in spread["grid"]
    ]
    chosen = spread["chosen"]
    lines += [
        "The network reads the hints as inputs; `colorkit.hints.spread` then lays each hint's "
        "color over the prediction with a share that falls with the geodesic distance to the "
        "hint (a step costs its length plus `edge` times the lightness difference, so edges "
        "stop a hint; reach `scale` x long side / sqrt(number of hints)), blending several "
        "hints as Yatziv & Sapiro (2006) do. `scripts/compare_hint_spread.py`, "
        f"{spread['photos']} val photos, PSNR gain over no hints "
        f"({spread['psnr_0_hints']:.2f} dB) with 1 and {hints} random ground-truth hints; the "
        f"network alone: {spread['gain_network_alone_1_hint']:+.2f} and "
        f"{spread['gain_network_alone']:+.2f} dB.",
        "",
        *markdown_table(["scale", "edge", "1 hint", f"{hints} hints"], rows),
        "",
        f"Chosen on val by the mean PSNR over 1 and {hints} hints: scale {chosen['scale']}, "
        f"edge {chosen['edge']} ({spread['gain_chosen_1_hint']:+.2f} and "
        f"{spread['gain_chosen']:+.2f} dB).",
        "",
    ]
    return lines


def locality_lines(hints_curve, figures: Path) -> list[str]:
    """Issue 31: does one hint of a color the network did not expect stay on its object?"""
    locality = hints_curve.get("locality")
    if not locality:
        return []
    lines = [
        "### Hints that stay where they are put (issue 31)",
        "",
        "A user's hint is a choice, not the truth, so the PSNR with ground-truth hints rewards "
        "flooding. One hint per photo of a color far from the prediction (chroma 60, the "
        "opposite hue; `hint_curves.off_truth_hint`) at a random pixel: the share of pixels "
        "whose ab moves by more than 10, and the share of that change inside the hinted "
        "pixel's region (medians over the photos). BSDS500's human `groundTruth` segmentations "
        "are not in the dataset copy, so the regions are an edge-aware segmentation of the "
        "*true color* photo (Felzenszwalb & Huttenlocher, scale 400, sigma 0.8, regions of at "
        "least 0.5% of the pixels: about 16 regions a photo, `hint_curves.photo_regions`). On "
        "garment photos (the shared `clothing/` folder, every k-th photo over its classes) the "
        "region is the garment, taken as the segmentation's region under the photo's center "
        "(`hint_curves.garment_region`; no hand-drawn masks exist), and the hint falls on it.",
        "",
        "*Flooding* is colorkit before this issue (the network, then `hints.spread`); *local* "
        "is `infer.colorize` now: the network runs with and without the hints and the "
        "difference is laid over the automatic colorization through the hints' edge-aware "
        "influence (`hints.localize`: the gray image's segments that a hint touches, times a "
        "geodesic distance on the lightness and the automatic prediction's chroma; settings "
        "chosen on 30 BSDS500 val photos, never on test). Zero hints are the automatic "
        "colorizer, unchanged. The network itself was not retrained with off-truth hints.",
        "",
    ]
    rows = []
    blocks = [(f"BSDS500 test ({hints_curve['photos']} photos)", locality)]
    clothing = hints_curve.get("clothing")
    if clothing:
        blocks.append((f"garment photos ({clothing['photos']})", clothing["locality"]))
    for where, block in blocks:
        for name in ("flooding", "local"):
            row = block[name]
            rows.append(
                [
                    where,
                    name,
                    f"{row['changed_share']:.1%}",
                    f"{row['inside_share']:.1%}",
                    f"{row['region_changed_share']:.1%}",
                ]
            )
    lines += [
        *markdown_table(
            ["photos", "hints", "pixels changed", "of it inside the region", "region changed"],
            rows,
        ),
        "",
    ]
    if clothing:
        lines += [
            f"Garment photos, 10 ground-truth hints: {clothing['psnr_gain_10_hints_db']:+.2f} dB "
            f"over no hints ({clothing['scores']['0']['psnr']:.2f} dB).",
            "",
        ]
    if (figures / "hints_local.png").is_file():
        lines += ["![one red hint, before and after](figures/hints_local.png)", ""]
    return lines


def hints_section(hints_curve, default_is_hint_model: bool, figures: Path) -> list[str]:
    lines = ["## User hints (issue 13)", ""]
    if not hints_curve:
        return lines + ["No `hints_curve.json`: run `python scripts/evaluate_hints.py`.", ""]
    scores = hints_curve["scores"]
    viz.save_figure(viz.hint_curves(scores), figures / "hints_curve.png")
    keys = ["psnr", "auc_ab", "rebalanced_auc_ab", "auc_ab_pooled", "rebalanced_auc_ab_pooled"]
    rows = [
        [count, *(fmt(values.get(key)) for key in keys)]
        for count, values in sorted(scores.items(), key=lambda item: int(item[0]))
    ]
    lines += [
        f"`scripts/evaluate_hints.py` on {hints_curve['photos']} {hints_curve['dataset']} "
        f"photos (long side {hints_curve['long_side']}); hints: {hints_curve['hints']}.",
        "",
        *markdown_table(["hints", *keys], rows),
        "",
        "![metrics against the number of hints](figures/hints_curve.png)",
        "",
    ]
    if (figures / "hints_examples.png").is_file():
        lines += ["![0, 3 and 10 hints](figures/hints_examples.png)", ""]
    reach = hints_curve.get("single_hint_reach", {})
    if reach:
        lines += [
            f"One hint changes the colors of {reach['area_fraction']:.1%} of a photo (median; "
            f"90% of the change within {reach['radius_90']:.0f} px of the click).",
            "",
        ]
    alone = hints_curve.get("network_alone")
    if alone:
        alone_scores, alone_reach = alone["scores"], alone["single_hint_reach"]
        lines += [
            "The rows above are what `infer.colorize` gives: the network, then the hints "
            "spread along the photo's edges (`colorkit.hints.spread`) and kept on their "
            "objects (`colorkit.hints.localize`, below). The network alone: "
            f"10 hints {alone_scores['10']['psnr']:.2f} dB "
            f"({alone_scores['10']['psnr'] - alone_scores['0']['psnr']:+.2f} over no hints), "
            f"one hint reaches {alone_reach['area_fraction']:.1%} of a photo.",
            "",
        ]
    lines += locality_lines(hints_curve, figures)
    if "0" in scores and "10" in scores:
        gain = scores["10"]["psnr"] - scores["0"]["psnr"]
        lines.append(
            f"- 10 hints >= no-hint PSNR + 3 dB: {gain:+.2f} dB, "
            f"{'met' if gain >= 3 else '**not met**'}."
        )
    clothing = hints_curve.get("clothing")
    if clothing:
        gain = clothing["psnr_gain_10_hints_db"]
        lines.append(
            f"- garment photos, 10 hints >= no-hint PSNR + 3 dB: {gain:+.2f} dB, "
            f"{'met' if gain >= 3 else '**not met**'}."
        )
    for name, where in (("locality", "BSDS500 test"), ("clothing", "garment photos")):
        block = hints_curve.get(name)
        if not block:
            continue
        local = (block["locality"] if name == "clothing" else block)["local"]
        changed, inside = local["changed_share"], local["inside_share"]
        lines.append(
            f"- {where}, one off-truth hint: at most 15% of the pixels change "
            f"({changed:.1%}: {'met' if changed <= 0.15 else '**not met**'}) and at least 80% "
            f"of the change inside its region ({inside:.1%}: "
            f"{'met' if inside >= 0.8 else '**not met**'})."
        )
    if default_is_hint_model:
        lines.append(
            "- 0 hints within 0.01 rebalanced AuC of the automatic default: met trivially, "
            "the default IS the hint model (0 hints is the default's own prediction)."
        )
    else:
        lines.append(
            "- 0 hints vs the automatic default: the default takes no hints; compare "
            "the 0-hint row with the test table."
        )
    return lines + [""]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--default", default="default", help="the new default model")
    parser.add_argument("--zhang-scratch", default="zhang-scratch", help="0.1's classifier")
    parser.add_argument("--l2", default="l2-baseline", help="the L2 baseline")
    parser.add_argument("--dahl", default="dahl", help="Dahl's decoder on the trained VGG16")
    parser.add_argument("--limit", type=int, help="first N test photos (default all 200)")
    parser.add_argument("--output", type=Path, default=REPO_ROOT / "docs" / "MODEL_CARD.md")
    parser.add_argument("--summary", type=Path, help=f"run's summary.json ({DEFAULT_SUMMARY})")
    parser.add_argument("--run", type=Path, default=DEFAULT_RUN, help="run with epoch_NNN.keras")
    parser.add_argument("--checkpoints", type=Path, help="folder of kept epoch_NNN.keras copies")
    parser.add_argument("--curve-photos", type=int, default=40)
    parser.add_argument(
        "--comparison", type=Path, default=REPO_ROOT / "colorkit" / "weights" / "comparison.json"
    )
    parser.add_argument("--hints-curve", type=Path, help="default <figures>/hints_curve.json")
    parser.add_argument(
        "--cifar-schedule",
        type=Path,
        default=REPO_ROOT / "docs" / "figures" / "cifar_schedule.json",
        help="scripts/compare_cifar_schedule.py's result",
    )
    parser.add_argument(
        "--hint-finetune",
        type=Path,
        default=REPO_ROOT / "docs" / "figures" / "hint_finetune.json",
        help="scripts/compare_hint_finetune.py's result",
    )
    parser.add_argument(
        "--encoder-finetune",
        type=Path,
        default=REPO_ROOT / "docs" / "figures" / "encoder_finetune.json",
        help="scripts/compare_encoder_finetune.py's result",
    )
    parser.add_argument(
        "--hint-spread",
        type=Path,
        default=REPO_ROOT / "docs" / "figures" / "hint_spread.json",
        help="scripts/compare_hint_spread.py's result",
    )
    parser.add_argument(
        "--sampled-recipe",
        type=Path,
        default=REPO_ROOT / "docs" / "figures" / "sampled_recipe.json",
        help="scripts/compare_sampled_recipe.py's result",
    )
    parser.add_argument(
        "--multi-source",
        type=Path,
        default=REPO_ROOT / "docs" / "figures" / "multi_source.json",
        help="scripts/evaluate_sources.py's JSON (the multi-source test)",
    )
    parser.add_argument(
        "--cifar-amount",
        type=Path,
        default=REPO_ROOT / "docs" / "figures" / "cifar_amount.json",
        help="scripts/compare_sampled_recipe.py's result for default vs default-cifar50k",
    )
    parser.add_argument(
        "--data-amount",
        type=Path,
        default=REPO_ROOT / "docs" / "figures" / "data_amount.json",
        help="scripts/compare_data_amount.py's result",
    )
    parser.add_argument("--hat-photos", type=int, default=40)
    parser.add_argument("--scene-photos", type=int, default=40, help="BSDS500 val sky/grass")
    parser.add_argument("--semantic-train", type=int, default=5000)
    parser.add_argument("--semantic-test", type=int, default=1000)
    parser.add_argument("--semantic-epochs", type=int, default=8)
    parser.add_argument("--semantic-size", type=int, default=128, help="working size, px")
    parser.add_argument("--skip-semantic", action="store_true")
    args = parser.parse_args(argv)
    try:
        return make_card(args)
    except (InputMissing, FileNotFoundError) as error:
        print(f"model_card: error: {error}", file=sys.stderr)
        return 2


def make_card(args) -> int:
    start = time.time()
    figures = args.output.parent / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    summary = read_json(args.summary or DEFAULT_SUMMARY, required=args.summary is not None)
    if args.checkpoints is not None and not args.checkpoints.is_dir():
        raise InputMissing(f"checkpoint folder not found: '{args.checkpoints}'")
    comparison = read_json(args.comparison, required=False)
    schedule = read_json(args.cifar_schedule, required=False)
    hints_path = args.hints_curve or figures / "hints_curve.json"
    hints_curve = read_json(hints_path, required=args.hints_curve is not None)
    loaded, files, notes = load_models(args)
    spec = models.model_spec(loaded["default"])
    timings = {}

    tick = time.time()
    test = evaluation.scoring_set(evaluation.TEST_SOURCE, limit=args.limit)
    names = [Path(p).stem for p in test.paths]
    truths, prior = test.truths, test.prior
    predictions, scores = test_table(loaded, truths, prior)
    weight = weight_by_chroma(predictions, truths)
    timings["test table"] = time.time() - tick

    tick = time.time()
    count = min(12, len(truths))
    examples = [int(i) for i in np.linspace(0, len(truths) - 1, count).round()]
    photo_grid(predictions, examples, names, figures / "model_card_examples.png", "BSDS500 test")
    per_photo = [row["rebalanced_auc_ab"] for row in scores["default"]["per_photo"]]
    worst = [int(i) for i in np.argsort(per_photo)[: min(4, len(truths))]]
    photo_grid(
        predictions,
        worst,
        names,
        figures / "model_card_failures.png",
        "Worst 4 by rebalanced AuC (new default)",
    )
    timings["figures"] = time.time() - tick

    tick = time.time()
    curve_path = figures / "learning_curve.json"
    found = checkpoints(args.run, args.checkpoints)
    per_epoch = crops_per_epoch(summary or {}, args.run)
    curve = read_json(curve_path, required=False)
    if found and per_epoch:
        curve = learning_curve(found, per_epoch, spec, args.curve_photos)
        atomic.write_json(curve_path, curve)
    elif found:
        notes.append("checkpoints found but no crop count (summary.json / cache meta): no curve")
    if not isinstance(curve, dict):  # 0.1's curve (a list) is of another model
        curve = None
    timings["learning curve"] = time.time() - tick

    tick = time.time()
    hat_paths = data.list_images(data.dataset_root("bsds500").parent / "clothing" / "hat")
    hat_paths = hat_paths[: args.hat_photos]
    scene_paths = [
        p
        for p in data.dataset_paths("imagenet-sample")
        if Path(p).stem.split("_", 1)[1] in SCENE_CLASSES
    ] + data.dataset_paths(*evaluation.VAL_SOURCE)[: args.scene_photos]
    hat_result = hats(loaded["default"], hat_paths, scene_paths, figures / "hats.png")
    timings["hats"] = time.time() - tick

    semantic = None
    if not args.skip_semantic:
        tick = time.time()
        semantic = semantic_check(
            loaded,
            args.semantic_train,
            args.semantic_test,
            args.semantic_epochs,
            args.semantic_size,
        )
        timings["semantic check"] = time.time() - tick
        log(f"semantic check: {semantic}")

    lines = [
        "# Model card: colorkit's default colorizer",
        "",
        f"Generated by `make model-card` (`scripts/model_card.py`) on {time.strftime('%Y-%m-%d')}"
        "; every number below comes from that script or the JSON files it names.",
        "",
        *model_section(loaded, files, summary, notes),
        *comparison_section(comparison),
        *cifar_section(schedule),
        *cifar_amount_section(read_json(args.cifar_amount, required=False)),
        *multi_source_section(read_json(args.multi_source, required=False)),
        *data_amount_section(
            read_json(args.data_amount, required=False), pooled_goal_gap(scores), figures
        ),
        *sampled_section(read_json(args.sampled_recipe, required=False)),
        *encoder_finetune_section(read_json(args.encoder_finetune, required=False)),
        f"## Results on BSDS500 test ({len(truths)} photos, long side 256 px)",
        "",
    ]
    rows = [
        [ROW_LABELS[key], *(fmt(result["means"].get(k)) for k, _ in COLUMNS)]
        for key, result in scores.items()
    ]
    lines += markdown_table(["", *(label for _, label in COLUMNS)], rows)
    lines += [
        "",
        "Per-photo columns are means over the photos (`metrics.evaluate_batch` per photo); "
        "*pooled* columns count every pixel of the test set once (Zhang et al.'s definition, "
        "`metrics.pooled_scores`). Rebalanced AuC weighs each pixel by the inverse frequency of "
        "its true color's bin in this test set. False color: share of near-neutral true pixels "
        "(chroma < 10) painted with chroma > 25. Each model uses its own stored decoding "
        "settings.",
        "",
        "### Goals (issue 11)",
        "",
    ]
    lines += markdown_table(
        ["goal", "new default", "met"],
        [
            [goal, value, "n/a" if met is None else ("met" if met else "**not met**")]
            for goal, value, met in goals(scores)
        ],
    )
    lines += ["", *weight_section(weight)]
    lines += [
        "## Examples",
        "",
        "![gray, new default, 0.1 Zhang, L2 baseline, truth](figures/model_card_examples.png)",
        "",
        "## Failure cases",
        "",
        "![worst four by rebalanced AuC](figures/model_card_failures.png)",
        "",
        *(
            failure_sentence(
                names[i], scores["default"]["per_photo"][i], scores["gray"]["per_photo"][i]
            )
            for i in worst
        ),
        "",
        "## Learning curve",
        "",
    ]
    if curve and curve["points"]:
        points = curve["points"]
        seen = np.array([p["crops_seen"] for p in points], float)
        keys = ("rebalanced_auc_ab_pooled", "auc_ab_pooled", "false_color_score_pooled")
        figure = viz.metric_curves(
            {key: (seen, np.array([p[key] for p in points])) for key in keys},
            xlabel="training crops seen",
            ylabel=f"pooled score, {curve['photos']} BSDS500 val photos",
        )
        viz.save_figure(figure, figures / "learning_curve.png")
        gray = curve["gray"]
        lines += [
            "![learning curve](figures/learning_curve.png)",
            "",
            f"Per-epoch decoder checkpoints on {curve['photos']} BSDS500 val photos (decoded "
            f"with T = {curve['decoding']['temperature']}, saturation "
            f"{curve['decoding']['saturation']}); gray: AuC {gray['auc_ab_pooled']:.3f}, "
            f"rebalanced {gray['rebalanced_auc_ab_pooled']:.3f}.",
            "",
            *markdown_table(
                ["epoch", "crops seen", "rebal. AuC pooled", "AuC pooled", "false color"],
                [[p["epoch"], f"{p['crops_seen']:,}", *(fmt(p[k]) for k in keys)] for p in points],
            ),
            "",
        ]
    else:
        lines += ["No per-epoch checkpoints given (`--run`, `--checkpoints`).", ""]
    lines += [
        "## Hats: does the model know when it cannot know?",
        "",
        f"Predicted distributions of the new default (no hints) on {len(hat_paths)} photos of "
        "`clothing/hat` (the central half of each photo, where the hat is) and on sky (blue "
        "cells in the upper half) and grass/foliage (green cells) of ImageNet-sample "
        "landscapes and BSDS500 val. "
        "Entropy in bits (`metrics.distribution_entropy`; 8.3 = uniform over 313 bins), modes "
        "from `metrics.count_modes`.",
        "",
    ]
    lines += markdown_table(
        ["region", "photos", "cells", "entropy mean", "median", "modes mean", ">= 2 modes"],
        [
            [
                kind,
                r["photos"],
                f"{r['cells']:,}",
                fmt(r["entropy_mean"], 2),
                fmt(r["entropy_median"], 2),
                fmt(r["modes_mean"], 2),
                f"{r['multimodal_share']:.0%}",
            ]
            for kind, r in hat_result.items()
            if r
        ],
    )
    lines += ["", hats_sentence(hat_result), "", "![hats](figures/hats.png)", ""]
    lines += ["## Semantic check (CIFAR-10, notebook 08's classifier)", ""]
    if semantic:
        labels = {
            "truth": "true colors",
            "gray": "gray",
            "default": "new default",
            "zhang-scratch": "0.1 Zhang",
            "l2": "L2 baseline",
        }
        lines += [
            f"A small CNN trained on {semantic['train']:,} color CIFAR-10 images "
            f"({semantic['epochs']} epoch{'s' if semantic['epochs'] != 1 else ''}), tested on "
            f"{semantic['test']:,} held-out images "
            f"(colorized at working size {semantic['size']} px, upscaled from 32 px):",
            "",
            *markdown_table(
                ["input", "accuracy"],
                [[labels[k], f"{semantic[k]:.3f}"] for k in labels if k in semantic],
            ),
            "",
        ]
        better = semantic["default"] > semantic["gray"]
        lines.append(
            f"Acceptance (new default recognised more often than gray): "
            f"{'met' if better else '**not met**'} ({semantic['default'] - semantic['gray']:+.3f}"
            f"; with {semantic['test']:,} images one standard error is about "
            f"{np.sqrt(0.25 / semantic['test']):.3f})."
        )
        lines.append("")
    else:
        lines += ["Skipped (`--skip-semantic`).", ""]
    lines += hints_section(hints_curve, spec.hint_inputs, figures)
    lines += spread_section(read_json(args.hint_spread, required=False))
    lines += finetune_section(read_json(args.hint_finetune, required=False))
    timings_text = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in timings.items())
    lines.append(f"_Card generated in {time.time() - start:.0f} s ({timings_text})._")
    with atomic.atomic_path(args.output) as temporary:
        temporary.write_text("\n".join(lines) + "\n", encoding="utf-8")
    log(f"wrote {args.output} ({timings_text})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
