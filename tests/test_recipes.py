"""Tests for colorkit.training.recipes: the registry, curriculum configs, runs and exports."""

from __future__ import annotations

import dataclasses
import inspect
import json

import pytest

from colorkit import cli, evaluation, models
from colorkit.training import cached, recipes


def test_registry_has_the_comparison_and_shipped_recipes():
    names = recipes.available_recipes()
    for name in ("default", "l2-baseline", "compare-unet", "compare-dahl", "compare-zhang"):
        assert name in names
    budgets = {
        recipes.get_recipe(f"compare-{family}").images_seen(1000)
        for family in ("unet", "dahl", "zhang")
    }
    assert len(budgets) == 1, "the family comparison must give every family the same budget"
    scratch_stages = recipes.get_recipe("zhang-scratch").stages
    assert scratch_stages[:2] == recipes.get_recipe("compare-zhang").stages
    assert recipes.get_recipe("default").model == "guided"


def test_unknown_recipe_raises():
    with pytest.raises(ValueError, match="Received: name='nope'"):
        recipes.get_recipe("nope")


def test_stage_configs_chain_the_curriculum(shared_data, tmp_path):
    configs = recipes.stage_configs("smoke", tmp_path)
    assert [c.image_size for c in configs] == [32, 64]
    assert configs[0].init_weights is None
    assert configs[1].init_weights == str(tmp_path / "stage_0" / "last.keras")
    assert all(c.cache for c in configs)


@pytest.mark.slow
def test_cli_recipe_runs_all_stages_and_resumes(shared_data, tmp_path, capsys):
    root = tmp_path / "run"
    assert cli.main(["train", "--recipe", "smoke", "--run-dir", str(root)]) == 0
    assert (root / "stage_1" / "last.keras").is_file()
    assert json.loads((root / "recipe.json").read_text())["name"] == "smoke"
    # Running again resumes: finished stages are skipped, nothing is retrained.
    assert cli.main(["train", "--recipe", "smoke", "--run-dir", str(root)]) == 0
    exported = recipes.export_model(root / "stage_1" / "last.keras", tmp_path / "m.keras")
    paths = [str(p) for p in sorted((shared_data / "bsds500" / "val").glob("*.jpg"))[:3]]
    row = evaluation.evaluate_model(str(exported), paths, long_side=64)
    gray = evaluation.evaluate_model("gray", paths, long_side=64)
    truth = evaluation.evaluate_model("truth", paths, long_side=64)
    assert truth["auc_ab"] == pytest.approx(1.0)
    assert gray["colorfulness"] < 1e-3 < truth["colorfulness"]
    assert 0.0 <= row["auc_ab"] <= 1.0


def test_guided_recipe_with_too_many_stages_is_refused(tmp_path):
    default = recipes.get_recipe("default")
    longer = dataclasses.replace(default, stages=(*default.stages, recipes.Stage(128, 1)))
    with pytest.raises(ValueError, match="at most 3 stages"):
        recipes.run_recipe(longer, run_root=tmp_path)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"stages": (recipes.Stage(128, 1), recipes.Stage(64, 1))}, "Stage.image_size"),
        ({"stages": (recipes.Stage(128, 1, lr_schedule="step"),)}, "Stage.lr_schedule"),
        ({"loss": "l2"}, "loss"),
        ({"loss_kwargs": {"lam": 0.5, "gamma": 2}}, "loss_kwargs"),
        ({"model_kwargs": {"width": 8, "depth": 3}}, "model_kwargs"),
        ({"guided_kwargs": {"workers": 3}}, "guided_kwargs"),
        ({"max_images": 10}, "max_images"),
        ({"train_sources": (("bsds500", "test"),)}, "train_sources"),
    ],
)
def test_guided_recipe_refuses_what_it_cannot_honour(monkeypatch, tmp_path, changes, field):
    """Every field of a guided recipe is honoured or refused, naming the field; a refused
    recipe field stops the run before anything is trained or written."""
    monkeypatch.setattr(cached, "_source_photos", lambda source, step: ["a.jpg"])
    recipe = dataclasses.replace(recipes.get_recipe("default"), **changes)
    with pytest.raises(ValueError, match=field.replace(".", r"\.")):
        recipes.run_recipe(recipe, run_root=tmp_path / "r")
    assert field == "train_sources" or not (tmp_path / "r").exists()


