#!/usr/bin/env python3
"""Open the course in JupyterLab in a real headless Chromium, as a student would.

Run by ``make test-browser`` (scripts/browser_env.sh provides Chromium and playwright) and by
``.ci/run``. It starts JupyterLab exactly as ``make lab`` does (``make lab`` itself, plus
``--no-browser``, a free port and a token), blocks every request that leaves the machine,
and asserts:

1. the start page is the file browser in ``notebooks/``;
2. notebook 01, opened from there and run with "Run All Cells", shows every figure (the image
   has loaded: ``naturalWidth > 0``) although the outside network is blocked;
3. the first open exercise stops with the German ``NotImplementedError`` of its placeholder,
   and no cell before it fails;
4. the page raised no JavaScript error, and JupyterLab's log has no kernel TCP warning.

``--screenshots DIR`` also saves what the student sees: notebook 01 at its figure, and a stored
progress bar of ``solutions/05…`` (for reviewing by eye; not part of the assertions).

    build/browser-venv/bin/python scripts/browser_test.py --chromium /usr/bin/chromium
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = "01_tensoroperationen.ipynb"
PROGRESS_NOTEBOOK = "05_cnn_resnet_fashion_mnist.ipynb"
FAILURE_SHOT = ROOT / "build" / "browser-test-fehler.png"
PLACEHOLDER = "Ersetzen Sie diese Zeile durch Ihre Lösung."
#: How make sync names an embedded figure: ``"img/NAME.png"`` after the data: URI.
FIGURE_TITLE = re.compile(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=]*[\"']?\s+(?:title=)?[\"']img/")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_lab(port: int, token: str, state: Path, log) -> subprocess.Popen:
    """``make lab`` with a port, a token and throwaway JupyterLab state (workspaces, settings)."""
    args = " ".join([
        "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
        f"--IdentityProvider.token={token}", f"--LabApp.workspaces_dir={state / 'workspaces'}",
        f"--LabApp.user_settings_dir={state / 'settings'}"])
    news = state / "settings" / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True)
    (news / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    env = dict(os.environ, NNKURS_FAST="1", JUPYTER_RUNTIME_DIR=str(state / "runtime"))
    return subprocess.Popen(["make", "--no-print-directory", "lab", f"LAB_ARGS={args}"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def wait_for_lab(port: int, token: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"`make lab` endete mit Status {proc.returncode}")
        try:
            with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/api/status?token={token}", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"JupyterLab antwortet nach {timeout:.0f} s nicht")


def stop_lab(proc: subprocess.Popen) -> None:
    """Stop `make lab` and the JupyterLab it started (its own process group)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def expected_figures(path: Path) -> int:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return sum(len(FIGURE_TITLE.findall("".join(c["source"])))
               for c in nb["cells"] if c["cell_type"] == "markdown")


