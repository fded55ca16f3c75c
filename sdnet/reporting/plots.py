"""Figures people would rather look at than read: example decompositions and Dice curves."""
import os
import textwrap

import numpy as np

COLOURS = np.array([[0.9, 0.2, 0.2], [0.2, 0.8, 0.2], [0.2, 0.4, 1.0], [0.9, 0.8, 0.1],
                    [0.8, 0.2, 0.9], [0.1, 0.9, 0.9], [1.0, 0.5, 0.0]])


def pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def overlay(image, masks, colours=COLOURS):
    """Grey image with coloured mask channels, (H, W, 3)."""
    grey = (np.clip(image[..., 0], -1, 1) + 1) / 2
    rgb = np.repeat(grey[..., None], 3, -1)
    for c in range(masks.shape[-1]):
        alpha = 0.45 * np.clip(masks[..., c], 0, 1)[..., None]
        rgb = rgb * (1 - alpha) + alpha * np.asarray(colours[c % len(colours)])
    return np.clip(rgb, 0, 1)


def save_examples(model, data, folder, tag, count=4):
    """A row per image: input, prediction overlay, ground truth; for SDNet also the anatomy
    channels and the reconstruction."""
    plt = pyplot()
    os.makedirs(folder, exist_ok=True)
    pick = np.linspace(0, data.size() - 1, min(count, data.size())).astype(int)
    images, masks = data.images[pick], data.masks[pick]
    prediction = model.segment(images)
    has_anatomy = hasattr(model, "encode")
    if has_anatomy:
        anatomy, _, _ = model.encode(images)
        reconstruction = model.reconstruct(images)
    cols = 3 + (anatomy.shape[-1] + 1 if has_anatomy else 0)
    fig, axes = plt.subplots(len(pick), cols, figsize=(1.6 * cols, 1.6 * len(pick)), squeeze=False)
    for r in range(len(pick)):
        panels = [(images[r, ..., 0], "image"), (overlay(images[r], prediction[r]), "prediction"),
                  (overlay(images[r], masks[r]), "ground truth")]
        if has_anatomy:
            panels.append((reconstruction[r, ..., 0], "reconstruction"))
            panels += [(anatomy[r, ..., c], f"s{c}") for c in range(anatomy.shape[-1])]
        for ax, (panel, title) in zip(axes[r], panels):
            ax.imshow(panel, cmap="gray", vmin=-1 if title in ("image", "reconstruction") else 0, vmax=1)
            ax.set_axis_off()
            if r == 0:
                ax.set_title(title, fontsize=7)
    fig.tight_layout()
    path = os.path.join(folder, f"{tag}.png")
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path


def dice_vs_labels(measured, published, path, title="Average Dice against labelled fraction"):
    """measured / published: {method: {fraction: dice %}}; measured solid, published dashed."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for i, method in enumerate(sorted(set(measured) | set(published))):
        colour = f"C{i}"
        for values, style, label in ((measured.get(method, {}), "-o", "measured"),
                                     (published.get(method, {}), "--", "published")):
            if values:
                xs = sorted(values)
                ax.plot(xs, [values[x] for x in xs], style, color=colour, label=f"{method} ({label})")
    ax.set_xscale("log")
    ax.set_xlabel("labelled fraction of training subjects")
    ax.set_ylabel("average Dice (%)")
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def image_columns(columns, rows, path, size=2.2):
    """A grid of images on [-1, 1]: `columns` = [(title, images (N, H, W, 1))], the first `rows`
    images of each."""
    plt = pyplot()
    fig, axes = plt.subplots(rows, len(columns), figsize=(size * len(columns), size * rows), squeeze=False)
    for c, (title, images) in enumerate(columns):
        for r in range(rows):
            axes[r, c].imshow(images[r, ..., 0], cmap="gray", vmin=-1, vmax=1)
            axes[r, c].set_axis_off()
        axes[0, c].set_title(title, fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def anatomy_rows(rows, channel_titles, path):
    """A row per (label, image (H, W, 1), s (H, W, C)): the image, then each channel of s on [0, 1]
    titled with `channel_titles` on the first row."""
    plt = pyplot()
    channels = max(s.shape[-1] for _, _, s in rows)
    fig, axes = plt.subplots(len(rows), channels + 1, figsize=(1.5 * (channels + 1), 1.6 * len(rows)), squeeze=False)
    for r, (label, image, s) in enumerate(rows):
        axes[r, 0].imshow(image[..., 0], cmap="gray", vmin=-1, vmax=1)
        axes[r, 0].set_ylabel(textwrap.fill(label, 14), fontsize=7)      # wrapped: long frame names overlap
        for c in range(s.shape[-1]):
            axes[r, c + 1].imshow(s[..., c], cmap="gray", vmin=0, vmax=1)
            if r == 0:
                axes[r, c + 1].set_title(channel_titles[c], fontsize=6)
        for ax in axes[r]:
            ax.set_xticks([])
            ax.set_yticks([])
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
