"""SDNet as the paper runs it (D_M's fakes predicted from other images, `fake_masks=predicted`):
the compiled iteration computes what the separate calls compute (bounds: engine_cases.py)."""
import pytest

from engine_cases import XLA_MODES, assert_executors_agree


@pytest.mark.parametrize("xla", XLA_MODES)
def test_compiled_iterations_compute_what_the_separate_calls_compute_for_sdnet(xla):
    assert_executors_agree("sdnet", "predicted", xla)
