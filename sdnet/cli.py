"""The `sdnet` command: a trained model applied to scans.

    sdnet segment    --model MODEL_DIR --input scan.nii.gz|folder ... --out DIR
    sdnet volumes    --model MODEL_DIR --input ... --out volumes.csv   (or --masks label maps)
    sdnet decompose  --model MODEL_DIR --input scan.nii.gz --out DIR
    sdnet synthesize --model MODEL_DIR --anatomy A.nii.gz --modality B.nii.gz --out C.nii.gz
    sdnet export     RUN_DIR MODEL_DIR
    sdnet archive    OUT RECORD      (finished runs' records without weights: report and resume elsewhere)
    sdnet sweep      EXPERIMENT [its flags] --executor local|ray|slurm --out DIR   (see sdnet sweep --help)
    sdnet compare    OUT --a METHOD:WEIGHTS --b METHOD:WEIGHTS --fraction F     (and curves, batchnorm)

MODEL_DIR is a finished run folder (results/<experiment>/runs/...) or an exported one. Outputs
lie on each input's grid with its affine and header. A folder of inputs is processed file by
file: a bad file is reported and skipped, and the exit status is 1 if any failed (2: bad usage).
"""
from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import sys
from dataclasses import dataclass

import numpy as np

from sdnet.cardiac import PHASE_TAG, subject_and_frame
from sdnet.data.nifti import MASK_SUFFIX, NIFTI, is_mask_name, stem
from sdnet.io import check_writable_file, check_writable_folder

log = logging.getLogger("sdnet")
ACDC_LABELS = "MYO=2,LV=3,RV=1"


@dataclass
class Scan:
    path: str
    image: object            # the nibabel image
    volume: np.ndarray       # (H, W, slices) or (H, W, slices, frames)
    zooms: tuple

    @property
    def name(self):
        return stem(self.path)


def input_files(paths, masks=False) -> list:
    """The NIfTI files named, folders expanded: their scans (label maps, named <name>_gt,
    _seg, _mask, _label(s) or _manual, skipped), or with `masks` their label maps (all files of
    a folder that holds none so named)."""
    files = []
    for path in paths:
        if os.path.isdir(path):
            found = sorted(os.path.join(path, f) for f in os.listdir(path) if NIFTI.search(f))
            if masks:
                files += [f for f in found if is_mask_name(f)] or found
            else:
                files += [f for f in found if not is_mask_name(f)]
        else:
            files.append(path)
    if not files:
        raise ValueError(f"no .nii or .nii.gz {'label maps' if masks else 'scans'} in {' '.join(paths)}")
    return files


