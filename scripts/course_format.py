"""The notebook format of nn-kurs: solution markers, placeholders, reading and writing notebooks.

One module for every tool that reads markers or writes generated notebooks
(``make_exercises.py``, ``make_dist.py``, ``check_bundle.py``, ``sync_notebooks.py``,
``run_notebook.py``). It ships in the student bundle and needs nothing but ``nbformat``.

Markers (after nbgrader), each alone on its line:

- code cells: the comment lines ``### BEGIN SOLUTION`` and ``### END SOLUTION``, indented like
  the code they enclose;
- markdown cells: ``<!-- BEGIN SOLUTION -->`` and ``<!-- END SOLUTION -->`` (the code form is
  accepted there too).

A line that looks like a marker but is not exactly one (``## BEGIN SOLUTION``,
``### Begin Solution``, ``<!-- BEGIN SOLUTION ->``, ``### END SOLUTION # fertig``,
``### BEGIN SOLUTIONS`` …) is an error: it would otherwise let the solution through into the
exercise notebook.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

#: Exact markers (trailing blanks are harmless and allowed).
CODE_BEGIN = re.compile(r"^(?P<indent>[ \t]*)### BEGIN SOLUTION[ \t]*$")
CODE_END = re.compile(r"^(?P<indent>[ \t]*)### END SOLUTION[ \t]*$")
MD_BEGIN = re.compile(r"^[ \t]*(?:<!--[ \t]*BEGIN SOLUTION[ \t]*-->|### BEGIN SOLUTION)[ \t]*$")
MD_END = re.compile(r"^[ \t]*(?:<!--[ \t]*END SOLUTION[ \t]*-->|### END SOLUTION)[ \t]*$")

#: Anything that resembles a marker anywhere in a notebook line: a comment or HTML comment
#: opener followed by BEGIN/END and SOLUTION in any case, spacing or plural.
_WORDS = r"(?:BEGIN|END)[\s_-]*SOLUTIONS?\b"
MARKER_LIKE = re.compile(r"(?:#|<!-*|-->)\s*" + _WORDS + r"|^\s*" + _WORDS, re.IGNORECASE)
#: The same, but only at the start of a line: for text files (README, Python modules), which
#: may mention the markers inline in prose (``write `### BEGIN SOLUTION` on its own line``).
MARKER_LIKE_LINE = re.compile(r"^\s*(?:#+|<!-*|//)?\s*" + _WORDS, re.IGNORECASE)

CODE_MARKERS_TEXT = "»### BEGIN SOLUTION« / »### END SOLUTION«"
MD_MARKERS_TEXT = "»<!-- BEGIN SOLUTION -->« / »<!-- END SOLUTION -->«"

#: What an open code exercise holds instead of the solution.
CODE_PLACEHOLDER_COMMENT = "# IHR CODE HIER"
NOT_IMPLEMENTED_MESSAGE = "Aufgabe noch offen: Ersetzen Sie diese Zeile durch Ihre Lösung."
CODE_PLACEHOLDER = (CODE_PLACEHOLDER_COMMENT,
                    f'raise NotImplementedError("{NOT_IMPLEMENTED_MESSAGE}")')
#: What an open markdown answer holds.
MD_PLACEHOLDER = "*IHRE ANTWORT HIER*"
#: Substring that identifies an exercise cell (a code cell holding the placeholder).
PLACEHOLDER_MARK = "raise NotImplementedError("
#: A generated ``NAME = None`` line of a top-level exercise (see :func:`strip_regions`).
NONE_PLACEHOLDER = re.compile(r"^[ \t]*[A-Za-z_][A-Za-z0-9_]* = None[ \t]*$")

#: Cell tag: this cell needs the student's own solution and may fail while it is open.
NEEDS_SOLUTION_TAG = "braucht-loesung"
#: Notebook metadata that marks a notebook as written by ``make_exercises.py``.
GENERATED_KEY = "nn-kurs"

_MAGIC = re.compile(r"^(\s*)[%!]")


class MarkerError(ValueError):
    """A solution marker is unclosed, nested, stray or misspelt (message in German)."""


class NotebookError(ValueError):
    """A file is not a readable notebook (message in German, one line, names the file)."""


# --- reading and writing ---------------------------------------------------------------------

def reads_notebook(text: str, where: str) -> nbformat.NotebookNode:
    """Parse notebook ``text``; :class:`NotebookError` naming ``where`` if it is no notebook."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookError(
            f"{where}: kein gültiges Notebook – JSON-Fehler in Zeile {exc.lineno}, Spalte "
            f"{exc.colno} ({exc.msg}). Von Hand bearbeitet oder beim Zusammenführen (git merge) "
            "beschädigt? Stellen Sie die Datei wieder her (z. B. `git checkout -- <Datei>`)."
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list) \
            or not isinstance(data.get("nbformat"), int):
        raise NotebookError(f"{where}: kein Jupyter-Notebook (es fehlen »cells« oder "
                            "»nbformat«). Stellen Sie die Datei wieder her.")
    try:
        return nbformat.reads(text, as_version=4)
    except Exception as exc:  # noqa: BLE001 - nbformat raises many kinds; all mean "broken"
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise NotebookError(f"{where}: kein gültiges Notebook ({first}). Stellen Sie die "
                            "Datei wieder her.") from None


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """Read the notebook at ``path``; :class:`NotebookError` (German, names the file) if broken."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise NotebookError(f"{path}: kein gültiges Notebook (keine UTF-8-Textdatei).") from None
    return reads_notebook(text, str(path))


def render(nb: nbformat.NotebookNode) -> str:
    """The text of a generated notebook exactly as written to disk (deterministic)."""
    return nbformat.writes(nb, version=4) + "\n"


# --- cells -----------------------------------------------------------------------------------

def tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def is_exercise_cell(cell) -> bool:
    """A code cell that holds an exercise placeholder (it raises ``NotImplementedError``)."""
    return cell.get("cell_type") == "code" and PLACEHOLDER_MARK in cell.get("source", "")


def needs_solution(cell) -> bool:
    """A cell tagged :data:`NEEDS_SOLUTION_TAG`: it needs the student's own code to run."""
    return NEEDS_SOLUTION_TAG in tags(cell)


