"""Headless tests of colorkit.widgets: set explorer.controls[...].value, assert on .result."""

from __future__ import annotations

import datetime
import io
import json
import warnings

import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

from colorkit import color, hints, infer, metrics, models, training, widgets

SIZE = 32
#: Three bins and their probabilities: the mode (50, 50) is vivid, the mean is much duller.
PEAKS = {(50.0, 50.0): 0.4, (-40.0, -40.0): 0.3, (50.0, -50.0): 0.3}
#: Their mean (the annealed mean at T = 1): (23, -7).
MEAN_AB = [sum(p * ab[i] for ab, p in PEAKS.items()) for i in (0, 1)]


def _bin_index(a: float, b: float) -> int:
    bins = color.ab_bins()
    index = int(np.argmin(np.abs(bins - np.array([a, b], np.float32)).sum(axis=1)))
    assert bins[index].tolist() == [a, b]
    return index


def _fixed_probabilities() -> np.ndarray:
    probabilities = np.full(color.NUM_BINS, 1e-9, np.float32)
    for (a, b), p in PEAKS.items():
        probabilities[_bin_index(a, b)] = p
    return probabilities / probabilities.sum()


@pytest.fixture(scope="module")
def zhang_model():
    """A tiny zhang model whose softmax outputs the same fixed distribution at every pixel."""
    model = models.build_model("zhang", width=0.0625)
    logits = model.get_layer("zhang_logits")
    kernel, _ = logits.get_weights()
    logits.set_weights([np.zeros_like(kernel), np.log(_fixed_probabilities())])
    return model


@pytest.fixture(scope="module")
def unet_model():
    return models.build_model("unet", base_filters=4, depth=1)


@pytest.fixture(scope="module")
def photos():
    """Two small synthetic color photos (a lightness ramp under different hues)."""
    rows, cols = np.mgrid[0:40, 0:48].astype(np.float32)
    ramp = 0.2 + 0.6 * cols / cols.max()
    warm = np.stack([ramp, ramp * 0.7, ramp * 0.4], axis=-1)
    cool = np.stack([ramp * 0.3, ramp * 0.6 + 0.1 * rows / rows.max(), ramp], axis=-1)
    return {"warm": warm.astype(np.float32), "cool": np.clip(cool, 0, 1).astype(np.float32)}


@pytest.fixture(scope="module")
def explorer(photos, zhang_model, unet_model):
    return widgets.ColorizationExplorer(
        photos, {"zhang": zhang_model, "unet": unet_model}, size=SIZE
    )


def _reset(explorer, **values):
    defaults = dict(photo="warm", model="zhang", temperature=0.38, saturation=1.0, blend=1.0)
    defaults.update(values)
    with explorer.hold():
        for name, value in defaults.items():
            explorer.controls[name].value = value


# --------------------------------------------------------------------------------------------
# Pure functions
# --------------------------------------------------------------------------------------------
def test_chroma_from_output_temperature_with_fixed_probabilities():
    output = np.broadcast_to(_fixed_probabilities(), (2, 2, color.NUM_BINS))
    chroma_length = {}
    for temperature in (0.2, 1.0):
        chroma = widgets.chroma_from_output(output, temperature, (8, 8))
        assert chroma.shape == (8, 8, 2) and chroma.dtype == np.float32
        chroma_length[temperature] = float(np.hypot(*chroma[0, 0]) * color.AB_SCALE)
    assert chroma_length[1.0] == pytest.approx(np.hypot(*MEAN_AB), abs=0.1)
    assert chroma_length[0.2] > chroma_length[1.0] + 10


