"""Tabular NAS benchmarks: every architecture of a space trained once, looked up in microseconds."""

from optunas.benchmarks._harness import bench_pruners, bench_samplers
from optunas.benchmarks._nasbench201 import (
    PAPER_BUDGET_SECONDS,
    NASBench201Objective,
    NASBench201Table,
    has_nasbench201,
    load_nasbench201,
)
from optunas.benchmarks._nb201 import (
    NUM_ARCHS,
    PRUNING_SETTING,
    SETTING,
    BenchmarkSetting,
    arch_index,
    arch_ops,
    canonical,
)
from optunas.benchmarks._objective import TabularObjective
from optunas.benchmarks._table import NB201Table, load_nb201_table
from optunas.benchmarks._truth import TRUTH_SETS, TruthSet, load_truth_set

__all__ = [
    "BenchmarkSetting",
    "NASBench201Objective",
    "NASBench201Table",
    "PAPER_BUDGET_SECONDS",
    "NB201Table",
    "NUM_ARCHS",
    "PRUNING_SETTING",
    "SETTING",
    "TRUTH_SETS",
    "TabularObjective",
    "TruthSet",
    "arch_index",
    "bench_pruners",
    "bench_samplers",
    "arch_ops",
    "canonical",
    "has_nasbench201",
    "load_nasbench201",
    "load_nb201_table",
    "load_truth_set",
]
