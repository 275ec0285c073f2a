"""Evaluation: the validation protocol, decoding choice and scoring of colorizers.

Scoring sits below training: nothing here imports ``colorkit.training`` (a test checks it), so
scripts, the model card and the training engine (which exports a model through
:mod:`~colorkit.evaluation.decoding`) all score models the same way.

- :mod:`~colorkit.evaluation.protocol`: the photos a model is scored on (``VAL_SOURCE``,
  ``TEST_SOURCE``, :func:`load_long_side`, :func:`scoring_set`), one ab prior pooled over a set
  (:func:`pooled_prior`), and the mean metrics of a set (:func:`evaluate_predictions`,
  :func:`predict_for_evaluation`, :func:`evaluate_model`).
- :mod:`~colorkit.evaluation.decoding`: the grid of decoding settings (temperature,
  saturation) tried on validation photos and the export rule that picks one
  (:func:`decoding_trials`, :func:`choose_decoding`).
- :mod:`~colorkit.evaluation.sources`: the multi-source validation and test sets (held-out
  photos of every collection) and scores per collection, the harm rate included.
"""

from __future__ import annotations

from colorkit.evaluation import decoding, protocol
from colorkit.evaluation.protocol import (
    TEST_SOURCE,
    VAL_SOURCE,
    ScoringSet,
    evaluate_model,
    evaluate_predictions,
    load_long_side,
    pooled_prior,
    predict_for_evaluation,
    scoring_set,
)

__all__ = [
    "TEST_SOURCE",
    "VAL_SOURCE",
    "ScoringSet",
    "decoding",
    "evaluate_model",
    "evaluate_predictions",
    "load_long_side",
    "pooled_prior",
    "predict_for_evaluation",
    "protocol",
    "scoring_set",
]
