from ._learning_curve import LearningCurvePruner


__all__ = ["LearningCurvePruner"]