def first_exercise_cell(path: Path) -> int:
    """Index (among code cells) of the first cell with an exercise placeholder."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    return next(i for i, c in enumerate(code)
                if "raise NotImplementedError(" in "".join(c["source"]))


def figures_in_page(page) -> list[dict]:
    """Course figures (not the Colab/Binder badges) of the rendered markdown, with load state."""
    return page.eval_on_selector_all(
        ".jp-RenderedMarkdown img",
        """els => els.filter(e => (e.title || '').startsWith('img/')).map(e => ({
            title: e.title, alt: e.alt, complete: e.complete, width: e.naturalWidth}))""")


def check_notebook_01(page, problems: list[str], screenshots: Path | None) -> None:
    """The page has just opened the server's start address (as `make lab` opens it)."""
    page.wait_for_selector(".jp-DirListing-item", timeout=60_000)
    if "/lab/tree/notebooks" not in page.url:
        problems.append(f"Startseite ist {page.url}, nicht /lab/tree/notebooks")
    names = page.eval_on_selector_all(".jp-DirListing-item .jp-DirListing-itemText",
                                      "els => els.map(e => e.textContent.trim())")
    if NOTEBOOK not in names:
        problems.append(f"Dateiliste zeigt {names}, nicht {NOTEBOOK}")
        return
    # JupyterLab asks for a kernel when a notebook opens before the kernel list has loaded (a
    # race no person wins): wait for the launcher's kernel card, as a person would see it.
    page.locator(".jp-LauncherCard", has_text="Python 3").first.wait_for(timeout=60_000)
    page.locator(".jp-DirListing-item", has_text=NOTEBOOK).dblclick()
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=120_000)

    # Run → Run All Cells, as a student does; the item is enabled once the notebook is active.
    page.locator(".jp-Notebook .jp-Cell").first.click()
    for attempt in range(3):
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        page.locator(".lm-Menu-item:not(.lm-mod-disabled)",
                     has_text=re.compile(r"^Run All Cells")).first.click()
        try:  # started: some prompt shows [*] or a number
            page.wait_for_function(
                """() => [...document.querySelectorAll('.jp-InputArea-prompt')]
                        .some(e => /\\[(\\*|\\d+)\\]/.test(e.textContent))""", timeout=30_000)
            break
        except Exception:  # noqa: BLE001 - menu not ready yet: try again
            page.keyboard.press("Escape")
    else:
        problems.append("»Run All Cells« startet keine Zelle")
        return
    error = page.locator(".jp-OutputArea-output", has_text="NotImplementedError").first
    error.wait_for(timeout=150_000)
    error.scroll_into_view_if_needed()
    # textContent, not innerText: JupyterLab does not lay out cells outside the view, and their
    # innerText is empty.
    text = error.text_content() or ""
    if PLACEHOLDER not in text:
        problems.append(f"erste offene Aufgabe zeigt nicht »{PLACEHOLDER}«: {text[:300]}")
    failing = page.eval_on_selector_all(
        ".jp-Notebook .jp-CodeCell",
        """cells => cells.map((c, i) => [i, c.querySelector('.jp-OutputArea')?.textContent || ''])
                   .filter(([i, text]) => text.includes('Traceback (most recent call last)'))
                   .map(([i]) => i)""")
    expected = first_exercise_cell(ROOT / "notebooks" / NOTEBOOK)
    if not failing or failing[0] != expected:
        problems.append(f"erster Fehler in Code-Zelle {failing[:1]}, erwartet in Zelle {expected} "
                        "(erste Aufgabe)")

    want = expected_figures(ROOT / "notebooks" / NOTEBOOK)
    figure = page.locator(".jp-RenderedMarkdown img[title^='img/']").first
    if want:
        figure.scroll_into_view_if_needed()
        page.wait_for_function(
            """() => [...document.querySelectorAll(".jp-RenderedMarkdown img[title^='img/']")]
                    .every(e => e.complete)""", timeout=30_000)
    found = figures_in_page(page)
    if len(found) != want:
        problems.append(f"{len(found)} Abbildung(en) im Notebook sichtbar, {want} erwartet")
    for item in found:
        if not item["width"]:
            problems.append(f"Abbildung {item['title']} nicht geladen ({item['alt'][:40]})")
    if screenshots and want:
        figure.scroll_into_view_if_needed()
        page.screenshot(path=str(screenshots / "01_abbildung.png"))
        cell = page.locator(".jp-Cell", has=page.locator(".jp-OutputArea-output",
                                                          has_text="NotImplementedError")).first
        cell.scroll_into_view_if_needed()
        page.screenshot(path=str(screenshots / "01_erste_aufgabe.png"))


