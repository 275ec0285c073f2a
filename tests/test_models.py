"""Tests for colorkit.models: builders, shapes, validation, training, saving, FLOPs, decoding."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest

from colorkit import color, losses, models
from colorkit.models import layers as ck_layers

REPO_ROOT = Path(__file__).resolve().parents[1]

# Tiny configurations (stride 8, 4, 8) keep every test fast on a CPU.
TINY = {
    "unet": dict(base_filters=4, depth=2),
    "dahl": dict(width=0.0625, depth=2),
    "zhang": dict(width=0.0625),
}
TINY_STRIDE = {"unet": 8, "dahl": 4, "zhang": 8}


def _output_shape(family, batch, height, width):
    if family == "zhang":
        return (batch, height // 4, width // 4, color.NUM_BINS)
    return (batch, height, width, 2)


def _batch(family, batch=2, size=32, seed=0):
    """Lightness and a smooth chroma target that depends on it (learnable in a few steps)."""
    rng = np.random.default_rng(seed)
    lightness = rng.random((batch, size, size, 1), dtype=np.float32)
    chroma = np.concatenate([0.5 * lightness - 0.25, 0.2 - 0.4 * lightness], axis=-1)
    if family == "dahl":
        chroma = chroma + 0.5  # UV model scale is [0, 1]
    return lightness, chroma.astype("float32")


@pytest.fixture(scope="module")
def tiny_models():
    return {family: models.build_model(family, **kwargs) for family, kwargs in TINY.items()}


@pytest.mark.parametrize("family", sorted(TINY))
def test_build_and_output_shapes(tiny_models, family):
    model = tiny_models[family]
    assert model.name == f"colorkit_{family}"
    assert models.model_family(model) == family
    assert tuple(model.input.shape) == (None, None, None, 1)
    for height, width in [(32, 32), (64, 64), (32, 48)]:
        lightness = np.zeros((2, height, width, 1), "float32")
        output = keras.ops.convert_to_numpy(model(lightness, training=False))
        assert output.shape == _output_shape(family, 2, height, width)
        assert output.dtype == np.float32


def test_output_ranges(tiny_models):
    lightness = np.random.default_rng(1).random((2, 32, 32, 1), dtype=np.float32)
    ab = keras.ops.convert_to_numpy(tiny_models["unet"](lightness))
    uv = keras.ops.convert_to_numpy(tiny_models["dahl"](lightness))
    probabilities = keras.ops.convert_to_numpy(tiny_models["zhang"](lightness))
    assert np.all(np.abs(ab) <= 1.0)
    assert np.all((uv >= 0.0) & (uv <= 1.0))
    np.testing.assert_allclose(probabilities.sum(-1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("family", sorted(TINY))
def test_fixed_input_shape_and_bad_sizes(tiny_models, family):
    stride = TINY_STRIDE[family]
    fixed = models.build_model(family, input_shape=(2 * stride, 3 * stride, 1), **TINY[family])
    assert tuple(fixed.output.shape) == _output_shape(family, None, 2 * stride, 3 * stride)
    bad = 2 * stride + 2
    with pytest.raises(ValueError, match="multiples of the model's stride"):
        models.build_model(family, input_shape=(bad, bad, 1), **TINY[family])
    with pytest.raises(ValueError, match="multiples of the model's stride"):
        tiny_models[family](np.zeros((1, bad, 2 * stride, 1), "float32"))
    with pytest.raises(ValueError, match="input_shape must be"):
        models.build_model(family, input_shape=(32, 32, 3), **TINY[family])


@pytest.mark.parametrize(
    ("family", "kwargs", "match"),
    [
        ("unet", dict(base_filters=0), "Received: base_filters=0"),
        ("unet", dict(depth=7), "Received: depth=7"),
        ("dahl", dict(width=-1), "Received: width=-1"),
        ("dahl", dict(depth=5), "Received: depth=5"),
        ("dahl", dict(width=0.5, weights="imagenet"), "Received: width=0.5"),
        ("dahl", dict(weights="backbone.npz"), "Received: weights='backbone.npz'"),
        ("zhang", dict(width=-1), "Received: width=-1"),
        ("zhang", dict(middle_stride=2), "Received: middle_stride=2"),
        ("zhang", dict(num_bins=1), "Received: num_bins=1"),
    ],
)
def test_argument_validation(family, kwargs, match):
    with pytest.raises(ValueError, match=match):
        models.build_model(family, **kwargs)


def test_registry_errors():
    with pytest.raises(ValueError, match="Received: name='resnet'"):
        models.build_model("resnet")
    with pytest.raises(TypeError, match="low_resolution must be a bool"):
        models.unet(low_resolution="yes")
    with pytest.raises(FileNotFoundError, match="missing.weights.h5"):
        models.dahl(weights="missing.weights.h5")
    with pytest.raises(ValueError, match="Received: model.name='my_net'"):
        models.model_family(keras.Sequential([keras.Input((4,))], name="my_net"))
    assert models.available_models() == ["dahl", "guided", "unet", "zhang"]
    assert set(models.PHOTO_TRAINED) < set(models.available_models())
    assert {family["space"] for family in models.FAMILIES.values()} == {"lab", "yuv"}
    for family in models.FAMILIES.values():
        assert family["loss"] in losses.available_losses()


@pytest.mark.parametrize("family", sorted(TINY))
def test_training_steps_lower_the_loss(family):
    keras.utils.set_random_seed(0)
    model = models.build_model(family, **TINY[family])
    model.compile(
        optimizer=keras.optimizers.Adam(0.01), loss=losses.get_loss(models.FAMILIES[family]["loss"])
    )
    lightness, chroma = _batch(family)
    history = [float(model.train_on_batch(lightness, chroma)) for _ in range(8)]
    assert all(np.isfinite(history))
    assert history[-1] < history[0]


def test_save_and_load_in_a_fresh_process(tiny_models, tmp_path):
    lightness, chroma = _batch("unet", batch=1, size=32)
    np.save(tmp_path / "lightness.npy", lightness)
    decoder = models.zhang_decoder(tiny_models["zhang"], temperature=0.5)
    saved = dict(tiny_models, zhang_decoder=decoder)
    for name, model in saved.items():
        if name == "unet":  # also round-trip a compiled model with a colorkit loss
            model.compile(optimizer="adam", loss=losses.get_loss("blurred_l2"))
        model.save(tmp_path / f"{name}.keras")
        np.save(tmp_path / f"{name}.npy", keras.ops.convert_to_numpy(model(lightness)))
    script = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        import keras, numpy as np
        import colorkit.losses, colorkit.models  # registers the custom layers and losses
        folder = Path(sys.argv[1])
        lightness = np.load(folder / "lightness.npy")
        for name in ["unet", "dahl", "zhang", "zhang_decoder"]:
            model = keras.models.load_model(folder / f"{name}.keras")
            expected = np.load(folder / f"{name}.npy")
            np.testing.assert_allclose(model(lightness), expected, rtol=1e-4, atol=1e-5)
            print(name, model.name, colorkit.models.model_family(model))
        decoder = keras.models.load_model(folder / "zhang_decoder.keras")
        print("temperature", float(decoder.get_layer("annealed_mean").temperature.numpy()))
        """
    )
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), TF_CPP_MIN_LOG_LEVEL="2")
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "zhang_decoder colorkit_zhang_decoder zhang" in result.stdout
    assert "temperature 0.5" in result.stdout


