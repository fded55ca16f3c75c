"""The engine comparison can fail: SDNet's case (paper's fake masks) fails when the compiled arm is
broken in any of the ways engine_cases.MUTATIONS names, each applied to that arm alone through the
test (nothing of it is in the library). A file of its own: a test worker runs it beside the cases."""
import pytest

from engine_cases import MUTATIONS, assert_executors_agree


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_the_comparison_fails_when_the_compiled_iteration_is_wrong(mutation):
    with pytest.raises(AssertionError) as failure:
        assert_executors_agree("sdnet", "predicted", mutation=mutation)
    print(f"{mutation}:", " / ".join(str(failure.value).strip().splitlines()[:3]))
