"""Self-checks of notebook 02 (Ein eigenes neuronales Netz mit NumPy).

The notebook's framework follows these conventions, which the checks rely on:

- an activation function is an object with ``value(z)`` and ``derivative(z)``;
- ``Dense(n_in, n_out, activation, *, rng=None, dtype=np.float32)`` has weights ``W`` of shape
  ``(n_in, n_out)`` and a bias ``b`` of shape ``(n_out,)``; ``forward(x)`` returns
  ``activation(x @ W + b)``; ``backward(grad_output)`` sets ``grad_W`` and ``grad_b`` and returns
  the gradient with respect to the input; ``step(learning_rate, momentum=0.0)`` updates ``W`` and
  ``b`` (SGD with momentum);
- ``SoftmaxCrossEntropy`` has ``forward(logits, targets)`` (mean loss over the batch, targets
  one-hot) and ``backward()`` (gradient with respect to the logits);
- ``train_epoch(network, loss_fn, x, targets, *, batch_size, learning_rate, momentum, rng)``
  trains one epoch of mini-batch SGD and returns the mean training loss.

:func:`gradient_check` is the numerical gradient check (float64, central differences) the
students run on their own layer; the checks never print a reference solution.

Verwendet in Notebook 02.
"""

from __future__ import annotations

import numpy as np

from utils.checks import Problem, as_array, call, exercise

#: Relative error below which an analytic gradient counts as correct (float64).
GRADIENT_TOLERANCE = 1e-6


# --- helpers -------------------------------------------------------------------------------

def _call(what: str, fn, *args, **kwargs):
    """Call student code through :func:`utils.checks.call`; besides its argument errors, any other
    error of the student's code (except ``NotImplementedError``: still open) becomes a German
    hint, so a check never ends in a traceback. A ``None`` result is returned as is: the callers
    know whether it means "open" or "forgot to return"."""
    try:
        return call(fn, *args, what=what, none_is_open=False, **kwargs)
    except (NotImplementedError, Problem):
        raise
    except Exception as exc:  # noqa: BLE001 - every failure of student code is reported
        if isinstance(exc, AttributeError):
            hint = ("Ein Attribut fehlt – speichert forward die Eingabe in self.x und z in "
                    "self.z, und heißen Gewichte, Verzerrung und Gradienten W, b, grad_W, grad_b?")
        else:
            hint = "Prüfen Sie die Formen der Matrizen (Zeilen = Beispiele im Stapel)."
        raise Problem(f"{what} bricht mit {type(exc).__name__} ab: {exc}. {hint}") from None


def _array(value, what: str) -> np.ndarray:
    """``value`` as float64 array; ``None`` means the exercise is still open."""
    array = as_array(value, what)
    try:
        return array.astype(np.float64)
    except (TypeError, ValueError):
        raise Problem(f"{what} ist kein Zahlen-Array, sondern {type(value).__name__}.") from None


def relative_error(analytic, numeric) -> float:
    """``‖a − n‖ / (‖a‖ + ‖n‖)``: 0 for identical gradients, 1 for unrelated ones."""
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    denominator = np.linalg.norm(a) + np.linalg.norm(n)
    return 0.0 if denominator == 0 else float(np.linalg.norm(a - n) / denominator)


