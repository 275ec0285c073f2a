"""Tests for colorkit.color (NumPy color science)."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest

from colorkit import color

# Bruce Lindbloom's calculator (sRGB, D65, 2 degree observer), www.brucelindbloom.com.
LINDBLOOM_LAB = [
    ((1.0, 1.0, 1.0), (100.0, 0.0, 0.0)),
    ((0.0, 0.0, 0.0), (0.0, 0.0, 0.0)),
    ((1.0, 0.0, 0.0), (53.2408, 80.0925, 67.2032)),
    ((0.0, 1.0, 0.0), (87.7347, -86.1827, 83.1793)),
    ((0.0, 0.0, 1.0), (32.2970, 79.1875, -107.8602)),
    ((0.0, 1.0, 1.0), (91.1132, -48.0875, -14.1312)),
    ((1.0, 0.0, 1.0), (60.3242, 98.2343, -60.8249)),
    ((1.0, 1.0, 0.0), (97.1393, -21.5537, 94.4780)),
]

# Zhang et al.'s 313-bin gamut (pts_in_hull.npy): for each a, the range of b (step 10).
ZHANG_BINS_B_RANGE = {
    -90: (50, 90), -80: (20, 90), -70: (0, 90), -60: (-20, 90), -50: (-30, 100),
    -40: (-40, 100), -30: (-50, 100), -20: (-50, 100), -10: (-60, 100), 0: (-70, 100),
    10: (-80, 90), 20: (-80, 90), 30: (-90, 90), 40: (-100, 90), 50: (-100, 80),
    60: (-110, 80), 70: (-110, 80), 80: (-110, 70), 90: (-110, 70), 100: (-90, 0),
}  # fmt: skip


@pytest.fixture()
def colors(rng):
    """Random colors plus the cube's corners, float32 (N, 3)."""
    corners = np.array(np.meshgrid([0, 1], [0, 1], [0, 1])).reshape(3, -1).T
    return np.concatenate([rng.random((5000, 3)), corners]).astype(np.float32)


# ---------------------------------------------------------------------------- conversions


@pytest.mark.parametrize(("rgb", "lab"), LINDBLOOM_LAB)
def test_rgb_to_lab_matches_lindbloom(rgb, lab):
    np.testing.assert_allclose(color.rgb_to_lab(np.array(rgb, np.float32)), lab, atol=1e-3)
    np.testing.assert_allclose(color.lab_to_rgb(np.array(lab, np.float32)), rgb, atol=1e-4)


def test_rgb_to_lab_agrees_with_skimage(colors):
    skimage_color = pytest.importorskip("skimage.color")
    lab = color.rgb_to_lab(colors)
    expected = skimage_color.rgb2lab(colors.astype(np.float64))
    # L within 2e-3, a and b within 6e-3: scikit-image's RGB->XYZ matrix does not map white to
    # its own D65 white (white gets a=-0.0025, b=0.0047); ours is Lindbloom's (white -> 0, 0).
    np.testing.assert_allclose(lab[:, 0], expected[:, 0], atol=2e-3)
    np.testing.assert_allclose(lab[:, 1:], expected[:, 1:], atol=6e-3)
    np.testing.assert_allclose(
        color.lab_to_rgb(lab), skimage_color.lab2rgb(lab.astype(np.float64)), atol=1e-3
    )


def test_round_trips(colors, rng):
    np.testing.assert_allclose(color.lab_to_rgb(color.rgb_to_lab(colors)), colors, atol=1e-4)
    np.testing.assert_allclose(color.xyz_to_rgb(color.rgb_to_xyz(colors)), colors, atol=1e-4)
    np.testing.assert_allclose(color.yuv_to_rgb(color.rgb_to_yuv(colors)), colors, atol=1e-5)
    xyz = color.rgb_to_xyz(colors)
    np.testing.assert_allclose(color.lab_to_xyz(color.xyz_to_lab(xyz)), xyz, atol=1e-5)
    np.testing.assert_allclose(color.decode_lab(*color.encode_lab(colors)), colors, atol=1e-4)
    np.testing.assert_allclose(color.decode_yuv(*color.encode_yuv(colors)), colors, atol=1e-5)


