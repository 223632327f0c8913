"""A PDK's sax models, imported on first access (shared by both processes)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any


class LazyModels(Mapping[str, Callable[..., Any]]):
    """The ``MODELS`` dict of a models module, imported on first lookup.

    Importing sax costs seconds and switches JAX to 64 bit: building masks must not pay for it,
    so ``pdk.models`` stays this empty proxy until a model is looked up."""

    def __init__(self, module: str, label: str) -> None:
        self._module = module
        self._label = label
        self._models: dict[str, Callable[..., Any]] | None = None

    def _load(self) -> dict[str, Callable[..., Any]]:
        if self._models is None:
            self._models = dict(importlib.import_module(self._module).MODELS)
        return self._models

    def __getitem__(self, name: str) -> Callable[..., Any]:
        return self._load()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())

    def __repr__(self) -> str:
        state = "not loaded" if self._models is None else f"{len(self._models)} models"
        return f"<{self._label} sax models ({state})>"
