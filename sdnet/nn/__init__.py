"""Backend-neutral model code: registered layers, losses and the network builders."""
from sdnet.nn import layers, losses  # noqa: F401  (registers the custom objects for .keras loading)
