"""The generated kernels of a network, one source text each, for tests that check what a
kernel does (``fastspike.backends.generated_source`` with every call a kernel of its own)."""
from __future__ import annotations

from fastspike.backends import generated_source


def kernels(net, prefix: str) -> list[str]:
    """The source of each kernel of ``net`` whose name starts with ``prefix`` (``def ...`` up
    to the next top-level definition), its ``_prelude`` (the constants it reads once per
    chunk) left out."""
    src = generated_source(net, fuse=False)
    return ["def " + k.split("\n\n\n")[0] for k in src.split("\ndef ")
            if k.startswith(prefix) and not k[:k.index("(")].endswith("_prelude")]
