"""Cached-feature training (colorkit.training.cached): the guided decoder on a feature cache,
in the run-folder layout of every run, resumable to the same weights; the default recipe's
stages on cached features."""

from __future__ import annotations

import csv
import json

import keras
import numpy as np
import pytest

from colorkit import features
from colorkit.models import encoders
from colorkit.training import cached as gt


def test_training_from_disk_equals_training_in_memory(
    build_cache, tmp_path, photo_paths, random_encoder
):
    folder = build_cache(tmp_path / "c", photo_paths, random_encoder)
    config = gt.GuidedConfig(epochs=1, batch_size=4, width=16, sample_stride=4)
    ram = gt.train_guided(tmp_path / "ram", folder, folder, config, verbose=0)
    disk = gt.train_guided(tmp_path / "disk", folder, folder, config, verbose=0, in_memory=False)
    for a, b in zip(ram.get_weights(), disk.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    with pytest.raises(TypeError, match="Received: in_memory='no'"):
        gt.train_guided(tmp_path / "bad", folder, folder, config, in_memory="no")
    assert not (tmp_path / "bad").exists()


def test_a_cached_run_has_the_layout_of_every_run(
    build_cache, tmp_path, photo_paths, random_encoder
):
    """The same run folder as photo training: checkpoints/, best/last, one log.csv counting
    epochs from 0, config.json (with its kind), summary.json; load_run reads it back."""
    from colorkit import training

    folder = build_cache(tmp_path / "c", photo_paths, random_encoder)
    config = gt.GuidedConfig(epochs=2, batch_size=4, width=8, sample_stride=4)
    gt.train_guided(tmp_path / "run", folder, folder, config, verbose=0)
    run_dir = tmp_path / "run"
    for name in ("config.json", "log.csv", "summary.json", "best.keras", "last.keras"):
        assert (run_dir / name).is_file(), name
    assert sorted(p.name for p in (run_dir / "checkpoints").iterdir()) == [
        "epoch_001.keras",
        "epoch_002.keras",
    ]
    assert json.loads((run_dir / "config.json").read_text())["kind"] == "cached_features"
    run = training.load_run(run_dir)
    assert run.config == config and run.history["epoch"] == [0.0, 1.0]
    assert run.epochs_completed() == 2 and run.checkpoint("last").is_file()
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["epochs_completed"] == 2 and summary["best_epoch"] in (1, 2)
    assert gt.best_checkpoint(run_dir).name == f"epoch_{summary['best_epoch']:03d}.keras"
    with pytest.raises(FileExistsError, match="resume=True"):
        gt.train_guided(run_dir, folder, folder, config, verbose=0)


class _StopAfterFirstEpoch(Exception):
    pass


@pytest.mark.parametrize("sample_stride", [1, 4])
def test_resumed_training_equals_uninterrupted(
    build_cache, tmp_path, photo_paths, random_encoder, sample_stride
):
    import keras

    folder = build_cache(tmp_path / "c", photo_paths, random_encoder)
    config = gt.GuidedConfig(epochs=2, batch_size=4, width=16, sample_stride=sample_stride)
    whole = gt.train_guided(tmp_path / "whole", folder, folder, config, verbose=0)

    class Stop(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise _StopAfterFirstEpoch

    part = tmp_path / "part"
    with pytest.raises(_StopAfterFirstEpoch):
        gt.train_guided(part, folder, folder, config, verbose=0, callbacks=[Stop()])
    assert [p.name for p in (part / "checkpoints").glob("epoch_*.keras")] == ["epoch_001.keras"]
    resumed = gt.train_guided(part, folder, folder, config, verbose=0, resume=True)
    for a, b in zip(whole.get_weights(), resumed.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    with open(part / "log.csv", newline="") as handle:
        assert [row["epoch"] for row in csv.DictReader(handle)] == ["0", "1"]
    with pytest.raises(ValueError, match="other settings"):
        gt.train_guided(part, folder, folder, gt.GuidedConfig(epochs=3), verbose=0, resume=True)


def test_finetune_starts_from_the_base_decoder(build_cache, tmp_path, photo_paths, random_encoder):
    """The hint fine-tune: spread blocks start at zero, so before any step the fine-tuned
    decoder computes what its base does; the best-validation epoch is the one chosen."""
    import csv

    import keras

    from colorkit.models import guided

    folder = build_cache(tmp_path / "c", photo_paths, random_encoder)
    base_config = gt.GuidedConfig(epochs=2, batch_size=4, width=16)
    gt.train_guided(tmp_path / "base", folder, folder, base_config, verbose=0)
    with open(tmp_path / "base" / "log.csv", newline="") as handle:
        losses = {int(r["epoch"]) + 1: float(r["val_loss"]) for r in csv.DictReader(handle)}
    best = gt.best_checkpoint(tmp_path / "base")
    assert best.name == f"epoch_{min(losses, key=losses.get):03d}.keras"
    assert (tmp_path / "base" / "best.keras").read_bytes() == best.read_bytes()

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
    assert [p.name for p in (run / "checkpoints").glob("epoch_*.keras")] == ["epoch_001.keras"]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["finetune_from"] == "run/checkpoints/epoch_001.keras"
    assert summary["last_stage_from"] == "finetune/checkpoints/epoch_001.keras"
    # The third stage trained the encoder's last stage with the decoder it started from.
    trained = keras.saving.load_model(run / "last.keras", compile=False)
    assert trained.name == "guided_decoder_last_stage"
    start = keras.saving.load_model(tmp_path / "finetune" / "last.keras", compile=False)
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
    with pytest.raises(TypeError, match="Received: in_memory=1"):
        gt.run_guided_recipe(tmp_path / "work", gt.GuidedConfig(), in_memory=1)
    assert not (tmp_path / "work").exists()


def test_recipe_peak_is_the_highest_of_its_stages_processes():
    summary = {"peak_rss_gib": 7.43, "finetune_peak_rss_gib": 7.31, "last_stage_peak_rss_gib": 7.46}
    assert gt.recipe_peak_rss_gib(summary) == 7.46
    assert gt.recipe_peak_rss_gib({"peak_rss_gib": 2.0}) == 2.0  # a recipe without later stages


def test_sampled_validation_scores_every_cell(build_cache, tmp_path, photo_paths, random_encoder):
    """Training scores one cell per 4x4 block; validation reads every crop at all 16 phases,
    so its loss is the loss over every cell, as a run that scores every cell computes it."""
    from colorkit import losses
    from colorkit.models import guided

    folder = build_cache(tmp_path / "c", photo_paths, random_encoder)
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


def test_training_frees_its_caches_when_it_ends(
    build_cache, tmp_path, photo_paths, random_encoder, monkeypatch
):
    """A recipe runs its stages in one process: each stage's in-memory caches (GBs for the
    real recipe) are closed when it ends, also when it ends with an error."""
    folder = build_cache(tmp_path / "c", photo_paths, random_encoder)
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


_KILLED_SCRIPT = """
import os, signal, sys
import keras
from colorkit.training import cached

class KillInSecondEpoch(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.epoch == 1 and batch == 1:  # mid-epoch, after epoch 1's checkpoint
            os.kill(os.getpid(), signal.SIGKILL)

config = cached.GuidedConfig(epochs=3, batch_size=2, width=8, sample_stride=4)
cached.train_guided(sys.argv[1], sys.argv[2], sys.argv[2], config, verbose=0,
                    callbacks=[KillInSecondEpoch()])
"""


@pytest.mark.slow
def test_kill_9_then_resume_gives_the_same_weights(
    build_cache, tmp_path, photo_paths, random_encoder
):
    """A cached-feature run killed with SIGKILL mid-epoch resumes to the very weights of a
    run that was never killed (the guarantee of every run folder)."""
    import os
    import signal
    import subprocess
    import sys

    folder = build_cache(tmp_path / "c", photo_paths, random_encoder)
    config = gt.GuidedConfig(epochs=3, batch_size=2, width=8, sample_stride=4)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    killed = tmp_path / "killed"
    process = subprocess.run(
        [sys.executable, "-c", _KILLED_SCRIPT, str(killed), str(folder)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert process.returncode == -signal.SIGKILL, process.stderr[-3000:]
    assert sorted(p.name for p in (killed / "checkpoints").iterdir()) == ["epoch_001.keras"]
    resumed = gt.train_guided(killed, folder, folder, config, verbose=0, resume=True)
    whole = gt.train_guided(tmp_path / "whole", folder, folder, config, verbose=0)
    for a, b in zip(whole.get_weights(), resumed.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    with open(killed / "log.csv", newline="") as handle:
        assert [row["epoch"] for row in csv.DictReader(handle)] == ["0", "1", "2"]
    assert int(resumed.optimizer.iterations.numpy()) == 3 * (12 // 2)


def test_a_run_in_the_old_layout_is_refused_then_upgraded(
    build_cache, tmp_path, photo_paths, random_encoder
):
    """A cached-feature run written before the common layout (epochs beside log.csv, counted
    from 1, prior.npy) is not silently restarted: it is refused until upgraded in place."""
    import shutil

    from colorkit import training

    folder = build_cache(tmp_path / "c", photo_paths, random_encoder)
    config = gt.GuidedConfig(epochs=2, batch_size=4, width=8, sample_stride=4)
    new = tmp_path / "new"
    gt.train_guided(new, folder, folder, config, verbose=0)
    old = tmp_path / "old"  # the same run as the old code laid it out
    old.mkdir()
    for path in (new / "checkpoints").iterdir():
        shutil.copy(path, old / path.name)
    shutil.copy(new / "ab_prior.npy", old / "prior.npy")
    (old / "config.json").write_text(json.dumps(config.to_dict()))
    with open(new / "log.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    with open(old / "log.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({**row, "epoch": int(row["epoch"]) + 1} for row in rows)

    with pytest.raises(ValueError, match="upgrade_run_folder"):
        gt.train_guided(old, folder, folder, config, verbose=0, resume=True)
    assert gt.upgrade_run_folder(old) and not gt.upgrade_run_folder(old)
    run = training.load_run(old)
    assert run.config == config and run.history["epoch"] == [0.0, 1.0]
    assert (old / "last.keras").read_bytes() == (new / "last.keras").read_bytes()
    assert gt.best_checkpoint(old).name == gt.best_checkpoint(new).name
    resumed = gt.train_guided(old, folder, folder, config, verbose=0, resume=True)  # done
    finished = keras.saving.load_model(new / "last.keras", compile=False)
    for a, b in zip(resumed.get_weights(), finished.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_training_with_balanced_rows_uses_the_quota_and_resumes_only_with_it(
    build_cache, tmp_path, photo_paths, random_encoder
):
    folder = build_cache(tmp_path / "c", photo_paths, random_encoder)  # 6 photos x 2 views
    rows = features.BalancedRows((8, 4), quota=4, seed=0)
    config = gt.GuidedConfig(epochs=1, batch_size=4, width=16, sample_stride=4)
    gt.train_guided(tmp_path / "run", folder, folder, config, verbose=0, rows=rows)
    recorded = json.loads((tmp_path / "run" / "config.json").read_text())
    assert recorded["rows"] == rows.to_dict()
    with open(tmp_path / "run" / "log.csv", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == 1
    # 8 rows of the quota per epoch: 2 steps, not the cache's 12 rows (3 steps).
    model = keras.saving.load_model(tmp_path / "run" / "last.keras", compile=True)
    assert int(model.optimizer.iterations.numpy()) == 2
    with pytest.raises(ValueError, match="other rows per epoch"):
        gt.train_guided(tmp_path / "run", folder, folder, config, verbose=0, resume=True)
    with pytest.raises(ValueError, match="rows describes 5 cache rows"):
        other = features.BalancedRows((5,), 2)
        gt.train_guided(tmp_path / "other", folder, folder, config, verbose=0, rows=other)


def test_real_photo_plan_holds_every_source_and_no_held_out_photo(tmp_path, monkeypatch):
    from colorkit import data
    from colorkit.training import recipes

    rng = np.random.default_rng(0)
    folders = ["imagenet-sample", "bsds500/train", "bsds500/val", "clothing/hat"]
    folders += [f"{name}/train/x" for name in gt.REAL_COLLECTIONS]
    for folder in folders:
        (tmp_path / folder).mkdir(parents=True)
        for index in range(120):
            image = rng.random((20, 24, 3)).astype("float32")
            data.save_image(image, tmp_path / folder / f"{index}.png")
    monkeypatch.setenv("COLORKIT_DATA", str(tmp_path))
    recipe = recipes.get_recipe("default-real")
    train, val = gt.plan_sources(recipe.train_sources, recipe.val_source)
    assert [views for _, views in train] == [6, 8, 3, 1, 1, 1, 1, 1]
    assert len(val) == 1 + len(gt.REAL_COLLECTIONS) and val[0][1] == 2
    training = {path for paths, _ in train for path in paths}
    held_out = {path for paths, _ in val[1:] for path in paths}
    assert held_out and not training & held_out
    assert all(len(paths) <= gt.MULTI_SOURCE_VAL_PHOTOS for paths, _ in val[1:])
    assert recipes.guided_stage_configs(recipe)[0].epochs == 7
    # The default recipe's photos stay the default's: no collection joins them.
    assert not {name for name, _ in gt.DEFAULT_TRAIN_SOURCES} & set(gt.REAL_COLLECTIONS)
