"""The ``backoffice`` console script's entry point, which imports nothing until it runs.

Why apart from :mod:`backoffice.cli`: a process the product starts with ``multiprocessing``'s spawn (the intake's
lanes) first runs again, as a module, the script that started its parent, and with it every import at the script's
top. Pointed at ``backoffice.cli``, that loaded every command group, Flask's command line and click into each lane,
which uses none of them: 19 MB of each lane's 120 MB (docs/benchmarks.md).
"""

from __future__ import annotations


def main() -> None:
    from backoffice.cli import main as group

    group()