def may_fail_while_open(cell) -> bool:
    """Whether a cell of an exercise notebook may raise while the exercises are open."""
    return is_exercise_cell(cell) or needs_solution(cell)


# --- markers ---------------------------------------------------------------------------------

def marker_kind(line: str, *, markdown: bool) -> str | None:
    """``"begin"``, ``"end"`` or ``None`` for one line of a code or markdown cell.

    Raises :class:`MarkerError` (without location; callers add it) for a near-miss: a line
    that resembles a marker but is not exactly one.
    """
    begin, end = (MD_BEGIN, MD_END) if markdown else (CODE_BEGIN, CODE_END)
    if begin.match(line):
        return "begin"
    if end.match(line):
        return "end"
    if MARKER_LIKE.search(line):
        expected = MD_MARKERS_TEXT if markdown else CODE_MARKERS_TEXT
        raise MarkerError(f"»{line.strip()}« sieht aus wie eine Lösungsmarkierung, ist aber "
                          f"keine. Schreiben Sie genau {expected} allein in die Zeile "
                          "(ohne Kommentar dahinter).")
    return None


@dataclass(frozen=True)
class Region:
    """A solution region: 1-based line numbers of its BEGIN and END marker."""

    begin: int
    end: int
    indent: str


def find_regions(source: str, *, markdown: bool, where: str) -> list[Region]:
    """Every solution region of one cell; :class:`MarkerError` naming ``where`` and the line."""
    regions = []
    open_at: tuple[int, str] | None = None
    for number, line in enumerate(source.splitlines(), start=1):
        try:
            kind = marker_kind(line, markdown=markdown)
        except MarkerError as exc:
            raise MarkerError(f"{where}, Zeile {number}: {exc}") from None
        if kind == "begin":
            if open_at is not None:
                raise MarkerError(f"{where}, Zeile {number}: BEGIN SOLUTION innerhalb einer "
                                  f"Lösung (geöffnet in Zeile {open_at[0]}).")
            indent = "" if markdown else CODE_BEGIN.match(line)["indent"]
            open_at = (number, indent)
        elif kind == "end":
            if open_at is None:
                raise MarkerError(f"{where}, Zeile {number}: END SOLUTION ohne BEGIN SOLUTION.")
            regions.append(Region(open_at[0], number, open_at[1]))
            open_at = None
    if open_at is not None:
        raise MarkerError(f"{where}: BEGIN SOLUTION in Zeile {open_at[0]} wird nie geschlossen.")
    return regions


def check_no_markers(source: str, *, where: str) -> None:
    """:class:`MarkerError` if a cell that cannot hold a region (raw cell) has a marker line."""
    for number, line in enumerate(source.splitlines(), start=1):
        if MARKER_LIKE.search(line):
            raise MarkerError(f"{where}, Zeile {number}: Lösungsmarkierung »{line.strip()}« "
                              "in einer Zelle, die keine Lösung enthalten kann (nur Code- "
                              "und Markdown-Zellen).")


def split_lines(source: str, *, markdown: bool, where: str) -> tuple[list[str], list[str]]:
    """``(outside, inside)`` lines of a cell: outside the regions (markers dropped) and inside."""
    regions = find_regions(source, markdown=markdown, where=where)
    inside_numbers = {n for r in regions for n in range(r.begin + 1, r.end)}
    markers = {n for r in regions for n in (r.begin, r.end)}
    outside, inside = [], []
    for number, line in enumerate(source.splitlines(), start=1):
        if number in inside_numbers:
            inside.append(line)
        elif number not in markers:
            outside.append(line)
    return outside, inside


# --- placeholders ----------------------------------------------------------------------------

