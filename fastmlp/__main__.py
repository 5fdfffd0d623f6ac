"""``python -m fastmlp precompile [--dtypes float64 float32] [--no-own-options]``."""

import argparse

from ._precompile import precompile


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m fastmlp")
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("precompile", help="fill Numba's on-disk cache with fastmlp's kernels")
    command.add_argument("--dtypes", nargs="+", default=["float64", "float32"], choices=["float64", "float32"])
    command.add_argument("--no-own-options", action="store_true",
                         help="skip the kernels of fastmlp's own activations and dropout")  # fmt: skip
    args = parser.parse_args(argv)
    for dtype, seconds in precompile(args.dtypes, own_options=not args.no_own_options).items():
        print(f"fastmlp kernels for {dtype}: ready in {seconds:.1f} s")


if __name__ == "__main__":
    main()
