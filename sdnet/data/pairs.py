"""Loaders for folders of 3-D image / label-map pairs: MM-WHS (Table 3) and any user data set
of LV + MYO volumes (the paper's QMRI set is private; Table 2 and the LV volume task).

Both preprocess like the ACDC loader (in-plane resampling to `spacing_mm`, 5-95 percentile
clipping and [-1, 1] scaling per volume, centre crop / edge pad to `image_size`) and keep the
slice thickness of every volume so structure volumes can be computed in mL.
"""
from __future__ import annotations

import os
import re

import numpy as np

from sdnet.config import PAPER_IMAGE_SIZE, PAPER_SPACING_MM
from sdnet.data.base import DataSource, Loader
from sdnet.data.cache import cache_key, default_cache_dir, load_cached, save_cached
from sdnet.data.dataset import Data
from sdnet.data.errors import DataError
from sdnet.data.nifti import MASK_SUFFIXES, NIFTI as NIFTI_NAME, is_mask_name
from sdnet.data.preprocess import compact_labels, labels_to_channels, preprocess_pair


def rotating_splits(subjects, folds=3, fractions=(0.7, 0.15, 0.15)):
    """Deterministic cross-validation folds: fold k rotates the sorted subject list by k/folds.
    Validation and test get at least one subject each."""
    subjects = sorted(subjects)
    n = len(subjects)
    if n < 3:
        raise DataError(f"{n} subject(s): training, validation and test need at least 3 subjects")
    n_val = max(1, int(round(fractions[1] * n)))
    n_train = min(int(round(fractions[0] * n)), n - n_val - 1)
    splits = []
    for k in range(folds):
        shift = (k * n) // folds
        order = subjects[shift:] + subjects[:shift]
        splits.append({"training": order[:n_train], "validation": order[n_train:n_train + n_val],
                       "test": order[n_train + n_val:]})
    return splits


class VolumePairLoader(Loader):
    """pairs: [(subject, modality, image path, mask path)]; `structures`: {name: label value},
    in channel order. Label values outside `structures` are background, or with `known_labels`
    (every value the data set defines) any other value is an error naming the file."""

    def __init__(self, root, pairs, structures: dict, image_size=PAPER_IMAGE_SIZE, spacing_mm=PAPER_SPACING_MM,
                 cache_dir=None, heart_slices_only=True, name="volumes", known_labels=None):
        if not pairs:
            raise DataError(f"{root}: no image/label pairs found")
        super().__init__(root, image_size, spacing_mm)
        self.pairs, self.name = sorted(pairs), name
        self.structures, self.label_codes = tuple(structures), tuple(int(v) for v in structures.values())
        self.known_labels = None if known_labels is None else tuple(known_labels)
        self.cache_dir = cache_dir or default_cache_dir()
        self.heart_slices_only = heart_slices_only
        self.modalities = tuple(sorted({m for _, m, _, _ in self.pairs}))

    def splits(self):
        """Per modality, the rotating 70/15/15 folds of its subjects (merged over modalities)."""
        merged = [{"training": [], "validation": [], "test": []} for _ in range(3)]
        for modality in self.modalities:
            subjects = sorted({s for s, m, _, _ in self.pairs if m == modality})
            for k, split in enumerate(rotating_splits(subjects)):
                for key, values in split.items():
                    merged[k][key] += values
        return merged

    def subjects_present(self):
        return sorted({s for s, _, _, _ in self.pairs})

    def _arrays(self):
        if getattr(self, "_cached", None) is not None:
            return self._cached
        params = {"spacing_mm": self.spacing_mm, "image_size": self.image_size, "labels": self.label_codes,
                  "known": self.known_labels, "heart_slices_only": self.heart_slices_only, "version": 4}
        key = cache_key(params, [p for _, _, img, gt in self.pairs for p in (img, gt)])
        path = os.path.join(self.cache_dir, f"{re.sub(r'[^a-z0-9]+', '-', self.name.lower())}-{key}.npz")
        arrays = load_cached(path)
        if arrays is None:
            from sdnet.progress import progress

            parts = {k: [] for k in ("images", "labels", "subject", "frame", "modality")}
            frames, thickness = [], []
            for subject, modality, img, gt in progress(self.pairs, desc=f"preprocessing {self.name}"):
                images, labels, zooms = preprocess_pair(img, gt, self.spacing_mm, self.image_size, self.known_labels)
                if self.heart_slices_only:
                    keep = np.isin(labels, self.label_codes).reshape(len(labels), -1).any(-1)
                    images, labels = images[keep], labels[keep]
                stem = re.sub(r"\.nii(\.gz)?$", "", os.path.basename(img))
                frames.append(stem)
                thickness.append(zooms[2] if len(zooms) > 2 else float("nan"))
                parts["images"].append(images)
                parts["labels"].append(labels)
                parts["subject"] += [subject] * len(images)
                parts["frame"] += [stem] * len(images)
                parts["modality"] += [modality] * len(images)
            arrays = {k: (np.concatenate(v) if k in ("images", "labels") else np.array(v)) for k, v in parts.items()}
            arrays["labels"] = compact_labels(arrays["labels"])
            arrays["label_values"] = np.unique(arrays["labels"])
            arrays.update(frame_names=np.array(frames), thickness=np.array(thickness))
            save_cached(path, arrays)
        self.check_codes_present(arrays["label_values"])
        if len(self.modalities) > 1:
            self.check_modalities_agree(arrays)
        self._cached = arrays
        return arrays

    def check_modalities_agree(self, arrays):
        """Each modality's label maps must hold every structure: two folders labelled with
        different values (or names) would otherwise train one modality on empty structures."""
        for tag in self.modalities:
            found = np.unique(arrays["labels"][arrays["modality"] == tag])
            absent = {name: code for name, code in zip(self.structures, self.label_codes) if code not in set(found)}
            if absent:
                folder = os.path.dirname(next(img for _, modality, img, _ in self.pairs if modality == tag))
                raise DataError(f"{folder}: no {tag} label map has the value(s) {absent} (their values: "
                                f"{sorted(int(v) for v in found)}); every modality's label maps need every "
                                "structure of the label map: do the modalities use other label values?")

    def _frames_of(self, subjects):
        a = self._arrays()
        order = np.concatenate([np.flatnonzero(a["subject"] == s) for s in subjects]) if len(subjects) else []
        order = np.asarray(order, dtype=int)
        return Data(a["images"][order], labels_to_channels(a["labels"][order], self.label_codes),
                    a["subject"][order], a["frame"][order], a["modality"][order])

    def slice_thickness(self, frame):
        a = self._arrays()
        match = np.flatnonzero(a["frame_names"] == frame)
        if not len(match):
            raise DataError(f"{self.root}: no frame named {frame}")
        thickness = float(a["thickness"][match[0]])
        if not np.isfinite(thickness) or thickness <= 0:
            raise DataError(f"{self.root}: {frame} has no slice thickness in its header; volumes in mL "
                            "need it")
        return thickness


