"""RDKit helpers: SMILES → molecules → Morgan fingerprints, and drawings of both.

- :func:`parse_smiles`: SMILES → RDKit molecules; invalid entries are counted, reported in
  German and skipped (never a crash, RDKit's own error log stays quiet)
- :func:`canonical_smiles`: one spelling per molecule (to find duplicates)
- :func:`get_fingerprints`: Morgan fingerprints (bits or counts) with ``rdFingerprintGenerator``
- :func:`get_descriptors`: physico-chemical descriptors (logP, polar surface, charges, …)
- :func:`murcko_scaffolds`: the Bemis–Murcko scaffold (ring systems + linkers) of each molecule
- :func:`scaffold_split`: training/validation/test split that keeps each scaffold in one part
- :func:`morgan_bit_info`: which atom environments set which bit of a molecule
- :func:`draw_molecules`: molecules in a grid with their labels (e.g. aktiv / inaktiv)
- :func:`draw_morgan_bits`: the substructure behind chosen fingerprint bits (``DrawMorganBit``)
- :func:`masked_bce_with_logits`: loss for a table of assays with missing labels (``NaN``)

The deprecated ``AllChem.GetMorganFingerprintAsBitVect`` is not used: RDKit recommends the
fingerprint generators, which also give NumPy arrays directly.

Verwendet in Notebook 06.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field

import numpy as np

#: Default labels for binary activity (0 → inaktiv, 1 → aktiv).
ACTIVITY_NAMES = ("inaktiv", "aktiv")


@dataclass
class ParsedSmiles:
    """Result of :func:`parse_smiles`.

    ``mols`` holds the valid molecules only; ``valid`` is a boolean mask over the input
    (use it to select the matching labels: ``y[parsed.valid]``); ``invalid`` lists
    ``(position, text)`` of every entry RDKit could not read.
    """

    mols: list
    valid: np.ndarray
    invalid: list[tuple[int, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.mols)


def _as_list(smiles) -> list:
    if isinstance(smiles, str):
        return [smiles]
    return list(smiles)


def parse_smiles(smiles, *, verbose: bool = True, show: int = 3) -> ParsedSmiles:
    """Parse SMILES strings with RDKit; invalid ones are counted, reported and skipped.

    ``smiles`` may be a list, a NumPy array or a pandas Series. Entries that are not
    strings (``None``, ``NaN``), empty, or rejected by RDKit count as invalid. With
    ``verbose`` a German note says how many were skipped and shows the first ``show``.
    RDKit's own error messages are blocked, so the output stays readable.
    """
    from rdkit import Chem, rdBase

    items = _as_list(smiles)
    mols, valid, invalid = [], np.zeros(len(items), dtype=bool), []
    with rdBase.BlockLogs():
        for i, text in enumerate(items):
            mol = None
            if isinstance(text, str) and text.strip():
                try:
                    mol = Chem.MolFromSmiles(text)
                except Exception:  # noqa: BLE001 - any RDKit failure means: invalid
                    mol = None
            if mol is None:
                invalid.append((i, str(text)))
            else:
                mols.append(mol)
                valid[i] = True
    if verbose and invalid:
        examples = ", ".join(f"Nr. {i}: {text}" for i, text in invalid[:show])
        more = " …" if len(invalid) > show else ""
        print(f"Hinweis: {len(invalid)} von {len(items)} SMILES konnte RDKit nicht lesen; "
              f"sie werden übersprungen ({examples}{more}).")
    return ParsedSmiles(mols, valid, invalid)


def canonical_smiles(smiles, *, verbose: bool = True) -> list[str | None]:
    """RDKit's canonical SMILES of every entry (``None`` where it cannot be read).

    The same molecule written in two ways gets the same canonical SMILES, so duplicates in a
    table can be found with it (e.g. ``pandas.Series.duplicated``).
    """
    from rdkit import Chem

    parsed = parse_smiles(smiles, verbose=verbose)
    result: list[str | None] = [None] * len(parsed.valid)
    for position, mol in zip(np.flatnonzero(parsed.valid), parsed.mols):
        result[position] = Chem.MolToSmiles(mol)
    return result


def _molecules(smiles, verbose: bool) -> tuple[list, np.ndarray]:
    """RDKit molecules and the mask of readable entries; molecules are passed through as they are."""
    from rdkit import Chem

    items = _as_list(smiles)
    if items and all(isinstance(m, Chem.Mol) for m in items):
        return items, np.ones(len(items), dtype=bool)
    parsed = parse_smiles(items, verbose=verbose)
    return parsed.mols, parsed.valid


def _generator(radius: int, n_bits: int):
    from rdkit.Chem import rdFingerprintGenerator

    if int(radius) < 0 or int(n_bits) < 1:
        raise ValueError("radius muss ≥ 0 und n_bits ≥ 1 sein.")
    return rdFingerprintGenerator.GetMorganGenerator(radius=int(radius), fpSize=int(n_bits))


def get_fingerprints(smiles, radius: int = 2, n_bits: int = 2048, *, counts: bool = False,
                     verbose: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Morgan fingerprints of SMILES strings (or RDKit molecules).

    Returns ``(fingerprints, valid)``: a ``uint8`` array of shape ``(n_valid, n_bits)`` and
    the boolean mask of the input entries that could be read (see :func:`parse_smiles`);
    select the labels with ``y[valid]``. With ``counts=True`` each entry says how often a
    substructure occurs (capped at 255) instead of only whether it occurs (0/1).
    """
    mols, valid = _molecules(smiles, verbose)
    generator = _generator(radius, n_bits)
    fingerprints = np.zeros((len(mols), int(n_bits)), dtype=np.uint8)
    for i, mol in enumerate(mols):
        if counts:
            fingerprints[i] = np.minimum(generator.GetCountFingerprintAsNumPy(mol), 255)
        else:
            fingerprints[i] = generator.GetFingerprintAsNumPy(mol)
    return fingerprints, valid


