"""Reading NIfTI files with errors that name the file and the problem."""
import gzip
import logging
import os
import re
import zlib

import numpy as np

from sdnet.data.errors import DataError

log = logging.getLogger("sdnet")
NIFTI = re.compile(r"\.nii(\.gz)?$")
# what label-map files commonly end in (before .nii/.nii.gz): a folder's label maps are told
# from its images by these
MASK_SUFFIXES = ("_gt", "_seg", "_mask", "_label", "_labels", "_manual")
MASK_SUFFIX = re.compile("(" + "|".join(MASK_SUFFIXES) + ")$")


def stem(path) -> str:
    """A NIfTI file's name without folder and extension."""
    return NIFTI.sub("", os.path.basename(path))


def is_mask_name(path) -> bool:
    return bool(MASK_SUFFIX.search(stem(path)))


def load_nifti(path, what="image"):
    """Returns (float64 array, voxel sizes from header.get_zooms())."""
    import nibabel as nib

    if not os.path.isfile(path):
        raise DataError(f"{path}: {what} file not found")
    try:
        img = nib.load(path)
        data = np.asarray(img.dataobj, dtype=np.float64)
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile, nib.filebasedimages.ImageFileError,
            ValueError) as err:
        raise DataError(f"{path}: cannot read this NIfTI {what} ({err}); is the file truncated "
                        "or not a .nii/.nii.gz?") from err
    if data.ndim < 2:
        raise DataError(f"{path}: expected a 2-D, 3-D or 4-D {what}, got shape {data.shape}")
    if not np.all(np.isfinite(data)):
        bad = int(np.size(data) - np.count_nonzero(np.isfinite(data)))
        raise DataError(f"{path}: {bad} voxels are NaN or infinite; expected finite intensities")
    zooms = tuple(float(z) for z in img.header.get_zooms())
    if zero_spacing_in_file(path, img, min(data.ndim, 3)):
        zooms = spacing_from_sform(path, img, zooms, min(data.ndim, 3))
    if len(zooms) < 2 or min(zooms[:2]) <= 0:
        raise DataError(f"{path}: header voxel sizes {zooms} are not positive")
    return data, zooms


def zero_spacing_in_file(path, img, spatial_dims) -> bool:
    """Whether the file's own pixdim holds a 0 voxel size: nibabel replaces it by 1 mm on
    loading (with an anonymous warning), which would resample the image as if its voxels were
    1 mm."""
    from nibabel.openers import ImageOpener

    try:
        with ImageOpener(path) as f:
            raw = type(img.header).from_fileobj(f, check=False)
        return bool(np.any(np.asarray(raw["pixdim"][1:1 + spatial_dims]) == 0))
    except Exception:         # a header type without pixdim (or unreadable twice): trust nibabel's
        return False


def spacing_from_sform(path, img, zooms, spatial_dims):
    """The voxel sizes of the sform (independent of pixdim) where it is set, said in the log;
    otherwise the file is refused."""
    sform, code = img.header.get_sform(coded=True)
    spacing = np.linalg.norm(sform[:3, :spatial_dims], axis=0) if code else np.zeros(spatial_dims)
    if not np.all(spacing > 0):
        raise DataError(f"{path}: the header's voxel size is 0 (pixdim) and no sform gives it; set the pixel "
                        "size in the header (e.g. nibabel's header.set_zooms) before using this file")
    log.warning("%s: the header's voxel size is 0 (pixdim); using the sform's %s mm", path,
                " x ".join(f"{v:.4g}" for v in spacing))
    return tuple(float(v) for v in spacing) + tuple(zooms[spatial_dims:])


def load_label_map(path):
    """(integer label map, voxel sizes); DataError naming the file when it holds intensities."""
    data, zooms = load_nifti(path, "label map")
    labels = np.rint(data)
    if not np.array_equal(labels, data) or len(np.unique(labels[:: max(1, labels.size // 200000)])) > 255:
        raise DataError(f"{path}: looks like an image (intensities, not a few whole-number labels); "
                        "expected a label map")
    return labels.astype(np.int64), zooms