MMWHS_FILE = re.compile(r"^(mr|ct)_train_(\d{4})_image\.nii(\.gz)?$")
MMWHS_STRUCTURES = ("MYO", "LA", "LV", "RA", "RV", "AO", "PA")
MMWHS_LABELS = (205, 420, 500, 550, 600, 820, 850)


class MMWHSLoader(VolumePairLoader):
    """MM-WHS 2017 training set: mr_train_10NN_{image,label}.nii.gz and ct_train_... .

    Subject numbers: MR 1001-1020 keep their number, CT subjects get number + 1000 (2001-2020),
    since MR and CT subjects are different people. Only slices showing a labelled structure are
    kept (our reading of Chartsias et al. 2017, which the paper cites for this preprocessing).
    """

    def __init__(self, root, structures=None, **kwargs):
        if not os.path.isdir(root):
            raise DataError(f"{root}: MM-WHS folder not found (expected mr_train_10NN_image.nii.gz files)")
        pairs = []
        for f in sorted(os.listdir(root)):
            m = MMWHS_FILE.match(f)
            if not m:
                continue
            label = os.path.join(root, f.replace("_image", "_label"))
            if not os.path.exists(label):
                raise DataError(f"{os.path.join(root, f)}: image has no label file {os.path.basename(label)}")
            number = int(m.group(2)) + (1000 if m.group(1) == "ct" else 0)
            pairs.append((number, m.group(1).upper(), os.path.join(root, f), label))
        super().__init__(root, pairs, structures or dict(zip(MMWHS_STRUCTURES, MMWHS_LABELS)), name="MM-WHS",
                         known_labels=MMWHS_LABELS, **kwargs)


def _mmwhs_phantom(cache_dir=None):
    from sdnet.data.phantom import ensure_phantom, write_mmwhs

    return ensure_phantom(os.path.join(cache_dir or default_cache_dir(), "phantom", "MM-WHS"), writer=write_mmwhs)


# Table 3 and Sections 5.3-5.4: MR and CT of the same seven structures, different people
MMWHS = DataSource(name="MM-WHS", expects="the MM-WHS 2017 training folder ({mr,ct}_train_10NN_{image,label}.nii.gz)",
                open=MMWHSLoader, phantom=_mmwhs_phantom)


