"""The recipe's sampled loss: the training model scores one cell per block of the output."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from colorkit.models import encoders, guided


def _decoder_inputs(rng, batch=2, quarter=16):
    eighth = quarter // 2
    return [
        rng.random((batch, eighth, eighth, 256)).astype(np.float32),
        rng.random((batch, eighth // 2, eighth // 2, 512)).astype(np.float32),
        rng.random((batch, eighth // 4, eighth // 4, 1024)).astype(np.float32),
        rng.random((batch, quarter, quarter, 1)).astype(np.float32),
        np.zeros((batch, quarter, quarter, 2), np.float32),
        np.zeros((batch, quarter, quarter, 1), np.float32),
    ]


def test_pixel_sample_picks_the_phase_cell_as_sample_cells_does():
    rng = np.random.default_rng(0)
    x = rng.random((3, 8, 12, 5)).astype(np.float32)
    phase = np.array([[0, 0], [3, 1], [2, 3]], np.int32)
    picked = np.asarray(guided.PixelSample(4)([x, phase]))
    assert picked.shape == (3, 2, 3, 5)
    np.testing.assert_array_equal(picked, guided.sample_cells(x, phase, 4))
    np.testing.assert_array_equal(picked[1, 1, 2], x[1, 4 + 3, 8 + 1])
    np.testing.assert_array_equal(guided.PixelSample(1)([x, phase]), x)
    layer = guided.PixelSample.from_config(guided.PixelSample(2, name="s").get_config())
    assert layer.stride == 2


@pytest.mark.parametrize("stride", [0, 2.0, True])
def test_pixel_sample_refuses_a_bad_stride(stride):
    with pytest.raises((ValueError, TypeError), match="Received: stride="):
        guided.PixelSample(stride)


def test_sample_cells_refuses_shapes_and_phases_that_do_not_fit():
    x = np.zeros((2, 8, 8, 1), np.float32)
    with pytest.raises(ValueError, match="multiples of stride=3"):
        guided.sample_cells(x, np.zeros((2, 2), int), 3)
    with pytest.raises(ValueError, match="phase must be"):
        guided.sample_cells(x, np.full((2, 2), 4), 4)
    with pytest.raises(ValueError, match="phase must be"):
        guided.sample_cells(x, np.zeros((3, 2), int), 4)


def test_sampled_trainer_shares_the_decoder_and_equals_it_at_the_cells():
    rng = np.random.default_rng(1)
    inputs = _decoder_inputs(rng)
    phase = np.array([[1, 2], [3, 0]], np.int32)
    decoder = guided.guided_decoder(width=16, spread=True)
    trainer = guided.sampled_trainer(decoder, 4)
    assert [v.path for v in trainer.trainable_variables] == [
        v.path for v in decoder.trainable_variables
    ]
    assert trainer.output.shape[-1] == 313
    np.testing.assert_allclose(
        trainer([*inputs, phase]), guided.sample_cells(decoder(inputs), phase, 4), atol=1e-6
    )
    # Training the sampled model trains the decoder itself.
    before = [w.copy() for w in decoder.get_weights()]
    trainer.compile(optimizer="adam", loss="categorical_crossentropy")
    target = np.full((2, 4, 4, 313), 1 / 313, np.float32)
    trainer.train_on_batch([*inputs, phase], target)
    assert any(not np.array_equal(a, b) for a, b in zip(before, decoder.get_weights(), strict=True))

    # The recipe's third stage: the encoder's last stage in front of the decoder.
    staged = guided.decoder_with_last_stage(decoder, encoders.last_stage(weights=None))
    staged_trainer = guided.sampled_trainer(staged, 2)
    short = [inputs[0], inputs[1], *inputs[3:]]
    np.testing.assert_allclose(
        staged_trainer([*short, phase % 2]),
        guided.sample_cells(staged(short), phase % 2, 2),
        atol=1e-6,
    )
    with pytest.raises(ValueError, match="Received: model.name="):
        guided.sampled_trainer(keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)]), 2)


def test_end_to_end_training_form_of_the_full_model():
    decoder = guided.guided_decoder(width=8)
    full = guided.guided_zhang(weights=None, decoder=decoder, sample_stride=4)
    lightness = np.random.default_rng(2).random((1, 64, 64, 1)).astype(np.float32)
    hints = [np.zeros((1, 64, 64, 2), np.float32), np.zeros((1, 64, 64, 1), np.float32)]
    phase = np.array([[2, 1]], np.int32)
    dense = guided.guided_zhang(weights=None, decoder=decoder)
    dense.set_weights(full.get_weights())
    np.testing.assert_allclose(
        full([lightness, *hints, phase]),
        guided.sample_cells(dense([lightness, *hints]), phase, 4),
        atol=1e-6,
    )