#: Default descriptors of :func:`get_descriptors`: 24 named properties of the whole molecule and
#: RDKit's surface-area families (``PEOE_VSA*``, ``SMR_VSA*``, ``SlogP_VSA*``, ``EState_VSA*``,
#: ``VSA_EState*``: the surface of the atoms whose partial charge, refractivity, logP contribution
#: or E-state lies in a given range). Slow or numerically unstable ones (``Ipc``, ``AvgIpc``,
#: ``qed``, ``SPS``) are left out, so 7 800 molecules take well under a minute.
NAMED_DESCRIPTORS = (
    "MolLogP", "MolMR", "MolWt", "TPSA", "LabuteASA", "HeavyAtomCount", "NumHDonors",
    "NumHAcceptors", "NumRotatableBonds", "RingCount", "NumAromaticRings", "NumAliphaticRings",
    "FractionCSP3", "NumHeteroatoms", "MaxPartialCharge", "MinPartialCharge", "BertzCT",
    "fr_COO", "fr_phenol", "fr_halogen", "fr_nitro", "fr_quatN", "fr_NH2", "fr_ArN",
)
_VSA_FAMILIES = ("PEOE_VSA", "SMR_VSA", "SlogP_VSA", "EState_VSA", "VSA_EState")


def descriptor_names() -> list[str]:
    """Names of the default descriptors: :data:`NAMED_DESCRIPTORS`, then the VSA families."""
    from rdkit.Chem import Descriptors

    vsa = [name for name, _ in Descriptors.descList if name.startswith(_VSA_FAMILIES)]
    return list(NAMED_DESCRIPTORS) + vsa


