"""Network builders and the operation zoo. Knows nothing of search spaces: builders take
plain data (op names per edge, layer specs, widths)."""

from optunas.nn._chain import ChainNetwork, LayerSpec
from optunas.nn._count import count_flops, count_params
from optunas.nn._darts import DartsChain, DartsNB201, MixedOp
from optunas.nn._nb201 import NB201_EDGES, NB201Cell, NB201Network
from optunas.nn._ops import ACTIVATIONS, KERNEL_OPS, LAYER_OPS, NB201_OPS, WIDENING_OPS
from optunas.nn._supernet import ChainSupernet, NB201Supernet, recalibrate_batchnorm

__all__ = [
    "ACTIVATIONS",
    "ChainNetwork",
    "ChainSupernet",
    "DartsChain",
    "DartsNB201",
    "KERNEL_OPS",
    "LAYER_OPS",
    "LayerSpec",
    "MixedOp",
    "NB201Cell",
    "NB201Network",
    "NB201_EDGES",
    "NB201_OPS",
    "NB201Supernet",
    "WIDENING_OPS",
    "count_flops",
    "count_params",
    "recalibrate_batchnorm",
]