def test_guided_later_stages_take_the_recipe_seed():
    recipe = dataclasses.replace(recipes.get_recipe("default"), seed=3)
    first, finetune, last = recipes.guided_stage_configs(recipe)
    assert (first.seed, finetune.seed, last.seed) == (3, 10, 10)
    assert recipes.guided_stage_configs(recipes.get_recipe("default"))[1].seed == 7


@pytest.mark.slow
@pytest.mark.data
def test_cli_default_recipe_smoke_trains_three_stages_and_exports(shared_data, tmp_path):
    """``colorkit train --recipe`` on the default recipe's smoke twin: caches, the three
    stages in the run-folder layout, and the shipped colorizer with its decoding choice."""
    root, shipped = tmp_path / "run", tmp_path / "ship" / "colorizer.keras"
    args = ["train", "--recipe", "default-smoke", "--run-dir", str(root)]
    assert cli.main([*args, "--export", str(shipped)]) == 0
    for stage in ("run", "finetune", "last_stage"):
        assert (root / stage / "checkpoints" / "epoch_001.keras").is_file(), stage
        assert (root / stage / "last.keras").is_file() and (root / stage / "summary.json").is_file()
    spec = models.model_spec(recipes.infer.load_model(shipped))
    trials = json.loads((shipped.parent / "guided_decoding_trials.json").read_text())
    assert spec.family == "guided" and spec.hint_inputs
    assert (spec.temperature, spec.saturation) == (
        trials["chosen"]["temperature"],
        trials["chosen"]["saturation"],
    )
    assert trials["checkpoint"] == "last_stage/last.keras" and len(trials["trials"]) == 4


@pytest.mark.parametrize(
    ("name", "shape", "data"),
    [
        ("default-dense", (128, 1), {}),
        ("default", (64, 4), {}),
        ("default-cifar50k", (64, 4), {"cifar_step": 1, "in_memory": False}),
    ],
)
def test_guided_recipes_give_every_stage_their_decoder_shape(
    monkeypatch, tmp_path, name, shape, data
):
    seen = {}
    seen_data = {}

    real = inspect.signature(cached.run_guided_recipe)

    def fake_recipe(*args, **kwargs):
        called = real.bind(*args, **kwargs).arguments  # the real signature, or TypeError
        seen.update({name: called.get(name) for name in ("config", "finetune", "last_stage")})
        seen_data.update({k: v for k, v in called.items() if k not in ("work", "config", *seen)})
        folder = tmp_path / "last"
        folder.mkdir(exist_ok=True)
        return folder

    monkeypatch.setattr(recipes.cached, "run_guided_recipe", fake_recipe)
    assert recipes.run_recipe(name, run_root=tmp_path / "r") == tmp_path / "last" / "last.keras"
    assert [(c.width, c.sample_stride) for c in seen.values()] == [shape] * 3
    assert seen["finetune"].spread and seen["last_stage"].last_stage
    recipe = recipes.get_recipe(name)
    for config, stage in zip(seen.values(), recipe.stages, strict=True):
        assert (config.epochs, config.batch_size, config.learning_rate, config.lr_schedule) == (
            stage.epochs,
            stage.batch_size,
            stage.learning_rate,
            stage.lr_schedule,
        )
    assert seen_data.pop("crop_size") == recipe.stages[0].image_size
    assert seen_data.pop("train_sources") == recipe.train_sources
    assert seen_data.pop("val_source") == recipe.val_source
    assert seen_data.pop("resume") is True
    assert seen_data == data
