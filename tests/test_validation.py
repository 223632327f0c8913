"""The one range check of the project, :class:`qkdchip.base.params.Range`: scalars, arrays, open
ends, NaN/inf, integer ranges, JAX tracers (skipped while tracing), and its thin users."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from qkdchip.base.params import Range, check_range, fmt_number

GAP = Range(0.5, 8.0, "um", "ring-bus gap")
ETA = Range(0.0, 1.0, "", "efficiency", lo_open=True)


def _msg(rng: Range, name: str, value) -> str:
    with pytest.raises(ValueError) as exc:
        rng.check(name, value)
    return str(exc.value)


# ------------------------------------------------------------------------------------ scalars


def test_scalar_in_range_returns_the_value_unchanged():
    assert GAP.check("gap_um", 2.3) == 2.3
    assert GAP.check("gap_um", 0.5) == 0.5 and GAP.check("gap_um", 8.0) == 8.0  # closed ends
    assert GAP.check("gap_um", 3) == 3
    v = np.float32(1.5)
    assert GAP.check("gap_um", v) is v
    assert GAP.contains(2.0) and not GAP.contains(9.0)


def test_one_message_format():
    assert _msg(GAP, "gap_um", 0.1) == "gap_um=0.1 um is out of range: allowed [0.5, 8.0] um"
    assert _msg(ETA, "eta_det", 1.5) == "eta_det=1.5 is out of range: allowed (0.0, 1.0]"
    assert (
        _msg(Range(0.0, 1e15, "Hz", lo_open=True), "clock_rate_hz", 0.0)
        == "clock_rate_hz=0.0 Hz is out of range: allowed (0.0, 1e+15] Hz"
    )


def test_open_ends():
    both = Range(0.0, 1.0, lo_open=True, hi_open=True)
    assert both.interval() == "(0.0, 1.0)"
    for bad in (0.0, 1.0):
        assert "out of range: allowed (0.0, 1.0)" in _msg(both, "eps", bad)
    assert both.check("eps", 0.5) == 0.5
    assert Range(0.0, 1.0, hi_open=True).interval() == "[0.0, 1.0)"
    assert ETA.check("eta", 1.0) == 1.0
    assert ETA.describe() == "(0.0, 1.0]" and GAP.describe() == "[0.5, 8.0] um"


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_nan_and_inf_are_never_allowed(bad):
    assert "is out of range" in _msg(GAP, "gap_um", bad)
    unbounded = Range(0.0, float("inf"), "km")
    assert unbounded.interval() == "[0.0, inf)"  # an infinite end is shown open
    assert "is out of range: allowed [0.0, inf) km" in _msg(unbounded, "d", bad)
    assert unbounded.check("d", 1e300) == 1e300


@pytest.mark.parametrize("bad", ["abc", None, True, b"1", 1 + 2j, {"a": 1}])
def test_non_numbers(bad):
    assert "must be a number in [0.5, 8.0] um" in _msg(GAP, "gap_um", bad)


# ------------------------------------------------------------------------------------ arrays


def test_arrays_are_checked_elementwise_naming_the_first_bad_element():
    arr = np.linspace(1.0, 7.0, 50)
    assert GAP.check("gap_um", arr) is arr
    assert GAP.check("gap_um", [1.0, 2.0]) == [1.0, 2.0]
    assert _msg(GAP, "gap_um", [1.0, 9.5, 0.1]) == (
        "gap_um=9.5 um is out of range: allowed [0.5, 8.0] um"
    )
    assert _msg(ETA, "eta", np.array([[0.5, 0.0]])).startswith("eta=0.0 is out of range")
    assert "gap_um=nan um is out of range" in _msg(GAP, "gap_um", np.array([1.0, np.nan]))
    assert "gap_um=inf um" in _msg(GAP, "gap_um", [np.inf])
    assert "is empty" in _msg(GAP, "gap_um", np.array([]))
    assert "must be a number" in _msg(GAP, "gap_um", np.array([True, False]))
    assert "must be a number" in _msg(GAP, "gap_um", [1.0, None])
    assert not GAP.contains([1.0, 9.0]) and GAP.contains(np.full((2, 3), 4.0))


def test_integer_ranges():
    n = Range(0, 200, "", integer=True)
    assert n.interval() == "[0, 200]"
    assert n.check("n", 20) == 20 and n.check("n", 20.0) == 20.0
    assert n.check("seed", np.int64(7)) == 7
    assert _msg(n, "n", 2.5) == "n=2.5 must be an integer in [0, 200]"
    assert _msg(n, "n", 201) == "n=201 is out of range: allowed [0, 200]"
    assert _msg(n, "n", np.array([3, 300])) == "n=300 is out of range: allowed [0, 200]"
    assert _msg(n, "n", np.array([3.0, 4.5])) == "n=4.5 must be an integer in [0, 200]"
    assert "out of range" in _msg(n, "n", float("nan"))
    big = Range(0, 2**32 - 1, integer=True)
    assert big.check("seed", 2**32 - 1) == 2**32 - 1
    assert "out of range" in _msg(big, "seed", 2**32)


def test_check_range_and_number_format():
    assert check_range("x", 0.5, 0.0, 1.0, lo_open=True) == 0.5
    with pytest.raises(ValueError, match=r"^x=0\.0 dB is out of range: allowed \(0\.0, 1\.0\] dB$"):
        check_range("x", 0.0, 0.0, 1.0, "dB", lo_open=True)
    assert [fmt_number(v) for v in (0.1, 8.0, 3, 1e9, 2.5e15, 1e-8, 123456.5)] == [
        "0.1",
        "8.0",
        "3",
        "1e+09",
        "2.5e+15",
        "1e-08",
        "123456.5",
    ]


def test_base_imports_nothing_heavy():
    code = (
        "import sys, qkdchip.base.params as p; p.Range(0, 1).check('x', 0.5); "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'numpy', 'jax', 'scipy'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------------------------------- JAX


def test_jax_tracers_are_skipped_while_tracing_and_the_concrete_call_is_checked():
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp

    seen = []

    @jax.jit
    def f(x):
        seen.append(type(x).__name__)
        GAP.check("gap_um", x)  # a tracer: no error, whatever the later value
        return x * 2.0

    assert float(f(jnp.asarray(100.0))) == 200.0  # traced once: the range is not checked
    assert seen and "Tracer" in seen[0]
    with pytest.raises(ValueError, match=r"gap_um=100\.0 um is out of range"):
        GAP.check("gap_um", jnp.asarray(100.0))  # a concrete JAX array is
    with pytest.raises(ValueError, match=r"gap_um=9\.0 um"):
        GAP.check("gap_um", jnp.asarray([1.0, 9.0]))
    grad = jax.grad(lambda x: GAP.check("gap_um", x) ** 2)(3.0)
    assert float(grad) == pytest.approx(6.0)


def test_models_check_param_and_check_wl_use_range():
    pytest.importorskip("jax")
    import jax
    import jax.numpy as jnp

    from qkdchip.sims.models.common import check_param, check_wl

    assert check_param("split_ratio", 0.5, 0.0, 1.0) == 0.5
    with pytest.raises(
        ValueError, match=r"^voltage_V=7\.0 V is out of range: allowed \[0\.0, 5\.0\] V$"
    ):
        check_param("voltage_V", 7.0, 0.0, 5.0, "V")
    with pytest.raises(
        ValueError, match=r"^wl=1\.2 um is out of range: allowed \[1\.45, 1\.65\] um"
    ):
        check_wl(np.array([1.5, 1.2]))
    with pytest.raises(ValueError, match="wl is empty"):
        check_wl([])
    assert check_wl(1.55).dtype == jnp.float64
    traced = jax.jit(lambda v: check_param("voltage_V", v, 0.0, 5.0, "V") + 1.0)
    assert float(traced(7.0)) == 8.0  # no check while tracing


# ------------------------------------------------------------------------- thin users of Range


def test_keyrate_validation_uses_range():
    from qkdchip.sims.keyrate import KEY_RATE_RANGES, Channel, Detector, PMParams, key_rate
    from qkdchip.sims.keyrate._validate import require

    np.testing.assert_array_equal(require("eta", [0.1, 1.0], 0.0, 1.0, lo_open=True), [0.1, 1.0])
    with pytest.raises(ValueError, match=r"^eta_det=1\.5 is out of range: allowed \(0\.0, 1\.0\]$"):
        Detector(eta_det=1.5)
    with pytest.raises(ValueError, match=r"^eta_det=0\.0 is out of range: allowed \(0\.0, 1\.0\]$"):
        Detector(eta_det=[0.5, 0.0])
    with pytest.raises(ValueError, match=r"fibre_loss_db_per_km=-0\.1 dB/km is out of range"):
        Channel(fibre_loss_db_per_km=-0.1)
    with pytest.raises(ValueError, match=r"^distance_km=nan km is out of range"):
        Channel.symmetric([10.0, np.nan])
    with pytest.raises(
        ValueError, match=r"^phase_slices=2000 is out of range: allowed \[2, 1024\]"
    ):
        PMParams(phase_slices=2000)
    with pytest.raises(ValueError, match="must be an integer"):
        PMParams(phase_slices=16.0)
    with pytest.raises(ValueError, match="must be even"):
        PMParams(phase_slices=15)
    assert isinstance(PMParams(phase_slices=32).phase_slices, int)
    ch = Channel(length_a_km=[1.0, 2.0])
    assert ch.length_a_km.dtype == np.float64 and isinstance(ch.misalignment, float)
    with pytest.raises(ValueError, match=r"^f_ec=0\.9 is out of range: allowed \[1\.0, 3\.0\]$"):
        key_rate("sns", Channel.symmetric(1.0), f_ec=0.9)
    assert KEY_RATE_RANGES["duty_cycle"].lo_open


def test_parse_number_checks_the_range_before_converting():
    from qkdchip.base.params import parse_number

    seed = Range(0, 2**32 - 1, "", integer=True)
    assert parse_number("seed", "4294967295", seed) == 2**32 - 1
    assert parse_number("seed", "1e3", seed) == 1000 and type(parse_number("s", 7.0, seed)) is int
    assert parse_number("gap_um", "3", GAP) == 3.0 and type(parse_number("g", 3, GAP)) is float
    for text, msg in [
        ("inf", "seed=inf is out of range"),
        ("nan", "seed=nan is out of range"),
        ("-1", "seed=-1 is out of range"),
        ("1e308", "seed=1e+308 is out of range"),
        ("9" * 400, "seed=1.000000e+400 is out of range"),
        ("2.5", "seed=2.5 must be an integer"),
        ("abc", "seed='abc' must be a number"),
        ("", "seed: empty value"),
    ]:
        with pytest.raises(ValueError, match=msg.replace("(", r"\(").replace("+", r"\+")):
            parse_number("seed", text, seed)
    with pytest.raises(ValueError, match=r"^x=1\.000000e\+400 is out of range"):
        parse_number("x", 10**400)  # no range: any finite float


@pytest.mark.parametrize("text", ["１００", "２.５", "1٠"])
def test_numbers_in_other_scripts_are_refused_not_read(text):
    """float("１００") is 100.0 in Python; as user input it is refused by name."""
    from qkdchip.base.params import Range, parse_number
    from qkdchip.commands.keyrate import parse_distances

    with pytest.raises(ValueError, match="gap_um"):
        parse_number("gap_um", text, Range(0.0, 1e3, "um"))
    with pytest.raises(ValueError, match="distance_km"):
        parse_distances(text)
