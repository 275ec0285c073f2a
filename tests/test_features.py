"""Feature cache and cached-feature decoder training: resumable, atomic, refuses mismatches."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest

from colorkit import features
from colorkit import guided_training as gt
from colorkit.models import encoders


@pytest.fixture(scope="module")
def photo_paths(tmp_path_factory):
    folder = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(0)
    paths = []
    for index in range(6):
        image = rng.random((48 + 8 * index, 64, 3)).astype("float32")
        image[..., 0] = np.linspace(0, 1, 64)  # some real chroma
        path = folder / f"photo_{index}.png"
        from colorkit import data

        data.save_image(image, path)
        paths.append(str(path))
    return paths


@pytest.fixture(scope="module")
def random_encoder():
    return encoders.resnet50_1by2(weights=None)


def _build(folder, paths, encoder, crop_size=64, views=2, **kwargs):
    plan = features.crop_plan([(paths, views)], seed=0)
    return features.build_feature_cache(
        folder,
        plan,
        crop_size=crop_size,
        batch_size=4,
        progress=False,
        encoder_model=encoder,
        **kwargs,
    )


def test_cache_shapes_and_dtypes(tmp_path, photo_paths, random_encoder):
    cache = features.FeatureCache(_build(tmp_path / "c", photo_paths, random_encoder))
    assert cache.count == 12
    rows = cache.read([0, 5, 11])
    assert rows["stage2"].shape == (3, 8, 8, 256)
    assert rows["stage4"].shape == (3, 2, 2, 1024)
    assert rows["ab"].shape == (3, 16, 16, 2) and rows["lightness"].shape == (3, 16, 16, 1)
    assert all(v.dtype == np.float32 for v in rows.values())
    assert 0 <= rows["lightness"].min() and rows["lightness"].max() <= 1
    assert not list((tmp_path / "c").glob(".*tmp"))  # atomic writes leave nothing behind


def test_interrupted_build_resumes_to_the_same_arrays(tmp_path, photo_paths, random_encoder):
    whole = features.FeatureCache(_build(tmp_path / "whole", photo_paths, random_encoder))
    original = features.load_crop

    def failing(item, size):
        # Photo 3's crops are rows 6-7: the second batch of 4 fails, the first is written.
        if item.path == photo_paths[3]:
            raise KeyboardInterrupt
        return original(item, size)

    features.load_crop = failing
    try:
        with pytest.raises(KeyboardInterrupt):
            _build(tmp_path / "part", photo_paths, random_encoder)
    finally:
        features.load_crop = original
    done = json.loads((tmp_path / "part" / "progress.json").read_text())["done"]
    assert 0 < done < 12
    with pytest.raises(ValueError, match="incomplete"):
        features.FeatureCache(tmp_path / "part")
    first = json.loads((tmp_path / "part" / "progress.json").read_text())["seconds"]
    assert features.build_seconds(tmp_path / "part") is None  # incomplete
    resumed = features.FeatureCache(_build(tmp_path / "part", photo_paths, random_encoder))
    # The build time adds up over both processes.
    assert features.build_seconds(tmp_path / "part") > first >= 0
    assert features.build_seconds(tmp_path / "whole") > 0
    a, b = whole.read(range(12)), resumed.read(range(12))
    for name in a:
        np.testing.assert_array_equal(a[name], b[name])


def test_cache_for_another_encoder_or_size_is_refused(tmp_path, photo_paths, random_encoder):
    folder = _build(tmp_path / "c", photo_paths, random_encoder)
    with pytest.raises(features.FeatureCacheMismatch, match="crop_size"):
        features.FeatureCache(folder, crop_size=128)
    with pytest.raises(features.FeatureCacheMismatch, match="encoder"):
        features.FeatureCache(folder, encoder="vgg16_hed")
    with pytest.raises(features.FeatureCacheMismatch, match="crop_size"):
        _build(folder, photo_paths, random_encoder, crop_size=96)
    with pytest.raises(features.FeatureCacheMismatch, match="count"):
        _build(folder, photo_paths, random_encoder, views=3)


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


def test_training_from_disk_equals_training_in_memory(tmp_path, photo_paths, random_encoder):
    folder = _build(tmp_path / "c", photo_paths, random_encoder)
    config = gt.GuidedConfig(epochs=1, batch_size=4, width=16, sample_stride=4)
    ram = gt.train_guided(tmp_path / "ram", folder, folder, config, verbose=0)
    disk = gt.train_guided(tmp_path / "disk", folder, folder, config, verbose=0, in_memory=False)
    for a, b in zip(ram.get_weights(), disk.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="Received: in_memory='no'"):
        gt.train_guided(tmp_path / "bad", folder, folder, config, in_memory="no")
    assert not (tmp_path / "bad").exists()


class _StopAfterFirstEpoch(Exception):
    pass


@pytest.mark.parametrize("sample_stride", [1, 4])
def test_resumed_training_equals_uninterrupted(
    tmp_path, photo_paths, random_encoder, sample_stride
):
    import keras

    folder = _build(tmp_path / "c", photo_paths, random_encoder)
    config = gt.GuidedConfig(epochs=2, batch_size=4, width=16, sample_stride=sample_stride)
    whole = gt.train_guided(tmp_path / "whole", folder, folder, config, verbose=0)

    class Stop(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise _StopAfterFirstEpoch

    with pytest.raises(_StopAfterFirstEpoch):
        gt.train_guided(tmp_path / "part", folder, folder, config, verbose=0, callbacks=[Stop()])
    assert [p.name for p in (tmp_path / "part").glob("epoch_*.keras")] == ["epoch_001.keras"]
    resumed = gt.train_guided(tmp_path / "part", folder, folder, config, verbose=0)
    for a, b in zip(whole.get_weights(), resumed.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="other settings"):
        gt.train_guided(tmp_path / "part", folder, folder, gt.GuidedConfig(epochs=3), verbose=0)


def test_finetune_starts_from_the_base_decoder(tmp_path, photo_paths, random_encoder):
    """The hint fine-tune: spread blocks start at zero, so before any step the fine-tuned
    decoder computes what its base does; the best-validation epoch is the one chosen."""
    import csv

    import keras

    from colorkit.models import guided

    folder = _build(tmp_path / "c", photo_paths, random_encoder)
    base_config = gt.GuidedConfig(epochs=2, batch_size=4, width=16)
    gt.train_guided(tmp_path / "base", folder, folder, base_config, verbose=0)
    with open(tmp_path / "base" / "log.csv", newline="") as handle:
        losses = {int(r["epoch"]): float(r["val_loss"]) for r in csv.DictReader(handle)}
    best = gt.best_checkpoint(tmp_path / "base")
    assert best.name == f"epoch_{min(losses, key=losses.get):03d}.keras"

    base = keras.saving.load_model(best, compile=False)
    spread = guided.guided_decoder(width=16, spread=True)
    gt._copy_matching_weights(spread, base)
    cache = features.FeatureCache(folder)
    rows = cache.read(range(4))
    zeros_ab, zeros_mask = np.zeros_like(rows["ab"]), np.zeros_like(rows["lightness"])
    hint_ab, hint_mask = zeros_ab.copy(), zeros_mask.copy()
    hint_ab[:, 3, 5], hint_mask[:, 3, 5] = 0.4, 1.0
    for ab, mask in ((zeros_ab, zeros_mask), (hint_ab, hint_mask)):
        inputs = [rows["stage2"], rows["stage3"], rows["stage4"], rows["lightness"], ab, mask]
        np.testing.assert_allclose(
            spread.predict(inputs, verbose=0), base.predict(inputs, verbose=0), atol=1e-6
        )
    config = gt.GuidedConfig(epochs=1, batch_size=4, width=16, **gt.FINETUNE_SETTINGS)
    tuned = gt.train_guided(tmp_path / "tuned", folder, folder, config, init_decoder=best)
    assert tuned.get_layer("dec32_spread") is not None
    assert np.any(tuned.get_layer("dec32_spread").get_weights()[0] != 0)  # it learned


def test_simulated_hints_carry_the_truth():
    rng = np.random.default_rng(1)
    ab = rng.uniform(-1, 1, (64, 8, 8, 2)).astype("float32")
    hint_ab, mask = gt.simulate_hints(ab, rng, p_no_hints=0.5, mean_hints=4, max_hints=6)
    counts = mask.sum(axis=(1, 2, 3))
    assert 0.25 < np.mean(counts == 0) < 0.75  # about half get none
    assert counts.max() <= 6
    np.testing.assert_array_equal(hint_ab, ab * mask)
    # With the sampled loss, each crop's hints sit on the cells its phase scores.
    phase = rng.integers(0, 4, (64, 2))
    _, mask = gt.simulate_hints(ab, rng, 0.0, 4, 6, phase=phase, stride=4)
    crop, rows, cols, _ = np.nonzero(mask)
    assert len(crop) > 64
    np.testing.assert_array_equal(rows % 4, phase[crop, 0])
    np.testing.assert_array_equal(cols % 4, phase[crop, 1])


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


@pytest.mark.slow
@pytest.mark.data
def test_default_recipe_smoke_version(tmp_path):
    """The shipped recipe end to end on a few photos: caches, decoder, summary."""
    config = gt.GuidedConfig(epochs=1, batch_size=8, width=8)
    finetune = gt.GuidedConfig(epochs=1, batch_size=8, width=8, **gt.FINETUNE_SETTINGS)
    last_stage = gt.GuidedConfig(epochs=1, batch_size=8, width=8, **gt.LAST_STAGE_SETTINGS)
    run = gt.run_guided_recipe(
        tmp_path, config, smoke=True, finetune=finetune, last_stage=last_stage
    )
    assert run == tmp_path / "last_stage"
    assert [p.name for p in run.glob("epoch_*.keras")] == ["epoch_001.keras"]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["finetune_from"] == "run/epoch_001.keras"
    assert summary["last_stage_from"] == "finetune/epoch_001.keras"
    # The third stage trained the encoder's last stage with the decoder it started from.
    trained = keras.saving.load_model(run / "epoch_001.keras", compile=False)
    assert trained.name == "guided_decoder_last_stage"
    start = keras.saving.load_model(tmp_path / "finetune" / "epoch_001.keras", compile=False)
    block = trained.get_layer("stage4_block")
    original = encoders.last_stage()
    assert any(
        not np.array_equal(a.numpy(), b.numpy())
        for a, b in zip(block.weights, original.weights, strict=True)
    )
    assert trained.get_layer("guided_decoder").count_params() == start.count_params()
    assert summary["train_crops"] == 88 and summary["val_crops"] == 16
    assert 0 < summary["peak_rss_gib"] < 8
    assert summary["cache_build_seconds"] > 0
    cache = features.FeatureCache(tmp_path / "cache_train", encoder="resnet50_1by2", crop_size=128)
    assert cache.count == 88


@pytest.mark.data
def test_plan_sources_take_every_cifar_step_th_photo():
    default, val = gt.default_plan_sources()
    every, same_val = gt.default_plan_sources(cifar_step=1)
    assert every[:3] == default[:3] and same_val == val
    assert len(every[3][0]) == 50_000 and every[3][0][::3] == default[3][0]
    with pytest.raises(ValueError, match="Received: cifar_step=0"):
        gt.default_plan_sources(cifar_step=0)


def test_recipe_refuses_a_bad_in_memory_before_building_anything(tmp_path):
    with pytest.raises(ValueError, match="Received: in_memory=1"):
        gt.run_guided_recipe(tmp_path / "work", gt.GuidedConfig(), in_memory=1)
    assert not (tmp_path / "work").exists()


def test_recipe_peak_is_the_highest_of_its_stages_processes():
    summary = {"peak_rss_gib": 7.43, "finetune_peak_rss_gib": 7.31, "last_stage_peak_rss_gib": 7.46}
    assert gt.recipe_peak_rss_gib(summary) == 7.46
    assert gt.recipe_peak_rss_gib({"peak_rss_gib": 2.0}) == 2.0  # a recipe without later stages


def test_sampled_validation_scores_every_cell(tmp_path, photo_paths, random_encoder):
    """Training scores one cell per 4x4 block; validation reads every crop at all 16 phases,
    so its loss is the loss over every cell, as a run that scores every cell computes it."""
    from colorkit import losses
    from colorkit.models import guided

    folder = _build(tmp_path / "c", photo_paths, random_encoder)
    cache = features.FeatureCache(folder)
    sampled = gt.GuidedConfig(batch_size=5, width=16, sample_stride=4)
    dense = gt.GuidedConfig(batch_size=5, width=16, sample_stride=1)
    batches = gt.CachedBatches(cache, sampled, train=False)
    assert len(batches) == -(-cache.count * 16 // 5)
    decoder = guided.guided_decoder(width=16)
    decoder.compile(loss=losses.SoftEncodedCrossEntropy())
    trainer = guided.sampled_trainer(decoder, 4)
    trainer.compile(loss=losses.SoftEncodedCrossEntropy())
    whole = decoder.evaluate(gt.CachedBatches(cache, dense, train=False), verbose=0)
    np.testing.assert_allclose(trainer.evaluate(batches, verbose=0), whole, rtol=1e-5)
    # Training batches: the targets are the cells the phase input picks.
    (*inputs, phase), target = gt.CachedBatches(cache, sampled, train=True)[0]
    assert phase.shape == (5, 2) and phase.dtype == np.int32
    assert target.shape == (5, 4, 4, 2)
    with pytest.raises(ValueError, match="Received: sample_stride=0"):
        gt.train_guided(tmp_path / "r", folder, folder, gt.GuidedConfig(sample_stride=0))


def test_training_frees_its_caches_when_it_ends(tmp_path, photo_paths, random_encoder, monkeypatch):
    """A recipe runs its stages in one process: each stage's in-memory caches (GBs for the
    real recipe) are closed when it ends, also when it ends with an error."""
    folder = _build(tmp_path / "c", photo_paths, random_encoder)
    closed = []
    original = features.FeatureCache.close
    monkeypatch.setattr(
        features.FeatureCache, "close", lambda self: (closed.append(self), original(self))
    )
    config = gt.GuidedConfig(epochs=1, batch_size=4, width=8)
    gt.train_guided(tmp_path / "r", folder, folder, config, verbose=0)
    assert len(closed) == 2 and all(not cache._arrays for cache in closed)

    class Boom(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            raise _StopAfterFirstEpoch

    closed.clear()
    with pytest.raises(_StopAfterFirstEpoch):
        gt.train_guided(tmp_path / "s", folder, folder, config, verbose=0, callbacks=[Boom()])
    assert len(closed) == 2


def test_threads_reading_a_cache_from_disk_get_their_own_rows(
    tmp_path, photo_paths, random_encoder
):
    """CachedBatches prepares batches in two threads: reads from the files must not share a
    file offset (a shared one once gave rows of other crops)."""
    import concurrent.futures

    folder = _build(tmp_path / "c", photo_paths, random_encoder)
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


def test_training_with_balanced_rows_uses_the_quota_and_resumes_only_with_it(
    tmp_path, photo_paths, random_encoder
):
    folder = _build(tmp_path / "c", photo_paths, random_encoder)  # 6 photos x 2 views
    rows = features.BalancedRows((8, 4), quota=4, seed=0)
    config = gt.GuidedConfig(epochs=1, batch_size=4, width=16, sample_stride=4)
    cache = features.FeatureCache(folder)
    batches = gt.CachedBatches(cache, config, train=True, epoch=0, rows=rows)
    assert len(batches) == 2  # 8 rows of the quota, not the cache's 12
    assert set(batches._indices(0)) | set(batches._indices(1)) == set(rows.epoch(0).tolist())
    with pytest.raises(ValueError, match="rows describes 5 cache rows"):
        gt.CachedBatches(cache, config, rows=features.BalancedRows((5,), 2))
    gt.train_guided(tmp_path / "run", folder, folder, config, verbose=0, rows=rows)
    assert json.loads((tmp_path / "run" / "balance.json").read_text())["quota"] == 4
    with pytest.raises(ValueError, match="other rows per epoch"):
        gt.train_guided(tmp_path / "run", folder, folder, config, verbose=0)


def test_real_photo_plan_holds_every_source_and_no_held_out_photo(tmp_path, monkeypatch):
    from colorkit import data

    rng = np.random.default_rng(0)
    folders = ["imagenet-sample", "bsds500/train", "bsds500/val", "clothing/hat"]
    folders += [f"{name}/train/x" for name in gt.REAL_COLLECTIONS]
    for folder in folders:
        (tmp_path / folder).mkdir(parents=True)
        for index in range(40):
            image = rng.random((40, 48, 3)).astype("float32")
            data.save_image(image, tmp_path / folder / f"{index}.png")
    monkeypatch.setenv("COLORKIT_DATA", str(tmp_path))
    train, val = gt.real_plan_sources(val_per_source=3)
    assert [views for _, views in train] == [6, 8, 3, 1, 1, 1, 1, 1]
    training = {path for paths, _ in train for path in paths}
    held_out = {path for paths, _ in val[1:] for path in paths}
    assert held_out and not training & held_out
    assert all(len(paths) <= 3 for paths, _ in val[1:])
    with pytest.raises(ValueError, match="Received: cifar_step=1"):
        gt.run_guided_recipe(tmp_path / "w", gt.GuidedConfig(), plan="real", cifar_step=1)
    with pytest.raises(ValueError, match="Received: plan='cifar'"):
        gt.run_guided_recipe(tmp_path / "w", gt.GuidedConfig(), plan="cifar")
