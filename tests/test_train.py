"""Tests of colorkit.training: loss goes down on real photos, run directory, previews, resume."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest

from colorkit import training
from colorkit.models import saving
from colorkit.training import loop

TINY_UNET = {"base_filters": 4, "depth": 1}


@pytest.fixture(scope="module")
def photos(shared_data) -> list[str]:
    """Ten real BSDS500 training photos (481 x 321 JPEG)."""
    paths = sorted((shared_data / "bsds500" / "train").glob("*.jpg"))[:10]
    assert len(paths) == 10
    return [str(p) for p in paths]


def tiny_config(run_dir, photos, **overrides) -> training.TrainConfig:
    values = dict(
        model="unet",
        model_kwargs=dict(TINY_UNET),
        dataset=photos[:8],
        val_dataset=photos[8:10],
        image_size=32,
        batch_size=4,
        epochs=2,
        learning_rate=3e-3,
        preview_images=2,
        progress="none",
        run_dir=str(run_dir),
    )
    values.update(overrides)
    return training.TrainConfig(**values)


def _csv_epochs(run_dir: Path) -> list[int]:
    with open(run_dir / "log.csv", newline="") as stream:
        return [int(row["epoch"]) for row in csv.DictReader(stream)]


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory, photos):
    run_dir = tmp_path_factory.mktemp("runs") / "unet"
    config = tiny_config(run_dir, photos, epochs=3, lr_schedule="cosine")
    history = training.train(config)
    return run_dir, config, history


def test_training_on_real_photos_lowers_the_loss(finished_run):
    _, _, history = finished_run
    loss = history.history["loss"]
    assert len(loss) == 3 and all(np.isfinite(loss))
    assert loss[-1] < loss[0]


def test_run_directory_layout(finished_run):
    run_dir, config, history = finished_run
    checkpoints = run_dir / "checkpoints"
    for name in (
        "epoch_001.keras",
        "epoch_002.keras",
        "epoch_003.keras",
    ):
        assert (checkpoints / name).is_file(), name
    assert (run_dir / "last.keras").is_file() and (run_dir / "best.keras").is_file()
    assert not [p for p in checkpoints.iterdir() if p.name.startswith(".")]  # no temporaries
    assert (run_dir / "log.csv").is_file() and _csv_epochs(run_dir) == [0, 1, 2]
    assert any((run_dir / "tensorboard").rglob("events.out.tfevents*"))
    saved = json.loads((run_dir / "config.json").read_text())
    assert training.TrainConfig.from_dict(saved) == config
    previews = run_dir / "previews"
    for name in ("ground_truth.npy", "gray.npy", "epoch_000.npy", "epoch_003.npy", "epoch_003.png"):
        assert (previews / name).is_file(), name
    # summary.json, as every run folder (cached-feature runs too) has it.
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["epochs_completed"] == 3 and summary["best_epoch"] in (1, 2, 3)
    assert summary["seconds"] > 0 and summary["peak_rss_gib"] > 0
    # Cosine schedule: the learning rate decreases from epoch to epoch.
    rates = training.load_run(run_dir).history["learning_rate"]
    assert rates[0] == pytest.approx(config.learning_rate) and rates[0] > rates[1] > rates[2]


def test_load_run_snapshots(finished_run):
    run_dir, config, _ = finished_run
    run = training.load_run(run_dir)
    assert run.config == config
    assert run.snapshots() == [0, 1, 2, 3]
    truth = run.ground_truth()
    assert truth.dtype == np.uint8 and truth.shape == (2, 32, 32, 3)
    gray = run.gray()
    assert np.abs(gray[..., 0].astype(int) - gray[..., 2]).max() <= 1
    first, last = run.snapshot(0), run.snapshot(3)
    assert first.dtype == np.uint8 and first.shape == truth.shape
    assert not np.array_equal(first, last)  # the model learned something between the two
    assert len(run.history["loss"]) == 3
    assert run.checkpoint("best").is_file() and run.checkpoint(2).name == "epoch_002.keras"
    with pytest.raises(ValueError, match="No preview for epoch 7"):
        run.snapshot(7)
    with pytest.raises(FileNotFoundError, match="config.json"):
        training.load_run(run_dir / "nonexistent")


def test_best_checkpoint_loads_and_colorizes(finished_run):
    from colorkit import infer

    run_dir, _, _ = finished_run
    model = infer.load_model(run_dir / "best.keras")
    assert infer.colorize(np.full((20, 30), 0.4, np.float32), model, size=32).shape == (20, 30, 3)


def test_existing_run_requires_resume(finished_run):
    run_dir, config, _ = finished_run
    with pytest.raises(FileExistsError, match="resume"):
        training.train(config)
    # Resuming a finished run trains nothing and keeps the log.
    history = training.train(config, resume=True)
    assert len(history.history["loss"]) == 3 and _csv_epochs(run_dir) == [0, 1, 2]


def test_zhang_family_uses_prior_and_soft_ce(tmp_path, photos):
    config = tiny_config(
        tmp_path / "zhang",
        photos,
        model="zhang",
        model_kwargs={"width": 0.0625},
        loss_kwargs={"lam": 0.5},
        epochs=1,
        steps_per_epoch=1,
    )
    history = training.train(config)
    run_dir = tmp_path / "zhang"
    prior = np.load(run_dir / "ab_prior.npy")
    weights = np.load(run_dir / "rebalancing_weights.npy")
    assert prior.shape == weights.shape == (313,)
    assert prior.sum() == pytest.approx(1.0, abs=1e-4)
    assert (prior * weights).sum() == pytest.approx(1.0, abs=1e-3)
    assert np.isfinite(history.history["loss"][0])
    preview = training.load_run(run_dir).snapshot(1)
    assert preview.shape == (2, 32, 32, 3)
    from colorkit import infer

    model = infer.load_model(run_dir / "last.keras")
    assert model.output.shape[-1] == 313


def test_numpy_data_backend_and_mixed_precision(tmp_path, photos):
    import keras

    config = tiny_config(
        tmp_path / "numpy",
        photos,
        data_backend="numpy",
        mixed_precision=True,
        epochs=1,
        steps_per_epoch=1,
        preview_images=1,
    )
    history = training.train(config)
    assert np.isfinite(history.history["loss"][0])
    assert keras.config.dtype_policy().name == "float32"  # the global policy is restored
    model = keras.saving.load_model(tmp_path / "numpy" / "last.keras", compile=False)
    assert model.output.dtype == "float32"  # float32 output under mixed_float16
    info = json.loads((tmp_path / "numpy" / "environment.json").read_text())
    assert info["mixed_precision"] is True and info["data_backend"] == "numpy"


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        (dict(epochs=0), "epochs"),
        (dict(lr_schedule="linear"), "lr_schedule"),
        (dict(data_backend="torch"), "data_backend"),
        (dict(mixed_precision="yes"), "mixed_precision"),
        (dict(learning_rate=-1.0), "learning_rate"),
    ],
)
def test_config_validation(tmp_path, overrides, match):
    with pytest.raises(ValueError, match=match):
        training.TrainConfig(run_dir=str(tmp_path), **overrides)


def test_config_wrong_type_is_a_type_error(tmp_path):
    with pytest.raises(TypeError, match="batch_size"):
        training.TrainConfig(run_dir=str(tmp_path), batch_size="8")
    with pytest.raises(TypeError, match="model_kwargs"):
        training.TrainConfig(run_dir=str(tmp_path), model_kwargs=[])


def test_missing_dataset_and_wrong_loss_raise(tmp_path, photos):
    with pytest.raises(FileNotFoundError, match="no_such_folder"):
        training.train(
            tiny_config(tmp_path / "a", photos, dataset=str(tmp_path / "no_such_folder"))
        )
    with pytest.raises(ValueError, match="soft_ce"):
        training.train(tiny_config(tmp_path / "b", photos, loss="soft_ce"))


_TRAIN_SCRIPT = textwrap.dedent(
    """
    import json, sys
    config = json.loads(sys.argv[1])
    setup = sys.argv[2]
    if setup == "two_cpus":
        import tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
        )
    from colorkit import training
    history = training.train(training.TrainConfig(**config), resume=len(sys.argv) > 3)
    print("EPOCHS", len(history.history["loss"]))
    """
)


def _run_script(config: training.TrainConfig, setup: str = "", env_extra=None, **kwargs):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(env_extra or {})}
    args = [sys.executable, "-c", _TRAIN_SCRIPT, json.dumps(config.to_dict()), setup or "none"]
    return subprocess.Popen(
        args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs
    )


@pytest.mark.slow
def test_resume_after_sigkill_mid_training(tmp_path, photos):
    run_dir = tmp_path / "killed"
    config = tiny_config(run_dir, photos, epochs=5, preview_images=1)
    process = _run_script(config)
    first = run_dir / "checkpoints" / "epoch_001.keras"
    deadline = time.monotonic() + 90
    while not first.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert first.exists(), process.communicate()[1][-3000:] if process.poll() is not None else ""
    time.sleep(0.15)  # into the second epoch
    process.send_signal(signal.SIGKILL)
    process.communicate()
    assert process.returncode == -signal.SIGKILL
    done = sorted(
        int(p.stem.split("_")[1]) for p in (run_dir / "checkpoints").glob("epoch_*.keras")
    )
    assert done and done[-1] < 5, "the run finished before it was killed"

    history = training.train(config, resume=True)
    assert len(history.history["loss"]) == 5 - done[-1]  # continued, not restarted
    assert _csv_epochs(run_dir) == [0, 1, 2, 3, 4]  # no duplicated or missing epochs
    run = training.load_run(run_dir)
    assert run.snapshots() == [0, 1, 2, 3, 4, 5]
    assert not [p for p in (run_dir / "checkpoints").iterdir() if p.name.startswith(".")]
    # The optimizer state went on from the checkpoint: 2 steps per epoch (8 photos, batch 4).

    last = saving.load_file(run_dir / "last.keras", compile=True)
    assert int(last.optimizer.iterations.numpy()) == 5 * 2


@pytest.mark.slow
def test_mirrored_strategy_on_two_logical_cpus(tmp_path, photos):
    run_dir = tmp_path / "mirrored"
    config = tiny_config(run_dir, photos, epochs=1, distribute="mirrored", preview_images=1)
    process = _run_script(config, setup="two_cpus")
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err[-3000:]
    assert "EPOCHS 1" in out
    info = json.loads((run_dir / "environment.json").read_text())
    assert info["strategy"] == "MirroredStrategy" and info["replicas"] == 2


@pytest.mark.slow
def test_training_under_the_jax_backend(tmp_path, photos):
    check = subprocess.run(
        [sys.executable, "-c", "import jax"], capture_output=True, env=dict(os.environ)
    )
    if check.returncode != 0:
        pytest.skip("jax is not installed (pip install jax)")
    run_dir = tmp_path / "jax"
    config = tiny_config(run_dir, photos, epochs=1, preview_images=1)
    process = _run_script(config, env_extra={"KERAS_BACKEND": "jax"})
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err[-3000:]
    info = json.loads((run_dir / "environment.json").read_text())
    assert info["backend"] == "jax" and info["data_backend"] == "numpy"
    assert (run_dir / "checkpoints" / "epoch_001.keras").is_file()
    assert (run_dir / "previews" / "epoch_001.npy").is_file()


def test_progress_modes(tmp_path):
    def progress(mode):
        return loop._progress(training.TrainConfig(run_dir=str(tmp_path), progress=mode), 0)

    assert progress("keras") == (1, [])
    assert progress("none") == (0, [])
    verbose, callbacks = progress("tqdm")
    assert verbose == 0 and len(callbacks) == 1
    assert progress("auto")[0] in (1, 2)  # not a notebook: Keras' bar or one line per epoch


class _StopAfter(keras.callbacks.Callback):
    """Raise KeyboardInterrupt at the end of an epoch, as a killed run would stop."""

    def __init__(self, epoch: int):
        super().__init__()
        self.stop_epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 == self.stop_epoch:
            raise KeyboardInterrupt


@pytest.mark.parametrize("backend", ["numpy", "tf"])
def test_resumed_run_equals_an_uninterrupted_one(tmp_path, photos, backend):
    def config(name):
        return tiny_config(
            tmp_path / name, photos, epochs=3, data_backend=backend, preview_images=0, seed=7
        )

    training.train(config("whole"))
    with pytest.raises(KeyboardInterrupt):
        training.train(config("resumed"), callbacks=[_StopAfter(2)])  # killed after epoch 2
    assert _csv_epochs(tmp_path / "resumed") == [0, 1]
    training.train(config("resumed"), resume=True)

    def losses(name):
        with open(tmp_path / name / "log.csv", newline="") as stream:
            return [float(row["loss"]) for row in csv.DictReader(stream)]

    np.testing.assert_allclose(losses("resumed"), losses("whole"), rtol=1e-5)
    whole = saving.load_file(tmp_path / "whole" / "checkpoints" / "epoch_003.keras")
    resumed = saving.load_file(tmp_path / "resumed" / "checkpoints" / "epoch_003.keras")
    for a, b in zip(whole.get_weights(), resumed.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_corrupt_last_checkpoint_falls_back_naming_the_cause(tmp_path):
    from colorkit import models
    from colorkit.training import run_folder

    model = models.build_model("unet", **TINY_UNET)
    model.compile(optimizer="adam", loss="mse")
    good, bad = tmp_path / "epoch_001.keras", tmp_path / "epoch_002.keras"
    model.save(good)
    payload = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as archive:
        member = max(archive.infolist(), key=lambda info: info.compress_size)
    offset = member.header_offset + 30 + len(member.filename.encode()) + len(member.extra)
    payload[offset + member.compress_size // 2] ^= 0xFF  # a valid zip, one bad member
    bad.write_bytes(bytes(payload))
    with pytest.warns(UserWarning, match=r"epoch_002\.keras.*CRC-32"):
        loaded, epoch = run_folder.load_latest_checkpoint(tmp_path, {1: good, 2: bad})
    assert epoch == 1 and loaded is not None
    truncated = tmp_path / "epoch_003.keras"
    truncated.write_bytes(good.read_bytes()[:500])
    with pytest.warns(UserWarning, match=r"epoch_003\.keras.*not a Keras file"):
        run_folder.load_latest_checkpoint(tmp_path, {1: good, 3: truncated})


def test_failed_start_leaves_no_run_folder_and_resume_needs_an_existing_run(tmp_path, photos):
    from colorkit import cli

    run_dir = tmp_path / "bad"
    with pytest.raises(ValueError, match="multiples of the model's stride"):
        training.train(tiny_config(run_dir, photos, image_size=33, model_kwargs={}))
    assert not run_dir.exists()
    code = cli.main(["train", "--resume", "--run-dir", str(tmp_path / "typo"), "--epochs", "1"])
    assert code == 2
    assert not (tmp_path / "typo").exists()
