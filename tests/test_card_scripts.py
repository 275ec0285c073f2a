"""The model card's scripts: scripts/compare_encoders.py and scripts/model_card.py."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from colorkit import evaluation, metrics

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_pooled_parts_reproduce_pooled_rebalanced_auc(rng):
    compare = _script("compare_encoders")
    truths = [rng.random((12 + i, 9, 3), dtype=np.float32) for i in range(5)]
    predictions = [
        np.clip(t + rng.normal(0, 0.1, t.shape), 0, 1).astype(np.float32) for t in truths
    ]
    prior = evaluation.pooled_prior(truths)
    parts, weights = compare.pooled_parts(predictions, truths, prior)
    pooled = metrics.pooled_scores(predictions, truths, prior)["rebalanced_auc_ab_pooled"]
    assert parts.sum() / weights.sum() == pytest.approx(pooled, abs=1e-9)
    # A resample (photos 0, 0, 3) is the pooled metric of that multiset, same prior.
    picked = [0, 0, 3]
    resampled = metrics.rebalanced_auc_ab(
        np.concatenate([predictions[i].reshape(-1, 1, 3) for i in picked]),
        np.concatenate([truths[i].reshape(-1, 1, 3) for i in picked]),
        prior=prior,
    )
    assert parts[picked].sum() / weights[picked].sum() == pytest.approx(resampled, abs=1e-9)


def test_paired_bootstrap_interval_contains_observed_difference(rng):
    compare = _script("compare_encoders")
    first = {"per_photo": rng.random(20), "parts": (rng.random(20), np.ones(20))}
    second = {
        "per_photo": first["per_photo"] + 0.1,
        "parts": (first["parts"][0] + 0.1, np.ones(20)),
    }
    result = compare.paired_bootstrap(first, second, resamples=200)
    for key in ("rebalanced_auc_ab", "rebalanced_auc_ab_pooled"):
        assert result[key]["mean"] == pytest.approx(0.1)
        assert result[key]["low"] == pytest.approx(0.1) and result[key]["high"] == pytest.approx(
            0.1
        )


def test_model_card_missing_default_is_a_clear_error(tmp_path, capsys):
    card = _script("model_card")
    missing = tmp_path / "nothing.keras"
    status = card.main(["--default", str(missing), "--output", str(tmp_path / "CARD.md")])
    assert status == 2
    assert f"the default model '{missing}'" in capsys.readouterr().err
    assert not (tmp_path / "CARD.md").exists()


def test_model_card_missing_given_input_is_a_clear_error(tmp_path, capsys):
    card = _script("model_card")
    status = card.main(
        ["--summary", str(tmp_path / "summary.json"), "--output", str(tmp_path / "CARD.md")]
    )
    assert status == 2
    assert "summary.json" in capsys.readouterr().err


@pytest.mark.slow
def test_compare_encoders_smoke(shared_data, tmp_path):
    compare = _script("compare_encoders")
    output = tmp_path / "comparison.json"
    assert compare.main(["--smoke", "--work", str(tmp_path / "work"), "--output", str(output)]) == 0
    result = json.loads(output.read_text())
    assert result["experiment"] == "encoder-init" and result["smoke"]
    assert set(result["rows"]) == {"random-init encoder", "trained encoder", "gray"}
    (boot,) = result["paired_bootstrap"].values()
    interval = boot["rebalanced_auc_ab_pooled"]
    assert interval["low"] <= interval["mean"] <= interval["high"]


def test_card_renders_the_spread_and_encoder_studies():
    card = _script("model_card")
    spread = {
        "photos": 4,
        "hints": 10,
        "psnr_0_hints": 20.0,
        "gain_network_alone": 2.0,
        "gain_network_alone_1_hint": 0.3,
        "grid": [{"scale": 1.0, "edge": 1.0, "gain": 3.5, "gain_1_hint": 1.0}],
        "chosen": {"scale": 1.0, "edge": 1.0},
        "gain_chosen": 3.5,
        "gain_chosen_1_hint": 1.0,
    }
    text = "\n".join(card.spread_section(spread))
    assert "+3.50" in text and "scale 1.0, edge 1.0" in text
    row = {
        "rebalanced_auc_ab_pooled": 0.74,
        "rebalanced_auc_ab_mean": 0.84,
        "auc_ab_pooled": 0.9,
        "false_color_score_pooled": 0.04,
        "psnr_mean": 23.7,
    }
    study = {
        "photos": 4,
        "epochs": 1,
        "steps_per_epoch": 3,
        "learning_rate": 1e-4,
        "decoding": {"temperature": 0.7, "saturation": 0.75},
        "train_seconds": {"decoder only": 60.0, "decoder + last encoder stage": 90.0},
        "rows": {
            "gray": {"rebalanced_auc_ab_pooled": 0.67},
            "decoder only": row,
            "decoder + last encoder stage": {**row, "rebalanced_auc_ab_pooled": 0.75},
        },
    }
    text = "\n".join(card.encoder_finetune_section(study))
    assert "+0.010 over the decoder alone" in text and "| gray | 0.670 | n/a" in text
    assert card.spread_section(None)[-2].startswith("Not run")


def test_card_states_how_the_decoding_was_chosen(tmp_path):
    card = _script("model_card")
    gray = {"rebalanced_auc_ab_pooled": 0.67}
    chosen = {
        "rebalanced_auc_ab_pooled": 0.745,
        "false_color_score_pooled": 0.041,
        "false_color_bound": 0.066,
        "qualifies": True,
        "gray": gray,
    }
    trials = {
        "constraints": {
            "false_color_bound_max": 0.08,
            "false_color_quantile": 0.99,
            "colorfulness_ratio": [0.7, 1.1],
        },
        "chosen": chosen,
        "trials": [chosen, {**chosen, "qualifies": False}],
    }
    path = tmp_path / "trials.json"
    path.write_text(json.dumps(trials))
    text = card.decoding_choice(path)
    assert "Of 2 settings tried (1 qualifying: pooled false color at most 0.08 on 99%" in text
    assert "0.745 (gray 0.670), false color 0.041 (bound 0.066)" in text
    # An older trials file without its constraints: nothing is claimed.
    path.write_text(json.dumps({"chosen": chosen, "trials": [chosen]}))
    assert card.decoding_choice(path) == ""


def test_false_color_goal_counts_the_pooled_share_of_pixels():
    card = _script("model_card")
    keys = (
        "rebalanced_auc_ab_pooled",
        "rebalanced_auc_ab",
        "auc_ab",
        "psnr",
        "colorfulness_ratio",
        "sepia_score",
        "false_color_score",
        "false_color_score_pooled",
    )
    gray = {key: 0.0 for key in keys}
    new = {**gray, "colorfulness_ratio": 0.75, "false_color_score": 0.075}
    rows = card.goals(
        {"default": {"means": {**new, "false_color_score_pooled": 0.082}}, "gray": {"means": gray}}
    )
    label, value, met = rows[-1]
    assert "pooled" in label and value == "0.082 pooled, 0.075 mean" and met is False
    rows = card.goals(
        {"default": {"means": {**new, "false_color_score_pooled": 0.061}}, "gray": {"means": gray}}
    )
    assert rows[-1][2] is True


def test_sampled_recipe_comparison(tmp_path, capsys, rng):
    """The study refuses a folder without the recipe's last stage, and its frontier keeps the
    best setting within the export's false-color goal."""
    from colorkit import models
    from colorkit.evaluation import decoding
    from colorkit.models import guided

    compare = _script("compare_sampled_recipe")
    with pytest.raises(SystemExit) as raised:
        compare.main(["--model", f"a={tmp_path}", "--output", str(tmp_path / "out.json")])
    assert raised.value.code == 2
    assert "colorkit train --recipe default" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        compare.main(["--model", str(tmp_path)])
    assert "--model takes LABEL=PATH" in capsys.readouterr().err
    decoder = guided.guided_decoder(width=8)
    model = guided.guided_zhang(
        weights=None, decoder=decoder, temperature=0.7, saturation=0.75, working_size=64
    )
    assert models.model_spec(model).family == "guided"  # the builder attaches its spec
    truths = [rng.random((40, 48, 3), dtype=np.float32) for _ in range(3)]
    result = compare.frontier(model, truths, evaluation.pooled_prior(truths))
    assert len(result["trials"]) == len(compare.TEMPERATURES) * len(compare.SATURATIONS)
    within = [r for r in result["trials"] if r["false_color_bound"] <= decoding.FALSE_COLOR_GOAL]
    if within:
        assert result["best_within_goal"]["rebalanced_auc_ab_pooled"] == max(
            r["rebalanced_auc_ab_pooled"] for r in within
        )
    else:
        assert result["best_within_goal"] is None


