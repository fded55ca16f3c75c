"""The experiment command line: everything checked before anything is written."""
import json
import os
import shutil
import stat

import pytest

from sdnet.config import SDNetConfig
from sdnet.experiments import Experiment, main
from sdnet.experiments.cli import build_parser, request_from_args
from sdnet.experiments.runner import check_recorded_settings, prepare
from sdnet.reporting.published import TABLE1

from helpers import flat_pairs_folder

EXP = Experiment(name="t", title="Table 1 test", methods=("unet", "gan", "selftrain", "sdnet"),
                 fractions=(1.0, 0.5), quick_fractions=(1.0,), published=TABLE1)


def parse(exp, argv):
    """The runner's request of a command line."""
    return request_from_args(build_parser(exp).parse_args(list(argv)))


def args(*argv):
    return parse(EXP, argv)


@pytest.mark.parametrize("argv, message", [
    (["--methods", "vae"], "unknown method"),
    (["--labels", "0"], "outside"),
    (["--set", "epochs"], "KEY=VALUE"),
    (["--set", "no_such=1"], "unknown configuration field"),
    (["--set", "epochs=abc"], "epochs=abc: expected a whole number"),
    (["--set", "epochs=1.5"], "expected a whole number"),
    (["--set", "batch_size=0"], "batch_size=0 is outside"),
    (["--set", "rounding=maybe"], "expected true or false"),
    (["--stop-after-epochs", "0"], "at least 1"),
    (["--image-every", "-1"], "--image-every -1"),
    (["--label-map", "MYO=2,LV=2,RV=1"], "the value 2 is given to MYO and LV"),
])
def test_bad_flags_are_refused_and_nothing_is_written(argv, message, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(EXP, [*argv, "--out", str(out), "--cache-dir", str(tmp_path / "cache")]) == 2
    assert capsys.readouterr().err.startswith("error: ")
    with pytest.raises(ValueError, match=message):
        prepare(EXP, args(*argv, "--out", str(out), "--cache-dir", str(tmp_path / "cache")))
    assert not (out / "experiment.json").exists()


def test_a_missing_data_folder_writes_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(EXP, ["--data", str(tmp_path / "nowhere"), "--out", str(out)]) == 2
    assert "folder not found" in capsys.readouterr().err
    assert not (out / "experiment.json").exists()


def test_a_backend_that_is_not_installed_says_what_to_install(tmp_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a))
    with pytest.raises(ValueError, match="the torch package is not installed .pip install torch"):
        prepare(EXP, args("--backend", "torch", "--out", str(tmp_path / "o")))


