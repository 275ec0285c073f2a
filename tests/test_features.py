"""Feature cache and cached-feature decoder training: resumable, atomic, refuses mismatches."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from colorkit import features
from colorkit.models import encoders


def test_cache_shapes_and_dtypes(build_cache, tmp_path, photo_paths, random_encoder):
    cache = features.FeatureCache(build_cache(tmp_path / "c", photo_paths, random_encoder))
    assert cache.count == 12
    rows = cache.read([0, 5, 11])
    assert rows["stage2"].shape == (3, 8, 8, 256)
    assert rows["stage4"].shape == (3, 2, 2, 1024)
    assert rows["ab"].shape == (3, 16, 16, 2) and rows["lightness"].shape == (3, 16, 16, 1)
    assert all(v.dtype == np.float32 for v in rows.values())
    assert 0 <= rows["lightness"].min() and rows["lightness"].max() <= 1
    assert not list((tmp_path / "c").glob(".*tmp"))  # atomic writes leave nothing behind


def test_interrupted_build_resumes_to_the_same_arrays(
    build_cache, tmp_path, photo_paths, random_encoder
):
    whole = features.FeatureCache(build_cache(tmp_path / "whole", photo_paths, random_encoder))
    original = features.load_crop

    def failing(item, size):
        # Photo 3's crops are rows 6-7: the second batch of 4 fails, the first is written.
        if item.path == photo_paths[3]:
            raise KeyboardInterrupt
        return original(item, size)

    features.load_crop = failing
    try:
        with pytest.raises(KeyboardInterrupt):
            build_cache(tmp_path / "part", photo_paths, random_encoder)
    finally:
        features.load_crop = original
    done = json.loads((tmp_path / "part" / "progress.json").read_text())["done"]
    assert 0 < done < 12
    with pytest.raises(ValueError, match="incomplete"):
        features.FeatureCache(tmp_path / "part")
    first = json.loads((tmp_path / "part" / "progress.json").read_text())["seconds"]
    assert features.build_seconds(tmp_path / "part") is None  # incomplete
    resumed = features.FeatureCache(build_cache(tmp_path / "part", photo_paths, random_encoder))
    # The build time adds up over both processes.
    assert features.build_seconds(tmp_path / "part") > first >= 0
    assert features.build_seconds(tmp_path / "whole") > 0
    a, b = whole.read(range(12)), resumed.read(range(12))
    for name in a:
        np.testing.assert_array_equal(a[name], b[name])


def test_cache_for_another_encoder_or_size_is_refused(
    build_cache, tmp_path, photo_paths, random_encoder
):
    folder = build_cache(tmp_path / "c", photo_paths, random_encoder)
    with pytest.raises(features.FeatureCacheMismatch, match="crop_size"):
        features.FeatureCache(folder, crop_size=128)
    with pytest.raises(features.FeatureCacheMismatch, match="encoder"):
        features.FeatureCache(folder, encoder="vgg16_hed")
    with pytest.raises(features.FeatureCacheMismatch, match="crop_size"):
        build_cache(folder, photo_paths, random_encoder, crop_size=96)
    with pytest.raises(features.FeatureCacheMismatch, match="count"):
        build_cache(folder, photo_paths, random_encoder, views=3)


def test_not_a_cache(tmp_path):
    with pytest.raises(FileNotFoundError, match="no meta.json"):
        features.FeatureCache(tmp_path)


def test_bad_plan_arguments():
    with pytest.raises(ValueError, match="views"):
        features.crop_plan([(["a.jpg"], 0)])
    with pytest.raises(ValueError, match="min_scale"):
        features.crop_plan([(["a.jpg"], 1)], min_scale=0)
    with pytest.raises(ValueError, match="empty"):
        features.build_feature_cache("/tmp/never", [])


@pytest.mark.slow
def test_build_killed_with_sigkill_resumes(tmp_path, photo_paths):
    script = f"""
import sys, time
from colorkit import features
from colorkit.models import encoders
original = features.load_crop
def slow(item, size):
    time.sleep(0.3)
    return original(item, size)
features.load_crop = slow
plan = features.crop_plan([({photo_paths!r}, 4)], seed=0)
features.build_feature_cache({str(tmp_path / "c")!r}, plan, crop_size=64, batch_size=2,
    progress=False, encoder_model=encoders.resnet50_1by2(weights=None))
"""
    process = subprocess.Popen([sys.executable, "-c", script])
    progress = tmp_path / "c" / "progress.json"
    deadline = time.time() + 120
    while time.time() < deadline and not progress.exists():
        time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.wait()
    done = json.loads(progress.read_text())["done"]
    assert 0 < done < 24
    plan = features.crop_plan([(photo_paths, 4)], seed=0)
    features.build_feature_cache(
        tmp_path / "c",
        plan,
        crop_size=64,
        batch_size=2,
        progress=False,
        encoder_model=encoders.resnet50_1by2(weights=None),
    )
    cache = features.FeatureCache(tmp_path / "c")
    assert np.isfinite(cache.read(range(24))["stage3"]).all()
    assert os.path.getsize(tmp_path / "c" / "stage2.npy") > 24 * 8 * 8 * 256 * 2


def test_threads_reading_a_cache_from_disk_get_their_own_rows(
    build_cache, tmp_path, photo_paths, random_encoder
):
    """CachedBatches prepares batches in two threads: reads from the files must not share a
    file offset (a shared one once gave rows of other crops)."""
    import concurrent.futures

    folder = build_cache(tmp_path / "c", photo_paths, random_encoder)
    on_disk, in_memory = (
        features.FeatureCache(folder),
        features.FeatureCache(folder, in_memory=True),
    )
    rng = np.random.default_rng(0)
    picks = [rng.integers(0, on_disk.count, 7) for _ in range(400)]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        read = list(pool.map(lambda rows: on_disk.read(rows, dtype="float16"), picks))
    for rows, got in zip(picks, read, strict=True):
        expected = in_memory.read(rows, dtype="float16")
        for name in expected:
            np.testing.assert_array_equal(got[name], expected[name])


def test_balanced_rows_take_a_fresh_quota_of_each_source():
    rows = features.BalancedRows((5, 100, 30), quota=20, seed=3)
    assert len(rows) == 5 + 20 + 20 and rows.count == 135
    first, second = rows.epoch(0), rows.epoch(1)
    for drawn in (first, second):
        assert len(drawn) == len(set(drawn.tolist())) == 45
        assert set(range(5)) <= set(drawn.tolist())  # a small source gives every row
        assert sum(5 <= r < 105 for r in drawn) == 20 and sum(r >= 105 for r in drawn) == 20
    assert set(first.tolist()) != set(second.tolist())  # another subset each epoch
    np.testing.assert_array_equal(first, features.BalancedRows((5, 100, 30), 20, 3).epoch(0))
    assert features.source_sizes([(["a", "b"], 3), ("c", 2)]) == (6, 2)
    with pytest.raises(ValueError, match="Received: quota=0"):
        features.BalancedRows((5,), quota=0)
    with pytest.raises(ValueError, match="Received: sizes=()"):
        features.BalancedRows((), quota=3)