def test_compose_saturation_and_blend():
    rng = np.random.default_rng(0)
    lightness = rng.uniform(0.3, 0.7, (6, 6, 1)).astype(np.float32)
    chroma = np.full((6, 6, 2), 0.2, np.float32)
    gray = widgets.compose(lightness, chroma, saturation=0.0)
    full = widgets.compose(lightness, chroma)
    half = widgets.compose(lightness, chroma, blend=0.5)
    np.testing.assert_allclose(color.rgb_to_lab(gray)[..., 1:], 0.0, atol=0.5)
    np.testing.assert_allclose(half, 0.5 * gray + 0.5 * full, atol=1e-5)
    np.testing.assert_allclose(color.rgb_to_lab(full)[..., 0], lightness[..., 0] * 100, atol=0.5)
    yuv_gray = widgets.compose(lightness, np.full((6, 6, 2), 0.8, np.float32), "yuv", 0.0)
    np.testing.assert_allclose(yuv_gray[..., 0], yuv_gray[..., 2], atol=1e-5)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(space="hsv"), "space"),
        (dict(saturation=-0.1), "saturation"),
        (dict(blend=1.5), "blend"),
        (dict(chroma=np.zeros((5, 6, 2), np.float32)), "shapes"),
    ],
)
def test_compose_rejects_bad_inputs(kwargs, match):
    arguments = dict(lightness=np.full((6, 6, 1), 0.5, np.float32), chroma=np.zeros((6, 6, 2)))
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=match):
        widgets.compose(**arguments)


def test_fit_image_pixel_distribution_and_png():
    fitted = widgets.fit_image(np.full((50, 90, 3), 0.25, np.float32), size=40, multiple=8)
    assert fitted.shape == (16, 40, 3) and fitted.dtype == np.float32
    with pytest.raises(ValueError, match="too small"):
        widgets.fit_image(np.zeros((2, 90, 3), np.float32), size=40, multiple=8)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        widgets.fit_image(np.full((8, 8, 3), 2.0, np.float32), size=8)
    output = np.arange(4 * 4 * 3, dtype=np.float32).reshape(4, 4, 3)
    assert widgets.pixel_distribution(output, 15, 15, (16, 16)).tolist() == [45, 46, 47]
    with pytest.raises(ValueError, match="row"):
        widgets.pixel_distribution(output, 16, 0, (16, 16))
    assert widgets.figure_to_png(Figure(figsize=(1, 1))).startswith(b"\x89PNG")


def test_decode_upload(tmp_path):
    buffer = io.BytesIO()
    Image.new("RGB", (5, 4), (0, 255, 0)).save(buffer, format="PNG")
    image = widgets.decode_upload(memoryview(buffer.getvalue()), "green.png")
    assert image.shape == (4, 5, 3) and image.dtype == np.float32
    assert image[0, 0].tolist() == [0.0, 1.0, 0.0]
    with pytest.raises(ValueError, match="notes.png"):
        widgets.decode_upload(b"not an image at all", "notes.png")
    with pytest.raises(ValueError, match="empty"):
        widgets.decode_upload(b"", "empty.png")
    with pytest.raises(TypeError):
        widgets.decode_upload("a string", "x.png")


def test_model_info(zhang_model, unet_model):
    assert widgets.model_info(zhang_model)["bins"] is True
    decoder = models.zhang_decoder(zhang_model)
    assert widgets.model_info(decoder)["bins"] is True
    info = widgets.model_info(unet_model)
    assert info["bins"] is False and info["space"] == "lab" and info["family"] == "unet"
    with pytest.raises(TypeError, match="keras.Model"):
        widgets.model_info("unet")


# --------------------------------------------------------------------------------------------
# ColorizationExplorer
# --------------------------------------------------------------------------------------------
def test_explorer_renders_and_matches_infer(explorer, zhang_model):
    _reset(explorer)
    result = explorer.result
    assert set(explorer.controls) >= {
        "photo",
        "upload",
        "model",
        "temperature",
        "saturation",
        "blend",
        "row",
        "col",
    }
    assert result["prediction"].shape == result["truth"].shape == result["gray"].shape
    assert result["prediction"].shape[:2] == (24, 32)  # 40 x 48 -> long side 32, stride 8
    assert isinstance(explorer.figure, Figure)
    assert bytes(explorer._image.value).startswith(b"\x89PNG")
    assert {"psnr", "colorfulness", "auc_ab"} <= set(result["metrics"])
    # Same colors as colorkit.infer at the same working size.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", color.GamutWarning)
        expected = infer.colorize(result["truth"], zhang_model, size=32, temperature=0.38)
    np.testing.assert_allclose(result["prediction"], expected, atol=2e-3)
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_temperature_one_is_less_colorful_than_point_two(explorer):
    _reset(explorer, temperature=0.2)
    vivid = explorer.result["metrics"]["colorfulness"]
    vivid_png = bytes(explorer._image.value)
    explorer.controls["temperature"].value = 1.0
    dull = explorer.result["metrics"]["colorfulness"]
    assert explorer.result["temperature"] == 1.0
    assert dull < vivid - 5, (dull, vivid)
    assert bytes(explorer._image.value) != vivid_png
    # The annealed mean of the inspected pixel moves toward the distribution's mean.
    np.testing.assert_allclose(explorer.result["pixel_ab"], MEAN_AB, atol=0.5)


