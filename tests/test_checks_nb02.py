"""Self-checks of notebook 02: each passes on a correct answer, fails with a helpful German
message on deliberately broken ones, and reports an empty answer (NotImplementedError) as open.

The correct framework here mirrors the solution notebook; the broken variants are the mistakes
students make (wrong transpose, missing bias gradient, wrong activation derivative, MSE-style
softmax gradient, …).
"""

from __future__ import annotations

import numpy as np
import pytest

from utils.checks import CheckFailed
from utils.checks import nb02 as checks


# --- a correct framework (as in the solution notebook) --------------------------------------

class ReLU:
    def value(self, z):
        return np.maximum(z, 0)

    def derivative(self, z):
        return (z > 0).astype(z.dtype)


class Sigmoid:
    def value(self, z):
        return 1 / (1 + np.exp(-z))

    def derivative(self, z):
        s = self.value(z)
        return s * (1 - s)


class Identity:
    def value(self, z):
        return z

    def derivative(self, z):
        return np.ones_like(z)


class Dense:
    def __init__(self, n_in, n_out, activation, *, rng=None, dtype=np.float32):
        rng = np.random.default_rng() if rng is None else rng
        self.W = (rng.standard_normal((n_in, n_out)) * np.sqrt(2 / n_in)).astype(dtype)
        self.b = np.zeros(n_out, dtype=dtype)
        self.activation = activation
        self.velocity_W = np.zeros_like(self.W)
        self.velocity_b = np.zeros_like(self.b)

    def forward(self, x):
        self.x = x
        self.z = x @ self.W + self.b
        return self.activation.value(self.z)

    def backward(self, grad_output):
        delta = grad_output * self.activation.derivative(self.z)
        self.grad_W = self.x.T @ delta
        self.grad_b = delta.sum(axis=0)
        return delta @ self.W.T

    def step(self, learning_rate, momentum=0.0):
        self.velocity_W *= momentum
        self.velocity_W -= learning_rate * self.grad_W
        self.velocity_b *= momentum
        self.velocity_b -= learning_rate * self.grad_b
        self.W += self.velocity_W
        self.b += self.velocity_b


class SoftmaxCrossEntropy:
    def forward(self, logits, targets):
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        self.p, self.targets = np.exp(log_p), targets
        return float(-np.mean(np.sum(targets * log_p, axis=1)))

    def backward(self):
        return (self.p - self.targets) / len(self.targets)


def train_epoch(network, loss_fn, x, targets, *, batch_size, learning_rate, momentum, rng):
    order = rng.permutation(len(x))
    total = 0.0
    for start in range(0, len(x), batch_size):
        idx = order[start:start + batch_size]
        loss = loss_fn.forward(network.forward(x[idx]), targets[idx])
        network.backward(loss_fn.backward())
        network.step(learning_rate, momentum)
        total += loss * len(idx)
    return total / len(x)


def empty(*args, **kwargs):
    raise NotImplementedError()


def verdict(capsys, passed):
    out = capsys.readouterr().out
    return passed, out


# --- gradient_check -------------------------------------------------------------------------

@pytest.mark.parametrize("activation", [ReLU(), Sigmoid(), Identity()])
def test_gradient_check_correct_layer_is_accurate(activation):
    layer = Dense(6, 4, activation, rng=np.random.default_rng(1), dtype=np.float64)
    x = checks._randomize(layer, (5, 6), seed=1)
    errors = checks.gradient_check(layer, x)
    assert set(errors) == {"W", "b", "x"}
    assert max(errors.values()) < 1e-6
    assert max(errors.values()) < 1e-8  # comfortably below the tolerance


def test_gradient_check_detects_wrong_gradient():
    class Broken(Dense):
        def backward(self, grad_output):
            grad = super().backward(grad_output)
            self.grad_W = self.grad_W * 1.01
            return grad

    layer = Broken(6, 4, Sigmoid(), rng=np.random.default_rng(1), dtype=np.float64)
    errors = checks.gradient_check(layer, np.random.default_rng(2).standard_normal((5, 6)))
    assert errors["W"] > 1e-3
    assert errors["b"] < 1e-6 and errors["x"] < 1e-6


