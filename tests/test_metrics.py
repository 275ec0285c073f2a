"""Tests for colorkit.metrics: oracle values, constructed images with known answers, validation."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from skimage import data as skimage_data
from skimage import metrics as skimage_metrics

from colorkit import color, metrics


def _from_lab(lab) -> np.ndarray:
    """RGB of in-gamut Lab values (no clipping expected)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return color.lab_to_rgb(np.asarray(lab, dtype=np.float32))


def _solid(lab, shape=(8, 8)) -> np.ndarray:
    return np.broadcast_to(_from_lab(lab), (*shape, 3)).astype(np.float32).copy()


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return (skimage_data.astronaut()[::8, ::8] / 255.0).astype(np.float32)  # (64, 64, 3)


# --------------------------------------------------------------------------------------------
# Validation shared by all metrics
# --------------------------------------------------------------------------------------------
PAIR_METRICS = [
    metrics.psnr,
    metrics.ssim,
    metrics.auc_ab,
    metrics.rebalanced_auc_ab,
    metrics.chroma_ratio,
    metrics.hue_agreement,
    metrics.sepia_score,
    metrics.evaluate_batch,
    lambda p, t: metrics.ab_error_cdf(p, t),
    lambda p, t: metrics.sludge_score(p, t),
]


@pytest.mark.parametrize("metric", PAIR_METRICS)
def test_pair_metrics_reject_mismatched_shapes(metric, random_rgb):
    with pytest.raises(ValueError, match="same shape"):
        metric(random_rgb, random_rgb[:1])


@pytest.mark.parametrize("metric", PAIR_METRICS)
def test_pair_metrics_reject_out_of_range(metric, random_rgb):
    with pytest.raises(ValueError):
        metric(random_rgb * 2.0 + 0.5, random_rgb)


@pytest.mark.parametrize("metric", PAIR_METRICS)
def test_pair_metrics_reject_wrong_rank(metric):
    flat = np.zeros((16, 3), dtype=np.float32)
    with pytest.raises(ValueError, match="rank"):
        metric(flat, flat)


@pytest.mark.parametrize("metric", [metrics.colorfulness, metrics.ab_spread, metrics.sludge_score])
def test_single_image_metrics_reject_bad_input(metric):
    with pytest.raises(ValueError, match="rank"):
        metric(np.zeros((1, 1, 4, 4, 3), dtype=np.float32))
    with pytest.raises(ValueError):
        metric(np.full((4, 4, 3), np.nan, dtype=np.float32))


# --------------------------------------------------------------------------------------------
# PSNR, SSIM, colorfulness
# --------------------------------------------------------------------------------------------
def test_psnr_known_value_and_batch_shape():
    true = np.full((3, 4, 4, 3), 0.5, dtype=np.float32)
    pred = true.copy()
    pred[0] += np.float32(0.1)  # MSE 0.01 -> 20 dB
    pred[1, ..., 0] += np.float32(0.3)  # MSE 0.09 / 3 = 0.03 -> 15.23 dB
    values = metrics.psnr(pred, true)
    assert values.shape == (3,)
    np.testing.assert_allclose(values[:2], [20.0, 10 * np.log10(1 / 0.03)], atol=1e-4)
    assert values[2] == np.inf
    assert isinstance(metrics.psnr(pred[0], true[0]), float)
    np.testing.assert_allclose(
        metrics.psnr(pred[0], true[0], data_range=2.0), 20 + 20 * np.log10(2)
    )


@pytest.mark.parametrize("data_range", [0, -1.0, "1"])
def test_psnr_rejects_bad_data_range(data_range, random_rgb):
    with pytest.raises(ValueError, match="data_range"):
        metrics.psnr(random_rgb, random_rgb, data_range=data_range)