def read_scan(path, what="image") -> Scan:
    """A scan with the checks every subcommand needs: readable, finite, 3-D or 4-D, an image."""
    import nibabel as nib

    from sdnet.data.nifti import load_nifti

    volume, zooms = load_nifti(path, what)
    if volume.ndim not in (3, 4):
        raise ValueError(f"{path}: expected a 3-D scan (H, W, slices) or a 4-D cine series, got shape {volume.shape}")
    values = np.unique(volume[:: max(1, volume.size // 200000)])
    if np.allclose(values, np.round(values)) and len(values) <= 10:
        raise ValueError(f"{path}: looks like a label map (values {values.astype(int).tolist()}), expected an image")
    if len(zooms) < 3 or zooms[2] <= 0:
        raise ValueError(f"{path}: no slice thickness in the header (zooms {zooms})")
    return Scan(path, nib.load(path), volume, zooms)


def frames_of(scan: Scan, frame, all_frames) -> list:
    """[(frame number or None, 3-D volume)] to process."""
    if scan.volume.ndim == 3:
        return [(None, scan.volume)]
    count = scan.volume.shape[3]
    if all_frames:
        return [(t + 1, scan.volume[..., t]) for t in range(count)]
    if frame is None:
        raise ValueError(f"{scan.path}: a 4-D series of {count} frames: pass --frame N (1 to {count}) or --all-frames")
    if not 1 <= frame <= count:
        raise ValueError(f"{scan.path}: --frame {frame} outside 1..{count}")
    return [(frame, scan.volume[..., frame - 1])]


def save_like(array, scan: Scan, path, dtype, fourth_zoom=1.0):
    """`array` (3-D, or 4-D: frames or channels) as a NIfTI with the scan's affine and header
    (data type `dtype`)."""
    import nibabel as nib

    header = scan.image.header.copy()
    header.set_data_dtype(dtype)
    out = nib.Nifti1Image(np.asarray(array).astype(dtype), scan.image.affine, header)
    out.header.set_zooms(tuple(scan.zooms[:3]) + (fourth_zoom,) * (array.ndim - 3))
    nib.save(out, path)
    return path


def check_distinct_names(files, outputs):
    """Two inputs of one name (a/x.nii.gz, b/x.nii.gz) would write one output, the second over the
    first, or two rows that cannot be told apart: refused before anything is read or written."""
    by_name = {}
    for path in dict.fromkeys(os.path.realpath(f) for f in files):        # a file named twice is one input
        by_name.setdefault(stem(path), []).append(path)
    for name, paths in by_name.items():
        if len(paths) > 1:
            raise ValueError(f"{' and '.join(paths)} share the name {name}: their {outputs} would be one; "
                             "give them in separate calls, or rename one")
    return list(dict.fromkeys(files))


def check_output_folder(out, inputs):
    """An output folder: made if needed, writable, and not the folder of an input."""
    check_writable_folder(out, "output folder (--out)")
    for path in inputs:
        folder = os.path.dirname(os.path.abspath(path))
        if os.path.isdir(folder) and os.path.samefile(folder, out):
            raise ValueError(f"--out {out} is the folder of the input {path}: choose another, inputs are never "
                             "written over")


def for_each(files, work, description):
    """work(path) for every file, a failure reported and skipped; returns the failed count."""
    from sdnet.data import DataError
    from sdnet.progress import progress

    failed = 0
    for path in progress(files, desc=description):
        try:
            work(path)
        except (ValueError, DataError, OSError) as err:
            failed += 1
            print(f"error: {err if str(path) in str(err) else f'{path}: {err}'}", file=sys.stderr)
    return failed


# -- subcommands -------------------------------------------------------------------------------------
def cmd_segment(args):
    from sdnet.inference import load_model

    files = check_distinct_names(input_files(args.input), "label maps (<name>_seg.nii.gz)")
    model = load_model(args.model, args.weights)       # a refused model leaves no --out folder behind
    check_output_folder(args.out, files)

    def work(path):
        scan = read_scan(path)
        maps = [model.segment_scan(volume, scan.zooms, source=path) for _, volume in
                frames_of(scan, args.frame, args.all_frames)]
        series = args.all_frames and scan.volume.ndim == 4
        labels = np.stack(maps, -1) if series else maps[0]
        save_like(labels, scan, os.path.join(args.out, f"{scan.name}_seg.nii.gz"), np.int16,
                  fourth_zoom=scan.zooms[3] if series else 1.0)

    failed = for_each(files, work, "segmenting")
    print(f"wrote {len(files) - failed} label map(s) (<name>_seg.nii.gz) to {args.out}")
    return failed


def parse_labels(text) -> dict:
    from sdnet.data.pairs import parse_label_map

    return parse_label_map(text)


def cmd_volumes(args):
    """One CSV row per subject: volumes per structure and, with an ED and an ES frame, the LV's
    (and RV's) EDV, ESV, SV, EF and the LV mass (with the ED frame alone, the LV mass)."""
    from sdnet.cardiac import cardiac_function, structure_volumes

    files = volumes_inputs(args)
    model, codes = volumes_model_and_codes(args)
    volumes = {}

    def work(path):
        if model is not None:
            scan = read_scan(path)
            if scan.volume.ndim != 3:
                raise ValueError(f"{path}: volumes need 3-D frames (split the 4-D series, or segment it first)")
            labels, zooms = model.segment_scan(scan.volume, scan.zooms, source=path), scan.zooms
        else:
            from sdnet.data.nifti import load_label_map

            labels, zooms = load_label_map(path)
            if labels.ndim != 3:
                raise ValueError(f"{path}: volumes need 3-D label maps, got shape {labels.shape}")
        if len(zooms) < 3 or zooms[2] <= 0:
            raise ValueError(f"{path}: no slice thickness in the header (zooms {zooms})")
        volumes[path] = structure_volumes(labels, zooms, codes)

    failed = for_each(files, work, "measuring")
    if not volumes:
        print(f"error: no file could be measured; {args.out} not written", file=sys.stderr)
        return max(failed, 1)
    label_map = ",".join(f"{k}={v}" for k, v in codes.items())
    for name, code in codes.items():
        if not any(v[name] for v in volumes.values()):
            print(f"warning: {name} (label {code}) is empty in every "
                  f"{'segmentation' if model else 'label map'}: are the label values right? "
                  f"({'the model' if model else '--label-map'}: {label_map})", file=sys.stderr)
    rows = [{**row, "label_map": label_map} for row in volume_rows(volumes, args.ed, args.es, cardiac_function)]
    write_csv(args.out, rows)
    print(f"wrote {len(rows)} row(s) to {args.out}")
    return failed


def volumes_inputs(args) -> list:
    """The files to measure, every flag and the output checked first: nothing is read or written
    before a usage error is reported."""
    if bool(args.model) == bool(args.masks):
        raise ValueError("give either --model with --input scans, or --masks label maps")
    if args.es and not args.ed:
        raise ValueError("--es needs --ed: the end-diastolic frame of the same subject")
    if args.model and not args.input:
        raise ValueError("--model needs --input scans")
    if args.model and args.label_map:
        raise ValueError("--label-map reads --masks; a model's label codes are its training data's")
    for flag, path in (("--ed", args.ed), ("--es", args.es)):
        if path and not os.path.isfile(path):
            raise ValueError(f"{flag} {path}: file not found")
    extra = [p for p in (args.ed, args.es) if p and p not in (args.input or args.masks)]
    files = check_distinct_names(input_files([*(args.input or args.masks), *extra], masks=bool(args.masks)),
                                 "CSV rows")
    if NIFTI.search(args.out):
        raise ValueError(f"--out {args.out}: a NIfTI name; the volumes are written as CSV (e.g. volumes.csv)")
    check_writable_file(args.out, "--out CSV", inputs=files)
    if os.path.exists(args.out) and not is_volumes_csv(args.out):
        raise ValueError(f"--out {args.out}: exists and is not a volumes CSV of this command; not overwritten")
    return files


def volumes_model_and_codes(args):
    """(the model or None, {structure: label code} to measure): the model's codes or the label
    map's, narrowed to --structures (default: all of them)."""
    model = None
    if args.model:
        from sdnet.inference import load_model

        model = load_model(args.model, args.weights)
        codes = model.label_codes
    else:
        codes = parse_labels(args.label_map or ACDC_LABELS)
    structures = args.structures or list(codes)
    missing = [s for s in structures if s not in codes]
    if missing:
        raise ValueError(f"the {'model' if args.model else '--label-map'} has structures {sorted(codes)}; "
                         f"{missing} asked for by --structures are not among them")
    return model, {s: codes[s] for s in structures}


def is_volumes_csv(path) -> bool:
    """Whether an existing file is an earlier output of `volumes` (its header starts "subject,"),
    the only kind of file --out replaces."""
    try:
        with open(path, newline="") as f:
            return f.readline().startswith("subject,")
    except (OSError, UnicodeDecodeError):
        return False


def write_csv(path, rows):
    from sdnet.io import atomic_write

    with atomic_write(path) as f:
        keys = list(dict.fromkeys(k for r in rows for k in r))
        writer = csv.DictWriter(f, fieldnames=keys, restval="", lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: (f"{v:.2f}" if isinstance(v, float) else v) for k, v in r.items()} for r in rows)


def subject_and_phase(path, ed=None, es=None):
    """(subject, sort key, phase "ED"/"ES"/None) of a frame file, from --ed/--es or its name
    (mask suffixes dropped): `<subject>_frameXX` (ACDC) or `<subject>_ED` / `_ES`."""
    if ed and path == ed:
        return subject_of_name(ed)[0], 0, "ED"
    if es and path == es:
        return subject_of_name(ed)[0], 1, "ES"
    return subject_of_name(path)


PHASES_ORDER = {"ED": 0, "ES": 1}


def subject_of_name(path):
    """(subject, sort key, phase or None) from a file name, mask suffixes dropped."""
    name = MASK_SUFFIX.sub("", stem(path))
    tag = PHASE_TAG.search(name)
    if tag:
        phase = tag.group("phase").upper()
        return name[:tag.start()], PHASES_ORDER[phase], phase
    subject, frame = subject_and_frame(name)
    return subject, frame, None


def volume_rows(volumes: dict, ed=None, es=None, function=None) -> list:
    """Rows per subject: a pair of frames (explicit --ed/--es, ACDC frame numbers with the lower
    ED, or _ED/_ES names) gives the cardiac function; any other frame a row of its own, with
    the LV mass where it is the ED frame."""
    by_subject = {}
    for path, vols in volumes.items():
        subject, order, phase = subject_and_phase(path, ed, es)
        by_subject.setdefault(subject, []).append((order, phase, path, vols))
    rows = []
    for subject, frames in by_subject.items():
        if len(frames) == 2 and all(f[0] is not None for f in frames) and frames[0][0] != frames[1][0]:
            (_, _, ed_path, ed_vols), (_, _, es_path, es_vols) = sorted(frames, key=lambda f: f[0])
            rows.append({"subject": subject, "ED": os.path.basename(ed_path), "ES": os.path.basename(es_path),
                         **{f"{k}_ED_ml": v for k, v in ed_vols.items()},
                         **{f"{k}_ES_ml": v for k, v in es_vols.items()}, **function(ed_vols, es_vols)})
            continue
        for _, phase, path, vols in frames:
            row = {"subject": subject, "file": os.path.basename(path), **{f"{k}_ml": v for k, v in vols.items()}}
            if phase == "ED" and "MYO" in vols:
                row["LV_mass_g"] = function(vols, {})["LV_mass_g"]
            rows.append(row)
    return rows


def cmd_decompose(args):
    from sdnet.inference import load_model

    files = check_distinct_names(input_files(args.input), "factors (<name>_anatomy.nii.gz, <name>_z.json)")
    model = load_model(args.model, args.weights)       # a refused model leaves no --out folder behind
    model.require_decomposition()
    check_output_folder(args.out, files)

    def work(path):
        scan = read_scan(path)
        ((_, volume),) = frames_of(scan, args.frame, False)
        anatomy, z = model.decompose_scan(volume, scan.zooms, source=path)
        save_like(anatomy, scan, os.path.join(args.out, f"{scan.name}_anatomy.nii.gz"), np.float32)
        with open(os.path.join(args.out, f"{scan.name}_z.json"), "w") as f:
            json.dump({"slices": [row.tolist() for row in z]}, f, indent=1)

    failed = for_each(files, work, "decomposing")
    print(f"wrote the factors of {len(files) - failed} scan(s) (<name>_anatomy.nii.gz, <name>_z.json) to {args.out}")
    return failed


def cmd_synthesize(args):
    from sdnet.inference import load_model

    if not NIFTI.search(args.out):
        raise ValueError(f"--out {args.out}: give a NIfTI file name ending in .nii or .nii.gz")
    check_writable_file(args.out, "--out NIfTI file", inputs=[args.anatomy, args.modality])
    model = load_model(args.model, args.weights)
    model.require_decomposition()
    anatomy, modality = read_scan(args.anatomy), read_scan(args.modality)
    ((_, a),) = frames_of(anatomy, args.frame, False)
    ((_, b),) = frames_of(modality, args.frame, False)
    image = model.synthesize_scan(a, anatomy.zooms, b, modality.zooms)
    save_like(image, anatomy, args.out, np.float32)
    print(f"wrote {args.out}")
    return 0


def cmd_export(args):
    from sdnet.inference import export_model

    export_model(args.run, args.model_dir, args.weights or "last")
    print(f"wrote {args.model_dir}")
    return 0


def cmd_archive(args):
    from sdnet.experiments.archive import archive

    done = archive(args.out, args.record)
    print(f"{args.record}: {len(done['copied'])} finished run(s) recorded, {len(done['present'])} already there")
    if done["unfinished"]:
        print(f"not finished, left out ({len(done['unfinished'])}): " + ", ".join(done["unfinished"]))
    return 0


def build_parser():
    p = argparse.ArgumentParser(prog="sdnet", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)

    def model_flags(q, required=True):
        q.add_argument("--model", required=required, help="run folder or exported model folder")
        q.add_argument("--weights", choices=["last", "best"], default=None,
                       help="which epoch's weights (default: the exported ones, or a run's last)")

    q = sub.add_parser("segment", help="write a label map per scan (<name>_seg.nii.gz, the data set's label codes)",
                       description="Reads NIfTI scans (files or folders); writes <name>_seg.nii.gz on each scan's "
                                   "grid and header, with the label codes of the model's data set.")
    model_flags(q)
    q.add_argument("--input", nargs="+", required=True)
    q.add_argument("--out", required=True, help="output folder (not an input's folder)")
    frames = q.add_mutually_exclusive_group()
    frames.add_argument("--frame", type=int, help="of a 4-D series, counted from 1")
    frames.add_argument("--all-frames", action="store_true", help="segment every frame of a 4-D series")
    q.set_defaults(handler=cmd_segment)

    q = sub.add_parser("volumes", help="structure volumes (mL), LV mass, EDV/ESV/SV/EF per subject as CSV",
                       description="Reads scans (with --model) or label maps (--masks); writes one CSV row per "
                                   "subject. ED and ES come from ACDC naming (<subject>_frameXX: lower = ED) or "
                                   "--ed and --es.")
    model_flags(q, required=False)
    q.add_argument("--input", nargs="+", default=[], help="scans to segment first")
    q.add_argument("--masks", nargs="+", default=[], help="existing label maps instead of a model")
    q.add_argument("--label-map", default=None,
                   help=f"label values of --masks, NAME=VALUE,... (default {ACDC_LABELS}, ACDC's)")
    q.add_argument("--structures", nargs="+", default=None,
                   help="the structures to measure (default: every structure of the label map or model)")
    q.add_argument("--ed", help="the end-diastolic frame of one subject (alone: its LV mass)")
    q.add_argument("--es", help="the end-systolic frame of that subject (needs --ed)")
    q.add_argument("--out", required=True, help="CSV file (never an input; not written when nothing was measured)")
    q.set_defaults(handler=cmd_volumes)

    q = sub.add_parser("decompose", help="anatomy channels (4-D NIfTI) and z per slice (JSON) of each scan",
                       description="Writes <name>_anatomy.nii.gz (H, W, slices, channels) on the scan's grid and "
                                   "<name>_z.json (the modality vector of every slice).")
    model_flags(q)
    q.add_argument("--input", nargs="+", required=True)
    q.add_argument("--out", required=True)
    q.add_argument("--frame", type=int, help="of a 4-D series, counted from 1")
    q.set_defaults(handler=cmd_decompose)

    q = sub.add_parser("synthesize", help="render the anatomy of one scan with the modality of another",
                       description="Writes a NIfTI on the anatomy scan's grid, intensities in [-1, 1].")
    model_flags(q)
    q.add_argument("--anatomy", required=True)
    q.add_argument("--modality", required=True)
    q.add_argument("--out", required=True, help="NIfTI file")
    q.add_argument("--frame", type=int, help="of 4-D series, counted from 1")
    q.set_defaults(handler=cmd_synthesize)

    q = sub.add_parser("export", help="a self-contained model folder from a finished run",
                       description="Writes model.json, the weights, every network as a .keras file and a "
                                   "README.txt. The .keras files hold SDNet's own layers: `import sdnet` before "
                                   "keras.saving.load_model, or Keras reports unknown classes such as "
                                   "Keras2BatchNormalization.")
    q.add_argument("run", help="a finished run folder")
    q.add_argument("model_dir", help="a new folder")
    q.add_argument("--weights", choices=["last", "best"], default=None)
    q.set_defaults(handler=cmd_export)

    q = sub.add_parser("archive", help="the records of an output folder's finished runs, without weights",
                       description="Copies each finished run's run.json, training log, per-patient test scores "
                                   "and result.json (no weights, no checkpoint) into RECORD, an output folder of "
                                   "its own: --report-only --out RECORD rebuilds the report, --runs RECORD "
                                   "continues the grid elsewhere without training them again. Runs still "
                                   "training are left out; running it again adds the runs finished since.")
    q.add_argument("out", help="an experiment's output folder (its --out)")
    q.add_argument("record", help="a folder outside it (new, or a record of the same configuration)")
    q.set_defaults(handler=cmd_archive)

    sub.add_parser("sweep", add_help=False, help="every run of an experiment's grid on local GPUs, Ray or SLURM "
                                                 "(sdnet sweep --help)")
    sub.add_parser("compare", add_help=False, help="two methods of an output folder, paired per test patient "
                                                   "(sdnet compare --help)")
    sub.add_parser("curves", add_help=False, help="training curves of runs side by side (sdnet curves --help)")
    sub.add_parser("batchnorm", add_help=False, help="saved weights scored with each kind of batch-norm "
                                                     "statistics (sdnet batchnorm --help)")
    return p


# the analysis tools of sdnet.reporting, reachable here too: `sdnet compare ...` is
# `python -m sdnet.reporting.compare ...`, with the same one-line errors as every subcommand
TOOLS = {"compare": "sdnet.reporting.compare", "curves": "sdnet.reporting.curves",
         "batchnorm": "sdnet.reporting.batchnorm"}


def run_tool(name, argv) -> int:
    import importlib

    from sdnet.data import DataError

    try:
        status = importlib.import_module(TOOLS[name]).main(argv)
    except (ValueError, DataError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"error: {err.filename or ''}: {err.strerror or err}", file=sys.stderr)
        return 2
    return status or 0


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["sweep"]:
        from sdnet.sweep.cli import main as sweep_main

        return sweep_main(argv[1:])
    if argv[:1] and argv[0] in TOOLS:
        return run_tool(argv[0], argv[1:])
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    from sdnet.data import DataError

    try:
        return 1 if args.handler(args) else 0
    except (ValueError, DataError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except OSError as err:      # a file system refusal the checks could not foresee: named, no traceback
        print(f"error: {err.filename or ''}: {err.strerror or err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
