"""qkdchip: integrated-photonics twin-field QKD network design.

Layout (``qkdchip.pdk``, ``qkdchip.components``, ``qkdchip.circuits``) -> S-matrix models and
device physics (``qkdchip.sims``) -> TF-QKD key rates. Importing this package imports nothing
heavy (no gdsfactory, no sax): every layer is imported where it is used.
"""

__version__ = "0.1.0"
