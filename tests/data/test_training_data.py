"""The data of a semi-supervised run: labelled subjects, unlabelled pool, D_M's real masks."""
import shutil

import numpy as np
import pytest

from sdnet.data.acdc import ACDCLoader, SPLITS
from sdnet.data.training_data import load_training_data


@pytest.mark.parametrize("fraction, subjects", [(0.015, 1), (0.03, 2), (0.06, 4), (0.125, 8), (0.25, 17),
                                                (0.5, 35), (1.0, 70)])
def test_labelled_fraction_counts_subjects(phantom_loader, fraction, subjects):
    data = load_training_data(phantom_loader, 0, fraction, seed=1, max_unlabelled=1200)
    assert data.labelled.num_subjects == subjects
    assert data.discriminator_masks.num_subjects == 70      # real masks: every labelled volume
    assert data.unlabelled.size() > 0


def test_labelled_subset_is_the_originals_numpy_draw(phantom_loader):
    data = load_training_data(phantom_loader, 0, 0.06, seed=1)
    np.random.seed(1)
    expected = np.random.choice(sorted(SPLITS[0]["training"]), size=4, replace=False)
    assert sorted(data.labelled.subjects()) == sorted(expected.tolist())


def test_unlabelled_pool_is_capped_evenly_per_subject(phantom_loader):
    data = load_training_data(phantom_loader, 0, 0.25, seed=1, max_unlabelled=140)
    assert data.unlabelled.size() <= 140 + 70 and data.unlabelled.num_subjects == 70


def test_without_cine_files_the_pool_is_the_unlabelled_subjects(phantom_root, tmp_path):
    root = tmp_path / "training"
    shutil.copytree(phantom_root, root, ignore=shutil.ignore_patterns("*_4d.nii.gz"))
    loader = ACDCLoader(str(root), image_size=32, spacing_mm=9.59, cache_dir=str(tmp_path / "c"), workers=1)
    data = load_training_data(loader, 0, 0.25, seed=1)
    assert not set(data.unlabelled.subjects()) & set(data.labelled.subjects())
    assert data.unlabelled.num_subjects == 70 - 17
    assert any("4-D" in n for n in data.notes)
    full = load_training_data(loader, 0, 1.0, seed=1)
    assert full.unlabelled.num_subjects == 70 and any("every training image" in n for n in full.notes)


def test_disjoint_real_masks_never_belong_to_an_image_the_model_sees_unlabelled(phantom_loader):
    data = load_training_data(phantom_loader, 0, 0.06, seed=1, discriminator_masks="disjoint")
    labelled = set(data.labelled.subjects())
    mask_subjects = set(data.discriminator_masks.subjects())
    seen_unlabelled = set(data.unlabelled.subjects()) | set(data.discriminator_images.subjects())
    assert labelled <= mask_subjects
    assert not (mask_subjects - labelled) & seen_unlabelled
    assert len(mask_subjects - labelled) == (70 - len(labelled)) // 2
    assert any("real masks" in n for n in data.notes)


def test_split_3_is_the_ssl4mis_lists_and_first_labels_their_first_patients(phantom_loader):
    """SSL4MIS's 3 labelled patients are the first three of its train.list (099, 038, 050) for every
    seed; its lists are 70 / 10 / 20 patients, disjoint, all 100 of ACDC."""
    lists = SPLITS[3]
    assert [len(lists[k]) for k in ("training", "validation", "test")] == [70, 10, 20]
    assert sorted(lists["training"] + lists["validation"] + lists["test"]) == list(range(1, 101))
    for seed in (1, 2):
        data = load_training_data(phantom_loader, 3, 0.043, seed=seed, labelled_choice="first")
        assert data.labelled.subjects() == [38, 50, 99]
    seven = load_training_data(phantom_loader, 3, 0.1, seed=1, labelled_choice="first")
    assert seven.labelled.subjects() == sorted([99, 38, 50, 100, 58, 21, 49])
    drawn = load_training_data(phantom_loader, 3, 0.043, seed=1)
    assert drawn.labelled.subjects() != [38, 50, 99]           # the seeded draw is unchanged by the option
    with pytest.raises(ValueError, match="selects none"):
        load_training_data(phantom_loader, 3, 0.01, labelled_choice="first")
    with pytest.raises(ValueError, match="modality_fractions"):
        load_training_data(phantom_loader, 3, 0.1, labelled_choice="first", modality_fractions={"MR": 0.1})
