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


def test_locality_counts_the_change_and_its_share_inside_the_region():
    before = np.full((4, 5, 3), 0.5, np.float32)
    after = before.copy()
    after[:2, :2] = (0.8, 0.4, 0.4)  # 4 pixels change, 3 of them inside the region
    region = np.zeros((4, 5), bool)
    region[:2, 1:3] = True
    region[3, 4] = True
    result = hint_curves.locality(before, after, region)
    assert result == pytest.approx(
        {"changed_share": 0.2, "inside_share": 0.5, "region_changed_share": 0.4}
    )
    unchanged = hint_curves.locality(before, before, region)
    assert unchanged == {"changed_share": 0.0, "inside_share": 1.0, "region_changed_share": 0.0}
    with pytest.raises(ValueError, match="region must have the photos' shape"):
        hint_curves.locality(before, after, region[:2])


def test_off_truth_hint_is_far_from_the_prediction():
    from colorkit import color

    blue = np.zeros((8, 8, 3), np.float32)
    blue[..., 2] = 0.8
    hint = hint_curves.off_truth_hint(blue, 3, 4)
    predicted = color.rgb_to_lab(blue)[3, 4, 1:]
    assert (hint.row, hint.col) == (3, 4)
    assert np.hypot(*hint.ab) == pytest.approx(hint_curves.OFF_TRUTH_CHROMA)
    assert np.hypot(*(np.asarray(hint.ab) - predicted)) > hint_curves.OFF_TRUTH_CHROMA
    gray = hint_curves.off_truth_hint(np.full((8, 8, 3), 0.5, np.float32), 0, 0)
    assert np.hypot(*gray.ab) == pytest.approx(hint_curves.OFF_TRUTH_CHROMA)


def test_regions_follow_the_true_colors_and_the_garment_is_the_center(truths):
    photo = truths[0]  # red left half, blue right half
    labels = hint_curves.photo_regions(photo)
    assert labels.shape == photo.shape[:2]
    assert labels[5, 2] != labels[5, -3] and labels[5, 2] == labels[-5, 3]
    framed = np.full((40, 40, 3), 0.9, np.float32)
    framed[10:30, 12:28] = (0.2, 0.3, 0.7)  # a blue garment on a white background
    garment = hint_curves.garment_region(framed)
    assert garment[20, 20] and garment.sum() > 0.5 * 20 * 16
    assert not garment[:8].any() and not garment[:, 30:].any()  # none of the background


def test_hint_locality_measures_flooding_against_local_hints(spreader):
    # Dark red left halves, light blue right halves: an edge in the gray image too. The
    # no-learning spreader copies a hint over a square: it ignores that edge.
    truths = []
    for shape in ((40, 48), (36, 30)):
        photo = np.empty((*shape, 3), np.float32)
        photo[:, : shape[1] // 2] = (0.5, 0.1, 0.1)
        photo[:, shape[1] // 2 :] = (0.6, 0.8, 1.0)
        truths.append(photo)
    # Hints inside the left halves, away from the edge (a hint on the edge has a thin strip
    # for its region).
    left = [np.zeros(t.shape[:2], bool) for t in truths]
    for mask in left:
        mask[:, : mask.shape[1] // 2 - 4] = True
    flooding = hint_curves.hint_locality(
        spreader, truths, where=left, size=32, local_hints=False, keep=1
    )
    local = hint_curves.hint_locality(spreader, truths, where=left, size=32)
    assert len(flooding["per_photo"]) == 2 and len(flooding["predictions"]) == 1
    assert all(hint.col < truths[i].shape[1] // 2 - 4 for i, hint in enumerate(local["hints"]))
    assert flooding["changed_share"] > local["changed_share"] > 0
    assert flooding["inside_share"] < 0.8 < local["inside_share"]