def test_saturation_zero_gives_gray_and_blend_mixes(explorer):
    _reset(explorer, saturation=0.0)
    lab = color.rgb_to_lab(explorer.result["prediction"])
    np.testing.assert_allclose(lab[..., 1:], 0.0, atol=0.5)
    assert explorer.result["metrics"]["colorfulness"] < 0.5
    np.testing.assert_allclose(explorer.result["prediction"], explorer.result["gray"], atol=1e-5)

    _reset(explorer)
    full = explorer.result["prediction"]
    explorer.controls["blend"].value = 0.0
    np.testing.assert_allclose(explorer.result["prediction"], explorer.result["gray"], atol=1e-5)
    explorer.controls["blend"].value = 0.5
    expected = 0.5 * full + 0.5 * explorer.result["gray"]
    np.testing.assert_allclose(explorer.result["prediction"], expected, atol=1e-4)


def test_model_switch_disables_temperature(explorer):
    _reset(explorer, model="unet", temperature=0.2)
    assert explorer.controls["temperature"].disabled
    assert explorer.result["family"] == "unet" and explorer.result["pixel_probabilities"] is None
    before = explorer.result["prediction"]
    explorer.controls["temperature"].value = 1.0
    np.testing.assert_array_equal(explorer.result["prediction"], before)
    explorer.controls["model"].value = "zhang"
    assert not explorer.controls["temperature"].disabled


def test_photo_switch_and_pixel_inspector(explorer):
    _reset(explorer, photo="cool")
    assert explorer.result["photo"] == "cool"
    assert explorer.controls["row"].max == 23 and explorer.controls["col"].max == 31
    inspected = explorer.inspect_pixel(5, 30)
    assert explorer.result["pixel"] == (5, 30)
    assert (explorer.controls["row"].value, explorer.controls["col"].value) == (5, 30)
    np.testing.assert_allclose(inspected["probabilities"], _fixed_probabilities(), atol=1e-4)
    assert inspected["ab"].shape == (2,)
    np.testing.assert_array_equal(inspected["rgb"], explorer.result["prediction"][5, 30])
    with pytest.raises(ValueError, match="row"):
        explorer.inspect_pixel(24, 0)
    with pytest.raises(ValueError, match="col"):
        explorer.inspect_pixel(0, -1)
    with pytest.raises(TypeError):
        explorer.inspect_pixel(1.5, 0)


def test_upload_adds_and_selects_the_photo(explorer):
    _reset(explorer)
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(buffer, format="PNG")
    upload = {"name": "mine.png", "type": "image/png", "size": 0}
    upload["last_modified"] = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    explorer.controls["upload"].value = ({**upload, "content": memoryview(buffer.getvalue())},)
    assert explorer.result["photo"] == "mine.png" and "mine.png" in explorer.photos
    truth = explorer.result["truth"]
    assert truth.shape == (24, 32, 3)
    np.testing.assert_allclose(truth[0, 0], [200 / 255, 40 / 255, 40 / 255], atol=2e-3)
    explorer.controls["upload"].value = ({**upload, "name": "bad.png", "content": b"nope"},)
    assert explorer.error and "bad.png" in explorer.error
    assert "Error" in explorer._status.value


def test_explorer_accepts_paths_and_a_single_model(tmp_path, unet_model):
    paths = []
    for name, rgb in (("red", (220, 30, 30)), ("blue", (30, 30, 220))):
        Image.new("RGB", (40, 40), rgb).save(tmp_path / f"{name}.png")
        paths.append(tmp_path / f"{name}.png")
    explorer = widgets.ColorizationExplorer(paths, unet_model, size=16, render=False)
    assert explorer.controls["photo"].options == ("red", "blue")
    assert list(explorer.models) == [unet_model.name]
    assert explorer.result == {} and explorer.figure is None
    explorer.update()
    assert explorer.result["prediction"].shape == (16, 16, 3)


