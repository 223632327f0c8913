"""CLI commands: one module per command, each exposing ``register(app: typer.Typer)``."""
