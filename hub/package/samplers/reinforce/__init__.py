from ._reinforce import ReinforceSampler


__all__ = ["ReinforceSampler"]
