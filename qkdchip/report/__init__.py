"""The main job (``qkdchip run``): masks, both chips, the comb, the network, and a report.

:func:`run` writes into ``out_dir``::

    report.md          the report (figures linked relative to it)
    report.html        the same report as one self-contained page (figures embedded as data
                       URIs, a contents list; opens alone in any browser)
    results.json       every number of the report (reproducible: same design + seed -> same file)
    timings.json       where the time went (not part of the reproducible results)
    masks/             GDS masks, layer properties, previews, manifest (qkdchip.build)
    figures/           client_sparams.png, server_sparams.png, comb_spectrum.png,
                       rate_vs_distance.png, ratio_to_plob.png

Atomic: ``out_dir`` is checked before any work, everything is written into a stage folder beside
it and published in one rename when every step succeeded (``qkdchip.base.outputs``); a failure or a
SIGINT/SIGTERM leaves ``out_dir`` as it was. Entries a run does not write are kept.
The masks of a previous run in the same ``out_dir`` are reused when the design and the layout
code are unchanged (key: design overrides + hash of the installed layout sources).

Modules: ``pipeline`` (:func:`run`, the steps, atomic writing), ``masks`` (the mask cache and
its key), ``figures`` (both chips' S-parameter figures), ``markdown`` (report.md), ``html``
(report.html from report.md), ``reference``
(the reference's published figures, the checks against them, the model-assumption variants).
"""

from __future__ import annotations

from .markdown import network_markdown
from .pipeline import STEPS, RunResult, run
from .reference import REFERENCE, sensitivity_variants

__all__ = ["REFERENCE", "STEPS", "RunResult", "network_markdown", "run", "sensitivity_variants"]