def test_gradient_check_refuses_float32():
    layer = Dense(3, 2, Sigmoid(), rng=np.random.default_rng(1), dtype=np.float32)
    with pytest.raises(checks.Problem, match="float64"):
        checks.gradient_check(layer, np.ones((2, 3)))


def test_numerical_gradient_of_quadratic():
    a = np.array([1.0, -2.0, 3.0])
    grad = checks.numerical_gradient(lambda: float(np.sum(a ** 2)), a)
    np.testing.assert_allclose(grad, 2 * np.array([1.0, -2.0, 3.0]), rtol=1e-8)
    np.testing.assert_array_equal(a, [1.0, -2.0, 3.0])  # restored


def test_relative_error():
    assert checks.relative_error([1.0, 2.0], [1.0, 2.0]) == 0
    assert checks.relative_error([0.0], [0.0]) == 0
    assert checks.relative_error([1.0], [-1.0]) == pytest.approx(1.0)


# --- 2.1 activation derivatives -------------------------------------------------------------

def test_activation_derivatives_pass(capsys):
    passed, out = verdict(capsys, checks.activation_derivatives(ReLU(), Sigmoid(), Identity()))
    assert passed and "✅" in out


def test_activation_derivatives_accept_bool_relu(capsys):
    class BoolReLU(ReLU):
        def derivative(self, z):
            return z > 0

    passed, _ = verdict(capsys, checks.activation_derivatives(BoolReLU()))
    assert passed


@pytest.mark.parametrize("derivative, message", [
    (lambda self, z: self.value(z), "Funktionswert"),
    (lambda self, z: z * (1 - z), "nicht z selbst"),
    (lambda self, z: self.value(z) * (1 + self.value(z)), "numerischen Ableitung"),
    (lambda self, z: -self.value(z) * (1 - self.value(z)), "Vorzeichen"),
    (lambda self, z: self.value(z)[:, :1] * np.ones(3), "Form"),
])
def test_activation_derivatives_wrong_sigmoid(capsys, derivative, message):
    broken = type("Sigmoid", (Sigmoid,), {"derivative": derivative})
    passed, out = verdict(capsys, checks.activation_derivatives(ReLU(), broken()))
    assert not passed
    assert "❌" in out and "Sigmoid" in out and message in out


def test_activation_derivatives_wrong_relu(capsys):
    broken = type("ReLU", (ReLU,), {"derivative": lambda self, z: (z >= 0) * z})
    passed, out = verdict(capsys, checks.activation_derivatives(broken(), Sigmoid()))
    assert not passed and "ReLU.derivative" in out


def test_activation_derivatives_empty(capsys):
    broken = type("ReLU", (ReLU,), {"derivative": empty})
    passed, out = verdict(capsys, checks.activation_derivatives(broken(), Sigmoid()))
    assert not passed and "noch offen" in out


def test_activation_derivatives_strict_mode_raises(monkeypatch):
    monkeypatch.setenv("NNKURS_STRICT_CHECKS", "1")
    broken = type("ReLU", (ReLU,), {"derivative": empty})
    with pytest.raises(CheckFailed):
        checks.activation_derivatives(broken())


# --- 2.2 dense forward ----------------------------------------------------------------------

def test_dense_forward_pass(capsys):
    for activation in (ReLU(), Sigmoid()):
        passed, out = verdict(capsys, checks.dense_forward(Dense, activation))
        assert passed and "✅" in out


@pytest.mark.parametrize("forward, message", [
    (lambda self, x: self.activation.value(x @ self.W), "Verzerrung b fehlt"),
    (lambda self, x: x @ self.W + self.b, "Aktivierungsfunktion fehlt"),
    (lambda self, x: self.activation.value(x @ self.W + self.b).T, "transponiert"),
    (lambda self, x: self.activation.value(x @ self.W.astype(np.float64) + self.b), "float32"),
    (lambda self, x: self.activation.value(x @ self.W - self.b), "stimmt nicht"),
    (lambda self, x: self.activation.value(self.W @ x), "ValueError"),
    (lambda self, x: None, "None"),
])
def test_dense_forward_broken(capsys, forward, message):
    broken = type("Dense", (Dense,), {"forward": forward})
    passed, out = verdict(capsys, checks.dense_forward(broken, Sigmoid()))
    assert not passed
    assert message in out


