"""report.html of a run: the Markdown report as one self-contained HTML page.

report.md -> markdown-it-py (CommonMark + tables; the parser rich already uses) -> tokens:
every heading gets an id (its slug) for the table of contents, every image whose source is a
file beside the report is embedded as a ``data:`` URI (base64), so the page opens alone (e-mail,
CI artefact) -> HTML5 with a small stylesheet and a contents list; the text, the tables and the
figures are those of the Markdown, nothing else is added but the contents list and a line of
links to the run's other files (report.md, results.json, timings.json, masks/manifest.json,
when present).

Reproducible: the same report.md and figure files give the same bytes.
"""

from __future__ import annotations

import base64
import html
import mimetypes
import re
from pathlib import Path

__all__ = ["html_report", "slug"]

#: the run's other files linked from the page's header, when they exist beside it
SIBLINGS = ("report.md", "results.json", "timings.json", "masks/manifest.json")

_STYLE = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       max-width: 1180px; margin: 2em auto; padding: 0 1em; color: #1b1b1b; }
h1, h2, h3 { line-height: 1.2; }
h2 { border-bottom: 1px solid #ddd; padding-bottom: .2em; margin-top: 2em; }
table { border-collapse: collapse; margin: 1em 0; font-size: 13px; display: block;
        overflow-x: auto; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: right; white-space: nowrap; }
th { background: #f3f3f3; }
td:first-child, th:first-child { text-align: left; }
img { max-width: 100%; max-height: 80vh; width: auto; height: auto; display: block;
      margin: 1em 0; }
code { background: #f3f3f3; padding: 0 .2em; border-radius: 3px; }
nav { background: #fafafa; border: 1px solid #e3e3e3; padding: .5em 1em; }
nav ul { margin: .2em 0; } .files { color: #555; }
"""


def slug(text: str) -> str:
    """A heading's anchor: lower case, words joined by '-' (``Network at 370 km`` ->
    ``network-at-370-km``)."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    return "-".join(words) or "section"


def _data_uri(path: Path) -> str:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def html_report(markdown_text: str, folder: str | Path, title: str = "qkdchip run") -> str:
    """The HTML page of ``markdown_text`` (a report.md whose relative image paths are files in
    ``folder``): images embedded, headings anchored, a contents list (see the module doc)."""
    from markdown_it import MarkdownIt

    folder = Path(folder)
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    tokens = md.parse(markdown_text)
    toc: list[tuple[int, str, str]] = []
    used: dict[str, int] = {}
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open":
            text = tokens[i + 1].content
            anchor = slug(text)
            used[anchor] = used.get(anchor, 0) + 1
            if used[anchor] > 1:
                anchor = f"{anchor}-{used[anchor]}"
            tok.attrSet("id", anchor)
            toc.append((int(tok.tag[1]), anchor, text))
        for child in tok.children or ():
            if child.type != "image":
                continue
            src = str(child.attrGet("src") or "")
            if src and not re.match(r"^[a-z]+:", src) and (folder / src).is_file():
                child.attrSet("src", _data_uri(folder / src))
    body = md.renderer.render(tokens, md.options, {})
    items = "\n".join(
        f'<li><a href="#{a}">{html.escape(t)}</a></li>' for level, a, t in toc if level == 2
    )
    files = " · ".join(
        f'<a href="{name}">{name}</a>' for name in SIBLINGS if (folder / name).is_file()
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        + (f'<p class="files">Files of this run: {files}</p>\n' if files else "")
        + (f"<nav><strong>Contents</strong>\n<ul>\n{items}\n</ul></nav>\n" if items else "")
        + f"<main>\n{body}</main>\n</body>\n</html>\n"
    )
