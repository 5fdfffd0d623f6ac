"""Running a benchmark's child process against a given checkout of fastmlp.

The child imports fastmlp from ``checkout`` (put first on ``PYTHONPATH``) and
prints one JSON line, which must include ``"fastmlp": fastmlp.__file__``: the
parent checks that the child measured the checkout it was given, not an
installed copy, and shows the child's error output if it failed.
"""

import json
import os
import pathlib
import subprocess
import sys


def checkout_path(checkout):
    path = pathlib.Path(checkout).resolve()
    if not (path / "fastmlp" / "__init__.py").is_file():
        raise SystemExit(f"{checkout}: not a fastmlp checkout (no fastmlp/__init__.py there)")
    return path


def run_child(script, arguments, checkout):
    """Run ``python script *arguments`` with fastmlp from ``checkout``; its JSON result."""
    path = checkout_path(checkout)
    env = dict(os.environ, PYTHONPATH=str(path))
    out = subprocess.run([sys.executable, str(script), *arguments], env=env, capture_output=True, text=True, cwd="/")
    if out.returncode != 0:
        raise SystemExit(f"the benchmark's child process failed:\n{out.stderr.strip()}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if not result.get("fastmlp", "").startswith(str(path)):
        raise SystemExit(f"the child imported fastmlp from {result.get('fastmlp')}, not from {path}")
    return result
