"""Exporting photo folders from git snapshots (colorkit.data.snapshots)."""

from __future__ import annotations

import io
import json
import subprocess

import numpy as np
import pytest
from PIL import Image

from colorkit.data import snapshots


def _jpeg(seed: int, gray: bool = False, size=(48, 40)) -> bytes:
    rng = np.random.default_rng(seed)
    rows = np.linspace(0, 1, size[1])[:, None, None]
    cols = np.linspace(0, 1, size[0])[None, :, None]
    array = 0.5 + 0.4 * np.sin(3 * rows + 4 * cols + rng.random(3) * 6)
    if gray:
        array = np.repeat(array.mean(axis=2, keepdims=True), 3, axis=2)
    buffer = io.BytesIO()
    Image.fromarray(np.uint8(array * 255)).save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def _git(repo, *args):
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


@pytest.fixture
def snapshot(tmp_path):
    """A git repository with color, gray, broken and excluded photos over two commits."""
    repo = tmp_path / "repo"
    (repo / "train" / "cat").mkdir(parents=True)
    (repo / "train" / "skip_me").mkdir()
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "t@example.com")
    _git(repo, "config", "user.name", "t")
    (repo / "train" / "cat" / "a.jpg").write_bytes(_jpeg(0))
    (repo / "train" / "cat" / "g.jpg").write_bytes(_jpeg(1, gray=True))
    (repo / "train" / "cat" / "broken.jpg").write_bytes(b"not a jpeg")
    (repo / "train" / "skip_me" / "c.jpg").write_bytes(_jpeg(2))
    (repo / "README.md").write_text("photos")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "first")
    (repo / "train" / "cat" / "a.jpg").write_bytes(_jpeg(3))  # same path, another photo
    (repo / "train" / "cat" / "small.jpg").write_bytes(_jpeg(4, size=(20, 16)))
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "second")
    return repo / ".git"


def test_export_head_skips_gray_broken_and_excluded(snapshot, tmp_path):
    source = snapshots.SnapshotSource("me/photos", ("train/",), exclude=("skip_me",), min_side=24)
    manifest = snapshots.export_snapshot(snapshot, tmp_path / "out", source, progress=False)
    assert [photo["name"] for photo in manifest["photos"]] == ["train/cat/a.jpg"]
    assert manifest["skipped_reasons"] == {"unreadable": 1, "grayscale": 1, "smaller than 24 px": 1}
    written = (tmp_path / "out" / "train" / "cat" / "a.jpg").read_bytes()
    assert written == _jpeg(3)  # byte for byte, the HEAD version
    saved = json.loads((tmp_path / "out" / snapshots.MANIFEST).read_text())
    assert saved["repository"] == "me/photos" and saved["photos"][0]["blob"]


def test_export_history_keeps_one_version_per_path(snapshot, tmp_path):
    first = subprocess.run(
        ["git", f"--git-dir={snapshot}", "rev-list", "--max-parents=0", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    source = snapshots.SnapshotSource(
        "me/photos", ("train/cat/",), commits=f"{first}..HEAD", min_side=24
    )
    manifest = snapshots.export_snapshot(snapshot, tmp_path / "out", source, progress=False)
    # a.jpg was re-saved in the second commit: one photo, its first version.
    assert [photo["name"] for photo in manifest["photos"]] == ["train/cat/a.jpg"]
    assert (tmp_path / "out" / "train/cat/a.jpg").read_bytes() == _jpeg(0)
    assert manifest["commits"] == [first]
    assert manifest["skipped_reasons"]["another version of an exported path"] == 1


def test_output_names_distinct_when_case_differs():
    taken = set()
    names = [snapshots._output_name(p, "ab" * 20, taken) for p in ("x/A.jpg", "x/a.jpg")]
    assert names[0] == "x/A.jpg" and names[1] == "x/a.abababab.jpg".replace("abababab", "ab" * 5)


def test_export_errors(snapshot, tmp_path):
    with pytest.raises(ValueError, match="No image blobs"):
        snapshots.export_snapshot(
            snapshot, tmp_path / "o", snapshots.SnapshotSource("x/y", ("nowhere/",)), False
        )
    with pytest.raises(ValueError, match="Received: commits='HEAD'"):
        snapshots.list_snapshot_blobs(snapshot, ("train/",), commits="HEAD")
    with pytest.raises(ValueError, match="git"):
        snapshots.list_snapshot_blobs(tmp_path / "missing", ("train/",))