def test_big_conversions_are_built_from_small_ones(random_rgb):
    np.testing.assert_allclose(
        color.rgb_to_lab(random_rgb), color.xyz_to_lab(color.rgb_to_xyz(random_rgb)), atol=1e-5
    )
    lab = color.rgb_to_lab(random_rgb)
    np.testing.assert_allclose(
        color.lab_to_rgb(lab), color.xyz_to_rgb(color.lab_to_xyz(lab)), atol=1e-6
    )


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_float_in_float32_out(random_rgb, dtype):
    image = random_rgb.astype(dtype)
    lab = color.rgb_to_lab(image)
    outputs = [
        lab,
        color.lab_to_rgb(lab),
        color.rgb_to_xyz(image),
        color.xyz_to_rgb(color.rgb_to_xyz(image)),
        color.xyz_to_lab(color.rgb_to_xyz(image)),
        color.lab_to_xyz(lab),
        color.rgb_to_yuv(image),
        color.yuv_to_rgb(color.rgb_to_yuv(image)),
        color.desaturate(image),
        color.luminance(image),
        *color.encode_lab(image),
        *color.encode_yuv(image),
        color.decode_lab(*color.encode_lab(image)),
        color.decode_yuv(*color.encode_yuv(image)),
        color.soft_encode(lab[..., 1:]),
        color.annealed_mean(color.soft_encode(lab[..., 1:])),
    ]
    for output in outputs:
        assert output.dtype == np.float32
    assert lab.shape == random_rgb.shape


def test_inputs_are_not_modified(random_rgb):
    original = random_rgb.copy()
    color.lab_to_rgb(color.rgb_to_lab(random_rgb))
    color.desaturate(random_rgb)
    np.testing.assert_array_equal(random_rgb, original)


def test_shapes_single_pixel_and_empty():
    assert color.rgb_to_lab(np.array([0.2, 0.4, 0.6])).shape == (3,)
    assert color.rgb_to_lab(np.zeros((0, 3), np.float32)).shape == (0, 3)
    assert color.luminance(np.zeros((2, 5, 3))).shape == (2, 5)


def test_yuv_matches_rec601_analog():
    yuv = color.rgb_to_yuv(np.eye(3, dtype=np.float32))
    expected = [[0.299, -0.14714, 0.615], [0.587, -0.28886, -0.51499], [0.114, 0.436, -0.10001]]
    np.testing.assert_allclose(yuv, expected, atol=1e-4)
    assert np.isclose(np.abs(yuv[:, 1]).max(), color.U_MAX)
    assert np.isclose(np.abs(yuv[:, 2]).max(), color.V_MAX)


def test_model_scale(random_rgb):
    lightness, ab = color.encode_lab(random_rgb)
    lab = color.rgb_to_lab(random_rgb)
    np.testing.assert_allclose(lightness[..., 0] * color.L_SCALE, lab[..., 0], atol=1e-4)
    np.testing.assert_allclose(ab * color.AB_SCALE, lab[..., 1:], atol=1e-4)
    assert lightness.shape == (2, 16, 16, 1) and ab.shape == (2, 16, 16, 2)
    assert np.abs(ab).max() <= 1.0
    y, uv = color.encode_yuv(random_rgb)
    assert y.shape == (2, 16, 16, 1) and uv.shape == (2, 16, 16, 2)
    assert 0.0 <= uv.min() and uv.max() <= 1.0
    np.testing.assert_allclose(color.encode_yuv(np.full(3, 0.3))[1], [0.5, 0.5], atol=1e-6)


def test_gray_has_zero_chroma():
    grays = np.repeat(np.linspace(0, 1, 11, dtype=np.float32)[:, None], 3, axis=1)
    np.testing.assert_allclose(color.rgb_to_lab(grays)[:, 1:], 0.0, atol=1e-3)


# ---------------------------------------------------------------------------- gray


