"""``python -m fastinit explain``: the arguments, and the run."""
import argparse
import sys

from ._explain_activations import ACTIVATIONS
from ._explain_plot import MissingMatplotlib


def _width(text):
    """512, or a list of layer widths 784,512,512,10 (the input's first)."""
    try:
        widths = [int(t) for t in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a width like 512 or a list "
                                         f"like 784,512,10")
    if any(w < 1 for w in widths):
        raise argparse.ArgumentTypeError(f"{text!r}: widths must be positive")
    return widths[0] if len(widths) == 1 else widths


def _positive(text):
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be a positive integer")
    return n


def _layers(text):
    try:
        return [_positive(t) for t in text.split(",")]
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a list of layers like 1,10,50")


def add_parser(commands):
    p = commands.add_parser(
        "explain", help="why initialization matters: activation and gradient std per layer",
        description="Run a deep MLP initialized by each scheme, forward and backward, in "
                    "NumPy; print per layer the std of the activations and of the "
                    "gradients beside the variance formula's prediction, and the fraction "
                    "of dead ReLUs or saturated tanh/sigmoid units.")
    p.add_argument("--schemes", nargs="+", metavar="SCHEME",
                   help="names fastinit.get knows, with keywords as name:key=value,... "
                        "(default: normal:std=0.01 normal:std=1 xavier_normal "
                        "kaiming_normal lecun_normal orthogonal)")
    p.add_argument("--depth", type=_positive, help="layers (default 50)")
    p.add_argument("--width", type=_width,
                   help="every layer's width (default 512), or the input's and each "
                        "layer's: 784,512,512,10")
    p.add_argument("--activation", choices=tuple(ACTIVATIONS),
                   help="after every layer (default relu; tanh with --symmetry)")
    p.add_argument("--batch", type=_positive,
                   help="inputs (default 256, fewer for layers wider than 512)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--bias", type=float, default=0.0, help="every bias's value (0 or 0.01)")
    p.add_argument("--dtype", default="float32", choices=("float32", "float64"))
    p.add_argument("--every", type=_positive,
                   help="print layers 1, N, 2N, ... and the last (default: about ten rows)")
    p.add_argument("--plot", metavar="FILE.png",
                   help="also draw the std curves and histograms (needs matplotlib: "
                        "pip install 'fastinit[plot]')")
    p.add_argument("--histograms", type=_layers, metavar="L1,L2,...",
                   help="the layers whose outputs the plot histograms (default: 4 depths)")
    p.add_argument("--symmetry", action="store_true",
                   help="instead: show that a constant or zero init leaves a layer's units "
                        "identical after a gradient step (default schemes: zeros, "
                        "constant:value=0.05, xavier_normal; 4 tanh layers of width 32)")
    p.add_argument("--steps", type=_positive, default=1, help="--symmetry: gradient steps")
    p.add_argument("--lr", type=float, default=0.1, help="--symmetry: learning rate")
    return p


def _symmetry(args):
    from ._explain_symmetry import explain_symmetry
    kw = {k: v for k, v in dict(depth=args.depth, width=args.width, batch=args.batch,
                                activation=args.activation).items() if v is not None}
    r = explain_symmetry(args.schemes, lr=args.lr, steps=args.steps, seed=args.seed,
                         bias=args.bias, **kw)
    print(r.table())


def _explain(args):
    from ._explain import explain
    if args.plot:
        from ._explain_plot import require_matplotlib
        require_matplotlib()            # before the run, not after it
    kw = {k: v for k, v in dict(depth=args.depth, width=args.width, batch=args.batch,
                                activation=args.activation,
                                histogram_layers=args.histograms).items() if v is not None}
    r = explain(args.schemes, seed=args.seed, bias=args.bias, dtype=args.dtype, **kw)
    print(r.table(args.every))
    if args.plot:
        r.plot(args.plot)
        print(f"\nwrote {args.plot}")


def run(args, parser):
    """Print the table (and write the plot); bad arguments exit 2 with the
    message, as argparse's own errors do (``parser``: the explain
    subparser); a missing matplotlib exits 1."""
    try:
        _symmetry(args) if args.symmetry else _explain(args)
    except (TypeError, ValueError) as e:
        parser.error(str(e))
    except MissingMatplotlib as e:
        print(f"python -m fastinit explain: {e}", file=sys.stderr)
        return 1
    return 0
