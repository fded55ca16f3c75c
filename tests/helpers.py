"""What several test modules build: phantom scans and model folders on disk, fake results, the
weights of a method's networks. Imported as `helpers` (tests/ is on the path of every test)."""
import os

import nibabel as nib
import numpy as np

from sdnet.config import get_preset
from sdnet.data.phantom import ACDC_CODES, render, subject_series
from sdnet.io import write_json
from sdnet.training.folder import RunFolder

ACDC_ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "ACDC", "training")
ZOOMS = (1.1, 0.9, 7.0)
CODES = {"MYO": 2, "LV": 3, "RV": 1}


def oblique_affine():
    a, b = np.deg2rad(20), np.deg2rad(-35)
    rx = np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])
    rz = np.array([[np.cos(b), -np.sin(b), 0], [np.sin(b), np.cos(b), 0], [0, 0, 1]])
    affine = np.eye(4)
    affine[:3, :3] = rz @ rx @ np.diag(ZOOMS)
    affine[:3, 3] = [-80.0, 12.5, 40.0]
    return affine


def write_scan(folder, name, subject=7, phase=0, slices=6, size=150):
    """A phantom frame (image and label map) with 1.1 x 0.9 mm pixels, 7 mm slices, oblique."""
    maps, _ = subject_series(3, subject, size, 1.0, slices, 8)
    labels = np.zeros(maps[phase].shape, np.int16)
    for tissue, code in ACDC_CODES.items():
        labels[maps[phase] == tissue] = code
    image = render(maps[phase], "MR", np.random.default_rng(subject), 1.0)
    paths = []
    for array, suffix, dtype in ((image, "", np.int16), (labels, "_gt", np.uint8)):
        img = nib.Nifti1Image(np.moveaxis(array, 0, -1).astype(dtype), oblique_affine())
        img.header.set_zooms(ZOOMS)
        path = os.path.join(folder, f"{name}{suffix}.nii.gz")
        nib.save(img, path)
        paths.append(path)
    return paths


def fake_model_folder(folder, method="unet", structures=CODES):
    """An untrained tiny model in the layout of a finished run folder."""
    from sdnet.methods import build_method

    cfg = get_preset("tiny", num_masks=len(structures))
    os.makedirs(os.path.join(folder, "last"))
    build_method(method, cfg).save_weights(os.path.join(folder, "last"))
    write_json(os.path.join(folder, "run.json"),
               {"spec": {"method": method}, "config": cfg.to_dict(),
                "dataset": {"structures": list(structures), "label_codes": dict(structures),
                            "preprocessing": {"pixel_mm": 9.59, "image_size": 32}}})
    RunFolder(folder).write_result({"epochs_trained": 0})      # a finished run
    return folder


def fake_result(method, fraction, split, level, rng):
    def scores(keys):
        values = {k: float(np.clip(level + rng.normal(0, 0.02), 0, 1)) for k in keys}
        values["mean"] = float(np.mean([values[k] for k in ("MYO", "LV", "RV")]))
        return values

    volumes = {"original": [{"volume": str(v), "scores": scores(("MYO", "LV", "RV", "avg"))} for v in range(6)],
               "standard": [{"volume": f"patient{v:03d}_frame01", "scores": scores(("MYO", "LV", "RV"))}
                            for v in range(12)]}
    summary = {p: {k: (float(np.mean([v["scores"][k] for v in rows])), float(np.std([v["scores"][k] for v in rows])))
                   for k in rows[0]["scores"]} for p, rows in volumes.items()}
    return {"spec": {"method": method, "fraction": fraction, "split": split, "seed": 1, "variant": ""},
            "structures": ["MYO", "LV", "RV"], "summary_by_weights": {"last": summary, "best": summary},
            "volumes_by_weights": {"last": volumes, "best": volumes}, "notes": ["a data note"], "wall_s": 60.0,
            "test_weights": "last", "best_val_dice": level, "epochs_trained": 2,
            "optimizer_iterations": {"supervised": 10}, "hardware": {"backend": "tensorflow", "device": "CPU"}}


def weights_by_network(model):
    import keras

    if getattr(model, "discriminator", None) is not None:
        model.discriminator.trainable = True
    return {name: [keras.ops.convert_to_numpy(v).copy() for v in net.weights]
            for name, net in model.networks.items()}


def changed(before, after):
    """Names of the networks whose weights differ."""
    return {n for n in before if any(not np.array_equal(a, b) for a, b in zip(before[n], after[n]))}


def flat_pairs_folder(phantom_root, folder, subjects):
    """The labelled frames of phantom patients 1..`subjects` copied into one flat folder of
    <name>.nii.gz / <name>_gt.nii.gz pairs (the layout of a user's own data)."""
    import shutil

    os.makedirs(folder)
    for p in [f"patient{i:03d}" for i in range(1, subjects + 1)]:
        for f in os.listdir(os.path.join(phantom_root, p)):
            if "frame" in f:
                shutil.copy(os.path.join(phantom_root, p, f), os.path.join(folder, f))
    return str(folder)


def labelled_and_unlabelled(cfg, rng):
    """A Batch of the preset's size: labelled images with one square structure, and as many
    unlabelled images (what the semi-supervised methods' steps read)."""
    import numpy as np
    from sdnet.methods.base import Batch

    size = cfg.image_size
    images = rng.uniform(-1, 1, (cfg.batch_size, size, size, 1)).astype("float32")
    masks = np.zeros((cfg.batch_size, size, size, cfg.num_masks), "float32")
    masks[:, 8:20, 8:20, 1] = 1
    return Batch(images=images, masks=masks, unlabelled=rng.uniform(-1, 1, images.shape).astype("float32"))
