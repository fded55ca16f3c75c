"""The engine comparison can fail: SDNet's case (paper's fake masks) fails when the compiled arm is
broken in any of the ways engine_cases.MUTATIONS names, each applied to that arm alone through the
test (nothing of it is in the library). A file of its own: a test worker runs it beside the cases."""
import pytest

from engine_cases import MUTATIONS, assert_executors_agree


# one mutation on every run (the update order), the other three (the pool's draw among them) under
# the `long` marker that .ci/run runs: the README's test command keeps its budget
EVERY_RUN = ("two updates swapped",)


@pytest.mark.parametrize("mutation", [m if m in EVERY_RUN else pytest.param(m, marks=pytest.mark.long)
                                      for m in sorted(MUTATIONS)])
def test_the_comparison_fails_when_the_compiled_iteration_is_wrong(mutation):
    with pytest.raises(AssertionError) as failure:
        assert_executors_agree("sdnet", "predicted", mutation=mutation)
    print(f"{mutation}:", " / ".join(str(failure.value).strip().splitlines()[:3]))
