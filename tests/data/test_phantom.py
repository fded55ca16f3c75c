"""The phantom's two renderings differ the way cine MR and contrast CT do, so that the
multimodal experiments (modality from z, transfer, Table 3) have something real to find."""
import numpy as np

from sdnet.data.phantom import BACKGROUND, FAT, LV, MYO, render, subject_series


def tissue_intensities(modality):
    values = {}
    for k in range(1, 4):
        maps, _ = subject_series(0, k, 96, 3.0, 3, 1)
        image = render(maps[0], modality, np.random.default_rng(k), 3.0)
        for tissue in (MYO, LV, FAT, BACKGROUND):
            values.setdefault(tissue, []).append(image[maps[0] == tissue])
    return {tissue: np.concatenate(v) for tissue, v in values.items()}


def test_mr_and_ct_renderings_differ_in_contrast_fat_and_noise():
    mr, ct = tissue_intensities("MR"), tissue_intensities("CT")
    # blood pool against myocardium: about 3x in bright-blood cine MR, a weaker iodine contrast in CT
    assert mr[LV].mean() / mr[MYO].mean() > 2.5 and 1.2 < ct[LV].mean() / ct[MYO].mean() < 1.8
    # fat is bright in MR and darker than muscle in CT
    assert mr[FAT].mean() > 2 * mr[MYO].mean() and ct[FAT].mean() < 0.5 * ct[MYO].mean()
    # magnitude MR has Rician noise (air above zero); CT has zero-mean noise, and more of it
    assert mr[BACKGROUND].mean() > 0.5 * mr[BACKGROUND].std() and abs(ct[BACKGROUND].mean()) < 0.1 * ct[BACKGROUND].std()
    assert ct[BACKGROUND].std() > 1.5 * mr[BACKGROUND].std()
