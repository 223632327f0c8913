"""The TF-QKD network: client wafer, per-channel chain, key rates (see model.py)."""
