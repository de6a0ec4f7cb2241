"""The NAS-Bench-201 cell space: one op on each of the cell's six edges."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import optuna
from torch import nn

from optunas.nn import NB201_EDGES, NB201_OPS, NB201Network
from optunas.spaces._base import Genotype, SearchSpace, input_dims

NB201_OP_NAMES: tuple[str, ...] = tuple(NB201_OPS)


@dataclass(frozen=True)
class NB201Genotype(Genotype):
    """The ops of the six edges, in NAS-Bench-201's order; prints as NAS-Bench-201's string.

    Example:
        >>> from optunas.spaces import NB201Genotype
        >>> g = NB201Genotype.from_string(
        ...     "|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|none~0|none~1|avg_pool_3x3~2|")
        >>> g.ops[1]
        'nor_conv_3x3'
        >>> NB201Genotype.from_json(g.to_json()) == g
        True
    """

    ops: tuple[str, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "ops", tuple(self.ops))
        if len(self.ops) != len(NB201_EDGES):
            raise ValueError(f"an NB201 genotype has {len(NB201_EDGES)} ops, got {len(self.ops)}")
        unknown = [op for op in self.ops if op not in NB201_OPS]
        if unknown:
            raise ValueError(f"unknown NB201 ops {unknown}; choose from {', '.join(NB201_OPS)}")

    def __str__(self) -> str:
        nodes = []
        for to_node in range(1, 4):
            edges = [f"{op}~{i}" for (j, i), op in zip(NB201_EDGES, self.ops) if j == to_node]
            nodes.append("|" + "|".join(edges) + "|")
        return "+".join(nodes)

    @classmethod
    def from_string(cls, text: str) -> NB201Genotype:
        """Parse NAS-Bench-201's ``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`` notation."""
        ops = []
        for node in text.strip().split("+"):
            for edge in filter(None, node.strip("|").split("|")):
                op, _, _ = edge.partition("~")
                ops.append(op)
        return cls(tuple(ops))

    def to_dict(self) -> dict[str, Any]:
        return {"ops": list(self.ops)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NB201Genotype:
        return cls(tuple(data["ops"]))


class NB201(SearchSpace):
    """The NAS-Bench-201 space: 5 ops on 6 edges, 15,625 cells.

    Params are ``cell/edge_0`` ... ``cell/edge_5`` (categorical over
    :data:`NB201_OP_NAMES`), in the order of NAS-Bench-201's string. The network is
    NAS-Bench-201's skeleton (:class:`optunas.nn.NB201Network`) with ``channels`` and
    ``cells_per_stage`` configurable (the benchmark uses 16 and 5); it works on 1-D signals
    and 2-D images.

    Example:
        >>> import optuna, torch
        >>> from optunas.spaces import NB201
        >>> space = NB201(channels=8, cells_per_stage=1)
        >>> study = optuna.create_study()
        >>> genotype = space.suggest(study.ask())
        >>> net = space.build(genotype, input_shape=(1, 40), num_classes=10)
        >>> net(torch.randn(4, 1, 40)).shape
        torch.Size([4, 10])
    """

    name = "nb201"

    def __init__(self, channels: int = 16, cells_per_stage: int = 1) -> None:
        if channels < 1 or cells_per_stage < 1:
            raise ValueError("channels and cells_per_stage must be positive")
        self.channels = channels
        self.cells_per_stage = cells_per_stage

    def suggest(self, trial: optuna.trial.BaseTrial) -> NB201Genotype:
        return NB201Genotype(
            tuple(
                trial.suggest_categorical(f"cell/edge_{e}", NB201_OP_NAMES)
                for e in range(len(NB201_EDGES))
            )
        )

    def params(self, genotype: NB201Genotype) -> dict[str, Any]:
        """The trial params that produce ``genotype`` (e.g. for ``study.enqueue_trial``)."""
        return {f"cell/edge_{e}": op for e, op in enumerate(genotype.ops)}

    def draw(self, genotype: NB201Genotype) -> str:
        """The cell as a graph of its four nodes, each edge labelled and coloured by its op.

        Example:
            >>> from optunas.spaces import NB201, NB201Genotype
            >>> svg = NB201().draw(NB201Genotype(("nor_conv_3x3",) * 6))
            >>> svg.count(">nor_conv_3x3<")
            6
        """
        from optunas.dashboard import draw_cell

        return draw_cell(genotype.ops, NB201_EDGES, str(genotype))

    def build(
        self, genotype: NB201Genotype, input_shape: Sequence[int], num_classes: int
    ) -> nn.Module:
        builder, arguments = self.builder(genotype, input_shape, num_classes)
        return builder(**arguments)

    def builder(
        self, genotype: NB201Genotype, input_shape: Sequence[int], num_classes: int
    ) -> tuple[Callable[..., nn.Module], dict[str, Any]]:
        return NB201Network, {
            "edge_ops": list(genotype.ops),
            "in_channels": input_shape[0],
            "num_classes": num_classes,
            "dims": input_dims(input_shape),
            "channels": self.channels,
            "cells_per_stage": self.cells_per_stage,
        }

    def __repr__(self) -> str:
        return f"NB201(channels={self.channels}, cells_per_stage={self.cells_per_stage})"
