"""The documentation stands alone and its code runs.

* Every ```python block of ``docs/api.md`` and ``README.md`` is executed, the blocks of one file
  in order in one fresh namespace (a block may use what an earlier block of the same file
  defined), in a temporary working directory (snippets may write files).
* No tracked file outside ``.ci/`` points to documents outside the repository.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: the Markdown files whose ```python blocks must run
DOC_FILES = ("README.md", "docs/api.md")
#: strings no tracked file may contain: the old, out-of-repository design brief and its folder
#: (spelled in two parts so that this file does not contain them itself)
FORBIDDEN = ("DESIGN" + ".md", "../" + "shared")
#: tracked paths that may contain them (the CI machinery is not part of the project)
EXEMPT = (".ci/",)

_FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)


def python_blocks(path: Path) -> list[tuple[int, str]]:
    """(first line number, code) of every ```python block of a Markdown file, in order."""
    text = path.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start(1)) + 1, m.group(1)) for m in _FENCE.finditer(text)]


def test_api_guide_has_snippets():
    assert len(python_blocks(ROOT / "docs" / "api.md")) >= 8


@pytest.mark.slow
@pytest.mark.parametrize("name", DOC_FILES)
def test_python_blocks_run(name, tmp_path, monkeypatch):
    blocks = python_blocks(ROOT / name)
    if not blocks:
        pytest.skip(f"{name} has no python blocks")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for line, code in blocks:
        try:
            exec(compile(code, f"{name}:{line}", "exec"), namespace)
        except Exception as exc:
            raise AssertionError(f"the python block at {name}:{line} failed: {exc!r}") from exc


def _tracked_files() -> list[str]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    out = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    return [p for p in out.decode("utf-8").split("\0") if p]


def test_no_pointer_outside_the_repository():
    offenders = []
    for rel in _tracked_files():
        if rel.startswith(EXEMPT):
            continue
        path = ROOT / rel
        if not path.is_file():  # deleted in the working tree, not yet committed
            continue
        data = path.read_bytes()
        if b"\0" in data[:8192]:  # binary (GDS, PNG, ...)
            continue
        text = data.decode("utf-8", errors="replace")
        for lineno, line in enumerate(text.splitlines(), start=1):
            offenders += [f"{rel}:{lineno}: {s}" for s in FORBIDDEN if s in line]
    assert not offenders, "tracked files point outside the repository:\n" + "\n".join(offenders)