def test_desaturate_lab_keeps_lightness(random_rgb):
    gray = color.desaturate(random_rgb, "lab")
    assert gray.shape == random_rgb.shape
    np.testing.assert_array_equal(gray[..., 0], gray[..., 1])
    np.testing.assert_array_equal(gray[..., 0], gray[..., 2])
    lab_gray, lab = color.rgb_to_lab(gray), color.rgb_to_lab(random_rgb)
    np.testing.assert_allclose(lab_gray[..., 0], lab[..., 0], atol=2e-3)
    np.testing.assert_allclose(lab_gray[..., 1:], 0.0, atol=2e-3)
    np.testing.assert_allclose(color.luminance(random_rgb), lab[..., 0] / 100, atol=1e-6)


@pytest.mark.parametrize(
    ("method", "weights"),
    [("rec601", (0.299, 0.587, 0.114)), ("rec709", (0.2126, 0.7152, 0.0722)), ("mean", None)],
)
def test_desaturate_weighted(random_rgb, method, weights):
    weights = np.full(3, 1 / 3) if weights is None else np.array(weights)
    expected = random_rgb @ weights
    np.testing.assert_allclose(color.luminance(random_rgb, method), expected, atol=1e-6)
    gray = color.desaturate(random_rgb, method)
    np.testing.assert_allclose(gray, np.repeat(expected[..., None], 3, axis=-1), atol=1e-6)


@pytest.mark.parametrize("function", [color.desaturate, color.luminance])
def test_unknown_method(function, random_rgb):
    with pytest.raises(ValueError, match=r"Invalid method: expected one of .* method='hsv'"):
        function(random_rgb, method="hsv")


# ---------------------------------------------------------------------------- validation


def test_validate_rgb_accepts_and_clips_tiny_excursions():
    image = np.array([[-1e-7, 0.5, 1.0 + 1e-7]], np.float32)
    checked = color.validate_rgb(image)
    assert checked.min() == 0.0 and checked.max() == 1.0
    assert image.min() < 0  # the input was not modified
    valid = np.zeros((2, 3), np.float32)
    assert color.validate_rgb(valid) is valid  # no copy for valid float32


@pytest.mark.parametrize(
    ("image", "match"),
    [
        (np.zeros((32, 32)), r"Invalid image shape: .* Received: image\.shape=\(32, 32\)"),
        (np.zeros((4, 4, 4)), r"Invalid image shape: .* Received: image\.shape=\(4, 4, 4\)"),
        (np.float32(0.5), r"Invalid image rank: .* Received: image\.shape=\(\)"),
        (np.zeros((4, 4, 3), np.uint8), r"Invalid image dtype: .*/ 255.* image\.dtype=uint8"),
        (np.zeros((4, 4, 3), np.uint16), r"Invalid image dtype: .*/ 65535.*dtype=uint16"),
        (np.zeros((4, 4, 3), bool), r"Invalid image dtype: .* image\.dtype=bool"),
        (np.full((2, 3), 255.0), r"Invalid image values: expected floats in \[0, 1\]\. .*max=255"),
        (np.full((2, 3), -0.1), r"Invalid image values: .* min=-0\.1"),
        (np.array([[np.nan, 0, 0]]), r"Invalid image values: expected finite .* 1 NaN"),
        (np.array([[np.inf, 0, 0]]), r"Invalid image values: expected finite"),
    ],
)
def test_validate_rgb_errors(image, match):
    with pytest.raises(ValueError, match=match):
        color.validate_rgb(image)
    with pytest.raises(ValueError, match=match):
        color.rgb_to_lab(image)


def test_validate_rgb_names_the_argument_and_rejects_non_numbers():
    with pytest.raises(ValueError, match=r"Received: photo\.shape=\(2,\)"):
        color.validate_rgb(np.zeros(2), name="photo")
    with pytest.raises(TypeError, match="Invalid image type"):
        color.validate_rgb("red")
    with pytest.raises(TypeError, match="Invalid image type"):
        color.validate_rgb(None)