def screenshot_progress(page, base: str, screenshots: Path) -> None:
    page.goto(f"{base}/lab/tree/solutions/{PROGRESS_NOTEBOOK}")
    bar = page.locator(".jp-OutputArea-output",
                       has_text=re.compile(r"Training:.*\d+/\d+ (Epochen|\[)")).first
    bar.wait_for(timeout=60_000)
    bar.scroll_into_view_if_needed()
    page.mouse.wheel(0, 150)  # the cell's code above the bar in view as well
    page.screenshot(path=str(screenshots / "05_fortschritt.png"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--screenshots", type=Path, help="Bildschirmfotos hierhin speichern")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    start = time.monotonic()
    port, token = free_port(), secrets.token_hex(16)
    problems, blocked, page_errors, notes = [], [], [], []
    with tempfile.TemporaryDirectory(prefix="nn-kurs-lab-") as tmp:
        state = Path(tmp)
        log_path = state / "lab.log"
        with open(log_path, "w", encoding="utf-8") as log:
            lab = start_lab(port, token, state, log)
            try:
                wait_for_lab(port, token, lab)
                with sync_playwright() as pw:
                    browser = pw.chromium.launch(executable_path=args.chromium,
                                                 args=["--no-sandbox"])
                    context = browser.new_context(viewport={"width": 1280, "height": 900})

                    def only_local(route):
                        url = route.request.url
                        if url.startswith(("data:", "blob:")) or \
                                urlparse(url).hostname in ("127.0.0.1", "localhost"):
                            route.continue_()
                        else:
                            blocked.append(url)
                            route.abort()

                    context.route("**/*", only_local)
                    page = context.new_page()
                    # JupyterLab asks for a kernel when starting the notebook's kernel fails or
                    # times out (seen on an overloaded machine). The notebook's own kernel must
                    # be the one offered; then we accept it, as a student would, and say so.
                    dialog = page.locator(".jp-Dialog", has_text="Select Kernel")

                    def accept_kernel(_):
                        value = dialog.locator("select").input_value()
                        offered = json.loads(value).get("name") if value.startswith("{") else value
                        notes.append(f"JupyterLab fragte nach dem Kernel (angeboten: {offered}; "
                                     "Kernelstart zu langsam?)")
                        if offered != "python3":
                            problems.append(f"Kernel-Dialog bietet {offered} statt python3 an")
                        dialog.get_by_role("button", name="Select Kernel").click()

                    page.add_locator_handler(dialog, accept_kernel)
                    page.on("pageerror", lambda exc: page_errors.append(str(exc)))
                    base = f"http://127.0.0.1:{port}"
                    # the address `make lab` opens: the server root, which redirects to
                    # LabApp.default_url
                    page.goto(f"{base}/?token={token}")
                    if args.screenshots:
                        args.screenshots.mkdir(parents=True, exist_ok=True)
                    try:
                        check_notebook_01(page, problems, args.screenshots)
                    finally:
                        if problems or sys.exc_info()[0]:
                            FAILURE_SHOT.parent.mkdir(parents=True, exist_ok=True)
                            page.screenshot(path=str(FAILURE_SHOT))
                    if args.screenshots:
                        screenshot_progress(page, base, args.screenshots)
                    browser.close()
            except Exception as exc:  # noqa: BLE001 - reported as a failed check below
                problems.append(f"{type(exc).__name__}: {exc}")
            finally:
                stop_lab(lab)
        lab_log = log_path.read_text(encoding="utf-8", errors="replace")
    if "without encryption" in lab_log:
        problems.append("JupyterLab-Log enthält die Warnung »Kernel is running over TCP without "
                        "encryption«")
    problems += [f"JavaScript-Fehler auf der Seite: {e}" for e in page_errors]
    seconds = time.monotonic() - start
    outside = sorted({urlparse(u).hostname for u in blocked})
    note = f" (blockiert: {', '.join(outside)})" if outside else ""
    if problems:
        print(f"Browser-Test FEHLGESCHLAGEN nach {seconds:.0f} s{note}:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        print("--- Ende des JupyterLab-Logs ---\n" + lab_log[-3000:], file=sys.stderr)
        return 1
    for line in notes:
        print(f"Hinweis: {line}")
    print(f"Browser-Test bestanden in {seconds:.0f} s: JupyterLab öffnet notebooks/, "
          f"Notebook 01 zeigt seine Abbildung(en) ohne Internet und stoppt an der ersten "
          f"Aufgabe mit dem deutschen Platzhalter{note}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
