"""Section 5.2's numbers from finished `sdnet_lvv` runs: the LV volume of each test frame as the
regressor predicts it against the ground truth (mean, sd, paired t-test, Bland-Altman plot),
and the test Dice of the pre-trained model against the fine-tuned one."""
from __future__ import annotations

import os

import numpy as np

from sdnet.evaluation import evaluate, paired_ttest
from sdnet.reporting.plots import pyplot
from sdnet.reporting.published import LV_VOLUME as PUBLISHED

def frame_volumes(method, data, loader, channel) -> list:
    """Per 3-D frame of `data`: {"frame", "true_ml", "regressed_ml", "segmented_ml"}: the mask's
    volume, the sum of the regressed per-slice areas, and the volume of the rounded prediction,
    each as pixel count x pixel area x slice thickness."""
    rows = []
    for frame, images, masks in data.by_frame():
        predicted = method.segment(images)[..., channel]
        rows.append({"frame": frame, "true_ml": loader.volume_ml(frame, masks[..., channel]),
                     "regressed_ml": loader.volume_ml(frame, method.predict_areas(images)),
                     "segmented_ml": loader.volume_ml(frame, np.round(predicted))})
    return rows


def patient_dice(method, data, structures) -> dict:
    """{column: per-patient Dice %} of the original protocol (avg = pooled soft Dice)."""
    rows = evaluate(method, data, structures)["original"]
    return {k: 100 * np.array([r["scores"][k] for r in rows]) for k in rows[0]["scores"]}


def bland_altman(volumes: dict, path):
    """One panel per run: difference (regressed - true) against the mean of the two, with the
    mean difference and its 95 % limits of agreement."""
    plt = pyplot()
    fig, axes = plt.subplots(1, len(volumes), figsize=(4.2 * len(volumes), 3.6), squeeze=False)
    for ax, (title, rows) in zip(axes[0], volumes.items()):
        true = np.array([r["true_ml"] for r in rows])
        regressed = np.array([r["regressed_ml"] for r in rows])
        mean, difference = (true + regressed) / 2, regressed - true
        bias, spread = difference.mean(), 1.96 * difference.std(ddof=1) if len(rows) > 1 else 0.0
        ax.scatter(mean, difference, s=14)
        for level, style in ((bias, "-"), (bias - spread, "--"), (bias + spread, "--")):
            ax.axhline(level, color="grey", linestyle=style, linewidth=1)
        ax.set_xlabel("mean of regressed and true LV volume (mL)")
        ax.set_ylabel("regressed - true (mL)")
        ax.set_title(f"{title}\nbias {bias:.1f} mL, limits ±{spread:.1f}", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _mean_sd(values) -> str:
    return f"{np.mean(values):.1f} ± {np.std(values):.1f}"


def lvv_report(runs: dict, loader, out) -> list:
    """Markdown lines for `runs` ({title: (method before, method after, config, test Data)}):
    the volumes table, the Dice before and after, and the Bland-Altman figure in `out`."""
    structures = loader.structures
    lines = ["### LV volume (mL) per test frame", "",
             "| run | true | regressed | p (paired t) | segmented | mean abs error, regressed |",
             "|---|---|---|---|---|---|"]
    dice_lines = ["### Test Dice (%) before and after fine-tuning (per patient; avg is the pooled soft Dice)", "",
                  "| run | " + " | ".join(f"{k} before | {k} after | p" for k in (*structures, "avg")) + " |",
                  "|---|" + "---|---|---|" * (len(structures) + 1)]
    regressed = {}
    for title, (before, after, cfg, test) in runs.items():
        channel = list(structures).index(cfg.area_structure)
        volumes = frame_volumes(after, test, loader, channel)
        true = [r["true_ml"] for r in volumes]
        if cfg.w_area > 0:
            regressed[title] = volumes
            estimate = [r["regressed_ml"] for r in volumes]
            lines.append(f"| {title} | {_mean_sd(true)} | {_mean_sd(estimate)} | {paired_ttest(estimate, true):.3f} | "
                         f"{_mean_sd([r['segmented_ml'] for r in volumes])} | "
                         f"{np.mean(np.abs(np.subtract(estimate, true))):.1f} |")
        else:
            lines.append(f"| {title} (no area cost: regressor untrained) | {_mean_sd(true)} | — | — | "
                         f"{_mean_sd([r['segmented_ml'] for r in volumes])} | — |")
        first, last = patient_dice(before, test, structures), patient_dice(after, test, structures)
        cells = [f"{first[k].mean():.1f} | {last[k].mean():.1f} | {paired_ttest(first[k], last[k]):.3f}"
                 for k in (*structures, "avg")]
        dice_lines.append(f"| {title} | " + " | ".join(cells) + " |")
    published = PUBLISHED
    lines += ["", f"Published (QMRI, ED frames): regressed {published['regressed_ml'][0]} ± "
                  f"{published['regressed_ml'][1]} mL against true {published['true_ml'][0]} ± "
                  f"{published['true_ml'][1]} mL, no significant difference.", ""]
    dice_lines += ["", "Published: " + ", ".join(f"{k} {published['dice_before'][k]} → {published['dice_after'][k]}"
                                                 for k in published["dice_before"]) +
                   " (avg significant at 5 %; one split).", ""]
    figure = []
    if regressed:
        bland_altman(regressed, os.path.join(out, "lvv_bland_altman.png"))
        figure = ["![Bland-Altman plot of the regressed LV volumes](lvv_bland_altman.png)", ""]
    return lines + figure + dice_lines
