"""Tests of utils.keras_models: the ready-made Keras classifiers of notebook 04."""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from utils.keras_models import compile_classifier, dense_classifier, small_cnn  # noqa: E402


def test_dense_classifier_is_logistic_regression_without_hidden_layers():
    model = dense_classifier()
    assert model.count_params() == 784 * 10 + 10
    assert [type(layer).__name__ for layer in model.layers] == ["Dense"]


def test_dense_classifier_with_one_hidden_layer():
    model = dense_classifier([36])
    assert model.count_params() == 784 * 36 + 36 + 36 * 10 + 10
    assert model.layers[0].units == 36
    assert model.layers[0].activation is keras.activations.relu


def test_dense_classifier_returns_probabilities_and_fresh_models():
    model = dense_classifier([5], n_inputs=4, n_classes=3)
    out = np.asarray(model(np.ones((2, 4), dtype="float32")))
    assert out.shape == (2, 3) and np.allclose(out.sum(axis=1), 1.0, atol=1e-5)
    assert dense_classifier() is not dense_classifier()


def test_small_cnn_shapes_and_parameter_count():
    model = small_cnn()
    assert model.count_params() == 225_034
    assert tuple(model.inputs[0].shape)[1:] == (28, 28, 1)
    flatten = next(layer for layer in model.layers if isinstance(layer, keras.layers.Flatten))
    assert tuple(flatten.output.shape)[1:] == (1_600,)
    out = np.asarray(model(np.zeros((3, 28, 28, 1), dtype="float32"), training=False))
    assert out.shape == (3, 10) and np.allclose(out.sum(axis=1), 1.0, atol=1e-5)


def test_compile_classifier_sets_sparse_cross_entropy_and_accuracy():
    model = compile_classifier(dense_classifier([4], n_inputs=4, n_classes=3))
    x = np.eye(4, dtype="float32")[:2]
    y = np.array([0, 2])
    scores = model.evaluate(x, y, verbose=0, return_dict=True)
    probs = np.asarray(model(x, training=False))
    expected = -np.mean(np.log(probs[np.arange(2), y]))
    assert np.isclose(scores["loss"], expected, rtol=1e-4)
    assert "accuracy" in scores
    assert type(model.optimizer).__name__ == "Adam"


def test_compile_classifier_accepts_an_optimizer_object():
    optimizer = keras.optimizers.SGD(learning_rate=0.1)
    model = compile_classifier(dense_classifier(n_inputs=4, n_classes=3), optimizer)
    assert model.optimizer is optimizer
