"""Training-free proxies: scores of an untrained network that rank architectures without
training them."""

from __future__ import annotations

import copy

import torch
from torch import nn

#: The layers whose weights a SynFlow score sums over (those a pruner at initialisation
#: prunes): convolutions and linear layers. Biases and normalisation parameters are left out.
_SCORED = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Linear)
_BATCHNORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.SyncBatchNorm)


def _drop_batchnorm(module: nn.Module) -> None:
    """Replace every batch norm below ``module`` by the identity, in place."""
    for name, child in module.named_children():
        if isinstance(child, _BATCHNORMS):
            setattr(module, name, nn.Identity())
        else:
            _drop_batchnorm(child)


def synflow(model: nn.Module, input_shape: tuple[int, ...]) -> float:
    """The SynFlow score of ``model``: how much "synaptic flow" its weights carry from an
    input of ones to the summed output, with no data and no labels.

    On a copy of ``model`` (the caller's network, its weights, mode and gradients are left
    as they were), every parameter is replaced by its absolute value, batch norms become the
    identity, and the network runs in double precision and eval mode on one example of ones
    of ``input_shape`` (channels first, no batch dimension). The output is summed and
    back-propagated; the score is the sum over the weights ``w`` of convolutions and linear
    layers of ``|w * dR/dw|``. A higher score is read as a better architecture.

    The recipe follows the zero-cost proxies of Abdelfattah et al. (ICLR 2021), which take
    the score from pruning at initialisation (Tanaka et al., NeurIPS 2020); batch norms are
    dropped as their ``synflow`` measure drops them.

    Example:
        >>> from optunas.evaluation import synflow
        >>> from optunas.nn import NB201Network
        >>> convs = NB201Network(["nor_conv_3x3"] * 6, in_channels=1, num_classes=10, dims=1,
        ...                      channels=4, cells_per_stage=1)
        >>> empty = NB201Network(["none"] * 6, in_channels=1, num_classes=10, dims=1,
        ...                      channels=4, cells_per_stage=1)
        >>> synflow(empty, (1, 40))
        0.0
        >>> synflow(convs, (1, 40)) > 0.0
        True
    """
    net = copy.deepcopy(model)
    _drop_batchnorm(net)
    net = net.double().eval()
    params = list(net.parameters())
    if not params:
        return 0.0
    with torch.no_grad():
        for param in params:
            param.abs_()
    for param in params:
        param.requires_grad_(True)
        param.grad = None
    ones = torch.ones((1, *input_shape), dtype=torch.float64, device=params[0].device)
    with torch.enable_grad():
        net(ones).sum().backward()
    total = torch.zeros((), dtype=torch.float64)
    with torch.no_grad():
        for layer in net.modules():
            if isinstance(layer, _SCORED) and layer.weight.grad is not None:
                total += (layer.weight * layer.weight.grad).abs().sum().cpu()
    return float(total)