def test_dense_forward_empty(capsys):
    broken = type("Dense", (Dense,), {"forward": empty})
    passed, out = verdict(capsys, checks.dense_forward(broken, ReLU()))
    assert not passed and "noch offen" in out


# --- 2.3 dense backward (gradient check) ----------------------------------------------------

def test_dense_backward_pass(capsys):
    passed, out = verdict(capsys, checks.dense_backward(Dense, ReLU(), Sigmoid(), Identity()))
    assert passed and "Gradientenprüfung bestanden" in out


def _backward_variant(body):
    return type("Dense", (Dense,), {"backward": body})


def _wrong_transpose_W(self, g):
    delta = g * self.activation.derivative(self.z)
    self.grad_W = delta.T @ self.x
    self.grad_b = delta.sum(axis=0)
    return delta @ self.W.T


def _wrong_transpose_x(self, g):
    delta = g * self.activation.derivative(self.z)
    self.grad_W = self.x.T @ delta
    self.grad_b = delta.sum(axis=0)
    return delta @ self.W


def _missing_bias(self, g):
    delta = g * self.activation.derivative(self.z)
    self.grad_W = self.x.T @ delta
    return delta @ self.W.T


def _bias_mean(self, g):
    delta = g * self.activation.derivative(self.z)
    self.grad_W = self.x.T @ delta
    self.grad_b = delta.mean(axis=0)
    return delta @ self.W.T


def _no_activation_derivative(self, g):
    self.grad_W = self.x.T @ g
    self.grad_b = g.sum(axis=0)
    return g @ self.W.T


def _no_return(self, g):
    delta = g * self.activation.derivative(self.z)
    self.grad_W = self.x.T @ delta
    self.grad_b = delta.sum(axis=0)


def _input_without_derivative(self, g):
    delta = g * self.activation.derivative(self.z)
    self.grad_W = self.x.T @ delta
    self.grad_b = delta.sum(axis=0)
    return g @ self.W.T


@pytest.mark.parametrize("backward, message", [
    (_wrong_transpose_W, "prüfen Sie, was transponiert werden muss"),
    (_wrong_transpose_x, "ValueError"),
    (_missing_bias, "self.grad_b"),
    (_bias_mean, "mitteln, wo summiert werden muss"),
    (_no_activation_derivative, "den Gewichten (grad_W)"),
    (_no_return, "gibt nichts zurück"),
    (_input_without_derivative, "der Eingabe"),
])
def test_dense_backward_broken(capsys, backward, message):
    passed, out = verdict(capsys, checks.dense_backward(_backward_variant(backward), Sigmoid()))
    assert not passed
    assert "❌" in out and message in out


def test_dense_backward_forward_without_cache(capsys):
    def forward(self, x):
        return self.activation.value(x @ self.W + self.b)

    def backward(self, g):
        delta = g * self.activation.derivative(self.z)
        self.grad_W = self.x.T @ delta
        self.grad_b = delta.sum(axis=0)
        return delta @ self.W.T

    broken = type("Dense", (Dense,), {"forward": forward, "backward": backward})
    passed, out = verdict(capsys, checks.dense_backward(broken, ReLU()))
    assert not passed and "AttributeError" in out and "self.x" in out


def test_dense_backward_wrong_activation_derivative(capsys):
    class WrongSigmoid(Sigmoid):
        def derivative(self, z):
            return self.value(z)  # f instead of f'

    passed, out = verdict(capsys, checks.dense_backward(Dense, WrongSigmoid()))
    assert not passed and "relativer Fehler" in out and "WrongSigmoid" in out


def test_dense_backward_square_layer_wrong_transpose(capsys):
    """Where shapes cannot reveal a wrong transpose, the values must."""

    def backward(self, g):
        delta = g * self.activation.derivative(self.z)
        self.grad_W = (self.x.T @ delta).T
        self.grad_b = delta.sum(axis=0)
        return delta @ self.W.T

    layer = _backward_variant(backward)(4, 4, Sigmoid(), rng=np.random.default_rng(0),
                                        dtype=np.float64)
    x = np.random.default_rng(1).standard_normal((3, 4))
    assert checks.gradient_check(layer, x)["W"] > 1e-3


def test_dense_backward_empty(capsys):
    passed, out = verdict(capsys, checks.dense_backward(_backward_variant(empty), ReLU()))
    assert not passed and "noch offen" in out


