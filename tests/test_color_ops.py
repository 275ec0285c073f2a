"""Tests for colorkit.color_ops: keras.ops conversions agree with colorkit.color (NumPy)."""

from __future__ import annotations

import warnings

import keras
import numpy as np
import pytest
from keras import ops

from colorkit import color, color_ops


def numpy(tensor) -> np.ndarray:
    return ops.convert_to_numpy(tensor)


@pytest.fixture()
def lab(random_rgb):
    return color.rgb_to_lab(random_rgb)


def test_conversions_agree_with_numpy(random_rgb, lab):
    np.testing.assert_allclose(numpy(color_ops.rgb_to_lab(random_rgb)), lab, atol=1e-4)
    np.testing.assert_allclose(
        numpy(color_ops.rgb_to_xyz(random_rgb)), color.rgb_to_xyz(random_rgb), atol=1e-6
    )
    xyz = color.rgb_to_xyz(random_rgb)
    np.testing.assert_allclose(numpy(color_ops.xyz_to_lab(xyz)), color.xyz_to_lab(xyz), atol=1e-4)
    np.testing.assert_allclose(numpy(color_ops.lab_to_xyz(lab)), color.lab_to_xyz(lab), atol=1e-6)
    np.testing.assert_allclose(numpy(color_ops.xyz_to_rgb(xyz)), color.xyz_to_rgb(xyz), atol=1e-5)
    np.testing.assert_allclose(numpy(color_ops.lab_to_rgb(lab)), color.lab_to_rgb(lab), atol=1e-5)
    np.testing.assert_allclose(
        numpy(color_ops.rgb_to_yuv(random_rgb)), color.rgb_to_yuv(random_rgb), atol=1e-6
    )
    yuv = color.rgb_to_yuv(random_rgb)
    np.testing.assert_allclose(numpy(color_ops.yuv_to_rgb(yuv)), color.yuv_to_rgb(yuv), atol=1e-6)


def test_model_scale_agrees_with_numpy(random_rgb):
    for ops_pair, numpy_pair in [
        (color_ops.encode_lab(random_rgb), color.encode_lab(random_rgb)),
        (color_ops.encode_yuv(random_rgb), color.encode_yuv(random_rgb)),
    ]:
        for tensor, array in zip(ops_pair, numpy_pair, strict=True):
            assert tuple(tensor.shape) == array.shape
            np.testing.assert_allclose(numpy(tensor), array, atol=1e-6)
    lightness, ab = color.encode_lab(random_rgb)
    np.testing.assert_allclose(
        numpy(color_ops.decode_lab(lightness, ab)), color.decode_lab(lightness, ab), atol=1e-5
    )
    y, uv = color.encode_yuv(random_rgb)
    np.testing.assert_allclose(
        numpy(color_ops.decode_yuv(y, uv)), color.decode_yuv(y, uv), atol=1e-6
    )


def test_out_of_gamut_is_clipped_silently():
    lab = np.array([[50.0, 120.0, 0.0], [90.0, -100.0, -100.0]], np.float32)
    rgb = numpy(color_ops.lab_to_rgb(lab))
    assert rgb.min() >= 0.0 and rgb.max() <= 1.0 and np.all(np.isfinite(rgb))
    with pytest.warns(color.GamutWarning):
        np.testing.assert_allclose(rgb, color.lab_to_rgb(lab), atol=1e-5)


def test_soft_encode_and_annealed_mean_agree_with_numpy(rng):
    ab = ((rng.random((2, 6, 6, 2)) - 0.5) * 180).astype(np.float32)
    encoded = numpy(color_ops.soft_encode(ab))
    assert encoded.shape == (2, 6, 6, color.NUM_BINS)
    np.testing.assert_allclose(encoded, color.soft_encode(ab), atol=1e-5)
    np.testing.assert_allclose(encoded.sum(-1), 1.0, atol=1e-5)
    np.testing.assert_allclose(
        numpy(color_ops.soft_encode(ab, neighbors=3, sigma=8.0)),
        color.soft_encode(ab, neighbors=3, sigma=8.0),
        atol=1e-5,
    )
    probabilities = rng.random((2, 6, 6, color.NUM_BINS)).astype(np.float32) ** 8
    for temperature in (1.0, 0.38, 0.05, 1e-4):
        np.testing.assert_allclose(
            numpy(color_ops.annealed_mean(probabilities, temperature)),
            color.annealed_mean(probabilities, temperature),
            atol=1e-3,
        )


