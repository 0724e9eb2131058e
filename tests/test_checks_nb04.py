"""Tests of utils.checks.nb04: every check passes a correct answer, explains a wrong one and
reports an untouched placeholder as not yet done."""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# (Triton is loaded before TensorFlow by the root conftest.py, see there.)
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from utils.checks import nb04  # noqa: E402

layers = keras.layers


def verdict(capsys, check, *args):
    passed = check(*args)
    return passed, capsys.readouterr().out


def placeholder(*args, **kwargs):
    raise NotImplementedError()


def sequential(*stack, shape=(784,)):
    return keras.Sequential([keras.Input(shape=shape), *stack])


# --- Aufgabe 1.1 --------------------------------------------------------------------------

def build_logistic_regression():
    return sequential(layers.Dense(10, activation="softmax"))


def test_logistic_regression_correct(capsys):
    passed, out = verdict(capsys, nb04.logistic_regression, build_logistic_regression)
    assert passed and "Richtig" in out and "7 850" in out


@pytest.mark.parametrize("factory, hint", [
    (lambda: sequential(layers.Dense(10)), "softmax"),
    (lambda: sequential(layers.Dense(10, activation="softmax"), shape=(28, 28)), "(784,)"),
    (lambda: sequential(layers.Dense(10, activation="softmax", use_bias=False)), "7 850"),
    (lambda: sequential(layers.Dense(36, activation="relu"),
                        layers.Dense(10, activation="softmax")), "nur eine Dense"),
    (lambda: keras.Sequential([layers.Dense(10, activation="softmax")]), "keras.Input"),
    (lambda: "Modell", "keras.Model"),
])
def test_logistic_regression_wrong(capsys, factory, hint):
    passed, out = verdict(capsys, nb04.logistic_regression, factory)
    assert not passed and "❌" in out and hint in out


def test_logistic_regression_placeholder(capsys):
    passed, out = verdict(capsys, nb04.logistic_regression, placeholder)
    assert not passed and "noch offen" in out


# --- Aufgabe 1.2 --------------------------------------------------------------------------

def compile_model(model):
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=["accuracy"])


def test_compiled_correct(capsys):
    passed, out = verdict(capsys, nb04.compiled, compile_model)
    assert passed and "Richtig" in out and "Adam" in out


def test_compiled_accepts_strings(capsys):
    def compile_with_strings(model):
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])

    passed, out = verdict(capsys, nb04.compiled, compile_with_strings)
    assert passed and "SGD" in out


@pytest.mark.parametrize("fn, hint", [
    (lambda m: m.compile(optimizer="adam", loss="sparse_categorical_crossentropy"), "accuracy"),
    (lambda m: m.compile(optimizer="adam",
                         loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                         metrics=["accuracy"]), "from_logits=False"),
    (lambda m: m.compile(optimizer="adam", loss="mse", metrics=["accuracy"]),
     "SparseCategoricalCrossentropy"),
    (lambda m: m.compile(optimizer="adam", loss="categorical_crossentropy",
                         metrics=["accuracy"]), "SparseCategoricalCrossentropy"),
    (lambda m: "kompiliert", "zurückgeben"),
])
def test_compiled_wrong(capsys, fn, hint):
    passed, out = verdict(capsys, nb04.compiled, fn)
    assert not passed and "❌" in out and hint in out


def test_compiled_placeholder(capsys):
    passed, out = verdict(capsys, nb04.compiled, placeholder)
    assert not passed and "noch offen" in out


# --- Aufgabe 1.3 --------------------------------------------------------------------------

def weight_images(model):
    kernel, _ = model.layers[-1].get_weights()
    return kernel.T.reshape(10, 28, 28)


def test_weight_images_correct(capsys):
    passed, out = verdict(capsys, nb04.weight_images, weight_images)
    assert passed and "Richtig" in out


@pytest.mark.parametrize("fn, hint", [
    (lambda m: m.layers[-1].get_weights()[0].reshape(10, 28, 28), "Transponieren"),
    (lambda m: m.layers[-1].get_weights()[0].T, "(10, 28, 28)"),
    (lambda m: np.tile(m.layers[-1].get_weights()[1][:, None, None], (1, 28, 28)),
     "Verzerrungen"),
])
def test_weight_images_wrong(capsys, fn, hint):
    passed, out = verdict(capsys, nb04.weight_images, fn)
    assert not passed and "❌" in out and hint in out


