"""report.html: the Markdown report as one self-contained page (figures embedded), checked as
HTML and in a real headless Chromium (the run's own page: tests/test_run.py)."""

from __future__ import annotations

import base64
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from qkdchip.report.html import html_report, slug

from browser import chromium_or_skip, open_page

ROOT = Path(__file__).resolve().parent.parent

MARKDOWN = """# qkdchip run: TF-QKD network report

Design: default; wafer seed 7.

## Summary

- Channels with key at 370 km: **10/10**.

## Network at 370 km

| ch | pair | ratio |
|---|---|---|
| 1 | A1-B1 | 7.72 |
| 2 | A2-B2 | 7.71 |

![client chip](figures/client.png)

## Network at 370 km

![missing figure](figures/not_there.png)
"""


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.imgs: list[dict] = []
        self.links: list[str] = []
        self.ids: list[str] = []
        self.cells: list[str] = []
        self._cell = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "img":
            self.imgs.append(a)
        elif tag == "a":
            self.links.append(a["href"])
        self._cell = tag in ("td", "th")

    def handle_data(self, data):
        if self._cell:
            self.cells.append(data.strip())
            self._cell = False


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "figures").mkdir()
    shutil.copy(ROOT / "docs" / "client_chip.png", tmp_path / "figures" / "client.png")
    (tmp_path / "results.json").write_text("{}\n")
    (tmp_path / "report.md").write_text(MARKDOWN)
    return tmp_path


def test_html_embeds_the_figures_and_keeps_the_tables_and_headings(folder):
    text = html_report(MARKDOWN, folder)
    page = _Page()
    page.feed(text)
    assert text.startswith("<!DOCTYPE html>")
    png = (folder / "figures" / "client.png").read_bytes()
    srcs = [i["src"] for i in page.imgs]
    assert srcs[0] == "data:image/png;base64," + base64.b64encode(png).decode()
    assert srcs[1] == "figures/not_there.png"  # a missing file is left as it is, not dropped
    assert page.cells == ["ch", "pair", "ratio", "1", "A1-B1", "7.72", "2", "A2-B2", "7.71"]
    # headings anchored (a repeated heading gets a distinct id), every #link has its target
    assert page.ids == ["qkdchip-run-tf-qkd-network-report", "summary", "network-at-370-km",
                        "network-at-370-km-2"]  # fmt: skip
    anchors = [h[1:] for h in page.links if h.startswith("#")]
    assert anchors == ["summary", "network-at-370-km", "network-at-370-km-2"]
    files = [h for h in page.links if not h.startswith("#")]
    assert files == ["report.md", "results.json"]  # the siblings that exist
    # the same words as the Markdown (markup aside)
    words = set(re.findall(r"[A-Za-z0-9][\w.-]*", MARKDOWN.replace("|", " ")))
    html_words = set(re.findall(r"[A-Za-z0-9][\w.-]*", re.sub(r"<[^>]+>", " ", text)))
    alts = [i["alt"] for i in page.imgs]
    assert alts == ["client chip", "missing figure"]  # image texts are the images' alt
    in_alt = {w for a in alts for w in a.split()}
    assert words - in_alt - {"figures", "client.png", "not_there.png", "png"} <= html_words
    assert html_report(MARKDOWN, folder) == text  # reproducible


def test_slug():
    assert slug("Network at 370 km") == "network-at-370-km"
    assert slug("Client chip (InP), from its S-matrix") == "client-chip-inp-from-its-s-matrix"
    assert slug("***") == "section"


@pytest.mark.slow
def test_html_in_headless_chromium_renders_every_image(folder, tmp_path):
    chromium_or_skip()
    md = MARKDOWN.replace("![missing figure](figures/not_there.png)\n", "")
    page_path = folder / "report.html"
    page_path.write_text(html_report(md, folder))
    shot = tmp_path / "report.png"
    seen = open_page(page_path, shot)
    assert seen["images"] and all(i["natural_width"] > 0 for i in seen["images"])
    assert seen["links"] and all(link["ok"] for link in seen["links"]), seen["links"]
    assert "A1-B1" in seen["text"]
    assert shot.stat().st_size > 10_000


@pytest.mark.slow
def test_headless_chromium_finds_a_broken_image_and_link(folder, tmp_path):
    """The check can fail: a missing figure and a dead link are seen as such."""
    chromium_or_skip()
    page_path = folder / "report.html"
    page_path.write_text(html_report(MARKDOWN + "\n[gone](nowhere.json)\n", folder))
    seen = open_page(page_path, tmp_path / "shot.png")
    widths = [i["natural_width"] for i in seen["images"]]
    assert widths[0] > 0 and widths[1] == 0
    assert [link["raw"] for link in seen["links"] if not link["ok"]] == ["nowhere.json"]
