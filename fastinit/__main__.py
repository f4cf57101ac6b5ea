"""python -m fastinit {bench,config,explain}: see ``python -m fastinit -h``."""
import argparse
import sys


def _size(text):
    """An element count: 16777216, 2^24 or 2**24."""
    base, sep, exp = text.replace("**", "^").partition("^")
    try:
        n = int(base) ** int(exp) if sep else int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a count like 16777216 or 2^24")
    if n < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: the size must be positive")
    return n


def _threads(text):
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: threads must be a positive integer")
    return n


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m fastinit",
                                     description="fastinit command-line tools.")
    commands = parser.add_subparsers(dest="command", metavar="{bench,config,explain}")
    bench = commands.add_parser(
        "bench", help="throughput table: fastinit vs NumPy (and PyTorch)",
        description="Fill one preallocated buffer per dtype with each init; print "
                    "M elements/s (median of several runs after a warm-up) for fastinit "
                    "on 1 and all threads, NumPy, and PyTorch when it is installed.")
    bench.add_argument("--size", type=_size, default=None,
                       help="elements per fill, e.g. 2^24 (default 2^24; 2^22 with --quick)")
    bench.add_argument("--threads", type=_threads, default=None,
                       help="the 'all threads' count (default: fastinit's, all cores)")
    bench.add_argument("--quick", action="store_true",
                       help="smaller default size and fewer repeats (a few seconds)")
    commands.add_parser("config", help="print the SIMD path, thread count and build")
    from . import _explain_cli
    explain = _explain_cli.add_parser(commands)
    args = parser.parse_args(argv)

    if args.command == "config":
        from . import show_config
        show_config()
    elif args.command == "explain":
        return _explain_cli.run(args, explain)
    elif args.command == "bench":
        from . import _bench
        size = args.size or (1 << 22 if args.quick else 1 << 24)
        _bench.run(size, args.threads, repeats=3 if args.quick else 7)
    else:
        parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
