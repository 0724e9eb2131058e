"""Ready-made Keras classifiers, so that a notebook goes on when an exercise is still open.

Notebook 04 asks students to build a logistic regression, a network with one hidden layer and
a small CNN in Keras and to compile them. After each exercise's self-check the notebook trains
the models built here, so an open exercise costs that exercise only. The builders are general
(any number of hidden layers, any filter counts), the exercises fix one configuration.

Keras is imported inside the functions: ``import utils`` stays fast, and the notebook chooses
the Keras backend before the first import.

Verwendet in Notebook 04.
"""

from __future__ import annotations

from collections.abc import Sequence


def dense_classifier(hidden_units: Sequence[int] = (), *, activation: str = "relu",
                     n_inputs: int = 784, n_classes: int = 10):
    """A new ``keras.Sequential``: ``n_inputs`` → one ``Dense(u, activation)`` per entry of
    ``hidden_units`` → ``Dense(n_classes, softmax)``.

    ``dense_classifier()`` is a (multinomial) logistic regression, ``dense_classifier([36])`` a
    network with one hidden layer of 36 neurons.
    """
    import keras

    return keras.Sequential(
        [keras.Input(shape=(n_inputs,))]
        + [keras.layers.Dense(units, activation=activation) for units in hidden_units]
        + [keras.layers.Dense(n_classes, activation="softmax")])


def small_cnn(filters: Sequence[int] = (32, 64), *, dense_units: int = 128,
              dropout: float = 0.3, input_shape: tuple = (28, 28, 1), n_classes: int = 10):
    """A new small CNN: per entry of ``filters`` a block ``Conv2D(f, 3, relu)`` +
    ``MaxPooling2D``, then ``Flatten``, ``Dropout``, ``Dense(dense_units, relu)``, ``Dropout``
    and ``Dense(n_classes, softmax)``.

    With the defaults on 28 × 28 images: 28 → 26 → 13 → 11 → 5, so 5 · 5 · 64 = 1 600 values
    after ``Flatten`` and 225 034 parameters.
    """
    import keras

    blocks = []
    for f in filters:
        blocks += [keras.layers.Conv2D(f, 3, activation="relu"), keras.layers.MaxPooling2D()]
    return keras.Sequential(
        [keras.Input(shape=input_shape), *blocks, keras.layers.Flatten(),
         keras.layers.Dropout(dropout), keras.layers.Dense(dense_units, activation="relu"),
         keras.layers.Dropout(dropout), keras.layers.Dense(n_classes, activation="softmax")])


def compile_classifier(model, optimizer="adam"):
    """Compile ``model`` (softmax outputs, class numbers as labels) for training; returns it.

    Loss: ``SparseCategoricalCrossentropy`` with ``from_logits=False``; metric: accuracy.
    ``optimizer`` is anything ``model.compile`` accepts (a name or an optimizer object, e.g.
    Adam with a learning-rate schedule).
    """
    import keras

    model.compile(optimizer=optimizer, loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=["accuracy"])
    return model
