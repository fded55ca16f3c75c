"""SDNet (Chartsias et al., Medical Image Analysis 2019) in Keras 3."""
__version__ = "0.1.0"
