"""Two methods with their own weights, paired over the same test volumes."""
import numpy as np
import pytest
from scipy import stats

from sdnet.io import write_json
from sdnet.reporting.compare import compare, compare_by_labelled_set, main, share_of_gap
from sdnet.reporting.report import collect_results
from helpers import fake_result


def test_each_test_patient_is_one_pair_its_seeds_averaged(tmp_path, capsys):
    rng = np.random.default_rng(1)
    for seed in (1, 2, 3):
        for method, level in (("unet", 0.5), ("sdnet", 0.7)):
            result = fake_result(method, 0.015, 0, level, rng)
            result["spec"]["seed"] = seed
            write_json(str(tmp_path / "runs" / method / "l0.015" / f"split0_seed{seed}" / "result.json"), result)
    results = collect_results(str(tmp_path))
    c = compare(results, ("sdnet", "last"), ("unet", "best"), 0.015, score="mean")
    assert c["patients"] == 6 and c["pairs"] == 18 and c["seeds"] == [1, 2, 3]

    def per_patient(method, weights):
        rows = [(v["volume"], v["scores"]["mean"]) for r in results if r["spec"]["method"] == method
                for v in r["volumes_by_weights"][weights]["original"]]
        return [np.mean([s for v, s in rows if v == volume]) for volume in sorted({v for v, _ in rows})]

    a, b = per_patient("sdnet", "last"), per_patient("unet", "best")
    assert c["mean_a"] == pytest.approx(100 * np.mean(a))
    assert c["p"] == pytest.approx(stats.ttest_rel(a, b).pvalue)       # 6 patients, not 18 patient-seeds
    assert main([str(tmp_path), "--a", "sdnet:last", "--b", "unet:best", "--fraction", "0.015",
                 "--score", "mean"]) == 0
    out = capsys.readouterr().out
    assert "| labelled fraction 0.015 |" in out and "| over the 3 labelled sets (the set the unit) |" in out
    assert "95 % interval" in out.splitlines()[-1]
    with pytest.raises(ValueError, match="fewer than two test patients"):
        compare(results, ("sdnet", "last"), ("gan", "best"), 0.015)


def test_per_labelled_set_each_seed_is_tested_alone_then_the_sets_are_the_unit(tmp_path):
    """Seed 1's labelled subject suits the U-Net, seeds 2 and 3's suit SDNet: every per-patient
    p is small, while the test over the three sets is not."""
    rng = np.random.default_rng(4)
    for seed, (unet, sdnet) in zip((1, 2, 3), ((0.6, 0.4), (0.3, 0.6), (0.4, 0.7))):
        for method, level in (("unet", unet), ("sdnet", sdnet)):
            result = fake_result(method, 0.015, 0, level, rng)
            result["spec"]["seed"], result["labelled_subjects"] = seed, [90 + seed]
            write_json(str(tmp_path / "runs" / method / "l0.015" / f"split0_seed{seed}" / "result.json"), result)
    results = collect_results(str(tmp_path))
    c = compare_by_labelled_set(results, ("sdnet", "last"), ("unet", "last"), 0.015, score="mean")
    assert [(s["seed"], s["subjects"], s["patients"]) for s in c["sets"]] == [(1, [91], 6), (2, [92], 6), (3, [93], 6)]

    def patients(method, seed):
        run = next(r for r in results if r["spec"]["method"] == method and r["spec"]["seed"] == seed)
        return [v["scores"]["mean"] for v in run["volumes_by_weights"]["last"]["original"]]

    assert c["sets"][0]["p"] == pytest.approx(stats.ttest_rel(patients("sdnet", 1), patients("unet", 1)).pvalue)
    assert all(s["p"] < 1e-3 for s in c["sets"])
    means = [[np.mean(patients(m, seed)) for seed in (1, 2, 3)] for m in ("sdnet", "unet")]
    assert c["p"] == pytest.approx(stats.ttest_rel(*means).pvalue) and c["p"] > 0.05

    results[0]["labelled_subjects"] = [7]          # one side's seed trained on another subject
    with pytest.raises(ValueError, match="not paired"):
        compare_by_labelled_set(results, ("sdnet", "last"), ("unet", "last"), 0.015, score="mean")


def test_a_variant_is_its_own_method_named_as_its_run_folder(tmp_path):
    rng = np.random.default_rng(2)
    for variant, level in (("", 0.5), ("recomputed_bn", 0.8)):
        for seed in (1, 2):
            result = fake_result("unet", 0.015, 0, level, rng)
            result["spec"].update(seed=seed, variant=variant)
            method = f"unet_{variant}" if variant else "unet"
            write_json(str(tmp_path / "runs" / method / "l0.015" / f"split0_seed{seed}" / "result.json"), result)
    results = collect_results(str(tmp_path))
    c = compare(results, ("unet_recomputed_bn", "last"), ("unet", "last"), 0.015, score="mean")
    plain = [v["scores"]["mean"] for r in results if not r["spec"]["variant"]
             for v in r["volumes_by_weights"]["last"]["original"]]
    assert c["pairs"] == len(plain) and c["patients"] == 6 and c["mean_b"] == pytest.approx(100 * np.mean(plain))
    assert c["mean_a"] > c["mean_b"]


