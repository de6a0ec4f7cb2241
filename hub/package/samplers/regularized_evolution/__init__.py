from ._evolution import EvolutionSampler


__all__ = ["EvolutionSampler"]
