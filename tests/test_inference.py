"""A run folder rebuilds its trained model without the training data; `import sdnet` is enough
to load the saved `.keras` networks with safe_mode on."""
import os
import subprocess
import sys

import numpy as np
import pytest

from sdnet.config import get_preset
from sdnet.inference import load_model
from sdnet.training.run import Run, RunSpec

pytestmark = pytest.mark.slow


def test_load_run_rebuilds_the_trained_networks(phantom_loader, tmp_path):
    cfg = get_preset("tiny", epochs=1, batches_per_epoch=2, max_unlabelled=16)
    folder = str(tmp_path / "run")
    Run(RunSpec("sdnet", 1.0, 0), cfg, phantom_loader, folder).execute()
    trained = load_model(folder)
    images = phantom_loader.load_labelled_data(0, "test").images[:4]
    from sdnet.methods.sdnet import SDNet

    again = SDNet(cfg)
    again.load_weights(os.path.join(folder, "last"))
    np.testing.assert_allclose(trained.segment(images), again.segment(images), atol=1e-6)
    assert trained.structures == ("MYO", "LV", "RV") and trained.dataset["preprocessing"]["image_size"] == 32
    with pytest.raises(ValueError, match="not a model folder"):
        load_model(str(tmp_path))

    from sdnet.cli import main

    assert main(["export", folder, str(tmp_path / "model")]) == 0
    exported = load_model(str(tmp_path / "model"))
    np.testing.assert_allclose(exported.segment(images), trained.segment(images), atol=1e-6)


@pytest.mark.parametrize("imports", ["import sdnet, keras", "import keras, sdnet"])
def test_import_sdnet_is_enough_to_load_a_saved_network(tmp_path, imports):
    from sdnet.methods.sdnet import SDNet

    SDNet(get_preset("tiny")).save(str(tmp_path))
    script = (f"import sys; {imports}\n"
              "for name in ('anatomy_encoder', 'modality_encoder', 'decoder', 'mask_discriminator', 'segmentor'):\n"
              "    keras.saving.load_model(f'{sys.argv[1]}/{name}.keras', safe_mode=True)\n")
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


def test_the_command_lines_import_no_backend_until_they_train():
    script = ("import sys, sdnet, sdnet.cli, sdnet.experiments.cli, sdnet.reporting.report\n"
              "assert not {'keras', 'tensorflow', 'jax', 'torch'} & set(sys.modules), sorted(sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