def _same_neighbours(ab, neighbors, bins=None):
    """soft_encode_sparse against the distance to every bin (color.soft_encode, NumPy)."""
    index, weights = (numpy(t) for t in color_ops.soft_encode_sparse(ab, bins, neighbors))
    dense = color.soft_encode(ab, neighbors=neighbors, bins=bins)
    rows = np.arange(len(ab))[:, None]
    np.testing.assert_allclose(dense[rows, index], weights, atol=1e-5)
    np.testing.assert_allclose(weights.sum(-1), 1.0, atol=1e-5)
    # Nearest first, as the full search orders them.
    expected_first = np.argmax(dense, axis=-1)
    np.testing.assert_array_equal(index[:, 0], expected_first)


def test_grid_window_search_matches_the_full_search(rng):
    """Zhang's bins are searched in a window of grid cells; the result is the full search's."""
    layout = color_ops._grid_layout(
        np.ascontiguousarray(color.ab_bins(), np.float64).tobytes(), color.NUM_BINS
    )
    assert layout is not None and layout[0] == 10.0
    # In-gamut colors (the window path), gray exactly on a bin centre, and bin boundaries.
    rgb = rng.random((4000, 3)).astype(np.float32)
    ab = color.rgb_to_lab(rgb)[:, 1:]
    ab = np.concatenate([ab, [[0.0, 0.0], [5.0, 0.0], [-35.0, 15.0]]]).astype(np.float32)
    for neighbors in (1, 5):
        _same_neighbours(ab, neighbors)
    # One value far out of gamut: the whole call measures every distance instead.
    far = np.concatenate([ab[:50], [[300.0, -300.0]]]).astype(np.float32)
    _same_neighbours(far, 5)
    # Bins not sorted by a then b (or not on a grid) always take the full search.
    shuffled = color.ab_bins()[::-1].copy()
    assert color_ops._grid_layout(shuffled.astype(np.float64).tobytes(), len(shuffled)) is None
    _same_neighbours(ab[:200], 3, bins=shuffled)
    off_grid = np.array([[0.0, 0.0], [7.5, 1.0], [20.0, 3.3]], np.float32)
    assert color_ops._grid_layout(off_grid.astype(np.float64).tobytes(), 3) is None


def test_static_validation():
    with pytest.raises(ValueError, match=r"Invalid image shape: .*image\.shape=\(4, 4\)"):
        color_ops.rgb_to_lab(np.zeros((4, 4), np.float32))
    with pytest.raises(ValueError, match=r"Invalid image dtype: .*uint8"):
        color_ops.rgb_to_lab(np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(ValueError, match=r"Invalid ab shape"):
        color_ops.soft_encode(np.zeros((4, 3), np.float32))
    with pytest.raises(ValueError, match=r"Invalid neighbors"):
        color_ops.soft_encode(np.zeros((4, 2), np.float32), neighbors=0)
    with pytest.raises(ValueError, match=r"Invalid sigma"):
        color_ops.soft_encode(np.zeros((4, 2), np.float32), sigma=-1.0)
    with pytest.raises(ValueError, match=r"Invalid temperature"):
        color_ops.annealed_mean(np.ones((1, color.NUM_BINS), np.float32), 0.0)
    with pytest.raises(ValueError, match=r"Invalid probabilities shape"):
        color_ops.annealed_mean(np.ones((1, 10), np.float32), 1.0)


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="tf.function test")
def test_jit_compiled_graph_with_unknown_shapes(random_rgb):
    tf = pytest.importorskip("tensorflow")

    @tf.function(
        jit_compile=True, input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32)]
    )
    def pipeline(image):
        lightness, ab = color_ops.encode_lab(image)
        encoded = color_ops.soft_encode(ab * color.AB_SCALE)
        decoded_ab = color_ops.annealed_mean(encoded, 1.0) / color.AB_SCALE
        yuv_rgb = color_ops.decode_yuv(*color_ops.encode_yuv(image))
        return color_ops.decode_lab(lightness, decoded_ab), yuv_rgb

    rgb, yuv_rgb = pipeline(tf.constant(random_rgb))
    assert rgb.shape == random_rgb.shape
    np.testing.assert_allclose(yuv_rgb.numpy(), random_rgb, atol=1e-5)
    lightness, ab = color.encode_lab(random_rgb)
    decoded_ab = color.annealed_mean(color.soft_encode(ab * color.AB_SCALE), 1.0) / color.AB_SCALE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", color.GamutWarning)
        expected = color.decode_lab(lightness, decoded_ab)
    np.testing.assert_allclose(rgb.numpy(), expected, atol=1e-4)


def test_gradients_are_finite(random_rgb):
    tf = pytest.importorskip("tensorflow")
    if keras.backend.backend() != "tensorflow":
        pytest.skip("gradient test uses tf.GradientTape")
    image = tf.Variable(np.concatenate([random_rgb[:1], np.zeros((1, 16, 16, 3), np.float32)]))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(color_ops.lab_to_rgb(color_ops.rgb_to_lab(image)))
    assert np.all(np.isfinite(tape.gradient(loss, image).numpy()))
