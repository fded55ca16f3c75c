"""SDNet-LVV (every SDNet update and the area update): the compiled iteration computes what the
separate calls compute (bounds: engine_cases.py)."""
import pytest

from engine_cases import XLA_MODES, assert_executors_agree


@pytest.mark.parametrize("xla", XLA_MODES)
def test_compiled_iterations_compute_what_the_separate_calls_compute_for_sdnet_lvv(xla):
    assert_executors_agree("sdnet_lvv", "unsupervised", xla)