def test_ssim_matches_scikit_image(astronaut, rng):
    noisy = np.clip(astronaut + rng.normal(0, 0.1, astronaut.shape), 0, 1).astype(np.float32)
    blurred = np.clip(0.7 * astronaut + 0.15, 0, 1).astype(np.float32)
    ours = metrics.ssim(np.stack([noisy, blurred]), np.stack([astronaut, astronaut]))
    for index, pred in enumerate([noisy, blurred]):
        expected = skimage_metrics.structural_similarity(
            pred,
            astronaut,
            gaussian_weights=True,
            sigma=1.5,
            use_sample_covariance=False,
            data_range=1.0,
            channel_axis=-1,
        )
        assert ours[index] == pytest.approx(expected, abs=1e-5)
    assert ours[0] < 0.9
    assert metrics.ssim(astronaut, astronaut) == pytest.approx(1.0)


def test_chroma_psnr_keras_metric_matches_scikit_image(rng):
    # ChromaPSNR runs inside the training graph (keras.ops), so it stays ours: held to skimage.
    true = rng.uniform(-1, 1, (3, 8, 8, 2)).astype(np.float32)
    pred = np.clip(true + rng.normal(0, 0.05, true.shape), -1, 1).astype(np.float32)
    metric = metrics.ChromaPSNR(data_range=2.0)
    metric.update_state(true, pred)
    expected = np.mean(
        [
            skimage_metrics.peak_signal_noise_ratio(t, p, data_range=2.0)
            for t, p in zip(true, pred, strict=True)
        ]
    )
    assert float(metric.result()) == pytest.approx(expected, abs=1e-3)


def test_ssim_rejects_small_images():
    small = np.zeros((10, 32, 3), dtype=np.float32)
    with pytest.raises(ValueError, match="at least 11 x 11"):
        metrics.ssim(small, small)


def test_colorfulness_oracles():
    red = np.zeros((4, 4, 3), dtype=np.float32)
    red[..., 0] = 1.0
    gray = np.full((4, 4, 3), 0.4, dtype=np.float32)
    half = np.zeros((4, 4, 3), dtype=np.float32)
    half[:2, :, 0] = 1.0  # red
    half[2:, :, 2] = 1.0  # blue: rg in {255, 0}, yb in {127.5, -255}
    expected_half = math.hypot(127.5, 191.25) + 0.3 * math.hypot(127.5, 63.75)
    values = metrics.colorfulness(np.stack([red, gray, half]))
    np.testing.assert_allclose(
        values, [0.3 * math.hypot(255, 127.5), 0.0, expected_half], atol=1e-3
    )
    assert isinstance(metrics.colorfulness(red), float)


# --------------------------------------------------------------------------------------------
# ab error CDF and AuC
# --------------------------------------------------------------------------------------------
def test_auc_of_identical_images_is_one(astronaut):
    assert metrics.auc_ab(astronaut, astronaut) == pytest.approx(1.0)
    assert metrics.rebalanced_auc_ab(astronaut, astronaut) == pytest.approx(1.0)


def test_auc_of_a_constant_error_is_known():
    true = _solid([50.0, 0.0, 0.0])
    pred = _solid([50.0, 30.0, 40.0])  # ab error 50 at every pixel
    error = np.hypot(*(color.rgb_to_lab(pred)[0, 0, 1:] - color.rgb_to_lab(true)[0, 0, 1:]))
    assert error == pytest.approx(50.0, abs=0.1)
    # CDF is 0 below the error and 1 from it on: area (150 - error) / 150, within one step.
    assert metrics.auc_ab(pred, true) == pytest.approx(1 - error / 150, abs=1 / 150)
    thresholds, cdf = metrics.ab_error_cdf(pred, true, thresholds=[0, 49, 51, 150])
    np.testing.assert_array_equal(cdf, [0.0, 0.0, 1.0, 1.0])
    np.testing.assert_array_equal(thresholds, [0, 49, 51, 150])


