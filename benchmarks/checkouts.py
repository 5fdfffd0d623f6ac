"""Checkouts of fastmlp for the comparison benchmarks, and running a child
process against one.

A checkout is a directory holding ``fastmlp/__init__.py`` or a git commit of
this repository (a hash, a tag, ``main~3``): a commit is extracted once with
``git archive`` into ``$TMPDIR/fastmlp-checkouts/<hash>`` and reused.

The child imports fastmlp from ``checkout`` (put first on ``PYTHONPATH``) and
prints one JSON line, which must include ``"fastmlp": fastmlp.__file__``: the
parent checks that the child measured the checkout it was given, not an
installed copy, and shows the child's error output if it failed.
"""

import io
import json
import os
import pathlib
import subprocess
import sys
import tarfile
import tempfile

REPOSITORY = pathlib.Path(__file__).resolve().parent.parent


def checkout_path(checkout):
    """The directory of ``checkout``: a path, or a commit extracted for it."""
    path = pathlib.Path(checkout).resolve()
    if (path / "fastmlp" / "__init__.py").is_file():
        return path
    found = subprocess.run(
        ["git", "-C", str(REPOSITORY), "rev-parse", "--verify", "--quiet", f"{checkout}^{{commit}}"],
        capture_output=True, text=True,
    )  # fmt: skip
    if found.returncode != 0:
        raise SystemExit(f"{checkout}: neither a fastmlp checkout (no fastmlp/__init__.py there) nor a commit")
    commit = found.stdout.strip()
    path = pathlib.Path(tempfile.gettempdir()) / "fastmlp-checkouts" / commit
    if not (path / "fastmlp" / "__init__.py").is_file():
        archive = subprocess.run(["git", "-C", str(REPOSITORY), "archive", commit], capture_output=True, check=True)
        path.mkdir(parents=True, exist_ok=True)
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(path, filter="data")
    return path


def run_child(script, arguments, checkout, env=None, prefix=()):
    """Run ``python script *arguments`` with fastmlp from ``checkout`` (after
    the command ``prefix``, e.g. valgrind's); its JSON result."""
    path = checkout_path(checkout)
    env = dict(os.environ if env is None else env, PYTHONPATH=str(path))
    command = [*prefix, sys.executable, str(script), *arguments]
    out = subprocess.run(command, env=env, capture_output=True, text=True, cwd="/")
    if out.returncode != 0:
        raise SystemExit(f"the benchmark's child process failed:\n{out.stderr.strip()}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if not result.get("fastmlp", "").startswith(str(path)):
        raise SystemExit(f"the child imported fastmlp from {result.get('fastmlp')}, not from {path}")
    result["stderr"] = out.stderr
    return result
