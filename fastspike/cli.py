"""The ``fastspike`` command: ``fastspike info`` lists versions and backends; ``fastspike bench``
runs the standard networks (see :mod:`fastspike.bench`)."""
from __future__ import annotations

import argparse
import platform
import sys
from importlib import metadata

from . import __version__, backends


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def info() -> str:
    """Versions of fastspike and its dependencies, and which backends can run here and why not."""
    lines = [f"fastspike {__version__} (Python {platform.python_version()}, {platform.machine()})"]
    for package in ("numba", "numpy", "h5py", "matplotlib", "tqdm", "numba-cuda"):
        lines.append(f"  {package:<11} {_version(package)}")
    lines.append("backends:")
    usable = backends.available()
    for name, what in backends.describe().items():
        lines.append(f"  {name:<6} {'available: ' if name in usable else ''}{what}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fastspike", description="fastspike command-line tools")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("info", help="versions and available backends")
    sub.add_parser("bench", help="the standard networks on the available backends (fastspike bench -h)",
                   add_help=False)
    args, rest = parser.parse_known_args(argv)
    if args.command == "bench":
        from . import bench

        return bench.main(rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.command == "info":
        print(info())
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
