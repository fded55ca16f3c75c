"""Write the synthetic cardiac phantom in the ACDC layout (and optionally MM-WHS).

    python data_prep/make_phantom.py /tmp/phantom/ACDC/training --subjects 100 --seed 0
    python data_prep/make_phantom.py /tmp/phantom/MMWHS --mmwhs --subjects 20
"""
import argparse
import time

from sdnet.data.phantom import write_acdc, write_mmwhs


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out")
    p.add_argument("--subjects", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--size", type=int, default=112, help="in-plane pixels")
    p.add_argument("--spacing", type=float, default=2.8, help="pixel size in mm")
    p.add_argument("--slices", type=int, default=5)
    p.add_argument("--phases", type=int, default=8, help="cardiac phases of the 4-D series (ACDC layout)")
    p.add_argument("--modality", choices=["MR", "CT"], default="MR")
    p.add_argument("--mmwhs", action="store_true", help="MM-WHS layout: mr_/ct_train_10NN_{image,label}")
    args = p.parse_args(argv)
    start = time.time()
    if args.mmwhs:
        write_mmwhs(args.out, subjects=args.subjects, seed=args.seed, size=args.size, spacing=args.spacing,
                    slices=args.slices)
    else:
        write_acdc(args.out, subjects=args.subjects, seed=args.seed, size=args.size, spacing=args.spacing,
                   slices=args.slices, phases=args.phases, modality=args.modality)
    print(f"wrote {args.subjects} phantom subjects to {args.out} in {time.time() - start:.1f} s")


if __name__ == "__main__":
    main()
