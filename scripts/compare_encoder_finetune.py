"""Fine-tuning the encoder's last stage on cached features vs the decoder alone (BSDS500 val).

    python scripts/compare_encoder_finetune.py [--work runs/recipe-default] [--epochs 2]
    python scripts/compare_encoder_finetune.py --work runs/recipe-default --recipe-stage

The evidence for the default recipe's third stage. The encoder's feature cache holds every
stage's output. The last stage (``stage4``, 3.7 M parameters) can be
recomputed from the cached ``stage3`` on this CPU, so it can be fine-tuned without a GPU. Both
arms start from the hint fine-tune's last epoch (the recipe's second stage) and train for
the same steps on the same batches (``colorkit.training.cached.CachedBatches`` with the hint
fine-tune's settings, ``FINETUNE_SETTINGS``), at the same learning rate:

- ``decoder only``: the encoder stays frozen (the cached ``stage4``);
- ``decoder + last encoder stage``: ``stage4`` is computed from the cached ``stage3`` by the
  encoder's own last stage, trained with the decoder.

With ``--recipe-stage`` the second arm is not trained again: it is the default recipe's third
stage (``<work>/last_stage``, the same training with the same settings, which its
``config.json`` supplies), so only the control arm is trained here.

Each arm, and the starting point, is measured on the 100 BSDS500 val photos (long side 256,
no hints) as the export measures decodings: the full model (frozen encoder up to ``stage3``,
then the arm's last stage and decoder) decoded at the shipped default's temperature and
saturation, with the pooled and per-photo rebalanced AuC, plain AuC, PSNR and false color
against gray. The JSON (default ``docs/figures/encoder_finetune.json``) records it.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
import warnings
from pathlib import Path

import keras
import numpy as np

from colorkit import (
    atomic,
    color,
    evaluation,
    features,
    infer,
    losses,
    metrics,
    models,
    pretrained,
)
from colorkit.models import encoders, guided
from colorkit.training import cached, recipes

REPO_ROOT = Path(__file__).resolve().parents[1]


def full_model(decoder: keras.Model, block: keras.Model | None, spec) -> keras.Model:
    """Lightness + hints -> probabilities, with ``block`` replacing the encoder's last stage."""
    return guided.guided_zhang(decoder=decoder, last_stage=block, **spec.decoding())


def measure(model, truths, prior) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", color.GamutWarning)
        predictions = infer.colorize(truths, model, size=256)
    scores = metrics.pooled_scores(predictions, truths, prior)
    means = evaluation.evaluate_predictions(predictions, truths, prior=prior)
    scores.update({f"{key}_mean": float(means[key]) for key in ("rebalanced_auc_ab", "psnr")})
    return {key: float(value) for key, value in scores.items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=REPO_ROOT / "runs" / "recipe-default")
    parser.add_argument("--decoder", type=Path, help="default: the last fine-tune epoch")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--learning-rate", type=float, default=1e-4)
    parser.add_argument("--steps", type=int, help="steps per epoch (default: the whole cache)")
    parser.add_argument(
        "--sample-stride", type=int, help="the loss's stride (default: the default recipe's)"
    )
    parser.add_argument("--limit", type=int, help="first N val photos (default all)")
    parser.add_argument(
        "--recipe-stage",
        action="store_true",
        help="take the last-stage arm from <work>/last_stage (the recipe's third stage)",
    )
    parser.add_argument(
        "--output", type=Path, default=REPO_ROOT / "docs" / "figures" / "encoder_finetune.json"
    )
    args = parser.parse_args(argv)
    started = time.time()
    decoder_path = args.decoder or cached.last_checkpoint(args.work / "finetune")
    spec = models.model_spec(pretrained.load_pretrained())
    val = evaluation.scoring_set(limit=args.limit)
    truths, prior = val.truths, val.prior
    gray = [color.desaturate(t, method="lab") for t in truths]
    rows = {"gray": metrics.pooled_scores(gray, truths, prior)}
    start_decoder = keras.saving.load_model(decoder_path, compile=False)
    start = "start (hint fine-tune, frozen encoder)"
    rows[start] = measure(full_model(start_decoder, None, spec), truths, prior)
    print("start", rows[start], flush=True)

    recipe_run = args.work / "last_stage"
    # The loss as the default recipe scores it (one cell per block), unless told otherwise;
    # with --recipe-stage, as that run's stage was trained.
    stride = args.sample_stride or recipes.get_recipe("default").model_kwargs["sample_stride"]
    if args.recipe_stage:
        saved = json.loads((recipe_run / "config.json").read_text())
        args.epochs, args.learning_rate = saved["epochs"], saved["learning_rate"]
        stride = saved.get("sample_stride", 1)
    train = features.FeatureCache(args.work / "cache_train", in_memory=True)
    config = cached.GuidedConfig(
        epochs=args.epochs,
        learning_rate=args.learning_rate,
        sample_stride=stride,
        **cached.FINETUNE_SETTINGS,
    )
    prior_weights = color.rebalancing_weights(np.load(args.work / "run" / "ab_prior.npy"), lam=0.5)
    steps = args.steps or len(cached.CachedBatches(train, config))
    seconds = {}
    for arm in ("decoder only", "decoder + last encoder stage"):
        if args.recipe_stage and arm != "decoder only":
            trained = keras.saving.load_model(cached.last_checkpoint(recipe_run), compile=False)
            block = trained.get_layer("stage4_block")
            full = full_model(trained.get_layer("guided_decoder"), block, spec)
            rows[arm] = measure(full, truths, prior)
            summary = json.loads((args.work / "summary.json").read_text())
            seconds[arm] = summary["last_stage_seconds"]
            print(arm, "(the recipe's third stage)", rows[arm], flush=True)
            continue
        keras.utils.set_random_seed(config.seed)
        decoder = keras.saving.load_model(decoder_path, compile=False)
        block = encoders.last_stage() if arm != "decoder only" else None
        model = decoder if block is None else guided.decoder_with_last_stage(decoder, block)
        if stride > 1:  # the same weights, the loss on the sampled cells
            model = guided.sampled_trainer(model, stride)
        model.compile(
            optimizer=keras.optimizers.Adam(
                keras.optimizers.schedules.CosineDecay(
                    args.learning_rate, decay_steps=args.epochs * steps, alpha=0.05
                )
            ),
            loss=losses.SoftEncodedCrossEntropy(prior_weights=prior_weights),
        )
        tick = time.time()
        for epoch in range(args.epochs):
            arm_config = dataclasses.replace(config, last_stage=block is not None)
            batches = cached.CachedBatches(train, arm_config, train=True, epoch=epoch)
            model.fit(batches, epochs=1, steps_per_epoch=steps, shuffle=False, verbose=2)
        seconds[arm] = round(time.time() - tick, 1)
        rows[arm] = measure(full_model(decoder, block, spec), truths, prior)
        print(arm, rows[arm], f"{seconds[arm]} s", flush=True)
    result = {
        "dataset": "bsds500 val",
        "photos": len(truths),
        "decoder": str(decoder_path.name),
        "last_stage_arm": "the recipe's third stage" if args.recipe_stage else "trained here",
        "decoding": {"temperature": spec.temperature, "saturation": spec.saturation},
        "epochs": args.epochs,
        "steps_per_epoch": steps,
        "learning_rate": args.learning_rate,
        "sample_stride": stride,
        "train_seconds": seconds,
        "rows": rows,
        "seconds": round(time.time() - started, 1),
    }
    atomic.write_json(args.output, result)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