@pytest.mark.parametrize(
    ("lab", "error", "match"),
    [
        (np.array([[120.0, 0, 0]]), ValueError, r"Invalid lab values: expected L .*max=120"),
        (np.array([[0.5, 0, 0], [-1.0, 0, 0]]), ValueError, r"L min=-1"),
        (np.zeros((2, 2), np.float32), ValueError, r"Invalid lab shape: .* lab\.shape=\(2, 2\)"),
        (np.zeros((2, 3), np.uint8), ValueError, r"Invalid lab dtype"),
        (np.array([[50.0, np.nan, 0]]), ValueError, r"expected finite"),
        ("lab", TypeError, r"Invalid lab type"),
    ],
)
def test_validate_lab_errors(lab, error, match):
    with pytest.raises(error, match=match):
        color.lab_to_rgb(lab)


def test_other_validation_errors():
    with pytest.raises(ValueError, match=r"Invalid xyz shape"):
        color.xyz_to_lab(np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"Invalid yuv\[\.\.\., 0\] \(Y\) values"):
        color.yuv_to_rgb(np.array([[2.0, 0.0, 0.0]]))
    with pytest.raises(ValueError, match=r"Invalid lightness / ab shapes"):
        color.decode_lab(np.zeros((4, 4, 1)), np.zeros((4, 5, 2)))
    with pytest.raises(ValueError, match=r"Invalid lightness shape: .*shape=\(4, 4\)"):
        color.decode_lab(np.zeros((4, 4)), np.zeros((4, 4, 2)))
    with pytest.raises(ValueError, match=r"Invalid lightness values"):
        color.decode_lab(np.full((1, 1), 100.0), np.zeros((1, 2)))
    with pytest.raises(ValueError, match=r"Invalid uv values"):
        color.decode_yuv(np.zeros((1, 1)), np.full((1, 2), 2.0))


def test_lab_l_round_off_is_clipped():
    np.testing.assert_allclose(color.lab_to_rgb(np.array([100.0004, 0, 0])), 1.0, atol=1e-6)


# ---------------------------------------------------------------------------- gamut


def test_out_of_gamut_lab_is_clipped_with_warning():
    lab = np.array([[50.0, 0.0, 0.0], [50.0, 120.0, 0.0], [90.0, -100.0, -100.0]], np.float32)
    with pytest.warns(color.GamutWarning, match=r"lab_to_rgb: 2 of 3 pixels were outside"):
        rgb = color.lab_to_rgb(lab)
    assert rgb.min() >= 0.0 and rgb.max() <= 1.0 and rgb.dtype == np.float32
    assert issubclass(color.GamutWarning, UserWarning)


def test_out_of_gamut_yuv_is_clipped_with_warning():
    with pytest.warns(color.GamutWarning, match=r"yuv_to_rgb: 1 of 2 pixels"):
        rgb = color.yuv_to_rgb(np.array([[0.5, 0.0, 0.0], [0.5, 0.4, 0.6]]))
    assert rgb.min() >= 0.0 and rgb.max() <= 1.0
    with pytest.warns(color.GamutWarning, match=r"decode_yuv: 1 of 1 pixels"):
        color.decode_yuv(np.full((1, 1), 0.9), np.ones((1, 2)))
    with pytest.warns(color.GamutWarning, match=r"decode_lab: 1 of 1 pixels"):
        color.decode_lab(np.full((1, 1), 0.5), np.ones((1, 2)))


def test_in_gamut_round_trip_does_not_warn(colors):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        color.lab_to_rgb(color.rgb_to_lab(colors))
        color.yuv_to_rgb(color.rgb_to_yuv(colors))


# ---------------------------------------------------------------------------- ab bins


def test_ab_bins_count_and_zhang_set():
    bins = color.ab_bins()
    assert bins.shape == (color.NUM_BINS, 2) == (313, 2)
    assert bins.dtype == np.float32
    expected = [
        (a, b) for a, (low, high) in ZHANG_BINS_B_RANGE.items() for b in range(low, high + 1, 10)
    ]
    np.testing.assert_array_equal(bins, np.array(expected, np.float32))