def test_an_out_that_is_a_file_or_an_unwritable_cache_is_reported_before_any_work(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("x")
    with pytest.raises(ValueError, match="output folder .--out. is a file"):
        prepare(EXP, args("--out", str(afile)))
    # a folder nobody can create, root included (chmod does not stop root)
    with pytest.raises(ValueError, match="/proc/sdnet-cache: cannot write to the cache folder"):
        prepare(EXP, args("--out", str(tmp_path / "o"), "--cache-dir", "/proc/sdnet-cache"))
    assert not (tmp_path / "o" / "experiment.json").exists()
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
        with pytest.raises(ValueError, match="cannot write to the output folder"):
            prepare(EXP, args("--out", str(locked)))


def test_out_folder_of_another_configuration_is_refused(tmp_path):
    config = SDNetConfig(epochs=2).to_dict()
    check_recorded_settings(str(tmp_path), {"config": config}, force=False)
    (tmp_path / "experiment.json").write_text(json.dumps({"config": config}))
    with pytest.raises(ValueError, match=r"differing: config.epochs\)"):
        check_recorded_settings(str(tmp_path), {"config": {**config, "epochs": 3}}, force=False)
    check_recorded_settings(str(tmp_path), {"config": {**config, "epochs": 3}}, force=True)


def test_an_out_folder_recorded_before_a_configuration_field_existed_still_matches(tmp_path):
    config = SDNetConfig().to_dict()
    old = {k: v for k, v in config.items() if k != "w_area"}          # recorded before the area cost existed
    (tmp_path / "experiment.json").write_text(json.dumps({"config": old}))
    check_recorded_settings(str(tmp_path), {"config": config}, force=False)
    with pytest.raises(ValueError, match="differing: config.w_area"):      # the new field's default is the old behaviour
        check_recorded_settings(str(tmp_path), {"config": {**config, "w_area": 2.0}}, force=False)


def test_report_only_on_an_empty_folder_says_so(tmp_path, capsys):
    assert main(EXP, ["--report-only", "--out", str(tmp_path), "--cache-dir", str(tmp_path / "c")]) == 2
    assert "no experiment.json, not an output folder of an experiment" in capsys.readouterr().err


def test_any_folder_of_pairs_with_its_own_label_map(phantom_root, tmp_path):
    flat = flat_pairs_folder(phantom_root, tmp_path / "flat", 30)
    out = tmp_path / "out"
    plan = prepare(EXP, args("--data", str(flat), "--label-map", "MYO=2,LV=3", "--preset", "tiny", "--out", str(out),
                             "--cache-dir", str(tmp_path / "c")))
    assert plan.cfg.num_masks == 2 and plan.loader.structures == ("MYO", "LV")
    assert json.load(open(out / "experiment.json"))["structures"] == {"MYO": 2, "LV": 3}
    with pytest.raises(ValueError, match="label map 'MYO:2' is not of the form"):
        prepare(EXP, args("--data", str(flat), "--label-map", "MYO:2", "--out", str(out)))


def test_one_folder_of_pairs_per_modality_tag(phantom_root, tmp_path):
    cine = flat_pairs_folder(phantom_root, tmp_path / "cine", 12)
    lge = flat_pairs_folder(phantom_root, tmp_path / "lge", 12)      # the same subjects in another contrast
    plan = prepare(EXP, args("--data", f"MR={cine}", f"LGE={lge}", "--label-map", "MYO=2,LV=3", "--preset", "tiny",
                             "--out", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "c")))
    assert plan.loader.modalities == ("LGE", "MR") and plan.data_name.startswith(f"MR={cine}")
    sets = [set(plan.loader.load_labelled_data(0, kind).subjects()) for kind in ("training", "validation", "test")]
    assert not (sets[0] & sets[1] or sets[0] & sets[2] or sets[1] & sets[2])   # a person's two contrasts stay together
    assert set(plan.loader.load_labelled_data(0, "test").modality) == {"MR", "LGE"}
    with pytest.raises(ValueError, match="give the label values with --label-map"):
        prepare(EXP, args("--data", f"MR={cine}", f"LGE={lge}", "--out", str(tmp_path / "o2")))
    with pytest.raises(ValueError, match="give one folder, or TAG=FOLDER for each modality"):
        prepare(EXP, args("--data", str(cine), f"LGE={lge}", "--out", str(tmp_path / "o3")))


def lge_folder(phantom_root, folder, subjects):
    """Phantom frames in a public LGE set's layout: images/<name>.nii.gz, labels/<name>_manual.nii.gz."""
    for kind in ("images", "labels"):
        os.makedirs(os.path.join(folder, kind))
    for p in [f"patient{i:03d}" for i in subjects]:
        for f in os.listdir(os.path.join(phantom_root, p)):
            if "frame" in f:
                name = f.replace("_gt.nii.gz", "_manual.nii.gz")
                shutil.copy(os.path.join(phantom_root, p, f),
                            os.path.join(folder, "labels" if "_gt" in f else "images", name))
    return str(folder)


@pytest.mark.parametrize("lge_flags, suffix_flags", [
    (["LGE={val},{test}"], []),                         # a tag with two folders, the suffix found by itself
    (["LGE={val}", "LGE={test}"], ["LGE=_manual"]),     # the tag repeated, the suffix given for it alone
])
def test_cine_beside_an_lge_set_of_two_folders_with_its_own_suffix(lge_flags, suffix_flags, phantom_root, tmp_path):
    cine = flat_pairs_folder(phantom_root, tmp_path / "cine", 6)                   # ACDC's <name>_gt
    val = lge_folder(phantom_root, tmp_path / "lge" / "val", range(7, 10))
    test = lge_folder(phantom_root, tmp_path / "lge" / "TestSet", range(10, 13))
    lge = [flag.format(val=val, test=test) for flag in lge_flags]
    suffix = ["--mask-suffix", *suffix_flags] if suffix_flags else []
    plan = prepare(EXP, args("--data", f"MR={cine}", *lge, *suffix, "--label-map", "MYO=2,LV=3", "--preset", "tiny",
                             "--out", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "c")))
    assert plan.loader.modalities == ("LGE", "MR")
    assert plan.data_name == f"MR={cine}, LGE={val},{test}"
    assert sorted(plan.loader.subject_names.values()) == [f"patient{i:03d}" for i in range(1, 13)]


