"""Loaders, preprocessing, augmentation and streams on the phantom; bad input gets clear errors."""
import gzip
import os
import shutil

import numpy as np
import pytest

from sdnet.data import Data, DataError
from sdnet.data.acdc import ACDCLoader, SPLITS
from sdnet.data.augment import Rotation, rotate
from sdnet.data.preprocess import (channels_to_labels, clip_and_scale, crop_or_pad, labels_to_channels,
                                   labels_to_float_channels, resample_slices)
from sdnet.data.semi import load_training_data
from sdnet.data.streams import ArrayStream


# -- preprocessing ------------------------------------------------------------------------------
def test_crop_keeps_ceil_half_on_the_left_and_pad_puts_floor_half():
    a = np.arange(7)[None, :, None, None] * np.ones((1, 7, 7, 1))
    cropped = crop_or_pad(a, 4)
    assert cropped[0, :, 0, 0].tolist() == [2, 3, 4, 5]          # diff 3: ceil(1.5) = 2 off the left
    padded = crop_or_pad(np.arange(3)[None, :, None, None] * np.ones((1, 3, 3, 1)), 6)
    assert padded[0, :, 0, 0].tolist() == [0, 0, 1, 2, 2, 2]      # diff 3: 1 left, 2 right, edge values


def test_resampling_halves_a_2mm_grid_to_4mm_and_keeps_labels():
    labels = np.zeros((8, 8, 2))
    labels[2:6, 2:6] = 3
    out = resample_slices(labels, (2.0, 2.0), 4.0, order=0)
    assert out.shape == (4, 4, 2) and set(np.unique(out)) == {0, 3}


def test_clip_and_scale_maps_percentiles_to_minus_one_and_one():
    v = np.random.default_rng(0).normal(size=(20, 20, 3))
    out = clip_and_scale(v)
    assert out.min() == -1 and out.max() == 1


def test_labels_to_channels_orders_myo_lv_rv():
    channels = labels_to_channels(np.array([[0, 1, 2, 3]]), (2, 3, 1))
    assert channels[0].tolist() == [[0, 0, 0], [0, 0, 1], [1, 0, 0], [0, 1, 0]]


def test_cached_label_map_converts_back_to_the_same_float_channels(rng):
    """The cache stores channels_to_labels' uint8 map; the reload's fast path must invert it."""
    masks = labels_to_channels(rng.integers(0, 4, (5, 6, 7)), (1, 2, 3))
    back = labels_to_float_channels(channels_to_labels(masks), 3, chunk=2)
    assert back.dtype == np.float32
    np.testing.assert_array_equal(back, masks)


# -- the ACDC loader on the phantom ----------------------------------------------------------------
def test_phantom_loads_through_every_acdc_path(phantom_loader):
    labelled = phantom_loader.load_labelled_data(0, "training")
    assert labelled.num_volumes == 70 and labelled.images.shape[1:] == (32, 32, 1)
    assert labelled.images.min() >= -1 and labelled.images.max() <= 1
    assert set(np.unique(labelled.masks)) <= {0.0, 1.0} and labelled.masks.sum(-1).max() <= 1
    assert labelled.masks.sum() > 0
    unlabelled = phantom_loader.load_unlabelled_data(0, "training")
    everything = phantom_loader.load_all_data(0, "training")
    assert phantom_loader.has_cine and unlabelled.num_volumes == 70
    # 4 phases, 2 labelled: the unlabelled images are the other 2 phases, all_data has all 4
    assert unlabelled.size() == labelled.size() and everything.size() == 2 * labelled.size()
    assert not any("frame" in v for v in unlabelled.volume)


@pytest.mark.parametrize("split", [0, 1, 2])
def test_split_subject_counts(phantom_loader, split):
    counts = [phantom_loader.load_labelled_data(split, t).num_volumes for t in ("training", "validation", "test")]
    assert counts == [70, 15, 15]
    assert sorted(sum(SPLITS[split].values(), [])) == list(range(1, 101))


@pytest.mark.parametrize("fraction, subjects", [(0.015, 1), (0.03, 2), (0.06, 4), (0.125, 8), (0.25, 17),
                                                (0.5, 35), (1.0, 70)])
def test_labelled_fraction_counts_subjects(phantom_loader, fraction, subjects):
    data = load_training_data(phantom_loader, 0, fraction, seed=1, max_unlabelled=1200)
    assert data.labelled.num_volumes == subjects
    assert data.discriminator_masks.num_volumes == 70      # real masks: every labelled volume
    assert data.unlabelled.size() > 0


def test_labelled_subset_is_the_originals_numpy_draw(phantom_loader):
    data = load_training_data(phantom_loader, 0, 0.06, seed=1)
    np.random.seed(1)
    expected = np.random.choice(sorted(SPLITS[0]["training"]), size=4, replace=False)
    assert sorted(data.labelled.volumes()) == sorted(expected.tolist())


def test_unlabelled_pool_is_capped_evenly_per_subject(phantom_loader):
    data = load_training_data(phantom_loader, 0, 0.25, seed=1, max_unlabelled=140)
    assert data.unlabelled.size() <= 140 + 70 and data.unlabelled.num_volumes == 70


