"""Netlist simplification before ``sax.circuit``: cascades of two-ports merged into one element.

A chip netlist is mostly cascades: waveguides, bends, tapers, modulator sections and whole
sub-circuits (an MZM seen from outside is a two-port) joined port to port. sax's
Filipsson-Gunnar backend connects a netlist one net at a time and, at each net, recomputes every
S entry between the ports of the block it grows (about 16 full-length complex arrays per net of
a cascade, most of them products with zero reflections), which dominates the cost of a
10,000-point call. :func:`circuit` finds, in every level of a recursive netlist, each *maximal
chain* of two-port instances joined only to each other (every inner port in exactly one net,
none of them a circuit port) and replaces it by one instance whose model evaluates the members'
own models and composes their 2x2 S-matrices with the Redheffer star product (below). Nothing
is approximated: the members keep their models, settings and reflections.

Star product of A (ports a1, a2) followed by B (b1, b2), a2 joined to b1, ``S[x, y]`` the sax
entry (x, y)::

    D        = 1 - A[a2, a2] B[b1, b1]
    S[1, 2]  = A[a1, a2] B[b1, b2] / D          S[2, 1] = B[b2, b1] A[a2, a1] / D
    S[1, 1]  = A[a1, a1] + A[a1, a2] B[b1, b1] A[a2, a1] / D
    S[2, 2]  = B[b2, b2] + B[b2, b1] A[a2, a2] B[b1, b2] / D

(Redheffer, J. Math. Phys. 41, 1 (1962); the cascade of scattering matrices of any textbook of
microwave networks, e.g. Pozar, *Microwave Engineering*, 4th ed., sec. 4.4). An entry a model
does not return is an exact zero and is left out of the arithmetic, so a reflection-free
cascade costs one complex product per member and direction (one when the member is reciprocal:
sax.reciprocal hands the same array to both directions).

What is left of a level (an MZM: two MMIs and its two arm chains) is joined net by net by
:func:`interconnect`, equation 6 of Filipsson (11th European Microwave Conference, 1981) as
sax's backend applies it, but updating only the entries that a path reaches (absent entries are
exact zeros); with ``backend`` other than Filipsson-Gunnar the simplified levels are compiled
with ``sax.circuit`` and that backend instead.

Addressing is unchanged: the circuit returned takes its settings, and shows its defaults
(``sax.get_settings``), in the *original* instance paths (``{"im1": {"arm_top": {...}}}``,
``{"wg3": {"loss_dB_per_cm": ...}}``): :class:`Simplified` moves each member's settings into
its chain (``{"chain_facet_out_wg1": {"im1": {...}}}``) before calling the simplified circuit, and
a chain hands each member exactly what sax would have handed it (its model's defaults, its
netlist settings and ``info``, the top-level settings forwarded as sax forwards them).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import sax

__all__ = [
    "ChainMember",
    "Simplified",
    "chain_model",
    "circuit",
    "interconnect",
    "level_model",
    "simplify_flat",
    "star",
]


@dataclass(frozen=True)
class ChainMember:
    """One instance of a chain: its name, component, and the ports light enters and leaves by
    (in chain order, from the chain's ``o1`` to its ``o2``)."""

    name: str
    component: str
    port_in: str
    port_out: str


def _ref(ref: str) -> tuple[str, str]:
    inst, port = ref.split(",", 1)
    return inst, port


def _netlist_settings(inst: Mapping[str, Any]) -> dict[str, Any]:
    """An instance's netlist settings with its ``info`` over them, as sax reads them."""
    return {**dict(inst.get("settings") or {}), **dict(inst.get("info") or {})}


def _member_defaults(model: Callable[..., Any], inst: Mapping[str, Any]) -> dict[str, Any]:
    """What sax would hand ``model`` for ``inst`` with no settings given: the model's defaults
    with the netlist settings it takes over them (``sax.circuit``'s own merge)."""
    model_settings = sax.get_settings(model)
    given = {k: v for k, v in _netlist_settings(inst).items() if k in model_settings}
    return sax.merge_dicts(model_settings, given)


def _entries(sd: Mapping[tuple[str, str], Any], m: ChainMember) -> tuple[Any, Any, Any, Any]:
    """(S[in, in], S[in, out], S[out, in], S[out, out]) of a member; None where absent."""
    i, o = m.port_in, m.port_out
    return sd.get((i, i)), sd.get((i, o)), sd.get((o, i)), sd.get((o, o))


def _mul(a, b):
    return None if a is None or b is None else a * b


def _div(a, inv):
    """``a`` times the loop factor ``inv`` = 1 / D (None: D = 1)."""
    return a if inv is None else _mul(a, inv)


def _add(a, b):
    if a is None:
        return b
    return a if b is None else a + b


def star(a: tuple, b: tuple) -> tuple:
    """Redheffer star product of two two-ports given as (S11, S12, S21, S22), None = 0."""
    a11, a12, a21, a22 = a
    b11, b12, b21, b22 = b
    loop = _mul(a22, b11)
    inv = None if loop is None else 1.0 / (1.0 - loop)  # None: D = 1
    fwd = _div(_mul(a12, b12), inv)
    reciprocal = a12 is a21 and b12 is b21  # one product serves both directions
    bwd = fwd if reciprocal else _div(_mul(b21, a21), inv)
    s11 = _add(a11, _mul(_mul(a12, b11), _div(a21, inv)))
    s22 = _add(b22, _mul(_mul(b21, a22), _div(b12, inv)))
    return s11, fwd, bwd, s22


def _resolver(
    fns: Mapping[str, Callable[..., Any]], defaults: Mapping[str, dict[str, Any]]
) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """``settings -> {member: its settings}`` as a sax circuit resolves them: the members'
    defaults, the given settings over them, a setting that is not a member's name forwarded to
    every member that takes it (``sax.update_settings``), the members' own settings last."""

    def resolve(settings: Mapping[str, Any]) -> dict[str, Any]:
        full = sax.merge_dicts(defaults, settings)
        glob = {k: full.pop(k) for k in list(full) if k not in fns}
        if glob:
            full = sax.update_settings(full, **glob)
            full = sax.merge_dicts(full, {k: v for k, v in settings.items() if k in fns})
        return full

    return resolve


def _model(fn: Callable[..., Any], name: str, defaults: Mapping[str, dict[str, Any]]):
    """``fn`` named ``name`` with keyword-only parameters ``defaults`` (what sax reads)."""
    fn.__name__ = fn.__qualname__ = name
    fn.__signature__ = inspect.Signature(
        [
            inspect.Parameter(k, inspect.Parameter.KEYWORD_ONLY, default=v)
            for k, v in defaults.items()
        ]
    )
    return fn


def _product(run: list[tuple]) -> tuple:
    """A run of reflection-free two-ports (S11 = S22 = 0) as one: the products of their
    transmissions, multiplied pairwise (a balanced tree: under ``jax.vmap`` the neighbours that
    do not depend on the batched settings are multiplied once, not once per batch entry)."""
    while len(run) > 1:
        nxt = [star(run[i], run[i + 1]) for i in range(0, len(run) - 1, 2)]
        run = nxt + ([run[-1]] if len(run) % 2 else [])
    return run[0]


def _runs(parts: list[tuple]) -> list[tuple]:
    """The members in chain order with each run of reflection-free members replaced by its
    :func:`_product` (a reflection then crosses a run once, not member by member)."""
    out: list[tuple] = []
    run: list[tuple] = []
    for part in parts:
        if part[0] is None and part[3] is None:
            run.append(part)
            continue
        if run:
            out.append(_product(run))
            run = []
        out.append(part)
    if run:
        out.append(_product(run))
    return out


def chain_model(
    members: tuple[ChainMember, ...],
    models: Mapping[str, Callable[..., Any]],
    instances: Mapping[str, Mapping[str, Any]],
) -> Callable[..., sax.SDict]:
    """The model of a chain: ``f(**{member: settings}) -> SDict`` over ports ``o1`` (the first
    member's input) and ``o2`` (the last member's output), composed with :func:`star`; the
    entries that are exact zeros (no reflection anywhere in the chain) are left out.

    Its defaults (the signature, as ``sax.get_settings`` reads it) are each member's defaults
    as sax computes them; the settings given reach the members as in a sax circuit
    (:func:`_resolver`)."""
    fns = {m.name: models[m.component] for m in members}
    defaults = {m.name: _member_defaults(fns[m.name], instances[m.name]) for m in members}
    resolve = _resolver(fns, defaults)

    def chain(**settings: Any) -> sax.SDict:
        full = resolve(settings)
        parts = [_entries(sax.sdict(fns[m.name](**full[m.name])), m) for m in members]
        acc = None
        for part in _runs(parts):
            acc = part if acc is None else star(acc, part)
        keys = (("o1", "o1"), ("o1", "o2"), ("o2", "o1"), ("o2", "o2"))
        return {k: v for k, v in zip(keys, acc, strict=True) if v is not None}

    return _model(chain, f"chain_{members[0].name}_{members[-1].name}", defaults)


def _one_minus(x):
    """1 - x, with None = 0 and the exact 1 kept as the Python number 1.0."""
    return 1.0 if x is None else 1.0 - x


def _prod(*xs):
    """The product of ``xs`` (None = 0: the product is None; exact 1.0 factors skipped)."""
    out = 1.0
    for x in xs:
        if x is None:
            return None
        if isinstance(x, float) and x == 1.0:
            continue
        out = x if isinstance(out, float) else out * x
    return out


def _sum(*xs):
    """The sum of ``xs`` (None = 0: skipped; None when all are)."""
    out = None
    for x in xs:
        out = _add(out, x)
    return out


def interconnect(block: dict[tuple[str, str], Any], k: str, m: str) -> None:
    """Join ports ``k`` and ``m`` of the S entries ``block`` in place (equation 6 of
    Filipsson, 11th European Microwave Conference, 1981, as sax's Filipsson-Gunnar backend),
    computing only the entries that are not structurally zero: an absent entry is an exact zero,
    and an entry (i, j) changes only where i reaches k or m and k or m reaches j (``m`` is the
    paper's l)::

        S'ij = Sij + [Skj Sim (1 - Smk) + Smj Sik (1 - Skm) + Skj Smm Sik + Smj Skk Sim] / D
        D    = (1 - Skm)(1 - Smk) - Skk Smm
    """
    skk, skm, smk, smm = block.get((k, k)), block.get((k, m)), block.get((m, k)), block.get((m, m))
    reflective = not (skk is None or smm is None) or skm is not None or smk is not None
    inv = None
    if reflective:
        d = _sum(_prod(_one_minus(skm), _one_minus(smk)), _neg(_prod(skk, smm)))
        inv = 1.0 / d
    joined = (k, m)
    rows = [i for i in _ports(block) if i not in joined and ((i, k) in block or (i, m) in block)]
    cols = [j for j in _ports(block) if j not in joined and ((k, j) in block or (m, j) in block)]
    for i in rows:
        sik, sim = block.get((i, k)), block.get((i, m))
        for j in cols:
            skj, smj = block.get((k, j)), block.get((m, j))
            num = _sum(
                _prod(skj, sim, _one_minus(smk)),
                _prod(smj, sik, _one_minus(skm)),
                _prod(skj, smm, sik),
                _prod(smj, skk, sim),
            )
            if num is not None:
                block[i, j] = _add(block.get((i, j)), num if inv is None else num * inv)
    for key in [key for key in block if key[0] in joined or key[1] in joined]:
        del block[key]


def _neg(x):
    return None if x is None else -x


def _ports(block: Mapping[tuple[str, str], Any]) -> list[str]:
    """The ports of ``block`` in first-seen order (deterministic)."""
    return list(dict.fromkeys(p for key in block for p in key))


def level_model(
    name: str, net: Mapping[str, Any], models: Mapping[str, Callable[..., Any]]
) -> Callable[..., sax.SDict]:
    """The model of one flat netlist level: its instances evaluated with their models and
    joined net by net with :func:`interconnect` (the Filipsson-Gunnar algorithm of sax's
    ``filipsson_gunnar`` backend without the arithmetic on structural zeros). The settings are
    those of ``sax.circuit`` of the level (:func:`_resolver`); the SDict leaves out the pairs of
    ports no path joins (exact zeros, as the members' models do)."""
    instances = net["instances"]
    fns = {k: models[v["component"]] for k, v in instances.items()}
    defaults = {k: _member_defaults(fns[k], v) for k, v in instances.items()}
    resolve = _resolver(fns, defaults)
    nets = [(n["p1"], n["p2"]) for n in net.get("nets", [])]
    ports = dict(net.get("ports", {}))

    def level(**settings: Any) -> sax.SDict:
        full = resolve(settings)
        block: dict[tuple[str, str], Any] = {}
        for inst, fn in fns.items():
            for (p, q), v in sax.sdict(fn(**full[inst])).items():
                block[f"{inst},{p}", f"{inst},{q}"] = v
        for k, m in nets:
            interconnect(block, k, m)
        return {
            (pi, pj): block[ri, rj]
            for pi, ri in ports.items()
            for pj, rj in ports.items()
            if (ri, rj) in block
        }

    return _model(level, _identifier(name), defaults)


def _ports_of(component: str, models: Mapping[str, Callable[..., Any]], cache: dict) -> tuple:
    """The port names of a component's model (a leaf model at its defaults: :func:`model_ports`;
    a sub-netlist's are its ports, set in ``cache`` beforehand)."""
    if component not in cache:
        cache[component] = model_ports(models[component])
    return cache[component]


def model_ports(model: Callable[..., Any]) -> tuple[str, ...]:
    """The port names of a model at its defaults (natural order, ``sax.get_ports``).

    The model is traced abstractly (``jax.eval_shape``: the keys of its S-matrix without
    running one array operation); one that cannot be traced (it reads concrete values) is
    evaluated, as sax does. Evaluating every leaf model of the client and server chips op by
    op took 1.37 s of a warm ``qkdchip run`` (61 models: JAX dispatches, and compiles in a new
    process, each small operation)."""
    try:
        s = jax.eval_shape(lambda: sax.sdict(model()))
    except Exception:  # a model that needs concrete values: evaluate it
        s = sax.sdict(model())
    return tuple(sax.get_ports(s))


def _chains(net: Mapping[str, Any], ports_of: Callable[[str], tuple]) -> list[list[ChainMember]]:
    """The maximal chains (>= 2 members) of two-port instances of a flat netlist, in a
    deterministic order (instance order of the netlist)."""
    instances = net["instances"]
    refs: dict[str, int] = {}
    for n in net.get("nets", []):
        for r in (n["p1"], n["p2"]):
            refs[r] = refs.get(r, 0) + 1
    external = set(net.get("ports", {}).values())
    two = {}
    for name, inst in instances.items():
        ports = ports_of(inst["component"])
        own = [f"{name},{p}" for p in ports]
        if len(ports) == 2 and all(refs.get(r, 0) <= 1 for r in own):
            two[name] = ports
    partner: dict[str, str] = {}
    for n in net.get("nets", []):
        partner[n["p1"]], partner[n["p2"]] = n["p2"], n["p1"]

    def link(name: str, port: str) -> tuple[str, str] | None:
        """The (instance, port) of the chain neighbour behind ``name,port``, or None."""
        ref = f"{name},{port}"
        if ref in external or ref not in partner or partner[ref] in external:
            return None
        other, oport = _ref(partner[ref])
        return (other, oport) if other in two and other != name else None

    degree = {n: sum(link(n, p) is not None for p in ps) for n, ps in two.items()}
    seen: set[str] = set()
    chains = []
    for start in two:  # netlist order: deterministic
        if start in seen or degree[start] != 1:
            continue
        ports = two[start]
        p_in = next(p for p in ports if link(start, p) is None)
        members, name = [], start
        while True:
            p_out = next(p for p in two[name] if p != p_in)
            members.append(ChainMember(name, instances[name]["component"], p_in, p_out))
            seen.add(name)
            nxt = link(name, p_out)
            if nxt is None or nxt[0] in seen:
                break
            name, p_in = nxt
        chains.append(members)
    # components with no end (closed loops of two-ports) are left as they are
    return [c for c in chains if len(c) >= 2]


def simplify_flat(
    name: str, net: Mapping[str, Any], models: Mapping[str, Callable[..., Any]], ports_cache: dict
) -> tuple[dict[str, Any], dict[str, Callable[..., Any]], dict[str, str]]:
    """One flat netlist level with its chains merged.

    Returns (the new flat netlist, the chain models keyed by their component names, member
    instance -> chain instance)."""
    chains = _chains(net, lambda c: _ports_of(c, models, ports_cache))
    instances = dict(net["instances"])
    nets = list(net.get("nets", []))
    ports = dict(net.get("ports", {}))
    placements = dict(net.get("placements", {}))
    new_models: dict[str, Callable[..., Any]] = {}
    where: dict[str, str] = {}
    for members in chains:
        chain_name = _identifier(f"chain_{members[0].name}_{members[-1].name}")
        while chain_name in instances or chain_name in net["instances"]:
            chain_name += "_"
        component = _chain_component(name, chain_name)
        new_models[component] = chain_model(tuple(members), models, net["instances"])
        inner = {m.name for m in members}
        rename = {
            f"{members[0].name},{members[0].port_in}": f"{chain_name},o1",
            f"{members[-1].name},{members[-1].port_out}": f"{chain_name},o2",
        }
        nets = [
            {**n, "p1": rename.get(n["p1"], n["p1"]), "p2": rename.get(n["p2"], n["p2"])}
            for n in nets
            if not (_ref(n["p1"])[0] in inner and _ref(n["p2"])[0] in inner)
        ]
        ports = {k: rename.get(v, v) for k, v in ports.items()}
        first = placements.get(members[0].name)
        instances = {k: v for k, v in instances.items() if k not in inner}
        instances[chain_name] = {"component": component, "settings": {}}
        placements = {k: v for k, v in placements.items() if k not in inner}
        if first is not None:
            placements[chain_name] = first
        where.update({m.name: chain_name for m in members})
    out = {**dict(net), "instances": instances, "nets": nets, "ports": ports}
    if "placements" in net:
        out["placements"] = placements
    return out, new_models, where


def _identifier(text: str) -> str:
    """``text`` as a Python identifier (sax's rule for instance and component names)."""
    out = re.sub(r"\W", "_", text)
    return out if out.isidentifier() else f"_{out}"


def _chain_component(level: str, chain_name: str) -> str:
    """The component (model) name of chain ``chain_name`` of netlist ``level``."""
    return _identifier(f"{level}__{chain_name}")


def _order(recnet: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Netlist names reachable from the top, children before parents."""
    order: list[str] = []

    def visit(name: str) -> None:
        if name in order:
            return
        for inst in recnet[name]["instances"].values():
            if inst["component"] in recnet:
                visit(inst["component"])
        order.append(name)

    visit(next(iter(recnet)))
    return order


@dataclass(frozen=True, eq=False)
class Simplified:
    """The simplified circuit of a recursive netlist, addressed by the original instance paths.

    ``self(**settings)`` moves each chain member's settings into its chain and calls the
    simplified sax circuit; ``inspect.signature(self)`` (and so ``sax.get_settings``) shows the
    defaults at the original paths; the SDict holds every pair of ``ports`` (the top level's
    ports; zeros where no path joins them, as sax's Filipsson-Gunnar backend returns).
    ``where[level][instance]``: the chain an instance went
    into; ``components[level][instance]``: each original instance's component;
    ``counts``: instances and nets summed over the netlist levels as the circuit evaluates them
    (a sub-netlist counted once per use), ``before`` and ``after``."""

    inner: Callable[..., sax.SDict]
    top: str
    ports: tuple[str, ...]
    where: dict[str, dict[str, str]]
    components: dict[str, dict[str, str]]
    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        params = [
            inspect.Parameter(k, inspect.Parameter.KEYWORD_ONLY, default=v)
            for k, v in self.to_original(sax.get_settings(self.inner)).items()
        ]
        object.__setattr__(self, "__signature__", inspect.Signature(params))

    def _move(self, settings: Mapping[str, Any], level: str, forward: bool) -> dict[str, Any]:
        where, comps = self.where.get(level, {}), self.components.get(level, {})
        chains = set(where.values())
        out: dict[str, Any] = {}
        for key, value in settings.items():
            if forward and key in comps:
                sub = self._sub(value, comps[key], forward)
                if key in where:
                    out.setdefault(where[key], {})[key] = sub
                else:
                    out[key] = sub
            elif not forward and key in chains and isinstance(value, dict):
                for member, sub in value.items():
                    out[member] = self._sub(sub, comps[member], forward)
            elif not forward and key in comps:
                out[key] = self._sub(value, comps[key], forward)
            else:  # a global setting (wl, ...)
                out[key] = value
        return out

    def _sub(self, value: Any, component: str, forward: bool) -> Any:
        if isinstance(value, dict) and component in self.components:
            return self._move(value, component, forward)
        return value

    def to_simplified(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        """Settings at the original instance paths -> the simplified circuit's paths."""
        return self._move(settings, self.top, True)

    def to_original(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        """Settings at the simplified circuit's paths -> the original instance paths."""
        return self._move(settings, self.top, False)

    def __call__(self, **settings: Any) -> sax.SDict:
        """The circuit's SDict over every pair of its ports, as sax's Filipsson-Gunnar backend
        returns it (the pairs no path joins are zeros)."""
        sd = self.inner(**self.to_simplified(settings))
        zero = jnp.zeros_like(next(iter(sd.values())))
        return {(i, j): sd.get((i, j), zero) for i in self.ports for j in self.ports}


def _count(recnet: Mapping[str, Mapping[str, Any]], name: str) -> dict[str, int]:
    net = recnet[name]
    out = {"instances": len(net["instances"]), "nets": len(net.get("nets", []))}
    for inst in net["instances"].values():
        if inst["component"] in recnet:
            sub = _count(recnet, inst["component"])
            out = {k: out[k] + sub[k] for k in out}
    return out


def circuit(
    recnet: Mapping[str, Mapping[str, Any]],
    models: Mapping[str, Callable[..., Any]],
    backend: str = "filipsson_gunnar",
) -> tuple[Simplified, dict[str, Any]]:
    """``sax.circuit(recnet, models, backend=backend)`` with every level's chains of two-ports
    merged and, for the Filipsson-Gunnar backend, each level joined by :func:`level_model`
    (module doc): (the circuit at the original instance paths, the simplified recursive
    netlist). The levels are compiled children first, each with the compiled levels below it as
    models, as ``sax.circuit`` itself does (a name that is both a model and a sub-netlist is
    the model, as in sax); the input is not modified."""
    top = next(iter(recnet))
    recnet = {k: v for k, v in recnet.items() if k == top or k not in models}
    compiled: dict[str, Callable[..., Any]] = dict(models)
    ports_cache: dict[str, tuple] = {k: tuple(v.get("ports", {})) for k, v in recnet.items()}
    simplified: dict[str, Any] = {}
    where: dict[str, dict[str, str]] = {}
    members: dict[str, list[str]] = {}  # chain component -> its members' components
    fn = None
    for name in _order(recnet):
        net, chain_models, where[name] = simplify_flat(name, recnet[name], compiled, ports_cache)
        compiled.update(chain_models)
        simplified[name] = net
        if backend in ("filipsson_gunnar", "fg"):
            fn = level_model(name, net, compiled)
        else:
            fn, _ = sax.circuit({name: net}, compiled, backend=backend)
        compiled[name] = fn
        members.update(
            {
                c: [
                    recnet[name]["instances"][m]["component"]
                    for m, ch in where[name].items()
                    if _chain_component(name, ch) == c
                ]
                for c in chain_models
            }
        )
    components = {
        name: {k: v["component"] for k, v in net["instances"].items()}
        for name, net in recnet.items()
    }
    after = _count_after(simplified, members, top)
    counts = {"before": _count(recnet, top), "after": after}
    out = Simplified(fn, top, tuple(recnet[top].get("ports", {})), where, components, counts)
    return out, {top: simplified[top], **{k: v for k, v in simplified.items() if k != top}}


def _count_after(
    simplified: Mapping[str, Mapping[str, Any]], members: Mapping[str, list[str]], name: str
) -> dict[str, int]:
    """Instances and nets the simplified circuit connects (its sub-netlists counted once per
    use, those inside a chain too)."""
    net = simplified[name]
    out = {"instances": len(net["instances"]), "nets": len(net.get("nets", []))}
    for inst in net["instances"].values():
        for comp in members.get(inst["component"], [inst["component"]]):
            if comp in simplified:
                sub = _count_after(simplified, members, comp)
                out = {k: out[k] + sub[k] for k in out}
    return out
