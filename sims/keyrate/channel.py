"""The physical link: two fibre arms to the measuring node (Charlie), detectors, interference.

Conventions (used by every protocol module):

* ``Channel`` holds the two arms Alice->Charlie and Bob->Charlie. Each arm has a fibre length
  and an optional lumped extra loss, so the arm transmittance (fibre only, no detector) is
  ``eta_arm = 10**(-(alpha L + loss_extra)/10)``; the end-to-end transmittance used for the PLOB
  bound is ``eta = eta_A eta_B``. For the symmetric case (``Channel.symmetric(L)``) each arm is
  ``L/2`` long, so ``eta_arm = 10**(-alpha L / 20)`` with ``L`` the *total* Alice-Bob distance.
* The interference at Charlie's 50:50 beam splitter is imperfect in two ways:
  an optical misalignment ``e_d`` (the fraction of the interfering intensity that reaches the
  wrong detector) and a residual Gaussian phase of rms ``sigma`` [rad]. Both reduce the fringe
  visibility: ``V = (1 - 2 e_d) exp(-sigma**2 / 2)``; the error they cause on a perfectly
  phase-matched interference is ``e = (1 - V)/2 = e_d + e_sigma - 2 e_d e_sigma`` with
  ``e_sigma = (1 - exp(-sigma**2/2))/2`` (two independent bit flips; ~ e_d + sigma**2/4).
  For phase-randomised pairs the residual phase is irrelevant (a uniform phase plus noise is
  still uniform), so those observables use ``V_random = 1 - 2 e_d`` only.
* ``Detector`` holds the efficiency ``eta_d`` and the dark-count probability ``p_d`` per
  detector per pulse (both detectors identical). With identical detectors the efficiency can be
  moved in front of the beam splitter, so the mean photon number that "arrives" from a source of
  intensity ``mu`` is ``x = eta_d eta_arm mu``.

All numeric fields accept scalars or numpy arrays (broadcast together), so a whole distance sweep
or a set of WDM channels is one object.
"""

# ruff: noqa: RUF009  (rfield() returns a dataclasses.field carrying the Range metadata)

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import ArrayLike, NDArray

from qkdchip.sims.keyrate._validate import require, rfield, scalar_or_array, validate_fields

#: length of fibre that one arm may have [km]; beyond ~5000 km every rate underflows to 0
MAX_LENGTH_KM = 1.0e4


