"""What optuna-dashboard shows of a NAS study: a drawing of every trial's architecture and
charts of the study. Export of the found model is :mod:`optunas.export`."""

from optunas.dashboard._artifacts import (
    artifact_store_for,
    default_artifact_dir,
    draw_trial,
    record_drawing,
)
from optunas.dashboard._charts import (
    CHARTS,
    Figure,
    StudyCharts,
    save_study_charts,
    study_figures,
)
from optunas.dashboard._draw import draw_cell, draw_layers, draw_table, op_colour

__all__ = [
    "CHARTS",
    "Figure",
    "StudyCharts",
    "artifact_store_for",
    "default_artifact_dir",
    "draw_cell",
    "draw_layers",
    "draw_table",
    "draw_trial",
    "op_colour",
    "record_drawing",
    "save_study_charts",
    "study_figures",
]
