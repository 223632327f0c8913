"""The design: every user-settable parameter, by dotted name, read from its single home.

A parameter's default, unit and allowed range are *not* stored here: they are read from the
function or dataclass that owns them.

- Chip parameters are the keyword arguments of the chip cells (``server_chip``, ``client_chip``),
  whose ranges are declared with :func:`qkdchip.base.params.checked`. A chip argument
  ``ring_gap_um`` is shown as ``server.ring.gap_um`` (prefix, then the first ``_`` as a dot).
- System parameters (``comb.*``, ``link.*``, ``network.*``) are fields of frozen dataclasses
  whose ``metadata["range"]`` holds a :class:`~qkdchip.base.params.Range`; they keep their field
  name (``comb.pump_power_w``).

A :class:`~qkdchip.base.design.Design` (the value type lives in the bottom layer, so the
simulation layer can read one without importing the CLI) is a validated set of overrides on top
of those defaults; it is built here from a YAML file (nested mappings or dotted keys) and/or
``--set name=value`` strings.
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib
import inspect
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from qkdchip.base.design import Design
from qkdchip.base.labels import unit_from_name
from qkdchip.base.params import AUTO, Range, parse_number, ranges_of

#: dotted prefix -> (module, attribute): a chip cell function or a frozen dataclass
SOURCES: dict[str, tuple[str, str]] = {
    "server": ("qkdchip.circuits.server_chip", "server_chip"),
    "client": ("qkdchip.circuits.client_chip", "client_chip"),
    "comb": ("qkdchip.sims.devices", "CombSettings"),
    "link": ("qkdchip.sims.network.settings", "LinkSettings"),
    "network": ("qkdchip.sims.network.settings", "NetworkSettings"),
    "security": ("qkdchip.sims.security.settings", "SecuritySettings"),
    "uncertain": ("qkdchip.sims.network.uncertainty", "UncertainSettings"),
}

_SCALARS = (bool, int, float, str)


@dataclass(frozen=True)
class Param:
    name: str  # dotted, e.g. server.ring.gap_um
    value: Any  # default
    unit: str
    min: float | None
    max: float | None
    doc: str
    source: str  # prefix (server, client, link, ...)
    arg: str  # argument / field name in its home
    range: Range | None = None  # as declared in its home (open ends, integer)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "unit": self.unit,
            "min": self.min,
            "max": self.max,
            "doc": self.doc,
        }


def dotted(prefix: str, arg: str) -> str:
    """``('server', 'ring_gap_um') -> 'server.ring.gap_um'``."""
    return f"{prefix}.{arg.replace('_', '.', 1)}" if "_" in arg else f"{prefix}.{arg}"


def _unit_from_name(arg: str) -> str:
    """The unit a field name states by its suffix (the one table: :mod:`qkdchip.base.labels`)."""
    return unit_from_name(arg)


def _params_of(prefix: str, owner: Any) -> list[Param]:
    out: list[Param] = []
    if dataclasses.is_dataclass(owner):
        for f in dataclasses.fields(owner):
            rng: Range | None = f.metadata.get("range")
            default = f.default if f.default is not dataclasses.MISSING else None
            if default is None and f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
                default = f.default_factory()  # type: ignore[misc]
            if default is None and f.metadata.get("auto"):
                default = AUTO  # derived where it is used; a number when set
            if not isinstance(default, _SCALARS):
                continue
            out.append(_make(prefix, f.name, default, rng, f.metadata.get("doc", ""), split=False))
        return out
    ranges = ranges_of(owner)
    for arg, p in inspect.signature(owner).parameters.items():
        if p.default is inspect.Parameter.empty or not isinstance(p.default, _SCALARS):
            continue
        out.append(_make(prefix, arg, p.default, ranges.get(arg), ""))
    return out


def _make(
    prefix: str, arg: str, default: Any, rng: Range | None, doc: str, split: bool = True
) -> Param:
    return Param(
        name=dotted(prefix, arg) if split else f"{prefix}.{arg}",
        value=default,
        unit=(rng.unit if rng and rng.unit else _unit_from_name(arg)),
        min=rng.min if rng else None,
        max=rng.max if rng else None,
        doc=(rng.doc if rng and rng.doc else doc),
        source=prefix,
        arg=arg,
        range=rng,
    )


def owner_of(prefix: str) -> Any:
    module, attr = SOURCES[prefix]
    return getattr(importlib.import_module(module), attr)


def parameters(prefixes: Iterable[str] | None = None) -> list[Param]:
    """Every design parameter (default, unit, range), in source order."""
    out: list[Param] = []
    for prefix in prefixes or SOURCES:
        out.extend(_params_of(prefix, owner_of(prefix)))
    return out


def value_of(design: Design, name: str) -> Any:
    """The value of parameter ``name`` in ``design``: its override, else its default."""
    if name in design.overrides:
        return design.overrides[name]
    for p in parameters([name.split(".", 1)[0]]):
        if p.name == name:
            return p.value
    raise ValueError(f"unknown design parameter {name!r}")


class SetText(str):
    """The text of a ``--set NAME=VALUE`` value, read by the parameter's type (a number as a
    number, an integer as an integer, a string as the text typed)."""


def _yaml_scalar(text: str) -> Any:
    """``text`` read as YAML with the design file's limits (``text`` itself if it is not
    valid YAML or breaks a limit: it is then reported as not a number / not true or false)."""
    try:
        return _parse_yaml(text)
    except (yaml.YAMLError, _FileError):
        return text


def _coerce(p: Param, value: Any) -> Any:
    """``value`` (from a YAML file, a ``--set`` text or Python) as parameter ``p``'s type,
    checked against its range: ValueError naming ``p.name`` (one line)."""
    default = p.value
    text = str(value).strip() if isinstance(value, str) else None
    if default == AUTO and p.range is not None:  # auto, or a number in the range
        if value is None or text == AUTO:
            return AUTO
        return parse_number(p.name, value if text is None else text, p.range)
    if text == "":
        allowed = (
            "true or false"
            if isinstance(default, bool)
            else "non-empty text"
            if isinstance(default, str)
            else f"a number in {(p.range or Range(-math.inf, math.inf)).describe()}"
        )
        raise ValueError(f"{p.name}: empty value (allowed {allowed})")
    if isinstance(default, bool):
        if text is not None:
            value = _yaml_scalar(text)  # true/false/yes/no/on/off
        if isinstance(value, bool):
            return value
        raise ValueError(f"{p.name}={_short(value)} must be true or false")
    if isinstance(default, int | float):
        integer = isinstance(default, int)
        if text is not None:
            try:  # an integer exactly, else a float (inf/nan refused by the range check)
                return parse_number(p.name, text, p.range, integer=integer)
            except ValueError:
                alt = _yaml_scalar(text)  # YAML spellings: 0x1f, .inf, 1_000
                if isinstance(alt, bool) or not isinstance(alt, int | float):
                    raise
                value = alt
        return parse_number(p.name, value, p.range, integer=integer)
    if isinstance(default, str):
        if isinstance(value, SetText):  # as typed, unless YAML-quoted
            parsed = _yaml_scalar(text)
            return parsed if isinstance(parsed, str) else text
        if value is None:
            raise ValueError(f"{p.name}: empty value (allowed non-empty text)")
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValueError(f"{p.name}={_short(value)} must be text")
        return str(value)
    return value


def _short(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def validate(overrides: Mapping[str, Any]) -> Design:
    """Check names, types and ranges; raise ValueError naming the first bad parameter."""
    return Design(dict(sorted(_checked(overrides).items())))


def _checked(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """``overrides`` with every value coerced to its parameter's type and range-checked."""
    for name in overrides:
        if not isinstance(name, str):
            raise ValueError(f"design parameter {name!r} must be a dotted name (text)")
    prefixes = {name.split(".", 1)[0] for name in overrides}
    unknown_prefix = sorted(prefixes - set(SOURCES))
    known = {p.name: p for p in parameters([x for x in SOURCES if x in prefixes])}
    if unknown_prefix:
        name = next(n for n in overrides if n.split(".", 1)[0] in unknown_prefix)
        raise ValueError(
            f"unknown design parameter {name!r}: names start with one of {sorted(SOURCES)}"
        )
    clean: dict[str, Any] = {}
    for name, value in overrides.items():
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"unknown design parameter {name!r}{hint}; see `qkdchip design`")
        clean[name] = _coerce(known[name], value)
    return clean