def test_sampled_section_renders_each_model_and_the_difference():
    card = _script("model_card")
    assert "Not run" in "\n".join(card.sampled_section(None))
    best = {
        "rebalanced_auc_ab_pooled": 0.7469,
        "auc_ab_pooled": 0.9018,
        "false_color_score_pooled": 0.0414,
        "false_color_bound": 0.0777,
        "temperature": 0.7,
        "saturation": 0.75,
    }
    study = {
        "photos": 100,
        "false_color_goal": 0.08,
        "models": {
            "default-dense, colorizer.keras": {"best_within_goal": best},
            "default, last_stage/epoch_002.keras": {"best_within_goal": None},
        },
    }
    text = "\n".join(card.sampled_section(study))
    assert (
        "| default-dense, colorizer.keras | T 0.7, s 0.75 | 0.747 | 0.902 | 0.041 | 0.078 |" in text
    )
    assert "none within the goal" in text and "minus" not in text
    study["models"]["default, last_stage/epoch_002.keras"]["best_within_goal"] = best
    study["difference"] = 0.0006
    text = "\n".join(card.sampled_section(study))
    assert (
        "*default, last_stage/epoch_002.keras* minus *default-dense, colorizer.keras*: +0.0006"
        in text
    )
    assert "width 64" in text and "4x4 block" in text and "width 128" in text


