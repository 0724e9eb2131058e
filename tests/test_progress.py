"""Progress bars as the student sees them: updated in place while training, final when stored.

A tqdm widget stored without its widget state shows "Training: 0%| | 0/15" in JupyterLab and
on GitHub. ``utils.training.EpochProgress`` writes text/plain + text/html through one display
that is updated after every epoch; nbclient (and JupyterLab) store the last update.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from utils.training import EpochProgress  # noqa: E402

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
#: "Training: ████ 15/15 Epochen …" (utils.training) or
#: "Training: 100% ████ 15/15 [00:31…" (a tqdm widget frozen by `make sync`).
PROGRESS = re.compile(r"^Training:.*?\s(\d+)/(\d+)[\s\]]", re.MULTILINE)

FIT_CELL = """\
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from utils.training import fit
torch.manual_seed(0)
data = DataLoader(TensorDataset(torch.randn(32, 4), torch.randint(0, 3, (32,))), batch_size=8)
history = fit(nn.Linear(4, 3), data, data, loss_fn=nn.CrossEntropyLoss(),
              optimizer=torch.optim.SGD(nn.Linear(4, 3).parameters(), lr=0.1),
              epochs=3, device="cpu")
print(len(history["train_loss"]), "Epochen trainiert")
"""


def test_progress_text_shows_epochs_time_and_figures():
    bar = EpochProgress(4, enabled=False)
    assert bar.text().startswith("Training: " + "·" * 20 + " 0/4 Epochen [")
    bar.update(loss="0.5000")
    bar.update(loss="0.2500", acc="0.9000")
    text = bar.text()
    assert "█" * 10 + "·" * 10 + " 2/4 Epochen" in text
    assert text.endswith("loss=0.2500 acc=0.9000")
    bundle = bar.mimebundle()
    assert '<progress value="2" max="4"' in bundle["text/html"]
    assert "2/4 Epochen" in bundle["text/html"] and bundle["text/plain"] == text


@pytest.mark.notebook
def test_fit_in_a_notebook_stores_its_final_state():
    from run_notebook import kernel_config
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(FIT_CELL)])
    NotebookClient(nb, kernel_name="python3", timeout=300, config=kernel_config(),
                   resources={"metadata": {"path": str(ROOT)}}).execute()
    outputs = nb.cells[0].outputs
    displays = [o for o in outputs if o.output_type == "display_data"]
    assert len(displays) == 1, outputs  # one line, updated in place (not one per epoch)
    data = displays[0].data
    assert WIDGET_VIEW not in data
    assert re.match(r"Training: █{20} 3/3 Epochen \[\d+ s\] loss=", data["text/plain"])
    assert "test_acc=" in data["text/plain"]
    assert '<progress value="3" max="3"' in data["text/html"]
    assert any("3 Epochen trainiert" in o.get("text", "") for o in outputs)


@pytest.mark.parametrize("path", sorted((ROOT / "solutions").glob("*.ipynb")),
                         ids=lambda p: p.stem)
def test_stored_progress_bars_show_their_final_state(path):
    """No stored widget (GitHub and JupyterLab without widget state show 0/N), every bar full."""
    nb = nbformat.read(path, as_version=4)
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            assert WIDGET_VIEW not in data, f"{path.name}, Zelle {index}: Widget gespeichert"
            text = data.get("text/plain", "") or output.get("text", "")
            for done, total in PROGRESS.findall(text if isinstance(text, str) else "".join(text)):
                assert done == total, f"{path.name}, Zelle {index}: Balken bei {done}/{total}"
