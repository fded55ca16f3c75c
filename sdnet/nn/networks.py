"""The five SDNet networks and the U-Net baseline, one functional builder each (channels-last).

Layer for layer as the authors' Keras 2.1.6 code (models/sdnet.py, unet.py, discriminator.py):
Keras default initialisers, plain `LeakyReLU()` with the original Keras slope 0.3, 0.2 in the
discriminator, batch normalisation with Keras 2's unbiased moving variance. Output layers compute in float32 so a mixed precision policy leaves the
softmax, tanh and latent outputs exact.
"""
import keras
from keras import layers

from sdnet.config import SDNetConfig
from sdnet.nn.layers import (ChannelSlice, FiLM, Keras2BatchNormalization, KLDivergence, Rounding, Sampling,
                             SpectralPenalty)

KERAS2_LEAKY_SLOPE = 0.3


def _leaky():
    return layers.LeakyReLU(negative_slope=KERAS2_LEAKY_SLOPE)


def _conv_block(x, filters):
    """2 x (Conv 3x3 same -> BatchNorm -> ReLU)."""
    for _ in range(2):
        x = layers.Conv2D(filters, 3, padding="same")(x)
        x = Keras2BatchNormalization()(x)
        x = layers.Activation("relu")(x)
    return x


def _upsample_block(x, filters):
    """UpSampling2D(2) -> Conv 3x3 same -> BatchNorm, linear (the original's activation='linear')."""
    x = layers.UpSampling2D(2)(x)
    x = layers.Conv2D(filters, 3, padding="same")(x)
    return Keras2BatchNormalization()(x)


def _unet_features(image, filters, downsample):
    """U-Net body: `downsample` poolings, bottleneck of filters * 2**downsample."""
    skips, x = [], image
    for level in range(downsample):
        x = _conv_block(x, filters * 2 ** level)
        skips.append(x)
        x = layers.MaxPooling2D(2)(x)
    x = _conv_block(x, filters * 2 ** downsample)
    for level in reversed(range(downsample)):
        x = _upsample_block(x, filters * 2 ** level)
        x = layers.Concatenate()([x, skips[level]])
        x = _conv_block(x, filters * 2 ** level)
    return x


def build_anatomy_encoder(cfg: SDNetConfig, name="anatomy_encoder"):
    """f_anatomy: image -> s, C softmax channels, binarised by straight-through rounding."""
    image = keras.Input(cfg.input_shape, name="image")
    x = _unet_features(image, cfg.filters, cfg.unet_downsample)
    s = layers.Conv2D(cfg.anatomy_channels, 1, activation="softmax", dtype="float32")(x)
    if cfg.rounding:
        s = Rounding(dtype="float32")(s)
    return keras.Model(image, s, name=name)


def build_unet(cfg: SDNetConfig, name="unet"):
    """The baseline U-Net: the anatomy encoder's body with an L+1 softmax output (last = background)."""
    image = keras.Input(cfg.input_shape, name="image")
    x = _unet_features(image, cfg.filters, cfg.unet_downsample)
    out = layers.Conv2D(cfg.num_masks + 1, 1, activation="softmax", dtype="float32")(x)
    return keras.Model(image, out, name=name)


def build_modality_encoder(cfg: SDNetConfig, name="modality_encoder"):
    """f_modality(s, x) -> [z, KL]: a VAE encoder on the anatomy and the image together."""
    s = keras.Input(cfg.input_shape[:2] + (cfg.anatomy_channels,), name="anatomy")
    image = keras.Input(cfg.input_shape, name="image")
    x = layers.Concatenate()([s, image])
    for _ in range(4):
        x = layers.Conv2D(cfg.modality_filters, 3, strides=2, padding="valid")(x)
        x = Keras2BatchNormalization()(x)
        x = _leaky()(x)
    x = layers.Flatten()(x)
    x = layers.Dense(32)(x)
    x = Keras2BatchNormalization()(x)
    x = _leaky()(x)
    z_mean = layers.Dense(cfg.num_z, name="z_mean", dtype="float32")(x)
    z_log_var = layers.Dense(cfg.num_z, name="z_log_var", dtype="float32")(x)
    z = Sampling(seed=cfg.seed, name="z", dtype="float32")([z_mean, z_log_var])
    kl = KLDivergence(name="divergence", dtype="float32")([z_mean, z_log_var])
    return keras.Model([s, image], [z, kl], name=name)


