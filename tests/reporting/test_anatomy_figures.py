"""Figs 3 and 4 from stand-in models: the files are written and the numbers beside them are right."""
import numpy as np

from sdnet.reporting.anatomy_figures import fig3, fig4, structure_colours


class Stub:
    def __init__(self, anatomy=None, masks=None):
        self._anatomy, self._masks = anatomy, masks

    def anatomy(self, images):
        return self._anatomy[None]

    def segment(self, images):
        return self._masks[None]


def test_fig3_measures_how_binary_the_factor_is(rng, tmp_path):
    soft = rng.uniform(0.05, 0.95, size=(16, 16, 4)).astype("float32")
    binary = np.round(soft)
    shares = fig3(np.zeros((16, 16, 1), "float32"), {"with rounding": Stub(binary), "without rounding": Stub(soft)},
                  str(tmp_path / "fig3.png"))
    assert shares == {"with rounding": 0.0, "without rounding": 1.0}
    assert (tmp_path / "fig3.png").stat().st_size > 0


def test_fig4_scores_each_model_on_the_image(tmp_path):
    mask = np.zeros((16, 16, 2), "float32")
    mask[4:8, 4:8, 0], mask[8:12, 8:12, 1] = 1, 1
    empty = np.zeros_like(mask)
    dice = fig4(np.zeros((16, 16, 1), "float32"), mask, ("MYO", "LV"),
                {"100 % labels": Stub(masks=mask), "1.5 % labels": Stub(masks=empty)}, str(tmp_path / "fig4.png"))
    assert dice["100 % labels"] == 1.0 and dice["1.5 % labels"] < 0.05
    assert (tmp_path / "fig4.png").stat().st_size > 0


def test_paper_colours_then_others():
    assert structure_colours(("RV", "MYO", "LV", "AO"))[:3] == [(0.9, 0.2, 0.2), (0.2, 0.4, 1.0), (0.2, 0.8, 0.2)]
    assert structure_colours(("AO",)) == [(0.9, 0.8, 0.1)]
