"""Volumes in mL, LV mass and ejection fraction from label maps."""
import numpy as np
import pytest

from sdnet.cardiac import cardiac_function, structure_volumes


def test_volumes_mass_and_ejection_fraction_by_hand():
    ed = np.zeros((10, 10, 4), np.int16)
    ed[2:6, 2:6, :] = 3           # LV: 16 x 4 = 64 voxels
    ed[0:2, 0:10, :] = 2          # MYO: 20 x 4 = 80 voxels
    es = np.zeros_like(ed)
    es[2:4, 2:6, :] = 3           # LV: 32 voxels
    voxel = (1.5, 1.5, 8.0)       # 18 mm^3
    codes = {"MYO": 2, "LV": 3, "RV": 1}
    v_ed, v_es = structure_volumes(ed, voxel, codes), structure_volumes(es, voxel, codes)
    assert v_ed == {"MYO": pytest.approx(80 * 0.018), "LV": pytest.approx(64 * 0.018), "RV": 0.0}
    f = cardiac_function(v_ed, v_es)
    assert f["LV_EDV_ml"] == pytest.approx(1.152) and f["LV_ESV_ml"] == pytest.approx(0.576)
    assert f["LV_SV_ml"] == pytest.approx(0.576) and f["LV_EF_percent"] == pytest.approx(50.0)
    assert f["LV_mass_g"] == pytest.approx(80 * 0.018 * 1.05)
    assert np.isnan(f["RV_EF_percent"])             # no RV: no ejection fraction, not a division error


def test_the_phase_of_each_subject_comes_from_its_frame_names():
    from sdnet.cardiac import frames_of_phase

    frames = {"patient001": ["patient001_frame12", "patient001_frame01"],   # ACDC: the lower number is ED
              "case7": ["case7_ES", "case7_ED"], "x": ["x-ed", "x-es"]}
    assert sorted(frames_of_phase(frames, "ED")) == ["case7_ED", "patient001_frame01", "x-ed"]
    assert sorted(frames_of_phase(frames, "ES")) == ["case7_ES", "patient001_frame12", "x-es"]
    with pytest.raises(ValueError, match="subject scan3: cannot tell its ED frame"):
        frames_of_phase({"scan3": ["scan3_a", "scan3_b"]}, "ED")
    with pytest.raises(ValueError, match="not one of"):
        frames_of_phase(frames, "mid")
