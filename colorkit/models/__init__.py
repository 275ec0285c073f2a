"""colorkit model families: builders, the registry, and an analytic FLOP counter.

Families (see ``FAMILIES``):

- ``unet``: a small U-Net regressing ab (model scale, tanh); the fast CPU default and the plain
  L2 baseline. Works at 1/4 .. 1/32 resolution by default, ab upsampled x4 inside the model.
- ``dahl``: Ryan Dahl's 2016 residual encoder on a VGG16(-like) backbone, predicting UV (model
  scale [0, 1], sigmoid) in YUV space.
- ``zhang``: Zhang et al. 2016, a softmax over the ``NUM_BINS`` quantized ab bins at 1/4
  resolution; ``zhang_decoder`` turns it into an ab regressor by the annealed mean.
- ``guided``: the shipped default, a trained frozen encoder (ResNet-50-1by2) and a
  hint-conditioned decoder over the same bins (Zhang, Zhu et al. 2017): inputs
  ``[lightness, hint_ab, hint_mask]``; trained on cached encoder features
  (``colorkit.training.cached``), not end to end.

Every builder returns a Functional ``keras.Model`` named ``colorkit_<family>`` with its
``ModelSpec`` attached (``model_spec``), whose (first) input is ``(B, H, W, 1)`` lightness
(L/100 for lab models, Y for dahl); H and W must be multiples of ``FAMILIES[name]["stride"]``
for the default configuration (builders document their strides). The guided builder is
``guided.guided_zhang`` (named ``colorkit_guided``).
The defaults are CPU-sized: each spends its FLOPs at low resolution (about 0.2-0.4 GFLOP per
128 px image) so that it trains at tens of images per second on a 2-core laptop CPU.
"""

from __future__ import annotations

import keras

from colorkit.models import (
    ab_classifier,
    encoders,
    guided,
    layers,
    spec,
    unet_regressor,
    vgg_residual,
)
from colorkit.models.ab_classifier import set_temperature, zhang, zhang_decoder, zhang_stride
from colorkit.models.layers import AnnealedMeanDecode, ImageSizeCheck, VGGPreprocess
from colorkit.models.spec import ModelSpec, ModelSpecLayer, attach_spec, model_spec
from colorkit.models.unet_regressor import unet, unet_stride
from colorkit.models.vgg_residual import dahl, dahl_stride, vgg16_backbone

__all__ = [
    "FAMILIES",
    "PHOTO_TRAINED",
    "AnnealedMeanDecode",
    "ImageSizeCheck",
    "ModelSpec",
    "ModelSpecLayer",
    "VGGPreprocess",
    "ab_classifier",
    "attach_spec",
    "available_models",
    "build_model",
    "count_flops",
    "dahl",
    "dahl_stride",
    "encoders",
    "guided",
    "layers",
    "model_family",
    "model_spec",
    "set_temperature",
    "spec",
    "summary_table",
    "unet",
    "unet_regressor",
    "unet_stride",
    "vgg16_backbone",
    "vgg_residual",
    "zhang",
    "zhang_decoder",
    "zhang_stride",
]

#: Per family: color space of the data pipeline (``colorkit.data.make_tf_dataset(space=...)``),
#: what the model outputs ("ab" / "uv" at full resolution, or "bins": probabilities at 1/4
#: resolution), the input stride of the default configuration, and the paper's loss
#: (a ``colorkit.losses.get_loss`` name).
FAMILIES: dict[str, dict] = {
    "unet": dict(space="lab", output="ab", stride=unet_stride(), loss="l2"),
    "dahl": dict(space="yuv", output="uv", stride=dahl_stride(), loss="blurred_l2"),
    "zhang": dict(space="lab", output="bins", stride=zhang_stride(), loss="soft_ce"),
    "guided": dict(space="lab", output="bins", stride=guided.STRIDE, loss="soft_ce"),
}

_BUILDERS = {"unet": unet, "dahl": dahl, "zhang": zhang, "guided": guided.guided_zhang}

#: Families that ``colorkit.training.train`` fits on photos end to end; ``guided`` trains on
#: cached encoder features (``colorkit.training.cached``, the recipes ``default*``).
PHOTO_TRAINED = ("unet", "dahl", "zhang")


def available_models() -> list[str]:
    """Names accepted by ``build_model``.

    Example:
        >>> available_models()
        ['dahl', 'guided', 'unet', 'zhang']
    """
    return sorted(_BUILDERS)


def build_model(name: str, **kwargs) -> keras.Model:
    """Build a model family by name with its builder's keyword arguments.

    Args:
        name: One of ``available_models()``.
        **kwargs: Passed to ``unet``, ``dahl``, ``zhang`` or ``guided.guided_zhang``.

    Returns:
        A Functional ``keras.Model`` named ``colorkit_<name>``.

    Raises:
        ValueError: For an unknown name (or bad builder arguments).
        TypeError: For an argument the builder does not accept or of the wrong type.

    Example:
        >>> build_model("unet", base_filters=8, depth=2).name
        'colorkit_unet'
    """
    if name not in _BUILDERS:
        raise ValueError(
            f"Unknown model name: expected one of {available_models()}. Received: name={name!r}"
        )
    return _BUILDERS[name](**kwargs)


def model_family(model: keras.Model) -> str:
    """The family of a colorkit model, read from its ``ModelSpec`` (never from its name).

    Raises:
        TypeError: If ``model`` is not a ``keras.Model``.
        ValueError: If the model carries no ``ModelSpec``.

    Example:
        >>> model_family(build_model("zhang", input_shape=(32, 32, 1), width=0.0625))
        'zhang'
    """
    return model_spec(model).family


