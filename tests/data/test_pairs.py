"""MM-WHS and generic NIfTI-pair loaders on phantom files of the documented layouts."""
import os
import shutil

import numpy as np
import pytest

from sdnet.data import DataError
from sdnet.data.phantom import write_acdc, write_mmwhs
from sdnet.data.pairs import MMWHS, MMWHSLoader, NiftiPairsLoader, parse_label_map, rotating_splits


@pytest.fixture(scope="module")
def mmwhs_root(tmp_path_factory):
    return write_mmwhs(str(tmp_path_factory.mktemp("mmwhs")), subjects=10, size=40, spacing=7.7, slices=3)


def test_mmwhs_has_seven_channels_and_a_modality_tag(mmwhs_root, tmp_path):
    loader = MMWHSLoader(mmwhs_root, image_size=32, spacing_mm=9.59, cache_dir=str(tmp_path))
    data = loader.load_labelled_data(0, "all")
    assert data.masks.shape[1:] == (32, 32, 7) and set(data.modality) == {"MR", "CT"}
    assert loader.modalities == ("CT", "MR") and loader.label_codes[0] == 205
    assert data.masks.sum(-1).max() <= 1
    present = data.masks.reshape(-1, 7).any(0)
    assert present.all(), present          # every structure appears in the phantom
    mr = loader.load_labelled_data(0, "training").with_modality("MR")
    assert set(mr.modality) == {"MR"} and mr.num_subjects == 7
    assert min(loader.load_labelled_data(0, "all").with_modality("CT").subject) > 2000


def test_the_mmwhs_data_set_reads_a_user_label_map(mmwhs_root, tmp_path):
    loader = MMWHS.load(mmwhs_root, 32, 9.59, str(tmp_path), structures={"MYO": 205, "LV": 500})
    assert loader.structures == ("MYO", "LV") and loader.load_labelled_data(0, "test").masks.shape[-1] == 2


def test_mmwhs_missing_label_file(mmwhs_root, tmp_path):
    root = tmp_path / "m"
    shutil.copytree(mmwhs_root, root)
    os.remove(root / "ct_train_1003_label.nii.gz")
    with pytest.raises(DataError, match="ct_train_1003_image.nii.gz: image has no label file"):
        MMWHSLoader(str(root))


def test_nifti_pairs_with_a_user_label_map_and_lv_volume(tmp_path):
    acdc = write_acdc(str(tmp_path / "acdc"), subjects=4, size=40, spacing=7.7, slices=3, phases=2, cine=False)
    flat = tmp_path / "flat"
    flat.mkdir()
    for p in sorted(os.listdir(acdc)):
        if p.startswith("patient"):
            for f in os.listdir(os.path.join(acdc, p)):
                if f.endswith(".nii.gz"):
                    shutil.copy(os.path.join(acdc, p, f), flat / f)
    loader = NiftiPairsLoader(str(flat), parse_label_map("MYO=2,LV=3"), image_size=32, spacing_mm=9.59,
                              cache_dir=str(tmp_path / "c"), heart_slices_only=False)
    data = loader.load_labelled_data(0, "all")
    assert data.masks.shape[-1] == 2 and data.num_subjects == 4 and len(data.frames()) == 8   # ED, ES together
    name, _, masks = next(data.by_frame())
    assert loader.slice_thickness(name) == 10.0
    assert loader.volume_ml(name, masks[..., 1]) == pytest.approx(masks[..., 1].sum() * 9.59 ** 2 * 10 / 1000)
    with pytest.raises(DataError, match="NAME=VALUE"):
        parse_label_map("MYO:2")


@pytest.mark.parametrize("n, sizes", [(20, [14, 3, 3]), (100, [70, 15, 15]), (5, [3, 1, 1]), (3, [1, 1, 1])])
def test_rotating_splits_partition_the_subjects(n, sizes):
    for split in rotating_splits(list(range(n))):
        assert sorted(sum(split.values(), [])) == list(range(n))
        assert [len(split[k]) for k in ("training", "validation", "test")] == sizes
    with pytest.raises(DataError, match="at least 3 subjects"):
        rotating_splits([1, 2])


def test_a_mixture_takes_its_own_fraction_of_each_modality(mmwhs_root, tmp_path):
    from sdnet.data.training_data import labelled_subset
    from sdnet.reporting.mixtures import scores_by_modality

    loader = MMWHSLoader(mmwhs_root, image_size=32, spacing_mm=9.59, cache_dir=str(tmp_path))
    training = loader.load_labelled_data(0, "training")           # 7 subjects per modality
    mixture = labelled_subset(training, 1.0, seed=1, modality_fractions={"MR": 1.0, "CT": 0.125})
    assert mixture.with_modality("MR").num_subjects == 7 and mixture.with_modality("CT").num_subjects == 1
    only_mr = labelled_subset(training, 1.0, seed=1, modality_fractions={"MR": 0.5, "CT": 0.0})
    assert set(only_mr.modality) == {"MR"} and only_mr.num_subjects == 3
    with pytest.raises(ValueError, match="names \\['LGE'\\], which no training image has .*\\['CT', 'MR'\\]"):
        labelled_subset(training, 1.0, seed=1, modality_fractions={"LGE": 1.0})
    # each test patient's score goes to its modality
    test = loader.load_labelled_data(0, "test")
    rows = [{"volume": str(s), "scores": {"avg": 0.5 if s < 2000 else 0.25}} for s in test.subjects()]
    scores = scores_by_modality({"volumes_by_weights": {"last": {"original": rows}}}, test)
    mr = [s for s in test.subjects() if s < 2000]
    assert mr and scores["MR"].tolist() == [50.0] * len(mr)
    assert scores["CT"].tolist() == [25.0] * (test.num_subjects - len(mr))


