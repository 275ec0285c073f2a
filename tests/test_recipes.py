"""Tests for colorkit.training.recipes: recipe registry, curriculum configs, runs and evaluation."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from colorkit import cli, recipes


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
    row = recipes.evaluate_model(str(exported), paths, long_side=64)
    gray = recipes.evaluate_model("gray", paths, long_side=64)
    truth = recipes.evaluate_model("truth", paths, long_side=64)
    assert truth["auc_ab"] == pytest.approx(1.0)
    assert gray["colorfulness"] < 1e-3 < truth["colorfulness"]
    assert 0.0 <= row["auc_ab"] <= 1.0


def test_load_long_side_keeps_aspect(shared_data):
    path = str(sorted((shared_data / "bsds500" / "test").glob("*.jpg"))[0])
    (image,) = recipes.load_long_side([path], long_side=96)
    assert max(image.shape[:2]) == 96 and image.dtype == np.float32
    with pytest.raises(ValueError, match="long_side"):
        recipes.load_long_side([path], long_side=0)


def test_evaluate_predictions_validates_lengths():
    with pytest.raises(ValueError, match="same length"):
        recipes.evaluate_predictions([], [])


def test_guided_recipe_with_too_many_stages_is_refused(tmp_path):
    default = recipes.get_recipe("default")
    longer = dataclasses.replace(default, stages=(*default.stages, recipes.Stage(128, 1)))
    with pytest.raises(ValueError, match="at most 3 stages"):
        recipes.run_recipe(longer, run_root=tmp_path)


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

    def fake_recipe(root, config, finetune=None, last_stage=None, **kwargs):
        seen.update(run=config, finetune=finetune, last_stage=last_stage)
        seen_data.update(kwargs)
        folder = tmp_path / "last"
        folder.mkdir(exist_ok=True)
        (folder / "epoch_002.keras").write_text("")
        return folder

    monkeypatch.setattr(recipes.guided_training, "run_guided_recipe", fake_recipe)
    assert recipes.run_recipe(name, run_root=tmp_path / "r").name == "epoch_002.keras"
    assert [(c.width, c.sample_stride) for c in seen.values()] == [shape] * 3
    assert seen["finetune"].spread and seen["last_stage"].last_stage
    assert seen_data == data
