"""Tests for colorkit.viz: every builder returns a Figure with the expected axes and titles."""

from __future__ import annotations

import os

import numpy as np
import pytest
from matplotlib import pyplot
from matplotlib.figure import Figure
from skimage import data as skimage_data

from colorkit import color, metrics, viz

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return (skimage_data.astronaut()[::8, ::8] / 255.0).astype(np.float32)  # (64, 64, 3)


@pytest.fixture(autouse=True)
def no_pyplot_state():
    """Builders must not create pyplot-managed figures."""
    before = set(pyplot.get_fignums())
    yield
    assert set(pyplot.get_fignums()) == before


def titles(fig: Figure) -> list[str]:
    return [ax.get_title() for ax in fig.axes]


def test_comparison_grid_layout_titles_and_metrics(astronaut):
    true = np.stack([astronaut, astronaut[:, ::-1]])
    gray = color.desaturate(true)
    fig = viz.comparison_grid(
        {"gray": gray, "predicted": gray, "true": true},
        row_titles=["astronaut", "mirrored"],
        metrics={"predicted": [{"PSNR": 21.234, "AuC": 0.91}, {"PSNR": 20.0, "AuC": 0.88}]},
    )
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 6
    assert titles(fig)[:3] == ["gray", "predicted", "true"]
    assert fig.axes[0].get_ylabel() == "astronaut"
    axes = np.asarray(fig.axes).reshape(2, 3)  # row-major: one row per image
    assert axes[0, 1].get_xlabel() == "PSNR 21.2   AuC 0.91"
    assert axes[1, 1].get_xlabel() == "PSNR 20   AuC 0.88"
    assert axes[0, 0].get_xlabel() == axes[0, 2].get_xlabel() == ""


def test_comparison_grid_accepts_single_images_and_gray_channels(astronaut):
    gray = color.desaturate(astronaut)[..., :1]
    fig = viz.comparison_grid({"L": gray, "true": astronaut})
    assert len(fig.axes) == 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"columns": {}}, "empty"),
        ({"columns": {"a": np.zeros((2, 4, 4, 3)), "b": np.zeros((3, 4, 4, 3))}}, "same number"),
        ({"columns": {"a": np.full((1, 4, 4, 3), 2.0)}}, None),
        ({"columns": {"a": np.zeros((1, 4, 4, 3))}, "row_titles": ["x", "y"]}, "row_titles"),
        ({"columns": {"a": np.zeros((1, 4, 4, 3))}, "metrics": {"b": [{}]}}, "metrics"),
        ({"columns": {"a": np.zeros((1, 4, 4, 3))}, "metrics": {"a": [{}, {}]}}, "metrics"),
        ({"columns": {"a": np.zeros((1, 4, 4, 3))}, "image_size": 0}, "image_size"),
    ],
)
def test_comparison_grid_rejects_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        viz.comparison_grid(**kwargs)


def test_comparison_grid_rejects_non_mapping(astronaut):
    with pytest.raises(TypeError, match="dict"):
        viz.comparison_grid([astronaut])


@pytest.mark.parametrize(
    ("builder", "expected_titles"),
    [
        (viz.lab_planes, ["RGB image", "L* (lightness)", "a* (green \u2013 red)"]),
        (viz.yuv_planes, ["RGB image", "Y (luma)", "U (blue \u2013 yellow)"]),
    ],
)
def test_plane_figures(builder, expected_titles, astronaut):
    fig = builder(astronaut)
    assert len(fig.axes) == 7  # 4 panels + 3 colorbars
    assert titles(fig)[:3] == expected_titles
    with pytest.raises(ValueError):
        builder(np.stack([astronaut, astronaut]))  # a batch, not one image
    with pytest.raises(ValueError):
        builder(astronaut * 3)