def test_two_modalities_labelled_with_different_values_are_refused_naming_the_folder(tmp_path):
    import nibabel as nib

    acdc = write_acdc(str(tmp_path / "acdc"), subjects=4, size=32, spacing=9.0, slices=2, phases=1, cine=False)
    folders = {"cine": tmp_path / "cine", "LGE": tmp_path / "lge"}
    for tag, folder in folders.items():
        folder.mkdir()
        for p in sorted(os.listdir(acdc)):
            if p.startswith("patient"):
                for f in os.listdir(os.path.join(acdc, p)):
                    target = folder / f"{tag}_{f}"
                    if tag == "LGE" and f.endswith("_gt.nii.gz"):      # this site codes the LV as 4
                        img = nib.load(os.path.join(acdc, p, f))
                        labels = np.asarray(img.dataobj).copy()
                        labels[labels == 3] = 4
                        nib.save(nib.Nifti1Image(labels, img.affine, img.header), target)
                    elif f.endswith(".nii.gz"):
                        shutil.copy(os.path.join(acdc, p, f), target)
    loader = NiftiPairsLoader({t: str(f) for t, f in folders.items()}, parse_label_map("MYO=2,LV=3"), image_size=32,
                              spacing_mm=9.0, cache_dir=str(tmp_path / "c"), heart_slices_only=False)
    with pytest.raises(DataError, match=r"lge: no LGE label map has the value\(s\) \{'LV': 3\}"):
        loader.load_labelled_data(0, "all")


def layouts(phantom_root, tmp_path, subjects=4):
    """The same phantom pairs in each layout a user may have: {layout: (folder, mask suffix given)}."""
    from helpers import flat_pairs_folder

    flat = flat_pairs_folder(phantom_root, tmp_path / "flat", subjects)
    pairs = sorted(f for f in os.listdir(flat) if not f.endswith("_gt.nii.gz"))
    made = {"flat _gt": (flat, None)}
    for suffix, given in (("_seg", None), ("_lab", "_lab")):           # a common suffix, and one of the user's
        folder = tmp_path / f"flat{suffix}"
        folder.mkdir()
        for f in pairs:
            shutil.copy(os.path.join(flat, f), folder / f)
            shutil.copy(os.path.join(flat, f.replace(".nii.gz", "_gt.nii.gz")), folder / f.replace(".nii.gz", f"{suffix}.nii.gz"))
        made[f"flat {suffix}"] = (str(folder), given)
    acdc = tmp_path / "acdc"
    for f in pairs:                                                      # patientNNN/ subfolders
        subject = f.split("_frame")[0]
        os.makedirs(acdc / subject, exist_ok=True)
        for name in (f, f.replace(".nii.gz", "_gt.nii.gz")):
            shutil.copy(os.path.join(flat, name), acdc / subject / name)
    made["ACDC subfolders"] = (str(acdc), None)
    split = tmp_path / "split"
    for sub in ("images", "labels"):
        (split / sub).mkdir(parents=True)
    for f in pairs:
        shutil.copy(os.path.join(flat, f), split / "images" / f.replace(".nii.gz", "_0000.nii.gz"))   # nnU-Net naming
        shutil.copy(os.path.join(flat, f.replace(".nii.gz", "_gt.nii.gz")), split / "labels" / f)
    made["images/ + labels/"] = (str(split), None)
    return made


def test_every_layout_and_a_custom_mask_suffix_load_the_same_pairs(phantom_root, tmp_path):
    from sdnet.data.pairs import folder_pairs

    found = {name: [(s, os.path.basename(i)) for s, i, _ in folder_pairs(folder, suffix)]
             for name, (folder, suffix) in layouts(phantom_root, tmp_path).items()}
    reference = found.pop("flat _gt")
    assert len(reference) == 8 and reference[0][0] == "patient001"
    for name, pairs in found.items():
        assert [s for s, _ in pairs] == [s for s, _ in reference], name
    loader = NiftiPairsLoader({"cine": str(tmp_path / "acdc"), "LGE": str(tmp_path / "split")},
                              {"MYO": 2, "LV": 3}, image_size=32, spacing_mm=9.59, cache_dir=str(tmp_path / "c"))
    assert loader.describe()["root"] == {"cine": str(tmp_path / "acdc"), "LGE": str(tmp_path / "split")}   # provenance


def test_label_maps_of_two_suffixes_are_ambiguous_and_refused(phantom_root, tmp_path):
    from sdnet.data.pairs import folder_pairs

    folder, _ = layouts(phantom_root, tmp_path)["flat _seg"]
    first = sorted(os.listdir(folder))[0]
    shutil.copy(os.path.join(folder, first), os.path.join(folder, first.replace(".nii.gz", "_gt.nii.gz")))
    with pytest.raises(DataError, match="several suffixes \\(_gt, _seg\\); say which with --mask-suffix"):
        folder_pairs(folder)
    assert len(folder_pairs(folder, "_seg")) == 8
