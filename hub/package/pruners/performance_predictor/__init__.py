from ._predictor import PredictorPruner


__all__ = ["PredictorPruner"]