def test_ab_error_cdf_is_monotone_and_matches_a_direct_count(astronaut):
    pred = np.clip(astronaut[..., [1, 0, 2]], 0, 1)  # swap R and G: large hue errors
    thresholds, cdf = metrics.ab_error_cdf(pred, astronaut)
    assert thresholds.shape == cdf.shape == (151,)
    assert np.all(np.diff(cdf) >= 0) and 0 <= cdf[0] and cdf[-1] <= 1
    errors = np.linalg.norm(
        color.rgb_to_lab(pred)[..., 1:] - color.rgb_to_lab(astronaut)[..., 1:], axis=-1
    ).ravel()
    np.testing.assert_allclose(cdf, (errors[:, None] <= thresholds).mean(axis=0))
    auc = metrics.auc_ab(pred, astronaut)
    assert auc == pytest.approx(np.trapezoid(cdf, thresholds) / 150)
    assert 0.3 < auc < 0.99


def test_rebalanced_auc_counts_every_bin_equally():
    # 90 % gray pixels predicted exactly, 10 % red pixels predicted gray (error = red chroma).
    gray_lab, red_lab = [50.0, 0.0, 0.0], [50.0, 60.0, 40.0]
    true = _solid(gray_lab, (10, 10))
    true[0] = _solid(red_lab, (10,))
    pred = _solid(gray_lab, (10, 10))
    error = np.hypot(*color.rgb_to_lab(true[0, 0])[1:])
    raw = metrics.auc_ab(pred, true)
    rebalanced = metrics.rebalanced_auc_ab(pred, true)
    assert raw == pytest.approx(0.9 + 0.1 * (1 - error / 150), abs=1e-2)
    assert rebalanced == pytest.approx(0.5 + 0.5 * (1 - error / 150), abs=1e-2)
    assert rebalanced < raw
    # A uniform prior weights every pixel the same: back to the raw AuC.
    uniform = np.full(len(color.ab_bins()), 1.0 / len(color.ab_bins()))
    assert metrics.rebalanced_auc_ab(pred, true, prior=uniform) == pytest.approx(raw)


def test_rebalanced_auc_validates_prior_and_bins(random_rgb):
    num_bins = len(color.ab_bins())
    with pytest.raises(ValueError, match="prior is zero"):
        metrics.rebalanced_auc_ab(random_rgb, random_rgb, prior=np.zeros(num_bins))
    with pytest.raises(ValueError, match="prior must"):
        metrics.rebalanced_auc_ab(random_rgb, random_rgb, prior=np.ones(num_bins + 1))
    with pytest.raises(ValueError, match="bins must"):
        metrics.rebalanced_auc_ab(random_rgb, random_rgb, bins=np.zeros((4, 3)))


def test_auc_by_bin_splits_the_rebalanced_auc_into_equal_bins():
    # The red row predicted gray is one bin, the gray rows predicted exactly another.
    gray_lab, red_lab = [50.0, 0.0, 0.0], [50.0, 60.0, 40.0]
    true = _solid(gray_lab, (10, 10))
    true[0] = _solid(red_lab, (10,))
    pred = _solid(gray_lab, (10, 10))
    auc, counts = metrics.auc_ab_by_bin(pred, true)
    occupied = np.flatnonzero(counts)
    assert sorted(counts[occupied].tolist()) == [10, 90]
    assert np.all(np.isnan(auc[counts == 0]))
    gray_bin, red_bin = occupied[np.argsort(-counts[occupied])]
    assert auc[gray_bin] == 1.0
    assert auc[red_bin] == pytest.approx(metrics.auc_ab(pred[:1], true[:1]))
    assert np.nanmean(auc) == pytest.approx(metrics.rebalanced_auc_ab(pred, true))


@pytest.mark.parametrize("thresholds", [None, [0, 5, 30, 150], [10, 20]])
def test_auc_by_bin_mean_is_the_rebalanced_auc(rng, thresholds):
    true = rng.random((3, 12, 12, 3), dtype=np.float32)
    for pred in (rng.random(true.shape, dtype=np.float32), true.mean(-1, keepdims=True) + 0 * true):
        auc, counts = metrics.auc_ab_by_bin(pred, true, thresholds=thresholds)
        assert counts.sum() == true.size // 3
        expected = metrics.rebalanced_auc_ab(pred, true, thresholds=thresholds)
        assert np.nanmean(auc) == pytest.approx(expected, abs=1e-12)


