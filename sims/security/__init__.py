"""Security margins of the client chip as drawn: discrete phase randomisation and light
injection (issue 15).

* :mod:`.phases`: the phases a DAC-driven phase modulator produces (V_pi from the chip's
  S-matrix, drive swing, DAC bits), their deviation from uniform, and the pseudo-Fock
  decomposition of a discrete-phase-randomised coherent state (Cao, Zhang, Lo, Ma, NJP 17,
  053014 (2015)).
* :mod:`.sns_flaws`: the asymptotic SNS key rate with M discrete phases (and phase errors) and
  with a decoy analysis that allows intensity deviations up to a bound.
* :mod:`.injection`: the intensity change of the emitted states when light is injected into
  the client laser through its output facet (locked-laser steady state).
* :mod:`.settings`: the design's ``security.*`` settings (driver, attacker budget).
* :mod:`.analysis`: the design's figures (``qkdchip security``).

Pure numpy/scipy except :mod:`.analysis`, which reads the client chip's S-matrix.
"""
