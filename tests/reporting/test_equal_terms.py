"""The equal-terms report: each method's learning rate chosen on its own validation Dice only,
test scores per patient, paired tests against the U-Net."""
import numpy as np

from sdnet.reporting.equal_terms import choose_rates, candidates, declared_rates, equal_terms_report
from sdnet.training.spec import RunSpec

from helpers import fake_result


def run(method, variant, val, test_level, seed, rng):
    result = fake_result(method, 0.015, 0, test_level, rng)
    result["spec"].update(variant=variant, seed=seed)
    result["best_val_dice"] = val
    return result


def test_the_rate_is_chosen_on_validation_never_on_test_and_rows_are_tested_per_patient():
    rng = np.random.default_rng(0)
    results = []
    for seed in (1, 2, 3):
        # the U-Net's 1e-3 has the better validation but the worse test: validation decides
        results += [run("unet", "equal_lr0.001", 0.70, 0.40, seed, rng), run("unet", "equal_lr0.0001", 0.60, 0.55, seed, rng),
                    run("sdnet", "equal_lr0.0003", 0.75, 0.60, seed, rng),
                    run("sdnet", "faithful_lr0.0003", 0.50, 0.30, seed, rng)]
    chosen = choose_rates(candidates(results))
    assert chosen["unet", "equal", 0.015][0] == 0.001
    assert chosen["sdnet", "faithful", 0.015][0] == 0.0003
    lines = equal_terms_report(results, (0.015,))
    table = [line for line in lines if line.startswith("| ")]
    assert table[1].startswith("| U-Net | 0.0001: 60.0, **0.001: 70.0** | 3 |")
    sdnet = next(line for line in table if line.startswith("| SDNet (stabilised)"))
    assert "(6 patients, seeds 1, 2, 3)" in sdnet      # 6 test patients, not 18 patient-seeds
    assert next(line for line in table if line.startswith("| SDNet (faithful)"))
    per_set = [line for line in table if line.startswith("| SDNet (stabilised) | last |")]
    assert len(per_set) == 4 and "over the 3 labelled sets (the set the unit)" in per_set[-1]
    # the report opens with its answer: each row at its chosen rate against the U-Net at its own
    assert lines[0] == "## Answer"
    answers = [line for line in lines if line.startswith("- 1.5 % labels")]
    assert len(answers) == 4        # two SDNet rows x two weights rules
    assert all("against U-Net 39.8" in a and "over the 6 test patients" in a and "3 labelled sets" in a for a in answers)
    assert [a.split(": ")[1].startswith(("SDNet (stabilised) 59.8", "SDNet (faithful) 30.0")) for a in answers] == [True] * 4
    assert ["ahead, a finding" in a for a in answers] == [True, True, False, False]    # the faithful row trails


def test_a_row_whose_rates_have_not_all_run_says_its_rate_is_not_chosen_and_which_seeds_a_p_pairs():
    """One SDNet rate of three finished on the tuning seed, the U-Net's row complete: SDNet's
    rate is only the best so far, and its p pairs the one seed both ran."""
    rng = np.random.default_rng(0)
    results = [run("unet", "equal_lr0.001", 0.70, 0.40, seed, rng) for seed in (1, 2, 3)]
    results += [run("unet", "equal_lr0.0001", 0.60, 0.55, 1, rng), run("sdnet", "equal_lr0.0003", 0.75, 0.60, 1, rng)]
    declared = declared_rates([RunSpec(method, 0.015, 0, 1, f"equal_lr{rate:g}")
                               for method in ("unet", "sdnet") for rate in (1e-4, 3e-4, 1e-3)])
    assert declared["sdnet", "equal", 0.015] == {1e-4, 3e-4, 1e-3}
    table = [line for line in equal_terms_report(results, (0.015,), declared) if line.startswith("| ")]
    sdnet = next(line for line in table if line.startswith("| SDNet (stabilised)"))
    assert "**0.0003: 75.0** (not chosen yet: 1 of 3 rates run)" in sdnet
    assert "(6 patients, seed 1)" in sdnet
    assert not any("over the 1 labelled sets" in line for line in table)     # one set: no test over sets
    unet = next(line for line in table if line.startswith("| U-Net"))
    assert "not chosen yet: 2 of 3" in unet      # its 3e-4 has not run either
    alone = equal_terms_report([r for r in results if r["spec"]["method"] == "unet"], (0.015,), declared)
    assert not any(line.startswith("#### Per labelled set") for line in alone)   # nothing to set beside the U-Net
