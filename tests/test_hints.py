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


def test_suggest_colors_orders_by_probability():
    probabilities = np.full(color.NUM_BINS, 0.001, np.float32)
    probabilities[[10, 200, 300]] = [0.2, 0.5, 0.05]
    palette = hints.suggest_colors(probabilities / probabilities.sum(), 60.0, count=3)
    shares = [share for _, share in palette]
    assert shares == sorted(shares, reverse=True) and len(palette) == 3
    assert all(rgb.shape == (3,) and 0 <= rgb.min() and rgb.max() <= 1 for rgb, _ in palette)
    with pytest.raises(ValueError, match="probabilities must have shape"):
        hints.suggest_colors(np.ones(5), 50.0)


def test_json_round_trip():
    original = [hints.Hint.from_color(2, 3, "#3060c0", radius=1)]
    (back,) = hints.parse_hints(json.dumps(hints.hints_to_json(original)))
    assert (back.row, back.col, back.radius) == (2.0, 3.0, 1.0)
    assert back.ab == pytest.approx(original[0].ab, abs=1.5)  # 8-bit color at L = 50
