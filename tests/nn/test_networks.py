"""Shapes, binarity, parameter counts and ill-formed configurations of the five networks."""
import numpy as np
import pytest
from keras import ops

from sdnet.nn import networks
from sdnet.config import get_preset

CASES = [  # (builder, input shapes given the tiny preset, expected output shapes)
    (networks.build_anatomy_encoder, [(2, 32, 32, 1)], [(2, 32, 32, 8)]),
    (networks.build_unet, [(2, 32, 32, 1)], [(2, 32, 32, 4)]),
    (networks.build_modality_encoder, [(2, 32, 32, 8), (2, 32, 32, 1)], [(2, 8), (2, 1)]),
    (networks.build_segmentor, [(2, 32, 32, 8)], [(2, 32, 32, 3)]),
    (networks.build_decoder, [(2, 32, 32, 8), (2, 8)], [(2, 32, 32, 1)]),
    (networks.build_mask_discriminator, [(2, 32, 32, 3)], [(2, 1)]),
]


@pytest.mark.parametrize("builder, inputs, expected", CASES, ids=[c[0].__name__ for c in CASES])
def test_output_shapes(builder, inputs, expected, tiny_cfg):
    model = builder(tiny_cfg)
    rng = np.random.default_rng(0)
    outs = model([rng.uniform(-1, 1, s).astype("float32") for s in inputs] if len(inputs) > 1
                 else rng.uniform(-1, 1, inputs[0]).astype("float32"))
    outs = outs if isinstance(outs, (list, tuple)) else [outs]
    assert [tuple(o.shape) for o in outs] == expected


def test_anatomy_is_binary_with_at_most_one_channel_per_pixel(tiny_cfg):
    model = networks.build_anatomy_encoder(tiny_cfg)
    s = ops.convert_to_numpy(model(np.random.default_rng(0).uniform(-1, 1, (3, 32, 32, 1)).astype("float32")))
    assert set(np.unique(s)) <= {0.0, 1.0}
    assert s.sum(-1).max() <= 1


def test_rounding_off_gives_a_soft_anatomy(tiny_cfg):
    model = networks.build_anatomy_encoder(tiny_cfg.replace(rounding=False))
    s = ops.convert_to_numpy(model(np.random.default_rng(0).uniform(-1, 1, (1, 32, 32, 1)).astype("float32")))
    np.testing.assert_allclose(s.sum(-1), 1, rtol=1e-5)
    assert len(np.unique(s)) > 2


def test_segmentor_output_is_the_first_l_softmax_channels(tiny_cfg):
    model = networks.build_segmentor(tiny_cfg)
    s = np.eye(8, dtype="float32")[np.random.default_rng(0).integers(0, 8, (2, 32, 32))]
    masks = ops.convert_to_numpy(model(s))
    assert masks.min() >= 0 and masks.sum(-1).max() < 1


def test_paper_parameter_counts():
    """The counts of the authors' Keras 2 models at 224 x 224, F = 64, C = 8, L = 3."""
    from sdnet.summary import parameter_counts

    counts = {name: (t, n) for name, t, n in parameter_counts(get_preset("paper"))}
    assert counts == {"anatomy_encoder": (34526344, 13696), "modality_encoder": (95552, 192),
                      "segmentor": (42116, 256), "decoder": (6409, 0), "mask_discriminator": (11346881, 0)}


@pytest.mark.parametrize("overrides, message", [
    ({"image_size": 40, "unet_downsample": 4}, "divisible"),
    ({"image_size": 16, "unet_downsample": 2}, "outside its range"),
    ({"image_size": 32, "unet_downsample": 6}, "divisible"),
    ({"anatomy_channels": 0}, "anatomy_channels=0 is outside"),
])
def test_configurations_the_networks_cannot_build_raise(overrides, message):
    with pytest.raises(ValueError, match=message):
        get_preset("tiny", **overrides)
