"""The compiled iteration of SDNet-LVV (every SDNet update and the area update) computes what
the separate calls compute: the largest case of tests/methods/test_engine.py, in a file of its own
so that a second test worker runs it beside the others."""
from engine_cases import assert_executors_agree


def test_compiled_iterations_compute_what_the_separate_calls_compute_for_sdnet_lvv():
    assert_executors_agree("sdnet_lvv", "unsupervised")