@pytest.mark.parametrize(
    "images, models_, kwargs, error, match",
    [
        ({}, "unet", {}, ValueError, "empty"),
        ({"x": np.full((8, 8, 3), 1.5, np.float32)}, "unet", {}, ValueError, r"\[0, 1\]"),
        ({"x": np.zeros((8, 8), np.float32)}, "unet", {}, ValueError, "shape"),
        ("photos", {}, {}, ValueError, "models is empty"),
        ("photos", {"m": "not a model"}, {}, TypeError, "keras.Model"),
        (42, "unet", {}, TypeError, "images"),
        ("photos", "unet", dict(temperature=0.0), ValueError, "temperature"),
        ("photos", "unet", dict(saturation=3.0), ValueError, "saturation"),
        ("photos", "unet", dict(blend=-1.0), ValueError, "blend"),
    ],
)
def test_explorer_rejects_bad_inputs(photos, unet_model, images, models_, kwargs, error, match):
    images = photos if isinstance(images, str) else images
    models_ = {"unet": unet_model} if models_ == "unet" else models_
    with pytest.raises(error, match=match):
        widgets.ColorizationExplorer(images, models_, size=SIZE, render=False, **kwargs)


# --------------------------------------------------------------------------------------------
# EpochExplorer
# --------------------------------------------------------------------------------------------
@pytest.fixture()
def fake_run(tmp_path):
    """A run folder as colorkit.training writes it: 3 snapshots of 2 photos (epoch 0, 1, 2)."""
    run_dir = tmp_path / "run"
    previews = run_dir / "previews"
    previews.mkdir(parents=True)
    config = training.TrainConfig(run_dir=str(run_dir), epochs=2)
    (run_dir / "config.json").write_text(json.dumps(config.to_dict()))
    (run_dir / "log.csv").write_text("epoch,loss,val_loss\n0,0.9,1.1\n1,0.5,0.7\n")
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 256, (2, 16, 16, 3), dtype=np.uint8)
    np.save(previews / "ground_truth.npy", truth)
    np.save(previews / "gray.npy", np.repeat(truth.mean(-1, keepdims=True), 3, -1).astype(np.uint8))
    for epoch in range(3):
        np.save(previews / f"epoch_{epoch:03d}.npy", np.full_like(truth, 60 + 80 * epoch))
    return run_dir


def test_epoch_slider_shows_the_right_snapshot(fake_run):
    explorer = widgets.EpochExplorer(fake_run)
    assert explorer.result["epoch"] == 2  # starts at the last snapshot
    assert (explorer.controls["epoch"].min, explorer.controls["epoch"].max) == (0, 2)
    explorer.controls["epoch"].value = 1
    result = explorer.result
    assert result["shown_epoch"] == 1
    np.testing.assert_allclose(result["snapshot"], 140 / 255, atol=1e-6)
    assert result["loss"] == pytest.approx(0.9) and result["val_loss"] == pytest.approx(1.1)
    expected = metrics.evaluate_batch(result["snapshot"], result["truth"])["auc_ab"]
    assert result["metrics"]["auc_ab"] == pytest.approx(expected)
    first_png = bytes(explorer._image.value)
    explorer.controls["epoch"].value = 0
    assert np.isnan(explorer.result["loss"])
    np.testing.assert_allclose(explorer.result["snapshot"], 60 / 255, atol=1e-6)
    assert bytes(explorer._image.value) != first_png


def test_epoch_explorer_missing_snapshot_and_bad_runs(fake_run, tmp_path):
    (fake_run / "previews" / "epoch_001.npy").unlink()
    explorer = widgets.EpochExplorer(fake_run, epoch=1, render=False)
    explorer.update()
    assert explorer.result["shown_epoch"] == 0  # the latest snapshot at or before epoch 1
    with pytest.raises(ValueError, match="epoch"):
        widgets.EpochExplorer(fake_run, epoch=5, render=False)
    with pytest.raises(FileNotFoundError):
        widgets.EpochExplorer(tmp_path / "nowhere")
    for path in (fake_run / "previews").glob("epoch_*.npy"):
        path.unlink()
    with pytest.raises(ValueError, match="no preview snapshots"):
        widgets.EpochExplorer(fake_run)