def param(name: str) -> Param:
    """The registry entry of parameter ``name`` (ValueError if there is none)."""
    prefix = name.split(".", 1)[0]
    if prefix in SOURCES:
        for p in parameters([prefix]):
            if p.name == name:
                return p
    raise ValueError(f"unknown design parameter {name!r}; see `qkdchip design`")


def coerce_option(option: str, name: str, value: Any) -> Any:
    """``value`` of a command option (``--seed``) that sets parameter ``name``, coerced and
    checked like the parameter, the message naming the option (``--seed=-1 is out of ...``)."""
    return _coerce(dataclasses.replace(param(name), name=option), value)


# ------------------------------------------------------------------------------ design files

#: limits on a design file: size, nesting (aliases expanded) and nodes (each alias use counted)
MAX_FILE_BYTES = 1_000_000
MAX_DEPTH = 20
MAX_NODES = 100_000


class _FileError(ValueError):
    """A design file that cannot be read (the message lacks the file name; ``load`` adds it)."""


class _LimitedLoader(yaml.SafeLoader):
    """PyYAML's safe loader with limits: nesting depth, no recursive aliases, duplicate keys
    refused, and (checked before anything is constructed) the size with aliases expanded."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._open: list[str | None] = []  # anchors of the nodes being composed

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            if event.anchor in self._open:
                raise _FileError(
                    f"alias *{event.anchor} (line {event.start_mark.line + 1}) is inside its own "
                    "anchor: a recursive structure (allowed: aliases of complete nodes)"
                )
            return super().compose_node(parent, index)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _FileError(
                f"nested deeper than {MAX_DEPTH} levels at line {event.start_mark.line + 1} "
                f"(allowed at most {MAX_DEPTH})"
            )
        self._open.append(getattr(event, "anchor", None))
        try:
            return super().compose_node(parent, index)
        finally:
            self._open.pop()
            self._depth -= 1


def _expanded_size(node: yaml.Node, level: int, memo: dict[int, tuple[int, int]]) -> int:
    """Nodes under ``node`` with every alias expanded; refuses more than ``MAX_NODES`` nodes,
    nesting deeper than ``MAX_DEPTH`` and duplicate mapping keys. Recursion stops at the depth
    limit, so it is bounded whatever the aliases do."""
    key = id(node)
    size, height = memo.get(key, (0, 1))
    if level + height - 1 > MAX_DEPTH:
        raise _FileError(
            f"nested deeper than {MAX_DEPTH} levels with its aliases expanded "
            f"(line {node.start_mark.line + 1}; allowed at most {MAX_DEPTH})"
        )
    if key in memo:
        return size
    size, height = 1, 1
    if isinstance(node, yaml.MappingNode):
        seen: dict[tuple[str, str], int] = {}
        children = []
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.tag != "tag:yaml.org,2002:merge":
                if (k.tag, k.value) in seen:
                    raise _FileError(
                        f"key {k.value!r} is given twice in one mapping (lines "
                        f"{seen[(k.tag, k.value)]} and {k.start_mark.line + 1}; allowed once)"
                    )
                seen[(k.tag, k.value)] = k.start_mark.line + 1
            children += [k, v]
    elif isinstance(node, yaml.SequenceNode):
        children = list(node.value)
    else:
        children = []
    for child in children:
        size += _expanded_size(child, level + 1, memo)
        height = max(height, 1 + memo[id(child)][1])
        if size > MAX_NODES:
            raise _FileError(
                f"expands to more than {MAX_NODES} nodes (aliases counted at every use; "
                f"allowed at most {MAX_NODES})"
            )
    memo[key] = (size, height)
    return size


def _parse_yaml(text: str) -> Any:
    loader = _LimitedLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _expanded_size(node, 1, {})
        return loader.construct_document(node)
    finally:
        loader.dispose()


def read_design_file(design_file: str | Path) -> dict[str, Any]:
    """The overrides in a YAML design file (nested mappings and/or dotted keys), flattened to
    dotted names; not yet validated. ValueError naming the file (one line) if it cannot be
    read: missing, not a regular file, over ``MAX_FILE_BYTES``, not UTF-8 text, not valid
    YAML, nested or aliased beyond the limits, a key given twice, not a mapping."""
    path = Path(design_file)
    where = f"design file {str(path)!r}"
    try:
        st = path.stat()
    except FileNotFoundError:
        raise ValueError(f"{where}: does not exist") from None
    except OSError as exc:
        raise ValueError(f"{where}: cannot be read: {exc.strerror or exc}") from None
    import stat as stat_mod

    if not stat_mod.S_ISREG(st.st_mode):
        kind = "a folder" if stat_mod.S_ISDIR(st.st_mode) else "a device or special file"
        raise ValueError(f"{where}: is not a regular file ({kind}; allowed a regular YAML file)")
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ValueError(f"{where}: cannot be read: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise ValueError(
            f"{where}: is larger than {MAX_FILE_BYTES} bytes (allowed at most {MAX_FILE_BYTES})"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{where}: is not UTF-8 text (byte {exc.start}: {data[exc.start : exc.start + 1]!r}; "
            "allowed UTF-8 YAML)"
        ) from None
    if "\x00" in text:
        raise ValueError(f"{where}: is not text (it holds NUL bytes; allowed UTF-8 YAML)")
    try:
        tree = _parse_yaml(text)
    except _FileError as exc:
        raise ValueError(f"{where}: {exc}") from None
    except yaml.YAMLError as exc:
        first = " ".join(str(exc).split())[:200]
        raise ValueError(f"{where}: is not valid YAML: {first}") from None
    except RecursionError:  # not expected with the depth limit; never a traceback
        raise ValueError(
            f"{where}: is nested too deeply (allowed at most {MAX_DEPTH} levels)"
        ) from None
    if tree is None:
        return {}
    if not isinstance(tree, Mapping):
        raise ValueError(f"{where}: must hold a mapping of parameters (allowed NAME: VALUE lines)")
    out: dict[str, Any] = {}
    try:
        _flatten(tree, "", out)
    except _FileError as exc:
        raise ValueError(f"{where}: {exc}") from None
    return out


def _flatten(tree: Mapping[Any, Any], prefix: str, out: dict[str, Any]) -> None:
    for key, value in tree.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping):
            _flatten(value, name, out)
        elif name in out:
            raise _FileError(
                f"{name!r} is given twice (as a dotted key and as nested keys; allowed once)"
            )
        else:
            out[name] = value


# ------------------------------------------------------------------------------ --set items


def _split_set(item: str) -> tuple[str, str]:
    if not isinstance(item, str) or "=" not in item:
        raise ValueError(f"--set {item!r} must be NAME=VALUE")
    name, raw = item.split("=", 1)
    name = name.strip()
    if not name:
        raise ValueError(f"--set {item!r} must be NAME=VALUE (the name is empty)")
    return name, raw


def set_texts(items: Iterable[str]) -> dict[str, SetText]:
    """``["server.ring.gap_um=2.5"] -> {"server.ring.gap_um": SetText("2.5")}``: each value
    as typed, read later by its parameter's type. A name given twice is refused."""
    out: dict[str, SetText] = {}
    for item in items:
        name, raw = _split_set(item)
        if name in out:
            raise ValueError(f"--set {name}: given twice (allowed once per name)")
        out[name] = SetText(raw)
    return out


