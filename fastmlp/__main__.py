"""``python -m fastmlp precompile [--dtypes float64 float32] [--no-own-options] [--no-tabular]``."""

import argparse
import json
import time

from ._precompile import precompile


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m fastmlp")
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("precompile", help="fill Numba's on-disk cache with fastmlp's kernels")
    command.add_argument("--dtypes", nargs="+", default=["float64", "float32"], choices=["float64", "float32"])
    command.add_argument("--no-own-options", action="store_true",
                         help="skip the kernels of fastmlp's own activations and dropout")  # fmt: skip
    command.add_argument("--no-tabular", action="store_true",
                         help="skip the kernels of TabularMLPClassifier and TabularMLPRegressor")  # fmt: skip
    command.add_argument("--sequential", action="store_true", help="one dtype after the other, in this process")
    command.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    command.add_argument("--background", action="store_true", help=argparse.SUPPRESS)  # the first tier's
    args = parser.parse_args(argv)
    if args.background:
        from ._precompile import background_compile

        background_compile(args.dtypes[0])
        return
    start = time.perf_counter()
    seconds = precompile(
        args.dtypes, own_options=not args.no_own_options, tabular=not args.no_tabular,
        parallel=False if args.sequential else None,
    )  # fmt: skip
    if args.json:
        print(json.dumps(seconds))
        return
    for dtype, dtype_seconds in seconds.items():
        print(f"fastmlp kernels for {dtype}: ready in {dtype_seconds:.1f} s")
    print(f"all ready in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
