"""scripts/check_release.py reads tags like GitHub serves them (annotated tags peeled)."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

import check_release  # noqa: E402


def test_remote_refs_name_the_commit_of_annotated_and_light_tags(tmp_path):
    def git(*args):
        return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
                              cwd=tmp_path, check=True, capture_output=True, text=True).stdout

    git("init", "-q")
    git("commit", "-q", "--allow-empty", "-m", "eins")
    git("tag", "-a", "v0.1.0", "-m", "Version 0.1.0")
    git("commit", "-q", "--allow-empty", "-m", "zwei")
    git("tag", "v0.2.0")
    first, second = git("rev-list", "HEAD").split()[::-1]
    refs = check_release.remote_refs(f"file://{tmp_path}")
    assert check_release.commit_of(refs, "v0.1.0") == first
    assert check_release.commit_of(refs, "v0.2.0") == second
    assert check_release.commit_of(refs, "v9.9.9") is None
