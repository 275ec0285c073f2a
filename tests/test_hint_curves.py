"""Hint curves: metrics against the number of hints, and how far one hint reaches."""

from __future__ import annotations

import numpy as np
import pytest

from colorkit import hint_curves


@pytest.fixture(scope="module")
def spreader():
    from colorkit.models import guided

    return guided.hint_spreader(reach=2)


@pytest.fixture(scope="module")
def truths():
    rng = np.random.default_rng(3)
    photos = []
    for shape in ((40, 48), (36, 30)):
        photo = np.empty((*shape, 3), np.float32)
        photo[:, : shape[1] // 2] = (0.7, 0.25, 0.2)  # a red half and a blue half
        photo[:, shape[1] // 2 :] = (0.2, 0.3, 0.7)
        photos.append(np.clip(photo + rng.normal(0, 0.01, photo.shape), 0, 1).astype(np.float32))
    return photos


def test_hints_raise_the_scores_and_reach_part_of_the_photo(spreader, truths):
    curve = hint_curves.hint_curve(spreader, truths, [0, 4], size=32, keep=1)
    assert curve["counts"] == [0, 4]
    assert curve["scores"][4]["psnr"] > curve["scores"][0]["psnr"]
    assert len(curve["predictions"][0]) == 1 and len(curve["hints"][0]) == 4
    reach = hint_curves.hint_reach(spreader, truths, size=32)
    assert 0 < reach["area_fraction"] <= 1 and len(reach["per_photo"]) == len(truths)


def test_photos_colorized_once_give_the_same_results(spreader, truths):
    """A caller passes the no-hint colorization to both; the results do not change."""
    without = hint_curves.colorize_without_hints(spreader, truths, size=32)
    assert [p.shape for p in without] == [t.shape for t in truths]
    given = hint_curves.hint_curve(spreader, truths, [0, 2], size=32, without=without)
    computed = hint_curves.hint_curve(spreader, truths, [0, 2], size=32)
    assert given["scores"] == computed["scores"]
    for spread_hints in (True, False):
        reach = hint_curves.hint_reach(
            spreader, truths, size=32, spread_hints=spread_hints, without=without
        )
        again = hint_curves.hint_reach(spreader, truths, size=32, spread_hints=spread_hints)
        assert reach == again


def test_without_of_the_wrong_length_or_shape_is_named(spreader, truths):
    without = hint_curves.colorize_without_hints(spreader, truths, size=32)
    with pytest.raises(ValueError, match=r"Received: len\(without\)=1, len\(truths\)=2"):
        hint_curves.hint_reach(spreader, truths, size=32, without=without[:1])
    with pytest.raises(ValueError, match=r"without\[1\] must have its truth's shape"):
        hint_curves.hint_curve(spreader, truths, [0], size=32, without=[without[0], without[0]])
