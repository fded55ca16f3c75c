"""Reading NIfTI files with errors that name the file and the problem."""
import os
import zlib
import gzip

import numpy as np

from sdnet.data.errors import DataError


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
    if len(zooms) < 2 or min(zooms[:2]) <= 0:
        raise DataError(f"{path}: header voxel sizes {zooms} are not positive")
    return data, zooms
