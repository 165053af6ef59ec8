"""Drawing a workflow as SVG with Graphviz's ``dot``, from the workflow's own table."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Collection, Mapping
from enum import StrEnum
from typing import Any

from workflows.engine import Workflow


class DiagramError(RuntimeError):
    """The drawing tool is missing or failed."""


def dot_source(
    workflow: Workflow[Any],
    highlight: StrEnum | None = None,
    *,
    state_labels: Mapping[Any, str] | None = None,
    trigger_labels: Mapping[str, str] | None = None,
    leave_out: Collection[str] = (),
    compact: bool = False,
) -> str:
    """The workflow in Graphviz's language.

    ``state_labels`` and ``trigger_labels`` name them in the reader's language; without them the codes show, as
    the command line prints them. ``leave_out`` drops triggers that would draw an arrow from nearly every state
    (rejecting, withdrawing), which a page says in a sentence instead. ``compact`` lays the states out left to
    right in a small font, and with ``highlight`` the moves open from there stand out.
    """
    names, moves = state_labels or {}, trigger_labels or {}
    rankdir, size = ("LR", ", fontsize=11") if compact else ("TB", "")
    lines = [
        f'digraph "{workflow.name}" {{',
        f"  rankdir={rankdir}; nodesep=0.25; ranksep=0.35;" if compact else f"  rankdir={rankdir};",
        '  node [shape=box, style="rounded,filled", fillcolor="#f5f5f5", fontname="sans-serif"'
        + size
        + (", margin=\"0.08,0.03\"" if compact else "")
        + "];",
        f'  edge [fontname="sans-serif", fontsize={9 if compact else 10}];',
        '  start [shape=circle, label="", width=0.2, fillcolor="#000000"];',
        f"  start -> {workflow.initial.value};",
    ]
    terminal = workflow.terminal_states()
    edges = [(s, d, t) for s, d, t in workflow.edges() if t not in leave_out]
    shown = {workflow.initial} | {s for s, _d, _t in edges} | {d for _s, d, _t in edges}
    following = {d for s, d, _t in edges if highlight is not None and s == highlight}
    for state in workflow.states:
        if state not in shown and state != highlight:
            continue
        attrs = []
        if state in names:
            attrs.append(f"label={_quoted(names[state])}")
        if state in terminal:
            attrs.append("peripheries=2")
        if highlight is not None and state == highlight:
            attrs.append('fillcolor="#ffd54f", penwidth=2')
        elif state in following:
            attrs.append('color="#1565c0", penwidth=1.5')
        lines.append(f"  {state.value} [{', '.join(attrs)}];" if attrs else f"  {state.value};")
    for source, dest, trigger in edges:
        attrs = [f"label={_quoted(moves.get(trigger, trigger))}"]
        if highlight is not None and source == highlight:
            attrs.append('color="#1565c0", fontcolor="#1565c0", penwidth=2')
        lines.append(f"  {source.value} -> {dest.value} [{', '.join(attrs)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _quoted(text: str) -> str:
    """A label as a DOT string: quotes and backslashes escaped, long labels wrapped onto two lines."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    if len(escaped) > 22 and " " in escaped:
        middle = len(escaped) // 2
        cut = min((i for i, c in enumerate(escaped) if c == " "), key=lambda i: abs(i - middle))
        escaped = escaped[:cut] + "\\n" + escaped[cut + 1 :]
    return f'"{escaped}"'


def svg(workflow: Workflow[Any], highlight: StrEnum | None = None, **drawing: Any) -> bytes:
    """The diagram as SVG; ``drawing`` as :func:`dot_source` takes it."""
    dot = shutil.which("dot")
    if dot is None:
        raise DiagramError(
            "Graphviz 'dot' is not installed (Debian: apt-get install graphviz); use --format mermaid"
        )
    result = subprocess.run(  # noqa: S603 - fixed program, our own input
        [dot, "-Tsvg"],
        input=dot_source(workflow, highlight, **drawing).encode(),
        capture_output=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        raise DiagramError(result.stderr.decode(errors="replace"))
    return result.stdout
