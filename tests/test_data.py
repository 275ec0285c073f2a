"""Tests of colorkit.data: reading, listing, scanning, splits, registry, downloads, pipelines."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import pickle
import subprocess
import sys
import tarfile
import time

import numpy as np
import pytest
from PIL import Image

from colorkit import data
from colorkit.data import tf_pipeline

# ----------------------------------------------------------------------------------------------
# Helpers: small real-world-like files generated with Pillow
# ----------------------------------------------------------------------------------------------


def _photo(height: int = 24, width: int = 32, seed: int = 0) -> np.ndarray:
    """A smooth, colorful uint8 (H, W, 3) image (JPEG-friendly, not noise)."""
    rng = np.random.default_rng(seed)
    rows = np.linspace(0, 1, height)[:, None]
    cols = np.linspace(0, 1, width)[None, :]
    phase = rng.random(3) * 6
    channels = [0.5 + 0.4 * np.sin(3 * rows + 4 * cols + p) for p in phase]
    return (np.stack(channels, axis=-1) * 255).round().astype(np.uint8)


def _save(path, array_or_image, **kwargs):
    image = (
        Image.fromarray(array_or_image)
        if isinstance(array_or_image, np.ndarray)
        else array_or_image
    )
    image.save(path, **kwargs)
    return str(path)


@pytest.fixture()
def photo_folder(tmp_path):
    """A folder of 6 color photos (mixed formats, a sub-folder), one gray, one corrupt, one text."""
    folder = tmp_path / "photos"
    (folder / "sub").mkdir(parents=True)
    for index, name in enumerate(["a.jpg", "b.PNG", "c.JPEG", "sub/d.webp", "sub/e.bmp"]):
        _save(folder / name, _photo(40, 56, seed=index))
    _save(folder / "sub" / "f.tif", _photo(40, 56, seed=9))
    gray = np.repeat(_photo(40, 56)[..., :1], 3, axis=-1)
    _save(folder / "gray.jpg", gray, quality=80)
    (folder / "notes.jpg").write_text("this is not a JPEG")
    buffer = io.BytesIO()
    Image.fromarray(_photo(64, 64, seed=3)).save(buffer, "JPEG")
    (folder / "truncated.jpg").write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    (folder / "readme.txt").write_text("ignored: not an image extension")
    (folder / ".hidden.jpg").write_text("ignored: hidden")
    return folder


@pytest.fixture()
def photo_tar(tmp_path):
    """An uncompressed tar with train/<class>/*.jpg members, like cifar10/train.tar."""
    path = tmp_path / "train.tar"
    with tarfile.open(path, "w") as tar:
        for label in ("cat", "dog"):
            for index in range(3):
                buffer = io.BytesIO()
                Image.fromarray(_photo(32, 32, seed=index)).save(buffer, "JPEG", quality=90)
                member = tarfile.TarInfo(f"train/{label}/{index:04d}.jpg")
                member.size = buffer.tell()
                buffer.seek(0)
                tar.addfile(member, buffer)
    return str(path)


# ----------------------------------------------------------------------------------------------
# read_image
# ----------------------------------------------------------------------------------------------


def test_read_image_rgb_png_is_exact(tmp_path):
    array = _photo()
    image = data.read_image(_save(tmp_path / "x.png", array))
    assert image.dtype == np.float32 and image.shape == (24, 32, 3)
    np.testing.assert_allclose(image, array / 255.0, atol=1e-6)


@pytest.mark.parametrize("extension", ["jpg", "JPEG", "webp", "bmp", "tif", "tiff", "gif"])
def test_read_image_formats(tmp_path, extension):
    array = _photo()
    image = data.read_image(_save(tmp_path / f"x.{extension}", array))
    assert image.shape == (24, 32, 3) and image.dtype == np.float32
    assert 0.0 <= image.min() and image.max() <= 1.0
    assert np.abs(image - array / 255.0).mean() < 0.05


def test_read_image_grayscale_is_replicated(tmp_path):
    image = data.read_image(_save(tmp_path / "g.png", Image.new("L", (5, 3), 128)))
    assert image.shape == (3, 5, 3)
    np.testing.assert_allclose(image, 128 / 255.0, atol=1e-6)
    bilevel = data.read_image(_save(tmp_path / "b.png", Image.new("1", (4, 4), 1)))
    np.testing.assert_allclose(bilevel, 1.0)


def test_read_image_rgba_and_la_are_composited_on_white(tmp_path):
    rgba = np.zeros((2, 2, 4), dtype=np.uint8)
    rgba[0, 0] = (255, 0, 0, 255)  # opaque red
    rgba[0, 1] = (0, 0, 255, 0)  # fully transparent blue -> white
    rgba[1, :] = (0, 0, 0, 128)  # half-transparent black -> mid gray
    image = data.read_image(_save(tmp_path / "a.png", rgba))
    np.testing.assert_allclose(image[0, 0], [1, 0, 0], atol=1e-6)
    np.testing.assert_allclose(image[0, 1], [1, 1, 1], atol=1e-6)
    np.testing.assert_allclose(image[1, 0], [127 / 255] * 3, atol=2 / 255)
    la = data.read_image(_save(tmp_path / "la.png", Image.new("LA", (2, 2), (0, 0))))
    np.testing.assert_allclose(la, 1.0)


def test_read_image_palette_with_and_without_transparency(tmp_path):
    palette = Image.new("P", (3, 1))
    palette.putpalette([255, 0, 0, 0, 255, 0] + [0] * 762)
    palette.putdata([0, 1, 0])
    image = data.read_image(_save(tmp_path / "p.png", palette))
    np.testing.assert_allclose(image[0], [[1, 0, 0], [0, 1, 0], [1, 0, 0]])
    transparent = data.read_image(_save(tmp_path / "pt.png", palette, transparency=1))
    np.testing.assert_allclose(transparent[0], [[1, 0, 0], [1, 1, 1], [1, 0, 0]])


def test_read_image_16_bit_png_is_scaled_by_65535(tmp_path):
    values = np.array([[0, 32768, 65535]], dtype=np.uint16)
    path = _save(tmp_path / "deep.png", Image.fromarray(values))
    with Image.open(path) as check:
        assert check.mode in ("I;16", "I")
    image = data.read_image(path)
    assert image.dtype == np.float32 and image.shape == (1, 3, 3)
    np.testing.assert_allclose(image[0, :, 0], [0, 32768 / 65535, 1], atol=1e-7)
    np.testing.assert_array_equal(image[..., 0], image[..., 2])


def test_read_image_cmyk_jpeg(tmp_path):
    cmyk = Image.new("CMYK", (8, 8), (0, 255, 255, 0))  # red ink
    image = data.read_image(_save(tmp_path / "cmyk.jpg", cmyk, quality=95))
    assert image.shape == (8, 8, 3)
    red, green, blue = image.reshape(-1, 3).mean(axis=0)
    assert red > 0.9 and green < 0.1 and blue < 0.1


def test_read_image_applies_exif_orientation(tmp_path):
    array = np.zeros((20, 40, 3), dtype=np.uint8)
    array[:, :20] = (255, 0, 0)  # left half red
    array[:, 20:] = (0, 0, 255)  # right half blue
    exif = Image.Exif()
    exif[0x0112] = 6  # stored image must be rotated 90 degrees clockwise for display
    path = _save(tmp_path / "rotated.jpg", array, exif=exif.tobytes(), quality=95)
    image = data.read_image(path)
    assert image.shape == (40, 20, 3)
    assert image[5, 10, 0] > 0.8 and image[5, 10, 2] < 0.2  # top is red
    assert image[35, 10, 2] > 0.8 and image[35, 10, 0] < 0.2  # bottom is blue


def test_read_image_errors_name_the_file(photo_folder, tmp_path):
    for name, cause in [("notes.jpg", "UnidentifiedImageError"), ("truncated.jpg", "truncated")]:
        path = str(photo_folder / name)
        with pytest.raises(data.ImageReadError, match=cause) as info:
            data.read_image(path)
        assert path in str(info.value)
        assert isinstance(info.value, ValueError)
    with pytest.raises(FileNotFoundError, match="missing.jpg"):
        data.read_image(tmp_path / "missing.jpg")
    with pytest.raises(data.ImageReadError, match="directory"):
        data.read_image(tmp_path)
    with pytest.raises(TypeError, match="Received: path=3"):
        data.read_image(3)


def test_read_image_from_tar_member(photo_tar):
    image = data.read_image(f"{photo_tar}::train/dog/0001.jpg")
    assert image.shape == (32, 32, 3) and image.dtype == np.float32
    assert np.abs(image - _photo(32, 32, seed=1) / 255.0).mean() < 0.03
    with pytest.raises(FileNotFoundError, match="train/dog/9999.jpg"):
        data.read_image(f"{photo_tar}::train/dog/9999.jpg")
    with pytest.raises(FileNotFoundError, match="nowhere.tar"):
        data.read_image(f"{photo_tar}/nowhere.tar::a.jpg")


def test_compressed_tar_is_refused_with_advice(tmp_path, photo_tar):
    compressed = tmp_path / "train.tar.gz"
    with tarfile.open(compressed, "w:gz") as tar:
        tar.add(photo_tar, arcname="inner.tar")
    with pytest.raises(ValueError, match="extract them first"):
        data.list_images(f"{compressed}::")


# ----------------------------------------------------------------------------------------------
# is_grayscale
# ----------------------------------------------------------------------------------------------


def test_is_grayscale_tolerates_jpeg_noise_but_not_tints(tmp_path):
    gray = np.repeat(_photo(48, 64)[..., :1], 3, axis=-1)
    reread = data.read_image(_save(tmp_path / "gray.jpg", gray, quality=70))
    assert data.is_grayscale(reread)
    assert data.is_grayscale(gray)  # uint8 accepted
    assert not data.is_grayscale(data.read_image(_save(tmp_path / "c.jpg", _photo(48, 64))))
    sepia = np.clip(reread * np.float32([1.07, 1.0, 0.85]), 0, 1)
    assert not data.is_grayscale(sepia)
    spot = reread.copy()
    spot[:8, :8] = [1.0, 0.0, 0.0]  # a small red object on a gray photo: 2 % of pixels
    assert not data.is_grayscale(spot)
    assert data.is_grayscale(spot, tolerance=1.0)


@pytest.mark.parametrize(
    ("image", "error", "match"),
    [
        (np.zeros((4, 4), np.float32), ValueError, r"Received: image.shape=\(4, 4\)"),
        (np.zeros((4, 4, 4), np.float32), ValueError, r"expected \(H, W, 3\)"),
        (np.full((4, 4, 3), 1.5, np.float32), ValueError, r"in \[0, 1\]"),
        (np.full((4, 4, 3), np.nan, np.float32), ValueError, "finite"),
        (np.zeros((4, 4, 3), np.int32), TypeError, "image.dtype=int32"),
        ([[0.0, 0.0, 0.0]], TypeError, "NumPy array"),
    ],
)
def test_is_grayscale_validates(image, error, match):
    with pytest.raises(error, match=match):
        data.is_grayscale(image)


def test_is_grayscale_validates_tolerance():
    with pytest.raises(ValueError, match="Received: tolerance=-0.1"):
        data.is_grayscale(np.zeros((2, 2, 3), np.float32), tolerance=-0.1)


# ----------------------------------------------------------------------------------------------
# list_images / scan_images
# ----------------------------------------------------------------------------------------------


def test_list_images_recursive_case_insensitive(photo_folder):
    names = [os.path.relpath(p, photo_folder) for p in data.list_images(photo_folder)]
    assert names == sorted(names)
    assert set(names) == {
        "a.jpg",
        "b.PNG",
        "c.JPEG",
        "gray.jpg",
        "notes.jpg",
        "truncated.jpg",
        os.path.join("sub", "d.webp"),
        os.path.join("sub", "e.bmp"),
        os.path.join("sub", "f.tif"),
    }
    top = data.list_images(str(photo_folder), recursive=False)
    assert not any(os.sep + "sub" + os.sep in p for p in top) and len(top) == 6
    assert data.list_images(photo_folder / "a.jpg") == [str(photo_folder / "a.jpg")]
    assert data.list_images([photo_folder / "a.jpg"]) == [str(photo_folder / "a.jpg")]


def test_list_images_errors(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="No image files .* found in folder .*empty"):
        data.list_images(tmp_path / "empty")
    with pytest.raises(FileNotFoundError, match="nope"):
        data.list_images(tmp_path / "nope")
    with pytest.raises(ValueError, match=r"Received: source=\[\]"):
        data.list_images([])
    with pytest.raises(TypeError, match="Received: source=5"):
        data.list_images(5)


def test_list_images_tar_and_prefix(photo_tar):
    paths = data.list_images(photo_tar)
    assert len(paths) == 6 and paths[0] == f"{photo_tar}::train/cat/0000.jpg"
    assert len(data.list_images(f"{photo_tar}::train/dog/")) == 3
    with pytest.raises(ValueError, match="under prefix 'train/bird/'"):
        data.list_images(f"{photo_tar}::train/bird/")


def test_scan_images_reports_every_dropped_file(photo_folder):
    with pytest.warns(UserWarning, match="Skipped 2 unreadable"):
        report = data.scan_images(photo_folder, progress=False)
    assert len(report.paths) == 6
    assert report.grayscale == [str(photo_folder / "gray.jpg")]
    skipped = dict(report.skipped)
    assert set(skipped) == {str(photo_folder / "notes.jpg"), str(photo_folder / "truncated.jpg")}
    assert "truncated" in skipped[str(photo_folder / "truncated.jpg")]
    assert report.sizes[str(photo_folder / "a.jpg")] == (40, 56)
    assert report.num_files == 9
    summary = report.summary()
    assert "9 image files, 6 usable, 1 grayscale (skipped), 2 unreadable" in summary
    assert "notes.jpg" in summary

    with pytest.warns(UserWarning):
        kept = data.scan_images(photo_folder, skip_grayscale=False, progress=False)
    assert str(photo_folder / "gray.jpg") in kept.paths and len(kept.paths) == 7
    assert "grayscale (kept)" in kept.summary()

    listed = data.scan_images(photo_folder, check=False)
    assert len(listed.paths) == 9 and not listed.skipped and "not decoded" in listed.summary()


def test_scan_images_without_color_raises(tmp_path):
    folder = tmp_path / "bw"
    folder.mkdir()
    _save(folder / "g.png", Image.new("L", (8, 8), 40))
    with pytest.raises(ValueError, match="No usable color image in .*bw"):
        data.scan_images(folder, progress=False)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="empty"):
        data.scan_images(tmp_path / "empty")
    with pytest.raises(ValueError, match="Received: num_workers=0"):
        data.scan_images(folder, num_workers=0)


@pytest.mark.data
def test_scan_imagenet_sample_finds_grayscale_photos(shared_data):
    report = data.scan_images(shared_data / "imagenet-sample", progress=False)
    total = report.num_files
    assert total == 800 and not report.skipped
    assert 0.01 * total <= len(report.grayscale) <= 0.05 * total  # about 3 %
    assert len(report.paths) == total - len(report.grayscale)
    gray = data.read_image(report.grayscale[0])
    assert data.is_grayscale(gray)


@pytest.mark.data
def test_scan_cifar10_tar_without_decoding_is_cheap(shared_data):
    start = time.perf_counter()
    report = data.scan_images(shared_data / "cifar10" / "train.tar", check=False)
    assert len(report.paths) == 50_000
    assert time.perf_counter() - start < 10
    assert report.paths[0].endswith("train.tar::train/airplane/0000.jpg")
    assert data.read_image(report.paths[-1]).shape == (32, 32, 3)


# ----------------------------------------------------------------------------------------------
# split_paths
# ----------------------------------------------------------------------------------------------


def test_split_paths_is_deterministic_and_order_independent():
    paths = [f"img_{i:03d}.jpg" for i in range(101)]
    train, val, test = data.split_paths(paths, seed=3)
    assert (len(train), len(val), len(test)) == (81, 10, 10)
    assert sorted(train + val + test) == paths
    shuffled = list(np.random.default_rng(1).permutation(paths))
    assert data.split_paths(shuffled, seed=3) == (train, val, test)
    assert data.split_paths(paths, seed=4) != (train, val, test)
    halves = data.split_paths(paths, fractions=(0.5, 0.5))
    assert len(halves) == 2 and len(halves[0]) == 50


def test_split_paths_validates():
    paths = ["a.jpg", "b.jpg"]
    with pytest.raises(ValueError, match=r"Received: paths=\[\]"):
        data.split_paths([])
    with pytest.raises(TypeError, match="single path"):
        data.split_paths("a.jpg")
    with pytest.raises(ValueError, match="sum to 1. Received: fractions"):
        data.split_paths(paths, fractions=(0.5, 0.2))
    with pytest.raises(ValueError, match="non-negative"):
        data.split_paths(paths, fractions=(1.5, -0.5))
    with pytest.raises(ValueError, match="Received: fractions='ab'"):
        data.split_paths(paths, fractions="ab")
    with pytest.raises(ValueError, match="Received: seed=-1"):
        data.split_paths(paths, seed=-1)
    with pytest.warns(UserWarning, match="1 duplicate"):
        train, val, test = data.split_paths(["a.jpg", "a.jpg", "b.jpg"], fractions=(1, 0, 0))
    assert train == ["a.jpg", "b.jpg"] or train == ["b.jpg", "a.jpg"]


# ----------------------------------------------------------------------------------------------
# Registry, dataset cards, samples
# ----------------------------------------------------------------------------------------------


def test_registry_entries():
    assert {"bsds500", "cifar10", "imagenet-sample", "samples", "utkface"} <= set(
        data.available_datasets()
    )
    for info in data.DATASETS.values():
        assert info.licence and info.description
    assert data.DATASETS["cifar10"].sha256 and data.DATASETS["imagenet-sample"].url is None
    assert set(data.DATASETS["bsds500"].splits) == {"train", "val", "test"}


def test_registry_errors(monkeypatch, tmp_path):
    with pytest.raises(ValueError, match="Received: name='mnist'"):
        data.dataset_paths("mnist")
    with pytest.raises(ValueError, match="Received: split='validation'"):
        data.dataset_paths("bsds500", split="validation")
    with pytest.raises(ValueError, match="sample_paths"):
        data.dataset_root("samples")
    monkeypatch.setenv("COLORKIT_DATA", str(tmp_path))
    monkeypatch.setitem(
        data.DATASETS, "nowhere", data.DatasetInfo("nowhere", "test", "none", folder="nowhere-x")
    )
    with pytest.raises(FileNotFoundError, match="not found. Looked in: .*nowhere-x") as info:
        data.dataset_root("nowhere")
    assert str(tmp_path / "nowhere-x") in str(info.value)
    assert "no public download" in str(info.value)


def test_hashed_splits_are_stable_and_held_out(monkeypatch, tmp_path):
    from colorkit.data import datasets

    folder = tmp_path / "imagenette" / "train" / "n01"
    folder.mkdir(parents=True)
    for index in range(60):
        _save(folder / f"{index}.jpg", _photo())
    monkeypatch.setenv("COLORKIT_DATA", str(tmp_path))
    splits = {split: data.dataset_paths("imagenette", split) for split in ("train", "val", "test")}
    every = data.dataset_paths("imagenette")
    assert sorted(sum(splits.values(), [])) == sorted(every) and len(every) == 60
    assert not set(splits["val"]) & set(splits["test"])
    # A photo's split depends on its own name: adding photos moves none of the others.
    for index in range(60, 120):
        _save(folder / f"{index}.jpg", _photo())
    again = data.dataset_paths("imagenette", "val")
    assert set(splits["val"]) <= set(again)
    fractions = [datasets.hashed_split(f"a/{i}.jpg") for i in range(20000)]
    assert abs(fractions.count("val") / 20000 - 0.025) < 0.005
    assert abs(fractions.count("test") / 20000 - 0.025) < 0.005
    with pytest.raises(ValueError, match="Received: held_out="):
        datasets.hashed_split("a.jpg", (0.7, 0.6))


def test_dataset_root_prefers_colorkit_data(monkeypatch, tmp_path):
    for split in ("train", "val"):
        (tmp_path / "bsds500" / split).mkdir(parents=True)
        _save(tmp_path / "bsds500" / split / f"{split}.jpg", _photo())
    monkeypatch.setenv("COLORKIT_DATA", str(tmp_path))
    assert data.dataset_root("bsds500") == tmp_path / "bsds500"
    assert data.dataset_paths("bsds500", "val") == [str(tmp_path / "bsds500" / "val" / "val.jpg")]
    assert len(data.dataset_paths("bsds500")) == 2


def test_default_data_root_is_the_user_cache_outside_a_checkout(monkeypatch, tmp_path):
    # Installed from a wheel there is no <repo>/data: ~/.cache/colorkit (XDG_CACHE_HOME) is the
    # documented place, and the names resolve there from any working directory.
    monkeypatch.delenv("COLORKIT_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(data.datasets, "_REPO_ROOT", tmp_path / "site-packages")
    assert data.default_data_root() == tmp_path / "cache" / "colorkit"
    folder = tmp_path / "cache" / "colorkit" / "bsds500" / "test"
    folder.mkdir(parents=True)
    _save(folder / "a.jpg", _photo())
    assert data.dataset_root("bsds500") == folder.parent
    monkeypatch.setenv("COLORKIT_DATA", str(tmp_path / "elsewhere"))
    assert data.default_data_root() == tmp_path / "elsewhere"
    with pytest.raises(FileNotFoundError) as info:  # not there: says where to put it
        data.dataset_root("bsds500")
    message = str(info.value)
    assert str(tmp_path / "elsewhere" / "bsds500") + "/ (train/val/test)" in message
    assert "BSR_bsds500.tgz" in message and "sha256=" in message


@pytest.mark.data
def test_shared_datasets_resolve(shared_data, monkeypatch):
    monkeypatch.delenv("COLORKIT_DATA", raising=False)
    counts = {
        split: len(data.dataset_paths("bsds500", split)) for split in ("train", "val", "test")
    }
    assert counts == {"train": 200, "val": 100, "test": 200}
    assert len(data.dataset_paths("imagenet-sample")) == 800
    assert len(data.dataset_paths("cifar10", "train")) == 50_000
    card = data.dataset_card("bsds500", progress=False)
    assert card.num_images + card.num_grayscale == 500 and not card.skipped
    assert card.min_resolution == (321, 321) and card.max_resolution == (481, 481)
    markdown = card.to_markdown()
    assert "## Dataset card: bsds500" in markdown and "non-commercial" in markdown


def test_dataset_card_of_a_folder(photo_folder):
    with pytest.warns(UserWarning):
        card = data.dataset_card(photo_folder, progress=False)
    assert (card.num_files, card.num_images, card.num_grayscale) == (9, 6, 1)
    assert len(card.skipped) == 2
    assert card.min_resolution == card.median_resolution == card.max_resolution == (40, 56)
    markdown = card.to_markdown()
    assert "| usable color images | 6 |" in markdown and "truncated.jpg" in markdown
    unchecked = data.dataset_card(photo_folder, check=False)
    assert unchecked.min_resolution is None and "not checked" in unchecked.to_markdown()


def test_samples_are_real_color_photos():
    paths = data.sample_paths()
    assert {"china", "flower", "grace_hopper"} <= set(paths)  # scikit-learn and matplotlib
    assert all(os.path.isfile(p) for p in paths.values())
    samples = data.load_samples(size=32)
    assert set(samples) == set(paths)
    for image in samples.values():
        assert image.shape == (32, 32, 3) and image.dtype == np.float32
        assert not data.is_grayscale(image)
    assert data.dataset_paths("samples") == list(paths.values())


# ----------------------------------------------------------------------------------------------
# download_dataset (local file:// URLs only; nothing is fetched from the network)
# ----------------------------------------------------------------------------------------------


def _file_url(path) -> str:
    return path.resolve().as_uri()


def _sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture()
def fake_bsds(tmp_path):
    archive = tmp_path / "BSR_bsds500.tgz"
    with tarfile.open(archive, "w:gz") as tar:
        for split, count in (("train", 2), ("val", 1), ("test", 1)):
            for index in range(count):
                buffer = io.BytesIO()
                Image.fromarray(_photo(seed=index)).save(buffer, "JPEG")
                member = tarfile.TarInfo(f"BSR/BSDS500/data/images/{split}/{index}.jpg")
                member.size = buffer.tell()
                buffer.seek(0)
                tar.addfile(member, buffer)
        readme = tarfile.TarInfo("BSR/BSDS500/data/groundTruth/train/0.mat")
        readme.size = 3
        tar.addfile(readme, io.BytesIO(b"mat"))
    return archive


def test_download_refuses_unknown_and_unavailable(tmp_path):
    with pytest.raises(ValueError, match="Received: name='mnist'"):
        data.download_dataset("mnist", tmp_path)
    with pytest.raises(ValueError, match="no public download"):
        data.download_dataset("imagenet-sample", tmp_path)
    with pytest.raises(ValueError, match="needs no download"):
        data.download_dataset("samples", tmp_path)
    assert not any(tmp_path.iterdir())


def test_download_verifies_and_extracts_bsds500(monkeypatch, tmp_path, fake_bsds):
    info = data.DATASETS["bsds500"]
    fake = dataclasses.replace(info, url=_file_url(fake_bsds), sha256=_sha256(fake_bsds))
    monkeypatch.setitem(data.DATASETS, "bsds500", fake)
    root = tmp_path / "root"
    folder = data.download_dataset("bsds500", root, progress=False)
    assert folder == root / "bsds500"
    assert sorted(p.name for p in folder.iterdir()) == ["test", "train", "val"]
    assert len(list((folder / "train").iterdir())) == 2
    assert not list((root / ".downloads").iterdir())  # the archive is removed after extraction
    monkeypatch.setenv("COLORKIT_DATA", str(root))
    assert len(data.dataset_paths("bsds500", "train")) == 2
    # An existing copy is kept (no second download) unless overwrite=True.
    monkeypatch.setitem(data.DATASETS, "bsds500", dataclasses.replace(fake, url="file:///x"))
    assert data.download_dataset("bsds500", root) == folder


def test_download_rejects_a_checksum_mismatch(monkeypatch, tmp_path, fake_bsds):
    fake = dataclasses.replace(data.DATASETS["bsds500"], url=_file_url(fake_bsds), sha256="0" * 64)
    monkeypatch.setitem(data.DATASETS, "bsds500", fake)
    root = tmp_path / "root"
    with pytest.raises(ValueError, match="SHA-256 mismatch .* expected 0000"):
        data.download_dataset("bsds500", root, progress=False)
    assert not (root / "bsds500").exists()
    assert not list((root / ".downloads").iterdir())


def test_download_without_pinned_hash_is_refused_before_fetching(monkeypatch, tmp_path, fake_bsds):
    fake = dataclasses.replace(data.DATASETS["bsds500"], url=_file_url(fake_bsds), sha256=None)
    monkeypatch.setitem(data.DATASETS, "bsds500", fake)
    root = tmp_path / "root"
    with pytest.raises(ValueError, match="Refusing to download 'bsds500'.*no SHA-256.*sha256="):
        data.download_dataset("bsds500", root, progress=False)
    assert not root.exists()  # nothing fetched, nothing unpacked
    # A hash the user trusts makes it verifiable: right -> unpacked, wrong -> refused.
    with pytest.raises(ValueError, match="SHA-256 mismatch"):
        data.download_dataset("bsds500", root, progress=False, sha256="1" * 64)
    assert not (root / "bsds500").exists()
    folder = data.download_dataset("bsds500", root, progress=False, sha256=_sha256(fake_bsds))
    assert len(list((folder / "train").iterdir())) == 2


def test_every_registered_download_is_pinned_https_or_needs_a_hash():
    for info in data.DATASETS.values():
        if info.url is None:
            continue
        assert info.url.startswith("https://"), info.url
        if info.sha256 is not None:
            assert len(info.sha256) == 64 and int(info.sha256, 16) >= 0
    with pytest.raises(ValueError, match="64 hex digits"):
        data.download_dataset("bsds500", "/nonexistent-root", sha256="abc")


def test_plain_http_download_is_refused(monkeypatch, tmp_path):
    fake = dataclasses.replace(
        data.DATASETS["bsds500"], url="http://example.invalid/x.tgz", sha256="0" * 64
    )
    monkeypatch.setitem(data.DATASETS, "bsds500", fake)
    with pytest.raises(ValueError, match="expected https"):
        data.download_dataset("bsds500", tmp_path / "root", progress=False)


def test_download_converts_cifar10_pickles_to_a_jpeg_tar(monkeypatch, tmp_path):
    source = tmp_path / "cifar-10-batches-py"
    source.mkdir()
    classes = [name.encode() for name in ("airplane", "automobile", "bird")]
    (source / "batches.meta").write_bytes(pickle.dumps({b"label_names": classes}))
    for batch in range(1, 6):
        pixels = np.stack([_photo(32, 32, seed=batch * 2 + i).transpose(2, 0, 1) for i in (0, 1)])
        content = {b"data": pixels.reshape(2, -1), b"labels": [batch % 3, 2]}
        (source / f"data_batch_{batch}").write_bytes(pickle.dumps(content))
    archive = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(source, arcname="cifar-10-batches-py")
    fake = dataclasses.replace(
        data.DATASETS["cifar10"], url=_file_url(archive), sha256=_sha256(archive)
    )
    monkeypatch.setitem(data.DATASETS, "cifar10", fake)
    folder = data.download_dataset("cifar10", tmp_path / "root", progress=False)
    paths = data.list_images(folder / "train.tar")
    assert len(paths) == 10
    assert paths[0].endswith("train.tar::train/airplane/0000.jpg")
    assert sum(p.split("::")[1].startswith("train/bird/") for p in paths) == 7
    image = data.read_image(paths[0])
    assert image.shape == (32, 32, 3)


# ----------------------------------------------------------------------------------------------
# load_images / preload_crops
# ----------------------------------------------------------------------------------------------


@pytest.fixture()
def halves_png(tmp_path):
    """64x32 (W x H): red, green, green, blue quarters from left to right."""
    array = np.zeros((32, 64, 3), dtype=np.uint8)
    array[:, :16] = (255, 0, 0)
    array[:, 16:48] = (0, 255, 0)
    array[:, 48:] = (0, 0, 255)
    return _save(tmp_path / "halves.png", array)


def test_load_images_crops(halves_png):
    center = data.load_images([halves_png], 16)
    assert center.shape == (1, 16, 16, 3) and center.dtype == np.float32
    np.testing.assert_allclose(center[0].mean(axis=(0, 1)), [0, 1, 0], atol=0.02)
    squeezed = data.load_images([halves_png], 16, crop="resize")
    assert squeezed[0, 8, 0, 0] > 0.9 and squeezed[0, 8, -1, 2] > 0.9
    first = data.load_images([halves_png] * 4, 16, crop="random", seed=1)
    again = data.load_images([halves_png] * 4, 16, crop="random", seed=1)
    np.testing.assert_array_equal(first, again)
    assert len({float(crop[..., 0].mean()) for crop in first}) > 1  # crops differ
    assert 0 <= first.min() and first.max() <= 1


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"size": 0}, ValueError, "Received: size=0"),
        ({"size": -3}, ValueError, "Received: size=-3"),
        ({"size": 1.5}, TypeError, "Received: size=1.5"),
        ({"size": True}, TypeError, "Received: size=True"),
        ({"size": 8, "crop": "middle"}, ValueError, "Received: crop='middle'"),
    ],
)
def test_load_images_validates(halves_png, kwargs, error, match):
    with pytest.raises(error, match=match):
        data.load_images([halves_png], **kwargs)


def test_load_images_path_errors(halves_png, photo_folder):
    with pytest.raises(ValueError, match=r"Received: paths=\[\]"):
        data.load_images([], 8)
    with pytest.raises(TypeError, match="single path"):
        data.load_images(halves_png, 8)
    with pytest.raises(data.ImageReadError, match="notes.jpg"):
        data.load_images([halves_png, photo_folder / "notes.jpg"], 8)


def test_preload_crops(halves_png, photo_tar):
    crops = data.preload_crops([halves_png, f"{photo_tar}::train/cat/0000.jpg"], 16, scale=1.25)
    assert crops.shape == (2, 20, 20, 3) and crops.dtype == np.uint8
    assert data.preload_crops([halves_png], 16, scale=1).shape == (1, 16, 16, 3)
    with pytest.raises(ValueError, match="Received: scale=0.5"):
        data.preload_crops([halves_png], 16, scale=0.5)
    with pytest.raises(ValueError, match="Received: size=0"):
        data.preload_crops([halves_png], 0)


# ----------------------------------------------------------------------------------------------
# Pipelines
# ----------------------------------------------------------------------------------------------


def test_import_does_not_load_tensorflow_or_keras():
    code = "import sys, colorkit.data; print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.split() == ["False", "False"]


@pytest.fixture()
def color_paths(tmp_path):
    folder = tmp_path / "color"
    folder.mkdir()
    return [_save(folder / f"{i}.png", _photo(24 + 4 * i, 40, seed=i)) for i in range(5)]


def _check_batch(lightness, chroma, batch, size, space):
    lightness, chroma = np.asarray(lightness), np.asarray(chroma)
    assert lightness.shape == (batch, size, size, 1) and lightness.dtype == np.float32
    assert chroma.shape == (batch, size, size, 2) and chroma.dtype == np.float32
    assert 0 <= lightness.min() and lightness.max() <= 1
    if space == "lab":
        assert -1 <= chroma.min() and chroma.max() <= 1 and np.abs(chroma).max() > 0.05
    else:
        assert 0 <= chroma.min() and chroma.max() <= 1


@pytest.mark.parametrize("space", ["lab", "yuv"])
def test_py_dataset_from_preloaded_crops(color_paths, space):
    crops = data.preload_crops(color_paths, 16, scale=1.25, progress=False)
    dataset = data.ColorPyDataset(crops, image_size=16, batch_size=2, space=space, seed=5)
    assert len(dataset) == 3
    lightness, chroma = dataset[0]
    _check_batch(lightness, chroma, 2, 16, space)
    assert np.asarray(dataset[2][0]).shape[0] == 1  # remainder kept
    twin = data.ColorPyDataset(crops, image_size=16, batch_size=2, space=space, seed=5)
    np.testing.assert_array_equal(twin[1][1], dataset[1][1])  # deterministic by seed
    first_epoch = [np.asarray(dataset[i][0]) for i in range(len(dataset))]
    dataset.on_epoch_end()
    second_epoch = [np.asarray(dataset[i][0]) for i in range(len(dataset))]
    assert any(not np.array_equal(a, b) for a, b in zip(first_epoch, second_epoch, strict=True))


def test_py_dataset_from_paths_matches_center_crops(color_paths):
    dataset = data.ColorPyDataset(
        color_paths, image_size=16, batch_size=5, augment=False, shuffle=False
    )
    lightness, chroma = dataset[0]
    _check_batch(lightness, chroma, 5, 16, "lab")
    from colorkit import color

    expected_l, expected_ab = color.encode_lab(data.load_images(color_paths, 16))
    np.testing.assert_allclose(lightness, expected_l, atol=1e-5)
    np.testing.assert_allclose(chroma, expected_ab, atol=1e-5)
    augmented = data.ColorPyDataset(color_paths, image_size=16, batch_size=2, seed=1)
    _check_batch(*augmented[0], 2, 16, "lab")
    with pytest.raises(IndexError, match="Received: batch_index=3"):
        augmented[3]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"image_size": 0}, ValueError, "Received: image_size=0"),
        ({"batch_size": 2.0}, TypeError, "Received: batch_size=2.0"),
        ({"space": "hsv"}, ValueError, "Received: space='hsv'"),
        ({"scale_jitter": (0.5, 1.0)}, ValueError, "Received: scale_jitter"),
        ({"seed": -1}, ValueError, "Received: seed=-1"),
        ({"image_size": 64}, ValueError, "at least image_size=64"),
        ({"batch_size": 99, "drop_remainder": True}, ValueError, "Received: batch_size=99"),
    ],
)
def test_py_dataset_validates(kwargs, error, match):
    crops = np.zeros((3, 20, 20, 3), np.uint8)
    with pytest.raises(error, match=match):
        data.ColorPyDataset(crops, **{"image_size": 16, **kwargs})


def test_py_dataset_rejects_bad_sources():
    with pytest.raises(ValueError, match="source.dtype=float32"):
        data.ColorPyDataset(np.zeros((3, 20, 20, 3), np.float32))
    with pytest.raises(ValueError, match=r"Received: source=\[\]"):
        data.ColorPyDataset([])


def _first_batch(dataset):
    return [np.asarray(t) for t in next(iter(dataset))]


@pytest.mark.parametrize("space", ["lab", "yuv"])
def test_tf_dataset_batches_and_determinism(color_paths, space):
    kwargs = dict(image_size=16, batch_size=2, space=space, seed=3)
    dataset = data.make_tf_dataset(color_paths, **kwargs)
    batches = [[np.asarray(t) for t in batch] for batch in dataset]
    assert [b[0].shape[0] for b in batches] == [2, 2, 1]
    _check_batch(*batches[0], 2, 16, space)
    again = _first_batch(data.make_tf_dataset(color_paths, **kwargs))
    np.testing.assert_array_equal(again[1], batches[0][1])
    second_epoch = _first_batch(dataset)
    assert not np.array_equal(second_epoch[1], batches[0][1])  # reshuffled and re-augmented
    dropped = data.make_tf_dataset(color_paths, drop_remainder=True, **kwargs)
    assert sum(1 for _ in dropped) == 2


def test_tf_dataset_matches_numpy_path_without_augmentation(color_paths):
    tf_batch = _first_batch(
        data.make_tf_dataset(color_paths, 16, batch_size=5, augment=False, shuffle=False)
    )
    py_batch = data.ColorPyDataset(
        color_paths, image_size=16, batch_size=5, augment=False, shuffle=False
    )[0]
    for tf_tensor, py_tensor in zip(tf_batch, py_batch, strict=True):
        assert np.abs(tf_tensor - np.asarray(py_tensor)).mean() < 0.01


def test_tf_dataset_reads_archives_odd_files_and_caches(tmp_path, photo_tar):
    rgba = np.dstack([_photo(30, 30), np.full((30, 30), 255, np.uint8)])
    exif = Image.Exif()
    exif[0x0112] = 6
    odd = [
        _save(tmp_path / "alpha.png", rgba),
        _save(tmp_path / "rotated.jpg", _photo(20, 40), exif=exif.tobytes()),
        _save(tmp_path / "deep.png", Image.fromarray(np.full((20, 20), 30000, np.uint16))),
        f"{photo_tar}::train/cat/0001.jpg",
    ]
    assert [tf_pipeline.tf_decodable(p) for p in odd] == [False] * 4
    assert tf_pipeline.tf_decodable(_save(tmp_path / "plain.jpg", _photo()))
    for cache in (True, str(tmp_path / "cache")):
        dataset = data.make_tf_dataset(odd, image_size=12, batch_size=4, cache=cache, seed=1)
        first, second = _first_batch(dataset), _first_batch(dataset)
        _check_batch(*first, 4, 12, "lab")
        assert not np.array_equal(first[1], second[1])  # augmentation varies despite the cache
    deep = _first_batch(data.make_tf_dataset(odd[2:3], 8, 1, augment=False))[0]
    np.testing.assert_allclose(deep, deep.flat[0], atol=1e-5)  # flat 16-bit gray


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"image_size": -1}, ValueError, "Received: image_size=-1"),
        ({"batch_size": "8"}, TypeError, "Received: batch_size='8'"),
        ({"space": "rgb"}, ValueError, "Received: space='rgb'"),
        ({"decoder": "opencv"}, ValueError, "Received: decoder='opencv'"),
        ({"scale_jitter": (1.2,)}, ValueError, "Received: scale_jitter"),
        ({"cache": 3}, TypeError, "Received: cache=3"),
        ({"seed": 1.5}, TypeError, "Received: seed=1.5"),
    ],
)
def test_tf_dataset_validates(color_paths, kwargs, error, match):
    with pytest.raises(error, match=match):
        data.make_tf_dataset(color_paths, **kwargs)


def test_tf_dataset_path_errors(tmp_path, photo_tar):
    with pytest.raises(ValueError, match=r"Received: paths=\[\]"):
        data.make_tf_dataset([])
    with pytest.raises(FileNotFoundError, match="gone.jpg"):
        data.make_tf_dataset([str(tmp_path / "gone.jpg")])
    with pytest.raises(FileNotFoundError, match="missing.jpg"):
        data.make_tf_dataset([f"{photo_tar}::missing.jpg"])
    (tmp_path / "text.jpg").write_text("not a JPEG")
    with pytest.raises(data.ImageReadError, match="text.jpg"):
        data.make_tf_dataset([str(tmp_path / "text.jpg")])


def test_save_image_is_atomic_and_never_overwrites(tmp_path):
    image = np.linspace(0, 1, 4 * 5 * 3, dtype=np.float32).reshape(4, 5, 3)
    path = data.save_image(image, tmp_path / "out.png")
    np.testing.assert_allclose(data.read_image(path), image, atol=1 / 255)
    with pytest.raises(FileExistsError, match="out.png"):
        data.save_image(image, path)
    data.save_image(np.zeros((4, 5), np.float32), path, overwrite=True)
    assert data.read_image(path).max() == 0
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]  # no temporary left behind
    with pytest.raises(ValueError, match="extension"):
        data.save_image(image, tmp_path / "out.xyz")
    with pytest.raises(ValueError, match="image"):
        data.save_image(image * 2, tmp_path / "bad.png")
