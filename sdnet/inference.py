"""A trained model back from its folder, and what it does to a scan.

A model folder is a finished run folder (run.json, last/ and best/ weights) or one written by
`export_model` (model.json, weights, and each network as a `.keras` file loadable with
safe_mode on). Either records the configuration, the preprocessing and the structures with
their label codes, so loading never needs the training data.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

import numpy as np

from sdnet.config import SDNetConfig
from sdnet.io import read_json, write_json

MODEL_FILE = "model.json"
FORMAT = 1


@dataclass
class TrainedModel:
    method: object           # a sdnet.methods.Method with its trained weights
    config: SDNetConfig
    dataset: dict            # structures, label codes, modalities, preprocessing
    spec: dict
    weights: str             # "last" or "best"
    folder: str

    @property
    def structures(self) -> tuple:
        return tuple(self.dataset["structures"])

    @property
    def label_codes(self) -> dict:
        return dict(self.dataset["label_codes"])

    @property
    def spacing_mm(self) -> float:
        return float(self.dataset["preprocessing"]["pixel_mm"])

    @property
    def image_size(self) -> int:
        return int(self.dataset["preprocessing"]["image_size"])

    def segment(self, images, batch_size=32):
        """Soft masks (N, H, W, L) of preprocessed images (N, H, W, 1) in [-1, 1]."""
        return self.method.segment(images, batch_size)

    def prepare(self, volume, zooms, source="scan"):
        from sdnet.data.preprocess import prepare_slices

        return prepare_slices(volume, zooms, self.spacing_mm, self.image_size, source)

    def segment_scan(self, volume, zooms, source="scan", batch_size=16):
        """A 3-D scan (H, W, slices) -> label map (H, W, slices) with the data set's label codes,
        on the scan's own grid: the soft masks and their background are resampled back
        (linearly) and the most probable label of every voxel is kept."""
        from sdnet.data.preprocess import restore_slices

        images, geometry = self.prepare(volume, zooms, source)
        soft = self.segment(images, batch_size)
        background = 1.0 - soft.sum(-1, keepdims=True)
        restored = np.concatenate([restore_slices(soft, geometry, fill=0.0),
                                   restore_slices(background, geometry, fill=1.0)], -1)
        winner = np.argmax(restored, -1)
        codes = np.array([self.label_codes[s] for s in self.structures] + [0])
        return codes[winner].astype(np.int16)

    def require_decomposition(self):
        if not hasattr(self.method, "encode"):
            raise ValueError(f"{self.folder}: a {self.spec['method']} model has no anatomy and modality "
                             "factors (decompose and synthesize need an SDNet model)")

    def decompose_scan(self, volume, zooms, source="scan", batch_size=16):
        """(anatomy channels (H, W, slices, C) on the scan's grid, z per slice (slices, nz))."""
        from sdnet.data.preprocess import restore_slices

        self.require_decomposition()
        images, geometry = self.prepare(volume, zooms, source)
        anatomy, z, _ = self.method.encode(images, batch_size)
        return restore_slices(anatomy, geometry, fill=0.0), z

    def synthesize_scan(self, anatomy_volume, anatomy_zooms, modality_volume, modality_zooms, batch_size=16):
        """The anatomy of one scan rendered with the modality of another (slice k takes z of
        slice k, or of the other scan's middle slice when the slice counts differ), on the
        anatomy scan's grid, intensities in [-1, 1]."""
        from sdnet.data.preprocess import restore_slices
        from sdnet.methods.base import predict

        self.require_decomposition()
        images, geometry = self.prepare(anatomy_volume, anatomy_zooms, "anatomy scan")
        other, _ = self.prepare(modality_volume, modality_zooms, "modality scan")
        s, _, _ = self.method.encode(images, batch_size)
        _, z, _ = self.method.encode(other, batch_size)
        if len(z) != len(s):
            z = np.repeat(z[len(z) // 2][None], len(s), axis=0)
        rendered = predict(self.method.decoder, [s, z], batch_size)
        return restore_slices(rendered, geometry, fill=-1.0)[..., 0]


def _describe(folder):
    for name in (MODEL_FILE, "run.json"):
        path = os.path.join(folder, name)
        if os.path.exists(path):
            return read_json(path)
    raise ValueError(f"{folder}: not a model folder (no {MODEL_FILE} or run.json): give a finished run folder "
                     "or one written by `sdnet export`")


def load_model(folder, weights=None, allow_unfinished=False) -> TrainedModel:
    """The trained method of a run folder or an exported model folder (`weights`: "last" or
    "best"; default: the exported ones, or a run's last). A run folder must hold a finished
    run (result.json and DONE): the weights of an interrupted run, best/ included, are those of
    a model still training (`allow_unfinished`: for diagnosing such runs)."""
    from sdnet.methods import build_method
    from sdnet.training.folder import RunFolder

    if not os.path.isdir(folder):
        raise ValueError(f"{folder}: model folder not found")
    description = _describe(folder)
    exported = os.path.exists(os.path.join(folder, MODEL_FILE))
    if not exported and not allow_unfinished and not RunFolder(folder).done:
        missing = " and ".join(f for f in ("result.json", "DONE") if not os.path.exists(os.path.join(folder, f)))
        raise ValueError(f"{folder}: the run is not finished (no {missing}); run its experiment's "
                         "command again to finish it, then use it")
    if description.get("format", FORMAT) > FORMAT:
        raise ValueError(f"{folder}: model format {description['format']} is newer than this version reads ({FORMAT})")
    try:
        cfg = SDNetConfig.from_dict(description["config"])
        spec, dataset = description["spec"], description["dataset"]
        dataset["preprocessing"]["pixel_mm"], dataset["label_codes"]
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(f"{folder}: model description not readable by this version ({err}); was it written by an "
                         "older sdnet?") from None
    weights = weights or description.get("weights", "last")
    weights_dir = os.path.join(folder, weights)
    method = build_method(spec["method"], cfg)
    files = [f"{name}.weights.h5" for name in method.networks]      # the method's own networks
    if not os.path.isdir(weights_dir) or not all(os.path.exists(os.path.join(weights_dir, f)) for f in files):
        kept = f"this exported model holds {description.get('weights', 'last')}/ only" if exported else "is the run finished?"
        raise ValueError(f"{folder}: no {weights}/ weights of every network of a {spec['method']} model "
                         f"({', '.join(files)}; {kept})")
    try:
        method.load_weights(weights_dir)
    except (OSError, ValueError) as err:
        raise ValueError(f"{weights_dir}: weights do not fit the recorded configuration ({err})") from None
    return TrainedModel(method, cfg, dataset, spec, weights, folder)


KERAS_FILES_NOTE = ("The .keras files hold SDNet's own layers: `import sdnet` before "
                    "`keras.saving.load_model(path)`, or Keras reports unknown classes such as "
                    "Keras2BatchNormalization.")


def export_model(run_folder, model_folder, weights="last"):
    """A self-contained model folder: model.json (configuration, preprocessing, structures and
    label codes, training run), the weights, every network as a `.keras` file and a README.txt
    saying how to load them."""
    from sdnet.io import check_writable_folder

    if os.path.exists(model_folder) and not os.path.isdir(model_folder):
        raise ValueError(f"{model_folder}: exists and is a file; give a new folder")
    if os.path.exists(model_folder) and os.listdir(model_folder):
        raise ValueError(f"{model_folder}: exists and is not empty; choose a new folder")
    model = load_model(run_folder, weights)
    check_writable_folder(model_folder, "model folder")
    os.makedirs(os.path.join(model_folder, weights), exist_ok=True)
    for name in os.listdir(os.path.join(run_folder, weights)):
        shutil.copy2(os.path.join(run_folder, weights, name), os.path.join(model_folder, weights, name))
    model.method.save(model_folder)
    description = _describe(run_folder)
    write_json(os.path.join(model_folder, MODEL_FILE),
               {"format": FORMAT, "spec": description["spec"], "config": description["config"],
                "dataset": description["dataset"], "versions": description.get("versions", {}),
                "weights": weights, "exported_from": os.path.abspath(run_folder), "run_finished": True,
                "epochs_trained": read_json(os.path.join(run_folder, "result.json")).get("epochs_trained")})
    with open(os.path.join(model_folder, "README.txt"), "w") as f:
        f.write(f"SDNet model exported from {os.path.abspath(run_folder)} ({weights} weights).\n"
                f"Use it with `sdnet segment --model {os.path.abspath(model_folder)} ...`.\n{KERAS_FILES_NOTE}\n")
    return model_folder