def test_auc_by_bin_validates_its_arguments(random_rgb):
    with pytest.raises(ValueError, match="bins must"):
        metrics.auc_ab_by_bin(random_rgb, random_rgb, bins=np.zeros((4, 3)))
    with pytest.raises(ValueError, match="thresholds"):
        metrics.auc_ab_by_bin(random_rgb, random_rgb, thresholds=[5])
    with pytest.raises(ValueError):
        metrics.auc_ab_by_bin(random_rgb, random_rgb[:-1])


@pytest.mark.parametrize("thresholds", [[5], [0, 0, 1], [-1, 5], [[0, 1]], [0, np.nan]])
def test_auc_rejects_bad_thresholds(thresholds, random_rgb):
    with pytest.raises(ValueError, match="thresholds"):
        metrics.auc_ab(random_rgb, random_rgb, thresholds=thresholds)


# --------------------------------------------------------------------------------------------
# Chroma and hue
# --------------------------------------------------------------------------------------------
def test_chroma_ratio_of_a_half_desaturated_prediction():
    true = _solid([60.0, 20.0, 30.0])
    pred = _solid([60.0, 10.0, 15.0])
    assert metrics.chroma_ratio(pred, true) == pytest.approx(0.5, abs=0.01)
    assert metrics.chroma_ratio(true, true) == pytest.approx(1.0)


def test_chroma_ratio_of_gray_truth_is_nan_with_warning():
    gray = np.full((4, 4, 3), 0.5, dtype=np.float32)
    with pytest.warns(RuntimeWarning, match="gray ground truth"):
        assert math.isnan(metrics.chroma_ratio(gray, gray))


@pytest.mark.parametrize(
    ("pred_ab", "expected"),
    [((20.0, 20.0), 1.0), ((-20.0, -20.0), -1.0), ((-20.0, 20.0), 0.0), ((40.0, 0.0), 2**-0.5)],
)
def test_hue_agreement_is_the_cosine_of_the_hue_difference(pred_ab, expected):
    true = _solid([60.0, 20.0, 20.0])
    pred = _solid([60.0, *pred_ab])
    assert metrics.hue_agreement(pred, true) == pytest.approx(expected, abs=0.02)


def test_hue_agreement_ignores_achromatic_pixels():
    true = _solid([60.0, 20.0, 20.0], (2, 4))
    pred = true.copy()
    pred[0] = _solid([60.0, -1.0, -1.0], (4,))  # opposite hue but chroma < 5: ignored
    assert metrics.hue_agreement(pred, true) == pytest.approx(1.0, abs=1e-3)
    assert metrics.hue_agreement(pred, true, min_chroma=0) < 0.6
    with pytest.raises(ValueError, match="min_chroma"):
        metrics.hue_agreement(pred, true, min_chroma=-1)
    gray = np.full((4, 4, 3), 0.5, dtype=np.float32)
    with pytest.warns(RuntimeWarning, match="no pixel"):
        assert math.isnan(metrics.hue_agreement(gray, gray))


# --------------------------------------------------------------------------------------------
# Failure modes
# --------------------------------------------------------------------------------------------
def test_sludge_score_constant_brown_is_one_and_varied_is_zero(astronaut, rng):
    brown = _solid([45.0, 8.0, 20.0], (2, 16, 16))
    vivid = rng.random((2, 16, 16, 3), dtype=np.float32)  # random colors: spread ~ 50
    assert metrics.ab_spread(brown) == pytest.approx(0.0, abs=0.05)
    assert metrics.ab_spread(vivid) > 40
    assert metrics.sludge_score(brown) == pytest.approx(1.0, abs=0.01)
    assert metrics.sludge_score(vivid) == 0.0
    assert metrics.sludge_score(brown, vivid) == pytest.approx(1.0, abs=0.01)
    assert metrics.sludge_score(vivid, vivid) == 0.0
    assert metrics.sludge_score(astronaut, astronaut) == 0.0