# --------------------------------------------------------------------------------------------
# TemperatureExplorer, RebalancingExplorer
# --------------------------------------------------------------------------------------------
def test_temperature_explorer_single_distribution_and_map():
    explorer = widgets.TemperatureExplorer(_fixed_probabilities())
    explorer.controls["temperature"].value = 1.0
    np.testing.assert_allclose(explorer.result["ab"], MEAN_AB, atol=0.1)
    dull = explorer.result["chroma"]
    explorer.controls["temperature"].value = 0.05
    np.testing.assert_allclose(explorer.result["ab"], [50.0, 50.0], atol=1.0)
    assert explorer.result["chroma"] > dull

    probability_map = np.broadcast_to(_fixed_probabilities(), (4, 4, color.NUM_BINS))
    lightness = np.full((16, 16), 0.6, np.float32)
    explorer = widgets.TemperatureExplorer(probability_map, lightness, temperature=0.1)
    vivid = explorer.result["colorfulness"]
    explorer.controls["temperature"].value = 1.0
    assert explorer.result["image"].shape == (16, 16, 3)
    assert explorer.result["colorfulness"] < vivid - 5
    with pytest.raises(ValueError, match="lightness"):
        widgets.TemperatureExplorer(probability_map)
    with pytest.raises(ValueError, match="probabilities"):
        widgets.TemperatureExplorer(np.ones(10, np.float32))


def test_temperature_explorer_from_model(zhang_model, photos):
    explorer = widgets.TemperatureExplorer.from_model(zhang_model, photos["warm"], size=32)
    assert explorer.result["image"].shape == (24, 32, 3)
    with pytest.raises(ValueError, match="classification"):
        widgets.TemperatureExplorer.from_model(
            models.build_model("unet", base_filters=4, depth=1), photos["warm"]
        )


def test_rebalancing_explorer_lambda():
    prior = np.zeros(color.NUM_BINS, np.float32)
    prior[_bin_index(0.0, 0.0)] = 0.7
    prior[_bin_index(10.0, 10.0)] = 0.2
    prior[_bin_index(50.0, 50.0)] = 0.1
    explorer = widgets.RebalancingExplorer(prior, lam=0.5)
    half = explorer.result["weight_ratio"]
    assert explorer.result["expected_weight"] == pytest.approx(1.0, abs=1e-4)
    explorer.controls["lam"].value = 1.0
    assert explorer.result["weight_ratio"] == pytest.approx(1.0, abs=1e-4)  # uniform weights
    explorer.controls["lam"].value = 0.1
    assert explorer.result["weight_ratio"] > half > 1.0
    # Rare colors weigh more than the common neutral bin.
    weights = explorer.result["weights"]
    assert weights[_bin_index(50.0, 50.0)] > weights[_bin_index(0.0, 0.0)]
    # lambda = 0: bins never seen get infinite weight: reported in the status, raised by update().
    explorer.controls["lam"].value = 0.0
    assert explorer.error and "lam" in explorer.error and "Error" in explorer._status.value
    assert explorer.result["lam"] == 0.1  # the last valid result is kept
    with pytest.raises(ValueError, match="lam"):
        explorer.update()
    with pytest.raises(ValueError, match="lam"):
        widgets.RebalancingExplorer(prior, lam=1.5)
    images = np.random.default_rng(0).random((2, 8, 8, 3), dtype=np.float32)
    assert widgets.RebalancingExplorer(images, render=False).prior.shape == (color.NUM_BINS,)


# --------------------------------------------------------------------------------------------
# HintExplorer
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def hint_model():
    from colorkit.models import guided

    return guided.hint_spreader(reach=2)


def _lab(image):
    from colorkit import color

    return color.rgb_to_lab(np.clip(image, 0, 1))


def test_hint_state_edits_are_pure():

    state = widgets.HintState()
    state = widgets.place_hint(state, 10, 10, (40.0, 30.0), 2, 4)
    state = widgets.place_hint(state, 30, 30, (-40.0, 30.0), 2, 4)
    assert len(state.hints) == 2 and state.selected == 1
    selected = widgets.place_hint(state, 11, 9, (0.0, 0.0), 2, 4)
    assert selected.hints == state.hints and selected.selected == 0
    moved = widgets.move_hint(selected, 20, 21)
    assert (moved.hints[0].row, moved.hints[0].col) == (20, 21) and state.hints[0].row == 10
    recolored = widgets.recolor_hint(moved, (5.0, 6.0))
    assert recolored.hints[0].ab == (5.0, 6.0)
    removed = widgets.remove_hint(recolored)
    assert len(removed.hints) == 1 and removed.selected is None
    assert widgets.remove_hint(removed) == removed
    assert isinstance(removed.hints[0], hints.Hint)


