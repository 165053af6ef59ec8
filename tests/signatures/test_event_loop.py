"""The verifier is called from code that already runs an event loop (an async server, a browser driver): it still
gives its verdict instead of failing with "asyncio.run() cannot be called from a running event loop"."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from signatures import Indication, Verifier, verify


def test_verify_inside_a_running_event_loop(pki, docs):
    signed = docs.signed_pdf()

    async def caller():
        return verify(signed, filename="zayava.pdf", policy=pki.policy())

    report = asyncio.run(caller())
    assert report.indication is Indication.TOTAL_PASSED


def test_in_process_verifier_inside_a_running_event_loop(pki, docs):
    signed = docs.signed_pdf()

    async def caller():
        with Verifier(replace(pki.policy(), isolate=False)) as verifier:
            return verifier.verify(signed, filename="zayava.pdf")

    assert asyncio.run(caller()).indication is Indication.TOTAL_PASSED