def test_without_cine_files_the_pool_is_the_unlabelled_subjects(phantom_root, tmp_path):
    root = tmp_path / "training"
    shutil.copytree(phantom_root, root, ignore=shutil.ignore_patterns("*_4d.nii.gz"))
    loader = ACDCLoader(str(root), image_size=32, spacing_mm=9.59, cache_dir=str(tmp_path / "c"), workers=1)
    data = load_training_data(loader, 0, 0.25, seed=1)
    assert not set(data.unlabelled.volumes()) & set(data.labelled.volumes())
    assert data.unlabelled.num_volumes == 70 - 17
    assert any("4-D" in n for n in data.notes)
    full = load_training_data(loader, 0, 1.0, seed=1)
    assert full.unlabelled.num_volumes == 70 and any("every training image" in n for n in full.notes)


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
    with pytest.raises(DataError, match="not there"):
        loader.load_labelled_data(0, "test")
    with pytest.raises(DataError, match="split 5 does not exist"):
        loader.load_labelled_data(5, "test")
    with pytest.raises(DataError, match="split_type"):
        loader.load_labelled_data(0, "train")


def test_empty_selection_is_an_error():
    data = Data(np.zeros((2, 4, 4, 1)), np.zeros((2, 4, 4, 3)), np.array([1, 1]))
    with pytest.raises(DataError, match="no images"):
        data.select_volumes([2]).require_nonempty("subject 2")
    with pytest.raises(DataError, match="cannot sample 3"):
        data.sample(3, seed=1)


# -- Data operations -------------------------------------------------------------------------------
def test_data_operations():
    images = np.arange(6, dtype=np.float32)[:, None, None, None] * np.ones((6, 4, 4, 1), np.float32)
    data = Data(images, np.zeros((6, 4, 4, 3)), np.array([1, 1, 2, 2, 3, 3]),
                volume=np.array(["a", "a", "b", "c", "d", "d"]))
    assert data.num_volumes == 3 and data.get_images(2)[:, 0, 0, 0].tolist() == [2, 3]
    assert data.sample(2, seed=0).num_volumes == 2
    assert data.sample_per_volume(1, seed=0).size() == 3
    assert data.merge(data).size() == 12
    assert data.crop(6).images.shape == (6, 6, 6, 1)
    assert [name for name, _, _ in data.by_volume()] == ["a", "b", "c", "d"]
    assert data.select_masks(1).masks.shape[-1] == 1


# -- augmentation and streams -------------------------------------------------------------------------
def test_rotation_by_zero_is_identity_and_by_180_flips_about_the_keras2_centre():
    a = np.random.default_rng(0).uniform(size=(8, 8, 1))
    np.testing.assert_allclose(rotate(a, 0.0), a, atol=1e-12)
    # Keras 2 rotated about (H/2 + 0.5, W/2 + 0.5) = (4.5, 4.5), one pixel off the grid centre
    # (3.5, 3.5): output (i, j) reads input (9 - i, 9 - j)
    np.testing.assert_allclose(rotate(a, 180.0)[2:, 2:], a[::-1, ::-1][:6, :6], atol=1e-6)


def test_image_and_mask_share_the_rotation():
    x = np.zeros((2, 16, 16, 1))
    x[:, 4:8, 3:12] = 1
    augment = Rotation(90.0, orders=(1, 1))
    xi, xm = augment((x, x.copy()), np.random.default_rng(3))
    np.testing.assert_allclose(xi, xm)
    assert not np.allclose(xi, x)


def test_stream_is_seeded_and_resumable():
    arrays = [np.arange(10)[:, None], np.arange(10)[:, None] * 2]
    a = ArrayStream(arrays, 4, seed=5)
    sizes = [len(next(a)[0]) for _ in range(3)]
    assert sizes == [4, 4, 2]                        # short last batch, as Keras 2 iterators
    state = a.state()
    expected = [next(a)[0].tolist() for _ in range(4)]
    b = ArrayStream(arrays, 4, seed=99)
    b.load_state(state)
    assert [next(b)[0].tolist() for _ in range(4)] == expected
    x, y = next(ArrayStream(arrays, 3, seed=1))
    np.testing.assert_array_equal(y, 2 * x)


def test_full_batches_complete_the_pass_from_the_next_permutation():
    stream = ArrayStream([np.arange(10)[:, None]], 4, seed=5, full_batches=True)
    batches = [next(stream).ravel().tolist() for _ in range(5)]
    assert all(len(b) == 4 for b in batches)
    assert sorted(sum(batches[:2], []) + batches[2][:2]) == list(range(10))   # first pass complete


def test_disjoint_real_masks_never_belong_to_an_image_the_model_sees_unlabelled(phantom_loader):
    data = load_training_data(phantom_loader, 0, 0.06, seed=1, discriminator_masks="disjoint")
    labelled = set(data.labelled.volumes())
    mask_subjects = set(data.discriminator_masks.volumes())
    seen_unlabelled = set(data.unlabelled.volumes()) | set(data.discriminator_images.volumes())
    assert labelled <= mask_subjects
    assert not (mask_subjects - labelled) & seen_unlabelled
    assert len(mask_subjects - labelled) == (70 - len(labelled)) // 2
    assert any("real masks" in n for n in data.notes)
