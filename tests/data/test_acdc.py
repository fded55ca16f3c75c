"""The ACDC loader on the phantom: every path, the cache, and bad input with clear errors."""
import os
import shutil

import numpy as np
import pytest

from sdnet.data import DataError
from sdnet.data.acdc import ACDCLoader, SPLITS

from helpers import flat_pairs_folder


def test_phantom_loads_through_every_acdc_path(phantom_loader):
    labelled = phantom_loader.load_labelled_data(0, "training")
    assert labelled.num_subjects == 70 and labelled.images.shape[1:] == (32, 32, 1)
    assert labelled.images.min() >= -1 and labelled.images.max() <= 1
    assert set(np.unique(labelled.masks)) <= {0.0, 1.0} and labelled.masks.sum(-1).max() <= 1
    assert labelled.masks.sum() > 0
    unlabelled = phantom_loader.load_unlabelled_data(0, "training")
    everything = phantom_loader.load_all_data(0, "training")
    assert phantom_loader.has_cine and unlabelled.num_subjects == 70
    # 4 phases, 2 labelled: the unlabelled images are the other 2 phases, all_data has all 4
    assert unlabelled.size() == labelled.size() and everything.size() == 2 * labelled.size()
    assert not any("frame" in v for v in unlabelled.frame)


@pytest.mark.parametrize("split", [0, 1, 2])
def test_split_subject_counts(phantom_loader, split):
    counts = [phantom_loader.load_labelled_data(split, t).num_subjects for t in ("training", "validation", "test")]
    assert counts == [70, 15, 15]
    assert sorted(sum(SPLITS[split].values(), [])) == list(range(1, 101))


def test_cache_is_reused_and_rebuilt_when_corrupt(phantom_root, tmp_path):
    loader = ACDCLoader(phantom_root, image_size=32, spacing_mm=9.59, cache_dir=str(tmp_path), workers=1)
    first = loader.load_labelled_data(0, "test")
    (cache,) = [p for p in os.listdir(tmp_path) if p.startswith("acdc-labelled")]
    with open(tmp_path / cache, "wb") as f:
        f.write(b"not a zip file")
    again = ACDCLoader(phantom_root, image_size=32, spacing_mm=9.59, cache_dir=str(tmp_path), workers=1)
    np.testing.assert_array_equal(again.load_labelled_data(0, "test").images, first.images)
    other = ACDCLoader(phantom_root, image_size=48, spacing_mm=6.4, cache_dir=str(tmp_path), workers=1)
    other.load_labelled_data(0, "test")
    assert len([p for p in os.listdir(tmp_path) if p.startswith("acdc-labelled")]) == 2


# -- bad input ----------------------------------------------------------------------------------------
def small_acdc(tmp_path, phantom_root, patients=("patient001",)):
    root = tmp_path / "acdc"
    for p in patients:
        shutil.copytree(os.path.join(phantom_root, p), root / p)
    return root


def first_frame(root):
    folder = root / "patient001"
    return folder, sorted(f for f in os.listdir(folder) if "frame" in f and "_gt" not in f)[0]


def load_all(root, tmp_path):
    return ACDCLoader(str(root), image_size=32, spacing_mm=9.59, cache_dir=str(tmp_path / "c"),
                      workers=1).load_labelled_data(0, "all")


def test_missing_folder(tmp_path):
    with pytest.raises(DataError, match="not found"):
        ACDCLoader(str(tmp_path / "nowhere"))


def test_frame_without_mask_and_mask_without_frame(tmp_path, phantom_root):
    root = small_acdc(tmp_path, phantom_root)
    folder, frame = first_frame(root)
    os.remove(folder / frame.replace(".nii", "_gt.nii"))
    with pytest.raises(DataError, match=f"{frame}: frame has no mask"):
        ACDCLoader(str(root))
    shutil.rmtree(root)
    root = small_acdc(tmp_path, phantom_root)
    os.remove(root / "patient001" / frame)
    with pytest.raises(DataError, match="mask has no image"):
        ACDCLoader(str(root))


