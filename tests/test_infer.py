"""Tests of colorkit.infer: colorize any size/aspect, keep the input's luminance, validate."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from colorkit import color, infer, models

# Random (untrained) models predict wild colors: clipping into sRGB is expected here.
pytestmark = pytest.mark.filterwarnings("ignore::colorkit.color.GamutWarning")


@pytest.fixture(scope="module")
def unet():
    # Stride 4 (depth 1, low resolution): tiny and fast. An untrained head predicts almost no
    # chroma; a bias gives it a realistic amount (ab about (16, 22), an orange cast).
    keras.utils.set_random_seed(0)
    model = models.build_model("unet", base_filters=4, depth=1)
    layer = model.get_layer("output_conv")
    kernel, _ = layer.get_weights()
    layer.set_weights([kernel, np.array([0.15, 0.2], np.float32)])
    return model


@pytest.fixture(scope="module")
def zhang():
    model = models.build_model("zhang", width=0.0625)
    # An untrained head predicts nearly uniform probabilities (all temperatures agree):
    # give it random, peaked logits.
    logits = model.get_layer("zhang_logits")
    kernel, bias = logits.get_weights()
    rng = np.random.default_rng(0)
    logits.set_weights(
        [
            rng.normal(0, 3, kernel.shape).astype("float32"),
            rng.normal(0, 2, bias.shape).astype("float32"),
        ]
    )
    return model


@pytest.fixture(scope="module")
def photo(shared_data):
    """A real BSDS500 photo (481 x 321 or 321 x 481), float32 RGB in [0, 1]."""
    from colorkit import data

    paths = sorted((shared_data / "bsds500" / "val").glob("*.jpg"))
    return data.read_image(paths[0])


def _lab_l(rgb):
    return np.asarray(color.rgb_to_lab(rgb), np.float64)[..., 0]


def test_output_shape_dtype_and_range_any_aspect(unet, photo):
    out = infer.colorize(photo, unet, size=64)
    assert out.shape == photo.shape
    assert out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0
    strip = np.ascontiguousarray(photo[:100].transpose(1, 0, 2))  # the other orientation
    assert infer.colorize(strip, unet, size=48).shape == (photo.shape[1], 100, 3)


def test_luminance_of_the_input_is_kept_at_full_resolution(unet, photo):
    out = infer.colorize(photo, unet, size=64, saturation=1.0)
    assert out.shape == photo.shape
    error = np.abs(_lab_l(out) - _lab_l(photo))
    # Wherever the merged color is inside the sRGB gamut (no channel clipped to 0 or 1), L is
    # the input's L at full resolution, pixel for pixel: no detail is lost to the 64 px run.
    in_gamut = np.all((out > 1e-4) & (out < 1 - 1e-4), axis=-1)
    assert in_gamut.mean() > 0.6
    assert error[in_gamut].max() < 0.05
    # Clipping (bright or dark saturated pixels) moves L by a few units at most.
    assert np.median(error) < 0.01 and error.max() < 10.0
    # Lower saturation: fewer clipped pixels, L kept in more places.
    muted = infer.colorize(photo, unet, size=64, saturation=0.3)
    muted_error = np.abs(_lab_l(muted) - _lab_l(photo))
    assert (muted_error < 0.05).mean() > (error < 0.05).mean()


def test_grayscale_inputs_and_saturation_zero_gives_the_gray_image(unet, photo):
    gray = np.asarray(color.luminance(photo, method="rec601"), np.float32)
    assert gray.ndim == 2
    for image in (gray, gray[..., None]):
        out = infer.colorize(image, unet, size=32)
        assert out.shape == (*gray.shape, 3)
    still_gray = infer.colorize(gray, unet, size=32, saturation=0.0)
    np.testing.assert_allclose(still_gray[..., 0], still_gray[..., 1], atol=2e-3)
    np.testing.assert_allclose(still_gray[..., 0], gray, atol=2e-3)


def test_saturation_scales_chroma(unet, photo):
    low = infer.colorize(photo, unet, size=32, saturation=0.5)
    high = infer.colorize(photo, unet, size=32, saturation=2.0)
    chroma = [
        np.hypot(*np.moveaxis(color.rgb_to_lab(x)[..., 1:], -1, 0)).mean() for x in (low, high)
    ]
    assert chroma[1] > chroma[0]


def test_rgba_is_composited_and_color_input_is_taken_as_luminance(unet, photo):
    small = photo[:40, :60]
    rgba = np.concatenate([small, np.ones((40, 60, 1), np.float32)], axis=-1)
    np.testing.assert_allclose(
        infer.colorize(rgba, unet, size=32), infer.colorize(small, unet, size=32), atol=1e-5
    )
    # Two inputs with the same luminance but different colors give the same result.
    gray_rgb = np.asarray(color.desaturate(small, method="lab"), np.float32)
    np.testing.assert_allclose(
        infer.colorize(gray_rgb, unet, size=32), infer.colorize(small, unet, size=32), atol=2e-3
    )


def test_batches_and_lists_of_different_sizes(unet, photo):
    batch = np.stack([photo[:48, :64], photo[48:96, :64], photo[96:144, :64]])
    out = infer.colorize(batch, unet, size=32, batch_size=2)
    assert out.shape == (3, 48, 64, 3)
    singles = [infer.colorize(image, unet, size=32) for image in batch]
    np.testing.assert_allclose(out, np.stack(singles), atol=1e-5)
    images = [photo[:50, :70], photo[:31, :17, 0], photo]
    outs = infer.colorize(images, unet, size=32)
    assert isinstance(outs, list)
    assert [o.shape for o in outs] == [(50, 70, 3), (31, 17, 3), photo.shape]


def test_working_shape_keeps_aspect_and_stride():
    assert infer.working_shape(321, 481, size=256, stride=32) == (171, 256)
    assert infer.working_shape(481, 321, size=250, stride=32) == (256, 171)
    assert infer.working_shape(10, 10, size=3, stride=8) == (8, 8)


def test_zhang_temperature_changes_output_without_rebuilding(zhang, photo):
    image = photo[:64, :64]
    cold = infer.colorize(image, zhang, size=32, temperature=0.05)
    warm = infer.colorize(image, zhang, size=32, temperature=1.0)
    assert cold.shape == warm.shape == (64, 64, 3)
    assert not np.allclose(cold, warm, atol=1e-4)
    # The annealed mean at T = 1 is the mean: less saturated than near the mode.
    chroma = [np.abs(color.rgb_to_lab(x)[..., 1:]).mean() for x in (cold, warm)]
    assert chroma[0] > chroma[1]
    # A decoder model (AnnealedMeanDecode inside) also honours the temperature.
    decoder = models.zhang_decoder(zhang)
    cold_decoder = infer.colorize(image, decoder, size=32, temperature=0.05)
    warm_decoder = infer.colorize(image, decoder, size=32, temperature=1.0)
    assert not np.allclose(cold_decoder, warm_decoder, atol=1e-4)


def test_predict_chroma_shape_and_scale(unet, zhang):
    lightness = np.linspace(0, 1, 2 * 16 * 16, dtype=np.float32).reshape(2, 16, 16, 1)
    for model in (unet, zhang):
        chroma = infer.predict_chroma(model, lightness, temperature=0.38)
        assert chroma.shape == (2, 16, 16, 2) and chroma.dtype == np.float32
        assert np.all(np.abs(chroma) <= 1.0 + 1e-5)


@pytest.mark.parametrize(
    ("image", "error", "match"),
    [
        (np.full((8, 8, 3), np.nan, np.float32), ValueError, "NaN"),
        (np.full((8, 8, 3), 2.0, np.float32), ValueError, r"in \[0, 1\]"),
        (np.zeros((8, 8, 3), np.uint8), TypeError, "uint8"),
        (np.zeros((8, 8, 2), np.float32), ValueError, "Invalid image shape"),
        (np.zeros((1, 1, 8, 8, 3), np.float32), ValueError, "Invalid image rank"),
        (np.zeros((8,), np.float32), ValueError, "Invalid image rank"),
        ([], ValueError, "empty"),
        ("/nonexistent/photo.jpg", FileNotFoundError, "nonexistent"),
    ],
)
def test_invalid_images_raise_clear_errors(unet, image, error, match):
    with pytest.raises(error, match=match):
        infer.colorize(image, unet, size=32)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(size=0), "size"),
        (dict(temperature=0.0), "temperature"),
        (dict(saturation=-1.0), "saturation"),
        (dict(batch_size=0), "batch_size"),
    ],
)
def test_invalid_arguments_raise(unet, kwargs, match):
    with pytest.raises(ValueError, match=match):
        infer.colorize(np.zeros((8, 8), np.float32), unet, **kwargs)


def test_predict_chroma_validates(unet):
    with pytest.raises(ValueError, match=r"\(N, H, W, 1\)"):
        infer.predict_chroma(unet, np.zeros((8, 8, 1), np.float32))
    with pytest.raises(TypeError, match="float"):
        infer.predict_chroma(unet, np.zeros((1, 8, 8, 1), np.int32))


def test_load_model_round_trip_and_missing_file(unet, tmp_path, photo):
    with pytest.raises(FileNotFoundError, match="missing.keras"):
        infer.load_model(tmp_path / "missing.keras")
    path = tmp_path / "model.keras"
    unet.save(path)
    loaded = infer.load_model(path)
    image = photo[:40, :40]
    np.testing.assert_allclose(
        infer.colorize(image, loaded, size=32), infer.colorize(image, unet, size=32), atol=1e-5
    )
    # A path string is accepted in place of the model.
    assert infer.colorize(image, str(path), size=32).shape == (40, 40, 3)


@pytest.mark.filterwarnings("error::colorkit.color.GamutWarning")
def test_gamut_clipping_is_reported_once_per_call(zhang, photo):
    images = [photo[:32, :32], photo[32:64, :32]]
    with pytest.warns(color.GamutWarning, match=r"clipped to sRGB in \d of 2 image") as record:
        infer.colorize(images, zhang, size=32, temperature=0.05, saturation=4.0)
    assert len(record) == 1


def test_recommended_settings_are_used_when_arguments_are_none():
    from colorkit import models

    model = models.build_model("unet", base_filters=4, depth=1)
    image = np.random.default_rng(1).random((32, 32, 3), dtype=np.float32)
    assert infer.recommended_settings(model) == {}
    infer.recommend_settings(model, saturation=0.0, size=32)
    assert infer.recommended_settings(model) == {"saturation": 0.0, "size": 32}
    gray = infer.colorize(image, model)
    lab = color.rgb_to_lab(gray)
    assert np.abs(lab[..., 1:]).max() < 0.5  # saturation 0 recommended -> no chroma
    vivid = infer.colorize(image, model, size=32, saturation=1.0)  # explicit wins
    assert not np.allclose(vivid, gray)
    with pytest.raises(ValueError, match="Unknown settings"):
        infer.recommend_settings(model, hue=1.0)


# --------------------------------------------------------------------------------------------
# User hints (hint models: ModelSpec.hint_inputs)
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def spreader():
    from colorkit.models import guided

    return guided.hint_spreader(reach=2)


def test_colorize_with_hints_takes_the_hint_chroma_and_keeps_luminance(spreader):
    from colorkit import hints

    rng = np.random.default_rng(0)
    image = rng.uniform(0.3, 0.7, (70, 100, 3)).astype(np.float32)
    red = hints.Hint.from_color(35, 50, "#c03030")
    plain = infer.colorize(image, spreader, size=64)
    hinted = infer.colorize(image, spreader, size=64, hints=[red])
    lab_plain, lab_hinted = color.rgb_to_lab(plain), color.rgb_to_lab(hinted)
    truth_lightness = color.rgb_to_lab(image)[..., 0]
    # Luminance of the photo is kept (full resolution), only chroma comes from the hints
    # (up to the few pixels clipped into the sRGB gamut; spread, the red covers more pixels).
    moved = np.abs(lab_hinted[..., 0] - truth_lightness)
    assert np.median(moved) < 0.1 and np.mean(moved > 1.5) < 0.05, np.percentile(moved, 99)
    assert np.abs(lab_plain[..., 1:]).max() < 2  # no hint: gray
    patch = lab_hinted[30:41, 45:56, 1:].reshape(-1, 2).mean(axis=0)
    assert patch[0] > 25 and patch[1] > 10, patch  # red around the click
    # The network alone (no spreading along edges) leaves far-away pixels untouched.
    alone = infer.colorize(image, spreader, size=64, hints=[red], spread_hints=False)
    assert np.abs(color.rgb_to_lab(alone)[:5, :5, 1:]).max() < 2


def test_hints_spread_over_a_flat_region_unless_told_not_to(spreader):
    """``colorkit.hints.spread`` runs after the network: on a flat photo the hint's color
    reaches the far corner; ``spread_hints=False`` keeps the network's output alone. The
    hint's own color comes out as given whatever the saturation."""
    from colorkit import hints

    image = np.full((48, 64, 3), 0.5, np.float32)
    red = [hints.Hint.from_color(24, 32, "#c03030")]
    spread = color.rgb_to_lab(infer.colorize(image, spreader, size=64, hints=red))
    alone = color.rgb_to_lab(
        infer.colorize(image, spreader, size=64, hints=red, spread_hints=False)
    )
    assert spread[2, 2, 1] > 20 and abs(alone[2, 2, 1]) < 2
    faded = color.rgb_to_lab(infer.colorize(image, spreader, size=64, hints=red, saturation=0.5))
    np.testing.assert_allclose(faded[24, 32, 1:], spread[24, 32, 1:], atol=1.0)
    # The spreader predicts gray: what reaches the corner is the hint's color, not desaturated.
    np.testing.assert_allclose(faded[2, 2, 1:], spread[2, 2, 1:], atol=1.0)


