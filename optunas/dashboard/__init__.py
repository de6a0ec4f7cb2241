"""What optuna-dashboard shows of a NAS study (a drawing of every trial's architecture, charts
of the study), and the found model exported out of it."""

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
from optunas.dashboard._export import (
    ExportedTrial,
    ExportError,
    export_trial,
    objective_names,
    pareto_front,
)
from optunas.dashboard._source import standalone_source

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
    "export_trial",
    "ExportedTrial",
    "ExportError",
    "objective_names",
    "op_colour",
    "pareto_front",
    "record_drawing",
    "save_study_charts",
    "standalone_source",
    "study_figures",
]
