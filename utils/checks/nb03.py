"""Self-checks of notebook 03 (Training mit PyTorch).

Each check builds its own small inputs and compares the student's function with the behaviour
it must have (layer sizes, output shapes, ``train()``/``eval()`` mode, gradients, loss averaged
per sample). None of them prints a solution or a value the student is asked to compute: the
parameter count of Aufgabe 1.1 appears only once the model is right. The reference results are
computed with the course's own ``utils.training`` functions, never with a copy of a solution.

Verwendet in Notebook 03.
"""

from __future__ import annotations

import functools

import numpy as np

from utils.checks import (
    Problem,
    call,
    exercise,
    expect_callable,
    expect_module,
    german_number,
    torch_modules,
)

#: 784·300 + 300 (hidden layer) + 300·10 + 10 (output layer)
PARAMS_784_300_10 = 238_510
#: the same plus γ and β of a BatchNorm1d(300)
PARAMS_WITH_BATCHNORM = PARAMS_784_300_10 + 2 * 300
#: the same network without biases (``bias=False``)
PARAMS_WITHOUT_BIAS = 784 * 300 + 300 * 10

#: The checks, in the order of the notebook. Each is an :class:`utils.checks.Exercise`:
#: calling it shows the verdict and returns a :class:`utils.checks.Verdict`; the decorated
#: function itself returns the praise (``str``) or raises ``Problem``.
__all__ = ["model_784_300_10", "train_step", "evaluate_model", "full_batch_step",
           "regularized_model"]


# --- building blocks of this notebook's checks ---------------------------------------------------

def _count(model) -> int:
    return sum(p.numel() for p in model.parameters())


def _build(factory, what: str, **kwargs):
    """Call a student's model factory; the result must be an ``nn.Module``."""
    return expect_module(call(factory, what=what, **kwargs), f"Das Ergebnis von {what}()")


def _forward_images(model, n: int = 5):
    """Run ``n`` MNIST-shaped images ``(n, 1, 28, 28)`` through ``model``; returns the output."""
    torch, _ = torch_modules()
    torch.manual_seed(0)
    x = torch.rand(n, 1, 28, 28)
    try:
        with torch.no_grad():
            return model(x)
    except RuntimeError as exc:
        raise Problem(
            "Das Modell lässt sich nicht auf Bilder der Form (n, 1, 28, 28) anwenden "
            f"({str(exc).splitlines()[0]}). Beginnen Sie mit nn.Flatten() und prüfen Sie, ob "
            "die Größen aufeinanderfolgender Schichten zusammenpassen."
        ) from None


def _expect_logits(model, output, n: int = 5) -> None:
    _, nn = torch_modules()
    if tuple(output.shape) != (n, 10):
        raise Problem(f"Für {n} Bilder liefert das Modell die Form {tuple(output.shape)}, "
                      f"erwartet wird ({n}, 10): ein Wert (Logit) pro Ziffer.")
    last = list(model.modules())[-1]
    if isinstance(last, (nn.Softmax, nn.LogSoftmax, nn.Sigmoid)):
        raise Problem("Die letzte Schicht ist eine Softmax/Sigmoid. nn.CrossEntropyLoss erwartet "
                      "Logits und wendet log-Softmax selbst an – lassen Sie sie weg.")
    if not any(isinstance(m, (nn.ReLU, nn.GELU, nn.Sigmoid, nn.Tanh, nn.LeakyReLU))
               for m in model.modules()):
        raise Problem("Im Modell fehlt eine Aktivierungsfunktion (z. B. nn.ReLU()) zwischen den "
                      "linearen Schichten – ohne sie ist das Netz nur eine lineare Abbildung.")


@functools.cache
def _probe_class():
    """An ``nn.Module`` that passes its input on and records, per call, the batch size,
    whether it was in training mode and whether gradients were recorded."""
    torch, nn = torch_modules()

    class Probe(nn.Module):
        def __init__(self):
            super().__init__()
            self.calls: list[tuple[int, bool, bool]] = []

        def forward(self, x):
            self.calls.append((len(x), self.training, torch.is_grad_enabled()))
            return x

    return Probe


