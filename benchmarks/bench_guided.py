"""Benchmark: training the default colorizer on cached encoder features vs end to end.

Both measure training steps of the same model at 128 px, batch 32, measured in the same run:

- cached: the decoder alone (``guided_decoder``, the ``default`` recipe's: width 64, the loss
  on one output cell per 4x4 block at a phase per crop, ``guided.sampled_trainer``) on encoder
  features as a feature cache serves them (float16 taps, 1/4-resolution lightness and hints),
  with the rebalanced soft cross-entropy — what ``colorkit train --recipe default`` does after
  the cache is built;
- end to end: the whole model (``guided_zhang(sample_stride=...)`` with the trained encoder
  unfrozen), on the lightness of the crops, the same loss;
- the same two for the ``default-dense`` recipe's decoder (width 128, every output cell
  scored: the model shipped before the sampled loss), the baseline;
- and the recipe's third stage: the decoder with the encoder's last stage, on cached stage2 and
  stage3 (``guided.decoder_with_last_stage``).

The targets are the ab of in-gamut colors, as a photo's are. Goal: cached >= 10x the
end-to-end speed. The soft encoding inside the loss is timed on its own: its search of a window
of grid cells against the distance to every bin (the baseline, same run). Two rows bound
what any cached step can reach: the decoder's forward and backward pass alone (no loss, no
optimizer update) and the ratio that would give; and the same bound in floating-point
operations (a training step costs about three forward passes, so the ratio is at most
(encoder + decoder) / decoder, whatever the machine). Also the peak memory of the real recipe
run, from its ``summary.json`` when found (``runs/recipe-default`` or ``$COLORKIT_GUIDED_RUN``),
else from the shipped default's training record (``colorkit/weights/manifest.json``): goal
< 8 GiB.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np

from benchmarks.common import REPO_ROOT, emit, row, time_call

SECTION = "guided"
BATCH = 32
SIZE = 128


def _inputs(rng):
    from colorkit import color
    from colorkit.models import guided

    taps = [
        rng.random((BATCH, SIZE // stride, SIZE // stride, channels)).astype(np.float16)
        for _, stride, channels in guided.DECODER_TAPS
    ]
    quarter = SIZE // guided.OUTPUT_STRIDE
    lightness = rng.random((BATCH, quarter, quarter, 1)).astype(np.float32)
    hint_ab = np.zeros((BATCH, quarter, quarter, 2), np.float32)
    mask = np.zeros((BATCH, quarter, quarter, 1), np.float32)
    # Targets are the ab of real (in-gamut) colors, as a photo's are.
    _, target = color.encode_lab(rng.random((BATCH, quarter, quarter, 3)).astype(np.float32))
    target = target.astype(np.float32)
    return taps, lightness, hint_ab, mask, target


def forward_flops(model, inputs) -> float:
    """Floating-point operations of one forward pass for one example of ``inputs`` (a batch
    per model input; TensorFlow's graph profiler)."""
    import tensorflow as tf
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2,
    )
    from tensorflow.python.profiler import model_analyzer, option_builder

    function = tf.function(lambda *args: model(list(args) if len(args) > 1 else args[0]))
    concrete = function.get_concrete_function(
        *[tf.TensorSpec((1, *np.shape(x)[1:]), tf.as_dtype(np.asarray(x).dtype)) for x in inputs]
    )
    graph = convert_variables_to_constants_v2(concrete).graph
    options = option_builder.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    return float(model_analyzer.profile(graph, options=options).total_float_ops)