@pytest.mark.parametrize("flags, message", [
    (["--data", "LGE={val}", "LGE={val}"], "the folder {val} is given twice for the modality tag LGE"),
    (["--data", "{val}", "--mask-suffix", "LGE=_manual"], "--mask-suffix TAG=SUFFIX names the label maps of a modality tag"),
    (["--data", "LGE={val}", "--mask-suffix", "CT=_manual"], "--mask-suffix CT=...: no --data folder has that modality tag"),
    (["--data", "LGE={val}", "--mask-suffix", "LGE=_a", "LGE=_b"], "--mask-suffix: the modality tag LGE is given twice"),
    (["--data", "LGE={val}", "--mask-suffix", "_a", "LGE=_b"], "give one suffix, or TAG=SUFFIX for each modality"),
])
def test_per_tag_folders_and_suffixes_are_checked_before_anything_is_written(flags, message, phantom_root, tmp_path,
                                                                             capsys):
    val = lge_folder(phantom_root, tmp_path / "val", range(1, 4))
    out = tmp_path / "out"
    argv = [flag.format(val=val) for flag in flags]
    assert main(EXP, [*argv, "--label-map", "MYO=2,LV=3", "--preset", "tiny", "--out", str(out),
                      "--cache-dir", str(tmp_path / "c")]) == 2
    assert message.format(val=val) in capsys.readouterr().err
    assert not out.exists() or not os.listdir(out)


def test_mixtures_of_any_two_modality_tags_take_the_roles_of_mr_and_ct_in_data_order(phantom_root, tmp_path):
    import dataclasses

    from sdnet.experiments.runner import run_config
    from sdnet.experiments.multimodal import MIXTURES
    from sdnet.training.spec import RunSpec

    exp = dataclasses.replace(EXP, methods=("sdnet",), fractions=(1.0,), variants=MIXTURES,
                              modality_roles=("MR", "CT"))
    cine = flat_pairs_folder(phantom_root, tmp_path / "cine", 12)
    lge = flat_pairs_folder(phantom_root, tmp_path / "lge", 12)
    common = ("--label-map", "MYO=2,LV=3", "--preset", "tiny", "--cache-dir", str(tmp_path / "c"))
    plan = prepare(exp, parse(exp, ["--data", f"cine={cine}", f"LGE={lge}", *common,
                                                      "--out", str(tmp_path / "out")]))
    assert plan.roles == {"MR": "cine", "CT": "LGE"}          # the order of --data, not the alphabet
    mixture = RunSpec("sdnet", 1.0, 0, variant="MR100_CT12.5")
    assert run_config(plan, mixture).modality_fractions == "cine=1,LGE=0.125"
    from sdnet.experiments.runner import modality_roles

    assert modality_roles(exp, None, {"LGE": lge, "MR": cine}) == {"MR": "MR", "CT": "LGE"}   # MR keeps its part
    with pytest.raises(ValueError, match=r"mixes 2 modalities \(MR, CT\); the data has 1: MR"):
        prepare(exp, parse(exp, ["--data", str(cine), *common, "--out", str(tmp_path / "o2")]))


def test_quick_overrides_apply_to_the_quick_preset_only_and_set_wins(phantom_root, tmp_path):
    import dataclasses

    exp = dataclasses.replace(EXP, overrides={"patience": 3}, quick_overrides={"filters": 16, "epochs": 8})

    def cfg(*argv):
        return prepare(exp, parse(exp, [*argv, "--data", phantom_root, "--out", str(tmp_path / "out"), "--force",
                                        "--cache-dir", str(tmp_path / "c")]), count_disk=False).cfg

    quick, paper = cfg("--preset", "quick"), cfg("--preset", "paper")
    assert (quick.filters, quick.epochs, quick.patience) == (16, 8, 3)
    assert paper.filters == 64 and paper.patience == 3
    assert cfg("--preset", "quick", "--set", "epochs=2").epochs == 2


def test_a_method_gets_its_quick_changes_and_set_still_wins(phantom_root, tmp_path):
    """The equal-budget declaration: the U-Net's runs take as many batches an epoch as SDNet's,
    under the quick preset only; a --set value is the user's last word."""
    import dataclasses

    from sdnet.experiments.runner import run_config
    from sdnet.training.spec import RunSpec

    exp = dataclasses.replace(EXP, quick_method_overrides={"unet": {"batches_per_epoch": 7}},
                              variants={"wide": {"filters": 12}})

    def cfg(method, *argv, variant=""):
        plan = prepare(exp, parse(exp, [*argv, "--data", phantom_root, "--out", str(tmp_path / "out"), "--force",
                                        "--cache-dir", str(tmp_path / "c")]), count_disk=False)
        return run_config(plan, RunSpec(method, 1.0, 0, 1, variant))

    assert cfg("unet", "--preset", "quick").batches_per_epoch == 7
    assert cfg("sdnet", "--preset", "quick").batches_per_epoch == 25          # the preset's
    assert cfg("unet", "--preset", "paper").batches_per_epoch == 0
    assert cfg("unet", "--preset", "quick", variant="wide").filters == 12
    assert cfg("unet", "--preset", "quick", "--set", "batches_per_epoch=3").batches_per_epoch == 3
    bad = dataclasses.replace(exp, quick_method_overrides={"unet": {"batches_per_epoch": -1}})
    with pytest.raises(ValueError, match="batches_per_epoch=-1 is outside"):
        prepare(bad, parse(bad, ["--data", phantom_root, "--out", str(tmp_path / "o2"),
                                 "--cache-dir", str(tmp_path / "c")]),
                count_disk=False)