def _small_model(seed: int = 0):
    """6 → 5 → 3 with a probe after the first layer (no Dropout/BatchNorm: steps are exact)."""
    torch, nn = torch_modules()
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 5), _probe_class()(), nn.ReLU(), nn.Linear(5, 3))


def _small_data(n: int = 10, seed: int = 1):
    torch, _ = torch_modules()
    torch.manual_seed(seed)
    return torch.randn(n, 6), torch.randint(0, 3, (n,))


def _reference_steps(batches_per_step, loss_fn, lr: float = 0.5):
    """Parameters of a fresh ``_small_model()`` after SGD steps made by the course's own
    ``utils.training.train_epoch``; each entry of ``batches_per_step`` is one call's loader."""
    torch, _ = torch_modules()
    from utils.training import train_epoch

    model = _small_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    for loader in batches_per_step:
        train_epoch(model, loader, loss_fn, optimizer, "cpu")
    return [p.detach().clone() for p in model.parameters()]


def _same(params, reference) -> bool:
    torch, _ = torch_modules()
    return all(torch.allclose(a, b, atol=1e-6) for a, b in zip(params, reference))


def _expect_loss_number(result, what: str) -> float:
    """The student's returned loss must be a plain number, not a tensor."""
    torch, _ = torch_modules()
    if isinstance(result, torch.Tensor):
        raise Problem(f"{what} gibt einen Tensor zurück. Geben Sie den Verlust als Python-Zahl "
                      "zurück: Ein gespeicherter Tensor hält den ganzen Rechengraphen im "
                      "Speicher.")
    if isinstance(result, bool) or not isinstance(result, (float, int, np.floating)):
        raise Problem(f"{what} gibt {type(result).__name__} zurück, erwartet wird der Verlust "
                      "als Zahl.")
    return float(result)


def _scaled_loss(outputs, targets, *, loss_fn, scale):
    """``loss_fn`` times ``scale(batch size)``; bound with ``functools.partial`` (the loss of
    a wrong answer that weights its batches differently)."""
    return loss_fn(outputs, targets) * scale(len(targets))


def _one(size: int) -> float:
    return 1.0


def _share_of_ten(size: int) -> float:
    return size / 10


def _third(size: int) -> float:
    return 1 / 3


def _weighted_loss(outputs, targets, *, weights):
    """Cross-entropy summed with a fixed weight per example; bound with ``functools.partial``."""
    _, nn = torch_modules()
    return (nn.functional.cross_entropy(outputs, targets, reduction="none") * weights).sum()


# --- the exercises -------------------------------------------------------------------------------

@exercise("1.1", "Modell 784-300-10")
def model_784_300_10(make_model) -> str:
    """Aufgabe 1.1: ``make_model()`` returns a fresh 784-300-10 network producing logits."""
    _, nn = torch_modules()
    model = _build(make_model, "make_model")
    count = _count(model)
    if count == 784 * 10 + 10:
        raise Problem(f"Das Modell hat nur {german_number(count)} Parameter – die verborgene "
                      "Schicht mit 300 Neuronen fehlt.")
    if count == PARAMS_WITHOUT_BIAS:
        raise Problem("Den linearen Schichten fehlen die Verzerrungen (bias=False?).")
    if count != PARAMS_784_300_10:
        raise Problem(f"Das Modell hat {german_number(count)} Parameter; das passt nicht zu den "
                      "Schichten 784 → 300 → 10. Prüfen Sie in_features und out_features der "
                      "nn.Linear-Schichten.")
    _expect_logits(model, _forward_images(model))
    if make_model() is model:
        raise Problem("make_model() gibt bei jedem Aufruf dasselbe Objekt zurück; jede "
                      "Trainingsvariante braucht aber ein neues Modell.")
    layers = sum(isinstance(m, nn.Linear) for m in model.modules())
    return f"{layers} lineare Schichten, {german_number(count)} Parameter."


