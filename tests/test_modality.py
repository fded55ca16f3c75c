"""Section 5.4's classifier of the modality from z, on constructed codes (no training)."""
import numpy as np
import pytest

from sdnet.reporting.modality import classify_modality


def codes(rng, n):
    """z of n MR and n CT images where only dimension 2 tells them apart."""
    tags = np.array(["MR"] * n + ["CT"] * n)
    z = rng.normal(size=(2 * n, 4))
    z[:, 2] += np.where(tags == "MR", 3.0, -3.0)
    return z, tags


def test_the_dimension_that_carries_the_modality_classifies_it_alone(rng):
    result = classify_modality(*codes(rng, 100), *codes(rng, 50))
    assert result["tags"] == ["CT", "MR"] and result["chance"] == 0.5
    assert result["all"] > 0.95 and result["per_dimension"][2] > 0.95
    others = [a for d, a in enumerate(result["per_dimension"]) if d != 2]
    assert max(others) < 0.7            # noise dimensions stay near chance


def test_one_modality_only_is_refused(rng):
    z, _ = codes(rng, 10)
    with pytest.raises(ValueError, match="two or more modality tags; the training images have \\['MR'\\]"):
        classify_modality(z, ["MR"] * 20, z, ["MR"] * 20)