def test_cifar_amount_section_names_the_study_recipe_and_its_result():
    card = _script("model_card")
    assert "Not run" in "\n".join(card.cifar_amount_section(None))
    best = {
        "rebalanced_auc_ab_pooled": 0.7457,
        "auc_ab_pooled": 0.8994,
        "false_color_score_pooled": 0.0434,
        "false_color_bound": 0.0752,
        "temperature": 1.0,
        "saturation": 0.7,
    }
    study = {
        "photos": 100,
        "false_color_goal": 0.08,
        "models": {
            "default, colorizer.keras": {"best_within_goal": best},
            "default-cifar50k, last_stage/epoch_001.keras": {"best_within_goal": best},
        },
        "difference": 0.0032,
    }
    text = "\n".join(card.cifar_amount_section(study))
    assert "--recipe default-cifar50k" in text and "4 + 1 + 1 epochs" in text
    assert "(the shipped recipe: 10 + 3 + 2)" in text and "+0.0032" in text
    assert "| default, colorizer.keras | T 1.0, s 0.7 | 0.746 | 0.899 | 0.043 | 0.075 |" in text


def test_data_amount_subsets_are_nested_and_drawn_by_photo():
    study = _script("compare_data_amount")
    paths = [f"photo_{i // 3 if i < 30 else i}.jpg" for i in range(100)]  # 10 photos x 3 crops
    small, large, everything = study.nested_subsets(paths, [0.25, 0.5, 1.0])
    assert set(small) <= set(large) <= set(everything) and len(everything) == 100
    for subset in (small, large):
        chosen = {paths[i] for i in subset}
        assert all((paths[i] in chosen) == (i in set(subset)) for i in range(100))
    assert 0.15 < len({paths[i] for i in small}) / 80 < 0.35
    with pytest.raises(ValueError, match="fraction=0"):
        study.nested_subsets(paths, [0])


def test_data_amount_reads_scores_off_at_equal_false_color():
    study = _script("compare_data_amount")
    assert study.value_at([0.06, 0.02, 0.04], [0.75, 0.73, 0.74], 0.05) == pytest.approx(0.745)
    assert study.gain_per_doubling([100, 200, 400], [0.70, 0.71, 0.72]) == pytest.approx(0.01)


def _data_amount_study(pooled: list[float]) -> dict:
    arms = [
        {
            "fraction": fraction,
            "photos": photos,
            "crops": photos * 2,
            "epochs": 128_000 / (photos * 2),
            "at_reference_false_color": {
                "rebalanced_auc_ab_pooled": score,
                "rebalanced_auc_ab_mean": 0.83,
                "auc_ab_pooled": 0.9,
            },
        }
        for fraction, photos, score in zip(
            (0.25, 0.5, 1.0), (1000, 2000, 4000), pooled, strict=True
        )
    ]
    reference = {"file": "colorizer.keras", "temperature": 1.0, "saturation": 0.75}
    reference["rebalanced_auc_ab_pooled"] = 0.742
    return {
        "steps": 2000,
        "batch_size": 64,
        "temperature": 1.0,
        "val_photos": 100,
        "reference": reference,
        "false_color": 0.046,
        "arms": arms,
        "gain_per_doubling": {"rebalanced_auc_ab_pooled": 0.015, "rebalanced_auc_ab_mean": 0.0},
    }