@exercise("1.2", "Trainingsschritt")
def train_step(train_step_fn) -> str:
    """Aufgabe 1.2: one optimisation step, compared with ``utils.training.train_epoch``.

    Two steps on a small network that starts in ``eval()`` mode, with a loss function the
    student has to use as passed (label smoothing): checks training mode, the returned loss
    (a number, before the step), the update after one step and after two (zero_grad).
    """
    torch, nn = torch_modules()
    expect_callable(train_step_fn, "train_step")
    x, y = _small_data(8)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)
    student = _small_model()
    student.eval()  # the step has to switch to training mode itself
    optimizer = torch.optim.SGD(student.parameters(), lr=0.5)
    before = [p.detach().clone() for p in student.parameters()]
    probe = student[1]
    for step in (1, 2):
        with torch.no_grad():
            expected_loss = loss_fn(student(x), y).item()
            plain_loss = nn.functional.cross_entropy(student(x), y).item()
        probe.calls.clear()
        result = call(train_step_fn, student, x, y, loss_fn, optimizer, what="train_step",
                      none_is_open=False)
        if result is None and not probe.calls:
            raise NotImplementedError
        if result is None:
            raise Problem("train_step gibt nichts zurück. Geben Sie am Ende den Verlust als "
                          "Python-Zahl zurück.")
        if not probe.calls:
            raise Problem("train_step ruft das Modell nicht auf (Vorwärtsdurchlauf fehlt).")
        if not all(training for _, training, _ in probe.calls):
            raise Problem("Das Modell war beim Training im eval()-Modus. Rufen Sie zu Beginn "
                          "model.train() auf (Dropout und BatchNorm verhalten sich sonst "
                          "anders).")
        loss = _expect_loss_number(result, "train_step")
        if step == 1 and all(torch.equal(a, b) for a, b in zip(before, student.parameters())):
            raise Problem("Die Gewichte haben sich nicht verändert. Fehlen loss.backward() oder "
                          "optimizer.step()?")
        if np.isclose(loss, plain_loss, rtol=1e-4) and not np.isclose(loss, expected_loss,
                                                                       rtol=1e-4):
            raise Problem("Der Verlust wurde nicht mit der übergebenen Verlustfunktion loss_fn "
                          "berechnet. Verwenden Sie das Argument, statt eine eigene zu erzeugen.")
        if not np.isclose(loss, expected_loss, rtol=1e-4, atol=1e-6):
            raise Problem(f"Der zurückgegebene Verlust ({loss:.4f}) ist nicht der Verlust des "
                          f"Stapels vor dem Schritt ({expected_loss:.4f}).")
        reference = _reference_steps([[(x, y)]] * step, loss_fn)
        if not _same(student.parameters(), reference):
            if step == 2:
                raise Problem("Der erste Schritt stimmt, der zweite nicht: Die Gradienten "
                              "summieren sich über die Schritte auf. Löschen Sie die alten "
                              "Gradienten vor der Rückwärtsrechnung.")
            raise Problem("Die Gewichte nach dem Schritt weichen vom erwarteten Ergebnis ab. "
                          "Reihenfolge: zero_grad → Vorwärtsdurchlauf → Verlust → backward → "
                          "step, und genau ein step pro Aufruf.")
    return "Schritt, Verlust und train()-Modus stimmen."