def test_sludge_score_is_the_fraction_of_spread_lost():
    lab = np.zeros((2, 8, 8, 3), dtype=np.float32)
    lab[..., 0] = 60.0
    lab[0, ..., 1:] = [30.0, 30.0]
    lab[1, ..., 1:] = [-30.0, -10.0]
    true = _from_lab(lab)
    lab[..., 1:] = lab[..., 1:] * 0.25 + np.array([0.0, 10.0]) * 0.75  # 1/4 of the spread
    pred = _from_lab(lab)
    assert metrics.sludge_score(pred, true) == pytest.approx(0.75, abs=0.02)
    assert metrics.sludge_score(pred, reference_spread=1e-3) == 0.0
    assert metrics.sludge_score(true, reference_spread=0.0) == 0.0
    with pytest.raises(ValueError, match="reference_spread"):
        metrics.sludge_score(pred, reference_spread=-1.0)


def test_sepia_score_of_a_sepia_toned_blue_green_scene():
    truth = np.zeros((2, 16, 16, 3), dtype=np.float32)
    truth[:, :8] = [0.2, 0.4, 0.8]  # sky blue
    truth[:, 8:] = [0.2, 0.6, 0.3]  # grass green
    sepia_matrix = np.array([[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]])
    sepia = np.clip(truth @ sepia_matrix.T * 0.8, 0, 1).astype(np.float32)
    chroma = np.hypot(*color.rgb_to_lab(sepia)[0, 0, 0, 1:])
    assert 5 <= chroma <= 40
    assert metrics.sepia_score(sepia, truth) == pytest.approx(1.0)
    assert metrics.sepia_score(truth, truth) == 0.0
    assert metrics.sepia_score(truth, sepia) == 0.0  # clipped: less sepia than the truth


def test_sepia_score_ignores_vivid_orange_and_gray():
    blue = _solid([50.0, 10.0, -40.0])
    vivid_orange = _solid([65.0, 40.0, 65.0])  # hue ~58 degrees but chroma ~76: not a tint
    gray = np.full_like(blue, 0.5)
    assert metrics.sepia_score(vivid_orange, blue) == 0.0
    assert metrics.sepia_score(gray, blue) == 0.0
    half = np.concatenate([_solid([50.0, 12.0, 25.0], (4, 8)), blue[4:]])  # hue 64, chroma 28
    assert metrics.sepia_score(half, blue) == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("hue_range", "chroma_range"),
    [((90, 40), (5, 40)), ((-10, 40), (5, 40)), ((40, 400), (5, 40)), ((40, 90), (40, 5)), (5, 5)],
)
def test_sepia_score_rejects_bad_ranges(hue_range, chroma_range, random_rgb):
    with pytest.raises(ValueError, match="range"):
        metrics.sepia_score(random_rgb, random_rgb, hue_range=hue_range, chroma_range=chroma_range)


# --------------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------------
EXPECTED_KEYS = {
    "false_color_score",
    "psnr",
    "ssim",
    "colorfulness",
    "colorfulness_true",
    "auc_ab",
    "rebalanced_auc_ab",
    "chroma_ratio",
    "hue_agreement",
    "sludge_score",
    "sepia_score",
}


