#!/usr/bin/env python3
"""Before a release: does GitHub have what the notebooks point at? (``make check-release``)

The one thing the tests cannot simulate. Needs the internet; not part of ``make test``.

1. The repository of ``course.toml`` has the tag ``ref`` (``git ls-remote``) — the setup cell on
   Colab clones it and the Colab badges open it;
2. the tag points at the commit being released (``HEAD``, or ``--commit``);
3. ``binder_ref`` exists as well (the Binder badges build it);
4. one notebook answers at the address Colab loads it from (raw.githubusercontent.com).

    python scripts/check_release.py [--commit SHA]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sync_notebooks  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def remote_refs(url: str) -> dict[str, str]:
    """``refs/… → commit`` of the remote; peeled tags (``^{}``) name the commit of a tag."""
    out = subprocess.run(["git", "ls-remote", "--tags", "--heads", url], check=True,
                         capture_output=True, text=True, timeout=60).stdout
    refs, peeled = {}, {}
    for line in out.splitlines():
        sha, name = line.split("\t")
        if name.endswith("^{}"):
            peeled[name.removesuffix("^{}")] = sha
        else:
            refs[name] = sha
    refs.update(peeled)
    return refs


def commit_of(refs: dict[str, str], ref: str) -> str | None:
    return refs.get(f"refs/tags/{ref}") or refs.get(f"refs/heads/{ref}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commit", help="Commit der Veröffentlichung (Standard: HEAD)")
    args = parser.parse_args(argv)
    config = sync_notebooks.load_config(ROOT)
    commit = args.commit or subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, check=True,
                                           capture_output=True, text=True).stdout.strip()
    problems = []
    try:
        refs = remote_refs(config["repository"] + ".git")
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        print(f"Fehler: {config['repository']} ist nicht erreichbar ({exc}).", file=sys.stderr)
        return 1
    tagged = commit_of(refs, config["ref"])
    if tagged is None:
        problems.append(f"Tag {config['ref']} fehlt auf {config['repository']} "
                        f"(`git tag {config['ref']} && git push --tags`)")
    elif not commit.startswith(tagged) and not tagged.startswith(commit):
        problems.append(f"Tag {config['ref']} zeigt auf {tagged[:12]}, veröffentlicht wird "
                        f"{commit[:12]}")
    if commit_of(refs, config["binder_ref"]) is None:
        problems.append(f"binder_ref {config['binder_ref']} fehlt auf {config['repository']}")
    notebook = sorted((ROOT / "notebooks").glob("*.ipynb"))[0].name
    url = (f"https://raw.githubusercontent.com/{config['slug']}/{config['ref']}/"
           f"notebooks/{notebook}")
    try:
        with urllib.request.urlopen(url, timeout=30) as reply:
            if reply.status != 200:
                problems.append(f"{url} antwortet mit {reply.status}")
    except (urllib.error.URLError, OSError) as exc:
        problems.append(f"{url} antwortet nicht ({exc})")
    if problems:
        print("Nicht bereit zur Veröffentlichung:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    print(f"Bereit: {config['repository']} hat {config['ref']} = {commit[:12]}, "
          f"binder_ref {config['binder_ref']}, und {url} antwortet.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