@exercise("1.3", "Auswertung")
def evaluate_model(evaluate_fn) -> str:
    """Aufgabe 1.3: loss per sample and accuracy in eval mode without gradients."""
    torch, nn = torch_modules()
    from torch.utils.data import DataLoader, TensorDataset

    expect_callable(evaluate_fn, "evaluate_model")
    n, size = 22, 8  # batches of 8, 8 and 6: the short last batch must not count more
    torch.manual_seed(2)
    x = torch.randn(n, 6)
    y = torch.randint(0, 4, (n,))
    loader = DataLoader(TensorDataset(x, y), batch_size=size)
    model = nn.Sequential(nn.Linear(6, 4), _probe_class()(), nn.Dropout(0.5))
    model.train()  # evaluate_model has to switch to eval mode itself
    loss_fn = nn.CrossEntropyLoss()
    with torch.no_grad():
        logits = model[0](x)
    losses = nn.functional.cross_entropy(logits, y, reduction="none")
    per_sample = losses.mean().item()
    per_batch = np.mean([losses[i:i + size].mean().item() for i in range(0, n, size)])
    accuracy = (logits.argmax(dim=1) == y).float().mean().item()

    result = call(evaluate_fn, model, loader, loss_fn, torch.device("cpu"),
                  what="evaluate_model")
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise Problem("evaluate_model soll ein Paar (verlust, genauigkeit) zurückgeben.")
    loss, acc = result
    if isinstance(loss, torch.Tensor) or isinstance(acc, torch.Tensor):
        raise Problem("Geben Sie Python-Zahlen zurück (z. B. mit .item()), keine Tensoren.")
    probe = model[1]
    if not probe.calls:
        raise Problem("Das Modell wurde nicht aufgerufen.")
    if any(training for _, training, _ in probe.calls):
        raise Problem("Das Modell war bei der Auswertung im train()-Modus. Rufen Sie "
                      "model.eval() auf – sonst schaltet Dropout zufällig Neuronen ab.")
    if any(grad for _, _, grad in probe.calls):
        raise Problem("Bei der Auswertung wurden Gradienten aufgezeichnet. Umschließen Sie die "
                      "Schleife mit »with torch.no_grad():« (spart Speicher und Zeit).")
    if accuracy > 0 and np.isclose(float(acc), accuracy * n):
        raise Problem("Die Genauigkeit ist die Anzahl richtiger Vorhersagen – teilen Sie durch "
                      "die Anzahl der Beispiele.")
    if not np.isclose(float(acc), accuracy, atol=1e-6):
        raise Problem(f"Die Genauigkeit ({float(acc):.4f}) stimmt nicht. Vergleichen Sie die "
                      "Klasse mit dem größten Logit mit den Zielen und teilen Sie durch die "
                      "Anzahl aller Beispiele.")
    if (not np.isclose(float(loss), per_sample, rtol=1e-5)
            and np.isclose(float(loss), per_batch, rtol=1e-5)):
        raise Problem("Der Verlust ist der Mittelwert der Stapel-Mittelwerte. Der letzte, "
                      "kleinere Stapel zählt dann zu viel: Gewichten Sie jeden Stapel mit seiner "
                      "Größe und teilen Sie durch die Anzahl aller Beispiele.")
    if not np.isclose(float(loss), per_sample, rtol=1e-5):
        raise Problem(f"Der mittlere Verlust ({float(loss):.4f}) weicht vom erwarteten Wert "
                      "ab. Gewichten Sie jeden Stapel mit seiner Größe und teilen Sie durch die "
                      "Anzahl aller Beispiele.")
    return "eval()-Modus, ohne Gradienten, Verlust pro Beispiel gemittelt."


