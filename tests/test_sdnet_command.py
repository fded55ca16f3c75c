"""The `sdnet` command on phantom scans at an odd spacing and an oblique affine: label maps back
on the input grid, volumes in mL, bad input with clear errors."""
import csv
import json
import os

import nibabel as nib
import numpy as np
import pytest

from sdnet.cli import main
from sdnet.config import get_preset
from sdnet.data.preprocess import crop_or_pad, resample_slices
from sdnet.inference import TrainedModel
from sdnet.training.folder import RunFolder

from helpers import CODES, ZOOMS, fake_model_folder, write_scan

class Oracle:
    """A stand-in network that returns the true masks of the slices it is given, preprocessed
    as a network's input would be: what comes back on the input grid tests the geometry."""

    def __init__(self, labels, zooms, spacing_mm, image_size):
        onehot = np.stack([labels == code for code in CODES.values()], -1).astype(np.float64)
        soft = resample_slices(onehot, zooms, spacing_mm, order=1)
        self.masks = crop_or_pad(np.moveaxis(soft, 2, 0), image_size)

    def segment(self, images, batch_size):
        assert images.shape[:3] == self.masks.shape[:3]
        return self.masks


def dice(a, b):
    return 2 * np.logical_and(a, b).sum() / (a.sum() + b.sum())


@pytest.mark.parametrize("spacing_mm, image_size", [(1.37, 224), (2.0, 64)])   # padded, and cropped
def test_labels_come_back_on_the_input_grid(tmp_path, spacing_mm, image_size):
    from sdnet.data.preprocess import restore_slices

    image_path, gt_path = write_scan(str(tmp_path), "scan")
    labels = np.asarray(nib.load(gt_path).dataobj)
    volume = np.asarray(nib.load(image_path).dataobj, np.float64)
    dataset = {"structures": list(CODES), "label_codes": CODES,
               "preprocessing": {"pixel_mm": spacing_mm, "image_size": image_size}}
    model = TrainedModel(Oracle(labels, ZOOMS, spacing_mm, image_size), None, dataset, {"method": "oracle"},
                         "last", str(tmp_path))
    restored = model.segment_scan(volume, ZOOMS)
    assert restored.shape == labels.shape
    images, geometry = model.prepare(volume, ZOOMS)
    seen = restore_slices(np.ones(images.shape), geometry)[..., 0] > 0.5      # the model's field of view
    assert seen.all() == (image_size == 224)
    assert not restored[~seen].any()                                          # background outside it
    for name, code in CODES.items():
        assert dice(restored[seen] == code, labels[seen] == code) > 0.9, name


def test_volumes_of_label_maps_are_the_truth_in_ml(tmp_path):
    folder = str(tmp_path / "scans")
    os.makedirs(folder)
    _, ed = write_scan(folder, "patient007_frame01", phase=0)
    _, es = write_scan(folder, "patient007_frame04", phase=3)
    out = str(tmp_path / "volumes.csv")
    assert main(["volumes", "--masks", ed, es, "--out", out]) == 0
    (row,) = list(csv.DictReader(open(out)))
    voxel_ml = 1.1 * 0.9 * 7.0 / 1000
    for frame, path in (("ED", ed), ("ES", es)):
        labels = np.asarray(nib.load(path).dataobj)
        for name, code in CODES.items():
            assert float(row[f"{name}_{frame}_ml"]) == pytest.approx(np.count_nonzero(labels == code) * voxel_ml,
                                                                     abs=0.006)
    edv, esv = float(row["LV_EDV_ml"]), float(row["LV_ESV_ml"])
    assert edv > esv > 0 and float(row["LV_EF_percent"]) == pytest.approx(100 * (edv - esv) / edv, abs=0.02)
    assert float(row["LV_mass_g"]) == pytest.approx(float(row["MYO_ED_ml"]) * 1.05, abs=0.01)
    assert row["ED"] == "patient007_frame01_gt.nii.gz"