def test_hint_explorer_click_pick_color_undo_reset(hint_model):
    image = np.full((90, 120, 3), 0.5, np.float32)
    explorer = widgets.HintExplorer(image, hint_model, size=64)
    assert explorer.view.shape[:2] == (48, 64)
    assert np.abs(_lab(explorer.result["picture"])[..., 1:]).max() < 2  # no hints: gray
    explorer.click(24, 32)  # view pixels -> input photo pixels
    (hint,) = explorer.state.hints
    assert (hint.row, hint.col) == pytest.approx((45.4375, 60.4375))
    assert _lab(explorer.result["picture"])[24, 32, 1] > 20  # the picker's red by default
    explorer.controls["color"].value = "#2050e0"  # recolors the selected hint
    assert _lab(explorer.result["picture"])[24, 32, 2] < -20  # blue: b < 0
    assert len(explorer.result["suggestions"]) >= 1
    explorer.click(24, 33)  # on the hint: selects it, no new hint
    assert len(explorer.state.hints) == 1 and explorer.state.selected == 0
    explorer.controls["tool"].value = "move"
    explorer.click(5, 5)
    assert explorer.state.hints[0].row < 10
    explorer.controls["undo"].click()
    assert explorer.state.hints[0].row == pytest.approx(45.4375)
    explorer.controls["remove"].click()
    assert explorer.state.hints == ()
    explorer.controls["undo"].click()
    assert len(explorer.state.hints) == 1
    explorer.controls["reset"].click()
    assert (
        explorer.state.hints == () and np.abs(_lab(explorer.result["picture"])[..., 1:]).max() < 2
    )
    with pytest.raises(ValueError, match="outside the picture"):
        explorer.click(100, 5)


def test_hint_explorer_suggestions_set_the_color(hint_model):
    explorer = widgets.HintExplorer(np.full((64, 64, 3), 0.5, np.float32), hint_model, size=64)
    explorer.controls["color"].value = "#20a020"
    explorer.click(32, 32)
    explorer.click(40, 40)  # the second click's palette is read off the green prediction
    swatches = explorer.result["suggestions"]
    first = swatches[0]
    assert first.rgb[1] > first.rgb[0] and first.probability > 0.1 and "green" in first.name
    probabilities = [swatch.probability for swatch in swatches]
    assert probabilities == sorted(probabilities, reverse=True)
    buttons = explorer.controls["suggestions"].children
    assert len(buttons) == len(swatches)
    # Each swatch is filled with its color and labelled with its rank, name, hex and share.
    assert buttons[0].style.button_color == first.hex
    assert buttons[0].description == f"1. {first.name} {first.hex} {first.probability:.0%}"
    assert buttons[0].layout.width == "200px" and "colorkit-suggestion" in buttons[0]._dom_classes
    buttons[-1].click()  # a swatch places its color on the selected hint
    assert explorer.controls["color"].value == swatches[-1].hex
    assert explorer.state.hints[explorer.state.selected].ab == pytest.approx(
        hints.Hint.from_color(0, 0, swatches[-1].hex).ab
    )


def test_hint_explorer_saves_without_overwriting(hint_model, tmp_path):
    from colorkit import data, hints

    image = np.full((90, 120, 3), 0.5, np.float32)
    explorer = widgets.HintExplorer(image, hint_model, size=64, save_path=tmp_path / "out.png")
    explorer.click(24, 32)
    image_path, hints_path = explorer.save()
    assert data.read_image(image_path).shape == (90, 120, 3)
    (saved,) = hints.parse_hints(hints_path, image_shape=(90, 120))
    assert (saved.row, saved.col) == pytest.approx((45.4375, 60.4375))
    with pytest.raises(FileExistsError, match="overwrite"):
        explorer.save()
    explorer.controls["save"].click()  # through the button: shown, not raised
    assert "exists" in explorer.error
    explorer.controls["overwrite"].value = True
    explorer.controls["save"].click()
    assert explorer.error is None or "exists" not in explorer._status.value


