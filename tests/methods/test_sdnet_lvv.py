"""Section 5.2's multi-task SDNet: the area regressor, the two phases, the sixth update, and the
report's volumes on stub models."""
import os

import numpy as np
import pytest

from sdnet.config import get_preset
from sdnet.data.dataset import Data
from sdnet.data.training_data import TrainingData
from sdnet.methods import build_method
from sdnet.methods.base import Batch
from sdnet.methods.sdnet_lvv import PRETRAINED
from sdnet.nn.networks import build_area_regressor
from sdnet.reporting.lvv import frame_volumes, lvv_report

from helpers import changed, weights_by_network


def test_area_regressor_gives_one_non_negative_count_per_slice(tiny_cfg, rng):
    regressor = build_area_regressor(tiny_cfg)
    s = rng.uniform(-5, 5, (6, 32, 32, tiny_cfg.anatomy_channels)).astype("float32")
    area = np.asarray(regressor.predict_on_batch(s))
    assert area.shape == (6, 1) and np.all(area >= 0)
    assert [type(layer).__name__ for layer in regressor.layers[1:]] == ["Conv2D", "Conv2D", "Flatten", "Dense", "Dense"]


def _training_data(batch, structures=("MYO", "LV", "RV")):
    x, m = batch
    data = Data(x, m, np.array(["a", "b"]))
    return TrainingData(labelled=data, unlabelled=data.hide_masks(), discriminator_masks=data,
                        discriminator_images=data, validation=data, test=data, training=data,
                        structures=structures)


def test_phase_one_keeps_the_pretrained_weights_and_adds_the_area_update(tiny_cfg, batch, rng, tmp_path):
    method = build_method("sdnet_lvv", tiny_cfg)
    data = _training_data(batch)
    x, m = batch
    step = Batch(images=x, masks=m, unlabelled=x, real_masks=m, discriminator_images=x, area_images=x, area_masks=m)
    method.on_phase_start(0, data, str(tmp_path))
    before = weights_by_network(method)
    assert "area_MAE" not in method.train_step(step, rng)       # phase 0: SDNet as usual
    assert "area_regressor" not in changed(before, weights_by_network(method))

    method.on_phase_start(1, data, str(tmp_path))
    assert sorted(os.listdir(tmp_path / PRETRAINED)) == sorted(f"{n}.weights.h5" for n in method.networks)
    losses = method.train_step(step, rng)
    # the target is the LV pixel count of each slice (144 in the batch fixture)
    np.testing.assert_array_equal(method.areas(m), [[144.0], [144.0]])
    assert losses["area_MAE"] == pytest.approx(np.abs(144 - method.predict_areas(x)).mean(), rel=0.5)
    assert method.trainers["area"].optimizer.iterations.numpy() == 1
    # a resumed phase 1 keeps the first copy
    mtime = os.path.getmtime(tmp_path / PRETRAINED / "anatomy_encoder.weights.h5")
    method.on_phase_start(1, data, str(tmp_path))
    assert os.path.getmtime(tmp_path / PRETRAINED / "anatomy_encoder.weights.h5") == mtime


def test_without_the_area_cost_the_regressor_is_not_trained(batch, rng, tmp_path):
    method = build_method("sdnet_lvv", get_preset("tiny", w_area=0.0))
    x, m = batch
    method.on_phase_start(1, _training_data(batch), str(tmp_path))
    losses = method.train_step(Batch(images=x, masks=m, area_images=x, area_masks=m), rng)
    assert "area_MAE" not in losses and method.trainers["area"].optimizer.iterations.numpy() == 0


def test_a_data_set_without_the_area_structure_is_refused(tiny_cfg, batch, tmp_path):
    method = build_method("sdnet_lvv", tiny_cfg)
    data = _training_data((batch[0], batch[1][..., :2]), ("MYO", "RV"))
    with pytest.raises(ValueError, match="area of 'LV'.*\\['MYO', 'RV'\\]"):
        method.on_phase_start(0, data, str(tmp_path))


class StubMethod:
    """Segments and regresses from the masks it is given: exact, or `area_bias` pixels too many on
    even-numbered images and twice that on odd ones."""

    def __init__(self, masks, area_bias=0.0):
        self.masks, self.area_bias = masks, area_bias

    def _index(self, images):
        return np.rint(images[:, 0, 0, 0]).astype(int)

    def _lookup(self, images):
        return self.masks[self._index(images)]

    def segment(self, images, batch_size=32):
        return self._lookup(images)

    def predict_areas(self, images, batch_size=32):
        return self._lookup(images)[..., 1].sum(axis=(1, 2)) + self.area_bias * (1 + self._index(images) % 2)


class StubLoader:
    structures = ("MYO", "LV")
    spacing_mm = 2.0

    def volume_ml(self, frame, mask):
        return float(np.sum(mask) * 2.0 * 2.0 * 10.0 / 1000)


def _frames(rng, frames=4, slices=3):
    masks = (rng.uniform(size=(frames * slices, 16, 16, 2)) > 0.6).astype("float32")
    images = np.zeros((frames * slices, 16, 16, 1), "float32") + np.arange(frames * slices)[:, None, None, None]
    subject = np.repeat([f"p{i}" for i in range(frames)], slices)
    return Data(images, masks, subject, frame=np.char.add(subject, "_ED"))


def test_volumes_are_area_sums_times_voxel_size_and_the_report_writes_its_figure(rng, tmp_path):
    test = _frames(rng)
    exact = frame_volumes(StubMethod(test.masks), test, StubLoader(), channel=1)
    first = test.masks[:3, ..., 1].sum()
    assert exact[0]["true_ml"] == pytest.approx(first * 4 * 10 / 1000)
    assert all(r["regressed_ml"] == pytest.approx(r["true_ml"]) == pytest.approx(r["segmented_ml"]) for r in exact)

    biased = frame_volumes(StubMethod(test.masks, area_bias=5.0), test, StubLoader(), channel=1)
    # frame 0: 5 + 10 + 5 pixels too many, x 4 mm2 x 10 mm = 0.8 mL; frame 1: 10 + 5 + 10 = 1.0 mL
    errors = [b["regressed_ml"] - e["true_ml"] for b, e in zip(biased, exact)]
    np.testing.assert_allclose(errors, [0.8, 1.0, 0.8, 1.0], rtol=1e-5)

    cfg = get_preset("tiny", num_masks=2)
    lines = lvv_report({"fine-tuned": (StubMethod(test.masks), StubMethod(test.masks, 5.0), cfg, test)}, StubLoader(),
                       str(tmp_path))
    assert os.path.exists(tmp_path / "lvv_bland_altman.png")
    row = next(line for line in lines if line.startswith("| fine-tuned |"))
    assert float(row.split("|")[4]) < 0.05        # a systematic over-estimate is significant (paired t-test)
    assert any("138.57" in line for line in lines)