def test_lab_planes_colormap_shows_the_actual_colors(astronaut):
    fig = viz.lab_planes(astronaut)
    cmap_a = fig.axes[2].images[0].get_cmap()
    red_end, green_end = np.asarray(cmap_a(1.0)[:3]), np.asarray(cmap_a(0.0)[:3])
    assert red_end[0] > red_end[1] and green_end[1] > green_end[0]
    cmap_b = fig.axes[3].images[0].get_cmap()
    yellow_end, blue_end = np.asarray(cmap_b(1.0)[:3]), np.asarray(cmap_b(0.0)[:3])
    assert yellow_end[2] < yellow_end[0] and blue_end[2] > blue_end[0]
    with pytest.raises(ValueError, match="lightness"):
        viz.lab_planes(astronaut, lightness=120)


def test_desaturation_comparison(astronaut):
    fig = viz.desaturation_comparison(astronaut)
    assert len(fig.axes) == 5
    assert titles(fig)[1] == "lab: CIE L*"
    assert titles(fig)[2].startswith("rec601: Rec. 601 luma\nmean |\u0394| vs lab")
    assert len(viz.desaturation_comparison(astronaut, methods=("mean",)).axes) == 2
    with pytest.raises(ValueError):
        viz.desaturation_comparison(astronaut, methods=())
    with pytest.raises(ValueError):
        viz.desaturation_comparison(astronaut, methods=("sepia",))
    with pytest.raises(TypeError):
        viz.desaturation_comparison(astronaut, methods="lab")


def test_error_map(astronaut):
    pred = color.desaturate(astronaut)
    fig = viz.error_map(pred, astronaut)
    assert len(fig.axes) == 4
    assert titles(fig)[:2] == ["predicted", "ground truth"]
    assert titles(fig)[2].startswith("ab error (mean ")
    image = fig.axes[2].images[0]
    assert image.get_clim()[0] == 0 and image.get_array().max() > 10
    assert viz.error_map(pred, astronaut, vmax=50).axes[2].images[0].get_clim() == (0, 50)
    with pytest.raises(ValueError, match="same shape"):
        viz.error_map(pred[:32], astronaut)
    with pytest.raises(ValueError, match="vmax"):
        viz.error_map(pred, astronaut, vmax=-1)


def test_ab_histogram_from_images_ab_and_on_given_axes(astronaut):
    fig = viz.ab_histogram(astronaut)
    assert len(fig.axes) == 2  # histogram + colorbar
    assert titles(fig)[0] == f"ab histogram ({64 * 64:,} pixels)"
    assert fig.axes[0].get_xlabel().startswith("a*")
    ab = color.rgb_to_lab(astronaut)[..., 1:]
    counts = fig.axes[0].images[1].get_array()
    assert counts.sum() == 64 * 64
    host = Figure()
    ax = host.add_subplot()
    assert viz.ab_histogram(ab, ax=ax, log=False, show_gamut=False) is host
    with pytest.raises(ValueError, match="images_or_ab"):
        viz.ab_histogram(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="bins"):
        viz.ab_histogram(ab, bins=1)
    with pytest.raises(ValueError, match="finite"):
        viz.ab_histogram(np.full((4, 2), np.nan))
    with pytest.raises(TypeError):
        viz.ab_histogram(np.zeros((4, 2), dtype=np.int64))