def build_segmentor(cfg: SDNetConfig, name="segmentor"):
    """h: s -> L masks (softmax over L+1 channels, background dropped)."""
    s = keras.Input(cfg.input_shape[:2] + (cfg.anatomy_channels,), name="anatomy")
    x = s
    for _ in range(2):
        x = layers.Conv2D(cfg.segmentor_filters, 3, padding="same")(x)
        x = Keras2BatchNormalization()(x)
        x = _leaky()(x)
    x = layers.Conv2D(cfg.num_masks + 1, 1, activation="softmax", dtype="float32")(x)
    masks = ChannelSlice(0, cfg.num_masks, dtype="float32")(x)
    return keras.Model(s, masks, name=name)


def _film_block(t, z, channels):
    """out = l1 + LeakyReLU(gamma * l2 + beta); (gamma, beta) = halves of an MLP of z."""
    l1 = _leaky()(layers.Conv2D(channels, 3, padding="same")(t))
    l2 = layers.Conv2D(channels, 3, padding="same")(l1)
    film = layers.Dense(2 * channels)(z)
    film = layers.Dense(2 * channels)(_leaky()(film))
    gamma = ChannelSlice(0, channels)(film)
    beta = ChannelSlice(channels, 2 * channels)(film)
    l2 = _leaky()(FiLM()([l2, gamma, beta]))
    return layers.Add()([l1, l2])


def build_decoder(cfg: SDNetConfig, name="decoder"):
    """g(s, z) -> image in [-1, 1]: four FiLM blocks then Conv 3x3 to one tanh channel."""
    s = keras.Input(cfg.input_shape[:2] + (cfg.anatomy_channels,), name="anatomy")
    z = keras.Input((cfg.num_z,), name="z")
    x = s
    for _ in range(4):
        x = _film_block(x, z, cfg.anatomy_channels)
    image = layers.Conv2D(1, 3, padding="same", activation="tanh", dtype="float32")(x)
    return keras.Model([s, z], image, name=name)


def build_mask_discriminator(cfg: SDNetConfig, name="mask_discriminator"):
    """D_M (LSGAN, no normalisation): a linear realness score for an L-channel mask."""
    masks = keras.Input(cfg.input_shape[:2] + (cfg.num_masks,), name="masks")
    f = cfg.discriminator_filters
    x = layers.Conv2D(f, 4, strides=2, padding="same")(masks)
    x = layers.LeakyReLU(negative_slope=0.2)(x)
    blocks = 4
    for i in range(blocks):
        in_channels = f * 2 ** i
        regulariser = None
        if cfg.spectral == "penalty":
            regulariser = SpectralPenalty(in_channels * 16, cfg.spectral_weight, seed=cfg.seed + i)
        x = layers.Conv2D(2 * in_channels, 4, strides=1 if i == blocks - 1 else 2, padding="same",
                          kernel_regularizer=regulariser)(x)
        x = layers.LeakyReLU(negative_slope=0.2)(x)
    x = layers.Flatten()(x)
    score = layers.Dense(1, dtype="float32")(x)
    return keras.Model(masks, score, name=name)


def build_area_regressor(cfg: SDNetConfig, name="area_regressor"):
    """Section 5.2: s -> the pixel count of one structure (the LV) in the slice. Two 3x3 convs
    of 16 filters and two dense layers of 16 and 1, each followed by a ReLU, as the paper lists
    them; the feature map is flattened before the dense layers (the paper names no pooling).
    The output's bias starts at 1 so that its ReLU does not start dead (output 0 and no gradient
    for every image), which a zero bias risks for half of all initialisations."""
    s = keras.Input(cfg.input_shape[:2] + (cfg.anatomy_channels,), name="anatomy")
    x = s
    for _ in range(2):
        x = layers.Conv2D(16, 3, padding="same", activation="relu")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(16, activation="relu")(x)
    area = layers.Dense(1, activation="relu", bias_initializer="ones", dtype="float32")(x)
    return keras.Model(s, area, name=name)
