"""Drawing a workflow as SVG with Graphviz's ``dot``, from the workflow's own table."""

from __future__ import annotations

import shutil
import subprocess
from enum import StrEnum
from typing import Any

from workflows.engine import Workflow


class DiagramError(RuntimeError):
    """The drawing tool is missing or failed."""


def dot_source(workflow: Workflow[Any], highlight: StrEnum | None = None) -> str:
    lines = [
        f'digraph "{workflow.name}" {{',
        '  rankdir=TB; node [shape=box, style="rounded,filled", fillcolor="#f5f5f5", fontname="sans-serif"];',
        '  edge [fontname="sans-serif", fontsize=10];',
        '  start [shape=circle, label="", width=0.2, fillcolor="#000000"];',
        f"  start -> {workflow.initial.value};",
    ]
    terminal = workflow.terminal_states()
    for state in workflow.states:
        attrs = []
        if state in terminal:
            attrs.append("peripheries=2")
        if highlight is not None and state == highlight:
            attrs.append('fillcolor="#ffd54f"')
        lines.append(f"  {state.value} [{', '.join(attrs)}];" if attrs else f"  {state.value};")
    for source, dest, trigger in workflow.edges():
        lines.append(f'  {source.value} -> {dest.value} [label="{trigger}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def svg(workflow: Workflow[Any], highlight: StrEnum | None = None) -> bytes:
    dot = shutil.which("dot")
    if dot is None:
        raise DiagramError(
            "Graphviz 'dot' is not installed (Debian: apt-get install graphviz); use --format mermaid"
        )
    result = subprocess.run(  # noqa: S603 - fixed program, our own input
        [dot, "-Tsvg"],
        input=dot_source(workflow, highlight).encode(),
        capture_output=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        raise DiagramError(result.stderr.decode(errors="replace"))
    return result.stdout
