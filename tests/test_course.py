"""The course module kit: session pages, nbgrader assignments and the book.

- The pages exist, have the sections an instructor needs, and name notebooks that exist (the
  notebooks still being written are listed in ``EXPECTED_NOTEBOOKS``; once one exists, the course
  must link to it by its real file name).
- ``scripts/make_assignments.py`` releases each assignment without any solution code, the
  instructor's solution autogrades to full marks and the release handed in unchanged to 0.
- ``scripts/build_book.py --quick`` builds the Jupyter Book, and a page renders in headless
  Chromium with the notebook's outputs (screenshot in ``test-artifacts/book/``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import CHROMIUM, CHROMIUM_ARGS

REPO_ROOT = Path(__file__).resolve().parents[1]
COURSE = REPO_ROOT / "course"
NOTEBOOK_DIR = REPO_ROOT / "notebooks"
SOURCE = COURSE / "assignments" / "source"
BOOK_ARTIFACTS = REPO_ROOT / "test-artifacts" / "book"

SESSIONS = {
    "session1_color_and_data.md": ("01", "02"),
    "session2_models_and_training.md": ("03", "04"),
    "session3_failure_modes_and_evaluation.md": ("05", "06", "07", "08", "09"),
}
# The module's notebooks by number, with the file names the course pages link to.
EXPECTED_NOTEBOOKS = {
    "01": "01_desaturating_data",
    "02": "02_data_pipeline",
    "03": "03_dahl_residual_encoder",
    "04": "04_training_on_a_gpu",
    "05": "05_failure_modes",
    "06": "06_fixing_it",
    "07": "07_explorer",
    "08": "08_evaluating",
    "09": "09_video",
}
ASSIGNMENTS = (
    "ps1_rgb_to_lab",
    "ps2_blurred_l2",
    "ps3_annealed_mean",
    "ps4_l2_vs_classification",
)
# A "cheat" submission: each graded implementation replaced by a call into the library. The
# autograder blocks library calls, so it must score 0 on these assignments' autograded cells.
CHEATS = {
    "ps1_rgb_to_lab": {
        # An import inside the function is caught, as is a library function smuggled in
        # through a helper or a default argument.
        "srgb_to_linear": [
            "from colorkit import color as ck\nreturn ck._srgb_to_linear(np.asarray(rgb, float))"
        ],
        "linear_rgb_to_xyz": ["return np.asarray(linear, np.float64) @ XYZ_FROM_LINEAR_RGB.T"],
        "xyz_to_lab": [
            "return (lambda value, convert=color.xyz_to_lab: convert(value))(xyz)",
            "return color.rgb_to_lab(image)",
        ],
    },
    "ps2_blurred_l2": {
        "kernel_and_blur": [
            "return losses.gaussian_kernel(size)",
            "import scipy.ndimage\n"
            "return scipy.ndimage.correlate(np.asarray(chroma, float), kernel[None, :, :, None],"
            " mode='reflect')",
        ],
        "blurred_l2": [
            "return np.asarray(losses.L2(reduction=None)(y_true, y_pred))",
            "return np.asarray(losses.BlurredL2(kernel_sizes, reduction=None)(y_true, y_pred))",
        ],
    },
    "ps3_annealed_mean": {
        "annealed_mean": [
            "decode = __import__('colorkit').color.annealed_mean\n"
            "return decode(probabilities, temperature)"
        ],
        "measurement": [
            "temperatures = [0.01, 0.02, 0.05, 0.1, 0.2, 0.38, 0.6, 1.0]\n"
            "errors = [ab_error(my_annealed_mean(probabilities, t)) for t in temperatures]\n"
            "chosen_temperature = temperatures[int(np.argmin(errors))]"
        ],
    },
    "ps4_l2_vs_classification": {
        "soft_encode": ["return color.soft_encode(ab, neighbors, sigma)"],
        "rebalancing": ["return color.rebalancing_weights(prior, lam, sigma)"],
        # An import inside the function is caught too; the cross-entropy here is honest work,
        # but the cell's test checks both losses.
        "losses": [
            "from colorkit import losses as ck_losses\n"
            "return ck_losses.L2(reduction=None)(ab_true, ab_pred)",
            "pixel_weights = ops.take(ops.convert_to_tensor(weights), ops.argmax(target, -1))\n"
            "log_probabilities = ops.log(ops.clip(probabilities, 1e-7, 1.0))\n"
            "return -pixel_weights * ops.sum(target * log_probabilities, -1)",
        ],
        "annealed_mean": ["return color.annealed_mean(probabilities, temperature)"],
    },
}
# The graded cells the cheat must score 0 on (the measurement is honest work given a decoder,
# but it runs the cheating decoder, which the guard in every decoder test rejects).
BLOCKED = {
    "ps1_rgb_to_lab": (
        "test_srgb_to_linear",
        "test_lindbloom_reference",
        "test_agrees_with_colorkit",
        "test_dark_and_validation",
    ),
    "ps2_blurred_l2": (
        "test_gaussian_kernel",
        "test_blur",
        "test_blurred_l2",
        "test_blur_properties",
    ),
    "ps3_annealed_mean": ("test_matches_colorkit", "test_mean_limit", "test_mode_limit"),
    "ps4_l2_vs_classification": (
        "test_soft_encode",
        "test_rebalancing_weights",
        "test_losses",
        "test_annealed_mean",
    ),
}
NOTEBOOK_LINK = re.compile(r"notebooks/(\d\d_[A-Za-z0-9_]+)\.ipynb")


def _course_pages() -> list[Path]:
    return sorted(COURSE.rglob("*.md"))


def _read_notebook(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _sources(notebook: dict) -> list[str]:
    return ["".join(cell["source"]) for cell in notebook["cells"]]


# --------------------------------------------------------------------------------------------
# Pages
# --------------------------------------------------------------------------------------------
def test_course_pages_exist():
    for name in ("README.md", *SESSIONS, "assignments/README.md"):
        assert (COURSE / name).is_file(), f"course/{name} is missing"
    guide = (COURSE / "README.md").read_text(encoding="utf-8")
    for needle in ("make demo", "make lab", "GPU", "JupyterHub", "colorkit.load_pretrained()"):
        assert needle in guide, f"course/README.md should cover {needle!r}"
    for needle in ("make assignments", "make book", "CPU"):
        assert needle in guide, f"course/README.md should explain {needle!r}"


@pytest.mark.parametrize("name", list(SESSIONS))
def test_session_has_sections(name):
    text = (COURSE / name).read_text(encoding="utf-8")
    headings = [line.lstrip("#").strip().lower() for line in text.splitlines() if line[:1] == "#"]
    for section in (
        "learning objectives",
        "timings",
        "notebooks used",
        "discussion questions",
        "what to project",
    ):
        assert section in headings, f"{name} lacks a '{section}' section"
    timing_rows = [line for line in text.splitlines() if re.match(r"\|\s*\d+-\d+\s*\|", line)]
    assert len(timing_rows) >= 4, f"{name}: the timings table needs rows like '| 0-10 | ... |'"
    last_minute = max(int(re.match(r"\|\s*\d+-(\d+)", row).group(1)) for row in timing_rows)
    assert last_minute == 90, f"{name}: a session is 90 minutes, the table ends at {last_minute}"
    linked = {match[:2] for match in NOTEBOOK_LINK.findall(text)}
    missing = set(SESSIONS[name]) - linked
    assert not missing, f"{name} should link notebooks {sorted(missing)}"


def test_notebook_references_exist():
    """Every linked notebook is an expected one, and the ones already written exist by name."""
    referenced = {}
    for page in _course_pages():
        for stem in NOTEBOOK_LINK.findall(page.read_text(encoding="utf-8")):
            referenced.setdefault(stem, []).append(page.relative_to(REPO_ROOT).as_posix())
    assert {stem[:2] for stem in referenced} >= set(EXPECTED_NOTEBOOKS), "link all 9 notebooks"
    existing = {path.stem[:2]: path.stem for path in NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb")}
    problems = []
    for stem, pages in sorted(referenced.items()):
        number = stem[:2]
        if stem != EXPECTED_NOTEBOOKS.get(number):
            problems.append(f"{stem} (in {pages}) is not the expected {EXPECTED_NOTEBOOKS[number]}")
        elif number in existing and existing[number] != stem:
            problems.append(
                f"notebook {number} is notebooks/{existing[number]}.ipynb but {pages} link "
                f"{stem}.ipynb: update the course pages and EXPECTED_NOTEBOOKS"
            )
    assert not problems, "\n".join(problems)
    present = [stem for number, stem in EXPECTED_NOTEBOOKS.items() if number in existing]
    assert present, "no course notebook exists yet"
    for stem in present:
        assert (NOTEBOOK_DIR / f"{stem}.ipynb").is_file()


def test_relative_links_in_pages_resolve():
    """Markdown links to local files (other than not-yet-written notebooks) point somewhere."""
    unwritten = {
        f"{stem}.ipynb"
        for number, stem in EXPECTED_NOTEBOOKS.items()
        if not (NOTEBOOK_DIR / f"{stem}.ipynb").exists()
    }
    for page in _course_pages():
        for target in re.findall(r"\]\(([^)#\s]+)\)", page.read_text(encoding="utf-8")):
            if "://" in target or Path(target).name in unwritten:
                continue
            assert (page.parent / target).exists(), f"{page.name}: broken link {target}"


# --------------------------------------------------------------------------------------------
# Assignments: the sources
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_assignment_source_metadata(name):
    path = SOURCE / name / f"{name}.ipynb"
    notebook = _read_notebook(path)
    metadata = [cell["metadata"].get("nbgrader") for cell in notebook["cells"]]
    grade_ids = [meta["grade_id"] for meta in metadata if meta]
    assert len(grade_ids) == len(set(grade_ids)), "grade_ids must be unique"
    assert all(meta["schema_version"] == 3 for meta in metadata if meta)
    solutions = [
        (cell, meta)
        for cell, meta in zip(notebook["cells"], metadata, strict=True)
        if meta and meta["solution"]
    ]
    tests = [meta for meta in metadata if meta and meta["grade"] and not meta["solution"]]
    written = [
        cell
        for cell, meta in zip(notebook["cells"], metadata, strict=True)
        if meta and meta["grade"] and meta["solution"]
    ]
    assert solutions and tests
    for cell, _ in solutions:
        if cell["cell_type"] == "code":
            source = "".join(cell["source"])
            assert "### BEGIN SOLUTION" in source and "### END SOLUTION" in source
    assert all(meta["locked"] and meta["points"] > 0 for meta in tests), "tests: locked, points"
    assert sum(meta["points"] for meta in tests) == 10
    # Manually graded written questions, with an answer key in the instructor's version.
    assert written, f"{name}: add a manually graded written question"
    for cell in written:
        assert cell["cell_type"] == "markdown" and cell["metadata"]["nbgrader"]["points"] > 0
        assert "answer key" in "".join(cell["source"]).lower()
    assert not any(cell.get("outputs") for cell in notebook["cells"]), "commit without outputs"
    first = _sources(notebook)[0].lower()
    for word in ("what you'll do", "what you need", "cpu", "grading"):
        assert word in first, f"{name}: the first cell should say {word!r}"


# --------------------------------------------------------------------------------------------
# Assignments: release and autograde (one nbgrader build for all tests below)
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def course_build(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("course") / "course"
    command = [sys.executable, str(REPO_ROOT / "scripts" / "make_assignments.py")]
    command += ["--output", str(root)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads((root / "scores.json").read_text(encoding="utf-8"))
    return root, report


def _solution_lines(notebook: dict) -> list[str]:
    """Distinctive code lines from inside the solution regions of a source notebook."""
    lines = []
    for source in _sources(notebook):
        inside = False
        for line in source.splitlines():
            stripped = line.strip()
            if "### BEGIN SOLUTION" in stripped:
                inside = True
            elif "### END SOLUTION" in stripped:
                inside = False
            elif inside and len(stripped) > 12 and not stripped.startswith("#"):
                lines.append(stripped)
    return lines


@pytest.mark.slow
@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_release_has_no_solutions(course_build, name):
    root, _ = course_build
    release = root / "release" / name / f"{name}.ipynb"
    assert release.is_file(), f"no release for {name}"
    text = release.read_text(encoding="utf-8")
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS"):
        assert marker not in text, f"{release.name} still contains {marker!r}"
    released = "\n".join(_sources(_read_notebook(release)))
    solution = _solution_lines(_read_notebook(SOURCE / name / f"{name}.ipynb"))
    assert solution, "no solution lines found in the source"
    leaked = [line for line in solution if line in released]
    assert not leaked, f"solution code in the release: {leaked[:5]}"
    notebook = _read_notebook(release)
    stubs = [
        (source, cell["cell_type"])
        for source, cell in zip(_sources(notebook), notebook["cells"], strict=True)
        if cell["metadata"].get("nbgrader", {}).get("solution")
    ]
    assert stubs and all(
        ("raise NotImplementedError()" if kind == "code" else "YOUR ANSWER HERE") in stub
        for stub, kind in stubs
    )
    # The written answers' key stays in the instructor's version.
    assert "answer key" not in released.lower()
    assert not any(cell.get("outputs") for cell in notebook["cells"])


@pytest.mark.slow
@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_solution_scores_full_marks(course_build, name):
    _, report = course_build
    score = report["scores"][name]["solution"]
    assert score["max_score"] == 10
    assert score["score"] == score["max_score"], f"{name}: the solution scored {score}"


@pytest.mark.slow
@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_blank_submission_scores_zero(course_build, name):
    root, report = course_build
    assert report["scores"][name]["blank"]["score"] == 0
    graded = root / "autograded" / "blank" / name / f"{name}.ipynb"
    assert graded.is_file(), "the blank submission was not autograded (crashed?)"
    errors = [
        output["ename"]
        for cell in _read_notebook(graded)["cells"]
        for output in cell.get("outputs", [])
        if output["output_type"] == "error"
    ]
    # Fails on the stubs (and on what depends on them), not on the given code.
    assert "NotImplementedError" in errors
    assert set(errors) <= {"NotImplementedError", "NameError"}, errors


# --------------------------------------------------------------------------------------------
# The book
# --------------------------------------------------------------------------------------------
def _notebook_title(path: Path) -> str:
    for source in _sources(_read_notebook(path)):
        for line in source.splitlines():
            if line.startswith("# "):
                return line[2:].strip()
    raise AssertionError(f"{path.name} has no '# Title' heading")


@pytest.mark.slow
@pytest.mark.browser
def test_book_builds(tmp_path):
    if not CHROMIUM.exists():
        pytest.skip(f"chromium not found at {CHROMIUM} (make browser-deps installs it)")
    playwright = pytest.importorskip("playwright.sync_api")
    output = tmp_path / "book"
    command = [sys.executable, str(REPO_ROOT / "scripts" / "build_book.py"), "--quick"]
    command += ["--output", str(output)]
    environment = {**os.environ, "MPLBACKEND": "agg"}
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=600, env=environment, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads((output / "report.json").read_text(encoding="utf-8"))
    html = Path(report["html"])
    assert (html / "index.html").is_file()
    for page in ("README", *(name.removesuffix(".md") for name in SESSIONS)):
        assert (html / "course" / f"{page}.html").is_file(), f"course page {page} not in the book"
    assert not list(html.rglob("ps*_*.html")), "assignment sources (solutions) must stay out"
    stem = report["notebooks"][0]
    page = html / "notebooks" / f"{stem}.html"
    title = _notebook_title(NOTEBOOK_DIR / f"{stem}.ipynb")

    BOOK_ARTIFACTS.mkdir(parents=True, exist_ok=True)
    screenshot = BOOK_ARTIFACTS / f"{stem}.png"
    figure_shot = BOOK_ARTIFACTS / f"{stem}_first_figure.png"
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 1000})
            # Offline: anything that is not a local file (a CDN script, fonts) is refused.
            context.route(
                "**/*",
                lambda route: (
                    route.continue_() if route.request.url.startswith("file:") else route.abort()
                ),
            )
            browser_page = context.new_page()
            browser_page.goto(page.as_uri(), wait_until="load", timeout=60_000)
            # The book typesets straight apostrophes as curly ones (smartquotes).
            page_title = browser_page.title().replace("\u2019", "'")
            outputs = browser_page.locator(".cell_output").count()
            images = browser_page.locator(".cell_output img").count()
            browser_page.screenshot(path=str(screenshot), full_page=False)
            if images:  # the first figure the notebook drew, as the book shows it
                figure = browser_page.locator(".cell_output img").first
                figure.scroll_into_view_if_needed()
                figure.screenshot(path=str(figure_shot))
        finally:
            browser.close()
    assert title in page_title, f"page title {page_title!r} lacks {title!r}"
    assert outputs > 0, "the book page shows no cell outputs (notebook not executed?)"
    assert images > 0, "the book page shows no figures"
    from PIL import Image

    for shot in (screenshot, figure_shot):
        pixels = np.asarray(Image.open(shot).convert("L"), dtype=np.float32)
        assert pixels.std() > 10.0, f"blank-looking {shot.name} (pixel std {pixels.std():.1f})"
    shutil.copy2(output / "report.json", BOOK_ARTIFACTS / "report.json")


def _cheat_notebook(release: dict, bodies: dict[str, list[str]]) -> dict:
    """The release with each stub of the listed solution cells replaced by a library call."""
    for cell in release["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id not in bodies:
            continue
        replacements = iter(bodies[grade_id])
        lines = []
        for line in "".join(cell["source"]).splitlines():
            if line.strip() == "# YOUR CODE HERE":
                continue
            if line.strip() == "raise NotImplementedError()":
                indent = line[: len(line) - len(line.lstrip())]
                lines += [indent + part for part in next(replacements).split("\n")]
            else:
                lines.append(line)
        cell["source"] = "\n".join(lines)
    return release


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CHEATS))
def test_library_calling_submission_scores_zero(course_build, name):
    """A submission that calls colorkit instead of implementing scores 0 on the blocked cells."""
    from nbgrader.api import Gradebook

    root, report = course_build
    release = _read_notebook(root / "release" / name / f"{name}.ipynb")
    target = root / "submitted" / "cheat" / name
    target.mkdir(parents=True, exist_ok=True)
    cheat = _cheat_notebook(release, CHEATS[name])
    (target / f"{name}.ipynb").write_text(json.dumps(cheat), encoding="utf-8")
    (target / "timestamp.txt").write_text("2024-01-01 00:00:00.000000 UTC", encoding="utf-8")
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    # Smoke mode, as make_assignments.py grades (ps4 trains tiny models with the cheat's code).
    environment = {**os.environ, "PATH": path, "MPLBACKEND": "agg", "COLORKIT_SMOKE": "1"}
    command = [sys.executable, "-m", "nbgrader", "autograde", name, "--student", "cheat"]
    result = subprocess.run(
        [*command, "--force"],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    graded = _read_notebook(root / "autograded" / "cheat" / name / f"{name}.ipynb")
    errors = [
        "".join(output.get("evalue", ""))
        for cell in graded["cells"]
        for output in cell.get("outputs", [])
        if output["output_type"] == "error"
    ]
    assert any("uses the library" in error for error in errors), errors
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        scores = {
            grade_id: gradebook.find_grade(grade_id, name, name, "cheat").score
            for grade_id in BLOCKED[name]
        }
    assert all(score == 0 for score in scores.values()), scores
    assert report["scores"][name]["solution"]["score"] == 10
