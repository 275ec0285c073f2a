"""Real-browser test of the explorer: Voila serves notebooks/07_explorer.ipynb, chromium drives it.

The notebook runs in smoke mode (``COLORKIT_SMOKE=1``, honoured by its parameters cell). The test
waits for the ColorizationExplorer's figure (an ``<img>`` with class ``colorkit-figure``), takes
a screenshot, moves the saturation slider to 0 with the keyboard (Home), waits for the image to
be replaced, takes a second screenshot and checks that the rendered pixels changed. Both
screenshots are kept in ``test-artifacts/browser/``. Needs Debian's chromium
(``make browser-deps``); skipped with a reason when it is missing.

The second test serves ``notebooks/10_hints.ipynb``: it clicks on the astronaut's suit in the
HintExplorer's picture, types a color into the picker and checks, on the screenshots, that the
region around the click took that color and that the pixels far outside the clicked region
(a segmentation of the true color photo, ``colorkit.hint_curves.photo_regions``) kept theirs.
"""

from __future__ import annotations

import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from conftest import CHROMIUM, CHROMIUM_ARGS
from PIL import Image

REPO_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO_ROOT / "notebooks" / "07_explorer.ipynb"
HINTS_NOTEBOOK = REPO_ROOT / "notebooks" / "10_hints.ipynb"
ARTIFACTS = REPO_ROOT / "test-artifacts" / "browser"
SERVER_START_S = 30  # Voila answering HTTP
RENDER_S = 150  # kernel start, TensorFlow import, smoke training run, first figure
UPDATE_S = 30  # one slider move

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_http(url: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Voila exited early with code {process.returncode}")
        try:
            with urllib.request.urlopen(url + "api", timeout=2):
                return
        except urllib.error.HTTPError:
            return  # the server answers (even a 404 means it is up)
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"Voila did not answer at {url} within {timeout} s")


@pytest.fixture()
def voila_url(tmp_path):
    """Start Voila on 127.0.0.1 (free port) serving the explorer; always terminate it."""
    yield from _serve(NOTEBOOK, tmp_path, "voila.log")


@pytest.fixture()
def hints_url(tmp_path):
    """Voila serving notebook 10 (the HintExplorer)."""
    yield from _serve(HINTS_NOTEBOOK, tmp_path, "voila_hints.log")


def _serve(notebook: Path, tmp_path: Path, log_name: str):
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium (make browser-deps)")
    pytest.importorskip("playwright.sync_api")
    pytest.importorskip("voila")
    port = _free_port()
    env = {
        **os.environ,
        "COLORKIT_SMOKE": "1",
        # The kernel imports colorkit from this checkout, not from wherever it is installed.
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
        "MPLBACKEND": "agg",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "JUPYTER_PLATFORM_DIRS": "1",
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
    }
    log = open(tmp_path / "voila.log", "w+b")  # noqa: SIM115 (closed below)
    command = [
        sys.executable,
        "-m",
        "voila",
        str(notebook),
        "--no-browser",
        "--Voila.ip=127.0.0.1",
        f"--port={port}",
        "--Voila.port_retries=0",
        "--show_tracebacks=True",
    ]
    process = subprocess.Popen(
        command,
        cwd=notebook.parent,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        _wait_for_http(url, process, SERVER_START_S)
        yield url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        log.seek(0)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / log_name).write_bytes(log.read()[-200_000:])
        log.close()


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.float32)