def test_count_flops_scales_with_area(tiny_models):
    for model in tiny_models.values():
        flops_32 = models.count_flops(model, 32)
        assert flops_32 > 0
        assert models.count_flops(model, 64) == 4 * flops_32
        assert models.count_flops(model, (32, 64)) == 2 * flops_32
    with pytest.raises(ValueError, match="multiples of the model's stride"):
        models.count_flops(tiny_models["unet"], 36)
    with pytest.raises(ValueError, match="Received: image_size=0"):
        models.count_flops(tiny_models["unet"], 0)


def test_count_flops_oracles():
    # One 3x3 conv, 1 -> 8 channels, "same" padding, 16 x 16 outputs: 2 * 256 * 9 * 8.
    conv = keras.Sequential(
        [keras.Input((None, None, 1)), keras.layers.Conv2D(8, 3, padding="same")]
    )
    assert models.count_flops(conv, 16) == 2 * 256 * 9 * 8
    # The classic full-resolution U-Net 32/64/128/256: 4.6 GFLOP at 128 px (PERFORMANCE.md).
    classic = models.unet(low_resolution=False)
    assert models.count_flops(classic, 128) == pytest.approx(4.6e9, rel=0.01)


def test_defaults_are_cpu_sized():
    table = models.summary_table(128)
    assert table.count("\n") == 5 and "| unet |" in table and "| zhang |" in table
    assert "| guided | bins |" in table
    for family in models.PHOTO_TRAINED:
        model = models.build_model(family)
        assert models.count_flops(model, 128) <= 0.4e9, family
        stride = models.FAMILIES[family]["stride"]
        with pytest.raises(ValueError, match=f"stride {stride}"):
            models.count_flops(model, stride * 4 + stride // 2)


def test_dahl_loads_local_backbone_weights_last(tmp_path):
    backbone = models.vgg16_backbone(width=0.0625)
    path = tmp_path / "backbone.weights.h5"
    backbone.save_weights(path)
    model = models.dahl(width=0.0625, depth=2, weights=str(path), trainable_backbone=False)
    for name in ["block1_conv1", "block2_conv2"]:
        for loaded, source in zip(
            model.get_layer(name).get_weights(), backbone.get_layer(name).get_weights(), strict=True
        ):
            np.testing.assert_array_equal(loaded, source)
        assert not model.get_layer(name).trainable
    assert model.get_layer("decoder_tap2_conv").trainable


def test_vgg_preprocess_matches_keras_applications():
    gray = np.random.default_rng(2).random((1, 4, 4, 1), dtype=np.float32)
    expected = keras.applications.vgg16.preprocess_input(np.repeat(gray, 3, axis=-1) * 255.0)
    actual = keras.ops.convert_to_numpy(ck_layers.VGGPreprocess()(gray))
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-4)


