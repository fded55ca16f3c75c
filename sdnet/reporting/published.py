"""The paper's published tables as data, for the reports to stand beside.

Source: Chartsias et al. 2019, as cleaned in shared/paper/published_results.md. A table maps
labelled fraction -> method -> [(mean, std) per structure column], in Dice %.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional


@dataclass(frozen=True)
class PublishedTable:
    name: str                      # e.g. "Table 1"
    caption: str
    structures: tuple              # the columns of every method, e.g. ("MYO", "LV", "RV", "avg")
    rows: dict                     # fraction -> method -> [(mean, std or None)]
    significant: frozenset = field(default_factory=frozenset)   # (fraction, column) starred for SDNet
    variant_notes: dict = field(default_factory=dict)   # variant -> what the paper says of it, as text

    @property
    def fractions(self):
        return tuple(self.rows)

    @property
    def methods(self):
        return tuple(dict.fromkeys(m for row in self.rows.values() for m in row))

    def cell(self, fraction, method) -> Optional[dict]:
        """{column: (mean, std)} in Dice %, or None when the table has no such row."""
        row = self.rows.get(fraction, {}).get(method)
        return None if row is None else dict(zip(self.structures, row))


# GAN at 3% MYO has an ambiguous std in the text extraction (3 or 32): recorded as None.
TABLE1 = PublishedTable(
    name="Table 1",
    caption="ACDC, semi-supervised segmentation: Dice % (mean ± std over test volumes)",
    structures=("MYO", "LV", "RV", "avg"),
    rows={
        1.0: {"unet": [(83, 7), (88, 6), (79, 10), (85, 7)], "gan": [(82, 6), (87, 6), (75, 8), (83, 5)],
              "selftrain": [(84, 7), (89, 5), (82, 8), (85, 6)], "sdnet": [(84, 5), (88, 4), (78, 8), (84, 5)]},
        0.5: {"unet": [(83, 7), (87, 7), (79, 10), (85, 7)], "gan": [(81, 7), (86, 6), (75, 10), (82, 7)],
              "selftrain": [(80, 10), (85, 10), (78, 11), (82, 8)], "sdnet": [(83, 6), (87, 7), (77, 9), (83, 6)]},
        0.25: {"unet": [(77, 9), (82, 9), (67, 14), (75, 11)], "gan": [(78, 9), (85, 8), (72, 11), (79, 8)],
               "selftrain": [(76, 13), (85, 10), (70, 15), (78, 11)], "sdnet": [(80, 7), (85, 6), (73, 11), (81, 6)]},
        0.125: {"unet": [(71, 13), (80, 13), (61, 17), (70, 13)], "gan": [(78, 8), (85, 6), (69, 13), (79, 8)],
                "selftrain": [(63, 17), (77, 13), (57, 21), (67, 15)], "sdnet": [(79, 8), (85, 7), (69, 13), (80, 8)]},
        0.06: {"unet": [(63, 12), (76, 13), (56, 22), (65, 13)], "gan": [(75, 11), (81, 11), (69, 13), (75, 12)],
               "selftrain": [(46, 27), (59, 23), (34, 18), (47, 23)], "sdnet": [(77, 9), (83, 10), (71, 12), (78, 9)]},
        0.03: {"unet": [(55, 19), (66, 20), (46, 20), (52, 18)], "gan": [(73, None), (79, 10), (67, 14), (75, 10)],
               "selftrain": [(20, 15), (35, 20), (22, 14), (24, 15)], "sdnet": [(76, 7), (82, 8), (68, 14), (77, 8)]},
        0.015: {"unet": [(26, 19), (33, 21), (35, 17), (21, 19)], "gan": [(67, 21), (78, 11), (63, 12), (67, 12)],
                "selftrain": [(11, 10), (19, 14), (25, 12), (16, 11)], "sdnet": [(70, 12), (77, 13), (64, 15), (73, 12)]},
    },
    significant=frozenset({(0.25, "MYO"), (0.25, "avg"), (0.06, "avg"), (0.03, "MYO"), (0.03, "LV"),
                           (0.03, "avg"), (0.015, "avg")}),
)


# QMRI (private; LV and MYO only, no augmentation): 6 % is one labelled subject.
TABLE2 = PublishedTable(
    name="Table 2",
    caption="QMRI (LV and MYO labels), semi-supervised segmentation: Dice % (mean ± std over test volumes)",
    structures=("MYO", "LV", "avg"),
    rows={
        1.0: {"unet": [(72, 9), (90, 6), (83, 7)], "gan": [(75, 7), (93, 3), (86, 4)],
              "selftrain": [(75, 9), (92, 5), (86, 7)], "sdnet": [(75, 6), (93, 4), (86, 4)]},
        0.5: {"unet": [(72, 15), (82, 18), (74, 15)], "gan": [(71, 9), (86, 7), (83, 5)],
              "selftrain": [(62, 11), (88, 9), (79, 9)], "sdnet": [(73, 6), (90, 5), (84, 5)]},
        0.25: {"unet": [(54, 14), (80, 9), (69, 10)], "gan": [(68, 7), (86, 7), (81, 5)],
               "selftrain": [(36, 22), (56, 29), (49, 26)], "sdnet": [(66, 7), (88, 7), (80, 8)]},
        0.125: {"unet": [(52, 11), (81, 6), (65, 7)], "gan": [(68, 8), (88, 6), (79, 7)],
                "selftrain": [(42, 16), (64, 14), (58, 14)], "sdnet": [(67, 9), (88, 6), (80, 7)]},
        0.06: {"unet": [(21, 14), (43, 28), (43, 20)], "gan": [(64, 9), (84, 10), (75, 10)],
               "selftrain": [(8, 6), (21, 11), (13, 7)], "sdnet": [(65, 7), (87, 10), (79, 5)]},
    },
)


# Section 5.6 gives its numbers in the text (ACDC, SDNet at 100 % labels; the paper's default is
# C = 8, nz = 8): Dice % and the mean posterior variance per z dimension.
FACTOR_SIZES = PublishedTable(
    name="Section 5.6",
    caption="ACDC, SDNet at 100 % labels with other factor sizes",
    structures=("avg",),
    rows={1.0: {"sdnet": [(84, 5)]}},
    variant_notes={
        "C4": "Dice 68.1 ± 8 (significantly below C = 8)",
        "C8": "Dice 84 (Table 1); z variances: two dimensions 0.63 and 0.73, the other 6 0.75 on average",
        "C16": "not given; 'when C > 8 many channels are all zero'",
        "z4": "Dice 84 ± 5; z variances 0.62 and 0.65, the other 2 0.77",
        "z32": "Dice 83 ± 6; z variances 0.78 and 0.79, the other 30 0.81",
        "z128": "Dice 82 ± 6 (significantly below nz = 8); z variances 0.88 and 0.88, the other 126 0.91",
    },
)


# Table 3 (MM-WHS): (MR train share, CT train share) -> (MR test, CT test): (mean, std) Dice %,
# None where the paper gives none
TABLE3_MIXTURES = {
    (1.0, 1.0): ((78, 5), (80, 1)), (1.0, 0.125): ((76, 3), (56, 6)), (0.125, 1.0): ((39, 7), (81, 1)),
    (0.125, 0.0): ((27, 12), None), (0.0, 0.125): (None, (23, 7)), (1.0, 0.0): ((75, 3), None),
    (0.875, 0.125): ((74, 5), (65, 6)), (0.75, 0.25): ((75, 2), (69, 3)), (0.625, 0.375): ((72, 2), (69, 2)),
    (0.5, 0.5): ((68, 5), (73, 3)), (0.375, 0.625): ((67, 4), (73, 4)), (0.25, 0.75): ((67, 6), (74, 3)),
    (0.125, 0.875): ((49, 7), (73, 6)), (0.0, 1.0): (None, (77, 4)),
}

# Section 5.4 (plain accuracy, nearly balanced test sets)
MODALITY_CLASSIFICATION = [
    "MR vs CT (MM-WHS, test 420 MR + 387 CT images): 92 % with all z dimensions; the best single dimension 82 %, "
    "the others 42-66 %.",
    "cine MR vs CP-BOLD MR (private): 96 % with all dimensions; single dimensions 47-65 %."]

# Section 5.2 (QMRI, one labelled subject, 17 subjects' LV volumes)
LV_VOLUME = {"regressed_ml": (138.57, 8.8), "true_ml": (139.23, 2.26),
             "dice_before": {"MYO": 63.3, "LV": 81.9, "avg": 75.6},
             "dice_after": {"MYO": 70.6, "LV": 89.9, "avg": 83.2}}