# --- 2.4 softmax + cross-entropy ------------------------------------------------------------

def test_softmax_cross_entropy_pass(capsys):
    passed, out = verdict(capsys, checks.softmax_cross_entropy(SoftmaxCrossEntropy))
    assert passed and "✅" in out


def _loss_variant(backward):
    return type("SoftmaxCrossEntropy", (SoftmaxCrossEntropy,), {"backward": backward})


@pytest.mark.parametrize("backward, message", [
    (lambda self: 2 * (self.p - self.targets) * self.p * (1 - self.p) / len(self.p),
     "MSE-Gradient"),
    (lambda self: (self.p - self.targets) * self.p * (1 - self.p), "MSE-Gradient"),
    (lambda self: self.p - self.targets, "N-mal zu groß"),
    (lambda self: (self.targets - self.p) / len(self.p), "Vorzeichen"),
    (lambda self: self.p / len(self.p), "(p − y) / N"),
    (lambda self: (self.p - self.targets)[:, :2], "Form"),
])
def test_softmax_cross_entropy_broken(capsys, backward, message):
    passed, out = verdict(capsys, checks.softmax_cross_entropy(_loss_variant(backward)))
    assert not passed
    assert message in out


def test_softmax_cross_entropy_unstable_forward(capsys):
    class Unstable(SoftmaxCrossEntropy):
        def forward(self, logits, targets):
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                e = np.exp(logits)
                self.p, self.targets = e / e.sum(axis=1, keepdims=True), targets
                return float(-np.mean(np.sum(targets * np.log(self.p), axis=1)))

    passed, out = verdict(capsys, checks.softmax_cross_entropy(Unstable))
    assert not passed and "Zeilenmaximum" in out


def test_softmax_cross_entropy_empty(capsys):
    passed, out = verdict(capsys, checks.softmax_cross_entropy(_loss_variant(empty)))
    assert not passed and "noch offen" in out


# --- 2.5 update step ------------------------------------------------------------------------

def test_dense_step_pass(capsys):
    passed, out = verdict(capsys, checks.dense_step(Dense, ReLU()))
    assert passed and "✅" in out


def test_dense_step_accepts_other_momentum_convention(capsys):
    """v ← μv + g, θ ← θ − ηv is the same update at a constant learning rate."""

    def step(self, learning_rate, momentum=0.0):
        self.velocity_W = momentum * self.velocity_W + self.grad_W
        self.velocity_b = momentum * self.velocity_b + self.grad_b
        self.W = self.W - learning_rate * self.velocity_W
        self.b = self.b - learning_rate * self.velocity_b

    passed, _ = verdict(capsys, checks.dense_step(type("Dense", (Dense,), {"step": step}), ReLU()))
    assert passed


def _step_plain(self, learning_rate, momentum=0.0):
    self.W -= learning_rate * self.grad_W
    self.b -= learning_rate * self.grad_b


def _step_uphill(self, learning_rate, momentum=0.0):
    self.W += learning_rate * self.grad_W
    self.b += learning_rate * self.grad_b


def _step_copy(self, learning_rate, momentum=0.0):
    W = self.W.copy()
    W -= learning_rate * self.grad_W


def _step_no_bias(self, learning_rate, momentum=0.0):
    self.W -= learning_rate * self.grad_W


def _step_local_velocity(self, learning_rate, momentum=0.0):
    velocity = np.zeros_like(self.W)
    velocity = momentum * velocity - learning_rate * self.grad_W
    self.W += velocity
    self.b -= learning_rate * self.grad_b


def _step_shared_velocity_wrong(self, learning_rate, momentum=0.0):
    self.velocity_W = momentum * self.velocity_W - learning_rate * self.grad_W
    self.W += self.velocity_W
    self.b -= learning_rate * self.grad_b  # bias without momentum


@pytest.mark.parametrize("step, message", [
    (_step_plain, "wie ohne Momentum"),
    (_step_uphill, "bergauf"),
    (_step_copy, "nicht eine Kopie"),
    (_step_no_bias, "Verzerrung b wird nicht aktualisiert"),
    (_step_local_velocity, "wie ohne Momentum"),
    (_step_shared_velocity_wrong, "Mit Momentum stimmen"),
])
def test_dense_step_broken(capsys, step, message):
    broken = type("Dense", (Dense,), {"step": step})
    passed, out = verdict(capsys, checks.dense_step(broken, ReLU()))
    assert not passed
    assert message in out


