"""Tests for colorkit.evaluation: the validation protocol and the export rule."""

from __future__ import annotations

import numpy as np
import pytest

from colorkit import evaluation
from colorkit.evaluation import decoding


def test_load_long_side_keeps_aspect(shared_data):
    path = str(sorted((shared_data / "bsds500" / "test").glob("*.jpg"))[0])
    (image,) = evaluation.load_long_side([path], long_side=96)
    assert max(image.shape[:2]) == 96 and image.dtype == np.float32
    with pytest.raises(ValueError, match="long_side"):
        evaluation.load_long_side([path], long_side=0)
    with pytest.raises(TypeError, match="long_side"):
        evaluation.load_long_side([path], long_side=96.0)


def test_evaluate_predictions_validates_lengths():
    with pytest.raises(ValueError, match="same length"):
        evaluation.evaluate_predictions([], [])


def test_truth_scores_perfectly_and_gray_has_no_color(rng):
    truths = [rng.random((16, 24, 3), dtype=np.float32), rng.random((8, 8, 3), dtype=np.float32)]
    truth = evaluation.evaluate_predictions(
        evaluation.predict_for_evaluation("truth", truths), truths
    )
    gray = evaluation.evaluate_predictions(
        evaluation.predict_for_evaluation("gray", truths), truths
    )
    assert truth["auc_ab"] == pytest.approx(1.0)
    assert gray["colorfulness"] < 1e-3 < truth["colorfulness"]
    prior = evaluation.pooled_prior(truths)
    assert prior.shape == (313,) and prior.sum() == pytest.approx(1.0)


def _trial(qualifies, false_color, rebalanced):
    return {
        "qualifies": qualifies,
        "false_color_score_pooled": false_color,
        "rebalanced_auc_ab_pooled": rebalanced,
    }


def test_export_rule_takes_the_best_qualifying_setting_else_the_least_false_color():
    trials = [_trial(False, 0.01, 0.99), _trial(True, 0.07, 0.6), _trial(True, 0.05, 0.7)]
    assert decoding.choose_decoding(trials) is trials[2]
    none_qualify = [_trial(False, 0.2, 0.9), _trial(False, 0.1, 0.5)]
    assert decoding.choose_decoding(none_qualify) is none_qualify[1]
    with pytest.raises(ValueError, match="at least one trial"):
        decoding.choose_decoding([])


def test_qualifies_checks_every_constraint():
    gray = {"auc_ab_pooled": 0.9, "psnr": 22.0}
    good = {"false_color_bound": 0.05, "colorfulness_ratio": 0.8, "auc_ab_pooled": 0.91, "psnr": 23}
    assert decoding.qualifies(good, gray)
    for key, bad in (
        ("false_color_bound", 0.09),
        ("colorfulness_ratio", 0.5),
        ("colorfulness_ratio", 1.2),
        ("auc_ab_pooled", 0.8),
        ("psnr", 21.0),
    ):
        assert not decoding.qualifies({**good, key: bad}, gray), key


def test_scoring_set_reads_the_protocol_photos(shared_data):
    test = evaluation.scoring_set(evaluation.TEST_SOURCE, limit=2, long_side=64)
    assert len(test.paths) == len(test.truths) == 2
    assert all(max(image.shape[:2]) == 64 for image in test.truths)
    np.testing.assert_allclose(test.prior, evaluation.pooled_prior(test.truths))
    assert "test" in test.paths[0]