@exercise("1.4", "Full-Batch-Schritt in Stücken")
def full_batch_step(full_batch_step_fn) -> str:
    """Aufgabe 1.4: one step with the gradient of the mean loss over all batches of a loader.

    The loader has batches of 4, 4 and 2 examples; the result must equal one step on all ten
    at once (``train_epoch`` with a single batch), twice in a row. The usual wrong answers
    (a step per batch, only the last batch, unweighted or equally weighted batches) are
    recognised by comparing with the steps they would make.
    """
    torch, nn = torch_modules()
    from torch.utils.data import DataLoader, TensorDataset

    expect_callable(full_batch_step_fn, "full_batch_step")
    x, y = _small_data(10)
    loader = DataLoader(TensorDataset(x, y), batch_size=4)  # batches of 4, 4, 2
    batches = [(x[:4], y[:4]), (x[4:8], y[4:8]), (x[8:], y[8:])]
    loss_fn = nn.CrossEntropyLoss()
    student = _small_model()
    student.eval()  # the step has to switch to training mode itself
    optimizer = torch.optim.SGD(student.parameters(), lr=0.5)
    before = [p.detach().clone() for p in student.parameters()]
    probe = student[1]
    per_example = torch.tensor([1 / 4] * 8 + [1 / 2] * 2)
    for step in (1, 2):
        with torch.no_grad():
            losses = nn.functional.cross_entropy(student(x), y, reduction="none")
        expected_loss = losses.mean().item()
        mean_of_means = np.mean([losses[i:i + 4].mean().item() for i in range(0, 10, 4)])
        probe.calls.clear()
        result = call(full_batch_step_fn, student, loader, loss_fn, optimizer,
                      torch.device("cpu"), what="full_batch_step", none_is_open=False)
        if result is None and not probe.calls:
            raise NotImplementedError
        if result is None:
            raise Problem("full_batch_step gibt nichts zurück. Geben Sie den mittleren Verlust "
                          "pro Beispiel als Python-Zahl zurück.")
        if not probe.calls:
            raise Problem("full_batch_step ruft das Modell nicht auf.")
        if any(size > 4 for size, _, _ in probe.calls):
            raise Problem("Es liefen mehr als die Beispiele eines Stapels auf einmal durch das "
                          "Netz. Gehen Sie die Stapel von loader einzeln durch.")
        if not all(training for _, training, _ in probe.calls):
            raise Problem("Das Modell war beim Training im eval()-Modus. Rufen Sie zu Beginn "
                          "model.train() auf.")
        loss = _expect_loss_number(result, "full_batch_step")
        if step == 1 and all(torch.equal(a, b) for a, b in zip(before, student.parameters())):
            raise Problem("Die Gewichte haben sich nicht verändert. Fehlen backward() oder "
                          "optimizer.step()?")
        params = [p.detach() for p in student.parameters()]
        if not _same(params, _reference_steps([[(x, y)]] * step, loss_fn)):
            # a step per batch, or only the last batch's gradient, each with the batch loss
            # taken as it is, weighted by size/N or divided by the number of batches
            for scale in (_one, _share_of_ten, _third):
                scaled = functools.partial(_scaled_loss, loss_fn=loss_fn, scale=scale)
                if _same(params, _reference_steps([batches] * step, scaled)):
                    raise Problem("Die Gewichte wurden nach jedem Stapel geändert. Gefragt ist "
                                  "genau ein Schritt pro Aufruf, nachdem die Gradienten aller "
                                  "Stapel beisammen sind.")
                if _same(params, _reference_steps([[batches[-1]]] * step, scaled)):
                    raise Problem("Nur der letzte Stapel hat zum Schritt beigetragen: Die "
                                  "Gradienten der früheren Stapel wurden gelöscht, bevor der "
                                  "Schritt kam.")
            summed = functools.partial(_weighted_loss, weights=per_example)
            if _same(params, _reference_steps([[(x, y)]] * step, summed)):
                raise Problem("Die Gradienten der Stapel wurden einfach addiert. Jeder "
                              "Stapelverlust ist schon ein Mittelwert: So wird der Schritt zu "
                              "groß, und der kleine letzte Stapel zählt zu viel. Mit welchem "
                              "Faktor muss ein Stapel eingehen?")
            averaged = functools.partial(_weighted_loss, weights=per_example / 3)
            if _same(params, _reference_steps([[(x, y)]] * step, averaged)):
                raise Problem("Fast: Alle Stapel zählen gleich viel, obwohl der letzte nur 2 statt "
                              "4 Beispiele hat. Gewichten Sie jeden Stapel nach der Zahl seiner "
                              "Beispiele.")
            if step == 2:
                raise Problem("Der erste Aufruf stimmt, der zweite nicht: Die Gradienten des "
                              "vorigen Aufrufs sind beim neuen Schritt noch da.")
            raise Problem("Die Gewichte nach dem Schritt weichen von einem Schritt mit allen "
                          "Beispielen auf einmal ab.")
        if not np.isclose(loss, expected_loss, rtol=1e-4, atol=1e-6):
            if np.isclose(loss, mean_of_means, rtol=1e-4, atol=1e-6):
                raise Problem("Die Gewichte stimmen, aber der zurückgegebene Verlust ist der "
                              "Mittelwert der Stapel-Mittelwerte; gefragt ist der Mittelwert pro "
                              "Beispiel (der kleinere letzte Stapel zählt sonst zu viel).")
            raise Problem(f"Die Gewichte stimmen, aber der zurückgegebene Verlust ({loss:.4f}) "
                          "ist nicht der mittlere Verlust aller Beispiele vor dem Schritt "
                          f"({expected_loss:.4f}).")
    return "ein Schritt mit dem Gradienten über alle Stapel, richtig gewichtet."


