"""Data sets, preprocessing, augmentation and the numpy input pipeline (no TensorFlow import)."""
from sdnet.data.dataset import Data
from sdnet.data.errors import DataError

__all__ = ["Data", "DataError"]