def test_ab_bins_cached_read_only_and_in_gamut():
    bins = color.ab_bins()
    assert color.ab_bins() is bins
    with pytest.raises(ValueError, match="read-only"):
        bins[0, 0] = 1.0
    # Every sRGB color is within half a cell (Chebyshev) of some bin, and the bins hug the gamut.
    lab = color.rgb_to_lab(np.random.default_rng(1).random((2000, 3)))
    distance = np.abs(lab[:, None, 1:] - bins[None]).max(-1).min(-1)
    assert distance.max() <= 5.0 + 1e-4


def test_ab_bins_other_grids():
    coarse = color.ab_bins(20)
    assert 60 < len(coarse) < 120 and np.all(coarse % 20 == 0)
    assert len(color.ab_bins(5.0)) > 4 * 250
    with pytest.raises(
        ValueError, match=r"grid_size must be a finite number in \[1, 100\]\. Received: grid_size=0"
    ):
        color.ab_bins(0)
    with pytest.raises(TypeError, match=r"grid_size must be a number\. Received: grid_size='10'"):
        color.ab_bins("10")


# ---------------------------------------------------------------------------- soft encoding


def test_soft_encode_at_bin_centre():
    bins = color.ab_bins()
    centre = int(np.flatnonzero((bins == [0, 0]).all(1))[0])
    encoded = color.soft_encode(np.zeros((1, 2), np.float32))
    assert encoded.shape == (1, 313) and encoded.dtype == np.float32
    # The bin itself at distance 0 and its 4 grid neighbours at distance 10 (sigma 5).
    expected_centre = 1.0 / (1.0 + 4.0 * np.exp(-2.0))
    assert encoded[0, centre] == pytest.approx(expected_centre, rel=1e-5)
    neighbours = np.flatnonzero(encoded[0])
    np.testing.assert_allclose(
        np.sort(np.abs(bins[neighbours]).sum(1)), [0, 10, 10, 10, 10], atol=0
    )


def test_soft_encode_properties(rng, monkeypatch):
    ab = (rng.random((3, 7, 11, 2), dtype=np.float32) - 0.5) * 180  # includes out-of-gamut
    encoded = color.soft_encode(ab, neighbors=5, sigma=5.0)
    assert encoded.shape == (3, 7, 11, 313)
    np.testing.assert_allclose(encoded.sum(-1), 1.0, atol=1e-5)
    assert np.all(np.count_nonzero(encoded, axis=-1) == 5)
    nearest = np.argmin(((ab[..., None, :] - color.ab_bins()) ** 2).sum(-1), axis=-1)
    np.testing.assert_array_equal(encoded.argmax(-1), nearest)
    monkeypatch.setattr(color, "_CHUNK_ROWS", 10)  # chunking does not change the result
    np.testing.assert_array_equal(color.soft_encode(ab), encoded)
    one = color.soft_encode(ab, neighbors=1)
    np.testing.assert_array_equal(one.argmax(-1), nearest)
    assert np.all(one.max(-1) == 1.0)
    many = color.soft_encode(ab[:1, :1, :2], neighbors=12, sigma=8.0)
    assert np.all(np.count_nonzero(many, axis=-1) == 12)


def test_soft_encode_custom_bins_and_errors():
    bins = np.array([[0.0, 0.0], [10.0, 0.0]], np.float32)
    encoded = color.soft_encode(np.array([[5.0, 0.0]]), neighbors=2, bins=bins)
    np.testing.assert_allclose(encoded, [[0.5, 0.5]], atol=1e-6)
    with pytest.raises(ValueError, match=r"Invalid neighbors: expected an int in \[1, 2\]"):
        color.soft_encode(np.zeros((1, 2)), neighbors=3, bins=bins)
    with pytest.raises(TypeError, match=r"Invalid neighbors type"):
        color.soft_encode(np.zeros((1, 2)), neighbors=2.5)
    with pytest.raises(ValueError, match=r"sigma must be a finite number > 0\. Received: sigma=0"):
        color.soft_encode(np.zeros((1, 2)), sigma=0)
    with pytest.raises(ValueError, match=r"Invalid ab shape: .*ab\.shape=\(4, 3\)"):
        color.soft_encode(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"Invalid bins shape"):
        color.soft_encode(np.zeros((1, 2)), bins=np.zeros((2, 2, 2)))


