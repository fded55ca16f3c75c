"""Cardiac numbers from label maps: structure volumes (mL), LV mass, and from an end-diastolic
and an end-systolic frame the LV's EDV, ESV, stroke volume and ejection fraction."""
from __future__ import annotations

import numpy as np

MYOCARDIUM_DENSITY = 1.05      # g/mL: LV mass = myocardial volume x 1.05


def structure_volumes(label_map, voxel_mm, label_codes: dict) -> dict:
    """{structure: volume in mL} of an integer label map with voxel sizes `voxel_mm` (x, y, z)."""
    voxel_ml = float(np.prod(voxel_mm[:3])) / 1000.0
    return {name: float(np.count_nonzero(label_map == code)) * voxel_ml for name, code in label_codes.items()}


def cardiac_function(ed: dict, es: dict) -> dict:
    """EDV, ESV, SV (mL), EF (%) of the LV and LV mass (g, at ED) from the structure volumes of
    an ED and an ES frame; RV volumes and EF too where an RV is labelled."""
    out = {}
    for chamber in ("LV", "RV"):
        if chamber in ed and chamber in es:
            edv, esv = ed[chamber], es[chamber]
            out.update({f"{chamber}_EDV_ml": edv, f"{chamber}_ESV_ml": esv, f"{chamber}_SV_ml": edv - esv,
                        f"{chamber}_EF_percent": 100.0 * (edv - esv) / edv if edv > 0 else float("nan")})
    if "MYO" in ed:
        out["LV_mass_g"] = ed["MYO"] * MYOCARDIUM_DENSITY
    return out
