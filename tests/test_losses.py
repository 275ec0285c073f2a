"""Tests for colorkit.losses: hand-computed values on tiny tensors and serialization."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from colorkit import color, losses


def _value(loss, y_true, y_pred) -> float:
    return float(keras.ops.convert_to_numpy(loss(y_true, y_pred)))


def _pixel_map(loss, y_true, y_pred) -> np.ndarray:
    return keras.ops.convert_to_numpy(loss.call(y_true, y_pred))


@pytest.fixture(scope="module")
def bins() -> np.ndarray:
    return np.asarray(color.ab_bins(), "float32")


def _interior_bin(bins: np.ndarray) -> int:
    """Index of a bin whose 4 grid neighbours (distance 10) are all bins too."""
    for index in np.argsort(np.linalg.norm(bins, axis=1)):
        distances = np.linalg.norm(bins - bins[index], axis=1)
        if np.sum(np.isclose(distances, color.GRID_SIZE)) == 4:
            return int(index)
    raise AssertionError("no interior bin")


def test_regression_losses_hand_values():
    y_true = np.zeros((1, 2, 2, 2), "float32")
    y_pred = np.zeros((1, 2, 2, 2), "float32")
    y_pred[..., 0], y_pred[..., 1] = 0.1, -0.3
    assert _value(losses.get_loss("l2"), y_true, y_pred) == pytest.approx((0.01 + 0.09) / 2)
    assert _value(losses.get_loss("l1"), y_true, y_pred) == pytest.approx((0.1 + 0.3) / 2)
    # Huber, delta 0.2: 0.5 * 0.1**2 = 0.005 and 0.2 * (0.3 - 0.1) = 0.04.
    huber = losses.get_loss("huber", delta=0.2)
    assert _value(huber, y_true, y_pred) == pytest.approx((0.005 + 0.04) / 2)
    # Only one pixel differs: the loss is averaged over the 4 pixels.
    y_pred = y_true.copy()
    y_pred[0, 0, 0] = [0.4, 0.0]
    assert _value(losses.get_loss("l2"), y_true, y_pred) == pytest.approx(0.16 / 2 / 4)


def test_blurred_l2_of_constant_difference_equals_l2():
    rng = np.random.default_rng(0)
    y_true = rng.random((2, 12, 10, 2), dtype=np.float32)
    y_pred = y_true + np.array([0.2, -0.1], "float32")
    blurred, plain = losses.get_loss("blurred_l2"), losses.get_loss("l2")
    expected = (0.04 + 0.01) / 2
    np.testing.assert_allclose(
        _pixel_map(blurred, y_true, y_pred)[:, 2:-2, 2:-2], expected, rtol=1e-4
    )
    # Mirror padding: the equality holds at the borders too.
    assert _value(blurred, y_true, y_pred) == pytest.approx(_value(plain, y_true, y_pred), rel=1e-4)


def test_blurred_l2_forgives_high_frequency_errors():
    y_true = np.zeros((1, 8, 8, 2), "float32")
    checkerboard = (np.indices((8, 8)).sum(0) % 2 * 2 - 1).astype("float32") * 0.1
    y_pred = np.repeat(checkerboard[None, :, :, None], 2, axis=-1)
    blurred = _value(losses.get_loss("blurred_l2"), y_true, y_pred)
    plain = _value(losses.get_loss("l2"), y_true, y_pred)
    assert plain == pytest.approx(0.01)
    assert plain / 3 < blurred < plain  # the raw term is a third; the blurred terms shrink


@pytest.mark.filterwarnings("ignore:You are using a softmax over axis -1")  # neighbors=1
def test_soft_ce_of_perfect_one_hot_prediction_is_zero(bins):
    index = _interior_bin(bins)
    y_true = np.broadcast_to(bins[index] / color.AB_SCALE, (2, 8, 8, 2)).astype("float32")
    y_pred = np.zeros((2, 2, 2, len(bins)), "float32")
    y_pred[..., index] = 1.0
    loss = losses.get_loss("soft_ce", neighbors=1)
    assert _value(loss, y_true, y_pred) == pytest.approx(0.0, abs=1e-5)


def test_soft_ce_with_the_soft_target_is_its_entropy(bins):
    # At a bin centre the 5 nearest bins are the centre (weight 1) and 4 neighbours at distance
    # 10 (weight exp(-100 / (2 * 5**2)) = exp(-2) each), normalized.
    index = _interior_bin(bins)
    weights = np.array([1.0] + [np.exp(-2.0)] * 4)
    target = weights / weights.sum()
    entropy = -np.sum(target * np.log(target))
    y_true = np.broadcast_to(bins[index] / color.AB_SCALE, (1, 4, 4, 2)).astype("float32")
    distances = np.linalg.norm(bins - bins[index], axis=1)
    y_pred = np.zeros((1, 1, 1, len(bins)), "float32")
    y_pred[..., np.argsort(distances)[:5]] = target
    loss = losses.SoftEncodedCrossEntropy()
    assert _value(loss, y_true, y_pred) == pytest.approx(entropy, rel=1e-3)


def test_soft_ce_rebalancing_weights_the_nearest_bin(bins):
    # Left half of the target at bin i, right half at bin j; uniform predictions cost log(Q)
    # per pixel whatever the target, so the weights alone set the value.
    i, j = 10, 200
    y_true = np.zeros((1, 8, 8, 2), "float32")
    y_true[:, :, :4] = bins[i] / color.AB_SCALE
    y_true[:, :, 4:] = bins[j] / color.AB_SCALE
    y_pred = np.full((1, 2, 2, len(bins)), 1.0 / len(bins), "float32")
    log_q = np.log(len(bins))
    assert _value(losses.SoftEncodedCrossEntropy(), y_true, y_pred) == pytest.approx(
        log_q, rel=1e-4
    )
    prior_weights = np.ones(len(bins), "float32")
    prior_weights[j] = 3.0
    rebalanced = losses.SoftEncodedCrossEntropy(prior_weights=prior_weights)
    assert _value(rebalanced, y_true, y_pred) == pytest.approx(2.0 * log_q, rel=1e-4)
    np.testing.assert_allclose(
        _pixel_map(rebalanced, y_true, y_pred)[0], [[log_q, 3 * log_q]] * 2, rtol=1e-4
    )


def test_soft_ce_validation(bins):
    with pytest.raises(ValueError, match="prior_weights must be"):
        losses.SoftEncodedCrossEntropy(prior_weights=np.ones(5))
    with pytest.raises(ValueError, match="Received: neighbors=0"):
        losses.SoftEncodedCrossEntropy(neighbors=0)
    loss = losses.SoftEncodedCrossEntropy()
    with pytest.raises(ValueError, match="y_pred \\(B, h, w, 313\\)"):
        loss(np.zeros((1, 8, 8, 2), "float32"), np.ones((1, 2, 2, 10), "float32"))
    with pytest.raises(ValueError, match="same integer factor"):
        loss(np.zeros((1, 8, 8, 2), "float32"), np.ones((1, 3, 3, len(bins)), "float32"))


def test_get_loss_and_validation():
    assert losses.available_losses() == ["blurred_l2", "huber", "l1", "l2", "soft_ce"]
    with pytest.raises(ValueError, match="Received: name='ssim'"):
        losses.get_loss("ssim")
    with pytest.raises(ValueError, match="Received: delta=0"):
        losses.get_loss("huber", delta=0)
    with pytest.raises(ValueError, match="Received: size=4"):
        losses.get_loss("blurred_l2", kernel_sizes=(3, 4))
    with pytest.raises(ValueError, match="same shape"):
        losses.get_loss("l2")(np.zeros((1, 2, 2, 2), "float32"), np.zeros((1, 2, 2, 3), "float32"))


@pytest.mark.parametrize("name", ["l2", "l1", "huber", "blurred_l2", "soft_ce"])
def test_serialization_round_trip(name, bins):
    kwargs = {"soft_ce": dict(prior_weights=np.linspace(0.5, 2.0, len(bins)), neighbors=3)}.get(
        name, {"huber": dict(delta=0.3)}.get(name, {})
    )
    loss = losses.get_loss(name, **kwargs)
    config = keras.saving.serialize_keras_object(loss)
    assert config["registered_name"].startswith("colorkit>")
    restored = keras.saving.deserialize_keras_object(config)
    assert type(restored) is type(loss)
    assert restored.get_config() == loss.get_config()
    rng = np.random.default_rng(1)
    y_true = (rng.random((1, 8, 8, 2), dtype=np.float32) - 0.5) * 0.8
    if name == "soft_ce":
        y_pred = rng.random((1, 2, 2, len(bins)), dtype=np.float32)
        y_pred /= y_pred.sum(-1, keepdims=True)
    else:
        y_pred = y_true + rng.normal(0, 0.1, y_true.shape).astype("float32")
    assert _value(restored, y_true, y_pred) == pytest.approx(_value(loss, y_true, y_pred), rel=1e-6)
