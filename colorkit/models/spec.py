"""What a colorkit model is, stored inside it: ``ModelSpec``, ``attach_spec``, ``model_spec``.

The facts that decoding needs (family, color space, stride, output kind, bins, recommended
decoding settings) travel with the model: ``attach_spec`` appends a pass-through
``ModelSpecLayer`` whose ``get_config`` holds the spec, so it survives ``model.save(...)`` and
``keras.saving.load_model(...)`` in a fresh process. ``model_spec`` is the one function that
reads it; a model without one gets a clear ``ValueError`` (nothing is guessed from its name).
"""

from __future__ import annotations

import dataclasses

import keras

from colorkit import _checks

SPACES = ("lab", "yuv")
OUTPUTS = ("distribution", "regression")


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """Metadata of a colorization model.

    Attributes:
        family: Builder family, e.g. "unet", "dahl", "zhang".
        space: "lab" (input L / 100, chroma ab / AB_SCALE) or "yuv" (input Y, chroma
            model-scale UV in [0, 1]).
        stride: Required divisor of the input height and width (positive int).
        output: "distribution" (``(B, h, w, num_bins)`` bin probabilities, decoded by the
            annealed mean) or "regression" (``(B, h, w, 2)`` model-scale chroma).
        num_bins: Number of ab bins of a distribution output (None for regression).
        temperature: Recommended annealed-mean temperature (None: the library default).
        saturation: Recommended chroma multiplier (None: 1).
        working_size: Recommended working long side in pixels (None: the library default).
        hint_inputs: True when the model takes ``[lightness, hint_ab, hint_mask]``.

    Example:
        >>> spec = ModelSpec("unet", "lab", 32, "regression", None, None, None, None)
        >>> ModelSpec.from_dict(spec.to_dict()) == spec
        True
    """

    family: str
    space: str
    stride: int
    output: str
    num_bins: int | None
    temperature: float | None
    saturation: float | None
    working_size: int | None
    hint_inputs: bool = False

    def __post_init__(self):
        if not isinstance(self.family, str) or not self.family:
            raise ValueError(f"family must be a non-empty str. Received: family={self.family!r}")
        _checks.check_choice("space", self.space, SPACES)
        _checks.check_choice("output", self.output, OUTPUTS)
        object.__setattr__(self, "stride", _checks.check_int("stride", self.stride))
        if self.output == "distribution":
            bins = _checks.check_int("num_bins", self.num_bins, minimum=2)
            object.__setattr__(self, "num_bins", bins)
        elif self.num_bins is not None:
            raise ValueError(
                f"num_bins applies to distribution outputs only. Received: num_bins={self.num_bins}"
            )
        if self.temperature is not None:
            object.__setattr__(self, "temperature", _checks.check_temperature(self.temperature))
        if self.saturation is not None:
            object.__setattr__(self, "saturation", _checks.check_saturation(self.saturation))
        if self.working_size is not None:
            size = _checks.check_int("working_size", self.working_size)
            object.__setattr__(self, "working_size", size)
        if not isinstance(self.hint_inputs, bool):
            raise TypeError(f"hint_inputs must be a bool. Received: {self.hint_inputs!r}")

    def to_dict(self) -> dict:
        """A JSON-ready dict of every field."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> ModelSpec:
        """The spec from :meth:`to_dict` output (unknown keys raise ``ValueError``)."""
        if not isinstance(values, dict):
            raise TypeError(f"values must be a dict. Received: {type(values).__name__}")
        names = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise ValueError(
                f"Unknown ModelSpec fields: expected {sorted(names)}. Received: {unknown}"
            )
        return cls(**values)

    def decoding(self) -> dict:
        """The recommended decoding settings, ``temperature``, ``saturation`` and
        ``working_size``: keyword arguments of ``guided.guided_zhang`` (a colorizer decoded
        like this one).

        Example:
            >>> ModelSpec("m", "lab", 4, "distribution", 313, 0.5, 0.8, 256).decoding()
            {'temperature': 0.5, 'saturation': 0.8, 'working_size': 256}
        """
        return {
            "temperature": self.temperature,
            "saturation": self.saturation,
            "working_size": self.working_size,
        }

    def replace(self, **changes) -> ModelSpec:
        """A copy with some fields changed (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)


