"""The found model out of a study: its genotype, a standalone PyTorch file, and on request
weights after a standalone retraining and an ONNX file.

It sits above :mod:`optunas.evaluation` (it retrains) and below the command."""

from optunas.export._export import (
    ExportedTrial,
    ExportError,
    export_trial,
    objective_names,
    pareto_front,
)
from optunas.export._source import standalone_source

__all__ = [
    "export_trial",
    "ExportedTrial",
    "ExportError",
    "objective_names",
    "pareto_front",
    "standalone_source",
]
