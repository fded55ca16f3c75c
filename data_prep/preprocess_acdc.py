"""Preprocess an ACDC training folder once (resampling, clipping, scaling, cropping) into the
cache the experiments read, and print what it holds.

    python data_prep/preprocess_acdc.py /path/to/ACDC/training [--image-size 224] [--cache-dir DIR]
"""
import argparse
import sys
import time

from sdnet.config import PAPER_IMAGE_SIZE, PAPER_SPACING_MM
from sdnet.data import DataError
from sdnet.data.acdc import ACDCLoader


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("root")
    p.add_argument("--image-size", type=int, default=PAPER_IMAGE_SIZE,
                   help="pixels; the pixel size keeps the paper's field of view (224 x 1.37 mm)")
    p.add_argument("--cache-dir", default=None)
    args = p.parse_args(argv)
    spacing = PAPER_SPACING_MM * PAPER_IMAGE_SIZE / args.image_size
    try:
        start = time.time()
        loader = ACDCLoader(args.root, image_size=args.image_size, spacing_mm=spacing, cache_dir=args.cache_dir)
        data = loader.load_labelled_data(0, "all")
        print(f"{data.num_subjects} subjects, {len(data.frames())} labelled frames, {data.size()} slices "
              f"of {args.image_size} px at {spacing:.2f} mm in {time.time() - start:.1f} s "
              f"(cache: {loader.cache_dir})")
        if loader.has_cine:
            print(f"{loader.load_all_data(0, 'all').size()} cine images")
        else:
            print("no 4-D cine files: unlabelled pools will be ED/ES images of unlabelled subjects")
    except DataError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
