"""Benchmark: sRGB -> Lab on a batch of 64 x 256 x 256 images.

colorkit's NumPy version and its keras.ops version (eager, and compiled into one XLA kernel with
``tf.function(jit_compile=True)`` under the TensorFlow backend) against
``skimage.color.rgb2lab``, measured in the same run. Goal: the ops version at least 2x faster
than scikit-image on a 2-core machine.
"""

from __future__ import annotations

import argparse

import numpy as np

from benchmarks.common import emit, row, time_call

SECTION = "color"


def run(quick: bool = False) -> list[dict]:
    import keras
    import skimage.color

    from colorkit import color, color_ops

    count = 16 if quick else 64
    repeats = 3 if quick else 5
    rng = np.random.default_rng(0)
    images = rng.random((count, 256, 256, 3), dtype=np.float32)
    megapixels = count * 256 * 256 / 1e6

    baseline = time_call(lambda: skimage.color.rgb2lab(images), repeats=repeats)["min"]
    rows = [
        row(
            SECTION,
            f"skimage rgb2lab ({count}x256x256)",
            megapixels / baseline,
            "Mpx/s",
            note=f"{baseline:.3f} s (baseline)",
        )
    ]

    def add(name: str, seconds: float, goal: str = "", target: float | None = None) -> None:
        ratio = baseline / seconds
        extra = {"goal": goal, "met": ratio >= target} if target else {}
        rows.append(
            row(
                SECTION,
                name,
                megapixels / seconds,
                "Mpx/s",
                baseline=megapixels / baseline,
                ratio=ratio,
                note=f"{seconds:.3f} s",
                **extra,
            )
        )

    add(
        "colorkit.color.rgb_to_lab (NumPy)",
        time_call(lambda: color.rgb_to_lab(images), repeats=repeats)["min"],
    )
    tensor = keras.ops.convert_to_tensor(images)
    add(
        "colorkit.color_ops.rgb_to_lab (keras.ops, eager)",
        time_call(lambda: np.asarray(color_ops.rgb_to_lab(tensor)), repeats=repeats)["min"],
    )
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        compiled = tf.function(color_ops.rgb_to_lab, jit_compile=True)
        seconds = time_call(lambda: compiled(tensor).numpy(), repeats=repeats, warmup=2)["min"]
        add(
            "colorkit.color_ops.rgb_to_lab (keras.ops, XLA jit_compile)",
            seconds,
            goal=">= 2x skimage",
            target=2.0,
        )
    elif keras.backend.backend() == "jax":
        import jax

        compiled = jax.jit(color_ops.rgb_to_lab)
        seconds = time_call(lambda: np.asarray(compiled(tensor)), repeats=repeats, warmup=2)["min"]
        add(
            "colorkit.color_ops.rgb_to_lab (keras.ops, jax.jit)",
            seconds,
            goal=">= 2x skimage",
            target=2.0,
        )
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    emit(run(parser.parse_args().quick))