COMPARE_CASES = [  # (argv after the folder, what the one-line message names)
    (["--a", "vae:last", "--b", "unet:best", "--fraction", "0.015"], "no finished runs of vae"),
    (["--a", "sdnet:middle", "--b", "unet:best", "--fraction", "0.015"], "--a sdnet:middle"),
    (["--a", "sdnet", "--b", "unet:best", "--fraction", "0.015"], "METHOD:WEIGHTS"),
    (["--a", "sdnet:last", "--b", "unet:best", "--fraction", "0.5"], "has runs at 0.015 only"),
    (["--a", "sdnet:last", "--b", "unet:best", "--fraction", "nan"], "--fraction nan"),
    (["--a", "sdnet:last", "--b", "unet:best", "--fraction", "0.015", "--score", "XYZ"], "--score XYZ"),
]


@pytest.mark.parametrize("argv, message", COMPARE_CASES)
def test_bad_arguments_are_named_in_one_line(tmp_path, capsys, argv, message):
    rng = np.random.default_rng(3)
    for method in ("unet", "sdnet"):
        write_json(str(tmp_path / "runs" / method / "l0.015" / "split0" / "result.json"),
                   fake_result(method, 0.015, 0, 0.6, rng))
    assert main([str(tmp_path), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "Traceback" not in err
    assert main([str(tmp_path / "missing"), *COMPARE_CASES[0][0]]) == 2
    assert "missing: folder not found" in capsys.readouterr().err


def test_an_ablation_in_another_folder_is_compared_with_the_same_variant_here(tmp_path, capsys):
    """`--a-runs`: the same method and variant in two folders (an ablation and its baseline) are
    two sides; the p is the paired test of the two folders' scores."""
    rng = np.random.default_rng(2)
    for folder, level in (("baseline", 0.5), ("ablation", 0.7)):
        result = fake_result("sdnet", 1.0, 0, level, rng)
        result["spec"]["variant"] = "equal_lr0.0003"
        write_json(str(tmp_path / folder / "runs" / "sdnet_equal_lr0.0003" / "l1" / "split0" / "result.json"), result)
    assert main([str(tmp_path / "baseline"), "--a-runs", str(tmp_path / "ablation"), "--a", "sdnet_equal_lr0.0003:best",
                 "--b", "sdnet_equal_lr0.0003:best", "--fraction", "1", "--score", "mean"]) == 0
    out = capsys.readouterr().out
    first = collect_results(str(tmp_path / "ablation"))[0]["volumes_by_weights"]["best"]["original"]
    mean = 100 * np.mean([v["scores"]["mean"] for v in first])
    assert f"| sdnet_equal_lr0.0003@other:best | sdnet_equal_lr0.0003:best |" in out
    assert f"| labelled fraction 1 | {mean:.1f} ±" in out


def test_share_of_the_gap_an_ablation_closes_over_the_runs_all_three_have(tmp_path, capsys):
    """(A - start) / (B - start) of the test means: an ablation of SDNet at 0.7 between the full
    SDNet at 0.5 and a U-Net at 0.8 closes two thirds of the gap; seed 3, which the ablation lacks,
    is left out of every side; `--seeds` keeps the named seeds only."""
    rng = np.random.default_rng(5)
    levels = {"sdnet": 0.5, "unet": 0.8, "ablation": 0.7}
    for method, level in levels.items():
        for seed in ((1, 2) if method == "ablation" else (1, 2, 3)):
            result = fake_result(method, 1.0, 0, level + (0.1 if seed == 3 else 0), rng)
            result["spec"]["seed"] = seed
            write_json(str(tmp_path / "runs" / method / "l1" / f"split0_seed{seed}" / "result.json"), result)
    results = collect_results(str(tmp_path))
    g = share_of_gap(results, ("ablation", "last"), ("unet", "last"), ("sdnet", "last"), 1.0, score="mean")
    assert g["seeds"] == [1, 2] and g["patients"] == 6

    def mean(method):
        return 100 * np.mean([v["scores"]["mean"] for r in results if r["spec"]["method"] == method
                              and r["spec"]["seed"] < 3 for v in r["volumes_by_weights"]["last"]["original"]])

    assert g["share"] == pytest.approx((mean("ablation") - mean("sdnet")) / (mean("unet") - mean("sdnet")))
    assert 0.4 < g["share"] < 0.9
    assert main([str(tmp_path), "--a", "ablation:last", "--b", "unet:last", "--gap-from", "sdnet:last",
                 "--fraction", "1", "--score", "mean", "--seeds", "2"]) == 0
    out = capsys.readouterr().out
    assert "seeds [2]" in out.splitlines()[-1] and "| split 0, seed 1 |" not in out
    assert main([str(tmp_path), "--a", "ablation:last", "--b", "unet:last", "--gap-from", "vae:last",
                 "--fraction", "1"]) == 2
    assert "--gap-from vae:last: no finished runs of vae" in capsys.readouterr().err
    assert main([str(tmp_path), "--a", "ablation:last", "--b", "unet:last", "--fraction", "1", "--seeds", "9"]) == 2
    assert "--seeds 9: no finished runs" in capsys.readouterr().err
