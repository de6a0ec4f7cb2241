"""What every search space and genotype shares."""

from __future__ import annotations

import abc
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import optuna
from torch import nn

from optunas._compat import CheckedFixedTrial


class Genotype(abc.ABC):
    """An architecture as plain data: frozen, hashable, printable and JSON-serialisable.

    Concrete genotypes are frozen dataclasses that implement :meth:`to_dict` and
    :meth:`from_dict`; this base gives them :meth:`to_json` and :meth:`from_json`.
    """

    @abc.abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """A dict of JSON-compatible values that :meth:`from_dict` turns back."""

    @classmethod
    @abc.abstractmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Genotype:
        """Rebuild a genotype from :meth:`to_dict`'s output."""

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Genotype:
        return cls.from_dict(json.loads(text))


class SearchSpace(abc.ABC):
    """A search space: architectural choices as Optuna suggestions, and a builder.

    Subclasses implement :meth:`suggest` (every choice a ``trial.suggest_*`` call with a
    stable, namespaced name) and :meth:`build`. :meth:`genotype` comes for free: it replays
    :meth:`suggest` on the given params.

    Example:
        >>> import optuna
        >>> from torch import nn
        >>> from optunas.spaces import SearchSpace
        >>> class Widths(SearchSpace):
        ...     name = "widths"
        ...     def suggest(self, trial):
        ...         return trial.suggest_categorical("mlp/width", [32, 64, 128])
        ...     def build(self, genotype, input_shape, num_classes):
        ...         return nn.Sequential(nn.Flatten(), nn.LazyLinear(genotype), nn.ReLU(),
        ...                              nn.Linear(genotype, num_classes))
        >>> Widths().genotype({"mlp/width": 64})
        64
    """

    #: Short name used by the CLI and recorded in the study.
    name: str = ""

    @abc.abstractmethod
    def suggest(self, trial: optuna.trial.BaseTrial) -> Any:
        """Suggest an architecture through ``trial`` and return its genotype."""

    @abc.abstractmethod
    def build(self, genotype: Any, input_shape: Sequence[int], num_classes: int) -> nn.Module:
        """Build the network of ``genotype`` for inputs of ``input_shape`` (channels first,
        without the batch dimension: ``(C, L)`` for signals, ``(C, H, W)`` for images)."""

    def builder(
        self, genotype: Any, input_shape: Sequence[int], num_classes: int
    ) -> tuple[Callable[..., nn.Module], dict[str, Any]]:
        """The builder of ``genotype``'s network and its arguments, as plain data: calling
        ``builder(**arguments)`` gives what :meth:`build` gives.

        :func:`optunas.export.export_trial` writes the builder's source and this call out
        as a standalone PyTorch file, so a space that implements it (the builder a class or
        function of its own module, arguments of literals and dataclasses) can be exported.

        Raises:
            NotImplementedError: the space builds its network some other way.
        """
        raise NotImplementedError(f"{type(self).__name__} does not say how it builds its network")

    def genotype(self, params: Mapping[str, Any]) -> Any:
        """Rebuild the genotype from trial params, e.g. ``study.best_params``.

        Params the space does not use (other hyperparameters of the study) are ignored; a
        missing or invalid architectural param raises ``ValueError``.
        """
        return self.suggest(CheckedFixedTrial(dict(params)))

    def draw(self, genotype: Any) -> str:
        """An SVG drawing of ``genotype`` (shown for every trial in optuna-dashboard).

        This default is a table of the genotype's fields; a space overrides it to draw its
        own structure (NB201 draws its cell as a graph, Chain its layers as a column).
        """
        from optunas.dashboard import draw_table

        data = genotype.to_dict() if isinstance(genotype, Genotype) else {"architecture": genotype}
        return draw_table({key: _short(value) for key, value in data.items()}, self.name)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _short(value: Any) -> str:
    text = json.dumps(value) if isinstance(value, (list, dict)) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def input_dims(input_shape: Sequence[int]) -> int:
    """1 for ``(C, L)`` signals, 2 for ``(C, H, W)`` images."""
    if len(input_shape) not in (2, 3):
        raise ValueError(
            f"input_shape must be (C, L) or (C, H, W) without the batch dimension, got {tuple(input_shape)}"
        )
    return len(input_shape) - 1
