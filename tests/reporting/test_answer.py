"""A report's answer calls a lead a finding only where it holds over the test patients and over the
labelled sets, and says "not shown" otherwise."""
import numpy as np

from sdnet.reporting.answer import answer_lines, lead, p_text, verdict


def pooled(gaps_by_seed, patients=12, fraction=0.015):
    """Scores {(method, fraction): {"mean": {(split, seed, patient): score}}}: B's scores are noise
    around 0.5, A's are B's plus the seed's gap plus a little noise per patient."""
    rng = np.random.default_rng(0)
    a, b = {}, {}
    for seed, gap in gaps_by_seed.items():
        for patient in range(patients):
            b[(0, seed, patient)] = 0.5 + 0.1 * rng.standard_normal()
            a[(0, seed, patient)] = b[(0, seed, patient)] + gap + 0.01 * rng.standard_normal()
    return {("A", fraction): {"mean": a}, ("B", fraction): {"mean": b}}


def test_a_lead_over_patients_and_sets_is_a_finding():
    c = lead(pooled({1: 0.10, 2: 0.08, 3: 0.12}), 0.015, ["B", "A"])
    assert (c["a"], c["b"], c["patients"], c["sets"]) == ("A", "B", 12, 3)
    assert c["p_patients"] < 0.05 and c["p_sets"] < 0.05
    assert "ahead, a finding" in verdict(c)


def test_a_lead_carried_by_one_labelled_set_is_not_shown():
    c = lead(pooled({1: 0.30, 2: -0.02, 3: -0.01}), 0.015, ["A", "B"])
    assert c["p_patients"] < 0.05 and c["p_sets"] > 0.05
    assert "difference not shown" in verdict(c)


def test_one_labelled_set_has_no_test_over_sets():
    c = lead(pooled({1: 0.10}), 0.015, ["A", "B"])
    assert c["p_patients"] < 0.05
    assert "one labelled set, so no test over sets" in verdict(c) and "not shown" in verdict(c)


def test_the_quick_preset_is_called_a_pipeline_check_and_one_method_has_no_answer():
    scores = pooled({1: 0.1, 2: 0.1})
    lines = answer_lines(scores, ["A", "B"], [0.015], "last", "quick")
    assert lines[0] == "## Answer" and any("checks that the pipeline runs" in line for line in lines)
    assert lines[-2].startswith("- 1.5 % labels: A ")
    assert not any("pipeline" in line for line in answer_lines(scores, ["A", "B"], [0.015], "last", "cpu"))
    assert answer_lines(scores, ["A"], [0.015], "last", "quick") == []


def test_the_difference_over_sets_comes_with_its_t_interval():
    """The interval is mean ± t(0.975, n - 1) · sd / √n of the sets' differences, in points."""
    from scipy import stats

    scores = pooled({1: 0.30, 2: -0.02, 3: -0.01, 4: 0.05})
    c = lead(scores, 0.015, ["A", "B"])
    by_set = [100 * np.mean([scores[("A", 0.015)]["mean"][k] - scores[("B", 0.015)]["mean"][k]
                             for k in scores[("A", 0.015)]["mean"] if k[1] == seed]) for seed in (1, 2, 3, 4)]
    half = stats.t.ppf(0.975, 3) * np.std(by_set, ddof=1) / 2
    mean, low, high = c["set_difference"]
    assert np.allclose((mean, low, high), (np.mean(by_set), np.mean(by_set) - half, np.mean(by_set) + half))
    assert low < 0 < high
    assert f"difference over them {mean:+.1f} (95 % interval {low:+.1f} to {high:+.1f})" in verdict(c)


def test_a_p_value_is_printed_as_the_docs_quote_it_from_its_unrounded_value():
    # 0.01446 printed with three digits is 0.0145, which a reader rounds to 0.015: two digits here
    assert [p_text(p) for p in (0.01446, 0.3447, 0.0066198, 0.0400, 2.5125e-4, 1.04964e-6, float("nan"))] == \
        ["0.014", "0.34", "0.0066", "0.040", "2.5e-4", "1.0e-6", "nan"]