def test_evaluate_batch_agrees_with_the_single_metrics(astronaut):
    true = np.stack([astronaut, astronaut[::-1]])
    gray = color.desaturate(true)
    pred = np.clip(0.5 * true + 0.5 * gray, 0, 1).astype(np.float32)
    scores = metrics.evaluate_batch(pred, true)
    assert set(scores) == EXPECTED_KEYS
    assert all(isinstance(value, float) for value in scores.values())
    assert scores["psnr"] == pytest.approx(float(np.mean(metrics.psnr(pred, true))))
    assert scores["ssim"] == pytest.approx(float(np.mean(metrics.ssim(pred, true))))
    assert scores["auc_ab"] == pytest.approx(metrics.auc_ab(pred, true))
    assert scores["rebalanced_auc_ab"] == pytest.approx(metrics.rebalanced_auc_ab(pred, true))
    assert scores["chroma_ratio"] == pytest.approx(metrics.chroma_ratio(pred, true))
    assert scores["sludge_score"] == pytest.approx(metrics.sludge_score(pred, true))
    assert scores["sepia_score"] == pytest.approx(metrics.sepia_score(pred, true))
    assert scores["false_color_score"] == pytest.approx(metrics.false_color_score(pred, true))
    assert scores["hue_agreement"] > 0.9  # desaturating keeps hue
    assert scores["chroma_ratio"] < 0.8
    assert scores["colorfulness"] < scores["colorfulness_true"]


def test_evaluate_batch_on_small_images_gives_nan_ssim(random_rgb):
    scores = metrics.evaluate_batch(random_rgb[:, :8, :8], random_rgb[:, :8, :8])
    assert math.isnan(scores["ssim"]) and scores["psnr"] == math.inf


def test_metrics_table_markdown():
    table = metrics.metrics_table(
        {"l2": {"psnr": 22.123456, "auc_ab": 0.9}, "soft_ce": {"auc_ab": 0.8, "note": "a|b"}}
    )
    assert table.splitlines() == [
        "| model | psnr | auc_ab | note |",
        "|---|---|---|---|",
        "| l2 | 22.123 | 0.900 |  |",
        "| soft_ce |  | 0.800 | a\\|b |",
    ]
    with pytest.raises(ValueError, match="empty"):
        metrics.metrics_table({})
    with pytest.raises(TypeError, match="dict"):
        metrics.metrics_table([("a", {})])
    with pytest.raises(TypeError, match="row"):
        metrics.metrics_table({"a": 1.0})
    with pytest.raises(ValueError, match="precision"):
        metrics.metrics_table({"a": {}}, precision=-1)


# --------------------------------------------------------------------------------------------
# Keras metrics
# --------------------------------------------------------------------------------------------
def test_keras_metrics_values_and_serialization():
    keras = pytest.importorskip("keras")
    y_true = np.zeros((2, 4, 4, 2), dtype=np.float32)
    y_pred = np.zeros((2, 4, 4, 2), dtype=np.float32)
    y_pred[..., 0] = 3.0 / color.AB_SCALE
    y_pred[..., 1] = 4.0 / color.AB_SCALE  # error 5 Lab units at every pixel
    ab_error = metrics.ABError()
    ab_error.update_state(y_true, y_pred)
    assert float(ab_error.result()) == pytest.approx(5.0, rel=1e-4)

    chroma_psnr = metrics.ChromaPSNR()
    chroma_psnr.update_state(y_true, y_pred)
    mse = np.mean(y_pred**2)
    assert float(chroma_psnr.result()) == pytest.approx(10 * np.log10(4.0 / mse), rel=1e-4)

    for metric in (ab_error, chroma_psnr):
        name = f"colorkit>{type(metric).__name__}"
        assert keras.saving.get_registered_object(name) is type(metric)
        restored = keras.saving.deserialize_keras_object(
            keras.saving.serialize_keras_object(metric)
        )
        assert type(restored) is type(metric)
        assert restored.get_config() == metric.get_config()
    assert metrics.ChromaPSNR(data_range=1.0).get_config()["data_range"] == 1.0
    with pytest.raises(AttributeError):
        metrics.NoSuchMetric  # noqa: B018