def _write_like(path, data, template):
    import nibabel as nib
    ref = nib.load(str(template))
    img = nib.Nifti1Image(data, ref.affine)
    img.header.set_zooms(ref.header.get_zooms())
    nib.save(img, str(path))


def test_shape_mismatch_unknown_labels_nan_and_constant_images(tmp_path, phantom_root):
    import nibabel as nib
    root = small_acdc(tmp_path, phantom_root)
    folder, frame = first_frame(root)
    image, mask = folder / frame, folder / frame.replace(".nii", "_gt.nii")
    original_image, original_mask = np.asarray(nib.load(str(image)).dataobj), np.asarray(nib.load(str(mask)).dataobj)
    cases = [
        (mask, original_mask[:-2], "differs from image shape"),
        (mask, np.where(original_mask == 1, 7, original_mask).astype(np.uint8), r"label values \[7\]"),
        (image, np.where(original_image > 0, np.nan, 0).astype(np.float32), "NaN or infinite"),
        (image, np.full(original_image.shape, 5, np.int16), "constant"),
    ]
    for path, data, message in cases:
        _write_like(path, data, path)
        with pytest.raises(DataError, match=message) as err:
            load_all(root, tmp_path)
        assert frame.split(".")[0] in str(err.value)
        _write_like(image, original_image, image)
        _write_like(mask, original_mask, mask)


