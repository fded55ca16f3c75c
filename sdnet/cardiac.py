"""Cardiac numbers from label maps: structure volumes (mL), LV mass, and from an end-diastolic
and an end-systolic frame the LV's EDV, ESV, stroke volume and ejection fraction."""
from __future__ import annotations

import re

import numpy as np

MYOCARDIUM_DENSITY = 1.05      # g/mL: LV mass = myocardial volume x 1.05
ACDC_FRAME = re.compile(r"^(?P<subject>.+)_frame(?P<frame>\d+)$")
PHASE_TAG = re.compile(r"(?:^|[_-])(?P<phase>ED|ES)$", re.IGNORECASE)
PHASES = ("ED", "ES")


def subject_and_frame(name):
    """(subject, frame number) of an ACDC-style name `<subject>_frameXX`, else (name, None)."""
    m = ACDC_FRAME.match(name)
    return (m.group("subject"), int(m.group("frame"))) if m else (name, None)


def frames_of_phase(frames_by_subject: dict, phase: str) -> list:
    """The end-diastolic ("ED") or end-systolic ("ES") frame of each subject, from its frame
    names: a name ending in _ED / _ES, or else of a subject's two `_frameXX` frames the lower
    (ED) or the higher (ES) number, as ACDC names them. A subject whose names say neither is an
    error: guessing the phase would mix ED and ES images silently."""
    if phase not in PHASES:
        raise ValueError(f"cardiac phase {phase!r} is not one of {PHASES}")
    chosen = []
    for subject, frames in frames_by_subject.items():
        tagged = [f for f in frames if (m := PHASE_TAG.search(f)) and m.group("phase").upper() == phase]
        numbered = sorted((n, f) for f in frames if (n := subject_and_frame(f)[1]) is not None)
        if tagged:
            chosen += tagged
        elif len(numbered) == 2 and len(frames) == 2:
            chosen.append(numbered[0 if phase == "ED" else 1][1])
        else:
            raise ValueError(f"subject {subject}: cannot tell its {phase} frame from the names {sorted(frames)} "
                             f"(expected names ending in _ED / _ES, or two ACDC-style <subject>_frameXX frames)")
    return chosen


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