def test_data_amount_section_extrapolates_the_last_doubling(tmp_path):
    card = _script("model_card")
    assert "Not run" in "\n".join(card.data_amount_section(None, 0.03, tmp_path))
    text = "\n".join(
        card.data_amount_section(_data_amount_study([0.70, 0.72, 0.73]), 0.03, tmp_path)
    )
    assert (tmp_path / "data_amount.png").is_file()
    assert "| 1 | 4,000 | 8,000 | 16.0 | 0.730 | 0.830 | 0.900 |" in text
    assert "+0.0150 pooled" in text and "+0.0200, +0.0100 (falling at every step)" in text
    assert "3.0 more doublings: about 8x the 4,000 photos" in text
    flat = "\n".join(
        card.data_amount_section(_data_amount_study([0.70, 0.70, 0.71]), 0.03, tmp_path)
    )
    assert "falling" not in flat
    stuck = "\n".join(
        card.data_amount_section(_data_amount_study([0.70, 0.72, 0.71]), 0.03, tmp_path)
    )
    assert "did not raise the pooled score" in stuck and "doublings:" not in stuck


def test_weight_by_chroma_is_the_pooled_rebalanced_auc_split_by_band(rng):
    card = _script("model_card")
    truths = [rng.random((12, 10, 3), dtype=np.float32), rng.random((8, 8, 3), dtype=np.float32)]
    predictions = {
        "gray": [np.repeat(t.mean(-1, keepdims=True), 3, -1) for t in truths],
        "default": [rng.random(t.shape, dtype=np.float32) for t in truths],
    }
    result = card.weight_by_chroma(predictions, truths)
    pooled = metrics.pooled_scores(predictions["default"], truths)["rebalanced_auc_ab_pooled"]
    assert result["total"]["default"] == pytest.approx(pooled, abs=1e-9)
    assert sum(band["bins"] for band in result["bands"]) == result["bins"]
    assert sum(band["weight_share"] for band in result["bands"]) == pytest.approx(1.0)
    assert sum(band["pixel_share"] for band in result["bands"]) == pytest.approx(1.0)
    # Both oracles of a perfect prediction are the truth itself (up to the Lab round trip).
    perfect = card.chroma_oracles(card.pooled_pixels(truths), card.pooled_pixels(truths))
    for image in perfect.values():
        np.testing.assert_allclose(image, card.pooled_pixels(truths), atol=1e-4)
    text = "\n".join(card.weight_section(result))
    assert f"gray + {card.POOLED_GOAL} = {result['total']['gray'] + card.POOLED_GOAL:.3f}" in text
    relation = "above" if result["total"]["gray"] + 0.08 > result["total"]["hue_oracle"] else "at"
    assert f"is {relation}" in text


def test_card_renders_the_locality_of_one_off_truth_hint(tmp_path):
    card = _script("model_card")
    flooding = {"changed_share": 1.0, "inside_share": 0.15, "region_changed_share": 1.0}
    local = {"changed_share": 0.12, "inside_share": 0.9, "region_changed_share": 0.7}
    curve = {
        "photos": 30,
        "locality": {"flooding": flooding, "local": local},
        "clothing": {
            "photos": 20,
            "locality": {"flooding": flooding, "local": {**local, "changed_share": 0.3}},
            "scores": {"0": {"psnr": 22.0}, "10": {"psnr": 23.5}},
            "psnr_gain_10_hints_db": 1.5,
        },
    }
    text = "\n".join(card.locality_lines(curve, tmp_path))
    assert "| BSDS500 test (30 photos) | local | 12.0% | 90.0% | 70.0% |" in text
    assert "| garment photos (20) | flooding | 100.0% | 15.0% | 100.0% |" in text
    assert "+1.50 dB" in text and "groundTruth" in text
    assert card.locality_lines({"photos": 3}, tmp_path) == []


def test_card_renders_the_multi_source_test_per_collection():
    row = {
        "photos": 100,
        "auc_ab_pooled": 0.89,
        "rebalanced_auc_ab_pooled": 0.66,
        "psnr": 22.9,
        "psnr_gain": -0.04,
        "harm_rate": 0.227,
        "false_color_score_pooled": 0.068,
        "false_color_per_photo": 0.057,
        "colorfulness_ratio": 0.78,
    }
    better = {**row, "harm_rate": 0.15, "rebalanced_auc_ab_pooled": 0.68}
    study = {
        "split": "test",
        "per_source": 100,
        "rows": {
            "gray": {"bsds500": row, "all": row},
            "default": {"bsds500": row, "all": row},
            "real": {"bsds500": better, "all": better},
        },
    }
    model_card = _script("model_card")
    text = "\n".join(model_card.multi_source_section(study))
    assert "| bsds500 | real | 100 | 0.890 | 0.680 |" in text
    assert "harm rate 22.7% -> 15.0%" in text and "worst_photos.png" in text
    assert "Not run" in "\n".join(model_card.multi_source_section(None))
