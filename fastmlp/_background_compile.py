"""The kernels' compile in a background process, and the markers that say it is done.

A marker file next to Numba's cache (``fastmlp-ready-<kind>-<key>.json``)
records that the cache holds the kernels of one kind (``mlp``: an MLP's with
scikit-learn's activations; ``own``: its second specialisation, fastmlp's own
activations and dropout; ``tabular``) for one dtype. ``precompile`` writes
them, as does a fit that compiled a kind in its own process. The first tier
(``_first_tier``) starts ``python -m fastmlp precompile --background`` where a
fit finds no marker; the child takes precompile's lock (so that the machine
compiles one at a time), compiles unless another compile has meanwhile,
writes the marker whole (a compile killed half-way leaves none: Numba's
cache files are each written whole, and a later compile loads those and
compiles the rest) and logs one line in ``fastmlp-background.log``.
"""

import functools
import hashlib
import json
import os
import pathlib
import subprocess
import sys
import time

import numpy as np

# A cold compile of one dtype's kernels (an MLP fit's, no own options), by
# benchmarks/cold_start.py on the 2-core dev machine: 8.6-9.7 s alone, more
# while a fit runs beside it. The estimate of the time left is this minus the
# time since the compile started (at least a second).
EXPECTED_COMPILE_SECONDS = 12.0

# A fit waits this long for a background compile, then compiles in its own
# process (a compile stuck behind a suspended precompile's lock).
WAIT_SECONDS = 5 * EXPECTED_COMPILE_SECONDS

LOG_NAME = "fastmlp-background.log"

_ready = set()  # (dtype, kind) known ready in this process
_children = {}  # dtype name -> (Popen, start time, pid of the process that started it)


@functools.cache
def cache_directory():
    """The directory of Numba's cache of fastmlp's kernels, if it is
    writable (NUMBA_CACHE_DIR, fastmlp's ``__pycache__``, or Numba's
    user-wide fallback where fastmlp's directory is read-only); else None."""
    from ._config import CACHE_ENABLED

    if not CACHE_ENABLED:
        return None
    try:
        from ._backprop import train_epoch_inplace

        directory = pathlib.Path(train_epoch_inplace._cache._cache_path)
        directory.mkdir(parents=True, exist_ok=True)
    except (AttributeError, OSError):  # another Numba's internals, or nowhere to write
        return None
    return directory if os.access(directory, os.W_OK) else None


def _key(dtype, kind):
    """Changes with anything that invalidates Numba's cache of the kernels:
    fastmlp's sources (Numba keys them on their time stamps and sizes), the
    CPU, Numba and Python."""
    import llvmlite.binding
    import numba

    digest = hashlib.sha1()
    cpu = numba.config.CPU_NAME or llvmlite.binding.get_host_cpu_name()
    digest.update(f"{numba.__version__}|{sys.version}|{cpu}|{np.dtype(dtype)}|{kind}".encode())
    for path in sorted(pathlib.Path(__file__).parent.glob("*.py")):
        stat = path.stat()
        digest.update(f"{path.name}|{stat.st_mtime_ns}|{stat.st_size}".encode())
    return digest.hexdigest()[:16]


@functools.cache
def marker_path(dtype, kind):
    directory = cache_directory()
    return None if directory is None else directory / f"fastmlp-ready-{kind}-{_key(dtype, kind)}.json"


def mark_ready(dtype, kind, seconds=None):
    """Record that the cache holds the kernels of ``kind`` for ``dtype``
    (written whole; a marker that cannot be written is not an error)."""
    _ready.add((np.dtype(dtype), kind))
    path = marker_path(np.dtype(dtype), kind)
    if path is None:
        return
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    try:
        temporary.write_text(json.dumps({"seconds": seconds, "written": time.time()}))
        os.replace(temporary, path)
    except OSError:
        pass


def kernels_ready(dtype, kind="mlp"):
    """Whether the cache holds the kernels (once true, remembered for the process)."""
    key = (np.dtype(dtype), kind)
    if key in _ready:
        return True
    path = marker_path(key[0], kind)
    if path is not None and path.exists():
        _ready.add(key)
        return True
    return False


def log(line):
    directory = cache_directory()
    if directory is not None:
        with open(directory / LOG_NAME, "a") as handle:
            handle.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} pid {os.getpid()} {line}\n")


def can_start():
    """A child can be started: not a frozen application (its executable is
    the application, not Python), and a Python to start."""
    return bool(sys.executable) and not getattr(sys, "frozen", False) and cache_directory() is not None


def start(dtype):
    """Start the background compile of ``dtype``'s kernels unless this
    process already did (a forked process starts its own); returns its start
    time, or None if it could not be started."""
    dtype = str(np.dtype(dtype))
    child = _children.get(dtype)
    if child is not None and child[2] == os.getpid():
        return child[1]
    # ``-c`` with fastmlp's own directory first: the child compiles the same
    # sources, whatever its working directory would import
    package_parent = str(pathlib.Path(__file__).resolve().parent.parent)
    command = [sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); from fastmlp.__main__ import main; "
               "main(['precompile', '--background', '--dtypes', sys.argv[2]])", package_parent, dtype]  # fmt: skip
    env = dict(os.environ, FASTMLP_FIRST_TIER="never")
    try:
        with open(cache_directory() / LOG_NAME, "a") as errors:  # a failed compile's traceback, kept
            process = subprocess.Popen(
                command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errors,
                start_new_session=True,  # a Ctrl-C in the user's terminal does not kill it half-way
            )  # fmt: skip
    except OSError:
        return None
    _children[dtype] = (process, time.monotonic(), os.getpid())
    return _children[dtype][1]


def _child(dtype):
    child = _children.get(str(np.dtype(dtype)))
    return child if child is not None and child[2] == os.getpid() else None


def failed(dtype):
    """This process's child ended without the marker (killed, or its compile failed)."""
    child = _child(dtype)
    return child is not None and child[0].poll() is not None and not kernels_ready(dtype)


def seconds_left(dtype):
    """About how long until the kernels are ready (the child must have been started)."""
    return max(EXPECTED_COMPILE_SECONDS - (time.monotonic() - _child(dtype)[1]), 1.0)


def wait(dtype):
    """Until the marker appears; False if the child ended without it or
    took longer than ``WAIT_SECONDS`` (the fit then compiles in its process)."""
    child = _child(dtype)
    deadline = time.monotonic() + WAIT_SECONDS
    while not kernels_ready(dtype):
        if child is None or child[0].poll() is not None or time.monotonic() > deadline:
            return kernels_ready(dtype)
        time.sleep(0.05)
    child[0].poll()  # reaped
    return True
