"""The Chain macro space: how many layers, and per layer its op, kernel, width, activation
and skip connections."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import optuna
from torch import nn

from optunas.nn import ACTIVATIONS, KERNEL_OPS, LAYER_OPS, WIDENING_OPS, ChainNetwork, LayerSpec
from optunas.nn._chain import CHAIN_KERNELS, CHAIN_MAX_LAYERS, CHAIN_STEM_WIDTH, CHAIN_WIDTHS
from optunas.spaces._base import Genotype, SearchSpace, input_dims


@dataclass(frozen=True)
class ChainGenotype(Genotype):
    """A chain of layers. Each is a :class:`optunas.nn.LayerSpec`; fields a layer's op does
    not use are ``None`` (a pooling layer has no width or activation).

    Example:
        >>> from optunas.nn import LayerSpec
        >>> from optunas.spaces import ChainGenotype
        >>> g = ChainGenotype((LayerSpec("conv", 5, 32, "gelu"), LayerSpec("max_pool", 3),
        ...                    LayerSpec("sep_conv", 3, 64, "relu", skips=(0,))))
        >>> print(g)
        conv5x32-gelu > max_pool3 > sep_conv3x64-relu+skip0
        >>> ChainGenotype.from_json(g.to_json()) == g
        True
    """

    layers: tuple[LayerSpec, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "layers", tuple(self.layers))

    def __str__(self) -> str:
        return " > ".join(_layer_str(layer) for layer in self.layers)

    def to_dict(self) -> dict[str, Any]:
        return {"layers": [dict(asdict(layer), skips=list(layer.skips)) for layer in self.layers]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ChainGenotype:
        return cls(
            tuple(LayerSpec(**dict(layer, skips=tuple(layer["skips"]))) for layer in data["layers"])
        )


def _layer_str(layer: LayerSpec) -> str:
    text = layer.op
    if layer.kernel is not None:
        text += str(layer.kernel)
    if layer.width is not None:
        text += f"x{layer.width}"
    if layer.activation is not None:
        text += f"-{layer.activation}"
    return text + "".join(f"+skip{s}" for s in layer.skips)


class Chain(SearchSpace):
    """A macro space of layers in a chain, with optional skip connections.

    Params, all namespaced and suggested only when they matter:

    - ``chain/num_layers``: ``suggest_int(min_layers, max_layers)``;
    - for each layer ``i`` that exists (1-based): ``layer_i/op`` in ``ops`` (``conv``,
      ``sep_conv``, ``max_pool``, ``avg_pool``, ``identity``); ``layer_i/kernel`` in
      ``kernels`` for the ops that have a kernel; ``layer_i/width`` in ``widths`` and
      ``layer_i/activation`` in ``activations`` for ``conv`` and ``sep_conv``;
      ``layer_i/skip_j`` (``True``/``False``) for each earlier output ``j`` in
      ``0 .. i-2`` (0 is the stem; the previous layer always feeds layer ``i``).

    Pooling layers halve the resolution; skip connections are pooled and projected to fit.

    Example:
        >>> import optuna, torch
        >>> from optunas.spaces import Chain
        >>> space = Chain(max_layers=4)
        >>> study = optuna.create_study()
        >>> genotype = space.suggest(study.ask())
        >>> net = space.build(genotype, input_shape=(1, 28, 28), num_classes=10)
        >>> net(torch.randn(2, 1, 28, 28)).shape
        torch.Size([2, 10])
    """

    name = "chain"

    def __init__(
        self,
        min_layers: int = 1,
        max_layers: int = CHAIN_MAX_LAYERS,
        ops: Sequence[str] = LAYER_OPS,
        kernels: Sequence[int] = CHAIN_KERNELS,
        widths: Sequence[int] = CHAIN_WIDTHS,
        activations: Sequence[str] = tuple(ACTIVATIONS),
        stem_width: int = CHAIN_STEM_WIDTH,
    ) -> None:
        if not 1 <= min_layers <= max_layers:
            raise ValueError(f"need 1 <= min_layers <= max_layers, got {min_layers}, {max_layers}")
        for label, values, valid in (
            ("ops", ops, LAYER_OPS),
            ("activations", activations, tuple(ACTIVATIONS)),
        ):
            unknown = [v for v in values if v not in valid]
            if unknown or not values:
                raise ValueError(f"{label} must be a non-empty subset of {', '.join(valid)}")
        if not kernels or any(k < 1 or k % 2 == 0 for k in kernels):
            raise ValueError(f"kernels must be odd positive sizes, got {tuple(kernels)}")
        if not widths or any(w < 1 for w in widths):
            raise ValueError(f"widths must be positive, got {tuple(widths)}")
        self.min_layers = min_layers
        self.max_layers = max_layers
        self.ops = tuple(ops)
        self.kernels = tuple(kernels)
        self.widths = tuple(widths)
        self.activations = tuple(activations)
        self.stem_width = stem_width

    def suggest(self, trial: optuna.trial.BaseTrial) -> ChainGenotype:
        n = trial.suggest_int("chain/num_layers", self.min_layers, self.max_layers)
        return ChainGenotype(tuple(self._suggest_layer(trial, i) for i in range(1, n + 1)))

    def _suggest_layer(self, trial: optuna.trial.BaseTrial, i: int) -> LayerSpec:
        prefix = f"layer_{i}/"
        op = trial.suggest_categorical(prefix + "op", self.ops)
        kernel = width = activation = None
        if op in KERNEL_OPS:
            kernel = trial.suggest_categorical(prefix + "kernel", self.kernels)
        if op in WIDENING_OPS:
            width = trial.suggest_categorical(prefix + "width", self.widths)
            activation = trial.suggest_categorical(prefix + "activation", self.activations)
        skips = tuple(
            j for j in range(i - 1) if trial.suggest_categorical(f"{prefix}skip_{j}", (False, True))
        )
        return LayerSpec(op, kernel, width, activation, skips)

    def params(self, genotype: ChainGenotype) -> dict[str, Any]:
        """The trial params that produce ``genotype`` (e.g. for ``study.enqueue_trial``)."""
        params: dict[str, Any] = {"chain/num_layers": len(genotype.layers)}
        for i, layer in enumerate(genotype.layers, start=1):
            prefix = f"layer_{i}/"
            params[prefix + "op"] = layer.op
            for field in ("kernel", "width", "activation"):
                if getattr(layer, field) is not None:
                    params[prefix + field] = getattr(layer, field)
            params.update({f"{prefix}skip_{j}": j in layer.skips for j in range(i - 1)})
        return params

    def fixed_layers(self, values: Mapping[str, Any] | None = None) -> tuple[LayerSpec, ...]:
        """Every choice of the layers but their op, for a search over the ops alone (DARTS).

        ``values`` fixes choices by their param names: ``chain/num_layers``, and for a layer
        ``i`` ``layer_i/kernel``, ``layer_i/width``, ``layer_i/activation`` and
        ``layer_i/skip_j``. The rest take the space's defaults: ``max_layers`` layers, each
        with the first of ``kernels``, ``widths`` and ``activations`` and no skips. The
        layers' ``op`` is the first of ``ops``, a placeholder.

        Example:
            >>> from optunas.spaces import Chain
            >>> space = Chain(max_layers=2, widths=(16, 32))
            >>> for layer in space.fixed_layers({"layer_2/width": 32, "layer_2/skip_0": True}):
            ...     print(layer.kernel, layer.width, layer.activation, layer.skips)
            3 16 relu ()
            3 32 relu (0,)
        """
        values = dict(values or {})
        depth = values.pop("chain/num_layers", self.max_layers)
        if depth not in range(self.min_layers, self.max_layers + 1):
            raise ValueError(
                f"chain/num_layers must lie in {self.min_layers}..{self.max_layers}, got {depth}"
            )
        choices = {"kernel": self.kernels, "width": self.widths, "activation": self.activations}
        layers = []
        for i in range(1, depth + 1):
            fixed = {}
            for field, options in choices.items():
                fixed[field] = values.pop(f"layer_{i}/{field}", options[0])
                if fixed[field] not in options:
                    raise ValueError(
                        f"layer_{i}/{field} must be one of {options}, got {fixed[field]!r}"
                    )
            skips = tuple(j for j in range(i - 1) if values.pop(f"layer_{i}/skip_{j}", False))
            layers.append(LayerSpec(self.ops[0], skips=skips, **fixed))
        if values:
            raise ValueError(
                f"cannot fix {', '.join(sorted(values))}: the fixed choices are "
                f"chain/num_layers and layer_i/kernel, width, activation, skip_j for i up to "
                f"{depth} (the ops are searched)"
            )
        return tuple(layers)

    def draw(self, genotype: ChainGenotype) -> str:
        """The network as a column of layers (op, kernel, width, activation), its skip
        connections as arcs.

        Example:
            >>> from optunas.nn import LayerSpec
            >>> from optunas.spaces import Chain, ChainGenotype
            >>> svg = Chain().draw(ChainGenotype((LayerSpec("conv", 3, 32, "relu"),
            ...                                   LayerSpec("identity", skips=(0,)))))
            >>> "conv 3, 32 wide, relu" in svg
            True
        """
        from optunas.dashboard import draw_layers

        return draw_layers(genotype.to_dict()["layers"], str(genotype))

    def build(
        self, genotype: ChainGenotype, input_shape: Sequence[int], num_classes: int
    ) -> nn.Module:
        builder, arguments = self.builder(genotype, input_shape, num_classes)
        return builder(**arguments)

    def builder(
        self, genotype: ChainGenotype, input_shape: Sequence[int], num_classes: int
    ) -> tuple[Callable[..., nn.Module], dict[str, Any]]:
        return ChainNetwork, {
            "layers": list(genotype.layers),
            "in_channels": input_shape[0],
            "num_classes": num_classes,
            "dims": input_dims(input_shape),
            "stem_width": self.stem_width,
        }

    def __repr__(self) -> str:
        return f"Chain(min_layers={self.min_layers}, max_layers={self.max_layers})"
