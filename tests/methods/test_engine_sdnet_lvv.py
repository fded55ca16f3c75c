"""SDNet-LVV (every SDNet update and the area update): the compiled iteration computes what the
separate calls compute (bounds: engine_cases.py). Under the `long` marker that .ci/run runs: SDNet's
own cases (test_engine_sdnet_*.py) take the same path on every run but for the area update."""
import pytest

from engine_cases import XLA_MODES, assert_executors_agree

pytestmark = pytest.mark.long


@pytest.mark.parametrize("xla", XLA_MODES)
def test_compiled_iterations_compute_what_the_separate_calls_compute_for_sdnet_lvv(xla):
    assert_executors_agree("sdnet_lvv", "unsupervised", xla)