def test_colorize_hints_for_a_list_and_a_batch(spreader):
    from colorkit import hints

    image = np.full((40, 48, 3), 0.5, np.float32)
    green = [hints.Hint.from_color(20, 24, "#20a020")]
    out = infer.colorize([image, image[:20]], spreader, size=32, hints=[green, None])
    assert color.rgb_to_lab(out[0])[20, 24, 1] < -15
    assert np.abs(color.rgb_to_lab(out[1])[..., 1:]).max() < 2
    batch = infer.colorize(np.stack([image, image]), spreader, size=32, hints=[None, green])
    assert batch.shape == (2, 40, 48, 3)
    assert color.rgb_to_lab(batch[1])[20, 24, 1] < -15


def test_hint_errors_are_clear(spreader, unet):
    from colorkit import hints

    image = np.full((40, 48, 3), 0.5, np.float32)
    inside = hints.Hint.from_color(5, 5, "#ff0000")
    with pytest.raises(ValueError, match="takes no hints"):
        infer.colorize(image, unet, hints=[inside])
    with pytest.raises(ValueError, match=r"hint #1: hint at x=60, y=5 lies outside"):
        infer.colorize(image, spreader, hints=[inside, hints.Hint.from_color(5, 60, "#ff0000")])
    with pytest.raises(ValueError, match="2 entries"):
        infer.colorize([image, image], spreader, hints=[inside])
    with pytest.raises(ValueError, match="of image 1"):
        infer.colorize([image, image], spreader, hints=[None, [hints.Hint(50, 0, (1.0, 1.0))]])
    with pytest.raises(TypeError, match=r"hints\[0\] must be a colorkit.hints.Hint"):
        infer.colorize(image, spreader, hints=[{"x": 1, "y": 1, "color": "#ff0000"}])


def test_working_output_keeps_the_raw_distribution(spreader):
    from colorkit import hints

    lightness = np.full((64, 64, 1), 0.5, np.float32)
    blue = hints.Hint.from_color(32, 32, "#3050d0")
    result = infer.working_output(spreader, lightness, size=64, hints=[blue])
    assert result.output.shape == (16, 16, color.NUM_BINS)
    assert result.chroma.shape == (64, 64, 2)
    assert result.chroma[32, 32, 1] * color.AB_SCALE < -30  # blue: b < 0


def test_guided_model_takes_hints_through_colorize():
    from colorkit import hints
    from colorkit.models import guided

    decoder = guided.guided_decoder(width=8)
    model = guided.guided_zhang(weights=None, decoder=decoder, working_size=64)
    image = np.full((50, 70, 3), 0.4, np.float32)
    out = infer.colorize(image, model, hints=[hints.Hint.from_color(10, 10, "#ff0000")])
    assert out.shape == (50, 70, 3)