# ---------------------------------------------------------------------------- annealed mean


def test_annealed_mean_temperatures(rng):
    bins = color.ab_bins()
    probabilities = rng.random((4, 5, 313)).astype(np.float32) ** 4
    top = probabilities.argmax(-1)[..., None]
    np.put_along_axis(probabilities, top, np.take_along_axis(probabilities, top, -1) * 1.05, -1)
    probabilities /= probabilities.sum(-1, keepdims=True)
    mean = color.annealed_mean(probabilities, temperature=1.0)
    assert mean.shape == (4, 5, 2) and mean.dtype == np.float32
    np.testing.assert_allclose(mean, probabilities @ bins, atol=1e-3)
    mode = bins[probabilities.argmax(-1)]
    np.testing.assert_array_equal(color.annealed_mean(probabilities, temperature=1e-4), mode)
    # Just above the switch to argmax, log space keeps it finite and close to the mode.
    near_mode = color.annealed_mean(probabilities, temperature=2e-3)
    assert np.all(np.isfinite(near_mode))
    np.testing.assert_allclose(near_mode, mode, atol=1e-2)
    # Lower temperatures sharpen towards the mode; scaling the rows changes nothing.
    annealed = color.annealed_mean(probabilities, 0.38)
    assert np.abs(annealed - mode).mean() < np.abs(mean - mode).mean()
    np.testing.assert_allclose(color.annealed_mean(probabilities * 7, 0.38), annealed, atol=1e-3)


def test_annealed_mean_inverts_soft_encode(rng):
    ab = (rng.random((50, 2), dtype=np.float32) - 0.5) * 80
    recovered = color.annealed_mean(color.soft_encode(ab), temperature=1.0)
    np.testing.assert_allclose(recovered, ab, atol=3.0)


def test_annealed_mean_errors():
    probabilities = np.full((2, 313), 1 / 313)
    for temperature in (0, -1.0, float("nan")):
        with pytest.raises(ValueError, match=r"temperature must be a finite number > 0"):
            color.annealed_mean(probabilities, temperature=temperature)
    with pytest.raises(
        TypeError, match=r"temperature must be a number\. Received: temperature='hot'"
    ):
        color.annealed_mean(probabilities, temperature="hot")
    with pytest.raises(ValueError, match=r"Invalid probabilities shape: .*\(2, 10\)"):
        color.annealed_mean(np.ones((2, 10)))
    with pytest.raises(ValueError, match=r"expected non-negative"):
        color.annealed_mean(-probabilities)
    with pytest.raises(ValueError, match=r"1 all-zero rows"):
        color.annealed_mean(np.concatenate([probabilities[:1], np.zeros((1, 313))]))


# ---------------------------------------------------------------------------- prior, weights


def test_ab_prior_from_ab_and_rgb():
    bins = color.ab_bins()
    prior = color.ab_prior(bins[[3, 3, 3, 200]])
    assert prior.shape == (313,) and prior.dtype == np.float32
    assert prior[3] == pytest.approx(0.75) and prior[200] == pytest.approx(0.25)
    gray = color.ab_prior(np.full((2, 4, 4, 3), 0.3, np.float32))
    assert gray.sum() == pytest.approx(1.0) and bins[gray.argmax()].tolist() == [0.0, 0.0]
    red_and_gray = color.ab_prior(
        [np.full((2, 2, 3), 0.3), np.array([[1.0, 0.0, 0.0]]), np.zeros((3, 2))]
    )
    red_bin = int(np.flatnonzero((bins == [80, 70]).all(1))[0])
    assert red_and_gray[red_bin] == pytest.approx(1 / 8)
    assert color.ab_prior(iter([np.zeros((1, 2))])).sum() == pytest.approx(1.0)


