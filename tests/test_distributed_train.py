"""Multi-worker training: 2 TensorFlow worker processes on loopback, and JAX DataParallel."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from colorkit import data

REPO = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    folder = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(0)
    for index in range(16):
        data.save_image(rng.random((40, 40, 3)).astype(np.float32), folder / f"i{index}.png")
    return folder


def _train_args(images, run_dir, epochs, distribute, *extra):
    return [
        sys.executable, "-m", "colorkit", "train", "--model", "unet",
        "--model-kwargs", '{"base_filters": 4, "depth": 1}', "--data", str(images),
        "--epochs", str(epochs), "--image-size", "32", "--batch-size", "4",
        "--steps-per-epoch", "2", "--preview-images", "1", "--progress", "none",
        "--distribute", distribute, "--run-dir", str(run_dir), *extra,
    ]  # fmt: skip


def _env(**changes) -> dict:
    env = dict(os.environ, PYTHONPATH=str(REPO), CUDA_VISIBLE_DEVICES="")
    env.update(changes)
    return env


def _two_workers(images, run_dir, epochs, *extra) -> list[subprocess.CompletedProcess]:
    ports = [_free_port(), _free_port()]
    cluster = {"worker": [f"127.0.0.1:{port}" for port in ports]}
    scratch = [run_dir.parent / f"tmp{index}" for index in range(2)]
    for folder in scratch:
        folder.mkdir(parents=True, exist_ok=True)
    processes = []
    for index in range(2):
        tf_config = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})
        processes.append(
            subprocess.Popen(
                _train_args(images, run_dir, epochs, "multiworker", *extra),
                env=_env(
                    TF_CONFIG=tf_config, KERAS_BACKEND="tensorflow", TMPDIR=str(scratch[index])
                ),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
    results = []
    for process in processes:
        output, _ = process.communicate(timeout=300)
        results.append(subprocess.CompletedProcess(process.args, process.returncode, output))
    return results


@pytest.mark.slow
def test_multiworker_two_processes_chief_writes_and_resumes(tmp_path, images):
    run_dir = tmp_path / "run"
    first = _two_workers(images, run_dir, 2)
    for result in first:
        assert result.returncode == 0, result.stdout[-3000:]
    # The chief (worker 0) wrote the run folder; worker 1 its own scratch folder.
    assert not list((tmp_path / "tmp0").glob("colorkit-worker-*"))
    (scratch,) = (tmp_path / "tmp1").glob("colorkit-worker-*")
    assert (scratch / "checkpoints" / "epoch_002.keras").is_file()
    checkpoints = sorted(p.name for p in (run_dir / "checkpoints").glob("*.keras"))
    assert checkpoints == ["epoch_001.keras", "epoch_002.keras"]
    environment = json.loads((run_dir / "environment.json").read_text())
    assert environment["strategy"] == "CollectiveAllReduceStrategy"
    assert environment["workers"] == 2

    resumed = _two_workers(images, run_dir, 3, "--resume")
    for result in resumed:
        assert result.returncode == 0, result.stdout[-3000:]
    checkpoints = sorted(p.name for p in (run_dir / "checkpoints").glob("*.keras"))
    assert checkpoints[-1] == "epoch_003.keras" and len(checkpoints) == 3
    assert len((run_dir / "log.csv").read_text().strip().splitlines()) == 1 + 3


@pytest.mark.slow
def test_dataparallel_jax_two_cpu_devices(tmp_path, images):
    pytest.importorskip("jax")
    run_dir = tmp_path / "run"
    env = _env(KERAS_BACKEND="jax", XLA_FLAGS="--xla_force_host_platform_device_count=2")
    result = subprocess.run(
        _train_args(images, run_dir, 1, "dataparallel"),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    environment = json.loads((run_dir / "environment.json").read_text())
    assert (environment["strategy"], environment["replicas"]) == ("DataParallel", 2)
    assert (run_dir / "checkpoints" / "epoch_001.keras").is_file()
