"""Section 5.4: does z know the modality? A logistic regression (scikit-learn), fitted post hoc
on z of the training images to predict each image's modality tag, scored on the test images;
once with every z dimension and once per dimension alone."""
from __future__ import annotations

import numpy as np

PUBLISHED = ["MR vs CT (MM-WHS, test 420 MR + 387 CT images): 92 % with all z dimensions; the best single "
             "dimension 82 %, the others 42-66 %.",
             "cine MR vs CP-BOLD MR (private): 96 % with all dimensions; single dimensions 47-65 %."]


def classification_accuracy(z_train, tags_train, z_test, tags_test) -> float:
    from sklearn.linear_model import LogisticRegression

    classifier = LogisticRegression(max_iter=1000).fit(z_train, tags_train)
    return float(np.mean(classifier.predict(z_test) == tags_test))


def classify_modality(z_train, tags_train, z_test, tags_test) -> dict:
    """{"all": accuracy with every dimension, "per_dimension": [accuracy of each alone],
    "chance": the test share of the most frequent training tag}."""
    tags_train, tags_test = np.asarray(tags_train), np.asarray(tags_test)
    found = sorted(set(tags_train.tolist()))
    if len(found) < 2:
        raise ValueError(f"modality classification needs images of two or more modality tags; the training "
                         f"images have {found}")
    values, counts = np.unique(tags_train, return_counts=True)
    return {"tags": found,
            "all": classification_accuracy(z_train, tags_train, z_test, tags_test),
            "per_dimension": [classification_accuracy(z_train[:, [d]], tags_train, z_test[:, [d]], tags_test)
                              for d in range(z_train.shape[1])],
            "chance": float(np.mean(tags_test == values[np.argmax(counts)]))}


def modality_report(method, train, test) -> list:
    """Markdown lines: z is the posterior mean of each image (no sampling noise)."""
    result = classify_modality(method.posterior_mean(train.images), train.modality,
                               method.posterior_mean(test.images), test.modality)
    tags = result["tags"]
    counts = ", ".join(f"{np.sum(test.modality == t)} {t}" for t in tags)
    per_dimension = result["per_dimension"]
    best = int(np.argmax(per_dimension))
    return ["### Modality from z (Section 5.4)", "",
            f"Logistic regression on the posterior mean of z: fitted on the {train.size()} training images, "
            f"scored on the {test.size()} test images ({counts}); chance (the most frequent tag) "
            f"{100 * result['chance']:.0f} %.", "",
            "| z dimensions | accuracy (%) |", "|---|---|",
            f"| all {len(per_dimension)} | {100 * result['all']:.1f} |",
            *[f"| z{d + 1}{' (best)' if d == best else ''} | {100 * a:.1f} |" for d, a in enumerate(per_dimension)],
            "", "Published: " + " ".join(PUBLISHED), ""]
