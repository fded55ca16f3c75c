"""SDNet (Chartsias et al., Medical Image Analysis 2019) in Keras 3.

Importing the package registers its custom layers and losses, so any saved `.keras` network
loads with `keras.saving.load_model(path, safe_mode=True)` after `import sdnet`. Keras reads
KERAS_BACKEND when it is first imported: set it before `import sdnet`.
"""
import os

__version__ = "0.2.0"

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")    # TensorFlow's C++ start-up chatter

from sdnet import nn  # noqa: E402,F401
