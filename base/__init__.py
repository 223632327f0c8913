"""The bottom layer: what every other layer stands on, importing none of them.

- :mod:`qkdchip.base.params`: parameter ranges as data (:class:`~qkdchip.base.params.Range`,
  :func:`~qkdchip.base.params.checked`), the one validation mechanism of the project;
- :mod:`qkdchip.base.outputs`: output paths checked before any work, files written atomically,
  folders published in one rename, SIGINT/SIGTERM turned into exit 130/143 at safe points
  (used by the CLI, the build and the figures of every layer);
- :mod:`qkdchip.base.design`: the :class:`~qkdchip.base.design.Design` value type (validated
  overrides by dotted name), which the simulation layer reads and the CLI's design registry
  (:mod:`qkdchip.design`) builds.

Dependencies point one way: base <- pdk <- components <- circuits <- sims <- CLI
(``tests/test_layers.py`` walks every import and fails on an upward one).
"""
