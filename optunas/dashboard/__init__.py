"""What optuna-dashboard shows of a NAS study: a drawing of every trial's architecture."""

from optunas.dashboard._artifacts import (
    artifact_store_for,
    default_artifact_dir,
    draw_trial,
    record_drawing,
)
from optunas.dashboard._draw import draw_cell, draw_layers, draw_table, op_colour

__all__ = [
    "artifact_store_for",
    "default_artifact_dir",
    "draw_cell",
    "draw_layers",
    "draw_table",
    "draw_trial",
    "op_colour",
    "record_drawing",
]