def test_bad_inputs_are_named_and_skipped(tmp_path, capsys):
    scans = tmp_path / "scans"
    scans.mkdir()
    good, gt = write_scan(str(scans), "good")
    nib.save(nib.load(gt), str(scans / "labels_as_image.nii.gz"))                       # a label map
    flat = nib.Nifti1Image(np.ones((8, 8), np.float32), np.eye(4))
    nib.save(flat, str(scans / "flat.nii.gz"))                                          # 2-D
    series = nib.Nifti1Image(np.random.default_rng(0).normal(size=(20, 20, 3, 4)).astype(np.float32), np.eye(4))
    series.header.set_zooms((1.0, 1.0, 8.0, 30.0))
    nib.save(series, str(scans / "cine.nii.gz"))                                        # 4-D without --frame
    model = fake_model_folder(str(tmp_path / "model"))
    out = tmp_path / "out"
    assert main(["segment", "--model", model, "--input", str(scans), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "labels_as_image.nii.gz: looks like a label map" in err
    assert "flat.nii.gz: expected a 3-D scan" in err
    assert "cine.nii.gz: a 4-D series of 4 frames: pass --frame N" in err
    written = nib.load(str(out / "good_seg.nii.gz"))                                     # the good one went through
    assert np.allclose(written.affine, nib.load(good).affine) and written.shape == nib.load(good).shape
    assert written.header.get_zooms() == pytest.approx(ZOOMS)
    assert set(np.unique(np.asarray(written.dataobj))) <= {0, 1, 2, 3}
    # 4-D with --frame and --all-frames
    assert main(["segment", "--model", model, "--input", str(scans / "cine.nii.gz"), "--out", str(out),
                 "--all-frames"]) == 0
    assert nib.load(str(out / "cine_seg.nii.gz")).shape == (20, 20, 3, 4)
    # an output folder that is an input folder, a model without weights, structures it lacks
    assert main(["segment", "--model", model, "--input", good, "--out", str(scans)]) == 2
    assert "is the folder of the input" in capsys.readouterr().err
    empty = tmp_path / "empty_model"
    empty.mkdir()
    (empty / "run.json").write_text(json.dumps(json.load(open(os.path.join(model, "run.json")))))
    RunFolder(str(empty)).write_result({"epochs_trained": 0})
    assert main(["segment", "--model", str(empty), "--input", good, "--out", str(out)]) == 2
    assert "no last/ weights" in capsys.readouterr().err
    lv_myo = fake_model_folder(str(tmp_path / "lv_myo"), structures={"MYO": 2, "LV": 3})
    assert main(["volumes", "--model", lv_myo, "--input", good, "--out", str(tmp_path / "v.csv"),
                 "--structures", "MYO", "LV", "RV"]) == 2
    assert "['RV'] asked for by --structures are not among them" in capsys.readouterr().err
    assert main(["decompose", "--model", model, "--input", good, "--out", str(out)]) == 2
    assert "a unet model has no anatomy and modality factors" in capsys.readouterr().err


@pytest.mark.slow
def test_a_trained_tiny_model_segments_a_scan_better_than_chance_and_decomposes_it(phantom_loader, tmp_path):
    from sdnet.training.run import Run, RunSpec

    # all 10 epochs (patience 10): the tiny preset's patience of 2 can stop it after epoch 2, when the
    # validation Dice is still 0.03 (seen on one machine and not another, the first epochs' score
    # being noise); by epoch 10 it is 0.6 there
    cfg = get_preset("tiny", epochs=10, batches_per_epoch=20, learning_rate=3e-3, decay=0.0, run_eagerly=False,
                     batch_size=8, filters=8, patience=10)
    run = str(tmp_path / "run")
    Run(RunSpec("sdnet", 1.0, 0), cfg, phantom_loader, run).execute()
    assert main(["export", run, str(tmp_path / "model")]) == 0
    assert all(os.path.exists(tmp_path / "model" / f"{n}.keras") for n in ("anatomy_encoder", "segmentor"))
    image, gt = write_scan(str(tmp_path), "scan")       # 165 mm across: the heart is a small part of it
    out = tmp_path / "out"
    assert main(["segment", "--model", str(tmp_path / "model"), "--input", image, "--out", str(out)]) == 0
    predicted = np.asarray(nib.load(str(out / "scan_seg.nii.gz")).dataobj)
    truth = np.asarray(nib.load(gt).dataobj)
    lv = dice(predicted == 3, truth == 3)
    chance = dice(np.random.default_rng(0).random(truth.shape) < (truth == 3).mean(), truth == 3)
    assert lv > 3 * chance, (lv, chance)
    assert main(["decompose", "--model", run, "--input", image, "--out", str(out)]) == 0
    anatomy = nib.load(str(out / "scan_anatomy.nii.gz"))
    assert anatomy.shape == truth.shape + (8,) and np.allclose(anatomy.affine, nib.load(image).affine)
    assert len(json.load(open(out / "scan_z.json"))["slices"]) == truth.shape[2]
    assert main(["synthesize", "--model", run, "--anatomy", image, "--modality", image,
                 "--out", str(out / "same.nii.gz")]) == 0
    assert nib.load(str(out / "same.nii.gz")).shape == truth.shape