def test_saturation_slider_changes_the_rendered_image(voila_url):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(UPDATE_S * 1000)
            page.goto(voila_url, timeout=RENDER_S * 1000, wait_until="domcontentloaded")
            figure = page.locator("img.colorkit-figure").first
            figure.wait_for(state="visible", timeout=RENDER_S * 1000)
            # Wait until the figure has been drawn (the src is a PNG data/blob URL).
            page.wait_for_function(
                "el => el.complete && el.naturalWidth > 0",
                arg=figure.element_handle(),
                timeout=UPDATE_S * 1000,
            )
            figure.scroll_into_view_if_needed()
            before_src = figure.get_attribute("src")
            before = figure.screenshot(path=str(ARTIFACTS / "explorer_before.png"))

            handle = page.locator(".colorkit-saturation .noUi-handle").first
            handle.focus()
            handle.press("Home")  # saturation -> 0 (the slider's minimum)
            readout = page.locator(".colorkit-saturation .widget-readout").first
            page.wait_for_function(
                "el => parseFloat(el.textContent || el.value) === 0",
                arg=readout.element_handle(),
                timeout=UPDATE_S * 1000,
            )
            page.wait_for_function(
                "([el, src]) => el.getAttribute('src') !== src && el.complete "
                "&& el.naturalWidth > 0",
                arg=[figure.element_handle(), before_src],
                timeout=UPDATE_S * 1000,
            )
            figure.scroll_into_view_if_needed()
            after = figure.screenshot(path=str(ARTIFACTS / "explorer_after.png"))
            page.screenshot(path=str(ARTIFACTS / "page_after.png"), full_page=True)
        finally:
            browser.close()

    first, second = _pixels(before), _pixels(after)
    assert first.shape[0] > 200 and first.shape[1] > 400, first.shape
    height = min(len(first), len(second))
    width = min(first.shape[1], second.shape[1])
    difference = np.abs(first[:height, :width] - second[:height, :width])
    changed = float((difference.max(axis=-1) > 8).mean())
    assert changed > 0.01, f"only {changed:.2%} of the figure's pixels changed"
    # The prediction panel (top row, middle third) lost its color: gray pixels have R = G = B.
    panel = second[: height // 3, width // 3 : 2 * width // 3]
    spread = panel.max(axis=-1) - panel.min(axis=-1)
    assert float(np.percentile(spread, 95)) < 12, "prediction panel should be gray"


def _ring_ab(pixels: np.ndarray, center: tuple[float, float], inner: float, outer: float):
    """Mean Lab ab of the screenshot pixels between two distances of ``center`` (x, y)."""
    from colorkit import color

    rows, cols = np.mgrid[: pixels.shape[0], : pixels.shape[1]]
    distance = np.hypot(cols - center[0], rows - center[1])
    ring = pixels[(distance >= inner) & (distance <= outer)] / 255.0
    return color.rgb_to_lab(ring.astype(np.float32)[None])[0, :, 1:].mean(axis=0)


#: Where the hint test clicks, as (row, column) shares of the picture: the astronaut's suit.
CLICK = (0.75, 0.25)


def _assert_far_pixels_kept(before: np.ndarray, after: np.ndarray) -> None:
    """Pixels farther than a tenth of the width from the clicked region keep their color."""
    from scipy import ndimage

    from colorkit import data, hint_curves, widgets

    photo = data.read_image(next(iter(data.sample_paths().values())))  # the notebook's photo
    view = widgets.fit_image(photo, 128)  # its smoke-mode view
    height, width = after.shape[:2]
    labels = hint_curves.photo_regions(view)
    rows = np.minimum(
        (np.arange(height) * labels.shape[0] / height).astype(int), labels.shape[0] - 1
    )
    cols = np.minimum((np.arange(width) * labels.shape[1] / width).astype(int), labels.shape[1] - 1)
    labels = labels[rows][:, cols]  # on the screenshot's pixels (nearest)
    region = labels == labels[int(CLICK[0] * height), int(CLICK[1] * width)]
    far = ndimage.distance_transform_edt(~region) > width / 10
    changed = hint_curves.changed_area(before[:height, :width] / 255.0, after / 255.0)
    assert far.mean() > 0.3, far.mean()
    assert changed[far].mean() < 0.02, f"{changed[far].mean():.1%} of the far pixels changed"
    assert changed[region].mean() > 0.2, "the clicked region should change"


def test_hint_click_and_color_pick_color_the_region(hints_url):
    from playwright.sync_api import sync_playwright

    from colorkit import hints

    picked = "#2050d0"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(UPDATE_S * 1000)
            page.goto(hints_url, timeout=RENDER_S * 1000, wait_until="domcontentloaded")
            picture = page.locator("img.colorkit-hint-picture").first
            picture.wait_for(state="visible", timeout=RENDER_S * 1000)
            loaded = "el => el.complete && el.naturalWidth > 0"
            page.wait_for_function(loaded, arg=picture.element_handle())
            picture.scroll_into_view_if_needed()
            box = picture.bounding_box()
            before = picture.screenshot(path=str(ARTIFACTS / "hints_before.png"))
            changed = (
                "([el, src]) => el.getAttribute('src') !== src && el.complete "
                "&& el.naturalWidth > 0"
            )
            # Click on the astronaut's suit (a quarter across, three quarters down): a hint
            # appears (the picker's default color).
            src = picture.get_attribute("src")
            click = (box["width"] * CLICK[1], box["height"] * CLICK[0])
            picture.click(position={"x": click[0], "y": click[1]})
            page.wait_for_function(changed, arg=[picture.element_handle(), src])
            # Pick a color: type it into the color picker's text field.
            src = picture.get_attribute("src")
            field = page.locator(".colorkit-color input[type='text']").first
            field.fill(picked)
            field.press("Enter")
            page.wait_for_function(changed, arg=[picture.element_handle(), src])
            picture.scroll_into_view_if_needed()
            after = picture.screenshot(path=str(ARTIFACTS / "hints_after.png"))
            page.screenshot(path=str(ARTIFACTS / "hints_page.png"), full_page=True)
            # Figures are drawn as images, never printed as "<Figure size 480x220 ...>".
            assert "<Figure size" not in page.inner_text("body")
            # The suggested colors: large swatches labelled with a color, its hex and a share.
            swatch = page.locator(".colorkit-suggestion").first
            assert swatch.bounding_box()["width"] >= 150
            assert re.search(r"^1\. .+ #[0-9a-f]{6} \d+%$", swatch.inner_text().strip())
        finally:
            browser.close()

    pixels = _pixels(after)
    _assert_far_pixels_kept(_pixels(before), pixels)
    scale = pixels.shape[1] / box["width"]
    center = (click[0] * scale, click[1] * scale)
    # Around the hint marker (which covers about 20 px at this zoom), within ~1/8 of the width.
    ab = _ring_ab(pixels, center, inner=24 * scale, outer=pixels.shape[1] / 8)
    target = np.asarray(hints.Hint.from_color(0, 0, picked).ab)
    cosine = float(ab @ target / (np.linalg.norm(ab) * np.linalg.norm(target) + 1e-9))
    assert np.linalg.norm(ab) > 10 and cosine > 0.8, (ab, target)
