"""Draw phantom slices beside real ACDC slices (docs/phantom_vs_acdc.png).

    python data_prep/phantom_figure.py [--acdc ../shared/data/ACDC/training] [--out docs/phantom_vs_acdc.png]
"""
import argparse
import os

import numpy as np

from sdnet.data.acdc import ACDCLoader
from sdnet.data.phantom import default_phantom_root, ensure_phantom
from sdnet.reporting.plots import _pyplot, overlay

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--acdc", default=os.path.join(HERE, "..", "shared", "data", "ACDC", "training"))
    p.add_argument("--out", default=os.path.join(HERE, "docs", "phantom_vs_acdc.png"))
    args = p.parse_args(argv)
    rows = [("phantom", ACDCLoader(ensure_phantom(default_phantom_root())).load_labelled_data(0, "test"))]
    if os.path.isdir(args.acdc):
        rows.append(("ACDC", ACDCLoader(args.acdc).load_labelled_data(0, "test")))
    plt = _pyplot()
    fig, axes = plt.subplots(2 * len(rows), 4, figsize=(8, 4 * len(rows)))
    for r, (name, data) in enumerate(rows):
        picks = np.linspace(0, data.size() - 1, 4).astype(int)
        for c, i in enumerate(picks):
            axes[2 * r, c].imshow(data.images[i, ..., 0], cmap="gray", vmin=-1, vmax=1)
            axes[2 * r + 1, c].imshow(overlay(data.images[i], data.masks[i]))
            axes[2 * r, c].set_title(f"{name} {data.frame[i]}", fontsize=7)
    for ax in axes.ravel():
        ax.set_axis_off()
    fig.suptitle("images (top) and MYO / LV / RV masks (bottom), after preprocessing", fontsize=9)
    fig.tight_layout()
    fig.savefig(args.out, dpi=90)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
