"""A real headless Chromium (Debian's chromium + chromedriver, driven by selenium) for the
report.html checks: every <img> decoded, every link resolving, a screenshot saved.

Tests call :func:`chromium_or_skip` first: it skips with the reason when the system browser is
absent (CI installs it: .ci/run apt-installs chromium and chromium-driver).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMEDRIVER = ("/usr/bin/chromedriver",)


def _first(paths: tuple[str, ...], name: str) -> str | None:
    for p in paths:
        if Path(p).is_file():
            return p
    return shutil.which(name)


def chromium_or_skip() -> tuple[str, str]:
    """(chromium, chromedriver) paths, or skip the test naming what is missing."""
    browser = _first(CHROMIUM, "chromium")
    driver = _first(CHROMEDRIVER, "chromedriver")
    if browser is None or driver is None:
        missing = [n for n, p in (("chromium", browser), ("chromedriver", driver)) if p is None]
        pytest.skip(f"no system {' and '.join(missing)} (apt-get install chromium chromium-driver)")
    return browser, driver


def open_page(path: Path, screenshot: Path) -> dict:
    """Load ``path`` (file://) in headless Chromium, return what a reader gets: the images
    (src kind, naturalWidth, complete), the links (href, whether they resolve), the title,
    the page's text; save a full-page-width screenshot to ``screenshot``."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver = chromium_or_skip()
    opts = webdriver.ChromeOptions()
    opts.binary_location = browser
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,2000", "--allow-file-access-from-files"):  # fmt: skip
        opts.add_argument(arg)
    with webdriver.Chrome(service=Service(driver), options=opts) as drv:
        drv.set_page_load_timeout(60)
        drv.get(path.resolve().as_uri())
        drv.execute_async_script(  # wait until every image has loaded or failed
            "const done = arguments[arguments.length - 1];"
            "Promise.all([...document.images].map(i => i.complete ? 0 :"
            " new Promise(r => { i.onload = i.onerror = r; }))).then(() => done(0));"
        )
        images = drv.execute_script(
            "return [...document.images].map(i => ({src: i.src.slice(0, 30),"
            " natural_width: i.naturalWidth, natural_height: i.naturalHeight,"
            " complete: i.complete, alt: i.alt}));"
        )
        links = drv.execute_script(
            "return [...document.querySelectorAll('a[href]')].map(a => ({href: a.href,"
            " raw: a.getAttribute('href'),"
            " anchor_ok: a.hash ? !!document.getElementById(decodeURIComponent("
            "a.hash.slice(1))) : null}));"
        )
        title = drv.title
        text = drv.find_element("tag name", "body").text
        height = drv.execute_script("return document.body.scrollHeight")
        drv.set_window_size(1280, min(int(height) + 100, 16000))
        drv.save_screenshot(str(screenshot))
    for link in links:
        link["ok"] = _resolves(link, path)
    return {"images": images, "links": links, "title": title, "text": text}


def _resolves(link: dict, page: Path) -> bool:
    """A link works: an anchor of the page that exists, or a file:// target that exists."""
    url = urlparse(link["href"])
    if link["raw"].startswith("#"):
        return bool(link["anchor_ok"])
    if url.scheme == "file":
        return Path(unquote(url.path)).exists()
    return url.scheme in ("http", "https")  # external: not followed (no network in tests)