def _design(rng, inputs, width: int, stride: int, repeats: int) -> dict:
    """Train-step times of one decoder design, on cached features and end to end (same model,
    same loss: every output cell scored for ``stride`` 1, else one cell per block)."""
    from colorkit import losses
    from colorkit.models import guided

    taps, lightness, hint_ab, mask, target = inputs
    sampled = stride > 1
    phase = rng.integers(0, stride, (BATCH, 2)).astype(np.int32)
    cells = guided.sample_cells(target, phase, stride)
    extra = [phase] if sampled else []

    def decoder():
        return guided.guided_decoder(width=width, spread=True)  # as shipped: spread blocks

    trainer = guided.sampled_trainer(decoder(), stride) if sampled else decoder()
    trainer.compile(optimizer="adam", loss=losses.SoftEncodedCrossEntropy())
    cached_x = [*taps, lightness, hint_ab, mask, *extra]
    cached = time_call(lambda: trainer.train_on_batch(cached_x, cells), repeats=repeats)["min"]
    full = guided.guided_zhang(
        weights=None, decoder=decoder(), sample_stride=stride if sampled else None
    )
    for layer in full.layers:
        layer.trainable = True
    full.compile(optimizer="adam", loss=losses.SoftEncodedCrossEntropy())
    image = rng.random((BATCH, SIZE, SIZE, 1)).astype(np.float32)
    full_x = [image, np.zeros((BATCH, SIZE, SIZE, 2), np.float32), np.zeros_like(image), *extra]
    end_to_end = time_call(lambda: full.train_on_batch(full_x, cells), repeats=repeats)["min"]
    return {
        "trainer": trainer,
        "cached_x": cached_x,
        "cells": cells,
        "image": image,
        "cached": cached,
        "end_to_end": end_to_end,
        "trainable": sum(int(np.prod(w.shape)) for w in full.trainable_weights),
    }