# --------------------------------------------------------------------------------------------
# Predicted distributions: entropy and modes
# --------------------------------------------------------------------------------------------
def test_distribution_entropy_limits_and_renormalisation():
    sure = np.zeros((2, 3, color.NUM_BINS), np.float32)
    sure[..., 7] = 1.0
    np.testing.assert_allclose(metrics.distribution_entropy(sure), 0.0)
    uniform = np.full(color.NUM_BINS, 5.0)  # unnormalised rows are renormalised
    np.testing.assert_allclose(metrics.distribution_entropy(uniform), np.log2(color.NUM_BINS))
    half = np.zeros(color.NUM_BINS)
    half[[3, 9]] = 0.5
    np.testing.assert_allclose(metrics.distribution_entropy(half), 1.0)
    assert metrics.distribution_entropy(sure).shape == (2, 3)


def test_count_modes_separates_peaks_from_shoulders():
    bins = color.ab_bins()
    gray, blue = int(np.argmin(np.abs(bins).sum(1))), int(np.argmin(np.abs(bins - [0, -40]).sum(1)))
    one = np.zeros(color.NUM_BINS)
    one[gray] = 1.0
    neighbor = int(np.argmin(np.abs(bins - (bins[gray] + [10, 0])).sum(1)))
    one[neighbor] = 0.5  # a shoulder next to the peak, not a second mode
    two = one.copy()
    two[blue] = 0.6
    assert metrics.count_modes(one) == 1
    assert metrics.count_modes(two) == 2
    assert metrics.count_modes(two, min_share=0.7) == 1
    assert metrics.count_modes(np.stack([one, two])).tolist() == [1, 2]


@pytest.mark.parametrize(
    ("probabilities", "error", "match"),
    [
        (np.zeros(5), ValueError, "shape"),
        (np.zeros(color.NUM_BINS), ValueError, "positive entry"),
        (-np.ones(color.NUM_BINS), ValueError, ">= 0"),
        (np.ones(color.NUM_BINS, dtype=np.int64), TypeError, "floats"),
    ],
)
def test_distribution_metrics_validate(probabilities, error, match):
    with pytest.raises(error, match=match):
        metrics.distribution_entropy(probabilities)
    with pytest.raises(error, match=match):
        metrics.count_modes(probabilities)
    with pytest.raises(ValueError, match="min_share"):
        metrics.count_modes(np.ones(color.NUM_BINS), min_share=0.0)


def test_false_color_score_counts_painted_neutral_pixels():
    gray = np.full((2, 10, 10, 3), 0.5, np.float32)
    painted = gray.copy()
    painted[:, :3] = [0.8, 0.3, 0.3]  # 30% of the neutral pixels turned red
    assert metrics.false_color_score(painted, gray) == pytest.approx(0.3)
    assert metrics.false_color_score(gray, painted) == 0.0  # the red truth is not neutral
    with pytest.raises(ValueError, match="limits"):
        metrics.false_color_score(gray, gray, limits=(30, 10))


def test_false_color_bound_is_a_bootstrap_quantile_of_the_pooled_score():
    gray = np.full((4, 4, 3), 0.5, np.float32)
    red = np.zeros((4, 4, 3), np.float32) + np.array([0.8, 0.2, 0.2], np.float32)
    predictions, truths = [red, gray, gray, gray], [gray] * 4
    pooled = metrics.false_color_score(np.stack(predictions), np.stack(truths))
    assert pooled == 0.25
    assert metrics.false_color_bound(predictions, truths, quantile=0.0) == 0.0
    assert metrics.false_color_bound(predictions, truths, quantile=1.0) == 1.0
    assert 0.25 < metrics.false_color_bound(predictions, truths) < 1.0
    # No near-neutral truth anywhere: nothing can be painted falsely.
    assert metrics.false_color_bound([red], [red]) == 0.0


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda g: metrics.false_color_bound([], []), "non-empty"),
        (lambda g: metrics.false_color_bound([g], [g, g]), "same length"),
        (lambda g: metrics.false_color_bound([g], [g], quantile=1.5), "quantile"),
        (lambda g: metrics.false_color_bound([g], [g], resamples=0), "resamples"),
    ],
)
def test_false_color_bound_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call(np.full((4, 4, 3), 0.5, np.float32))
