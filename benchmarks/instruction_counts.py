"""Instructions a fit executes, counted by valgrind: a measure that sees a 3% slip.

    python benchmarks/instruction_counts.py --old 1160371 --new . --workloads W1,W2,W6

On the shared 2-core machine single fits spread +-30% and paired in-process
rounds still move by a few percent from one run to the next; the number of
instructions a fit executes does not depend on what else the machine does.
Each checkout (a directory or a git commit, see ``checkouts.py``) fits each
workload in a child process under ``valgrind --tool=callgrind``, on one thread
(``NUMBA_NUM_THREADS=1``, one BLAS thread: valgrind runs threads one at a time,
and a team's spin barriers would count their waiting). The child fits once
uninstrumented (loading or compiling the kernels), then turns callgrind's
instrumentation on for a second, identical fit only, through its client
requests (a small C helper compiled here with the machine's C compiler), so
that imports and compilation are not counted. Counted fits are shorter than
the timed workloads (valgrind runs them 50-100x slower): the same shapes and
batches, fewer epochs or rows, see ``COUNTED``.

Prints the instructions of each fit, new/old, and where the callgrind profiles
are (``callgrind_annotate`` lists their functions; Numba's JIT code shows as
addresses without names). Needs valgrind (Debian's ``valgrind``) and a C
compiler. The first run of a checkout compiles its kernels under valgrind
(valgrind reports a CPU of its own, so Numba's cache of native runs does not
serve it): a few minutes, once, uncounted; the cache is kept per checkout
under ``$TMPDIR/fastmlp-instruction-counts``.

It counts instructions, not time: a change that trades instructions for
memory traffic or for threads (a team of two) is timed with ab_inprocess.py.
Measured with deliberate slips: a4791c5's loss kernel put back counted +3.9%
on W6 and +2.8% on W1 (15 paired timed rounds: 0.992 and 1.000, unseen); the
optimizer's separate penalty pass put back, memory traffic on W3's 670k
weights, counted +0.14% but timed +1.6% (11 rounds).
"""

import argparse
import ctypes
import hashlib
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import warnings

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from checkouts import checkout_path, run_child  # noqa: E402

# workload -> (max_iter, rows of its data used): the counted fit. Batches keep
# the workload's size; fewer of them (valgrind's slowness).
COUNTED = {
    "W1": (10, None),
    "W2": (1, 12800),
    "W3": (1, 2560),
    "W3f32": (1, 2560),
    "W4": (1, 10000),
    "W5": (20, None),
    "W6": (5, None),
}

WORK = pathlib.Path(tempfile.gettempdir()) / "fastmlp-instruction-counts"

CLIENT_REQUESTS = r"""
#include <valgrind/callgrind.h>
void instrumentation_on(void) { CALLGRIND_START_INSTRUMENTATION; }
void instrumentation_off(void) { CALLGRIND_STOP_INSTRUMENTATION; }
"""


def client_requests_library():
    """Path of the C helper that turns callgrind's instrumentation on and off."""
    WORK.mkdir(parents=True, exist_ok=True)
    library = WORK / "callgrind_requests.so"
    if not library.exists():
        source = WORK / "callgrind_requests.c"
        source.write_text(CLIENT_REQUESTS)
        subprocess.run([os.environ.get("CC", "cc"), "-O1", "-shared", "-fPIC", "-o", str(library), str(source)], check=True)
    return library


def child(workload, library):
    sys.path.insert(0, str(HERE / "benchmarks"))
    from workloads import make_estimator, workload_data

    import fastmlp

    requests = ctypes.CDLL(library)
    max_iter, rows = COUNTED[workload]
    X, y = workload_data(workload)
    X, y = X[:rows], y[:rows]
    warnings.simplefilter("ignore")
    make_estimator(fastmlp, workload).set_params(max_iter=max_iter).fit(X, y)
    estimator = make_estimator(fastmlp, workload).set_params(max_iter=max_iter)
    requests.instrumentation_on()
    estimator.fit(X, y)
    requests.instrumentation_off()
    print(json.dumps({"fastmlp": fastmlp.__file__, "n_iter": estimator.n_iter_}))


def count(checkout, workload, library):
    """Instructions of the counted fit of ``workload`` by ``checkout``, and the profile's path."""
    path = checkout_path(checkout)
    name = path.name if path.parent.name == "fastmlp-checkouts" else re.sub(r"\W", "_", str(path))
    cache = WORK / "numba-cache" / name
    profile = WORK / f"callgrind.{name}.{workload}.out"
    # NUMBA_CPU_NAME: kernels compiled for x86-64-v2 (SSE4.2, no VEX): under
    # valgrind 3.19, LLVM's code for the CPU valgrind reports ran into an
    # AVX encoding valgrind cannot decode (``vmovq xmm, xmm``, 0xC5 0x79 0xD6,
    # SIGILL) once 521a8fc's SGD step was compiled in. The counts are then of
    # SSE code, the same target for both checkouts.
    env = dict(
        os.environ, NUMBA_CACHE_DIR=str(cache), NUMBA_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
        OMP_NUM_THREADS="1", PYTHONHASHSEED="0", NUMBA_CPU_NAME="x86-64-v2", NUMBA_CPU_FEATURES="",
    )  # fmt: skip
    valgrind = [
        os.environ.get("VALGRIND", "valgrind"), "--tool=callgrind", "--smc-check=all", "--instr-atstart=no",
        f"--callgrind-out-file={profile}",
    ]  # fmt: skip
    arguments = ["--child", workload, "--library", str(library)]
    sources = hashlib.sha1(b"".join(p.read_bytes() for p in sorted((path / "fastmlp").glob("*.py"))))
    warm = cache / f"warm-{workload}-{sources.hexdigest()[:12]}"  # an edited checkout warms up again
    if not warm.exists():
        # A process that compiles the kernels counts differently from the ones
        # that load them (W6: 93.2M then 96.5M, repeated to 0.004%): fill the
        # cache under valgrind first, uncounted.
        run_child(__file__, arguments, path, env=env, prefix=[*valgrind[:-1], "--callgrind-out-file=/dev/null"])
        warm.touch()
    result = run_child(__file__, arguments, path, env=env, prefix=valgrind)
    collected = re.search(r"Collected : (\d+)", result["stderr"])
    if collected is None:
        raise SystemExit(f"valgrind printed no instruction count:\n{result['stderr'][-2000:]}")
    return int(collected.group(1)), profile


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--old", help="the checkout or commit to compare against")
    parser.add_argument("--new", default=str(HERE.parent), help="the checkout to measure (default: this one)")
    parser.add_argument("--workloads", default="W1,W2,W6", help=f"comma-separated, of {', '.join(COUNTED)}")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--library", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.library)
        return
    library = client_requests_library()
    checkouts = {"new": args.new} if args.old is None else {"old": args.old, "new": args.new}
    for workload in args.workloads.split(","):
        counts = {}
        for name, checkout in checkouts.items():
            counts[name], profile = count(checkout, workload, library)
            print(f"{workload} {name}: {counts[name]:,} instructions ({profile})", flush=True)
        if "old" in counts:
            print(f"{workload}: new/old {counts['new'] / counts['old']:.4f}", flush=True)


if __name__ == "__main__":
    main()
