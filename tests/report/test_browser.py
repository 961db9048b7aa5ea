"""The report in a real browser: a tiny real study, report.html opened in headless Chromium.

Skips only when Playwright is not importable or /usr/bin/chromium is missing
(.ci/run installs both). Playwright drives the system Chromium; it never
downloads a browser.
"""

import shutil
from pathlib import Path

import pytest

from losslab.study.runner import run_study

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
EVIL = "<script>alert(1)</script>"
CONFIG = f"""
[study]
name = "browser check {EVIL}"
seeds = 2

[data]
name = "gaussian"

[model]
latent_dim = 2
generator = {{ hidden = [8], activation = "relu" }}
discriminator = {{ hidden = [8], activation = "relu" }}

[train]
steps = 20
batch_size = 16
eval_every = 10
eval_samples = 300

[[losses]]
name = "nonsaturating-bce"
label = "{EVIL}"

[[losses]]
name = "wgan-gp"
"""

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the environment
    sync_playwright = None


@pytest.fixture(scope="module")
def page():
    if sync_playwright is None:
        pytest.skip("playwright is not importable (pip install -e '.[test]')")
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            yield browser.new_page(viewport={"width": 1280, "height": 900})
        finally:
            browser.close()


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("browser")
    config = tmp_path / "tiny.toml"
    config.write_text(CONFIG)
    result = run_study(config, out=tmp_path / "out", progress=False)
    return tmp_path, result.out_dir / "report.html", result.summary


def test_report_opens_cleanly_in_chromium(page, report):
    tmp_path, html_path, summary = report
    console_errors, page_errors, requests = [], [], []
    page.on("console", lambda m: m.type == "error" and console_errors.append(m.text))
    page.on("pageerror", lambda e: page_errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.on("dialog", lambda d: page_errors.append(f"dialog: {d.message}") or d.dismiss())
    page.goto(html_path.resolve().as_uri(), wait_until="load")

    assert console_errors == [] and page_errors == []
    assert all(u.startswith(("file:", "data:")) for u in requests), requests
    images = page.eval_on_selector_all(
        "img", "els => els.map(e => [e.complete, e.naturalWidth, e.naturalHeight])"
    )
    assert len(images) == len(summary["figures"]) >= 4
    assert all(done and w > 0 and h > 0 for done, w, h in images), images
    assert page.locator("table.ranking").count() == len(summary["verdicts"]) >= 2
    first = page.locator("table.ranking").first
    assert first.locator("th").all_inner_texts()[:4] == ["rank", "loss", "mean", "95% CI"]
    assert EVIL in page.locator("h1").inner_text()  # shown as text, never run
    assert page.locator("script").count() == 0
    assert "paired t-test" in page.locator("body").inner_text()

    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    shutil.copyfile(shot, "/tmp/report_screenshot.png")
