"""A synthetic short-axis cardiac cine phantom: the embedded default data of every experiment.

Each subject has its own heart size, wall thickness, position, orientation and body shape. The
heart contracts over the cycle (ED, frame 1, largest; ES smallest) and narrows from base to apex.
Around it sit the tissues a real scan has (body wall, fat, lungs, liver, aorta), so the anatomy
factor has more to encode than the labelled structures. Two renderings of the same anatomy:
MR-like (bright blood, dark myocardium, bias field, Rician-like noise) and CT-like (another
intensity map, Gaussian noise). Partial volume comes from a blur of the rendered slice.

Written in the ACDC layout (frames, _gt, _4d, Info.cfg) and the MM-WHS layout with real NIfTI
headers (pixel spacing, slice thickness), so the real loaders' code paths run on it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

# tissue codes of the phantom label map (1-3 are ACDC's RV, MYO, LV)
BACKGROUND, RV, MYO, LV, BODY, FAT, LUNG, LIVER, AORTA, PA, LA, RA = range(12)
ACDC_CODES = {RV: 1, MYO: 2, LV: 3}
MMWHS_CODES = {MYO: 205, LA: 420, LV: 500, RA: 550, RV: 600, AORTA: 820, PA: 850}

INTENSITY = {  # tissue -> mean intensity, per rendering
    "MR": {BACKGROUND: 0.0, RV: 0.85, MYO: 0.28, LV: 0.9, BODY: 0.42, FAT: 0.8, LUNG: 0.05,
           LIVER: 0.35, AORTA: 0.88, PA: 0.86, LA: 0.87, RA: 0.86},
    "CT": {BACKGROUND: 0.0, RV: 0.62, MYO: 0.47, LV: 0.66, BODY: 0.45, FAT: 0.18, LUNG: 0.02,
           LIVER: 0.55, AORTA: 0.7, PA: 0.64, LA: 0.65, RA: 0.63},
}


@dataclass
class Subject:
    """Random shape parameters of one subject (lengths in mm, angles in radians)."""
    lv_radius: float
    wall: float
    rv_radius: float
    rv_angle: float
    shift: tuple
    body: tuple
    ecc: float
    contraction: float
    es_frame: int

    @classmethod
    def draw(cls, rng, phases):
        return cls(lv_radius=rng.uniform(24, 34), wall=rng.uniform(8, 12), rv_radius=rng.uniform(32, 44),
                   rv_angle=rng.uniform(-0.5, 0.5) + np.pi, shift=tuple(rng.uniform(-20, 20, 2)),
                   body=(rng.uniform(150, 185), rng.uniform(110, 135)), ecc=rng.uniform(0.85, 1.0),
                   contraction=rng.uniform(0.25, 0.45),
                   es_frame=int(rng.integers(max(1, phases // 3), phases // 2 + 1)) if phases > 1 else 0)


def _contraction(t, es, phases):
    """0 at ED (t = 0), 1 at ES, back towards 0 at the end of the cycle."""
    if es == 0:          # a single phase: end-diastole
        return 0.0
    if t <= es:
        return np.sin(np.pi * t / (2 * es)) ** 2
    return np.cos(np.pi * (t - es) / (2 * (phases - es))) ** 2


def label_slice(subject: Subject, t, z, slices, phases, size, spacing):
    """The tissue map of one slice (z = 0 base ... slices-1 apex) at phase t."""
    half = (size - 1) / 2
    yy, xx = (np.mgrid[0:size, 0:size] - half) * spacing
    out = np.full((size, size), BACKGROUND, np.uint8)
    body = (xx / subject.body[0]) ** 2 + (yy / subject.body[1]) ** 2
    out[body < 1.0] = FAT
    out[body < 0.8] = BODY
    lung_r = 0.55 * subject.body[1]
    for side in (-1, 1):
        lung = ((xx - side * 0.5 * subject.body[0]) / (0.35 * subject.body[0])) ** 2 + \
               ((yy + 0.1 * subject.body[1]) / lung_r) ** 2
        out[(lung < 1) & (body < 0.8)] = LUNG
    liver = ((xx + 0.35 * subject.body[0]) / (0.45 * subject.body[0])) ** 2 + \
            ((yy - 0.75 * subject.body[1]) / (0.45 * subject.body[1])) ** 2
    out[(liver < 1 - 0.5 * z / slices) & (body < 0.8)] = LIVER
    aorta = (xx - 0.15 * subject.body[0]) ** 2 + (yy + 0.55 * subject.body[1]) ** 2
    out[aorta < 11 ** 2] = AORTA

    c = _contraction(t, subject.es_frame, phases)
    taper = np.sqrt(max(1 - (z / slices) ** 2, 0.05))          # narrower towards the apex
    r_lv = subject.lv_radius * (1 - subject.contraction * c) * taper
    r_epi = r_lv + subject.wall * (1 + 0.4 * c) * (0.7 + 0.3 * taper)
    cx, cy = subject.shift
    dx, dy = xx - cx, yy - cy
    rho = np.sqrt((dx * subject.ecc) ** 2 + dy ** 2)
    rv_len = subject.rv_radius * (1 - 0.25 * c) * taper
    if z < slices - 1:     # no RV at the apex
        rx, ry = cx + np.cos(subject.rv_angle) * r_epi * 0.9, cy + np.sin(subject.rv_angle) * r_epi * 0.9
        rv = ((xx - rx) / rv_len) ** 2 + ((yy - ry) / (0.75 * rv_len)) ** 2 < 1
        out[rv & (rho >= r_epi + 2.5)] = RV
        out[rv & (rho < r_epi + 2.5) & (rho >= r_epi)] = MYO     # RV free wall meets the septum
    out[rho < r_epi] = MYO
    out[rho < r_lv] = LV
    if z == 0:            # base: atria and pulmonary artery
        la = (xx - cx - 0.2 * r_epi) ** 2 + (yy - cy + 1.6 * r_epi) ** 2 < (0.5 * r_epi) ** 2
        ra = (xx - cx + 1.3 * r_epi) ** 2 + (yy - cy + 1.2 * r_epi) ** 2 < (0.45 * r_epi) ** 2
        pa = (xx - cx - 1.2 * r_epi) ** 2 + (yy - cy - 1.4 * r_epi) ** 2 < (0.35 * r_epi) ** 2
        out[la & (out != LV) & (out != MYO)] = LA
        out[ra & (out != LV) & (out != MYO)] = RA
        out[pa & (out != LV) & (out != MYO)] = PA
    return out


def render(labels, modality, rng, spacing):
    """Tissue map(s) (..., H, W) -> intensities in [0, ~1000] as the chosen modality images them."""
    table = INTENSITY[modality]
    lut = np.array([table[k] for k in range(len(table))], np.float64)
    image = lut[labels]
    sigma = [0] * (labels.ndim - 2) + [0.6 * 1.37 / spacing * 1.5] * 2
    image = ndimage.gaussian_filter(image, sigma)
    h, w = labels.shape[-2:]
    if modality == "MR":
        yy, xx = np.mgrid[0:h, 0:w] / max(h, w) - 0.5
        a = rng.uniform(-0.3, 0.3, 3)
        image = image * (1 + a[0] * xx + a[1] * yy + a[2] * xx * yy)
        noise = 0.03
        image = np.sqrt((image + rng.normal(0, noise, image.shape)) ** 2 + rng.normal(0, noise, image.shape) ** 2)
    else:
        image = image + rng.normal(0, 0.05, image.shape)
    return np.clip(image * 1000, -1000, 3000)


def subject_series(seed, subject_id, size, spacing, slices, phases):
    """(tissue maps (T, Z, H, W), Subject) of one subject."""
    rng = np.random.default_rng([seed, subject_id])
    subject = Subject.draw(rng, phases)
    maps = np.stack([np.stack([label_slice(subject, t, z, slices, phases, size, spacing)
                               for z in range(slices)]) for t in range(phases)])
    return maps, subject


def _nifti(array_hwz, spacing, thickness, dtype):
    import nibabel as nib

    affine = np.diag([spacing, spacing, thickness, 1.0])
    img = nib.Nifti1Image(array_hwz.astype(dtype), affine)
    zooms = (spacing, spacing, thickness) + (1.0,) * (array_hwz.ndim - 3)
    img.header.set_zooms(zooms)
    return img


def _code(maps, codes):
    out = np.zeros(maps.shape, np.int16)
    for tissue, value in codes.items():
        out[maps == tissue] = value
    return out


def write_acdc(root, subjects=100, seed=0, size=112, spacing=2.8, slices=5, phases=8,
               thickness=10.0, modality="MR", cine=True):
    """Write the ACDC layout: patientNNN/{_frameXX, _frameXX_gt, _4d}.nii.gz and Info.cfg."""
    import nibabel as nib

    os.makedirs(root, exist_ok=True)
    for pid in range(1, subjects + 1):
        maps, subject = subject_series(seed, pid, size, spacing, slices, phases)
        rng = np.random.default_rng([seed, pid, 1])
        images = render(maps, modality, rng, spacing)               # (T, Z, H, W)
        folder = os.path.join(root, f"patient{pid:03d}")
        os.makedirs(folder, exist_ok=True)
        name = f"patient{pid:03d}"
        ed, es = 1, subject.es_frame + 1
        for frame in (ed, es):
            nib.save(_nifti(np.moveaxis(images[frame - 1], 0, -1), spacing, thickness, np.int16),
                     os.path.join(folder, f"{name}_frame{frame:02d}.nii.gz"))
            nib.save(_nifti(np.moveaxis(_code(maps[frame - 1], ACDC_CODES), 0, -1), spacing, thickness, np.uint8),
                     os.path.join(folder, f"{name}_frame{frame:02d}_gt.nii.gz"))
        if cine:
            nib.save(_nifti(np.transpose(images, (2, 3, 1, 0)), spacing, thickness, np.int16),
                     os.path.join(folder, f"{name}_4d.nii.gz"))
        with open(os.path.join(folder, "Info.cfg"), "w") as f:
            f.write(f"ED: {ed}\nES: {es}\nGroup: PHANTOM\nHeight: 170.0\nNbFrame: {phases}\nWeight: 70.0\n")
    with open(os.path.join(root, "README.txt"), "w") as f:
        f.write(f"Synthetic cardiac phantom (sdnet.data.phantom), seed {seed}, {subjects} subjects, "
                f"{modality}-like rendering. Not real data.\n")
    return root


def write_mmwhs(root, subjects=20, seed=0, size=112, spacing=2.8, slices=5, thickness=10.0):
    """Write the MM-WHS layout: {mr,ct}_train_10NN_{image,label}.nii.gz, MM-WHS label values.
    MR and CT subjects are different people, as in the real data set."""
    import nibabel as nib

    os.makedirs(root, exist_ok=True)
    for offset, modality in ((0, "MR"), (1000, "CT")):
        for k in range(1, subjects + 1):
            maps, _ = subject_series(seed, offset + k, size, spacing, slices, 1)
            image = render(maps[0], modality, np.random.default_rng([seed, offset + k, 2]), spacing)
            stem = f"{modality.lower()}_train_{1000 + k}"
            nib.save(_nifti(np.moveaxis(image, 0, -1), spacing, thickness, np.int16),
                     os.path.join(root, f"{stem}_image.nii.gz"))
            nib.save(_nifti(np.moveaxis(_code(maps[0], MMWHS_CODES), 0, -1), spacing, thickness, np.int16),
                     os.path.join(root, f"{stem}_label.nii.gz"))
    with open(os.path.join(root, "README.txt"), "w") as f:
        f.write(f"Synthetic cardiac phantom (sdnet.data.phantom) in the MM-WHS layout, seed {seed}, {subjects} MR-like "
                f"and {subjects} CT-like subjects. Not real data.\n")
    return root


def default_phantom_root(cache_dir=None):
    from sdnet.data.cache import default_cache_dir

    return os.path.join(cache_dir or default_cache_dir(), "phantom", "ACDC", "training")


def ensure_phantom(root=None, writer=write_acdc, **kwargs):
    """The default phantom (`writer`'s layout: ACDC or MM-WHS), generated on first use
    (announced: it is synthetic)."""
    import logging

    root = root or default_phantom_root()
    done = os.path.join(root, "README.txt")
    if not os.path.exists(done):
        logging.getLogger(__name__).warning("generating the synthetic cardiac phantom in %s "
                                            "(not real data; pass --data for a real data set)", root)
        tmp = root + ".partial"
        writer(tmp, **kwargs)
        if os.path.exists(root):
            import shutil
            shutil.rmtree(root)
        os.replace(tmp, root)
    return root
