"""utils.plots: each plot builds, with the labels a reader relies on."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from utils import plots  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_show_images_marks_wrong_predictions_in_red():
    images = np.zeros((3, 28, 28))
    fig = plots.show_images(images, labels=[1, 2, 3], predictions=[1, 0, 3],
                            class_names=list("abcd"))
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["b → b", "c → a", "d → d"]
    colours = [ax.title.get_color() for ax in fig.axes[:3]]
    assert colours[1] == "crimson" and colours[0] == "black"


def test_plot_history_has_german_axes():
    history = {"train_loss": [1, 0.5], "train_acc": [0.5, 0.8],
               "test_loss": [1.1, 0.7], "test_acc": [0.4, 0.7]}
    fig = plots.plot_history(history)
    loss_ax, acc_ax = fig.axes
    assert loss_ax.get_xlabel() == "Epoche" and "Verlust" in loss_ax.get_ylabel()
    assert [line.get_label() for line in acc_ax.lines] == ["Training", "Test"]


def test_plot_history_names_the_evaluation_set():
    history = {"train_loss": [1, 0.5], "train_acc": [0.5, 0.8],
               "test_loss": [1.1, 0.7], "test_acc": [0.4, 0.7]}
    fig = plots.plot_history(history, test_label="Validierung")
    assert [line.get_label() for line in fig.axes[1].lines] == ["Training", "Validierung"]


def test_confusion_matrix_rows_are_true_classes():
    y_true = [0, 0, 0, 1]
    y_pred = [1, 1, 1, 1]
    fig = plots.plot_confusion_matrix(y_true, y_pred, class_names=["null", "eins"])
    ax = fig.axes[0]
    assert ax.get_ylabel() == "Wahre Klasse" and ax.get_xlabel() == "Vorhergesagte Klasse"
    texts = [t.get_text() for t in ax.texts]
    # row 0 (true "null"): 0 predicted as null, 3 as eins; row 1: 0, 1
    assert texts == ["0", "3", "0", "1"]


def test_show_weights_shares_a_symmetric_scale():
    weights = np.stack([np.full(784, -2.0), np.full(784, 1.0)])
    fig = plots.show_weights(weights, titles=["a", "b"], ncols=2)
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert all(im.get_clim() == (-2.0, 2.0) for im in images)
    assert any(ax.get_ylabel() == "Gewicht" for ax in fig.axes)


def test_plot_curves_one_line_per_variant():
    fig = plots.plot_curves({"SGD": [0.1, 0.2], "Adam": [0.3, 0.4]}, ylabel="Genauigkeit")
    assert [line.get_label() for line in fig.axes[0].lines] == ["SGD", "Adam"]


def test_epoch_axes_have_whole_numbers_only():
    values = [0.5 + 0.02 * k for k in range(20)]  # 20 epochs: matplotlib alone would tick 2.5, 7.5, ...
    history = {"train_loss": values, "train_acc": values}
    for fig in (plots.plot_history(history), plots.plot_curves({"A": values}, ylabel="Genauigkeit")):
        for ax in fig.axes:
            ticks = ax.get_xticks()
            assert len(ticks) > 2 and np.all(ticks == np.round(ticks)), ticks