SUBJECT_OF_FILE = r"^(?P<subject>.+?)(_frame\d+|_(ED|ES|ed|es))?$"
LAYOUTS = ("a folder of <name>.nii.gz images with <name><suffix>.nii.gz label maps (suffix _gt, _seg, _mask, "
           "_label(s) or _manual, found by itself or given with --mask-suffix); the same in one subfolder per "
           "subject (ACDC's patientNNN/ layout; 4-D <name>_4d files are skipped); or images/ and labels/ "
           "folders (imagesTr/ and labelsTr/ too) whose files share their names (an nnU-Net _0000 ending is "
           "dropped)")


def nifti_files(folder) -> list:
    return sorted(f for f in os.listdir(folder) if NIFTI_NAME.search(f))


def choose_mask_suffix(root, names, mask_suffix=None) -> str:
    """The suffix that marks label maps among `names`: the one given, or the only one of the
    common suffixes found; two found is ambiguous (e.g. _gt beside _seg predictions)."""
    if mask_suffix:
        return mask_suffix
    stems = [NIFTI_NAME.sub("", n) for n in names]
    found = [s for s in MASK_SUFFIXES if any(stem.endswith(s) for stem in stems)]
    if len(found) > 1:
        raise DataError(f"{root}: label maps of several suffixes ({', '.join(found)}); say which with --mask-suffix")
    if not found:
        raise DataError(f"{root}: no label maps found; expected {LAYOUTS}")
    return found[0]


def folder_pairs(root, mask_suffix=None, subject_pattern=SUBJECT_OF_FILE) -> list:
    """[(subject name, image path, label map path)] of a data folder in one of the `LAYOUTS`."""
    if not os.path.isdir(root):
        raise DataError(f"{root}: folder not found")
    for images, labels in (("images", "labels"), ("imagesTr", "labelsTr")):
        if os.path.isdir(os.path.join(root, images)) and os.path.isdir(os.path.join(root, labels)):
            return image_label_folder_pairs(root, images, labels, mask_suffix, subject_pattern)
    files = [(root, f) for f in nifti_files(root)]
    subfolders = [] if files else [os.path.join(root, d) for d in sorted(os.listdir(root))
                                   if os.path.isdir(os.path.join(root, d))]
    files += [(folder, f) for folder in subfolders for f in nifti_files(folder)]
    if not files:
        raise DataError(f"{root}: no NIfTI files; expected {LAYOUTS}")
    suffix = choose_mask_suffix(root, [f for _, f in files], mask_suffix)
    masks = {(folder, f) for folder, f in files if NIFTI_NAME.sub("", f).endswith(suffix)}
    pattern, named = re.compile(subject_pattern), []
    for folder, f in files:
        if (folder, f) in masks or is_mask_name(f):         # label maps of the suffix, or of another one
            continue
        mask = NIFTI_NAME.sub(lambda m: f"{suffix}{m.group(0)}", f)
        if (folder, mask) not in masks:
            if subfolders and NIFTI_NAME.sub("", f).endswith("_4d"):
                continue                     # ACDC's cine series: no label map, not a pair
            raise DataError(f"{os.path.join(folder, f)}: image has no label map {mask}")
        named.append((subject_of(pattern, folder, f, subject_pattern), os.path.join(folder, f),
                      os.path.join(folder, mask)))
    if not named:
        raise DataError(f"{root}: no <name>.nii.gz images with <name>{suffix}.nii.gz label maps")
    return named


def subject_of(pattern, folder, name, subject_pattern) -> str:
    match = pattern.match(NIFTI_NAME.sub("", name))
    if not match:
        raise DataError(f"{os.path.join(folder, name)}: name does not match the subject pattern {subject_pattern!r}")
    return match.group("subject")