def test_weight_images_placeholder(capsys):
    passed, out = verdict(capsys, nb04.weight_images, placeholder)
    assert not passed and "noch offen" in out


# --- Aufgabe 2 ----------------------------------------------------------------------------

def build_mlp():
    return sequential(layers.Dense(36, activation="relu"), layers.Dense(10, activation="softmax"))


def test_mlp_correct(capsys):
    passed, out = verdict(capsys, nb04.mlp, build_mlp)
    assert passed and "28 630" in out


@pytest.mark.parametrize("factory, hint", [
    (lambda: sequential(layers.Dense(36), layers.Dense(10, activation="softmax")),
     "Aktivierungsfunktion"),
    (lambda: sequential(layers.Dense(32, activation="relu"),
                        layers.Dense(10, activation="softmax")), "36"),
    (build_logistic_regression, "zwei"),
    (lambda: sequential(layers.Dense(36, activation="relu"), layers.Dense(10)), "softmax"),
])
def test_mlp_wrong(capsys, factory, hint):
    passed, out = verdict(capsys, nb04.mlp, factory)
    assert not passed and "❌" in out and hint in out


def test_mlp_placeholder(capsys):
    passed, out = verdict(capsys, nb04.mlp, placeholder)
    assert not passed and "noch offen" in out


# --- Aufgabe 2.2 --------------------------------------------------------------------------

def hidden_activations(model, images):
    hidden = keras.Model(model.inputs[0], model.layers[0].output)
    return np.asarray(hidden(images, training=False))


def test_hidden_activations_correct(capsys):
    passed, out = verdict(capsys, nb04.hidden_activations, hidden_activations)
    assert passed and "Richtig" in out


def _pre_activation(model, images):
    kernel, bias = model.layers[0].get_weights()
    return images @ kernel + bias


@pytest.mark.parametrize("fn, hint", [
    (lambda model, images: np.asarray(model(images)), "letzten Schicht"),
    (_pre_activation, "ReLU fehlt"),
    (lambda model, images: np.zeros((len(images), 36)), "stimmen nicht"),
    (lambda model, images: np.zeros(36), "(3, 36)"),
])
def test_hidden_activations_wrong(capsys, fn, hint):
    passed, out = verdict(capsys, nb04.hidden_activations, fn)
    assert not passed and "❌" in out and hint in out


def test_hidden_activations_placeholder(capsys):
    passed, out = verdict(capsys, nb04.hidden_activations, placeholder)
    assert not passed and "noch offen" in out


# --- Extra: CNN ---------------------------------------------------------------------------

def build_cnn():
    return sequential(layers.Conv2D(16, 3, activation="relu"), layers.MaxPooling2D(),
                      layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(),
                      layers.Flatten(), layers.Dense(10, activation="softmax"),
                      shape=(28, 28, 1))


def test_cnn_correct(capsys):
    passed, out = verdict(capsys, nb04.cnn, build_cnn)
    assert passed and "2 Faltungsschichten" in out


@pytest.mark.parametrize("factory, hint", [
    (build_mlp, "(28, 28, 1)"),
    (lambda: sequential(layers.Flatten(), layers.Dense(10, activation="softmax"),
                        shape=(28, 28, 1)), "Conv2D"),
    (lambda: sequential(layers.Conv2D(64, 3, activation="relu"), layers.Flatten(),
                        layers.Dense(10, activation="softmax"), shape=(28, 28, 1)),
     "MaxPooling2D"),
    (lambda: sequential(layers.Conv2D(8, 3, activation="relu"), layers.Flatten(),
                        layers.Dense(10), shape=(28, 28, 1)), "softmax"),
])
def test_cnn_wrong(capsys, factory, hint):
    passed, out = verdict(capsys, nb04.cnn, factory)
    assert not passed and "❌" in out and hint in out


def test_cnn_placeholder(capsys):
    passed, out = verdict(capsys, nb04.cnn, placeholder)
    assert not passed and "noch offen" in out