def test_truncated_file(tmp_path, phantom_root):
    root = small_acdc(tmp_path, phantom_root)
    folder, frame = first_frame(root)
    blob = (folder / frame).read_bytes()
    (folder / frame).write_bytes(blob[: len(blob) // 2])
    with pytest.raises(DataError, match="cannot read"):
        load_all(root, tmp_path)


def test_missing_split_subjects_and_bad_split(tmp_path, phantom_root):
    root = small_acdc(tmp_path, phantom_root)
    loader = ACDCLoader(str(root), image_size=32, spacing_mm=9.59, cache_dir=str(tmp_path / "c"), workers=1)
    with pytest.raises(DataError, match="split 0 test needs patient016/, patient017/.* and more, which is missing"):
        loader.load_labelled_data(0, "test")
    with pytest.raises(DataError, match="split 5 does not exist"):
        loader.load_labelled_data(5, "test")
    with pytest.raises(DataError, match="split_type"):
        loader.load_labelled_data(0, "train")


@pytest.mark.parametrize("damage", ["remove", "empty"])
def test_a_missing_or_empty_subject_folder_a_split_names_is_an_error(tmp_path, phantom_root, damage):
    """Not a silently smaller test set: the error names the subject."""
    root = tmp_path / "acdc"
    shutil.copytree(phantom_root, root, ignore=shutil.ignore_patterns("*_4d.nii.gz"))
    shutil.rmtree(root / "patient020")
    if damage == "empty":
        (root / "patient020").mkdir()
    loader = ACDCLoader(str(root), image_size=32, spacing_mm=9.59, cache_dir=str(tmp_path / "c"), workers=1)
    with pytest.raises(DataError, match="split 0 test needs patient020/, which is missing or has no labelled frame"):
        loader.load_labelled_data(0, "test")
    assert loader.load_labelled_data(0, "validation").num_subjects == 15      # other splits unaffected


def test_structures_label_codes_thickness_and_description(phantom_loader, phantom_root, tmp_path):
    assert phantom_loader.structures == ("MYO", "LV", "RV") and phantom_loader.label_codes == (2, 3, 1)
    test = phantom_loader.load_labelled_data(0, "test")
    frame = test.frames()[0]
    assert phantom_loader.voxel_size(frame) == (9.59, 9.59, 10.0)
    lv = test.masks[test.frame == frame][..., 1]
    assert phantom_loader.volume_ml(frame, lv) == pytest.approx(lv.sum() * 9.59 ** 2 * 10.0 / 1000)
    described = phantom_loader.describe()
    assert described["label_codes"] == {"MYO": 2, "LV": 3, "RV": 1}
    assert described["preprocessing"]["pixel_mm"] == 9.59 and described["preprocessing"]["image_size"] == 32
    two = ACDCLoader(phantom_root, image_size=32, spacing_mm=9.59, cache_dir=phantom_loader.cache_dir, workers=1,
                     structures={"MYO": 2, "LV": 3})
    lv_myo = two.load_labelled_data(0, "test")
    assert two.num_masks == 2
    np.testing.assert_array_equal(lv_myo.masks, test.masks[..., :2])       # the RV is background


def test_another_label_set_in_the_acdc_layout(phantom_loader, phantom_root):
    """e.g. M&Ms-style files in the ACDC layout: the user's map decides the channels; a value no
    mask has is a mistake named with the values found."""
    reordered = ACDCLoader(phantom_root, image_size=32, spacing_mm=9.59, cache_dir=phantom_loader.cache_dir, workers=1,
                           structures={"LV": 3, "MYO": 2})
    default = phantom_loader.load_labelled_data(0, "test")
    np.testing.assert_array_equal(reordered.load_labelled_data(0, "test").masks, default.masks[..., [1, 0]])
    wrong = ACDCLoader(phantom_root, image_size=32, spacing_mm=9.59, cache_dir=phantom_loader.cache_dir, workers=1,
                       structures={"LV": 3, "LA": 4})
    with pytest.raises(DataError, match=r"no mask has the label value\(s\) \{'LA': 4\} \(values found: \[0, 1, 2, 3\]\)"):
        wrong.load_labelled_data(0, "test")


def test_a_flat_folder_of_pairs_groups_the_frames_of_a_subject(phantom_root, tmp_path):
    from sdnet.data.acdc import open_cardiac_folder
    from sdnet.data.pairs import NiftiPairsLoader

    flat = flat_pairs_folder(phantom_root, tmp_path / "flat", 20)
    loader = open_cardiac_folder(str(flat), image_size=32, spacing_mm=9.59, cache_dir=str(tmp_path / "c"),
                                 structures={"MYO": 2, "LV": 3})
    assert isinstance(loader, NiftiPairsLoader) and loader.structures == ("MYO", "LV")
    data = loader.load_labelled_data(0, "all")
    assert data.num_subjects == 20 and len(data.frames()) == 40           # ED and ES of each patient
    for split in loader.splits():
        parts = [set(split[t]) for t in ("training", "validation", "test")]
        assert not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])
        assert sum(len(p) for p in parts) == 20
    assert loader.describe_subject(1) == "patient001"


def test_a_data_set_declared_with_structures_and_a_phase_loads_only_those(phantom_root, tmp_path):
    """Table 2's data: ACDC read as MYO + LV (the RV is background), ED frames only; a user's
    label map replaces the declared structures."""
    import dataclasses

    from sdnet.data.acdc import ACDC

    lv_myo_ed = dataclasses.replace(ACDC, structures=(("MYO", 2), ("LV", 3)), phase="ED")
    loader = lv_myo_ed.load(phantom_root, 32, 9.59, str(tmp_path))
    everything = ACDC.load(phantom_root, 32, 9.59, str(tmp_path)).load_labelled_data(0, "test")
    data = loader.load_labelled_data(0, "test")
    assert loader.structures == ("MYO", "LV") and data.masks.shape[-1] == 2
    assert len(data.frames()) == data.num_subjects == everything.num_subjects
    for subject, frames in everything.frames_by_subject().items():
        ed = min(frames, key=lambda f: int(f.rsplit("frame", 1)[1]))
        assert data.frames_by_subject()[subject] == [ed]
        np.testing.assert_array_equal(data.masks[data.frame == ed], everything.masks[everything.frame == ed][..., :2])
    assert loader.describe()["phase"] == "ED"
    assert lv_myo_ed.load(phantom_root, 32, 9.59, str(tmp_path), structures={"LV": 3}).structures == ("LV",)