def _regularized_parts(model):
    """BatchNorm1d and Dropout layers of ``model``; Problem if one follows the last Linear."""
    _, nn = torch_modules()
    modules = list(model.modules())
    norms = [i for i, m in enumerate(modules) if isinstance(m, nn.BatchNorm1d)]
    drops = [i for i, m in enumerate(modules) if isinstance(m, nn.Dropout)]
    linears = [i for i, m in enumerate(modules) if isinstance(m, nn.Linear)]
    if not linears:
        raise Problem("Das Modell enthält keine nn.Linear-Schicht.")
    if any(i > linears[-1] for i in norms + drops):
        raise Problem("Nach der letzten linearen Schicht (den Logits) gehören weder BatchNorm "
                      "noch Dropout – die Ausgabe soll nicht verändert werden.")
    return [modules[i] for i in norms], [modules[i] for i in drops]


@exercise("2.1", "Dropout und BatchNorm")
def regularized_model(make_regularized_model) -> str:
    """Aufgabe 2.1: 784-300-10 with optional BatchNorm1d and Dropout in the hidden layer."""
    torch, _ = torch_modules()
    what = "make_regularized_model"
    model = _build(make_regularized_model, what)
    norms, drops = _regularized_parts(model)
    if not norms:
        raise Problem("Im Modell fehlt nn.BatchNorm1d(300) nach der ersten linearen Schicht "
                      "(make_regularized_model() soll sie standardmäßig enthalten).")
    if not drops:
        raise Problem("Im Modell fehlt nn.Dropout(dropout) nach der ReLU.")
    count = _count(model)
    if count != PARAMS_WITH_BATCHNORM:
        raise Problem(f"Das Modell hat {german_number(count)} Parameter. Zu denen des Modells "
                      "aus Aufgabe 1.1 kommen nur die lernbaren γ und β der BatchNorm hinzu, je "
                      "einer pro Neuron der verborgenen Schicht.")
    if any(abs(d.p - 0.2) > 1e-12 for d in drops):
        raise Problem(f"Die Dropout-Rate ist {drops[0].p}, erwartet wird der Wert des Arguments "
                      "dropout (voreingestellt 0.2).")
    model.train()
    _expect_logits(model, _forward_images(model))
    model.eval()
    if not torch.equal(_forward_images(model), _forward_images(model)):
        raise Problem("Im eval()-Modus liefert das Modell für dieselben Bilder verschiedene "
                      "Ausgaben – ist eine eigene Zufallsschicht eingebaut?")
    if make_regularized_model() is model:
        raise Problem("make_regularized_model() gibt bei jedem Aufruf dasselbe Objekt zurück; "
                      "jede Variante braucht ein neues Modell.")

    plain = _build(make_regularized_model, what, batchnorm=False)
    norms, drops = _regularized_parts(plain)
    if norms:
        raise Problem("make_regularized_model(batchnorm=False) enthält trotzdem BatchNorm.")
    if not drops:
        raise Problem("make_regularized_model(batchnorm=False) soll Dropout behalten.")
    if _count(plain) != PARAMS_784_300_10:
        raise Problem("make_regularized_model(batchnorm=False) soll so viele Parameter haben wie "
                      f"das Modell aus Aufgabe 1.1, hat aber {german_number(_count(plain))}.")
    _expect_logits(plain, _forward_images(plain))

    _, drops = _regularized_parts(_build(make_regularized_model, what, dropout=0.5))
    if not drops or any(abs(d.p - 0.5) > 1e-12 for d in drops):
        raise Problem("make_regularized_model(dropout=0.5) soll nn.Dropout(0.5) enthalten – "
                      "verwenden Sie das Argument dropout statt einer festen Zahl.")
    return f"{german_number(count)} Parameter, BatchNorm und Dropout an der richtigen Stelle."
