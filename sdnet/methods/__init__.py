"""Training methods: SDNet, its LV-volume multi-task variant and the baselines of Tables 1-2, by name
(`build_method`)."""
from sdnet.methods.base import Batch, Method
from sdnet.methods.registry import METHODS, build_method, register
from sdnet.methods import gan, sdnet, sdnet_lvv, selftrain, unet  # noqa: F401  (each registers itself)

__all__ = ["Batch", "Method", "METHODS", "build_method", "register"]