def _image_hw(image_size) -> tuple[int, int]:
    size = image_size
    if isinstance(size, int) and not isinstance(size, bool):
        size = (size, size)
    if (
        not isinstance(size, tuple | list)
        or len(size) != 2
        or any(isinstance(s, bool) or not isinstance(s, int) or s <= 0 for s in size)
    ):
        raise ValueError(
            "image_size must be a positive int or (height, width). "
            f"Received: image_size={image_size}"
        )
    return int(size[0]), int(size[1])


def _layer_flops(layer) -> int:
    """2 * multiply-accumulates of one layer, from its (fully defined) input and output shapes."""
    counted = (
        keras.layers.Conv2D,
        keras.layers.Conv2DTranspose,
        keras.layers.DepthwiseConv2D,
        keras.layers.SeparableConv2D,
        keras.layers.Dense,
    )
    if not isinstance(layer, counted):
        return 0
    in_shape, out_shape = layer.input.shape, layer.output.shape
    positions = 1
    for size in out_shape[1:-1]:
        positions *= int(size)
    if isinstance(layer, keras.layers.Conv2DTranspose):
        kernel_h, kernel_w = layer.kernel_size
        input_positions = int(in_shape[1]) * int(in_shape[2])
        return 2 * input_positions * kernel_h * kernel_w * int(in_shape[-1]) * layer.filters
    if isinstance(layer, keras.layers.SeparableConv2D):
        kernel_h, kernel_w = layer.kernel_size
        channels = int(in_shape[-1]) * layer.depth_multiplier
        return 2 * positions * (kernel_h * kernel_w * channels + channels * layer.filters)
    if isinstance(layer, keras.layers.DepthwiseConv2D):
        kernel_h, kernel_w = layer.kernel_size
        return 2 * positions * kernel_h * kernel_w * int(in_shape[-1]) * layer.depth_multiplier
    if isinstance(layer, keras.layers.Conv2D):
        kernel_h, kernel_w = layer.kernel_size
        channels_in = int(in_shape[-1]) // layer.groups
        return 2 * positions * kernel_h * kernel_w * channels_in * layer.filters
    if isinstance(layer, keras.layers.Dense):
        return 2 * positions * int(in_shape[-1]) * layer.units
    return 0


def count_flops(model: keras.Model, image_size=128) -> int:
    """Analytic forward FLOPs for one image of ``image_size`` (2 x multiply-accumulates).

    What is counted: ``Conv2D`` (incl. dilated and grouped), ``Conv2DTranspose`` (per input
    position: every input pixel scatters a full kernel), ``DepthwiseConv2D``,
    ``SeparableConv2D`` and ``Dense``, each at the shape its output has for this input size.
    Not counted: biases, batch norm, activations, pooling, resizing, softmax, additions and
    concatenations (all linear in the activations, a few percent of the total for these
    models). The backward pass of training costs about twice the forward pass.

    The model is cloned onto a fixed ``(1, H, W, C)`` input to get each layer's shapes (the
    clone's weights are discarded). Nested sub-models are not supported.

    Args:
        model: A Functional ``keras.Model`` with one image input ``(H, W, C)``.
        image_size: Side length (int) or ``(height, width)``; must suit the model's stride.

    Returns:
        The FLOP count (int), > 0 for any model with convolutions.

    Raises:
        ValueError: For a bad ``image_size`` (including one the model's stride rejects) or a
            model with nested sub-models.

    Example:
        >>> model = keras.Sequential([keras.Input((None, None, 1)), keras.layers.Conv2D(4, 3)])
        >>> count_flops(model, 10)  # 8 x 8 outputs x 9 taps x 1 input x 4 filters x 2
        4608
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model. Received: model={type(model).__name__}")
    height, width = _image_hw(image_size)
    if any(isinstance(layer, keras.Model) for layer in model.layers):
        raise ValueError(
            f"count_flops does not support nested models. Received: model.name={model.name!r}"
        )
    channels = model.inputs[0].shape[-1]
    inputs = keras.Input(batch_shape=(1, height, width, channels))
    clone = keras.models.clone_model(model, input_tensors=inputs)
    return int(sum(_layer_flops(layer) for layer in clone.layers))


def summary_table(image_size: int = 128, pretrained: dict | None = None) -> str:
    """Markdown table of the default model of every family: parameters and GFLOP per image.

    Args:
        image_size: Square image side in pixels (a multiple of every default stride, 32).
        pretrained: Optional ``{family: [pretrained model names]}`` for a last column (the
            names ``colorkit colorize --model`` takes; ``colorkit.pretrained`` knows them).

    Returns:
        A markdown table (str) with columns model, output, params, GFLOP/img (and pretrained).
        The ``guided`` family is built with a random encoder (the same architecture); its
        FLOPs are not counted (``count_flops`` does not follow its nested encoder).
    """
    height, width = _image_hw(image_size)
    extra = ("", "") if pretrained is None else (" pretrained |", "---|")
    rows = [
        f"| model | output | params | GFLOP/img @ {height}x{width} px |{extra[0]}",
        f"|---|---|---:|---:|{extra[1]}",
    ]
    for name in available_models():
        if name == "guided":
            model = guided.guided_zhang(weights=None)
            gflop = "-"
        else:
            model = build_model(name)
            gflop = f"{count_flops(model, (height, width)) / 1e9:.3f}"
        row = f"| {name} | {FAMILIES[name]['output']} | {model.count_params():,} | {gflop} |"
        if pretrained is not None:
            row += f" {', '.join(sorted(pretrained.get(name, []))) or '-'} |"
        rows.append(row)
    return "\n".join(rows)
