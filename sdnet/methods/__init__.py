"""Training methods: SDNet, its LV-volume multi-task variant and the baselines of Tables 1-2, by name
(`build_method`). Importing the package loads no backend: a method's module is imported when it is
first built (sdnet.methods.registry)."""
from sdnet.methods.registry import METHODS, build_method, display_name

__all__ = ["METHODS", "build_method", "display_name"]
