"""nn-kurs helper package: the code every notebook imports instead of pasting it.

One module per concern (after d2l's helper package):

- :mod:`utils.config`   device choice, seeds, fast mode (``NNKURS_FAST=1``)
- :mod:`utils.data`     datasets: offline copies, checksum-verified downloads
- :mod:`utils.plots`    image grids, learning curves, confusion matrices, weights
- :mod:`utils.training` a small PyTorch ``fit``/``evaluate`` loop
- :mod:`utils.keras_models` ready-made Keras classifiers (Notebook 04)
- :mod:`utils.checks`   self-checks for students (German feedback, never the solution)
- :mod:`utils.results`  figures a notebook computes, recorded for ``make bench``
- :mod:`utils.chem`     RDKit helpers (SMILES, Morgan fingerprints, drawings)

Heavy libraries (torch, rdkit, seaborn) are imported inside the modules that need them,
so ``import utils`` stays fast and works in the NumPy-only notebook 02.
"""

from utils.config import device, epochs, is_fast, samples, seed_everything

# The course version has one home, course.toml (`make sync` writes it where it is needed).
__all__ = ["device", "epochs", "is_fast", "samples", "seed_everything"]
