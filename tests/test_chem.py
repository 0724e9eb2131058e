"""Tests of utils.chem: SMILES parsing (invalid ones skipped), Morgan fingerprints, drawings."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("rdkit")

from utils import chem  # noqa: E402

PHENOL = "c1ccccc1O"
ETHANOL = "CCO"
MADE_UP_INVALID = ["C1CC", "c1ccccc", "Xx", "C(C)(C)(C)(C)C", "", "   "]


def _rdkit_noise(text: str) -> bool:
    return any(word in text for word in ("SMILES Parse Error", "Explicit valence",
                                         "Can't kekulize", "Unclosed ring", "[RDKit]"))


def test_parse_valid_and_made_up_invalid(capfd):
    smiles = [PHENOL, *MADE_UP_INVALID, ETHANOL, None, float("nan")]
    parsed = chem.parse_smiles(smiles)
    out, err = capfd.readouterr()
    assert len(parsed) == 2
    assert parsed.valid.tolist() == [True] + [False] * len(MADE_UP_INVALID) + [True, False, False]
    assert [i for i, _ in parsed.invalid] == [1, 2, 3, 4, 5, 6, 8, 9]
    assert "8 von 10 SMILES konnte RDKit nicht lesen" in out
    assert "übersprungen" in out
    assert not _rdkit_noise(out) and not _rdkit_noise(err), err


def test_parse_quiet_and_single_string(capfd):
    parsed = chem.parse_smiles("C1CC", verbose=False)
    out, err = capfd.readouterr()
    assert len(parsed) == 0 and parsed.invalid == [(0, "C1CC")]
    assert out == "" and not _rdkit_noise(err)
    assert len(chem.parse_smiles(PHENOL)) == 1


def test_invalid_smiles_of_the_real_tox21_table(capfd):
    from utils.data import load_tox21

    table = load_tox21()
    fingerprints, valid = chem.get_fingerprints(table["smiles"])
    out, err = capfd.readouterr()
    # RDKit rejects some aluminium compounds (hypervalent [AlH3]) of the MoleculeNet table.
    n_invalid = int((~valid).sum())
    assert 0 < n_invalid < 50
    assert fingerprints.shape == (len(table) - n_invalid, 2048)
    assert f"{n_invalid} von {len(table)} SMILES" in out
    assert "[AlH3]" in out
    assert not _rdkit_noise(err)
    labels = table["SR-MMP"].to_numpy()[valid]
    assert len(labels) == len(fingerprints)


def test_fingerprints_shape_dtype_and_values():
    fingerprints, valid = chem.get_fingerprints([PHENOL, ETHANOL], radius=2, n_bits=1024)
    assert fingerprints.shape == (2, 1024) and fingerprints.dtype == np.uint8
    assert valid.all()
    assert set(np.unique(fingerprints)) <= {0, 1}
    assert fingerprints[0].sum() > fingerprints[1].sum() > 0  # phenol has more environments
    wide, _ = chem.get_fingerprints([PHENOL], radius=3, n_bits=4096)
    assert wide.shape == (1, 4096)


def test_fingerprints_match_rdkit_generator_and_counts():
    from rdkit import Chem
    from rdkit.Chem import rdFingerprintGenerator

    generator = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    expected = generator.GetFingerprintAsNumPy(Chem.MolFromSmiles(PHENOL))
    bits, _ = chem.get_fingerprints([PHENOL])
    np.testing.assert_array_equal(bits[0], expected)
    counts, _ = chem.get_fingerprints(["CCCCCCCC"], counts=True)
    assert counts.dtype == np.uint8 and counts.max() > 1
    # molecules instead of SMILES give the same result
    mol_bits, valid = chem.get_fingerprints([Chem.MolFromSmiles(PHENOL)])
    np.testing.assert_array_equal(mol_bits, bits)
    assert valid.all()


def test_fingerprints_skip_invalid_and_keep_alignment():
    fingerprints, valid = chem.get_fingerprints([PHENOL, "C1CC", ETHANOL], verbose=False)
    assert fingerprints.shape == (2, 2048)
    assert valid.tolist() == [True, False, True]
    only_ethanol, _ = chem.get_fingerprints([ETHANOL])
    np.testing.assert_array_equal(fingerprints[1], only_ethanol[0])


def test_fingerprints_of_nothing_valid_and_bad_parameters():
    fingerprints, valid = chem.get_fingerprints(["C1CC"], verbose=False)
    assert fingerprints.shape == (0, 2048) and not valid.any()
    with pytest.raises(ValueError):
        chem.get_fingerprints([PHENOL], n_bits=0)


def test_canonical_smiles_finds_duplicates():
    result = chem.canonical_smiles(["OCC", ETHANOL, "C1CC"], verbose=False)
    assert result[0] == result[1] == "CCO"
    assert result[2] is None


def test_morgan_bit_info_consistent_with_fingerprint():
    from rdkit import Chem

    info = chem.morgan_bit_info(Chem.MolFromSmiles(PHENOL))
    bits, _ = chem.get_fingerprints([PHENOL])
    assert sorted(info) == np.flatnonzero(bits[0]).tolist()
    atom, radius = next(iter(info.values()))[0]
    assert 0 <= atom < 7 and 0 <= radius <= 2


def test_draw_molecules_with_labels_and_invalid(capfd):
    fig = chem.draw_molecules([PHENOL, "C1CC", ETHANOL], [1, 0, 0], legends=["a", "b", "c"],
                              ncols=2)
    out, err = capfd.readouterr()
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["aktiv\na", "inaktiv\nc"]
    assert "1 von 3 SMILES" in out and not _rdkit_noise(err)
    red = [ax.title.get_color() for ax in fig.axes if ax.get_title().startswith("aktiv")]
    assert red == ["crimson"]
    plt.close(fig)


def test_draw_morgan_bits():
    bits, _ = chem.get_fingerprints([PHENOL])
    chosen = np.flatnonzero(bits[0])[:2].tolist()
    unused = int(np.flatnonzero(bits[0] == 0)[0])
    fig = chem.draw_morgan_bits([ETHANOL, PHENOL], [*chosen, unused], titles=["x", "y", "z"])
    axes = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in axes] == ["x", "y", "z\n(in keinem Molekül gesetzt)"]
    assert len(axes[0].images) == 1 and len(axes[2].images) == 0
    assert axes[0].images[0].get_array().shape[2] == 3
    plt.close(fig)


def test_png_to_array_accepts_bytes_and_pil_images():
    from PIL import Image

    image = Image.new("RGBA", (4, 3), (255, 0, 0, 255))
    buffer = __import__("io").BytesIO()
    image.save(buffer, format="PNG")
    from_bytes = chem._png_to_array(buffer.getvalue())
    from_image = chem._png_to_array(image)  # what RDKit returns inside Jupyter
    assert from_bytes.shape == from_image.shape == (3, 4, 3)
    np.testing.assert_array_equal(from_bytes, from_image)


def test_descriptors_values_names_and_alignment(capfd):
    from rdkit import Chem
    from rdkit.Chem import Descriptors

    names = chem.descriptor_names()
    assert names[:len(chem.NAMED_DESCRIPTORS)] == list(chem.NAMED_DESCRIPTORS)
    assert len(names) == len(set(names)) > 60
    assert "Ipc" not in names and any(n.startswith("PEOE_VSA") for n in names)
    values, valid = chem.get_descriptors([PHENOL, "C1CC", ETHANOL])
    assert values.shape == (2, len(names)) and values.dtype == np.float64
    assert valid.tolist() == [True, False, True]
    assert "1 von 3 SMILES" in capfd.readouterr().out
    for row, smiles in zip(values, [PHENOL, ETHANOL]):
        mol = Chem.MolFromSmiles(smiles)
        assert row[names.index("MolLogP")] == pytest.approx(Descriptors.MolLogP(mol))
        assert row[names.index("TPSA")] == pytest.approx(20.23)  # one OH group in both
    assert values[0, names.index("fr_phenol")] == 1 and values[1, names.index("fr_phenol")] == 0


def test_descriptors_chosen_names_molecules_and_unknown_name():
    from rdkit import Chem

    mols = [Chem.MolFromSmiles(s) for s in (PHENOL, ETHANOL)]
    values, valid = chem.get_descriptors(mols, names=["MolWt", "NumHDonors"])
    assert values.shape == (2, 2) and valid.all()
    assert values[:, 1].tolist() == [1, 1]
    assert values[1, 0] == pytest.approx(46.07, abs=0.01)
    with pytest.raises(ValueError, match="Unbekannte RDKit-Deskriptoren: Unsinn"):
        chem.get_descriptors([ETHANOL], names=["MolWt", "Unsinn"])


def test_descriptors_not_computable_are_nan_not_a_crash():
    # RDKit has no Gasteiger parameters for mercury: the partial charges come back as NaN
    values, valid = chem.get_descriptors(["C[Hg]Cl", ETHANOL])
    names = chem.descriptor_names()
    missing = [names[j] for j in np.flatnonzero(np.isnan(values[0]))]
    assert valid.all() and missing == ["MaxPartialCharge", "MinPartialCharge"]
    assert not np.isnan(values[1]).any()
    assert np.isfinite(values[0, names.index("MolLogP")])


def test_murcko_scaffolds():
    scaffolds = chem.murcko_scaffolds(["CC(=O)Nc1ccc(O)cc1", "Oc1ccccc1", "CCO", "C1CC",
                                       "C[C@H](N)c1ccccc1"], verbose=False)
    assert scaffolds == ["c1ccccc1", "c1ccccc1", "", None, "c1ccccc1"]


def test_scaffold_split_keeps_scaffolds_together_and_is_deterministic():
    smiles = (["c1ccccc1" + tail for tail in ("C", "O", "N", "CC", "CO", "Cl", "Br", "F")]
              + ["C1CCCCC1" + tail for tail in ("C", "O", "N")]
              + ["c1ccncc1C", "c1ccncc1O", "C1CCOC1", "c1ccc2ccccc2c1", "CCO", "CCCN",
                 "not a smiles"])
    train, val, test = chem.scaffold_split(smiles, (0.6, 0.2, 0.2), verbose=False)
    again = chem.scaffold_split(smiles, (0.6, 0.2, 0.2), verbose=False)
    assert all(np.array_equal(a, b) for a, b in zip((train, val, test), again))
    everything = np.concatenate([train, val, test])
    assert sorted(everything) == list(range(len(smiles) - 1))  # the unreadable one is left out
    scaffolds = chem.murcko_scaffolds(smiles, verbose=False)
    part_of = {}
    for name, part in [("train", train), ("val", val), ("test", test)]:
        for i in part:
            assert part_of.setdefault(scaffolds[i], name) == name  # one scaffold, one part
    assert set(train) >= set(range(8))  # the largest scaffold group goes to training
    assert len(train) <= 0.6 * 18 and len(train) + len(val) <= 0.8 * 18


def test_scaffold_split_rejects_bad_fractions():
    with pytest.raises(ValueError):
        chem.scaffold_split(["CCO"], (0.7, 0.2, 0.2))
    with pytest.raises(ValueError):
        chem.scaffold_split(["CCO"], (0.8, 0.2))


def test_masked_bce_with_logits_ignores_missing_labels():
    torch = pytest.importorskip("torch")
    logits = torch.tensor([[2.0, -1.0, 0.5], [0.0, 3.0, -2.0]], requires_grad=True)
    targets = torch.tensor([[1.0, float("nan"), 0.0], [float("nan"), 1.0, 1.0]])
    loss = chem.masked_bce_with_logits(logits, targets)
    measured = ~torch.isnan(targets)
    expected = torch.nn.functional.binary_cross_entropy_with_logits(logits[measured],
                                                                     targets[measured])
    assert torch.isclose(loss, expected)
    loss.backward()
    assert torch.isfinite(logits.grad).all()
    assert (logits.grad[~measured] == 0).all() and (logits.grad[measured] != 0).all()
    full = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]])
    assert torch.isclose(chem.masked_bce_with_logits(logits, full),
                         torch.nn.functional.binary_cross_entropy_with_logits(logits, full))