def get_descriptors(smiles, names=None, *, verbose: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Physico-chemical descriptors of SMILES strings (or RDKit molecules).

    Returns ``(descriptors, valid)`` like :func:`get_fingerprints`: a ``float64`` array of shape
    ``(n_valid, len(names))`` and the mask of readable entries. ``names`` are names from RDKit's
    ``Descriptors.descList`` (default: :func:`descriptor_names`). A value RDKit cannot compute
    (e.g. Gasteiger charges of an unusual atom) is ``NaN``; fill it before training.
    """
    from rdkit import rdBase
    from rdkit.Chem import Descriptors

    functions = dict(Descriptors.descList)
    names = descriptor_names() if names is None else list(names)
    unknown = [name for name in names if name not in functions]
    if unknown:
        raise ValueError(f"Unbekannte RDKit-Deskriptoren: {', '.join(unknown)}")
    mols, valid = _molecules(smiles, verbose)
    values = np.full((len(mols), len(names)), np.nan)
    with rdBase.BlockLogs():
        for i, mol in enumerate(mols):
            for j, name in enumerate(names):
                try:
                    values[i, j] = functions[name](mol)
                except Exception:  # noqa: BLE001 - a descriptor RDKit cannot compute stays NaN
                    pass
    values[~np.isfinite(values)] = np.nan
    return values, valid


def murcko_scaffolds(smiles, *, verbose: bool = True) -> list[str | None]:
    """Bemis–Murcko scaffold of every entry as canonical SMILES (``None`` where unreadable).

    The scaffold keeps the ring systems and the chains that link them and drops all side
    chains (G. W. Bemis, M. A. Murcko, J. Med. Chem. 39 (1996) 2887). Stereo information is
    dropped, so both enantiomers share one scaffold. Molecules without a ring get ``""``.
    """
    from rdkit.Chem.Scaffolds import MurckoScaffold

    parsed = parse_smiles(smiles, verbose=verbose)
    result: list[str | None] = [None] * len(parsed.valid)
    for position, mol in zip(np.flatnonzero(parsed.valid), parsed.mols):
        result[position] = MurckoScaffold.MurckoScaffoldSmiles(mol=mol, includeChirality=False)
    return result


def scaffold_split(smiles, fractions=(0.7, 0.1, 0.2), *, verbose: bool = True
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices ``(train, val, test)`` such that all molecules of one scaffold share a part.

    The molecules are grouped by :func:`murcko_scaffolds`; the groups go, largest first (ties:
    the group whose first molecule comes first), into the training part until it would exceed
    its share, then into validation, the rest into test – the deterministic scaffold split of
    MoleculeNet/DeepChem. Test (and validation) thus hold rare scaffolds the model has never
    seen, which is harder and closer to predicting new chemistry than a random split.
    Molecules without a ring share the scaffold ``""``; unreadable entries are left out.
    """
    fractions = tuple(float(f) for f in fractions)
    if len(fractions) != 3 or min(fractions) < 0 or not math.isclose(sum(fractions), 1.0):
        raise ValueError("fractions sind drei Anteile (Training, Validierung, Test) mit Summe 1.")
    scaffolds = murcko_scaffolds(smiles, verbose=verbose)
    groups: dict[str, list[int]] = {}
    for position, scaffold in enumerate(scaffolds):
        if scaffold is not None:
            groups.setdefault(scaffold, []).append(position)
    ordered = sorted(groups.values(), key=lambda members: (-len(members), members[0]))
    n = sum(len(members) for members in ordered)
    train_cut, val_cut = fractions[0] * n, (fractions[0] + fractions[1]) * n
    parts: tuple[list[int], list[int], list[int]] = ([], [], [])
    for members in ordered:
        if len(parts[0]) + len(members) <= train_cut:
            parts[0].extend(members)
        elif len(parts[0]) + len(parts[1]) + len(members) <= val_cut:
            parts[1].extend(members)
        else:
            parts[2].extend(members)
    return tuple(np.array(sorted(part), dtype=np.int64) for part in parts)


def morgan_bit_info(mol, radius: int = 2, n_bits: int = 2048) -> dict[int, tuple]:
    """Bit → ``((atom index, radius), …)``: the atom environments that set each bit of ``mol``."""
    from rdkit.Chem import rdFingerprintGenerator

    additional = rdFingerprintGenerator.AdditionalOutput()
    additional.AllocateBitInfoMap()
    _generator(radius, n_bits).GetFingerprint(mol, additionalOutput=additional)
    return dict(additional.GetBitInfoMap())


def _png_to_array(png) -> np.ndarray:
    """A PNG drawing as RGB array: raw bytes, or a PIL image (RDKit returns one inside Jupyter,
    where ``rdkit.Chem.Draw.IPythonConsole`` wraps the drawing functions)."""
    from PIL import Image

    image = png if isinstance(png, Image.Image) else Image.open(io.BytesIO(png))
    return np.asarray(image.convert("RGB"))


def _grid(n: int, ncols: int, size: float):
    import matplotlib.pyplot as plt

    ncols = max(1, min(ncols, n))
    nrows = max(1, math.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.4),
                             squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    return fig, axes


def draw_molecules(smiles, labels=None, *, names=ACTIVITY_NAMES, legends=None, ncols: int = 5,
                   size: float = 2.2, pixels: int = 250, title: str | None = None):
    """Molecules in a grid with their labels; returns the matplotlib ``Figure``.

    ``labels`` (0/1) are shown as ``names`` (default "inaktiv"/"aktiv"), actives in red;
    ``legends`` are extra texts per molecule (e.g. the compound ID). Invalid SMILES are
    reported and left out.
    """
    from rdkit.Chem import Draw

    items = _as_list(smiles)
    parsed = parse_smiles(items)
    positions = np.flatnonzero(parsed.valid)
    fig, axes = _grid(len(parsed.mols), ncols, size)
    for ax, mol, pos in zip(axes.flat, parsed.mols, positions):
        ax.imshow(Draw.MolToImage(mol, size=(pixels, pixels)))
        parts, color = [], "black"
        if labels is not None:
            label = int(_as_list(labels)[pos])
            parts.append(names[label] if names is not None else str(label))
            color = "crimson" if label == 1 else "black"
        if legends is not None:
            parts.append(str(_as_list(legends)[pos]))
        if parts:
            ax.set_title("\n".join(parts), fontsize=8, color=color)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def draw_morgan_bits(smiles, bits, *, radius: int = 2, n_bits: int = 2048, titles=None,
                     ncols: int = 4, size: float = 2.6, pixels: int = 250,
                     title: str | None = None):
    """The substructure behind each of ``bits``, drawn with RDKit's ``DrawMorganBit``.

    For every bit the first molecule in ``smiles`` that sets it is used; the central atom is
    blue, aromatic atoms yellow, the rest of the environment grey. ``titles`` are optional
    texts per bit (e.g. an importance). Returns the matplotlib ``Figure``.
    """
    from rdkit.Chem import Draw

    bits = [int(b) for b in _as_list(bits)]
    parsed = parse_smiles(_as_list(smiles))
    infos = [morgan_bit_info(mol, radius, n_bits) for mol in parsed.mols]
    fig, axes = _grid(len(bits), ncols, size)
    for k, (ax, bit) in enumerate(zip(axes.flat, bits)):
        text = titles[k] if titles is not None else f"Bit {bit}"
        found = next(((mol, info) for mol, info in zip(parsed.mols, infos) if bit in info), None)
        if found is None:
            ax.set_title(f"{text}\n(in keinem Molekül gesetzt)", fontsize=8)
            continue
        mol, info = found
        png = Draw.DrawMorganBit(mol, bit, info, useSVG=False, molSize=(pixels, pixels))
        ax.imshow(_png_to_array(png))
        ax.set_title(text, fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def masked_bce_with_logits(logits, targets):
    """Mean binary cross-entropy over the *measured* entries of a label table (PyTorch).

    ``targets`` has the shape of ``logits`` (e.g. molecules × assays) and holds ``NaN`` where
    an assay was not measured. Those entries count neither in the value nor in the gradients:
    the targets are filled before the loss is computed (``NaN · 0`` would still be ``NaN``).
    Returns a scalar tensor (``NaN`` if nothing is measured).

    Verwendet in Notebook 06 (Multitask-Netz auf allen zwölf Tox21-Tests).
    """
    import torch
    from torch import nn

    measured = ~torch.isnan(targets)
    losses = nn.functional.binary_cross_entropy_with_logits(
        logits, torch.where(measured, targets, torch.zeros_like(targets)), reduction="none")
    return (losses * measured).sum() / measured.sum()