def test_ab_prior_errors():
    with pytest.raises(ValueError, match=r"expected at least one pixel"):
        color.ab_prior([])
    with pytest.raises(ValueError, match=r"images_or_ab\[1\]\.dtype=uint8"):
        color.ab_prior([np.zeros((2, 2, 3)), np.zeros((2, 2, 3), np.uint8)])
    with pytest.raises(TypeError, match=r"Invalid images_or_ab type"):
        color.ab_prior(3.0)


def test_rebalancing_weights_uniform_prior():
    prior = np.full(313, 1 / 313, np.float32)
    np.testing.assert_allclose(color.rebalancing_weights(prior), 1.0, rtol=1e-5)
    unsmoothed = color.rebalancing_weights(prior, lam=0.0, sigma=0.0)
    np.testing.assert_allclose(unsmoothed, 1.0, rtol=1e-5)


def test_rebalancing_weights_one_hot_exact():
    prior = np.zeros(313, np.float32)
    prior[42] = 1.0
    lam, q = 0.5, 313
    weights = color.rebalancing_weights(prior, lam=lam, sigma=0.0)
    assert weights[42] == pytest.approx(1.0)
    expected_other = ((1 - lam) + lam / q) / (lam / q)
    np.testing.assert_allclose(np.delete(weights, 42), expected_other, rtol=1e-5)


def test_rebalancing_weights_normalised_and_rare_bins_weigh_more(rng):
    prior = rng.random(313) ** 6
    prior /= prior.sum()
    for lam, sigma in [(0.5, 5.0), (0.2, 0.0), (1.0, 5.0)]:
        weights = color.rebalancing_weights(prior, lam=lam, sigma=sigma)
        assert weights.dtype == np.float32 and np.all(weights > 0)
        assert float((prior * weights).sum()) == pytest.approx(1.0, rel=1e-5)
    weights = color.rebalancing_weights(prior, sigma=0.0)
    assert weights[prior.argmin()] > weights[prior.argmax()]
    np.testing.assert_allclose(color.rebalancing_weights(prior, lam=1.0), 1.0, rtol=1e-5)


def test_rebalancing_weights_errors():
    prior = np.full(313, 1 / 313)
    with pytest.raises(
        ValueError, match=r"lam must be a finite number in \[0, 1\]\. Received: lam=1\.5"
    ):
        color.rebalancing_weights(prior, lam=1.5)
    with pytest.raises(
        ValueError, match=r"sigma must be a finite number >= 0\. Received: sigma=-1"
    ):
        color.rebalancing_weights(prior, sigma=-1)
    with pytest.raises(ValueError, match=r"summing to 1.*sum=313"):
        color.rebalancing_weights(np.ones(313))
    with pytest.raises(ValueError, match=r"Invalid prior shape: .*\(313,\).*\(10,\)"):
        color.rebalancing_weights(np.full(10, 0.1))
    one_hot = np.zeros(313)
    one_hot[0] = 1
    with pytest.raises(ValueError, match=r"weights are infinite"):
        color.rebalancing_weights(one_hot, lam=0.0, sigma=0.0)


# ---------------------------------------------------------------------------- module


def test_constants():
    assert color.NUM_BINS == len(color.ab_bins()) == 313
    assert (color.L_SCALE, color.AB_SCALE, color.U_MAX, color.V_MAX) == (100.0, 110.0, 0.436, 0.615)
    assert color.GRID_SIZE == 10
    np.testing.assert_allclose(color.XYZ_FROM_RGB @ np.ones(3), color.D65_WHITE, atol=1e-12)
    np.testing.assert_allclose(color.XYZ_FROM_RGB[0], [0.4124564, 0.3575761, 0.1804375], atol=1e-7)


def test_color_does_not_import_tensorflow_or_keras():
    code = (
        "import sys, colorkit.color as c; c.rgb_to_lab([0.1, 0.2, 0.3]); c.ab_bins(); "
        "bad = [m for m in ('tensorflow', 'keras', 'torch', 'jax') if m in sys.modules]; "
        "sys.exit(1 if bad else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