def image_label_folder_pairs(root, images, labels, mask_suffix, subject_pattern) -> list:
    """images/<name>.nii.gz with labels/<name>.nii.gz, or labels/<name><suffix>.nii.gz: the suffix
    given, else none or the one of the common suffixes that the label files use (public LGE sets
    name theirs <name>_manual)."""
    pattern, named = re.compile(subject_pattern), []
    label_files = set(nifti_files(os.path.join(root, labels)))
    suffixes = [mask_suffix] if mask_suffix else ["", *MASK_SUFFIXES]
    for f in nifti_files(os.path.join(root, images)):
        name = re.sub(r"_0000$", "", NIFTI_NAME.sub("", f))
        extension = NIFTI_NAME.search(f).group(0)
        found = {suffix: label for suffix in suffixes for label in
                 [f"{name}{suffix}{ext}" for ext in (extension, ".nii.gz", ".nii")] if label in label_files}
        if len(found) > 1:
            raise DataError(f"{os.path.join(root, labels)}: label maps of several suffixes for {f} "
                            f"({', '.join(sorted(found.values()))}); say which with --mask-suffix")
        if not found:
            raise DataError(f"{os.path.join(root, images, f)}: no label map {name}{suffixes[0]}{extension}"
                            f"{'' if mask_suffix else ' (or with a suffix of ' + ', '.join(MASK_SUFFIXES) + ')'}"
                            f" in {os.path.join(root, labels)}")
        named.append((subject_of(pattern, os.path.join(root, images), f"{name}{extension}", subject_pattern),
                      os.path.join(root, images, f), os.path.join(root, labels, found.popitem()[1])))
    if not named:
        raise DataError(f"{os.path.join(root, images)}: no NIfTI images")
    return named


class NiftiPairsLoader(VolumePairLoader):
    """Any data folder in one of the `LAYOUTS` (label maps `<name><mask_suffix>.nii.gz`, the
    suffix found by itself when not given), and a label map given by the user, e.g. {"MYO": 2, "LV": 3} (the paper's LV + MYO data sets).
    Labels the map does not name count as background (e.g. the RV of ACDC-style files).

    Several modalities: `root` = {modality tag: folder}, e.g. {"MR": "/data/cine", "LGE":
    "/data/lge"}. Subjects, not files, are the unit of every split: `subject_pattern` (a regular
    expression with a `subject` group, matched against the image name without extension) puts
    the frames of one patient together (by default `patient007_frame01` and `patient007_frame12`,
    or `case3_ED` and `case3_ES`), and a subject name found in two modality folders is one
    person, kept in one set."""

    def __init__(self, root, label_map: dict, mask_suffix=None, modality="MR", subject_pattern=SUBJECT_OF_FILE,
                 **kwargs):
        folders = dict(root) if isinstance(root, dict) else {modality: root}
        folders = {tag: [f] if isinstance(f, str) else list(f) for tag, f in folders.items()}   # a tag: one or several
        suffixes = mask_suffix if isinstance(mask_suffix, dict) else {tag: mask_suffix for tag in folders}
        unknown = set(suffixes) - set(folders)
        if unknown:
            raise DataError(f"--mask-suffix {', '.join(sorted(unknown))}=...: no --data folder has that modality tag "
                            f"(tags: {', '.join(folders)})")
        if not label_map:
            raise DataError("a label map is needed, e.g. MYO=2,LV=3")
        named = [(tag, *pair) for tag, tag_folders in folders.items() for folder in tag_folders
                 for pair in folder_pairs(folder, suffixes.get(tag), subject_pattern)]
        numbers = {name: k for k, name in enumerate(sorted({n for _, n, _, _ in named}), start=1)}
        self.subject_names = {k: name for name, k in numbers.items()}
        pairs = [(numbers[name], tag, image, mask) for tag, name, image, mask in named]
        # several modalities: the root is {tag: absolute folder, or [folders]}, as run.json records it
        description = root if not isinstance(root, dict) else {
            t: os.path.abspath(f[0]) if len(f) == 1 else [os.path.abspath(x) for x in f] for t, f in folders.items()}
        super().__init__(description, pairs, dict(label_map), name="NIfTI pairs", **kwargs)

    def describe_subject(self, subject):
        return self.subject_names.get(subject, f"subject {subject}")


def parse_label_map(text):
    """'MYO=2,LV=3' -> {'MYO': 2, 'LV': 3}: each name once, each value a positive whole number
    used once (two structures of one value would get the same channel and volume)."""
    try:
        pairs = [(k.strip(), int(v)) for k, v in (item.split("=") for item in text.split(",") if item.strip())]
    except ValueError as err:
        raise DataError(f"label map {text!r} is not of the form NAME=VALUE,NAME=VALUE") from err
    names, values = [k for k, _ in pairs], [v for _, v in pairs]
    problems = ["no structure is named"] if not pairs else []
    problems += ["a structure has no name"] if "" in names else []
    problems += [f"the name {n} is given twice" for n in sorted({n for n in names if names.count(n) > 1})]
    problems += [f"the value {v} is given to {' and '.join(k for k, w in pairs if w == v)}"
                 for v in sorted({v for v in values if values.count(v) > 1})]
    problems += [f"{k}={v}: values are positive (0 is the background)" for k, v in pairs if v <= 0]
    if problems:
        raise DataError(f"label map {text!r}: {'; '.join(problems)}")
    return dict(pairs)
