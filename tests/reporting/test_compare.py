"""Two methods with their own weights, paired over the same test volumes."""
import numpy as np
import pytest
from scipy import stats

from sdnet.io import write_json
from sdnet.reporting.compare import compare, main
from sdnet.reporting.report import collect_results
from test_report import fake_result


def test_pairs_volumes_of_the_same_seed_and_split(tmp_path, capsys):
    rng = np.random.default_rng(1)
    for seed in (1, 2):
        for method, level in (("unet", 0.5), ("sdnet", 0.7)):
            result = fake_result(method, 0.015, 0, level, rng)
            result["spec"]["seed"] = seed
            write_json(str(tmp_path / "runs" / method / "l0.015" / f"split0_seed{seed}" / "result.json"), result)
    results = collect_results(str(tmp_path))
    c = compare(results, ("sdnet", "last"), ("unet", "best"), 0.015, score="mean")
    assert c["pairs"] == 12 and c["seeds"] == [1, 2]
    a = [v["scores"]["mean"] for r in results if r["spec"]["method"] == "sdnet"
         for v in r["volumes_by_weights"]["last"]["original"]]
    assert c["mean_a"] == pytest.approx(100 * np.mean(a))
    b = [v["scores"]["mean"] for r in sorted(results, key=lambda r: r["spec"]["seed"]) if r["spec"]["method"] == "unet"
         for v in r["volumes_by_weights"]["best"]["original"]]
    a_sorted = [v["scores"]["mean"] for r in sorted(results, key=lambda r: r["spec"]["seed"])
                if r["spec"]["method"] == "sdnet" for v in r["volumes_by_weights"]["last"]["original"]]
    assert c["p"] == pytest.approx(stats.ttest_rel(a_sorted, b).pvalue)
    main([str(tmp_path), "--a", "sdnet:last", "--b", "unet:best", "--fraction", "0.015", "--score", "mean"])
    assert "| labelled fraction 0.015 |" in capsys.readouterr().out
    with pytest.raises(ValueError, match="fewer than two volumes"):
        compare(results, ("sdnet", "last"), ("gan", "best"), 0.015)


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
    assert c["pairs"] == len(plain) and c["mean_b"] == pytest.approx(100 * np.mean(plain))
    assert c["mean_a"] > c["mean_b"]