def test_report_only_refuses_flags_other_than_the_runs_were_made_with(tmp_path, capsys):
    from sdnet.config import get_preset

    out = tmp_path / "out"
    out.mkdir()
    (out / "experiment.json").write_text(json.dumps({"experiment": "t", "config": get_preset("tiny").to_dict(),
                                                     "data": "synthetic cardiac phantom (not real data)"}))
    assert main(EXP, ["--report-only", "--preset", "quick", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--report-only" in err and "config.image_size" in err
    assert main(EXP, ["--report-only", "--preset", "tiny", "--data", str(tmp_path), "--out", str(out)]) == 2
    assert "differing: data" in capsys.readouterr().err


def test_a_bad_data_file_is_reported_before_anything_is_written(phantom_root, tmp_path, capsys):
    flat = flat_pairs_folder(phantom_root, tmp_path / "flat", 10)
    with open(os.path.join(flat, sorted(os.listdir(flat))[3]), "wb") as f:
        f.write(b"not a NIfTI file")
    out = tmp_path / "out"
    assert main(EXP, ["--preset", "tiny", "--data", flat, "--label-map", "MYO=2,LV=3", "--methods", "unet",
                      "--out", str(out), "--cache-dir", str(tmp_path / "cache")]) == 2
    assert "cannot read this NIfTI" in capsys.readouterr().err
    assert not out.exists() or not os.listdir(out)


def _remove_patient(data):
    shutil.rmtree(os.path.join(data, "patient005"))


def _empty_patient(data):
    for name in os.listdir(os.path.join(data, "patient005")):
        os.remove(os.path.join(data, "patient005", name))


@pytest.mark.parametrize("change, argv, message", [   # (what the user's data or flags have, the message)
    (_remove_patient, [], "split 0 validation needs patient005/"),
    (_empty_patient, [], "split 0 validation needs patient005/"),
    (None, ["--labels", "0.001"], "--labels 0.001 (run unet/l0.001/split0): fraction 0.001 of 70 training subjects selects none"),
    (None, ["--only", "unet/l0.3/split0"], "--only unet/l0.3/split0: not a run of this grid"),
])
def test_data_and_grid_problems_are_reported_before_anything_is_written(change, argv, message, phantom_root,
                                                                        tmp_path, capsys):
    data = str(tmp_path / "training")
    shutil.copytree(phantom_root, data)
    if change is not None:
        change(data)
    out = tmp_path / "out"
    assert main(EXP, ["--preset", "tiny", "--data", data, "--methods", "unet", "--out", str(out),
                      "--cache-dir", str(tmp_path / "cache"), *argv]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists() or not os.listdir(out)


def test_the_disk_check_builds_each_architecture_once_and_refuses_too_little_space(phantom_root, tmp_path,
                                                                                   monkeypatch):
    """Runs that differ in how they train (seeds, learning rates) share one count of their sizes;
    a variant with other networks is counted apart."""
    import dataclasses
    import types

    import sdnet.methods
    from sdnet.experiments.runner import check_disk

    exp = dataclasses.replace(EXP, methods=("unet",), fractions=(1.0,), seeds=(1, 2),
                              variants={"slow": {"learning_rate": 1e-4}, "fast": {"learning_rate": 1e-3},
                                        "wide": {"filters": 8}})
    plan = prepare(exp, parse(exp, ["--preset", "tiny", "--data", phantom_root, "--seeds", "1", "2",
                                    "--out", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "c")]),
                   count_disk=False)
    built, build = [], sdnet.methods.build_method
    monkeypatch.setattr(sdnet.methods, "build_method", lambda name, cfg: built.append(cfg.filters) or build(name, cfg))
    free = {"bytes": 1e12}
    monkeypatch.setattr("shutil.disk_usage", lambda path: types.SimpleNamespace(free=free["bytes"]))
    check_disk(plan)
    assert sorted(built) == [4, 8]                  # tiny's filters, and the wide variant's
    free["bytes"] = 1e6
    with pytest.raises(ValueError, match=r"0\.0 GB free, the weights and checkpoints of 6 runs need about"):
        check_disk(plan)