@dataclass(frozen=True, eq=False)
class Channel:
    """Two fibre arms and the interference quality at the beam splitter.

    Every field takes a scalar or an array (broadcast together); ranges are in the field
    metadata (``metadata["range"]``), checked on construction.

    Attributes:
        length_a_km: Alice->Charlie fibre length [km].
        length_b_km: Bob->Charlie fibre length [km].
        fibre_loss_db_per_km: fibre attenuation alpha [dB/km].
        extra_loss_a_db: lumped extra loss of Alice's arm (connectors, filters, spools) [dB].
        extra_loss_b_db: same for Bob's arm [dB].
        misalignment: optical misalignment e_d: the fraction of the interfering intensity that
            reaches the wrong detector.
        phase_rms_rad: rms of the residual relative phase between the twin fields [rad].
    """

    length_a_km: float | NDArray[np.float64] = rfield(
        0.0, 0.0, MAX_LENGTH_KM, "km", "Alice-Charlie fibre length"
    )
    length_b_km: float | NDArray[np.float64] = rfield(
        0.0, 0.0, MAX_LENGTH_KM, "km", "Bob-Charlie fibre length"
    )
    fibre_loss_db_per_km: float | NDArray[np.float64] = rfield(
        0.2, 0.0, 10.0, "dB/km", "fibre attenuation"
    )
    extra_loss_a_db: float | NDArray[np.float64] = rfield(
        0.0, 0.0, 3000.0, "dB", "lumped extra loss of Alice's arm"
    )
    extra_loss_b_db: float | NDArray[np.float64] = rfield(
        0.0, 0.0, 3000.0, "dB", "lumped extra loss of Bob's arm"
    )
    misalignment: float | NDArray[np.float64] = rfield(
        0.03, 0.0, 0.5, "", "optical misalignment e_d (wrong-detector fraction)"
    )
    phase_rms_rad: float | NDArray[np.float64] = rfield(
        0.0, 0.0, 100.0, "rad", "rms residual phase between the twin fields"
    )

    def __post_init__(self) -> None:
        validate_fields(self)
        names = [f.name for f in fields(self)]
        try:
            np.broadcast_shapes(*(np.shape(getattr(self, n)) for n in names))
        except ValueError:
            raise ValueError(
                "Channel fields have incompatible shapes: "
                + ", ".join(f"{n}{np.shape(getattr(self, n))}" for n in names)
            ) from None

    @classmethod
    def symmetric(
        cls,
        distance_km: ArrayLike,
        fibre_loss_db_per_km: ArrayLike | None = None,
        misalignment: ArrayLike | None = None,
        phase_rms_rad: ArrayLike | None = None,
    ) -> Channel:
        """Two equal arms of ``distance_km / 2`` each (``distance_km`` = total Alice-Bob length).

        A keyword left at None takes the field's default (0.2 dB/km, e_d = 0.03, sigma = 0).
        """
        d = require("distance_km", distance_km, 0.0, 2 * MAX_LENGTH_KM, unit="km")
        return cls(
            length_a_km=scalar_or_array(d / 2),
            length_b_km=scalar_or_array(d / 2),
            **_given(
                fibre_loss_db_per_km=fibre_loss_db_per_km,
                misalignment=misalignment,
                phase_rms_rad=phase_rms_rad,
            ),
        )

    @classmethod
    def from_transmittance(
        cls,
        eta_a: ArrayLike,
        eta_b: ArrayLike | None = None,
        misalignment: ArrayLike | None = None,
        phase_rms_rad: ArrayLike | None = None,
    ) -> Channel:
        """Arms given by their transmittance in (0, 1] (no fibre length; ``distance_km`` = 0).

        ``misalignment`` and ``phase_rms_rad`` left at None take the field's default.
        """
        ea = require("eta_a", eta_a, 0.0, 1.0, lo_open=True)
        eb = ea if eta_b is None else require("eta_b", eta_b, 0.0, 1.0, lo_open=True)
        return cls(
            length_a_km=0.0,
            length_b_km=0.0,
            fibre_loss_db_per_km=0.0,
            extra_loss_a_db=scalar_or_array(-10.0 * np.log10(ea)),
            extra_loss_b_db=scalar_or_array(-10.0 * np.log10(eb)),
            **_given(misalignment=misalignment, phase_rms_rad=phase_rms_rad),
        )

    @property
    def distance_km(self) -> float | NDArray[np.float64]:
        """Total fibre length Alice-Charlie-Bob [km]."""
        return np.add(self.length_a_km, self.length_b_km)

    @property
    def loss_a_db(self) -> NDArray[np.float64]:
        """Total loss of Alice's arm [dB] (fibre + extra)."""
        return np.multiply(self.fibre_loss_db_per_km, self.length_a_km) + self.extra_loss_a_db

    @property
    def loss_b_db(self) -> NDArray[np.float64]:
        """Total loss of Bob's arm [dB] (fibre + extra)."""
        return np.multiply(self.fibre_loss_db_per_km, self.length_b_km) + self.extra_loss_b_db

    @property
    def eta_a(self) -> NDArray[np.float64]:
        """Transmittance of Alice's arm (no detector)."""
        return 10.0 ** (-self.loss_a_db / 10.0)

    @property
    def eta_b(self) -> NDArray[np.float64]:
        """Transmittance of Bob's arm (no detector)."""
        return 10.0 ** (-self.loss_b_db / 10.0)

    @property
    def eta(self) -> NDArray[np.float64]:
        """End-to-end Alice-Bob transmittance ``eta_A eta_B`` (the PLOB argument)."""
        return 10.0 ** (-(self.loss_a_db + self.loss_b_db) / 10.0)

    @property
    def visibility_random(self) -> NDArray[np.float64]:
        """Visibility for phase-randomised pairs, ``1 - 2 e_d``."""
        return 1.0 - 2.0 * np.asarray(self.misalignment, dtype=np.float64)

    @property
    def visibility(self) -> NDArray[np.float64]:
        """Visibility for phase-referenced pairs, ``(1 - 2 e_d) exp(-sigma**2/2)``."""
        s = np.asarray(self.phase_rms_rad, dtype=np.float64)
        return self.visibility_random * np.exp(-0.5 * s * s)

    @property
    def interference_error(self) -> NDArray[np.float64]:
        """Error of a perfectly phase-matched interference, ``(1 - V)/2``."""
        return 0.5 * (1.0 - self.visibility)


