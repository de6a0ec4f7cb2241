"""PopulationNB201 trains many NB201 networks as one: checked against each network alone."""

from __future__ import annotations

import random

import pytest
import torch
import torch.nn.functional as F

from optunas.nn import NB201_OPS, NB201Network
from optunas.nn._population import PopulationNB201


def _members(n: int, channels: int):
    rng = random.Random(0)
    genotypes = [tuple(rng.choice(list(NB201_OPS)) for _ in range(6)) for _ in range(n)]
    genotypes[0] = ("nor_conv_3x3",) * 6  # every op appears somewhere
    genotypes[1] = (
        "nor_conv_1x1",
        "avg_pool_3x3",
        "skip_connect",
        "none",
        "nor_conv_1x1",
        "avg_pool_3x3",
    )
    nets = []
    for g, ops in enumerate(genotypes):
        torch.manual_seed(g)
        nets.append(NB201Network(ops, 1, 10, dims=1, channels=channels, cells_per_stage=2))
    return genotypes, nets


@pytest.mark.slow
def test_population_matches_its_members_before_and_after_training() -> None:
    genotypes, nets = _members(6, channels=4)
    population = PopulationNB201.from_members(nets, genotypes, channels=4, cells_per_stage=2)
    generator = torch.Generator().manual_seed(0)
    x, y = (
        torch.randn(96, 1, 40, generator=generator),
        torch.randint(0, 10, (96,), generator=generator),
    )

    def outputs():
        for net in nets:
            net.eval()
        population.eval()
        with torch.no_grad():
            return population(x), [net(x) for net in nets]

    together, alone = outputs()
    for g, out in enumerate(alone):
        torch.testing.assert_close(together[:, g], out)

    # Plain SGD with a small rate keeps rounding differences at rounding size (Adam's first
    # steps, about lr * sign(gradient), and tiny batches through batch norm amplify them).
    opts = [torch.optim.SGD(n.parameters(), lr=0.01) for n in nets]
    popt = torch.optim.SGD(population.parameters(), lr=0.01)
    for step in range(3):
        batch = slice(step * 32, step * 32 + 32)
        for net, opt in zip(nets, opts):
            net.train()
            opt.zero_grad()
            F.cross_entropy(net(x[batch]), y[batch]).backward()
            opt.step()
        population.train()
        popt.zero_grad()
        logits = population(x[batch])
        sum(F.cross_entropy(logits[:, g], y[batch]) for g in range(len(nets))).backward()
        popt.step()
    together, alone = outputs()
    for g, out in enumerate(alone):
        torch.testing.assert_close(together[:, g], out, atol=1e-4, rtol=1e-4)


def test_a_member_copied_out_computes_what_it_computed_inside() -> None:
    genotypes, nets = _members(4, channels=4)
    torch.manual_seed(7)
    population = PopulationNB201(genotypes, 1, 10, channels=4, cells_per_stage=2)
    x = torch.randn(16, 1, 40, generator=torch.Generator().manual_seed(1))
    population.eval()
    with torch.no_grad():
        together = population(x)
        for g in range(len(genotypes)):
            alone = population.member(g).eval()
            assert alone.cells[1].edges[0].__class__ is nets[g].cells[1].edges[0].__class__
            torch.testing.assert_close(alone(x), together[:, g])
