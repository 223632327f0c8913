"""Bundled experiment files (package data): published TF-QKD experiments, see README.md."""