def numerical_gradient(f, array: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences ``(f(θ+ε) − f(θ−ε)) / 2ε`` for every entry of ``array`` (in place)."""
    grad = np.zeros_like(array, dtype=np.float64)
    for index in np.ndindex(array.shape):
        old = array[index]
        array[index] = old + eps
        plus = f()
        array[index] = old - eps
        minus = f()
        array[index] = old
        grad[index] = (plus - minus) / (2 * eps)
    return grad


def _float64_layer(Dense, activation, n_in: int, n_out: int, seed: int = 0):
    layer = _call("Dense(...)", Dense, n_in, n_out, activation,
                  rng=np.random.default_rng(seed), dtype=np.float64)
    for name in ("W", "b"):
        if not hasattr(layer, name):
            raise Problem(f"Die Schicht hat kein Attribut »{name}« – nennen Sie Gewichte W und "
                          "Verzerrung b wie im Notebook.")
    return layer


def _randomize(layer, x_shape, seed: int, margin: float = 1e-3) -> np.ndarray:
    """float64 weights, bias and input with every pre-activation at least ``margin`` from 0.

    Keeps the numerical derivative away from the kink of ReLU.
    """
    rng = np.random.default_rng(seed)
    for _ in range(100):
        layer.W = rng.standard_normal(layer.W.shape)
        layer.b = rng.standard_normal(layer.b.shape)
        x = rng.standard_normal(x_shape)
        if np.min(np.abs(x @ layer.W + layer.b)) > margin:
            return x
    return x  # pragma: no cover - practically unreachable


# --- the numerical gradient check ----------------------------------------------------------

def gradient_check(layer, x, *, eps: float = 1e-6, seed: int = 0) -> dict[str, float]:
    """Compare ``layer.backward`` with central differences; returns the relative errors.

    Uses the scalar loss ``L = Σ R ⊙ layer.forward(x)`` with a fixed random ``R``, so
    ``∂L/∂output = R``. Returns ``{"W": …, "b": …, "x": …}``; each value should be below
    :data:`GRADIENT_TOLERANCE` (``1e-6``). Needs float64 (``Dense(..., dtype=np.float64)``):
    in float32 the rounding error alone is larger than the tolerance.
    """
    analytic, numeric = _gradients(layer, x, eps=eps, seed=seed)
    return {name: relative_error(analytic[name], numeric[name]) for name in analytic}


def _gradients(layer, x, *, eps: float, seed: int):
    """Analytic (from ``backward``) and numerical gradients of ``Σ R ⊙ forward(x)``."""
    x = np.array(x, dtype=np.float64)
    for name in ("W", "b"):
        if np.asarray(getattr(layer, name)).dtype != np.float64:
            raise Problem(f"Die Gradientenprüfung braucht float64, aber {name} hat den Typ "
                          f"{np.asarray(getattr(layer, name)).dtype} – erzeugen Sie die Schicht "
                          "mit dtype=np.float64.")
    output = _array(_call("forward", layer.forward, x), "Die Ausgabe von forward")
    weights = np.random.default_rng(seed).standard_normal(output.shape)

    grad_input = _call("backward", layer.backward, weights.copy())
    if grad_input is None:
        raise Problem("backward gibt nichts zurück – es muss den Gradienten nach der Eingabe "
                      "(für die Schicht davor) zurückgeben.")
    analytic = {"x": _array(grad_input, "Der Rückgabewert von backward (Gradient nach x)")}
    for name in ("W", "b"):
        value = getattr(layer, f"grad_{name}", None)
        if value is None:
            raise Problem(f"backward hat »self.grad_{name}« nicht gesetzt – speichern Sie dort "
                          f"den Gradienten nach {name}.")
        analytic[name] = _array(value, f"grad_{name}").copy()

    def loss():
        return float(np.sum(weights * np.asarray(layer.forward(x), dtype=np.float64)))

    numeric = {"W": numerical_gradient(loss, layer.W, eps),
               "b": numerical_gradient(loss, layer.b, eps),
               "x": numerical_gradient(loss, x, eps)}
    for name in ("W", "b", "x"):
        if analytic[name].shape != numeric[name].shape:
            target = "der Eingabe x" if name == "x" else name
            raise Problem(
                f"Der Gradient nach {name} hat die Form {analytic[name].shape}, erwartet wird die "
                f"Form {target} {numeric[name].shape}. Ein Gradient hat immer die Form dessen, "
                "wonach abgeleitet wird – prüfen Sie, was transponiert werden muss.")
    layer.forward(x)  # leave the layer's cache as after the analytic pass
    return {k: analytic[k] for k in ("W", "b", "x")}, numeric


def _explain_gradient_error(name: str, analytic: np.ndarray, numeric: np.ndarray,
                            batch: int) -> str:
    hints = {
        "W": "Erinnerung: Zuerst δ = grad_output ⊙ f'(z), dann ∂L/∂W = xᵀ · δ.",
        "b": "Erinnerung: ∂L/∂b ist die Summe von δ = grad_output ⊙ f'(z) über den Stapel "
             "(axis=0).",
        "x": "Erinnerung: Der Gradient für die Schicht davor ist δ · Wᵀ mit "
             "δ = grad_output ⊙ f'(z).",
    }
    hint = hints[name]
    if np.linalg.norm(numeric) > 0:
        ratio = float(np.sum(analytic * numeric) / np.sum(numeric * numeric))
        if abs(ratio * batch - 1) < 1e-3 and relative_error(analytic * batch, numeric) < 1e-4:
            hint = ("Ihr Ergebnis ist genau um den Faktor 1/Stapelgröße zu klein: Sie mitteln, "
                    "wo summiert werden muss – der Faktor 1/N steckt schon im Gradienten der "
                    "Verlustfunktion.")
        elif abs(ratio + 1) < 1e-3 and relative_error(-analytic, numeric) < 1e-4:
            hint = "Ihr Ergebnis hat das falsche Vorzeichen."
    return hint


def _check_backward(Dense, activation, *, n_in=5, n_out=3, batch=4, seed=0) -> dict[str, float]:
    layer = _float64_layer(Dense, activation, n_in, n_out, seed)
    x = _randomize(layer, (batch, n_in), seed)
    analytic, numeric = _gradients(layer, x, eps=1e-6, seed=seed)
    errors = {name: relative_error(analytic[name], numeric[name]) for name in analytic}
    labels = {"W": "den Gewichten (grad_W)", "b": "der Verzerrung (grad_b)",
              "x": "der Eingabe (Rückgabewert von backward)"}
    for name in ("W", "b", "x"):
        if not errors[name] < GRADIENT_TOLERANCE:
            raise Problem(
                f"Der Gradient nach {labels[name]} stimmt nicht mit dem numerischen Gradienten "
                f"überein (relativer Fehler {errors[name]:.2g}, erlaubt < {GRADIENT_TOLERANCE:g}; "
                f"Aktivierung {type(activation).__name__}). "
                + _explain_gradient_error(name, analytic[name], numeric[name], batch))
    return errors


# --- the self-checks -----------------------------------------------------------------------

@exercise("2.1", "Ableitungen der Aktivierungsfunktionen")
def activation_derivatives(*activations) -> str:
    """Aufgabe 2.1: ``derivative(z)`` of each activation matches the numerical derivative."""
    if not activations:
        raise Problem("Übergeben Sie die Aktivierungsfunktionen, z. B. "
                      "checks.activation_derivatives(ReLU(), Sigmoid()).")
    rng = np.random.default_rng(2)
    z = rng.uniform(-4, 4, size=(6, 5))
    z[np.abs(z) < 1e-2] = 0.5  # stay away from the kink of ReLU
    eps = 1e-6
    for activation in activations:
        name = type(activation).__name__
        derivative = _call(f"{name}.derivative", activation.derivative, z.copy())
        derivative = _array(derivative, f"Die Ableitung von {name}")
        if derivative.shape != z.shape:
            raise Problem(f"{name}.derivative(z) hat die Form {derivative.shape}, erwartet "
                          f"wird die Form von z {z.shape}: die Ableitung wirkt elementweise.")
        value = lambda v: np.asarray(activation.value(v), dtype=np.float64)  # noqa: E731
        numeric = (value(z + eps) - value(z - eps)) / (2 * eps)
        if not np.allclose(derivative, numeric, rtol=1e-5, atol=1e-6):
            hint = ""
            if np.allclose(derivative, value(z), atol=1e-6):
                hint = " Sie geben den Funktionswert f(z) zurück, nicht die Ableitung f'(z)."
            elif np.allclose(derivative, z * (1 - z), atol=1e-6):
                hint = (" Die Formel f(z)·(1 − f(z)) braucht den Funktionswert f(z), "
                        "nicht z selbst.")
            elif np.allclose(derivative, -numeric, atol=1e-6):
                hint = " Das Vorzeichen ist falsch."
            worst = float(np.max(np.abs(derivative - numeric)))
            raise Problem(f"{name}.derivative stimmt nicht mit der numerischen Ableitung "
                          f"(f(z+ε) − f(z−ε)) / 2ε überein (größte Abweichung {worst:.3g})."
                          + hint)
    names = ", ".join(type(a).__name__ for a in activations)
    return f"die Ableitungen von {names} stimmen mit der numerischen Ableitung überein."


@exercise("2.2", "Vorwärtsschritt der Schicht")
def dense_forward(Dense, activation) -> str:
    """Aufgabe 2.2: ``Dense.forward`` computes ``activation(x @ W + b)`` for a batch."""
    layer = _float64_layer(Dense, activation, 4, 3, seed=3)
    rng = np.random.default_rng(3)
    layer.W = rng.standard_normal((4, 3))
    layer.b = rng.standard_normal(3)
    x = rng.standard_normal((5, 4))
    W_before = layer.W.copy()
    out = _call("forward", layer.forward, x.copy())
    if out is None and hasattr(layer, "z"):
        raise Problem("forward gibt nichts zurück (None) – geben Sie f(z) zurück.")
    out = _array(out, "Die Ausgabe von forward")
    if not np.array_equal(layer.W, W_before):
        raise Problem("forward verändert die Gewichte – der Vorwärtsschritt darf nur rechnen.")
    if out.shape == (3, 5):
        raise Problem("Die Ausgabe hat die Form (3, 5), erwartet wird (5, 3): eine Zeile pro "
                      "Beispiel und eine Spalte pro Neuron. Ist etwas transponiert?")
    if out.shape != (5, 3):
        raise Problem(f"Bei 5 Beispielen mit 4 Merkmalen und 3 Neuronen hat die Ausgabe die "
                      f"Form {out.shape}, erwartet wird (5, 3).")
    z = x @ layer.W + layer.b
    expected = np.asarray(activation.value(z), dtype=np.float64)
    if not np.allclose(out, expected, rtol=1e-6, atol=1e-8):
        if np.allclose(out, z):
            hint = "Die Aktivierungsfunktion fehlt."
        elif np.allclose(out, np.asarray(activation.value(x @ layer.W), dtype=np.float64)):
            hint = "Die Verzerrung b fehlt."
        else:
            hint = "Erwartet wird f(x · W + b) mit der Aktivierungsfunktion der Schicht."
        raise Problem(f"Die Ausgabe von forward stimmt nicht. {hint}")
    # float32 in, float32 out: an accidental float64 upcast doubles the training time.
    layer32 = _call("Dense(...)", Dense, 4, 3, activation, rng=np.random.default_rng(0),
                    dtype=np.float32)
    out32 = np.asarray(_call("forward", layer32.forward, x.astype(np.float32)))
    if out32.dtype != np.float32:
        raise Problem(f"Mit float32-Eingaben liefert forward {out32.dtype} – rechnen Sie im "
                      "Datentyp der Eingabe (float64 verdoppelt die Rechenzeit).")
    return "Form, Werte und Datentyp stimmen."


@exercise("2.3", "Rückwärtsschritt der Schicht")
def dense_backward(Dense, *activations) -> str:
    """Aufgabe 2.3: numerical gradient check of ``Dense.backward`` for each activation."""
    if not activations:
        raise Problem("Übergeben Sie mindestens eine Aktivierungsfunktion, z. B. "
                      "checks.dense_backward(Dense, ReLU(), Sigmoid()).")
    worst = 0.0
    for i, activation in enumerate(activations):
        errors = _check_backward(Dense, activation, seed=10 + i)
        worst = max(worst, *errors.values())
    return (f"Gradientenprüfung bestanden, größter relativer Fehler {worst:.1e} "
            f"(< {GRADIENT_TOLERANCE:g}).")


@exercise("2.4", "Gradient von Softmax + Kreuzentropie")
def softmax_cross_entropy(SoftmaxCrossEntropy) -> str:
    """Aufgabe 2.4: ``backward`` of softmax + cross-entropy is ``(p − y) / N``."""
    rng = np.random.default_rng(4)
    n, k = 6, 4
    logits = rng.standard_normal((n, k)) * 2
    targets = np.eye(k)[rng.integers(0, k, n)]
    loss_fn = _call("SoftmaxCrossEntropy()", SoftmaxCrossEntropy)
    loss = _call("forward", loss_fn.forward, logits.copy(), targets)
    grad = _array(_call("backward", loss_fn.backward), "Der Rückgabewert von backward")
    if grad.shape != logits.shape:
        raise Problem(f"Der Gradient hat die Form {grad.shape}, erwartet wird die Form der "
                      f"Logits {logits.shape}.")
    if not np.isfinite(float(loss)):
        raise Problem("forward liefert keinen endlichen Verlust.")

    def f():
        return float(SoftmaxCrossEntropy().forward(logits, targets))

    numeric = numerical_gradient(f, logits)
    error = relative_error(grad, numeric)
    if error >= GRADIENT_TOLERANCE:
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        hint = "Der Gradient von Softmax + Kreuzentropie nach den Logits ist (p − y) / N."
        if relative_error(grad, numeric * n) < 1e-4:
            hint = ("Er ist N-mal zu groß: Der Verlust ist der Mittelwert über den Stapel, "
                    "also gehört der Faktor 1/N in den Gradienten.")
        elif relative_error(grad, -numeric) < 1e-4:
            hint = "Das Vorzeichen ist falsch: p − y, nicht y − p."
        elif any(relative_error(grad, c * (p - targets) * p * (1 - p)) < 1e-4
                 for c in (1, 2, 1 / n, 2 / n)):
            hint = ("Das ist der MSE-Gradient mit nur der Diagonale der Softmax-Jacobi-Matrix "
                    "(ein häufiger Fehler) – für Softmax + Kreuzentropie fallen p(1 − p) "
                    "und alle Nebendiagonal-Terme zusammen zu p − y.")
        raise Problem(f"Der Gradient stimmt nicht mit dem numerischen Gradienten überein "
                      f"(relativer Fehler {error:.2g}). {hint}")
    # Large logits must not overflow (the forward pass subtracts the maximum).
    big = SoftmaxCrossEntropy()
    big_loss = _call("forward", big.forward, logits * 500, targets)
    big_grad = _array(_call("backward", big.backward), "Der Rückgabewert von backward")
    if not (np.isfinite(float(big_loss)) and np.all(np.isfinite(big_grad))):
        raise Problem("Bei großen Logits (z. B. 1000) entstehen NaN oder unendliche Werte – "
                      "ziehen Sie vor exp das Zeilenmaximum ab.")
    return f"Gradientenprüfung bestanden (relativer Fehler {error:.1e})."


@exercise("2.5", "Aktualisierungsschritt")
def dense_step(Dense, activation) -> str:
    """Aufgabe 2.5: ``step`` does SGD with momentum on ``W`` and ``b``."""
    rng = np.random.default_rng(5)
    grads = [(rng.standard_normal((3, 2)), rng.standard_normal(2)) for _ in range(3)]
    lr = 0.1

    def run(momentum, steps):
        layer = _float64_layer(Dense, activation, 3, 2, seed=5)
        layer.W = np.arange(6, dtype=np.float64).reshape(3, 2) / 10
        layer.b = np.array([0.5, -0.5])
        for grad_W, grad_b in grads[:steps]:
            layer.grad_W, layer.grad_b = grad_W.copy(), grad_b.copy()
            _call("step", layer.step, lr, momentum)
        return np.asarray(layer.W, dtype=np.float64), np.asarray(layer.b, dtype=np.float64)

    def expected(momentum, steps):
        W = np.arange(6, dtype=np.float64).reshape(3, 2) / 10
        b = np.array([0.5, -0.5])
        vW, vb = np.zeros_like(W), np.zeros_like(b)
        for grad_W, grad_b in grads[:steps]:
            vW = momentum * vW - lr * grad_W
            vb = momentum * vb - lr * grad_b
            W, b = W + vW, b + vb
        return W, b

    W0, b0 = expected(0.0, 0)
    W1, b1 = run(0.0, 1)
    eW1, eb1 = expected(0.0, 1)
    if np.allclose(W1, W0):
        raise Problem("step verändert die Gewichte nicht. Ändern Sie self.W selbst "
                      "(z. B. self.W -= …), nicht eine Kopie.")
    if np.allclose(W1, W0 + (W0 - eW1)):
        raise Problem("Die Gewichte bewegen sich in Richtung des Gradienten, also bergauf: "
                      "beim Gradientenabstieg wird der Gradient abgezogen.")
    if not np.allclose(W1, eW1, rtol=1e-6, atol=1e-9):
        raise Problem("Ohne Momentum muss step genau W ← W − η · ∂L/∂W rechnen; Ihr "
                      "Ergebnis weicht ab. Verwenden Sie self.grad_W und die Lernrate.")
    if np.allclose(b1, b0):
        raise Problem("Die Verzerrung b wird nicht aktualisiert.")
    if not np.allclose(b1, eb1, rtol=1e-6, atol=1e-9):
        raise Problem("Die Verzerrung wird falsch aktualisiert: b ← b − η · ∂L/∂b.")
    W3, b3 = run(0.9, 3)
    eW3, eb3 = expected(0.9, 3)
    if np.allclose(W3, expected(0.0, 3)[0]):
        raise Problem("Mit momentum=0.9 rechnet step wie ohne Momentum – die Geschwindigkeit "
                      "v ← μ · v − η · ∂L/∂W muss von Schritt zu Schritt erhalten bleiben "
                      "(als Attribut der Schicht).")
    if not (np.allclose(W3, eW3, rtol=1e-6, atol=1e-9)
            and np.allclose(b3, eb3, rtol=1e-6, atol=1e-9)):
        raise Problem("Mit Momentum stimmen die Parameter nach drei Schritten nicht: "
                      "v ← μ · v − η · ∂L/∂θ, dann θ ← θ + v (für W und b je eine "
                      "eigene Geschwindigkeit, am Anfang null).")
    return "SGD mit und ohne Momentum rechnet richtig."


# --- training loop check: a spy network that records what the loop does -------------------

class _SpyNetwork:
    """Linear softmax model on features 1.. of x; column 0 holds the sample's id."""

    def __init__(self, log):
        self.log = log
        self.W = np.zeros((2, 2))
        self.grad_W = np.zeros((2, 2))
        self.ids = None

    def forward(self, x):
        x = np.asarray(x, dtype=np.float64)
        self.ids = x[:, 0].round().astype(int)
        self.features = x[:, 1:]
        self.log.append(("forward", self.ids.copy()))
        return self.features @ self.W

    def backward(self, grad):
        self.log.append(("backward", None))
        self.grad_W = self.features.T @ np.asarray(grad, dtype=np.float64)
        return grad @ self.W.T

    def step(self, learning_rate, momentum=0.0):
        self.log.append(("step", (float(learning_rate), float(momentum))))
        self.W -= learning_rate * self.grad_W


class _SpyLoss:
    """Half the mean squared error of the logits: trains the spy network, and is deliberately
    not the notebook's softmax cross-entropy, whose gradient is an exercise (the exercise bundle
    must not contain it, see tests/test_dist.py)."""

    def __init__(self, log, network, labels):
        self.log, self.network, self.labels = log, network, labels

    def forward(self, logits, targets):
        targets = np.asarray(targets, dtype=np.float64)
        ids = self.network.ids
        paired = ids is not None and len(targets) == len(ids) and np.array_equal(
            targets.argmax(axis=1), self.labels[ids])
        self.log.append(("loss", paired))
        self.residual = np.asarray(logits, dtype=np.float64) - targets
        loss = float(0.5 * np.mean(np.sum(self.residual**2, axis=1)))
        self.log.append(("loss_value", (loss, len(targets))))
        return loss

    def backward(self):
        self.log.append(("loss_backward", None))
        return self.residual / self.residual.shape[0]


@exercise("2.6", "Trainingsschleife")
def train_epoch(train_epoch_fn) -> str:
    """Aufgabe 2.6: one epoch of mini-batch SGD with shuffling, in the right order."""
    rng = np.random.default_rng(6)
    n, batch_size, lr, momentum = 100, 32, 0.5, 0.7
    features = rng.standard_normal((n, 2))
    labels = (features.sum(axis=1) > 0).astype(int)
    x = np.column_stack([np.arange(n), features])
    targets = np.eye(2)[labels]
    log: list = []
    network = _SpyNetwork(log)
    loss_fn = _SpyLoss(log, network, labels)
    epoch_rng = np.random.default_rng(7)
    orders, returned = [], []
    for epoch in range(3):
        log.clear()
        value = _call("train_epoch", train_epoch_fn, network, loss_fn, x.copy(),
                      targets.copy(), batch_size=batch_size, learning_rate=lr,
                      momentum=momentum, rng=epoch_rng)
        if value is None:
            raise Problem("train_epoch gibt nichts zurück – erwartet wird der mittlere "
                          "Verlust der Epoche.")
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise Problem(f"train_epoch gibt {type(value).__name__} zurück, erwartet wird "
                          "eine Zahl (der mittlere Verlust).") from None
        batches = [ids for kind, ids in log if kind == "forward"]
        if not batches:
            raise Problem("train_epoch ruft network.forward nie auf.")
        seen = np.concatenate(batches)
        if len(seen) != n or len(np.unique(seen)) != n:
            raise Problem(f"In einer Epoche soll jedes der {n} Beispiele genau einmal "
                          f"vorkommen; Ihre Schleife hat {len(seen)} Beispiele verarbeitet, "
                          f"davon {len(np.unique(seen))} verschiedene.")
        sizes = [len(b) for b in batches]
        if any(s > batch_size for s in sizes) or any(s != batch_size for s in sizes[:-1]):
            raise Problem(f"Die Stapel sollen {batch_size} Beispiele haben (nur der letzte "
                          f"darf kleiner sein); Ihre Stapelgrößen: {sizes}.")
        kinds = [kind for kind, _ in log if kind != "loss_value"]
        expected = ["forward", "loss", "loss_backward", "backward", "step"] * len(batches)
        if kinds != expected:
            raise Problem("Die Reihenfolge pro Stapel muss lauten: network.forward → "
                          "loss_fn.forward → loss_fn.backward → network.backward → "
                          "network.step (genau einmal je Stapel).")
        if not all(paired for kind, paired in log if kind == "loss"):
            raise Problem("Eingaben und Zielwerte passen nicht mehr zusammen: mischen Sie x "
                          "und targets mit derselben Permutation.")
        steps = [args for kind, args in log if kind == "step"]
        if any(not np.allclose(s, (lr, momentum)) for s in steps):
            raise Problem("network.step bekommt nicht die übergebene Lernrate und das "
                          "Momentum: rufen Sie network.step(learning_rate, momentum) auf.")
        losses = [v for kind, v in log if kind == "loss_value"]
        values = [v for v, _ in losses]
        if not min(values) - 1e-9 <= value <= max(values) + 1e-9:
            raise Problem(f"Der Rückgabewert {value:.3g} ist nicht der mittlere Verlust der "
                          f"Stapel (diese lagen zwischen {min(values):.3g} und "
                          f"{max(values):.3g}).")
        orders.append(seen)
        returned.append(value)
    if np.array_equal(orders[0], np.arange(n)):
        raise Problem("Die Beispiele werden nicht gemischt: permutieren Sie die Reihenfolge "
                      "zu Beginn jeder Epoche (rng.permutation).")
    if np.array_equal(orders[0], orders[1]):
        raise Problem("Jede Epoche hat dieselbe Reihenfolge: mischen Sie mit dem übergebenen "
                      "rng, statt in jeder Epoche einen neuen Zufallsgenerator zu erzeugen.")
    if not returned[-1] < returned[0]:
        raise Problem("Der Verlust sinkt über drei Epochen nicht – wird network.step nach "
                      "network.backward aufgerufen?")
    return "Mischen, Stapel, Reihenfolge und Rückgabewert stimmen."
