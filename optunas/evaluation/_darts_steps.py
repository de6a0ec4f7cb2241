"""The pieces of a DARTS search that are functions of tensors (the derivation rules, the
second-order (unrolled) architecture gradient, DARTS-PT's perturbation-based selection) and
what a search returns.

Guards (``guard``) against collapse and seed variance, two published and one averaging:

- ``"average"`` derives the cell from the softmax averaged over the last
  ``guard_strength`` share of the epochs (stochastic weight averaging, Izmailov et al.
  2018, applied to the alphas), so that one late step does not decide.
- ``"dartsminus"`` (DARTS-, Chu et al. 2021) adds an auxiliary skip connection to every
  edge, of strength ``guard_strength`` decaying linearly to 0, so that skip_connect need
  not win the alphas to carry gradients.
- ``"pt"`` (perturbation-based selection, Wang et al. 2021) picks, edge by edge, the op
  other than ``none`` whose removal costs the supernet the most validation accuracy,
  instead of the largest alpha.

Why ``"pt"`` is the default (measured on NB201 x MNIST-1D in the table's setting, first
order, 30 epochs; BENCHMARKS.md, "Differentiable search"): plain DARTS does not collapse
onto skip connections at this size, but the seed decides: with the paper's rule its cells
range from the table's 32nd to its 98th percentile over 10 seeds (73rd on average).
Perturbation-based selection with ``arch_lr=1e-2`` narrows that to 61st-95th (82nd on
average), the best of everything measured. Averaging does no better than the plain rule;
DARTS- collapses the other way, onto avg_pool_3x3 on every edge (8th percentile, every
seed); second order is no better than first at 2.4 times the cost. Allowing ``none``
(``derive="nb201"``) costs 7 to 31 points. The table's top 5% stays out of reach: its
five best cells, retrained with other seeds, land at the 73rd percentile on average, so
much of a cell's rank is the luck of the table's one training.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import torch

from optunas.evaluation._recipe import check_choice
from optunas.nn import DartsChain, DartsNB201
from optunas.spaces import ChainGenotype, NB201Genotype

#: How a cell is derived from the alphas: the DARTS paper's rule (the strongest op other than
#: ``none``), applied to every edge since in NB201 every edge is a node's input; or the rule of
#: NAS-Bench-201's own DARTS code (the strongest op, ``none`` included).
DARTS_DERIVES: tuple[str, ...] = ("darts", "nb201")


def derive(alphas: torch.Tensor, ops: Sequence[str], rule: str = "darts") -> tuple[str, ...]:
    """The op of each edge with the largest alpha, ignoring ``none`` (``rule="nb201"``:
    ``none`` included).

    Example:
        >>> import torch
        >>> from optunas.evaluation._darts import derive
        >>> ops = ("none", "skip_connect", "nor_conv_3x3")
        >>> alphas = torch.tensor([[2.0, 1.0, 0.0], [0.0, 0.5, 1.0]])
        >>> derive(alphas, ops), derive(alphas, ops, "nb201")
        (('skip_connect', 'nor_conv_3x3'), ('none', 'nor_conv_3x3'))
    """
    check_choice("derive", rule, DARTS_DERIVES)
    scores = alphas.detach().clone().float()
    if rule == "darts" and "none" in ops and len(ops) > 1:
        scores[:, list(ops).index("none")] = -math.inf
    return tuple(ops[int(k)] for k in scores.argmax(dim=1))


def unrolled_arch_gradient(
    loss: Callable[[tuple[torch.Tensor, torch.Tensor]], torch.Tensor],
    weights: Sequence[torch.Tensor],
    alphas: torch.Tensor,
    train_batch: tuple[torch.Tensor, torch.Tensor],
    valid_batch: tuple[torch.Tensor, torch.Tensor],
    xi: float,
    weight_decay: float = 0.0,
    epsilon: float = 0.01,
) -> torch.Tensor:
    """Second-order DARTS: the gradient of ``L_valid(w', alphas)`` in the alphas, where
    ``w' = w - xi * (grad_w L_train(w, alphas) + weight_decay * w)`` is one virtual step.

    As in the paper, the second-order term ``-xi * d2L_train/(dalpha dw) . grad_w' L_valid``
    is a central finite difference of ``grad_alpha L_train`` at ``w +- eps * grad_w' L_valid``
    with ``eps = epsilon / ||grad_w' L_valid||`` (the paper's 0.01 by default): two more
    forward-backward passes, no Hessian. ReLU networks are piecewise linear, so a smaller
    ``epsilon`` (in double precision) brings it as close to the exact value as wished.
    ``loss(batch)`` computes the loss with the current values of ``weights`` (which are
    changed in place and restored before returning) and of ``alphas``.

    Example:
        >>> import torch
        >>> from optunas.evaluation._darts import unrolled_arch_gradient
        >>> w, a = torch.tensor([1.0], requires_grad=True), torch.tensor([0.5], requires_grad=True)
        >>> loss = lambda batch: ((w * a - batch[0]) ** 2).sum()  # valid and train alike
        >>> batch = (torch.tensor([0.0]), torch.tensor([0]))
        >>> g = unrolled_arch_gradient(loss, [w], a, batch, batch, xi=0.1)
        >>> # Exactly: d/da of (w' a)^2 with w' = w - 0.1 * 2 w a^2 is 0.8075 at w=1, a=0.5.
        >>> round(float(g), 3), float(w.detach())  # w is restored
        (0.808, 1.0)
    """
    saved = [w.detach().clone() for w in weights]
    try:
        grads = torch.autograd.grad(loss(train_batch), weights)
        with torch.no_grad():
            for w, g in zip(weights, grads):
                w.sub_(xi * (g + weight_decay * w))
        valid_grads = torch.autograd.grad(loss(valid_batch), [alphas, *weights])
        direct, dw = valid_grads[0], valid_grads[1:]
        # A sum of tensors (the weights are never none), so a tensor.
        norm = torch.sqrt(cast(torch.Tensor, sum((g.double() ** 2).sum() for g in dw)))
        eps = epsilon / max(float(norm), 1e-12)

        def alpha_grad(sign: float) -> torch.Tensor:
            with torch.no_grad():
                for w, s, g in zip(weights, saved, dw):
                    w.copy_(s + sign * eps * g)
            return torch.autograd.grad(loss(train_batch), alphas)[0]

        hessian_vector = (alpha_grad(1.0) - alpha_grad(-1.0)) / (2 * eps)
        return direct - xi * hessian_vector
    finally:
        with torch.no_grad():
            for w, s in zip(weights, saved):
                w.copy_(s)


@torch.no_grad()
def perturbation_select(
    supernet: DartsNB201 | DartsChain,
    weights: torch.Tensor,
    data: tuple[torch.Tensor, ...],
) -> tuple[str, ...]:
    """DARTS-PT: per edge, the op whose removal lowers the supernet's validation accuracy
    most (edges in order, each fixed to its pick before the next); ``weights`` are the
    softmaxed alphas, ``data`` the validation tensors."""
    ops = supernet.ops
    weights = weights.clone()
    supernet.eval()
    x, y = data

    def accuracy(w: torch.Tensor) -> float:
        return float((supernet(x, w).argmax(dim=1) == y).float().mean())

    # ``none`` is no candidate: removing it changes nothing, and as in DARTS-PT's
    # selection only ops that compute are weighed.
    candidates = [k for k, op in enumerate(ops) if op != "none"] or list(range(len(ops)))
    chosen = []
    for e in range(supernet.num_mixed):
        after = {}
        for k in candidates:
            masked = weights.clone()
            masked[e, k] = 0.0
            after[k] = accuracy(masked)
        pick = min(after, key=after.__getitem__)  # the accuracy falls most without it
        chosen.append(ops[pick])
        weights[e] = 0.0
        weights[e, pick] = 1.0
    return tuple(chosen)


@dataclass
class DartsResult:
    """What a DARTS search found.

    Attributes:
        genotype: The derived cell (NB201) or chain of layers (Chain).
        params: The trial params of the genotype, in the space's names.
        value: The cell's validation accuracy with the supernet's weights (its batch norm
            re-estimated on training batches).
        alphas: The final architecture weights, one row per edge (NB201) or layer position
            (Chain), one column per op.
        history: One record per epoch: ``epoch``, ``value``, ``genotype``, ``probabilities``
            (the softmax of the alphas), ``loss``, ``seconds``.
    """

    genotype: NB201Genotype | ChainGenotype
    params: dict[str, Any]
    value: float
    alphas: list[list[float]]
    history: list[dict[str, Any]] = field(default_factory=list)


def cosine_lr(lr: float, min_lr: float, epoch: int, epochs: int) -> float:
    """The weights' learning rate in ``epoch``: cosine from ``lr`` down to ``min_lr``."""
    return min_lr + 0.5 * (lr - min_lr) * (1.0 + math.cos(math.pi * epoch / epochs))


def dartsminus_skip(guard: str, strength: float, epoch: int, epochs: int) -> float:
    """The auxiliary skip's strength in ``epoch``: DARTS-'s linear decay to 0, else none."""
    return strength * (1.0 - epoch / epochs) if guard == "dartsminus" else 0.0


def averaged_probabilities(history: Sequence[dict[str, Any]], share: float) -> torch.Tensor:
    """The softmax averaged over the last ``share`` of the epochs in ``history``."""
    keep = max(1, math.ceil(share * len(history)))
    return torch.stack([torch.tensor(r["probabilities"]) for r in history[-keep:]]).mean(dim=0)
