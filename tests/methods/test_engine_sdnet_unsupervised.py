"""SDNet with D_M's fakes from the unsupervised update itself (`fake_masks=unsupervised`, the
equal-terms protocol's "stabilised" SDNet): the compiled iteration computes what the separate
calls compute (bounds: engine_cases.py)."""
import pytest

from engine_cases import XLA_MODES, assert_executors_agree


@pytest.mark.parametrize("xla", XLA_MODES)
def test_compiled_iterations_compute_what_the_separate_calls_compute_for_stabilised_sdnet(xla):
    assert_executors_agree("sdnet", "unsupervised", xla)
