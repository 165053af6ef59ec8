"""docs/cabinet.md draws every request workflow from its table: a table that changes without its diagram fails."""

from __future__ import annotations

import pytest

from backoffice.requests.kinds import KINDS, WORKFLOWS
from tests.conftest import REPO
from workflows.engine import Workflow
from workflows.request_states import RequestState

DOC = (REPO / "docs" / "cabinet.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda w: w.name)
def test_each_workflow_is_drawn_from_its_table(workflow: Workflow[RequestState]) -> None:
    assert f"### `{workflow.name}`\n\n```mermaid\n{workflow.mermaid()}```" in DOC


def test_every_kind_is_in_the_table_of_kinds() -> None:
    table = DOC.split("| kind | number | section | workflow | deadline setting |", 1)[1].split("\n\n", 1)[0]
    for kind in KINDS.values():
        assert f"`{kind.prefix}-`" in table, kind.kind
        assert f"`{kind.workflow.name}`" in table and f"`{kind.deadline_setting}`" in table