def test_hint_explorer_refuses_a_model_without_hints():
    from colorkit import models

    with pytest.raises(ValueError, match="hint model"):
        widgets.HintExplorer(np.zeros((8, 8, 3), np.float32), models.build_model("unet", depth=1))


def test_epoch_explorer_names_a_corrupt_preview_file(fake_run):
    corrupt = fake_run / "previews" / "epoch_001.npy"
    corrupt.write_bytes(b"\x93NUMPY garbage, not an array")
    explorer = widgets.EpochExplorer(fake_run, epoch=2)
    explorer.controls["epoch"].value = 1  # the status line shows the error
    assert "epoch_001.npy" in explorer.error and "expected a NumPy .npy array" in explorer.error
    with pytest.raises(ValueError, match=r"epoch_001\.npy"):
        explorer.update()


# --------------------------------------------------------------------------------------------
# ReplayExplorer (the shipped real run)
# --------------------------------------------------------------------------------------------
@pytest.fixture()
def fake_replay(tmp_path):
    """A replay folder as scripts/make_epoch_replay.py writes it: 3 epochs, best val at 2."""
    folder = tmp_path / "replay"
    folder.mkdir()
    truth = np.zeros((8, 24, 3), np.uint8)
    truth[..., 2] = 200
    Image.fromarray(truth).save(folder / "truth.png")
    Image.fromarray(np.full_like(truth, 90)).save(folder / "gray.png")
    for epoch in (1, 2, 3):
        Image.fromarray(np.full_like(truth, 40 * epoch)).save(folder / f"epoch_{epoch:03d}.png")
    log = {"epochs": [0, 1, 2], "loss": [3.0, 2.0, 1.0], "val_loss": [2.5, 2.0, 2.4]}
    (folder / "log.json").write_text(json.dumps(log))
    return folder


def test_replay_summary_is_computed_from_the_log():
    summary = widgets.replay_summary([1, 2, 3, 4], [4.0, 3.0, 2.0, 1.0], [3.0, 2.0, 2.5, 2.9])
    assert summary["best_epoch"] == 2 and summary["best_val_loss"] == 2.0
    assert summary["loss_falls"] and summary["val_rises_after_best"]
    assert summary["epochs_after_best"] == 2 and summary["last_epoch"] == 4
    falling = widgets.replay_summary([1, 2], [2.0, 1.0], [2.0, 1.0])
    assert falling["best_epoch"] == 2 and not falling["val_rises_after_best"]
    with pytest.raises(ValueError, match="same non-zero length"):
        widgets.replay_summary([1, 2], [1.0], [1.0, 2.0])


def test_replay_explorer_slider_shows_that_epoch(fake_replay):
    explorer = widgets.ReplayExplorer(fake_replay)
    assert explorer.result["epoch"] == 2 and explorer.result["is_best"]  # starts at the best
    assert (explorer.controls["epoch"].min, explorer.controls["epoch"].max) == (1, 3)
    explorer.controls["epoch"].value = 3
    result = explorer.result
    np.testing.assert_allclose(result["image"], 120 / 255, atol=1e-6)
    assert result["val_loss"] == pytest.approx(2.4) and result["loss"] == pytest.approx(1.0)
    assert not result["is_best"] and result["best_epoch"] == 2
    expected = metrics.evaluate_batch(result["image"][None], result["truth"][None])["auc_ab"]
    assert result["metrics"]["auc_ab"] == pytest.approx(expected)
    assert isinstance(explorer.figure, Figure)


def test_replay_loading_errors(fake_replay, tmp_path):
    with pytest.raises(FileNotFoundError):
        widgets.load_epoch_replay(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="epoch must be one of"):
        widgets.ReplayExplorer(fake_replay, epoch=5, render=False)
    (fake_replay / "epoch_003.png").unlink()
    with pytest.raises(ValueError, match="3 loss"):
        widgets.load_epoch_replay(fake_replay)


def test_shipped_replay_loads_when_present():
    if not (widgets.SHIPPED_REPLAY / "log.json").is_file():
        pytest.skip("the shipped epoch replay is not generated yet")
    replay = widgets.load_epoch_replay()
    assert len(replay.epochs) >= 2
    assert replay.image(replay.epochs[0]).shape[-1] == 3
