"""User hints: parsing, validation, rasterizing, ground-truth hints and palettes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from colorkit import color, hints


def test_from_color_uses_only_chroma():
    red = hints.Hint.from_color(3, 4, "#ff0000")
    lab = color.rgb_to_lab(np.array([[[1.0, 0.0, 0.0]]], np.float32))[0, 0]
    assert red.ab == pytest.approx((float(lab[1]), float(lab[2])), abs=1e-4)
    assert (red.row, red.col, red.radius) == (3.0, 4.0, 2.0)
    same = hints.Hint.from_color(3, 4, [1.0, 0.0, 0.0])
    assert same.ab == pytest.approx(red.ab)


def test_parse_hints_file(tmp_path):
    path = tmp_path / "hints.json"
    path.write_text(json.dumps([{"x": 5, "y": 1, "color": "#00ff00", "radius": 4}]))
    (hint,) = hints.parse_hints(path, image_shape=(10, 10))
    assert (hint.row, hint.col, hint.radius) == (1.0, 5.0, 4.0)
    assert hint.ab[0] < -50  # green


@pytest.mark.parametrize(
    "document, message",
    [
        ('{"a.jpg": []}', "several images"),
        ('"red"', "JSON list"),
        ("[1, 2", "not valid JSON"),
        ('[{"x": 1, "y": 1}]', r"#0.*missing \['color'\]"),
        ('[{"x": 1, "y": 1, "color": "red"}]', "#0.*rrggbb"),
        (
            '[{"x": 1, "y": 1, "color": "#ff0000"}, {"x": 99, "y": 1, "color": "#ff0000"}]',
            "#1.*outside the image",
        ),
        ('[{"x": -1, "y": 1, "color": "#ff0000"}]', "#0.*col"),
        ('[{"x": "1", "y": 1, "color": "#ff0000"}]', "#0.*x must be a number"),
        ('[{"x": 1, "y": 1, "color": "#ff0000", "size": 3}]', "unknown fields"),
    ],
)
def test_bad_hints_name_the_hint(document, message):
    with pytest.raises(ValueError, match=message):
        hints.parse_hints(document, image_shape=(10, 10))


def test_missing_hints_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.json"):
        hints.parse_hints(tmp_path / "nope.json")


def test_rasterize_scales_points_and_patches():
    hint = hints.Hint(row=50, col=99, ab=(22.0, -11.0), radius=10)
    ab, mask = hints.rasterize([hint], (100, 100), (50, 50), padded_shape=(64, 64))
    assert ab.shape == (64, 64, 2) and mask.shape == (64, 64, 1)
    assert mask[25, 49, 0] == 1 and mask[25, 44, 0] == 1 and mask[25, 43, 0] == 0
    assert mask[:, 50:].sum() == 0  # nothing in the padding
    np.testing.assert_allclose(ab[25, 49], np.array([22.0, -11.0]) / color.AB_SCALE, rtol=1e-6)
    assert ab.dtype == np.float32 and set(np.unique(mask)) == {0.0, 1.0}


def test_ground_truth_hints_average_the_patch():
    image = np.zeros((20, 20, 3), np.float32) + np.array([0.8, 0.2, 0.2], np.float32)
    found = hints.ground_truth_hints(image, 5, np.random.default_rng(0))
    truth = color.rgb_to_lab(image)[0, 0, 1:]
    assert len(found) == 5
    for hint in found:
        assert hint.ab == pytest.approx(tuple(truth), abs=1e-3)
        assert 0 <= hint.row < 20 and 0 <= hint.col < 20
    assert hints.ground_truth_hints(image, 0, np.random.default_rng(0)) == []


def _bin(ab):
    return int(np.argmin(np.hypot(*(color.ab_bins() - np.asarray(ab)).T)))


def test_palette_merges_neighbouring_bins_into_ranked_modes():
    probabilities = np.full(color.NUM_BINS, 0.0)
    for ab, mass in (((60, 40), 0.15), ((50, 40), 0.15), ((60, 30), 0.1), ((0, -50), 0.35)):
        probabilities[_bin(ab)] += mass  # three red bins (0.4 together) and one blue (0.35)
    probabilities[_bin((-40, 40))] = 0.2  # green
    probabilities[_bin((-10, 60))] = 0.01  # too little to be offered
    probabilities /= probabilities.sum()
    swatches = hints.palette(probabilities, 55.0)
    assert [s.name for s in swatches] == ["red", "blue", "green"]
    masses = [s.probability for s in swatches]
    assert masses == pytest.approx(np.array([0.4, 0.35, 0.2]) / 0.96)  # 0.01 left out
    red = swatches[0]
    assert red.ab == pytest.approx((56.25, 37.5), abs=0.5)  # the weighted mean of its bins
    assert red.hex == widgets_hex(red.rgb) and red.rgb.dtype == np.float32
    assert red.label == f"red {red.hex} 42%"
    # Shown at the pixel's own lightness.
    lab = color.rgb_to_lab(red.rgb.reshape(1, 1, 3))[0, 0]
    assert lab[0] == pytest.approx(55.0, abs=1.0)
    assert len(hints.palette(probabilities, 55.0, count=2)) == 2
    one_bin = hints.palette(probabilities, 55.0, merge_distance=0)
    assert len(one_bin) == 5 and one_bin[0].name == "blue"  # bins counted one by one
    with pytest.raises(ValueError, match="probabilities must have shape"):
        hints.palette(np.ones(5), 50.0)
    with pytest.raises(ValueError, match="merge_distance"):
        hints.palette(probabilities, 50.0, merge_distance=-1)


def widgets_hex(rgb):
    return "#" + "".join(f"{int(round(float(v) * 255)):02x}" for v in rgb)


@pytest.mark.parametrize(
    ("lab", "name"),
    [
        ((50, 0, 0), "gray"),
        ((50, 60, 40), "red"),
        ((70, 20, 70), "orange"),
        ((90, -5, 80), "light yellow"),
        ((50, -50, 40), "green"),
        ((40, 10, -60), "blue"),
        ((50, 15, 5), "pale pink"),
        ((20, -30, 20), "dark green"),
        ((35, 20, 30), "brown"),
    ],
)
def test_color_name(lab, name):
    assert hints.color_name(*lab) == name


def test_json_round_trip():
    original = [hints.Hint.from_color(2, 3, "#3060c0", radius=1)]
    (back,) = hints.parse_hints(json.dumps(hints.hints_to_json(original)))
    assert (back.row, back.col, back.radius) == (2.0, 3.0, 1.0)
    assert back.ab == pytest.approx(original[0].ab, abs=1.5)  # 8-bit color at L = 50


def _flat_scene(height=24, width=24):
    chroma = np.zeros((height, width, 2), np.float32)
    light = np.full((height, width, 1), 0.5, np.float32)
    hint_ab = np.zeros((height, width, 2), np.float32)
    mask = np.zeros((height, width, 1), np.float32)
    return chroma, light, hint_ab, mask


def test_spread_without_hints_returns_the_prediction():
    chroma, light, hint_ab, mask = _flat_scene()
    chroma[:] = 0.1
    np.testing.assert_array_equal(hints.spread(chroma, light, hint_ab, mask), chroma)


def test_spread_keeps_the_hint_color_and_fades_with_distance():
    chroma, light, hint_ab, mask = _flat_scene()
    hint_ab[2:5, 2:5], mask[2:5, 2:5] = (0.4, -0.2), 1
    out = hints.spread(chroma, light, hint_ab, mask)
    np.testing.assert_allclose(out[3, 3], (0.4, -0.2), atol=1e-6)
    assert out[3, 12, 0] > out[3, 23, 0] > 0  # weaker further away, still reached


def test_spread_stops_at_edges():
    """An edge (a lightness step) between two halves keeps a hint in its own half."""
    chroma, light, hint_ab, mask = _flat_scene()
    light[:, 12:] = 0.9  # a 40-L step down the middle
    hint_ab[10:13, 3:6], mask[10:13, 3:6] = (0.4, 0.0), 1
    out = hints.spread(chroma, light, hint_ab, mask, scale=0.5)
    free = hints.spread(chroma, light, hint_ab, mask, scale=0.5, edge=0.0)
    # Same distance from the hint on both sides of the edge: the far side gets much less.
    assert out[11, 10, 0] > 3 * out[11, 14, 0]
    assert free[11, 14, 0] > 3 * out[11, 14, 0]


def test_spread_blends_two_hints_by_distance():
    chroma, light, hint_ab, mask = _flat_scene(12, 40)
    hint_ab[5:8, 0:3], mask[5:8, 0:3] = (0.4, 0.0), 1
    hint_ab[5:8, 37:40], mask[5:8, 37:40] = (-0.4, 0.0), 1
    out = hints.spread(chroma, light, hint_ab, mask)
    assert out[6, 5, 0] > 0.3 and out[6, 34, 0] < -0.3
    assert abs(out[6, 19, 0] - out[6, 20, 0]) < 0.1 and abs(out[6, 19:21, 0].mean()) < 0.05


def test_spread_divides_by_the_saturation_applied_later():
    chroma, light, hint_ab, mask = _flat_scene()
    hint_ab[0:3, 0:3], mask[0:3, 0:3] = (0.4, 0.0), 1
    out = hints.spread(chroma, light, hint_ab, mask, saturation=0.5)
    np.testing.assert_allclose(out[1, 1] * 0.5, (0.4, 0.0), atol=1e-6)
    gray = hints.spread(chroma, light, hint_ab, mask, saturation=0.0)
    np.testing.assert_array_equal(gray, chroma)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scale": 0}, "scale"),
        ({"edge": -1}, "edge"),
        ({"saturation": float("nan")}, "saturation"),
    ],
)
def test_spread_rejects_bad_arguments(kwargs, message):
    chroma, light, hint_ab, mask = _flat_scene()
    with pytest.raises(ValueError, match=message):
        hints.spread(chroma, light, hint_ab, mask, **kwargs)


def test_spread_rejects_mismatched_maps():
    chroma, light, hint_ab, mask = _flat_scene()
    with pytest.raises(ValueError, match="hint_ab.shape"):
        hints.spread(chroma, light, hint_ab[:10], mask)
    with pytest.raises(ValueError, match=r"lightness.shape=\(10, 24, 1\)"):
        hints.spread(chroma, light[:10], hint_ab, mask)
    with pytest.raises(ValueError, match="hint_mask.shape"):
        hints.spread(chroma, light, hint_ab, mask[:, :5])


def _two_objects(height=30, width=40):
    """Dark left object, light right object (an edge at column 20), flat chroma 0."""
    chroma, light, hint_ab, mask = _flat_scene(height, width)
    light[:, 20:] = 0.8
    light[:, :20] = 0.3
    return chroma, light, hint_ab, mask


def test_influence_fills_the_object_and_stops_at_its_edge():
    _, light, _, mask = _two_objects()
    mask[14:17, 4:7] = 1
    share = hints.influence(light, mask)
    assert share.shape == (30, 40) and share.dtype == np.float32
    assert share[15, 5] == pytest.approx(1.0)
    assert share[:, :17].min() > 0.5  # its own object
    assert share[:, 23:].max() < 0.01  # the other one
    near = hints.influence(light, mask, scale=0.1)  # a shorter reach fades inside the object
    assert near[15, 17] < 0.5 * share[15, 17]
    np.testing.assert_array_equal(hints.influence(light, np.zeros_like(mask)), 0.0)


def test_influence_reads_the_predicted_chroma_as_a_second_guide():
    """Two objects of one lightness that the network colors differently are kept apart."""
    chroma, light, _, mask = _flat_scene(30, 40)
    chroma[:, 20:] = (0.4, 0.0)
    mask[14:17, 4:7] = 1
    assert hints.influence(light, mask)[:, 25:].min() > 0.5  # gray alone: no edge
    assert hints.influence(light, mask, guide_ab=chroma)[:, 23:].max() < 0.01
    with pytest.raises(ValueError, match="guide_ab must have shape"):
        hints.influence(light, mask, guide_ab=chroma[:5])
    with pytest.raises(ValueError, match="scale"):
        hints.influence(light, mask, scale=0)


def test_localize_keeps_a_flooding_change_on_the_hinted_object():
    base, light, hint_ab, mask = _two_objects()
    base[:] = (0.1, 0.1)
    flooded = np.full_like(base, -0.4)  # the network turned everything the hint's color
    hint_ab[14:17, 4:7], mask[14:17, 4:7] = (-0.4, -0.4), 1
    out = hints.localize(base, flooded, light, hint_ab, mask)
    np.testing.assert_allclose(out[15, 5], (-0.4, -0.4), atol=1e-6)
    assert np.abs(out[:, 23:] - base[:, 23:]).max() < 0.01  # the other object keeps its color
    assert np.abs(out[:, :17] - base[:, :17]).min() > 0.2  # its own object changes


def test_localize_without_hints_is_the_automatic_colorization():
    base, light, hint_ab, mask = _two_objects()
    base[:] = (0.1, -0.2)
    out = hints.localize(base, np.zeros_like(base), light, hint_ab, mask)
    np.testing.assert_array_equal(out, base)
    with pytest.raises(ValueError, match="base and hinted"):
        hints.localize(base, base[:5], light, hint_ab, mask)


def test_influence_recomputes_for_another_photo_and_reuses_for_the_same():
    """The pixel graph and segments are kept for the last photo (an explorer's clicks)."""
    _, light, _, mask = _two_objects()
    mask[14:17, 4:7] = 1
    first = hints.influence(light, mask)
    flat = hints.influence(np.full_like(light, 0.5), mask)  # another photo: no edge at all
    again = hints.influence(light, mask)
    np.testing.assert_array_equal(first, again)
    assert first[:, 23:].max() < 0.01 and flat[:, 23:].min() > 0.5
