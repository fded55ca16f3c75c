"""SDNet (Chartsias et al., Medical Image Analysis 2019) in Keras 3.

`import sdnet` is enough to load any saved `.keras` network with
`keras.saving.load_model(path, safe_mode=True)`: the custom layers and losses register the moment
Keras is imported (at once, if it already is). `import sdnet` itself does not import Keras, so
KERAS_BACKEND can still be chosen afterwards, and tools that never train (the sweep driver)
never load TensorFlow, JAX or PyTorch.
"""
import importlib.abc
import importlib.util
import logging
import os
import sys

__version__ = "0.2.0"

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")    # TensorFlow's C++ start-up chatter
# Prediction traces one graph per chunk size (sdnet.methods.base.chunk_sizes: a handful); TensorFlow
# would call that "excessive retracing" and advise on it at every figure
logging.getLogger("tensorflow").addFilter(lambda record: "triggered tf.function retracing" not in record.getMessage())


def _register_custom_objects():
    import sdnet.nn  # noqa: F401  (registers the layers and losses)


class _RegisterAfterKeras(importlib.abc.MetaPathFinder):
    """Finds nothing itself; when `keras` is first imported it lets the import finish, then
    registers sdnet's layers."""

    def find_spec(self, name, path=None, target=None):
        if name != "keras":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec("keras")
        if spec is None or spec.loader is None:
            return spec
        execute = spec.loader.exec_module

        def exec_module(module):
            execute(module)
            _register_custom_objects()

        spec.loader.exec_module = exec_module
        return spec


if "keras" in sys.modules:
    _register_custom_objects()
elif not any(isinstance(f, _RegisterAfterKeras) for f in sys.meta_path):
    sys.meta_path.insert(0, _RegisterAfterKeras())