def python_source(source: str) -> str:
    """Cell source with IPython ``%``/``!`` lines made harmless for :mod:`ast`."""
    return "\n".join(_MAGIC.sub(r"\1pass  # ", line) for line in source.splitlines())


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def _target_names(target: ast.AST) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [name for element in target.elts for name in _target_names(element)]
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    return []  # attribute or subscript: binds no name


def _walrus_names(node: ast.AST) -> list[str]:
    names = []
    for child in ast.iter_child_nodes(node):
        if isinstance(child, _SCOPES) or isinstance(child, ast.stmt):
            continue
        if isinstance(child, ast.NamedExpr):
            names += _target_names(child.target)
        names += _walrus_names(child)
    return names


def bound_names(statements: list[ast.stmt], imported: frozenset[str] = frozenset()) -> list[str]:
    """Names the statements bind in their own scope, in order of first appearance.

    Assignments (with tuple unpacking), augmented and annotated assignments, ``def``/``class``,
    ``for`` targets, ``with … as``, imports and ``:=``; bodies of ``if``/``for``/``while``/
    ``with``/``try`` are followed, function and class bodies are not. An import of a name in
    ``imported`` (the notebook imported it before) is left out: setting it to ``None`` would
    break every later cell that uses the module.
    """
    names: list[str] = []
    for node in statements:
        names += _walrus_names(node)
        if isinstance(node, ast.Assign):
            names += [n for target in node.targets for n in _target_names(target)]
        elif isinstance(node, ast.AugAssign):
            names += _target_names(node.target)
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            names += _target_names(node.target)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
            continue
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names += [name for name in ((a.asname or a.name).split(".")[0] for a in node.names
                                        if a.name != "*") if name not in imported]
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            names += _target_names(node.target)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            names += [n for item in node.items if item.optional_vars is not None
                      for n in _target_names(item.optional_vars)]
        for field in ("body", "orelse", "finalbody"):
            names += bound_names([s for s in getattr(node, field, []) or []
                                  if isinstance(s, ast.stmt)], imported)
        for handler in getattr(node, "handlers", []) or []:
            names += bound_names(handler.body, imported)
    return list(dict.fromkeys(names))


def imported_names(source: str) -> set[str]:
    """Names that top-level ``import`` statements of a cell bind (``set()`` if not Python)."""
    try:
        tree = ast.parse(python_source(source))
    except SyntaxError:
        return set()
    return {(a.asname or a.name).split(".")[0] for node in tree.body
            if isinstance(node, (ast.Import, ast.ImportFrom)) for a in node.names
            if a.name != "*"}


def top_level_names(source: str, region: Region, *, where: str,
                    imported: frozenset[str] = frozenset()) -> list[str]:
    """Names a code region binds at top level of the notebook (empty inside a ``def``/``class``).

    These become ``NAME = None`` lines in the exercise, so that a self-check after an open
    exercise sees ``None`` ("offen") instead of failing with ``NameError``.
    """
    try:
        tree = ast.parse(python_source(source))
    except SyntaxError as exc:
        raise MarkerError(f"{where}, Zeile {exc.lineno}: kein gültiges Python ({exc.msg}); die "
                          "Namen der Lösung lassen sich so nicht bestimmen.") from None
    for node in ast.walk(tree):
        if isinstance(node, _SCOPES) and node.lineno < region.begin <= (node.end_lineno or 0):
            return []

    def inside(node: ast.stmt) -> bool:
        return region.begin < node.lineno and (node.end_lineno or node.lineno) < region.end

    def collect(statements: list[ast.stmt]) -> list[ast.stmt]:
        found = []
        for node in statements:
            if inside(node):
                found.append(node)
            elif not isinstance(node, _SCOPES):
                for field in ("body", "orelse", "finalbody"):
                    found += collect([s for s in getattr(node, field, []) or []
                                      if isinstance(s, ast.stmt)])
                for handler in getattr(node, "handlers", []) or []:
                    found += collect(handler.body)
        return found

    return bound_names(collect(tree.body), imported)


def strip_regions(source: str, *, markdown: bool, where: str,
                  imported: frozenset[str] = frozenset()) -> str:
    """``source`` with every solution region replaced by its German placeholder.

    Code: ``NAME = None`` for every name a top-level region binds, then ``# IHR CODE HIER``
    and ``raise NotImplementedError("…")``, indented like the marker (modules in ``imported``,
    which earlier cells import, are not set to ``None``). Markdown: ``*IHRE ANTWORT HIER*``.
    """
    regions = find_regions(source, markdown=markdown, where=where)
    lines = source.splitlines()
    out: list[str] = []
    position = 1
    for region in regions:
        out += lines[position - 1: region.begin - 1]
        if markdown:
            out.append(MD_PLACEHOLDER)
        else:
            names = top_level_names(source, region, where=where, imported=imported)
            out += [f"{region.indent}{name} = None" for name in names]
            out += [region.indent + text for text in CODE_PLACEHOLDER]
        position = region.end + 1
    out += lines[position - 1:]
    return "\n".join(out)
