"""Time `sdnet segment` on 10-slice short-axis scans, per model size: loading the model (once per
invocation), the first file (graph tracing included) and each further file.
Target: under 15 s per file with the paper-size model on a 2-core CPU, after the first.

    python benchmarks/segment.py [--presets quick paper] [--files 3]

The weights are untrained (speed does not depend on them); the scans are phantom frames of
256 x 256 pixels of 1.4 mm and 10 slices of 8 mm, written in a temporary folder.
"""
import argparse
import os
import tempfile
import time

import numpy as np


def model_folder(folder, preset):
    from sdnet.config import get_preset
    from sdnet.io import write_json
    from sdnet.methods.sdnet import SDNet

    cfg = get_preset(preset)
    os.makedirs(os.path.join(folder, "last"))
    SDNet(cfg).save_weights(os.path.join(folder, "last"))
    write_json(os.path.join(folder, "run.json"),
               {"spec": {"method": "sdnet"}, "config": cfg.to_dict(),
                "dataset": {"structures": ["MYO", "LV", "RV"], "label_codes": {"MYO": 2, "LV": 3, "RV": 1},
                            "preprocessing": {"pixel_mm": cfg.spacing_mm, "image_size": cfg.image_size}}})
    return folder


def scan(path, seed):
    import nibabel as nib

    from sdnet.data.phantom import render, subject_series

    maps, _ = subject_series(seed, 1, 256, 1.4, 10, 1)
    image = render(maps[0], "MR", np.random.default_rng(seed), 1.4)
    img = nib.Nifti1Image(np.moveaxis(image, 0, -1).astype(np.int16), np.diag([1.4, 1.4, 8.0, 1.0]))
    nib.save(img, path)
    return path


def bench(preset, files, tmp):
    import nibabel as nib

    from sdnet.cli import read_scan, save_like
    from sdnet.inference import load_model

    folder = model_folder(os.path.join(tmp, preset), preset)
    paths = [scan(os.path.join(tmp, f"{preset}_scan{i}.nii.gz"), i) for i in range(files)]
    start = time.time()
    model = load_model(folder, allow_unfinished=True)      # untrained weights: only the time counts
    load_s = time.time() - start
    times = []
    for path in paths:
        start = time.time()
        s = read_scan(path)
        save_like(model.segment_scan(s.volume, s.zooms), s, path.replace(".nii.gz", "_seg.nii.gz"), np.int16)
        times.append(time.time() - start)
    assert nib.load(paths[0].replace(".nii.gz", "_seg.nii.gz")).shape == (256, 256, 10)
    return load_s, times


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--presets", nargs="+", default=["quick", "paper"])
    p.add_argument("--files", type=int, default=3)
    args = p.parse_args(argv)
    from sdnet import hardware

    machine = hardware.describe()
    print(f"backend {machine['backend']}, {machine['device']}, {machine['cpu']}\n")
    print("| preset | model load s | first file s | further files s (mean) | target |\n|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for preset in args.presets:
            load_s, times = bench(preset, args.files, tmp)
            rest = np.mean(times[1:]) if len(times) > 1 else float("nan")
            target = "< 15 s" if preset == "paper" else ""
            print(f"| {preset} | {load_s:.1f} | {times[0]:.1f} | {rest:.1f} | {target} |", flush=True)


if __name__ == "__main__":
    main()
