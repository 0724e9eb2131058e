"""Plots used across the course, with German labels.

- :func:`show_images`: image grid with (true and predicted) labels
- :func:`plot_history`: learning curves, loss and accuracy, training vs. test
- :func:`plot_curves`: one metric of several training variants side by side
- :func:`plot_confusion_matrix`: rows = true class, columns = predicted class
- :func:`show_weights`: weight vectors as images on a shared diverging colour scale

Every function returns the matplotlib ``Figure``.

Verwendet in den Notebooks 02–06.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator


def _to_numpy(x):
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def _label(value, class_names):
    value = int(value)
    return class_names[value] if class_names is not None else str(value)


def show_images(images, labels=None, predictions=None, *, class_names=None, ncols: int = 8,
                size: float = 1.5, cmap: str = "gray_r", title: str | None = None):
    """Show images (``(n, h, w)`` or ``(n, 1, h, w)``) in a grid.

    With ``predictions`` each title reads "wahr → vorhergesagt", wrong ones in red.
    """
    images = _to_numpy(images)
    if images.ndim == 4:
        images = images[:, 0]
    n = len(images)
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.3),
                             squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        ax.imshow(images[i], cmap=cmap)
        if labels is not None and predictions is not None:
            true, pred = _label(labels[i], class_names), _label(predictions[i], class_names)
            ax.set_title(f"{true} → {pred}", fontsize=8,
                         color="black" if int(labels[i]) == int(predictions[i]) else "crimson")
        elif labels is not None:
            ax.set_title(_label(labels[i], class_names), fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_history(history: dict, title: str | None = None, *, test_label: str = "Test"):
    """Loss and accuracy per epoch, training vs. test (keys as returned by ``utils.training.fit``).

    ``test_label`` names the evaluation curves, e.g. ``"Validierung"`` when ``fit`` evaluated a
    validation set (Notebook 05).
    """
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 3.8))
    epochs = np.arange(1, len(history["train_loss"]) + 1)
    for key, label, style in (("train", "Training", "-o"), ("test", test_label, "-s")):
        if f"{key}_loss" in history:
            ax_loss.plot(epochs, history[f"{key}_loss"], style, ms=3, label=label)
        if f"{key}_acc" in history:
            ax_acc.plot(epochs, history[f"{key}_acc"], style, ms=3, label=label)
    ax_loss.set(xlabel="Epoche", ylabel="Verlust (pro Beispiel)", title="Verlustfunktion")
    ax_acc.set(xlabel="Epoche", ylabel="Genauigkeit", title="Genauigkeit")
    for ax in (ax_loss, ax_acc):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # no epoch 2.5
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_curves(curves: dict, *, ylabel: str, title: str | None = None, xlabel: str = "Epoche"):
    """Several curves (name → values per epoch) in one axis, e.g. test accuracy of variants."""
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, values in curves.items():
        ax.plot(np.arange(1, len(values) + 1), values, "-o", ms=3, label=name)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig


def plot_confusion_matrix(y_true, y_pred, *, class_names=None, normalize: bool = False,
                          title: str = "Konfusionsmatrix", ax=None):
    """Confusion matrix as a seaborn heatmap: rows = true class, columns = predicted class.

    With ``normalize`` each row is divided by its sum (share per true class).
    """
    import seaborn as sns
    from sklearn.metrics import confusion_matrix

    y_true, y_pred = _to_numpy(y_true), _to_numpy(y_pred)
    labels = np.arange(len(class_names)) if class_names is not None else None
    matrix = confusion_matrix(y_true, y_pred, labels=labels)
    if normalize:
        matrix = matrix / matrix.sum(axis=1, keepdims=True).clip(min=1)
    names = class_names if class_names is not None else np.unique(np.concatenate([y_true, y_pred]))
    if ax is None:
        size = max(4.0, 0.55 * len(names) + 1.5)
        fig, ax = plt.subplots(figsize=(size + 1, size))
    else:
        fig = ax.figure
    sns.heatmap(matrix, annot=True, fmt=".2f" if normalize else "d", cmap="Blues",
                xticklabels=names, yticklabels=names, cbar=True, ax=ax, square=True,
                annot_kws={"fontsize": 8})
    ax.set(xlabel="Vorhergesagte Klasse", ylabel="Wahre Klasse", title=title)
    fig.tight_layout()
    return fig


def show_weights(weights, *, shape=(28, 28), titles=None, ncols: int = 5, size: float = 2.0,
                 cmap: str = "RdBu_r", title: str | None = None):
    """Weight vectors (one per row, e.g. ``W.T`` of a 784→10 layer) as images.

    All images share one colour scale symmetric around 0, shown in one colour bar, so that
    red = positive and blue = negative weights are comparable across images.
    """
    weights = _to_numpy(weights).reshape(-1, *shape)
    n = len(weights)
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    limit = float(np.abs(weights).max()) or 1.0
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols + 1.0, size * nrows + 0.3),
                             squeeze=False)
    image = None
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            image = ax.imshow(weights[i], cmap=cmap, vmin=-limit, vmax=limit)
            if titles is not None:
                ax.set_title(str(titles[i]), fontsize=9)
    fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.8, label="Gewicht")
    if title:
        fig.suptitle(title)
    return fig
