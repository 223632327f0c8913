"""Dependencies point one way: base <- pdk <- components <- circuits <- sims <- CLI.

Every ``import`` of every module of the package (module level and inside functions, where the
heavy libraries are imported lazily) is read with ``ast``; an import of a higher layer fails,
except the edges listed in ``ALLOWED`` with the reason each is there.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: layer rank, folder, module prefix (in order: a layer may import the ones before it)
LAYERS: tuple[tuple[str, str], ...] = (
    ("base", "qkdchip.base"),
    ("pdk", "qkdchip.pdk"),
    ("components", "qkdchip.components"),
    ("circuits", "qkdchip.circuits"),
    ("sims", "qkdchip.sims"),
    ("qkdchip", "qkdchip"),  # the CLI: commands, design registry, build, report
)

#: (importing module prefix, imported module prefix) -> why the upward edge is deliberate
ALLOWED: dict[tuple[str, str], str] = {
    ("qkdchip.pdk.sin.tech", "qkdchip.components.sin"): (
        "get_pdk() registers the process's cells in its gf.Pdk (lazily, inside the function)"
    ),
    ("qkdchip.pdk.inp.tech", "qkdchip.components.inp"): (
        "get_pdk() registers the process's cells in its gf.Pdk (lazily, inside the function)"
    ),
}


def _rank(module: str) -> int:
    for i, (_, prefix) in enumerate(LAYERS):
        if module == prefix or module.startswith(prefix + "."):
            if prefix == "qkdchip" and any(
                module == p or module.startswith(p + ".") for _, p in LAYERS[:-1]
            ):
                continue
            return i
    raise KeyError(module)


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    top = parts[0]
    return (
        "qkdchip"
        if top == "qkdchip" and len(parts) == 1
        else (
            ".".join(["qkdchip", *parts[1:]]) if top == "qkdchip" else ".".join(["qkdchip", *parts])
        )
    )


def _imports(path: Path, module: str) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(), str(path))
    out = []
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            if name == "qkdchip":  # from qkdchip import x: the submodule is the dependency
                out += [(f"qkdchip.{a.name}", node.lineno) for a in node.names]
            else:
                out.append((name, node.lineno))
    return [(n, line) for n, line in out if n == "qkdchip" or n.startswith("qkdchip.")]


def _sources() -> list[Path]:
    folders = [f for f, _ in LAYERS]
    return sorted(p for f in folders for p in (ROOT / f).rglob("*.py"))


def test_every_layer_imports_only_layers_below():
    upward = []
    for path in _sources():
        module = _module_name(path)
        rank = _rank(module)
        for name, line in _imports(path, module):
            if _rank(name) <= rank:
                continue
            if any(module.startswith(a) and name.startswith(b) for a, b in ALLOWED):
                continue
            upward.append(f"{path.relative_to(ROOT)}:{line}: {module} imports {name}")
    assert not upward, "upward imports:\n" + "\n".join(upward)


def test_the_walk_sees_an_upward_import(tmp_path):
    """The check itself: a function-level import of the CLI from sims is found."""
    src = tmp_path / "mod.py"
    src.write_text("def f():\n    from qkdchip.design import load\n    return load\n")
    names = _imports(src, "qkdchip.sims.fake")
    assert names == [("qkdchip.design", 2)]
    assert _rank("qkdchip.design") > _rank("qkdchip.sims.fake")
    assert _rank("qkdchip.base.params") < _rank("qkdchip.pdk")


@pytest.mark.parametrize(
    ("path", "module"),
    [
        ("base/params.py", "qkdchip.base.params"),
        ("sims/keyrate/__init__.py", "qkdchip.sims.keyrate"),
        ("qkdchip/commands/run.py", "qkdchip.commands.run"),
        ("qkdchip/__init__.py", "qkdchip"),
    ],
)
def test_module_names(path, module):
    assert _module_name(ROOT / path) == module