def run(quick: bool = False) -> list[dict]:
    from colorkit import losses, pretrained
    from colorkit.models import encoders, guided
    from colorkit.training import cached as cached_training
    from colorkit.training import recipes

    rng = np.random.default_rng(0)
    inputs = _inputs(rng)
    taps, lightness, hint_ab, mask, target = inputs
    repeats = 3 if quick else 5
    # The shipped (default) recipe's decoder: lean, one output cell per block scored ...
    kwargs = recipes.get_recipe("default").model_kwargs
    width, stride = kwargs["width"], kwargs["sample_stride"]
    shipped = _design(rng, inputs, width, stride, repeats)
    cached, end_to_end = shipped["cached"], shipped["end_to_end"]
    # ... and default-dense's (width 128, every output cell scored), the baseline.
    dense_kwargs = recipes.get_recipe("default-dense").model_kwargs
    dense = _design(rng, inputs, dense_kwargs["width"], dense_kwargs["sample_stride"], repeats)

    # The floor of a cached step: the decoder's forward + backward pass, no loss, no update.
    import tensorflow as tf

    trainer = shipped["trainer"]
    floor_inputs = [tf.constant(value) for value in shipped["cached_x"]]

    @tf.function
    def forward_backward():
        with tf.GradientTape() as tape:
            total = tf.reduce_sum(trainer(floor_inputs, training=True))
        return tape.gradient(total, trainer.trainable_weights)

    floor = time_call(forward_backward, repeats=repeats)["min"]

    # The recipe's third stage: the encoder's last stage trained with the decoder, on cached
    # stage2 and stage3 (stage4 recomputed).
    staged = guided.decoder_with_last_stage(
        guided.guided_decoder(width=width, spread=True), encoders.last_stage(weights=None)
    )
    staged.compile(optimizer="adam", loss=losses.SoftEncodedCrossEntropy())
    staged_x = [taps[0], taps[1], lightness, hint_ab, mask]
    with_stage = time_call(lambda: staged.train_on_batch(staged_x, target), repeats=repeats)["min"]

    # The loss's soft encoding of the targets: the window of grid cells vs every bin.
    from colorkit import color, color_ops

    ab = tf.constant(target * color.AB_SCALE)
    bins = tf.constant(color.ab_bins())
    window = tf.function(lambda: color_ops.soft_encode_sparse(ab))
    everywhere = tf.function(lambda: color_ops._nearest_bins_everywhere(ab, bins, 5))
    encode = time_call(window, repeats=repeats)["min"]
    encode_all = time_call(everywhere, repeats=repeats)["min"]
    ratio = end_to_end / cached
    dense_ratio = dense["end_to_end"] / dense["cached"]
    # What the goal asks of the decoder: a training step costs about 3 forward passes, so
    # cached / end to end can reach at most (encoder + decoder) / decoder in operations.
    decoder_flops = forward_flops(trainer, shipped["cached_x"])
    encoder_flops = forward_flops(
        encoders.build_encoder("resnet50_1by2", weights=None), [shipped["image"]]
    )
    design = f"width {width}, loss on 1 cell per {stride}x{stride} block"
    dense_design = f"width {dense_kwargs['width']}, every output cell scored"
    rows = [
        row(
            SECTION,
            f"decoder on cached features ({design})",
            BATCH / cached,
            "crops/s",
            baseline=BATCH / dense["cached"],
            ratio=dense["cached"] / cached,
            note=f"the default recipe's decoder; baseline: default-dense's ({dense_design})",
        ),
        row(
            SECTION,
            "end to end (encoder unfrozen)",
            BATCH / end_to_end,
            "crops/s",
            note=f"{shipped['trainable']:,} trainable parameters",
        ),
        row(
            SECTION,
            "cached / end-to-end training speed",
            ratio,
            "x",
            goal=">= 10x",
            met=ratio >= 10,
            note=f"the default recipe's decoder ({design}): same model, same loss; end to end "
            f"{end_to_end * 1000:.0f} ms, cached {cached * 1000:.0f} ms (batch {BATCH})",
        ),
        row(
            SECTION,
            "default-dense recipe: cached / end-to-end training speed",
            dense_ratio,
            "x",
            note=f"{dense_design}; end to end {dense['end_to_end'] * 1000:.0f} ms, cached "
            f"{dense['cached'] * 1000:.0f} ms (batch {BATCH}); the model shipped before the "
            "sampled loss",
        ),
        row(
            SECTION,
            "decoder + encoder's last stage on cached stage3 (recipe's third stage)",
            BATCH / with_stage,
            "crops/s",
            note=f"{end_to_end / with_stage:.2f}x the end-to-end speed",
        ),
        row(
            SECTION,
            f"soft encoding of a batch's targets ({BATCH}x{SIZE // 4}x{SIZE // 4} ab, 5 bins)",
            encode * 1000,
            "ms",
            baseline=encode_all * 1000,
            ratio=encode_all / encode,
            note="a window of 5x5 grid cells vs the distance to all 313 bins (baseline)",
        ),
        row(
            SECTION,
            "ceiling: end to end / decoder forward+backward alone",
            end_to_end / floor,
            "x",
            note=f"decoder forward+backward {floor * 1000:.0f} ms, train step "
            f"{cached * 1000:.0f} ms, end to end {end_to_end * 1000:.0f} ms (batch {BATCH})",
        ),
        row(
            SECTION,
            "ceiling in operations: (encoder + decoder) / decoder forward",
            (encoder_flops + decoder_flops) / decoder_flops,
            "x",
            note=f"per {SIZE} px crop: encoder {encoder_flops / 1e9:.3f} GFLOP, decoder "
            f"{decoder_flops / 1e9:.3f} GFLOP; 10x needs a decoder <= encoder / 9 = "
            f"{encoder_flops / 9e9:.3f} GFLOP",
        ),
    ]
    # The recipe's own record: its summary.json when the run is here, else the shipped
    # model's training record (the same facts, copied into the weights manifest at export).
    run_dir = Path(os.environ.get("COLORKIT_GUIDED_RUN", REPO_ROOT / "runs" / "recipe-default"))
    summary = run_dir / "summary.json"
    if summary.is_file():
        facts, source = json.loads(summary.read_text()), str(summary)
    else:
        facts = pretrained.pretrained_info("default").get("training", {})
        source = "the shipped default's training record in colorkit/weights/manifest.json"
    if facts:
        peak = cached_training.recipe_peak_rss_gib(facts)
        rows.append(
            row(
                SECTION,
                "peak memory of the default recipe",
                peak,
                "GiB",
                goal="< 8 GiB",
                met=peak < 8,
                note=source,
            )
        )
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    emit(run(parser.parse_args().quick))
