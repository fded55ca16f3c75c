"""Section 5.4: does z know the modality? A logistic regression (scikit-learn), fitted post hoc
on z of the training images to predict each image's modality tag, scored on the test images;
once with every z dimension and once per dimension alone."""
from __future__ import annotations

import os

import numpy as np

from sdnet.reporting.plots import anatomy_rows, image_columns
from sdnet.reporting.published import MODALITY_CLASSIFICATION as PUBLISHED


def classification_scores(z_train, tags_train, z_test, tags_test, tags) -> dict:
    """A logistic regression fitted on (z_train, tags_train), scored on the test images: plain
    accuracy, balanced accuracy (the mean of the per-tag recalls: chance is 1 / tags whatever
    the test set's balance) and each tag's recall."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import balanced_accuracy_score, recall_score

    predicted = LogisticRegression(max_iter=1000).fit(z_train, tags_train).predict(z_test)
    return {"accuracy": float(np.mean(predicted == tags_test)),
            "balanced": float(balanced_accuracy_score(tags_test, predicted)),
            "recall": dict(zip(tags, (float(r) for r in recall_score(tags_test, predicted, labels=tags,
                                                                       average=None, zero_division=0))))}


def classify_modality(z_train, tags_train, z_test, tags_test) -> dict:
    """{"all": scores with every dimension, "per_dimension": [scores of each alone], "chance":
    the plain accuracy of always answering the test set's most frequent tag, "balanced_chance"}."""
    tags_train, tags_test = np.asarray(tags_train), np.asarray(tags_test)
    found = sorted(set(tags_train.tolist()))
    if len(found) < 2:
        raise ValueError(f"modality classification needs images of two or more modality tags; the training "
                         f"images have {found}")
    return {"tags": found,
            "all": classification_scores(z_train, tags_train, z_test, tags_test, found),
            "per_dimension": [classification_scores(z_train[:, [d]], tags_train, z_test[:, [d]], tags_test, found)
                              for d in range(z_train.shape[1])],
            "chance": max(float(np.mean(tags_test == t)) for t in found),
            "balanced_chance": 1.0 / len(found)}


def modality_report(method, train, test, out=None) -> list:
    """Markdown lines: z is the posterior mean of each image (no sampling noise). Plain accuracy
    flatters an unbalanced test set, so balanced accuracy and each tag's recall stand beside it."""
    result = classify_modality(method.posterior_mean(train.images), train.modality,
                               method.posterior_mean(test.images), test.modality)
    tags = result["tags"]
    counts = {t: int(np.sum(test.modality == t)) for t in tags}
    per_dimension = result["per_dimension"]
    best = int(np.argmax([r["balanced"] for r in per_dimension]))

    def row(name, r):
        return (f"| {name} | {100 * r['accuracy']:.1f} | {100 * r['balanced']:.1f} | "
                + " | ".join(f"{100 * r['recall'][t]:.1f}" for t in tags) + " |")

    majority = max(counts, key=counts.get)
    lines = ["### Modality from z (Section 5.4)", "",
             f"Logistic regression on the posterior mean of z: fitted on the {train.size()} training images, "
             f"scored on the {test.size()} test images ({', '.join(f'{n} {t}' for t, n in counts.items())}). "
             f"Chance: {100 * result['chance']:.0f} % plain accuracy (always answering the most frequent test tag), "
             f"{100 * result['balanced_chance']:.0f} % balanced accuracy (the mean of the tags' recalls, which "
             "does not reward answering the majority tag).", ""]
    if counts[majority] > 0.65 * test.size():
        lines += [f"**The test set is unbalanced** ({100 * counts[majority] / test.size():.0f} % {majority}): read "
                  "the balanced accuracy, not the plain one, against the published figure.", ""]
    lines += ["| z dimensions | accuracy (%) | balanced accuracy (%) | "
              + " | ".join(f"{t} recall (%)" for t in tags) + " |",
              "|---|---|---|" + "---|" * len(tags),
              row(f"all {len(per_dimension)}", result["all"]),
              *[row(f"z{d + 1}{' (best)' if d == best else ''}", r) for d, r in enumerate(per_dimension)],
              f"| chance | {100 * result['chance']:.1f} | {100 * result['balanced_chance']:.1f} | "
              + " | ".join("–" for _ in tags) + " |",
              "", "Published (plain accuracy, on nearly balanced test sets): " + " ".join(PUBLISHED), ""]
    return lines


# -- Fig 6: modality transfer ---------------------------------------------------------------------
def two_modalities(data) -> tuple:
    tags = sorted(set(data.modality.tolist()))
    if len(tags) != 2:
        raise ValueError(f"this needs test images of exactly two modality tags, found {tags}")
    return tags


def evenly_spaced(data, count) -> np.ndarray:
    return np.linspace(0, data.size() - 1, min(count, data.size())).astype(int)


def intensity_distance(images, reference) -> float:
    """Wasserstein-1 distance between the intensity histograms of `images` and `reference`."""
    from scipy.stats import wasserstein_distance

    return float(wasserstein_distance(np.ravel(images), np.ravel(reference)))


# a reconstruction whose mean absolute error (intensities in [-1, 1]) is above this is too poor
# for a transfer figure to show anything
POOR_RECONSTRUCTION = 0.15


def transfer(method, data, count=16) -> dict:
    """For the two modalities A, B of `data`, `count` images of each decoded with their own z
    (reconstruction) and with the z of an image of the other modality (transfer).
    {(direction "A->B", "reconstruction" or "transfer"): {"inputs", "decoded", "to_target",
    "to_source", "error"}}: the distances are the mean over decoded images of the intensity
    distance to all test images of the target modality and of the source one; "error" is the
    mean absolute difference from the inputs."""
    tags = two_modalities(data)
    groups = {tag: data.with_modality(tag) for tag in tags}
    n = min(count, *(g.size() for g in groups.values()))
    chosen = {tag: g.select_images(evenly_spaced(g, n)) for tag, g in groups.items()}
    s = {tag: method.anatomy(d.images) for tag, d in chosen.items()}
    z = {tag: method.posterior_mean(d.images) for tag, d in chosen.items()}
    out = {}
    for source, target in (tags, tags[::-1]):
        for kind, code in (("reconstruction", z[source]), ("transfer", z[target])):
            decoded = method.decode(s[source], code)
            out[f"{source}->{target}", kind] = {
                "inputs": chosen[source].images, "decoded": decoded,
                "error": float(np.mean(np.abs(decoded - chosen[source].images))),
                "to_target": float(np.mean([intensity_distance(x, groups[target].images) for x in decoded])),
                "to_source": float(np.mean([intensity_distance(x, groups[source].images) for x in decoded]))}
    return out


def transfer_verdict(results: dict, direction) -> str:
    """A transfer worked when it brought the decoded images nearer the target modality than the
    same images decoded with their own z: a reconstruction may already lie nearer the target."""
    own, moved = results[direction, "reconstruction"], results[direction, "transfer"]
    if own["error"] > POOR_RECONSTRUCTION:
        return "no verdict: the reconstruction is too poor"
    if moved["to_target"] < own["to_target"]:
        return f"nearer the target by {own['to_target'] - moved['to_target']:.3f}"
    return "not nearer the target than the reconstruction"


def fig6(results: dict, path, rows=3):
    """Per row: A, A with its own z, A with B's z, B, B with its own z, B with A's z (the
    paper's layout with the reconstructions added, so that what the transfer changed shows)."""
    directions = [d for d, kind in results if kind == "transfer"]
    columns = []
    for direction in directions:
        source, target = direction.split("->")
        columns += [(source, results[direction, "transfer"]["inputs"]),
                    (f"{source}, own z", results[direction, "reconstruction"]["decoded"]),
                    (f"{source} anatomy, {target} z", results[direction, "transfer"]["decoded"])]
    image_columns(columns, min(rows, len(columns[0][1])), path, size=2.0)


def transfer_report(method, train, test, out, count=16) -> list:
    """Fig 6 in `out` and the distance table (`train` is not used: the transfers are of test images)."""
    results = transfer(method, test, count)
    fig6(results, os.path.join(out, "fig6_modality_transfer.png"))
    lines = ["### Modality transfer (Fig 6)", "",
             f"{count} test images of each modality (or as many as there are), decoded with their own z "
             "(reconstruction) and with the z of an image of the other modality (transfer). Distance: "
             "Wasserstein-1 between a decoded image's intensities and those of all test images of a "
             "modality, averaged over the decoded images. A transfer worked when it is nearer its target "
             "modality than the same images decoded with their own z (a reconstruction can already be "
             "nearer the target); reconstruction error: mean absolute difference from the input "
             f"(intensities in [-1, 1]; above {POOR_RECONSTRUCTION} no verdict is given).", "",
             "| direction | decoded with | distance to target | distance to source | reconstruction error | "
             "verdict |", "|---|---|---|---|---|---|"]
    for (direction, kind), entry in results.items():
        own = "its own z" if kind == "reconstruction" else f"the z of a {direction.split('->')[1]} image"
        verdict = transfer_verdict(results, direction) if kind == "transfer" else ""
        error = f"{entry['error']:.3f}" if kind == "reconstruction" else ""
        lines.append(f"| {direction} | {own} | {entry['to_target']:.3f} | {entry['to_source']:.3f} | {error} | "
                     f"{verdict} |")
    poor = [d for d, kind in results if kind == "reconstruction" and results[d, kind]["error"] > POOR_RECONSTRUCTION]
    if poor:
        lines += ["", f"**The reconstructions are too poor for this figure to mean anything** ({', '.join(poor)}: "
                      f"error above {POOR_RECONSTRUCTION}); train longer or at a larger preset."]
    return lines + ["", "![Fig 6: input, own-z reconstruction, transfer](fig6_modality_transfer.png)", ""]


# -- Fig 5: anatomy channels common to the modalities or unique to one ------------------------------
COVERAGE_RATIO = 5.0   # a channel used by two modalities is common only if neither covers 5x the other's pixels


def channel_use(anatomy_by_tag: dict, min_share=0.1) -> dict:
    """Per modality tag: each channel's mean occupancy (share of pixels) and the share of images in
    which it is non-empty; a channel is used by a modality when it is non-empty in at least
    `min_share` of its images. Roles are relative between the modalities: a channel used by both
    is "common" when their pixel coverages are within `COVERAGE_RATIO` of each other, "mostly
    <tag>" when one covers more than that many times the other's. Returns {"occupancy",
    "present", "used": {tag: [...]}, "ratio": coverage ratio (larger / smaller) per channel,
    "role": ["common" | "mostly <tag>" | "<tag> only" | "unused"] per channel}."""
    occupancy = {t: s.mean(axis=(0, 1, 2)) for t, s in anatomy_by_tag.items()}
    present = {t: (s.reshape(len(s), -1, s.shape[-1]).max(axis=1) > 0.5).mean(axis=0) for t, s in anatomy_by_tag.items()}
    used = {t: p >= min_share for t, p in present.items()}
    roles, ratios = [], []
    for c in range(len(next(iter(occupancy.values())))):
        users = [t for t in used if used[t][c]]
        cover = {t: float(occupancy[t][c]) for t in users}
        larger = max(cover, key=cover.get) if cover else None
        ratio = cover[larger] / max(min(cover.values()), 1e-12) if len(cover) > 1 else float("nan")
        ratios.append(ratio)
        roles.append("unused" if not users else f"{users[0]} only" if len(users) == 1
                     else f"mostly {larger}" if ratio > COVERAGE_RATIO
                     else "common" if len(users) == len(used) else "+".join(users))
    return {"occupancy": occupancy, "present": present, "used": used, "ratio": ratios, "role": roles}


def channel_quality_warning(roles) -> str:
    """Fig 5's gate, as Fig 6's: a model that leaves most channels empty, or whose used channels
    are all common, shows none of the paper's shared-plus-unique structure."""
    unused = roles.count("unused")
    specific = [r for r in roles if r.endswith(" only") or r.startswith("mostly ")]
    if unused > len(roles) / 2 or not specific:
        return (f"**This model is too weak for Fig 5 to mean anything**: {unused} of {len(roles)} channels are "
                f"empty and {len(specific)} is specific to one modality, where the paper shows channels shared "
                "by the modalities beside channels of one modality only; train longer or at a larger preset.")
    return ""


def channels_report(method, train, test, out) -> list:
    """Fig 5 in `out` (an MR image, then two of the other modality, as the paper) and the
    per-channel table of the test images (`train` is not used)."""
    tags = two_modalities(test)
    groups = {t: test.with_modality(t) for t in tags}
    anatomy = {t: method.anatomy(g.images) for t, g in groups.items()}
    use = channel_use(anatomy)
    first = "MR" if "MR" in tags else tags[0]          # the paper shows an MR image, then two CT
    second = [t for t in tags if t != first][0]
    rows = [(first, i) for i in evenly_spaced(groups[first], 1)] + [(second, i) for i in evenly_spaced(groups[second], 2)]
    anatomy_rows([(f"{t} ({groups[t].frame[i]})", groups[t].images[i], anatomy[t][i]) for t, i in rows],
                 [f"s{c}\n{role}" for c, role in enumerate(use["role"])], os.path.join(out, "fig5_anatomy_channels.png"))
    lines = ["### Anatomy channels by modality (Fig 5)", "",
             "Per channel of s over the test images: the share of pixels it covers and the share of images in "
             "which it is non-empty, per modality; a channel is used by a modality when it is non-empty in at "
             f"least 10 % of its images. Roles are relative: a channel used by both is common when neither "
             f"modality's pixel coverage is more than {COVERAGE_RATIO:g} times the other's (the coverage ratio, "
             "larger over smaller), else mostly the larger one's.", "",
             "| channel | " + " | ".join(f"{t} pixels (%) | {t} images (%)" for t in tags) + " | coverage ratio | role |",
             "|---|" + "---|---|" * len(tags) + "---|---|"]
    for c, role in enumerate(use["role"]):
        cells = " | ".join(f"{100 * use['occupancy'][t][c]:.2f} | {100 * use['present'][t][c]:.0f}" for t in tags)
        ratio = "–" if np.isnan(use["ratio"][c]) else f"{use['ratio'][c]:.1f}"
        lines.append(f"| s{c} | {cells} | {ratio} | {role} |")
    counts = {r: use["role"].count(r) for r in dict.fromkeys(use["role"])}
    warning = channel_quality_warning(use["role"])
    lines += ["", "Channels: " + ", ".join(f"{n} {r}" for r, n in counts.items()) + f". The paper (Fig 5): some "
              f"channels are shared by the modalities ({' and '.join(tags)} here; MR and CT in the paper), others "
              "are used by one modality only.", *(["", warning] if warning else []), "",
              "![Fig 5: anatomy channels](fig5_anatomy_channels.png)", ""]
    return lines
