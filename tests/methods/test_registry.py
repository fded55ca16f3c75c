"""Methods by name: each entry loads its class, owns its settings and display name, and a new
method is its module plus one entry (shown with a throw-away method defined here)."""
from types import SimpleNamespace

import numpy as np
import pytest

from sdnet import config
from sdnet.config import Setting, get_preset, parse_overrides
from sdnet.methods.base import Batch, Stream
from sdnet.methods.registry import METHODS, MethodEntry, build_method, display_name, merged_settings
from sdnet.methods.unet import UNet
from sdnet.training.loop import make_streams, next_batch


@pytest.mark.parametrize("name", sorted(METHODS))
def test_each_entry_loads_the_class_of_its_name(name):
    assert METHODS[name].load().name == name


def test_unknown_methods_are_named(tiny_cfg):
    with pytest.raises(ValueError, match="unknown method 'vae'"):
        build_method("vae", tiny_cfg)


@pytest.mark.parametrize("setting, owner", [("w_area", "sdnet_lvv"), ("self_train_rounds", "selftrain"),
                                            ("fake_masks", "gan"), ("w_kl", "sdnet")])
def test_a_methods_own_setting_is_a_setting_like_the_shared_ones(setting, owner):
    assert setting in METHODS[owner].settings and setting not in config.SHARED_FIELDS
    assert setting in get_preset("paper").to_dict()


@pytest.mark.parametrize("name, setting", [
    ("image_size", Setting(64)),                       # a shared field
    ("w_kl", Setting(0.5, 0, 1)),                      # SDNet's, with another default
])
def test_a_setting_cannot_be_declared_over_another(name, setting):
    with pytest.raises(ValueError, match=name):
        merged_settings([*METHODS.values(), MethodEntry("elsewhere:Method", "another", {name: setting})])


# -- a throw-away method: its module would be this class, its registry entry the lines below ----
def _every_other_labelled_image(labelled, data):
    return [labelled.images[::2]]


class ScaledUNet(UNet):
    """The U-Net, also reading an extra stream of labelled images; its own setting scales nothing
    but is recorded, to show where a new method's setting goes."""
    name = "scaled_unet"
    streams = UNet.streams + (Stream("every_other", ("every_other",), _every_other_labelled_image),)


TOY = MethodEntry(f"{__name__}:ScaledUNet", "Scaled U-Net",
                  {"toy_scale": Setting(1.0, 0, 10, help="what the toy method scales")})


@pytest.fixture
def toy_method(monkeypatch):
    monkeypatch.setitem(METHODS, "scaled_unet", TOY)       # its settings come with the entry
    return TOY


def test_a_new_method_is_its_class_and_one_registry_entry(toy_method, tiny_cfg, batch):
    overrides = parse_overrides(["toy_scale=2.5"])
    cfg = tiny_cfg.replace(**overrides)
    method = build_method("scaled_unet", cfg)
    assert method.cfg.toy_scale == 2.5 and cfg.to_dict()["toy_scale"] == 2.5
    assert display_name("scaled_unet") == "Scaled U-Net"
    with pytest.raises(ValueError, match="toy_scale"):
        get_preset("tiny", toy_scale=11.0)

    x, m = batch
    labelled = SimpleNamespace(images=x, masks=m)
    data = SimpleNamespace(seed=1)
    streams = make_streams(method, labelled, data, cfg.replace(augment=False))
    step = next_batch(streams)
    assert set(streams) == {"labelled", "every_other"}
    assert step.every_other.shape[1:] == x.shape[1:] and step.unlabelled is None
    assert set(method.train_step(Batch(images=step.images, masks=step.masks), np.random.default_rng(0))) == {"supervised_Mask"}


def test_the_registry_loads_no_backend():
    import subprocess
    import sys

    script = ("import sys, sdnet.config\n"          # the methods' settings found without importing them first
              "assert sdnet.config.get_preset('paper').w_kl == 0.01\n"
              "assert not {'keras', 'tensorflow', 'jax', 'torch'} & set(sys.modules), sorted(sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
