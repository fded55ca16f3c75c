"""data_prep/compact_acdc.py: the compact copy reads back, at the paper size, as the loaders'
own preprocessing of the original up to its rounding."""
import importlib.util
import os
import shutil

import nibabel as nib
import numpy as np
import pytest

from sdnet.data.acdc import ACDCLoader
from sdnet.data.preprocess import preprocess_pair

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "data_prep", "compact_acdc.py")


@pytest.fixture(scope="module")
def compact_acdc():
    spec = importlib.util.spec_from_file_location("compact_acdc", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def two_patients(tmp_path, phantom_root):
    root = tmp_path / "acdc"
    for p in ("patient001", "patient002"):
        shutil.copytree(os.path.join(phantom_root, p), root / p)
    return root


@pytest.mark.parametrize("bits", [8, 6])
def test_copy_reads_back_as_the_original_preprocessing(compact_acdc, tmp_path, phantom_root, bits):
    """On the phantom the 5-95 % clip of the cropped copy finds the same range, so the difference
    is the rounding alone: half a grey level of the [-1, 1] scale."""
    root, out = two_patients(tmp_path, phantom_root), tmp_path / "compact"
    assert compact_acdc.main([str(root), str(out), "--bits", str(bits)]) == 0
    frames = ACDCLoader(str(root), cache_dir=str(tmp_path / "c")).patients[1]["frames"]
    for _, image, mask in frames:
        copy = out / "patient001" / os.path.basename(image), out / "patient001" / os.path.basename(mask)
        original_images, original_labels, zooms = preprocess_pair(image, mask, 1.37, 224)
        images, labels, copy_zooms = preprocess_pair(str(copy[0]), str(copy[1]), 1.37, 224)
        assert copy_zooms == pytest.approx((1.37, 1.37, zooms[2]), abs=1e-5)
        np.testing.assert_array_equal(labels, original_labels)
        np.testing.assert_allclose(nib.load(str(copy[0])).affine[:3, :2],      # orientation kept
                                   nib.load(image).affine[:3, :2] * 1.37 / np.array(zooms[:2]), atol=1e-5)
        assert np.abs(images - original_images).max() <= 1.0 / (2 ** bits - 1) + 1e-6
    assert not any(f.endswith("_4d.nii.gz") for f in os.listdir(out / "patient001"))


def test_refuses_to_write_into_its_input(compact_acdc, tmp_path, phantom_root, capsys):
    root = two_patients(tmp_path, phantom_root)
    assert compact_acdc.main([str(root), str(root)]) == 2
    assert "is the input folder" in capsys.readouterr().err


def test_copy_at_the_quick_size_reads_back_without_a_second_resampling(compact_acdc, tmp_path, phantom_root):
    """`--image-size 64` writes the copy at the quick preset's 4.8 mm pixels: read at that size it
    gives the original's preprocessing up to the rounding, the labels exactly."""
    root, out = two_patients(tmp_path, phantom_root), tmp_path / "compact"
    assert compact_acdc.main([str(root), str(out), "--image-size", "64"]) == 0
    spacing = 1.37 * 224 / 64
    _, image, mask = ACDCLoader(str(root), cache_dir=str(tmp_path / "c")).patients[2]["frames"][0]
    original_images, original_labels, _ = preprocess_pair(image, mask, spacing, 64)
    copy = [str(out / "patient002" / os.path.basename(p)) for p in (image, mask)]
    images, labels, zooms = preprocess_pair(*copy, spacing, 64)
    assert images.shape == (original_images.shape[0], 64, 64, 1)
    assert zooms[:2] == pytest.approx((spacing, spacing), abs=1e-5)
    np.testing.assert_array_equal(labels, original_labels)
    assert np.abs(images - original_images).max() <= 1.0 / 255 + 1e-6


def test_refuses_an_image_size_the_networks_cannot_take(compact_acdc, tmp_path, phantom_root, capsys):
    root = two_patients(tmp_path, phantom_root)
    assert compact_acdc.main([str(root), str(tmp_path / "compact"), "--image-size", "50"]) == 2
    assert "image_size 50" in capsys.readouterr().err