def test_annealed_mean_of_one_hot_is_the_bin():
    bins = np.asarray(color.ab_bins(), "float32")
    probabilities = np.zeros((1, 1, 2, len(bins)), "float32")
    probabilities[0, 0, 0, 7] = 1.0
    probabilities[0, 0, 1, 100] = 1.0
    decode = ck_layers.AnnealedMeanDecode(temperature=0.2)
    ab = keras.ops.convert_to_numpy(decode(probabilities))
    np.testing.assert_allclose(ab[0, 0] * color.AB_SCALE, bins[[7, 100]], atol=1e-3)
    with pytest.raises(ValueError, match="Received: temperature=0"):
        decode.set_temperature(0)
    with pytest.raises(ValueError, match="expects 313 channels"):
        ck_layers.AnnealedMeanDecode()(np.zeros((1, 1, 1, 5), "float32"))


def test_zhang_temperature_changes_output_without_rebuild():
    classifier = models.zhang(width=0.0625)
    logits = classifier.get_layer("zhang_logits")  # spread the (near-uniform) initial output
    kernel, bias = logits.get_weights()
    logits.set_weights([kernel, np.random.default_rng(4).normal(0, 2, bias.shape)])
    decoder = models.zhang_decoder(classifier, temperature=0.38)
    assert models.model_family(decoder) == "zhang"
    lightness = np.random.default_rng(3).random((1, 32, 32, 1), dtype=np.float32)
    warm = decoder.predict(lightness, verbose=0)
    predict_function = decoder.predict_function
    assert warm.shape == (1, 32, 32, 2)
    assert models.set_temperature(decoder, 1.0) == 1
    mean = decoder.predict(lightness, verbose=0)
    assert decoder.predict_function is predict_function  # no rebuild, no retrace
    assert not np.allclose(warm, mean)
    assert decoder.get_layer("annealed_mean").get_config()["temperature"] == 1.0
    # At T = 1 the annealed mean is the plain expectation of the bins.
    probabilities = keras.ops.convert_to_numpy(classifier(lightness))
    expected = probabilities @ np.asarray(color.ab_bins(), "float32") / color.AB_SCALE
    decoded = decoder.get_layer("annealed_mean")(probabilities)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(decoded), expected, atol=1e-4)
    with pytest.raises(ValueError, match="no AnnealedMeanDecode"):
        models.set_temperature(classifier, 0.5)
