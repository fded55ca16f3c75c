"""The loop's budget rules and its early projection of a run's duration."""
import logging
from types import SimpleNamespace

import pytest

from sdnet.config import get_preset
from sdnet.training.folder import RunFolder
from sdnet.training.loop import EpochLoop


def trainer(cfg, phases, tmp_path):
    method = SimpleNamespace(num_phases=lambda: phases)
    return EpochLoop(method, data=None, cfg=cfg, folder=RunFolder(str(tmp_path)), structures=("LV",), name="run")


@pytest.mark.parametrize("batches, phases, expected", [(25, 1, 6), (25, 2, 3), (0, 2, 6)])
def test_equal_budgets_share_the_epochs_among_phases(tmp_path, batches, phases, expected):
    cfg = get_preset("quick", batches_per_epoch=batches)
    assert trainer(cfg, phases, tmp_path).epochs_per_phase() == expected


def test_a_slow_run_on_a_cpu_is_announced_from_the_measured_pace(tmp_path, caplog, monkeypatch):
    from sdnet import hardware

    monkeypatch.setattr(hardware, "accelerator", lambda: None)
    t = trainer(get_preset("paper"), 1, tmp_path)
    with caplog.at_level(logging.INFO, logger="sdnet"):
        t._project(40.0, 300, {"phase": 0, "epoch": 0})
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    assert "40.00 s per step, 200.0 min per epoch of 300 steps: up to 1666.7 h for the 500 epochs left on this CPU" in record.message
    caplog.clear()
    fast = trainer(get_preset("quick"), 1, tmp_path)
    with caplog.at_level(logging.INFO, logger="sdnet"):
        fast._project(0.1, 25, {"phase": 0, "epoch": 0})
    assert caplog.records[0].levelno == logging.INFO


def test_a_stream_without_its_data_is_left_out_of_the_batches(batch):
    """SDNet without the unsupervised update and D_M (Table 3's setting) loads no unlabelled pool:
    its batches carry labelled pairs and real masks only."""
    from sdnet.data.dataset import Data
    from sdnet.data.training_data import TrainingData
    from sdnet.methods.base import SEMI_SUPERVISED
    from sdnet.methods.sdnet import SDNet
    from sdnet.training.loop import make_streams, next_batch

    x, m = batch
    data = Data(x, m, ["a", "b"])
    cfg = get_preset("tiny", train_unsupervised=False, train_discriminator=False)
    assert not SDNet.uses_unlabelled_pool.fget(SimpleNamespace(cfg=cfg))
    assert SDNet.uses_unlabelled_pool.fget(SimpleNamespace(cfg=get_preset("tiny")))
    method = SimpleNamespace(streams=SEMI_SUPERVISED)
    training = TrainingData(labelled=data, unlabelled=None, discriminator_masks=data, discriminator_images=None,
                            validation=data, test=data)
    streams = make_streams(method, data, training, cfg)
    assert set(streams) == {"labelled", "real_masks"}
    step = next_batch(streams)
    assert step.images.shape == x.shape and step.unlabelled is None and step.discriminator_images is None


def test_split_statistics_describe_the_same_images_whatever_the_method(phantom_loader):
    """`batchnorm_images=split`: a U-Net (no unlabelled pool) and SDNet recompute their statistics
    from the same images, every training image of the split; otherwise each from its own."""
    import numpy as np

    from sdnet.data.training_data import load_training_data
    from sdnet.training.loop import calibration_images

    def images(use_unlabelled, all_images):
        data = load_training_data(phantom_loader, 0, 0.1, use_unlabelled=use_unlabelled, max_unlabelled=40,
                                  all_images=all_images)
        return calibration_images(data, seed=1)

    unet, sdnet = images(False, True), images(True, True)
    assert np.array_equal(unet, sdnet) and len(unet) == 70          # one image of each of 70 subjects (capped)
    assert len(images(False, False)) < len(images(True, False))     # own images: the U-Net sees fewer
