#!/usr/bin/env python3
"""Draw the course's diagrams into ``img/`` (``make figures``).

Every figure is 900 px wide (9 in × 100 dpi, notebook width), labelled in German and
deterministic: the same matplotlib gives byte-identical PNGs. A notebook refers to a figure as
``![…](../img/neuron.png)`` (or ``attachment:neuron.png``); ``scripts/sync_notebooks.py`` turns
that into the pinned URL ``https://raw.githubusercontent.com/<owner>/<repo>/<ref>/img/…``,
which JupyterLab, Colab and GitHub all show (no cell attachments).

    python scripts/make_figures.py               # all figures into img/
    python scripts/make_figures.py --out /tmp/x  # somewhere else
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from matplotlib.patches import (  # noqa: E402
    Circle, FancyArrowPatch, FancyBboxPatch, Rectangle)

ROOT = Path(__file__).resolve().parent.parent
WIDTH, DPI = 9.0, 100
BLUE, ORANGE, GREEN, RED, GREY = "#2b6cb0", "#dd6b20", "#2f855a", "#c53030", "#4a5568"
LIGHT = {"blue": "#ebf4ff", "orange": "#fffaf0", "green": "#f0fff4", "grey": "#f7fafc"}

plt.rcParams.update({
    "font.family": "DejaVu Sans", "font.size": 13, "mathtext.fontset": "dejavusans",
    "axes.titlesize": 14, "axes.labelsize": 13, "svg.hashsalt": "nn-kurs",
})


def _canvas(height: float, xlim: tuple[float, float], ylim: tuple[float, float]):
    fig = plt.figure(figsize=(WIDTH, height), dpi=DPI)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig, ax


def _arrow(ax, start, end, color=GREY, width=1.6, style="-|>", shrink=0.0, **kwargs):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle=style, mutation_scale=16, color=color,
                                 linewidth=width, shrinkA=shrink, shrinkB=shrink, **kwargs))


def _box(ax, center, text, width, height, face, edge, fontsize=13):
    x, y = center
    ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height,
                                boxstyle="round,pad=0.02,rounding_size=0.12",
                                facecolor=face, edgecolor=edge, linewidth=1.8))
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize)


def neuron():
    """One artificial neuron: inputs, weights, bias, sum, activation, output."""
    fig, ax = _canvas(4.2, (0, 12), (0, 5.6))
    inputs = [(1.0, 4.3), (1.0, 2.8), (1.0, 1.3)]
    total, act, out = (5.4, 2.8), (8.1, 2.8), (10.9, 2.8)
    ax.text(1.0, 5.25, "Eingaben", ha="center", fontsize=14, color=BLUE, weight="bold")
    for i, (x, y) in enumerate(inputs, start=1):
        ax.add_patch(Circle((x, y), 0.45, facecolor=LIGHT["blue"], edgecolor=BLUE, lw=1.8))
        ax.text(x, y, f"$x_{i}$", ha="center", va="center", fontsize=15)
        _arrow(ax, (x + 0.45, y), (total[0] - 0.62, total[1] + (y - total[1]) * 0.25))
        mx, my = x + 0.45 + 1.55, y + (total[1] - y) * 0.36 + 0.22
        ax.text(mx, my, f"$w_{i}$", ha="center", va="bottom", fontsize=15, color=ORANGE)
    ax.text(2.9, 5.25, "Gewichte", ha="center", fontsize=14, color=ORANGE, weight="bold")
    # bias
    ax.text(total[0], 5.0, "Verzerrung (Bias) $b$", ha="center", fontsize=13, color=ORANGE)
    _arrow(ax, (total[0], 4.8), (total[0], total[1] + 0.62))
    # weighted sum
    ax.add_patch(Circle(total, 0.6, facecolor=LIGHT["orange"], edgecolor=ORANGE, lw=1.8))
    ax.text(*total, r"$\Sigma$", ha="center", va="center", fontsize=22)
    ax.text(total[0], 1.55, "gewichtete Summe", ha="center", fontsize=12.5)
    ax.text(total[0], 0.95, r"$z = \sum_i w_i x_i + b$", ha="center", fontsize=14)
    # activation with a small sigmoid drawn inside
    _arrow(ax, (total[0] + 0.6, total[1]), (act[0] - 0.85, act[1]))
    ax.text((total[0] + act[0]) / 2 - 0.1, total[1] + 0.12, "$z$", ha="center", va="bottom",
            fontsize=15)
    ax.add_patch(FancyBboxPatch((act[0] - 0.8, act[1] - 0.65), 1.6, 1.3,
                                boxstyle="round,pad=0.02,rounding_size=0.15",
                                facecolor=LIGHT["green"], edgecolor=GREEN, lw=1.8))
    s = np.linspace(-6, 6, 100)
    ax.plot(act[0] + s / 6 * 0.62, act[1] - 0.45 + 0.9 / (1 + np.exp(-s)), color=GREEN, lw=2.2)
    ax.plot([act[0] - 0.65, act[0] + 0.65], [act[1] - 0.45] * 2, color=GREY, lw=0.8)
    ax.text(act[0], 1.55, "Aktivierungsfunktion", ha="center", fontsize=12.5)
    ax.text(act[0], 0.95, "$f$ (z. B. Sigmoid)", ha="center", fontsize=13)
    # output
    _arrow(ax, (act[0] + 0.8, act[1]), (out[0] - 0.55, out[1]))
    ax.add_patch(Circle(out, 0.55, facecolor=LIGHT["green"], edgecolor=GREEN, lw=1.8))
    ax.text(*out, "$y$", ha="center", va="center", fontsize=17)
    ax.text(out[0], 1.55, "Ausgabe", ha="center", fontsize=12.5)
    ax.text(out[0], 0.95, "$y = f(z)$", ha="center", fontsize=14)
    return fig


def dense_network():
    """A fully connected network 4 → 5 → 5 → 3 with named layers."""
    fig, ax = _canvas(4.6, (0, 12), (-0.9, 5.3))
    sizes, xs = [4, 5, 5, 3], [1.5, 4.5, 7.5, 10.5]
    colors = [(BLUE, LIGHT["blue"]), (ORANGE, LIGHT["orange"]), (ORANGE, LIGHT["orange"]),
              (GREEN, LIGHT["green"])]
    names = ["Eingabeschicht", "Verborgene\nSchicht 1", "Verborgene\nSchicht 2", "Ausgabeschicht"]
    layers = [[(x, 2.2 + (n - 1) / 2 * 0.95 - i * 0.95) for i in range(n)]
              for x, n in zip(xs, sizes)]
    radius = 0.3
    for left, right in zip(layers, layers[1:]):
        for a in left:
            for b in right:
                ax.plot([a[0] + radius, b[0] - radius], [a[1], b[1]], color="#a0aec0", lw=0.9,
                        zorder=1)
    for number, (layer, (edge, face), name) in enumerate(zip(layers, colors, names)):
        for i, (x, y) in enumerate(layer, start=1):
            ax.add_patch(Circle((x, y), radius, facecolor=face, edgecolor=edge, lw=1.8, zorder=2))
            if number == 0:
                ax.text(x, y, f"$x_{i}$", ha="center", va="center", fontsize=13, zorder=3)
            elif number == len(layers) - 1:
                ax.text(x, y, rf"$\hat y_{i}$", ha="center", va="center", fontsize=13, zorder=3)
        ax.text(layer[0][0], -0.55, name, ha="center", va="center", fontsize=13, color=edge)
    for number, (a, b) in enumerate(zip(xs, xs[1:]), start=1):
        ax.text((a + b) / 2, 4.95, f"$W^{{({number})}}, b^{{({number})}}$", ha="center",
                fontsize=13, color=GREY)
    return fig


def gradient_descent():
    """Gradient descent on an elongated bowl: surface and contour lines with the path."""
    angle = np.deg2rad(30)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    curvature = np.diag([0.5, 3.0])
    hessian = rotation @ curvature @ rotation.T

    def loss(w):
        return 0.5 * np.einsum("...i,ij,...j->...", w, hessian, w)

    learning_rate, w = 0.55, np.array([-3.0, 1.2])
    path = [w]
    for _ in range(16):
        w = w - learning_rate * hessian @ w
        path.append(w)
    path = np.array(path)
    grid = np.linspace(-4.2, 4.2, 121)
    w1, w2 = np.meshgrid(grid, grid)
    surface = loss(np.stack([w1, w2], axis=-1))
    heights = loss(path)
    # the 3D view shows a round piece of the surface (a square's corners would dwarf the path)
    radius, theta = np.meshgrid(np.linspace(0, 3.6, 40), np.linspace(0, 2 * np.pi, 73))
    d1, d2 = radius * np.cos(theta), radius * np.sin(theta)
    disk = loss(np.stack([d1, d2], axis=-1))

    fig = plt.figure(figsize=(WIDTH, 4.3), dpi=DPI)
    ax3d = fig.add_axes((0.0, 0.0, 0.5, 0.9), projection="3d")
    ax3d.computed_zorder = False  # draw the path on top of the surface
    ax3d.plot_surface(d1, d2, disk, cmap="viridis", linewidth=0.25, edgecolor="#ffffff55",
                      antialiased=True, rcount=20, ccount=37, zorder=1)
    ax3d.plot(path[:, 0], path[:, 1], heights, color=RED, lw=2, marker="o", ms=4, zorder=5)
    ax3d.plot(0, 0, 0, "*", color="black", ms=12, zorder=6)
    ax3d.set_xticks([-3, 0, 3])
    ax3d.set_yticks([-3, 0, 3])
    ax3d.set_zticks([0, 5, 10, 15])
    ax3d.set_xlabel("Gewicht $w_1$", labelpad=2)
    ax3d.set_ylabel("Gewicht $w_2$", labelpad=2)
    ax3d.set_zlabel("Verlust $L$", labelpad=2)
    ax3d.tick_params(labelsize=10, pad=0)
    ax3d.view_init(elev=40, azim=-150)
    ax3d.set_box_aspect(None, zoom=0.88)
    fig.text(0.25, 0.93, "Verlustfläche $L(w_1, w_2)$", ha="center", fontsize=13)

    ax = fig.add_axes((0.57, 0.14, 0.4, 0.74))
    ax.contour(w1, w2, surface, levels=np.geomspace(0.05, 20, 12), cmap="viridis", linewidths=1.1)
    for a, b in zip(path[:-1], path[1:]):
        ax.annotate("", xy=b, xytext=a, arrowprops={"arrowstyle": "-|>", "color": RED, "lw": 1.6,
                                                    "shrinkA": 0, "shrinkB": 0})
    ax.plot(*path[0], "o", color=RED, ms=7)
    ax.plot(0, 0, "*", color="black", ms=14)
    ax.annotate("Start", path[0], xytext=(6, 8), textcoords="offset points", fontsize=12)
    ax.annotate("Minimum", (0, 0), xytext=(12, -5), textcoords="offset points", fontsize=12,
                va="center")
    ax.set_xlabel("Gewicht $w_1$")
    ax.set_ylabel("Gewicht $w_2$")
    ax.set_aspect("equal")
    ax.set_xlim(-4.2, 4.2)
    ax.set_ylim(-4.2, 4.2)
    ax.tick_params(labelsize=10)
    ax.set_title(r"Schritte $w \leftarrow w - \eta\,\nabla L(w)$" + f", $\\eta = {learning_rate}$",
                 fontsize=13)
    return fig


def convolution():
    """A 3×3 filter sliding over a 7×7 image; one output value computed in full."""
    image = np.array([
        [0, 0, 0, 0, 0, 0, 0],
        [0, 1, 1, 1, 1, 1, 0],
        [0, 0, 0, 0, 1, 0, 0],
        [0, 0, 0, 1, 1, 0, 0],
        [0, 0, 1, 1, 0, 0, 0],
        [0, 0, 1, 0, 0, 0, 0],
        [0, 0, 0, 0, 0, 0, 0],
    ])
    kernel = np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]])
    out = np.array([[np.sum(image[r:r + 3, c:c + 3] * kernel) for c in range(5)] for r in range(5)])
    row, col = 2, 1  # the highlighted position
    patch = image[row:row + 3, col:col + 3]

    fig = plt.figure(figsize=(WIDTH, 4.4), dpi=DPI)
    ax_in = fig.add_axes((0.02, 0.2, 0.36, 0.68))
    ax_k = fig.add_axes((0.44, 0.36, 0.16, 0.36))
    ax_out = fig.add_axes((0.70, 0.27, 0.27, 0.54))

    def grid(ax, values, cmap, vmin, vmax, title):
        ax.imshow(values, cmap=cmap, vmin=vmin, vmax=vmax)
        n_rows, n_cols = values.shape
        for r in range(n_rows):
            for c in range(n_cols):
                value = values[r, c]
                dark = (value - vmin) / (vmax - vmin) > 0.6 if cmap == "Greys" else abs(value) > 1.5
                ax.text(c, r, f"{value:d}".replace("-", "−"), ha="center", va="center", fontsize=12,
                        color="white" if dark else "black")
        ax.set_xticks(np.arange(-0.5, n_cols), minor=True)
        ax.set_yticks(np.arange(-0.5, n_rows), minor=True)
        ax.grid(which="minor", color="#718096", lw=0.8)
        ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
        ax.set_title(title, fontsize=13)

    grid(ax_in, image, "Greys", 0, 1.6, "Eingabebild (7 × 7)")
    grid(ax_k, kernel, "coolwarm", -2.5, 2.5, "Filter (3 × 3)")
    grid(ax_out, out, "coolwarm", -3.5, 3.5, "Merkmalskarte (5 × 5)")
    ax_in.add_patch(Rectangle((col - 0.5, row - 0.5), 3, 3, fill=False, ec=RED, lw=3.2))
    ax_in.add_patch(Rectangle((col + 0.5, row - 0.5), 3, 3, fill=False, ec=RED, lw=1.8, ls="--"))
    ax_k.add_patch(Rectangle((-0.5, -0.5), 3, 3, fill=False, ec=RED, lw=3.2))
    ax_out.add_patch(Rectangle((col - 0.5, row - 0.5), 1, 1, fill=False, ec=RED, lw=3.2))
    fig.text(0.41, 0.54, r"$\ast$", ha="center", va="center", fontsize=26)
    fig.text(0.65, 0.54, "=", ha="center", va="center", fontsize=26)
    terms = " + ".join(f"{p}·{k}" if k >= 0 else f"{p}·({k})"
                       for p, k in zip(patch.ravel(), kernel.ravel()))
    result = f"Rot markiert: {terms} = {out[row, col]}".replace("-", "−")
    fig.text(0.5, 0.085, result, ha="center", fontsize=11.5)
    fig.text(0.5, 0.025, "Der Filter gleitet Feld für Feld über das Bild (gestrichelt: nächste "
             "Position); jede Position ergibt einen Wert.", ha="center", fontsize=11.5, color=GREY)
    return fig


def residual_block():
    """Residual block: two convolutions F(x) plus the identity shortcut x."""
    fig, ax = _canvas(3.3, (0, 18), (0, 6.6))
    y = 2.6
    steps = [("Conv\n3 × 3", 3.2), ("Batch-\nNorm", 5.15), ("ReLU", 7.1), ("Conv\n3 × 3", 9.05),
             ("Batch-\nNorm", 11.0)]
    plus, relu_out, out = 12.95, 14.55, 16.1
    ax.text(0.7, y, "$x$", ha="center", va="center", fontsize=20)
    _arrow(ax, (1.05, y), (steps[0][1] - 0.85, y))
    for (text, x), nxt in zip(steps, [s[1] for s in steps[1:]] + [plus]):
        face, edge = (LIGHT["green"], GREEN) if text == "ReLU" else (LIGHT["blue"], BLUE)
        _box(ax, (x, y), text, 1.6, 1.5, face, edge, fontsize=12.5)
        _arrow(ax, (x + 0.8, y), (nxt - (0.45 if nxt == plus else 0.8), y))
    ax.add_patch(Circle((plus, y), 0.45, facecolor="white", edgecolor=GREY, lw=1.8))
    ax.text(plus, y, "+", ha="center", va="center", fontsize=22)
    _box(ax, (relu_out, y), "ReLU", 1.3, 1.0, LIGHT["green"], GREEN, fontsize=12.5)
    _arrow(ax, (plus + 0.45, y), (relu_out - 0.65, y))
    _arrow(ax, (relu_out + 0.65, y), (out - 0.45, y))
    ax.text(out + 0.05, y, "Ausgabe", ha="left", va="center", fontsize=12.5)
    # shortcut: from x up, along the top, down into the sum
    top = 5.3
    ax.plot([1.6, 1.6, plus], [y, top, top], color=ORANGE, lw=2.2)
    _arrow(ax, (plus, top), (plus, y + 0.45), color=ORANGE, width=2.2)
    ax.text((1.6 + plus) / 2, top + 0.2, "Abkürzung (Identität): $x$ wird unverändert addiert",
            ha="center", va="bottom", fontsize=13, color=ORANGE)
    # brace-like bracket under the residual branch
    left, right = steps[0][1] - 0.8, steps[-1][1] + 0.8
    ax.plot([left, left, right, right], [1.35, 1.1, 1.1, 1.35], color=BLUE, lw=1.6)
    ax.text((left + right) / 2, 0.75, "Residuum $F(x)$: was der Block lernt", ha="center",
            va="top", fontsize=13, color=BLUE)
    ax.text(plus, 1.55, "$F(x) + x$", ha="center", va="top", fontsize=13)
    return fig


def activation_functions():
    """Sigmoid, tanh and ReLU with their formulas."""
    z = np.linspace(-4, 4, 401)
    curves = [("Sigmoid", r"$\sigma(z) = 1\,/\,(1 + e^{-z})$", 1 / (1 + np.exp(-z))),
              ("Tangens hyperbolicus", r"$\tanh(z)$", np.tanh(z)),
              ("ReLU", r"$\mathrm{ReLU}(z) = \max(0, z)$", np.maximum(z, 0))]
    fig, axes = plt.subplots(1, 3, figsize=(WIDTH, 3.2), dpi=DPI)
    for ax, (name, formula, values) in zip(axes, curves):
        ax.axhline(0, color="#a0aec0", lw=0.8)
        ax.axvline(0, color="#a0aec0", lw=0.8)
        ax.plot(z, values, color=BLUE, lw=2.4)
        ax.set_title(name, fontsize=13)
        ax.text(0.04, 0.95, formula, transform=ax.transAxes, va="top", fontsize=12.5,
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85})
        ax.set_xlabel("$z$")
        ax.set_ylim(-1.25, 4.1 if name == "ReLU" else 1.6)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=10)
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.19, top=0.88, wspace=0.25)
    return fig


def save(fig, path: Path) -> None:
    """PNG with a 256-colour palette (a third of the size, same look for diagrams), no metadata."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, facecolor="white", metadata={"Software": None})
    image = Image.open(buffer).convert("RGB")
    image = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    image.save(path, format="png", optimize=True)


FIGURES = {
    "neuron": neuron,
    "dense_network": dense_network,
    "gradient_descent": gradient_descent,
    "convolution": convolution,
    "residual_block": residual_block,
    "activation_functions": activation_functions,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "img")
    parser.add_argument("names", nargs="*", help=f"nur diese Abbildungen ({', '.join(FIGURES)})")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(FIGURES))
    if unknown:
        parser.error(f"unbekannte Abbildung(en): {', '.join(unknown)}")
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.names or FIGURES:
        fig = FIGURES[name]()
        path = args.out / f"{name}.png"
        save(fig, path)
        plt.close(fig)
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
