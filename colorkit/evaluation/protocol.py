"""The validation protocol: which photos a model is scored on, at what size, and how.

Models are scored on whole photos resized to a long side of 256 pixels (aspect kept), every
metric averaged over the photos, except the rebalanced AuC, whose ab prior is pooled over the
whole set (:func:`pooled_prior`) so that every color bin of the set counts equally. Validation
(choices: decoding settings, epochs) uses BSDS500 val, the reported numbers BSDS500 test.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
from PIL import Image

from colorkit import color, data, infer, metrics
from colorkit._checks import check_int

#: Validation photos (every choice is made on them) and test photos (reported only).
VAL_SOURCE = ("bsds500", "val")
TEST_SOURCE = ("bsds500", "test")


@dataclasses.dataclass(frozen=True)
class ScoringSet:
    """Photos a model is scored on, as the protocol reads them.

    Attributes:
        paths: The photo paths (str).
        truths: Float32 RGB ``(H_i, W_i, 3)`` in [0, 1], long side ``long_side``.
        prior: The ``(Q,)`` ab prior pooled over every pixel of ``truths``.
    """

    paths: list
    truths: list
    prior: np.ndarray


def scoring_set(source=VAL_SOURCE, limit: int | None = None, long_side: int = 256) -> ScoringSet:
    """The photos of ``source`` (a ``(dataset, split)``; BSDS500 val by default) read for
    scoring: resized to ``long_side`` (:func:`load_long_side`), with their pooled prior.

    Args:
        source: ``(dataset, split)`` of a registered dataset (``VAL_SOURCE``, ``TEST_SOURCE``).
        limit: Only the first ``limit`` photos (None: all).
        long_side: Long side of the images in pixels.

    Returns:
        A :class:`ScoringSet`.
    """
    paths = [str(path) for path in data.dataset_paths(*source)][:limit]
    truths = load_long_side(paths, long_side)
    return ScoringSet(paths=paths, truths=truths, prior=pooled_prior(truths))


def load_long_side(paths, long_side: int = 256) -> list[np.ndarray]:
    """Read photos resized so that their long side is ``long_side`` (aspect kept).

    Returns:
        A list of float32 ``(H, W, 3)`` arrays in [0, 1].

    Raises:
        TypeError: If ``long_side`` is not an int.
        ValueError: If ``long_side`` is below 8.
    """
    long_side = check_int("long_side", long_side, minimum=8)
    images = []
    for path in paths:
        image = data.read_image(path)
        height, width = image.shape[:2]
        scale = long_side / max(height, width)
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        pil = Image.fromarray(np.round(image * 255).astype(np.uint8))
        resized = pil.resize(size, Image.Resampling.BICUBIC, reducing_gap=3.0)
        images.append(np.asarray(resized, np.float32) / 255.0)
    return images


def pooled_prior(images) -> np.ndarray:
    """The ab prior ``(Q,)`` of all pixels of a list of RGB images of different sizes.

    One prior for a whole test set makes the rebalanced AuC weigh every color bin of that set
    equally, whatever image a pixel comes from.
    """
    return color.ab_prior(np.concatenate([image.reshape(-1, 3) for image in images])[None])


def evaluate_predictions(predictions, truths, prior=None) -> dict:
    """Mean of ``colorkit.metrics.evaluate_batch`` over images of different sizes.

    The rebalanced AuC uses one ab prior for the whole test set (``prior``; estimated from all
    the true images when None), so every color bin of the test set counts equally.

    Args:
        predictions: List of float32 RGB ``(H_i, W_i, 3)`` in [0, 1].
        truths: List of the true images, same shapes.
        prior: Optional ``(Q,)`` ab prior.

    Returns:
        Dict of metric name -> mean over images (NaN-aware for hue agreement).
    """
    if len(predictions) != len(truths) or not truths:
        raise ValueError(
            "predictions and truths must be non-empty lists of the same length. "
            f"Received: len(predictions)={len(predictions)}, len(truths)={len(truths)}"
        )
    if prior is None:
        prior = pooled_prior(truths)
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # hue agreement of gray is NaN
        for predicted, truth in zip(predictions, truths, strict=True):
            rows.append(metrics.evaluate_batch(predicted, truth, prior=prior))
        # All-NaN columns (hue agreement of the gray baseline) stay NaN.
        return {key: float(np.nanmean([row[key] for row in rows])) for key in rows[0]}


def evaluate_model(
    model, paths, long_side: int = 256, temperature: float = color.DEFAULT_TEMPERATURE, prior=None
) -> dict:
    """Colorize test photos (long side ``long_side``) and average the metrics over them.

    Args:
        model: A colorkit ``keras.Model`` or a path/name for ``colorkit.infer.load_model``;
            the strings "gray" and "truth" evaluate the gray baseline and the ground truth.
        paths: Photo paths.
        long_side: Long side of the evaluation images in pixels.
        temperature: Annealed-mean temperature (classification models).
        prior: Optional ``(Q,)`` ab prior for the rebalanced AuC.

    Returns:
        Dict of metric name -> mean over the photos.
    """
    truths = load_long_side(paths, long_side)
    predictions = predict_for_evaluation(model, truths, long_side, temperature)
    return evaluate_predictions(predictions, truths, prior=prior)


def predict_for_evaluation(
    model, truths, long_side: int = 256, temperature: float = color.DEFAULT_TEMPERATURE
) -> list[np.ndarray]:
    """What :func:`evaluate_model` scores: colorized ``truths`` (or the gray / true baseline).

    Args:
        model: As for :func:`evaluate_model` (a model, a path or name, "gray" or "truth").
        truths: List of float32 RGB ``(H_i, W_i, 3)`` in [0, 1].
        long_side: Working long side of the network.
        temperature: Annealed-mean temperature (classification models).

    Returns:
        A list of float32 RGB images, one per truth.
    """
    if isinstance(model, str) and model == "truth":
        return list(truths)
    if isinstance(model, str) and model == "gray":
        return [color.desaturate(t, method="lab") for t in truths]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", color.GamutWarning)
        return infer.colorize(list(truths), model, size=long_side, temperature=temperature)
