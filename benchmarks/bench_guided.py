"""Benchmark: training the default colorizer on cached encoder features vs end to end.

Both measure training steps of the same model at 128 px, batch 32, measured in the same run:

- cached: the decoder alone (``guided_decoder``) on encoder features as a feature cache
  serves them (float16 taps, 1/4-resolution lightness and hints), with the rebalanced soft
  cross-entropy — what ``colorkit train --recipe default`` does after the cache is built;
- end to end: the whole model (``guided_zhang`` with the trained encoder unfrozen), on the
  lightness of the crops, the same loss;
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


def forward_flops(model, input_shapes) -> float:
    """Floating-point operations of one forward pass (TensorFlow's graph profiler)."""
    import tensorflow as tf
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2,
    )
    from tensorflow.python.profiler import model_analyzer, option_builder

    function = tf.function(lambda *inputs: model(list(inputs) if len(inputs) > 1 else inputs[0]))
    concrete = function.get_concrete_function(
        *[tf.TensorSpec(shape, tf.float32) for shape in input_shapes]
    )
    graph = convert_variables_to_constants_v2(concrete).graph
    options = option_builder.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    return float(model_analyzer.profile(graph, options=options).total_float_ops)


def run(quick: bool = False) -> list[dict]:
    from colorkit import guided_training, losses, pretrained
    from colorkit.models import encoders, guided

    rng = np.random.default_rng(0)
    taps, lightness, hint_ab, mask, target = _inputs(rng)
    repeats = 3 if quick else 5

    decoder = guided.guided_decoder(spread=True)  # the shipped decoder's architecture
    decoder.compile(optimizer="adam", loss=losses.SoftEncodedCrossEntropy())
    cached_x = [*taps, lightness, hint_ab, mask]
    cached = time_call(lambda: decoder.train_on_batch(cached_x, target), repeats=repeats)["min"]

    # The floor of a cached step: the decoder's forward + backward pass, no loss, no update.
    import tensorflow as tf

    floor_inputs = [tf.constant(value) for value in cached_x]

    @tf.function
    def forward_backward():
        with tf.GradientTape() as tape:
            total = tf.reduce_sum(decoder(floor_inputs, training=True))
        return tape.gradient(total, decoder.trainable_weights)

    floor = time_call(forward_backward, repeats=repeats)["min"]

    # The recipe's third stage: the encoder's last stage trained with the decoder, on cached
    # stage2 and stage3 (stage4 recomputed).
    staged = guided.decoder_with_last_stage(
        guided.guided_decoder(spread=True), encoders.last_stage(weights=None)
    )
    staged.compile(optimizer="adam", loss=losses.SoftEncodedCrossEntropy())
    staged_x = [taps[0], taps[1], lightness, hint_ab, mask]
    with_stage = time_call(lambda: staged.train_on_batch(staged_x, target), repeats=repeats)["min"]

    # Same architecture; trained weights cost the same.
    full = guided.guided_zhang(weights=None, decoder=guided.guided_decoder(spread=True))
    for layer in full.layers:
        layer.trainable = True
    full.compile(optimizer="adam", loss=losses.SoftEncodedCrossEntropy())
    image = rng.random((BATCH, SIZE, SIZE, 1)).astype(np.float32)
    full_x = [image, np.zeros((BATCH, SIZE, SIZE, 2), np.float32), np.zeros_like(image)]
    end_to_end = time_call(lambda: full.train_on_batch(full_x, target), repeats=repeats)["min"]
    trainable = sum(int(np.prod(w.shape)) for w in full.trainable_weights)

    # The loss's soft encoding of the targets: the window of grid cells vs every bin.
    from colorkit import color, color_ops

    ab = tf.constant(target * color.AB_SCALE)
    bins = tf.constant(color.ab_bins())
    window = tf.function(lambda: color_ops.soft_encode_sparse(ab))
    everywhere = tf.function(lambda: color_ops._nearest_bins_everywhere(ab, bins, 5))
    encode = time_call(window, repeats=repeats)["min"]
    encode_all = time_call(everywhere, repeats=repeats)["min"]
    ratio = end_to_end / cached
    # What the goal asks of the decoder: a training step costs about 3 forward passes, so
    # cached / end to end can reach at most (encoder + decoder) / decoder in operations.
    decoder_flops = forward_flops(decoder, [(1, *value.shape[1:]) for value in cached_x])
    encoder_flops = forward_flops(
        encoders.build_encoder("resnet50_1by2", weights=None), [(1, SIZE, SIZE, 1)]
    )
    rows = [
        row(SECTION, "decoder on cached features", BATCH / cached, "crops/s"),
        row(
            SECTION,
            "end to end (encoder unfrozen)",
            BATCH / end_to_end,
            "crops/s",
            note=f"{trainable:,} trainable parameters",
        ),
        row(
            SECTION,
            "cached / end-to-end training speed",
            ratio,
            "x",
            goal=">= 10x",
            met=ratio >= 10,
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
        peak = guided_training.recipe_peak_rss_gib(facts)
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
