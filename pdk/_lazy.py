"""The lazy API of a process package, written once for both processes.

``qkdchip.pdk.sin`` and ``qkdchip.pdk.inp`` import cheaply and activate nothing: their
gdsfactory objects (``PDK``, ``LAYER``, ``LAYER_VIEWS``, ``CROSS_SECTIONS`` ...) live in their
``tech`` module, imported on first access (:func:`package_api`), and the ``gf.Pdk``'s sax models
are imported on first lookup (:class:`LazyModels`).
"""

from __future__ import annotations

import importlib
import pathlib
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import gdsfactory as gf


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


def package_api(
    package: str, label: str, lazy: Collection[str]
) -> tuple[
    Callable[[], gf.Pdk], Callable[[str | pathlib.Path], pathlib.Path], Callable[[str], Any]
]:
    """``(get_pdk, write_lyp, __getattr__)`` of the process package ``package``
    (``"qkdchip.pdk.sin"``), whose ``tech`` module holds its gdsfactory objects and whose sax
    models are ``qkdchip.sims.models.<process>``; ``label`` names the process in the docs.

    * ``get_pdk()``: the cached ``gf.Pdk`` (not activated), its ``models`` a :class:`LazyModels`;
    * ``write_lyp(path)``: the KLayout layer-properties file of the process (``*.lyp``);
    * ``__getattr__(name)`` (module level, PEP 562): ``PDK`` (gdsfactory's convention,
      ``from <pdk> import PDK``) and the names in ``lazy``, read from ``tech`` on first access.
    """
    process = package.rsplit(".", 1)[-1]
    tech = f"{package}.tech"

    def get_pdk() -> gf.Pdk:
        pdk = importlib.import_module(tech).get_pdk()
        if not isinstance(pdk.models, LazyModels):
            pdk.models = LazyModels(f"qkdchip.sims.models.{process}", label)
        return pdk

    def write_lyp(path: str | pathlib.Path) -> pathlib.Path:
        from qkdchip.pdk._views import write_lyp as write_views

        return write_views(importlib.import_module(tech).LAYER_VIEWS, path)

    def __getattr__(name: str) -> Any:
        if name == "PDK":
            return get_pdk()
        if name in lazy:
            return getattr(importlib.import_module(tech), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    get_pdk.__doc__ = (
        f"The {label} ``gf.Pdk`` (built once, cached; not activated).\n\n"
        f"Its ``models`` are the {label} sax models, keyed by cell name, loaded on first access."
    )
    write_lyp.__doc__ = (
        f"Write the KLayout layer-properties file of the {label} process to ``path`` (``*.lyp``)."
    )
    for fn in (get_pdk, write_lyp, __getattr__):
        fn.__module__ = package
        fn.__qualname__ = fn.__name__
    return get_pdk, write_lyp, __getattr__
