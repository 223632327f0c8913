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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from qkdchip.base.design import Design
from qkdchip.base.params import Range, ranges_of

#: dotted prefix -> (module, attribute): a chip cell function or a frozen dataclass
SOURCES: dict[str, tuple[str, str]] = {
    "server": ("qkdchip.circuits.server_chip", "server_chip"),
    "client": ("qkdchip.circuits.client_chip", "client_chip"),
    "comb": ("qkdchip.sims.devices", "CombSettings"),
    "link": ("qkdchip.sims.network.settings", "LinkSettings"),
    "network": ("qkdchip.sims.network.settings", "NetworkSettings"),
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
    for suffix, unit in (
        ("_um", "um"),
        ("_nm", "nm"),
        ("_mm", "mm"),
        ("_km", "km"),
        ("_db", "dB"),
        ("_dbm", "dBm"),
        ("_ghz", "GHz"),
        ("_mhz", "MHz"),
        ("_deg", "deg"),
        ("_v", "V"),
        ("_ma", "mA"),
        ("_mw", "mW"),
    ):
        if arg.endswith(suffix):
            return unit
    return ""


def _params_of(prefix: str, owner: Any) -> list[Param]:
    out: list[Param] = []
    if dataclasses.is_dataclass(owner):
        for f in dataclasses.fields(owner):
            rng: Range | None = f.metadata.get("range")
            default = f.default if f.default is not dataclasses.MISSING else None
            if default is None and f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
                default = f.default_factory()  # type: ignore[misc]
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


def _coerce(p: Param, value: Any) -> Any:
    default = p.value
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        raise ValueError(f"{p.name}={value!r} must be true or false")
    if isinstance(default, int | float):
        if isinstance(value, str):  # YAML 1.1 reads "1e12" as a string
            try:
                value = float(value)
            except ValueError:
                raise ValueError(f"{p.name}={value!r} must be a number") from None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{p.name}={value!r} must be a number")
        if isinstance(default, int) and not isinstance(default, bool) and int(value) != value:
            raise ValueError(f"{p.name}={value!r} must be an integer")
        value = type(default)(value)
        if p.min is not None and p.max is not None:
            Range(p.min, p.max, p.unit).check(p.name, value)
        return value
    if isinstance(default, str):
        return str(value)
    return value


def validate(overrides: Mapping[str, Any]) -> Design:
    """Check names, types and ranges; raise ValueError naming the first bad parameter."""
    prefixes = {name.split(".", 1)[0] for name in overrides}
    unknown_prefix = sorted(prefixes - set(SOURCES))
    known = {p.name: p for p in parameters([x for x in prefixes if x in SOURCES])}
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
    return Design(dict(sorted(clean.items())))


def _flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping):
            out.update(_flatten(value, name))
        else:
            out[name] = value
    return out


def parse_set(items: Iterable[str]) -> dict[str, Any]:
    """``["server.ring.gap_um=2.5"] -> {"server.ring.gap_um": 2.5}`` (values parsed as YAML)."""
    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise ValueError(f"--set {item!r} must be NAME=VALUE")
        name, raw = item.split("=", 1)
        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            raise ValueError(f"--set {name}: cannot parse value {raw!r}") from exc
        out[name.strip()] = value
    return out


def load(design_file: str | Path | None = None, sets: Iterable[str] = ()) -> Design:
    """A validated design from an optional YAML file and ``--set`` overrides (which win)."""
    overrides: dict[str, Any] = {}
    if design_file is not None:
        path = Path(design_file)
        if not path.is_file():
            raise ValueError(f"design file {str(path)!r} does not exist")
        try:
            tree = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as exc:
            first = str(exc).splitlines()[0]
            raise ValueError(f"design file {str(path)!r} is not valid YAML: {first}") from exc
        if not isinstance(tree, Mapping):
            raise ValueError(f"design file {str(path)!r} must hold a mapping of parameters")
        overrides.update(_flatten(tree))
    overrides.update(parse_set(sets))
    return validate(overrides)