def parse_set(items: Iterable[str]) -> dict[str, Any]:
    """``["length_um=2.5"] -> {"length_um": 2.5}`` (values parsed as YAML; for the keyword
    arguments of a single cell, which have no registry entry). A name given twice or an empty
    value is refused."""
    out: dict[str, Any] = {}
    for name, raw in set_texts(items).items():
        if not raw.strip():
            raise ValueError(f"--set {name}: empty value (allowed NAME=VALUE with a value)")
        try:
            value = _parse_yaml(raw)
        except (yaml.YAMLError, _FileError) as exc:
            raise ValueError(f"--set {name}: cannot parse value {_short(str(raw))}") from exc
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{name}={value!r} is not a finite number (allowed finite numbers)")
        out[name] = value
    return out


def load(
    design_file: str | Path | None = None,
    sets: Iterable[str] = (),
    options: Mapping[str, Any] | None = None,
) -> Design:
    """A validated design from an optional YAML file, ``--set`` overrides (which win over the
    file) and a command's own options (``{dotted name: value}``, which win over both). Each
    source is validated on its own (a bad value is refused even where a later one wins)."""
    overrides: dict[str, Any] = {}
    if design_file is not None:
        overrides.update(_checked(read_design_file(os.fspath(design_file))))
    overrides.update(_checked(set_texts(sets)))
    if options:
        overrides.update(_checked(options))
    return Design(dict(sorted(overrides.items())))