def test_dense_step_empty(capsys):
    broken = type("Dense", (Dense,), {"step": empty})
    passed, out = verdict(capsys, checks.dense_step(broken, ReLU()))
    assert not passed and "noch offen" in out


# --- 2.6 training loop ----------------------------------------------------------------------

def test_train_epoch_pass(capsys):
    passed, out = verdict(capsys, checks.train_epoch(train_epoch))
    assert passed and "✅" in out


def test_train_epoch_unweighted_mean_passes(capsys):
    def loop(network, loss_fn, x, targets, *, batch_size, learning_rate, momentum, rng):
        order = rng.permutation(len(x))
        losses = []
        for start in range(0, len(x), batch_size):
            idx = order[start:start + batch_size]
            losses.append(loss_fn.forward(network.forward(x[idx]), targets[idx]))
            network.backward(loss_fn.backward())
            network.step(learning_rate, momentum)
        return np.mean(losses)

    passed, _ = verdict(capsys, checks.train_epoch(loop))
    assert passed


def _loop(shuffle="rng", pair=True, order=("backward", "step"), returns="mean",
          drop_last=False, pass_args=True):
    def loop(network, loss_fn, x, targets, *, batch_size, learning_rate, momentum, rng):
        n = len(x)
        if shuffle == "rng":
            perm = rng.permutation(n)
        elif shuffle == "fixed":
            perm = np.random.default_rng(0).permutation(n)
        else:
            perm = np.arange(n)
        x_perm = x[perm]
        t_perm = targets[perm] if pair else targets[rng.permutation(n)]
        total, stop = 0.0, (n // batch_size) * batch_size if drop_last else n
        for start in range(0, stop, batch_size):
            xb, tb = x_perm[start:start + batch_size], t_perm[start:start + batch_size]
            loss = loss_fn.forward(network.forward(xb), tb)
            grad = loss_fn.backward()
            if order == ("backward", "step"):
                network.backward(grad)
                network.step(learning_rate, momentum) if pass_args else network.step(0.01)
            else:
                network.step(learning_rate, momentum)
                network.backward(grad)
            total += loss
        return {"mean": total / len(range(0, stop, batch_size)), "sum": total,
                "none": None}[returns]

    return loop


@pytest.mark.parametrize("loop, message", [
    (_loop(shuffle="none"), "nicht gemischt"),
    (_loop(shuffle="fixed"), "dieselbe Reihenfolge"),
    (_loop(pair=False), "derselben Permutation"),
    (_loop(order=("step", "backward")), "Reihenfolge pro Stapel"),
    (_loop(returns="sum"), "nicht der mittlere Verlust"),
    (_loop(returns="none"), "gibt nichts zurück"),
    (_loop(drop_last=True), "genau einmal vorkommen"),
    (_loop(pass_args=False), "übergebene Lernrate"),
])
def test_train_epoch_broken(capsys, loop, message):
    passed, out = verdict(capsys, checks.train_epoch(loop))
    assert not passed
    assert message in out


def test_train_epoch_empty(capsys):
    passed, out = verdict(capsys, checks.train_epoch(empty))
    assert not passed and "noch offen" in out


# --- notebook 02 stays NumPy-only -----------------------------------------------------------

def test_notebook_02_imports_no_deep_learning_framework():
    """What notebook 02 imports (utils, its checks, threadpoolctl) pulls in neither torch nor TF."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    cells = json.loads((root / "solutions" / "02_eigenes_framework.ipynb").read_text("utf-8"))
    sources = ["".join(c["source"]) for c in cells["cells"] if c["cell_type"] == "code"]
    assert not any("torch" in s or "tensorflow" in s or "keras" in s for s in sources)
    code = ("import sys, matplotlib; matplotlib.use('Agg'); import numpy, threadpoolctl, utils; "
            "from utils import plots, results; from utils.checks import nb02; "
            "from utils.data import load_mnist; utils.seed_everything(0); "
            "bad = [m for m in ('torch', 'tensorflow', 'keras') if m in sys.modules]; "
            "sys.exit(', '.join(bad) or 0)")
    result = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