def test_ab_gamut_with_and_without_probabilities():
    fig = viz.ab_gamut()
    assert len(fig.axes) == 1
    assert titles(fig) == [f"{len(color.ab_bins())} quantized ab bins"]
    num_bins = len(color.ab_bins())
    probabilities = np.zeros(num_bins)
    probabilities[[0, 5, num_bins - 1]] = [0.5, 0.3, 0.2]
    fig = viz.ab_gamut(probabilities)
    assert titles(fig) == ["predicted ab distribution"]
    labels = [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
    assert labels == ["mean (T = 1)", "annealed mean (T = 0.38)", "mode"]
    for bad in (np.ones(num_bins + 1), -np.ones(num_bins), np.zeros(num_bins)):
        with pytest.raises(ValueError, match="probabilities"):
            viz.ab_gamut(bad)
    with pytest.raises(ValueError, match="temperature"):
        viz.ab_gamut(probabilities, temperature=0)
    with pytest.raises(ValueError, match="bins"):
        viz.ab_gamut(bins=np.zeros((3, 3)))


def test_hue_wheel():
    fig = viz.hue_wheel()
    assert len(fig.axes) == 1
    assert titles(fig) == ["Lab hue wheel (L* = 65)"]
    labels = {text.get_text() for text in fig.axes[0].texts}
    assert {"0\u00b0", "90\u00b0", "180\u00b0", "270\u00b0"} <= labels
    assert fig.axes[0].get_legend().get_texts()[0].get_text() == "sepia sector"
    assert viz.hue_wheel(show_sepia_sector=False).axes[0].get_legend() is None
    with pytest.raises(ValueError, match="max_chroma"):
        viz.hue_wheel(max_chroma=0)
    with pytest.raises(ValueError, match="lightness"):
        viz.hue_wheel(lightness=-5)


def test_training_curves_from_dict_and_csv(tmp_path):
    history = {"loss": [1.0, 0.6, 0.5], "val_loss": [1.2, 0.8, 0.7], "auc": [0.5, 0.7, 0.8]}
    history["learning_rate"] = [1e-3, 1e-3, 1e-4]
    fig = viz.training_curves(history)
    assert titles(fig) == ["loss", "auc", "learning_rate"]
    assert [line.get_label() for line in fig.axes[0].get_lines()] == ["training", "validation"]
    assert fig.axes[2].get_yscale() == "log"

    path = tmp_path / "history.csv"
    path.write_text("epoch,loss,val_loss\n0,1.0,1.1\n1,0.5,0.7\n")
    fig = viz.training_curves(str(path))
    assert titles(fig) == ["loss"]
    np.testing.assert_array_equal(fig.axes[0].get_lines()[0].get_xdata(), [1, 2])

    with pytest.raises(FileNotFoundError, match="missing.csv"):
        viz.training_curves(tmp_path / "missing.csv")
    path.write_text("epoch,loss\n0,abc\n")
    with pytest.raises(ValueError, match="Non-numeric"):
        viz.training_curves(path)
    with pytest.raises(ValueError, match="same length"):
        viz.training_curves({"loss": [1.0], "val_loss": [1.0, 2.0]})
    with pytest.raises(ValueError, match="empty"):
        viz.training_curves({})
    with pytest.raises(TypeError):
        viz.training_curves(42)


def test_metric_curves_plot_auc_cdfs(astronaut):
    pred = color.desaturate(astronaut)
    curves = {
        "gray": metrics.ab_error_cdf(pred, astronaut),
        "perfect": metrics.ab_error_cdf(astronaut, astronaut),
    }
    fig = viz.metric_curves(curves, "ab threshold", "fraction of pixels", title="ab error CDF")
    assert len(fig.axes) == 1 and titles(fig) == ["ab error CDF"]
    assert [text.get_text() for text in fig.axes[0].get_legend().get_texts()] == list(curves)
    with pytest.raises(ValueError, match="empty"):
        viz.metric_curves({})
    with pytest.raises(ValueError, match="equal"):
        viz.metric_curves({"a": ([0, 1], [0, 1, 2])})
    with pytest.raises(ValueError, match="pair"):
        viz.metric_curves({"a": 3})


def test_save_figure_writes_png_atomically(tmp_path):
    fig = viz.hue_wheel()
    path = viz.save_figure(fig, tmp_path / "wheel.png")
    assert path == tmp_path / "wheel.png"
    assert path.read_bytes().startswith(PNG_SIGNATURE) and path.stat().st_size > 1000
    viz.save_figure(viz.metric_curves({"a": ([0, 1], [0, 1])}), path)  # replaces
    assert sorted(os.listdir(tmp_path)) == ["wheel.png"]  # no temporary file left behind
    with pytest.raises(ValueError, match="Unsupported"):
        viz.save_figure(fig, tmp_path / "wheel.xyz")
    with pytest.raises(FileNotFoundError, match="no_such_dir"):
        viz.save_figure(fig, tmp_path / "no_such_dir" / "wheel.png")
    with pytest.raises(TypeError):
        viz.save_figure("not a figure", tmp_path / "x.png")
    with pytest.raises(ValueError, match="dpi"):
        viz.save_figure(fig, tmp_path / "x.png", dpi=0)
    assert sorted(os.listdir(tmp_path)) == ["wheel.png"]