@keras.saving.register_keras_serializable(package="colorkit")
class ModelSpecLayer(keras.layers.Layer):
    """Identity layer that carries a model's ``ModelSpec`` in its config (see ``attach_spec``)."""

    def __init__(self, spec: dict, **kwargs):
        super().__init__(**kwargs)
        self.spec = ModelSpec.from_dict(dict(spec)).to_dict()

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "spec": dict(self.spec)}


def _spec_layer(model) -> ModelSpecLayer | None:
    for layer in reversed(model.layers):
        if isinstance(layer, ModelSpecLayer):
            return layer
    return None


def attach_spec(model: keras.Model, spec: ModelSpec) -> keras.Model:
    """Store ``spec`` in ``model`` so that it survives saving and loading.

    A model whose output already comes from a ``ModelSpecLayer`` gets that layer's spec replaced
    in place (the same model is returned); otherwise a new Functional model with the same
    layers (weights shared, not copied), the same inputs and name, and a pass-through
    ``ModelSpecLayer`` on its output is returned.

    Args:
        model: A Functional ``keras.Model`` with one output.
        spec: The ``ModelSpec``.

    Returns:
        The ``keras.Model`` carrying ``spec`` (read it back with :func:`model_spec`).

    Raises:
        TypeError: If ``model`` is not a ``keras.Model`` or ``spec`` not a ``ModelSpec``.
        ValueError: If the model has several outputs.

    Example:
        >>> inputs = keras.Input((None, None, 1))
        >>> net = keras.Model(inputs, keras.layers.Conv2D(2, 1)(inputs), name="net")
        >>> spec = ModelSpec("mine", "lab", 1, "regression", None, None, None, None)
        >>> model_spec(attach_spec(net, spec)).family
        'mine'
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model. Received: model={type(model).__name__}")
    if not isinstance(spec, ModelSpec):
        raise TypeError(f"spec must be a ModelSpec. Received: spec={type(spec).__name__}")
    if len(model.outputs) != 1:
        raise ValueError(
            f"attach_spec needs a model with one output. Received: {len(model.outputs)} outputs"
        )
    last = model.layers[-1] if model.layers else None
    if isinstance(last, ModelSpecLayer) and last.output is model.outputs[0]:
        last.spec = spec.to_dict()
        return model
    output = ModelSpecLayer(spec.to_dict(), name=f"{model.name}_spec")(model.outputs[0])
    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    return keras.Model(inputs, output, name=model.name)


def model_spec(model) -> ModelSpec:
    """The ``ModelSpec`` stored in a colorkit model (the one place that reads it).

    Args:
        model: A ``keras.Model`` built by ``colorkit.models`` or given a spec by
            :func:`attach_spec` (before saving).

    Returns:
        The ``ModelSpec``.

    Raises:
        TypeError: If ``model`` is not a ``keras.Model``.
        ValueError: If the model carries no spec.

    Example:
        >>> inputs = keras.Input((None, None, 1))
        >>> model_spec(keras.Model(inputs, inputs, name="plain"))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: Model 'plain' carries no colorkit ModelSpec...
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model. Received: model={type(model).__name__}")
    layer = _spec_layer(model)
    if layer is None:
        raise ValueError(
            f"Model {model.name!r} carries no colorkit ModelSpec: build it with "
            "colorkit.models.build_model, or call colorkit.models.attach_spec(model, "
            "ModelSpec(...)) before saving it. Received: model.name="
            f"{model.name!r}"
        )
    return ModelSpec.from_dict(dict(layer.spec))