def _given(**kw: ArrayLike | None) -> dict[str, ArrayLike]:
    """The keywords that are not None (the others take the dataclass field's default)."""
    return {k: v for k, v in kw.items() if v is not None}


@dataclass(frozen=True, eq=False)
class Detector:
    """Threshold single-photon detectors at Charlie (two; identical unless the second is given).

    Attributes:
        eta_det: detection efficiency eta_d, in (0, 1] (of the first detector when
            ``eta_det_2`` is given).
        dark_count_prob: dark-count (plus stray-light) probability p_d per detector per pulse
            (of the first detector when ``dark_count_prob_2`` is given).
        eta_det_2: efficiency of the second detector; None: equal to ``eta_det``.
        dark_count_prob_2: dark-count probability of the second detector; None: equal to
            ``dark_count_prob``.

    With unequal detectors the click statistics are those of the two real detectors (see
    :func:`detector_pair` and :mod:`.observables`), not of an averaged pair.
    """

    eta_det: float | NDArray[np.float64] = rfield(
        0.6, 0.0, 1.0, "", "detector efficiency eta_d", lo_open=True
    )
    dark_count_prob: float | NDArray[np.float64] = rfield(
        1e-8, 0.0, 0.1, "", "dark-count probability per detector per pulse"
    )
    eta_det_2: float | NDArray[np.float64] | None = rfield(
        None, 0.0, 1.0, "", "efficiency of the second detector", lo_open=True
    )
    dark_count_prob_2: float | NDArray[np.float64] | None = rfield(
        None, 0.0, 0.1, "", "dark-count probability of the second detector"
    )

    def __post_init__(self) -> None:
        validate_fields(self)

    @property
    def unequal(self) -> bool:
        """True when the two detectors differ (efficiency or dark counts)."""
        return self.eta_det_2 is not None or self.dark_count_prob_2 is not None

    @property
    def eta_mean(self) -> NDArray[np.float64]:
        """Mean efficiency of the two detectors (the one folded into the arms)."""
        e1 = np.asarray(self.eta_det, dtype=np.float64)
        if self.eta_det_2 is None:
            return e1
        return 0.5 * (e1 + np.asarray(self.eta_det_2, dtype=np.float64))


def detector_pair(detector: Detector) -> tuple[NDArray[np.float64], ...] | None:
    """``(k_1, k_2, p_1, p_2)`` of two unequal detectors (``k_j = eta_j / eta_mean``), or None.

    The observables (:mod:`.observables`) then use the real per-detector click statistics.
    """
    if not detector.unequal:
        return None
    e1 = np.asarray(detector.eta_det, dtype=np.float64)
    e2 = e1 if detector.eta_det_2 is None else np.asarray(detector.eta_det_2, dtype=np.float64)
    p1 = np.asarray(detector.dark_count_prob, dtype=np.float64)
    p2 = (
        p1
        if detector.dark_count_prob_2 is None
        else np.asarray(detector.dark_count_prob_2, dtype=np.float64)
    )
    mean = 0.5 * (e1 + e2)
    return tuple(np.broadcast_arrays(e1 / mean, e2 / mean, p1, p2))


def arrival(channel: Channel, detector: Detector) -> tuple[NDArray[np.float64], ...]:
    """Per-arm effective transmittances (detector included) and the visibilities.

    Returns ``(eta_A, eta_B, V_random, V_fixed, p_d)`` as float arrays, broadcast-compatible
    (unequal detectors: the arms carry their mean efficiency, see :func:`detector_pair`).
    """
    ed = detector.eta_mean
    return (
        channel.eta_a * ed,
        channel.eta_b * ed,
        channel.visibility_random,
        channel.visibility,
        np.asarray(detector.dark_count_prob, dtype=np.float64),
    )
