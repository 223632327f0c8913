"""A chip's sax circuit, compiled once from its own layout netlist: the base of both chips.

:mod:`qkdchip.sims.server` and :mod:`qkdchip.sims.client` each keep only what differs between the
chips (how the netlist is prepared, what the parameters act on, the figures); this module holds
what they share:

* :func:`compiled`: build the chip (or take a given component), extract and prepare its netlist
  and compile the sax circuit, once per chip, options and design (an LRU cache; a given
  component is cached by identity);
* :class:`ChipCircuit`: the compiled circuit with its port order, netlist and design, a
  parameter mapping -> nested sax settings (:meth:`ChipCircuit.settings`, per chip), its range
  check (:meth:`ChipCircuit.check`, per chip) and, shared, the dense S-matrix
  (:meth:`~ChipCircuit.sdense`, traceable), the compiled forms (:meth:`~ChipCircuit.evaluate`:
  circuit and stacking compiled as two stages; :meth:`~ChipCircuit.fn`: a checked single call;
  :meth:`~ChipCircuit.batch_fn`: ``jax.vmap`` over parameter sets in padded chunks) and a cache
  of further jitted functions built on the circuit (:meth:`~ChipCircuit.jitted`).

``S[..., i, j]`` is from port ``j`` to port ``i``; wavelengths in um.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import jax
import jax.numpy as jnp
import numpy as np
import sax

__all__ = ["ChipCircuit", "build_chip", "compiled", "freeze"]

C = TypeVar("C", bound="ChipCircuit")


def freeze(v: Any) -> Any:
    """A hashable form of a design value (lists and tuples become tuples, recursively)."""
    if isinstance(v, list | tuple):
        return tuple(freeze(x) for x in v)
    return v


def build_chip(process: str, chip: Callable[..., Any], design: Mapping[str, Any]):
    """``chip(**design)`` built inside ``use_pdk(process)`` (the cell validates the design)."""
    from qkdchip.pdk import use_pdk

    with use_pdk(process):
        return chip(**design)


def compiled(
    make: Callable[..., C], component=None, design: Mapping[str, Any] | None = None, **options: Any
) -> C:
    """``make(component, design, **options)``, cached per (``make``, options, design) or, for a
    given ``component``, per component identity. ``make`` builds the chip from ``design`` when
    ``component`` is None. Give either ``component`` or design overrides, not both."""
    design = dict(design or {})
    if component is not None and design:
        raise ValueError("give either component or design overrides, not both")
    items = tuple(sorted((k, freeze(v)) for k, v in design.items()))
    return _compiled(make, tuple(sorted(options.items())), items, component)


@functools.lru_cache(maxsize=32)
def _compiled(make: Callable[..., Any], options: tuple, items: tuple, component) -> Any:
    return make(component, dict(items), **dict(options))


@dataclass(frozen=True, eq=False)
class ChipCircuit:
    """A compiled chip circuit: ``self(wl=..., **sax_settings) -> SDict``.

    ``ports``: port order of the dense S-matrix; ``netlist``: the prepared recursive netlist;
    ``design``: the design overrides it was built from. Subclasses define :meth:`settings` and
    :meth:`check` for their parameter mapping (:attr:`PARAMS` names it in messages) and
    :meth:`check_wl`."""

    circuit: Callable[..., sax.SDict]
    ports: tuple[str, ...]
    netlist: dict[str, Any] = field(repr=False)
    design: dict[str, Any] = field(default_factory=dict)
    #: jitted functions built on this circuit (compiled once per circuit)
    _jitted: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    #: what the parameter mapping is called in messages ("params", "drive")
    PARAMS = "params"
    #: how :meth:`batch_fn` runs the sets of a chunk: ``"vmap"`` (vectorised) or ``"map"``
    #: (``jax.lax.map``: the parameter-independent part computed once per chunk)
    BATCH_LOOP = "vmap"

    def __call__(self, **kwargs) -> sax.SDict:
        return self.circuit(**kwargs)

    # --- per chip -------------------------------------------------------------------------------

    def settings(self, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Nested sax settings of a parameter mapping."""
        raise NotImplementedError

    def check(self, params: Mapping[str, Any] | None) -> None:
        """Range-check concrete parameter values (JAX tracers are skipped): ValueError naming it."""
        raise NotImplementedError

    def check_wl(self, wl_um):
        """``wl_um`` as a float64 array; ValueError naming ``wl`` outside the models' range."""
        raise NotImplementedError

    # --- shared ---------------------------------------------------------------------------------

    def jitted(self, key: Any, make: Callable[[], Any]) -> Any:
        """The jitted function ``make()`` cached under ``key`` on this circuit."""
        if key not in self._jitted:
            self._jitted[key] = make()
        return self._jitted[key]

    def sdict(self, wl_um, params: Mapping[str, Any] | None = None) -> sax.SDict:
        """The circuit's SDict at ``wl_um`` with the parameters ``params`` (traceable)."""
        return self.circuit(wl=wl_um, **self.settings(params))

    def dense(self, sd: sax.SDict):
        """Dense S (..., n_wl, m, m) of an SDict in ``ports`` order; S[..., i, j] from j to i."""
        zero = jnp.zeros_like(next(iter(sd.values())))
        return jnp.stack(
            [jnp.stack([sd.get((pi, po), zero) for pi in self.ports], -1) for po in self.ports],
            -2,
        )

    def sdense(self, wl_um, params: Mapping[str, Any] | None = None):
        """Dense S (..., n_wl, m, m) in ``ports`` order, concrete parameters range-checked
        (traceable: tracers are not checked)."""
        self.check(params)
        return self.dense(self.sdict(wl_um, params))

    def evaluate(self, wl_um, params: Mapping[str, Any] | None = None) -> jax.Array:
        """Dense S (n_wl, m, m) from two compiled stages, the circuit and then the stacking (one
        stage lets XLA fuse the stacking into the circuit's arithmetic and recompute it per
        entry: 2x slower); no checks."""
        run = self.jitted("sdict", lambda: jax.jit(self.sdict))
        stack = self.jitted("dense", lambda: jax.jit(self.dense))
        return stack(run(wl_um, dict(params or {})))

    def fn(self) -> Callable[[Any, Mapping[str, Any] | None], jax.Array]:
        """A jitted ``f(wl_um, params) -> S (n_wl, m, m)``: range-checks concrete inputs, then
        evaluates the compiled circuit. ``params`` holds scalars (the set of keys is fixed per
        compilation); it is ``jax.vmap``-friendly (inside a trace the checks are skipped)."""

        def f(wl_um, params=None):
            params = dict(params or {})
            self.check(params)
            return self.evaluate(self.check_wl(wl_um), params)

        return f

    def batch_fn(self, chunk: int = 32) -> Callable[[Any, Mapping[str, Any]], np.ndarray]:
        """``f(wl_um, batch) -> S (batch, n_wl, m, m)`` (numpy) over a batch of parameter sets.

        ``batch``: dict of 1-D arrays of one length. The batch is evaluated ``chunk`` sets at a
        time by one jitted function of the chunk (compiled once per circuit and chunk size; the
        last chunk is padded with its last set), so that a 1,000 x 10,000-point batch does not
        hold every intermediate array at once: ``jax.vmap`` of the circuit and its stacking, or,
        where :attr:`BATCH_LOOP` is ``"map"``, ``jax.lax.map`` over the sets of the chunk (XLA
        then computes what does not depend on the parameters once, before the loop, where a
        ``vmap`` lets it fuse those parts into the batched products and recompute them per set;
        the better choice depends on how much of the chip the parameters touch). Concrete inputs
        are range-checked first."""
        if not isinstance(chunk, int) or isinstance(chunk, bool) or chunk < 1:
            raise ValueError(f"chunk={chunk!r} must be a positive integer")

        def one(wl, p):
            return self.dense(self.sdict(wl, p))

        def sets(wl, part):
            if self.BATCH_LOOP == "map":
                return jax.lax.map(lambda p: one(wl, p), part)
            return jax.vmap(one, in_axes=(None, 0))(wl, part)

        run = self.jitted(("batch", self.BATCH_LOOP), lambda: jax.jit(sets))
        name = f"{self.PARAMS}_batch"

        def f(wl_um, batch):
            sizes = {np.shape(v) for v in batch.values()}
            if len(sizes) != 1 or len(next(iter(sizes))) != 1:
                raise ValueError(f"{name}: give 1-D arrays of one length, got shapes {sizes}")
            self.check(batch)
            arrays = {k: np.asarray(v, dtype=float) for k, v in batch.items()}
            n = next(iter(sizes))[0]
            wl = self.check_wl(wl_um)
            parts = []
            for start in range(0, n, chunk):
                part = {k: v[start : start + chunk] for k, v in arrays.items()}
                m = len(next(iter(part.values())))
                if m < chunk:  # pad with the last set: one compiled shape
                    part = {
                        k: np.concatenate([v, np.repeat(v[-1:], chunk - m)])
                        for k, v in part.items()
                    }
                parts.append(np.asarray(run(wl, part))[:m])
            return np.concatenate(parts)

        return f
