"""A hostile file cannot hang or exhaust the process; limits give INDETERMINATE."""

from __future__ import annotations

import time

from signatures import Indication, verify
from signatures.isolation import run_bounded


def test_file_over_the_size_limit_is_not_parsed(pki, docs):
    report = verify(docs.signed_pdf(), policy=pki.policy(max_file_bytes=1000))
    assert report.indication is Indication.INDETERMINATE
    assert report.message_code == "FILE_TOO_LARGE"


def test_pdf_over_the_page_limit(pki, docs):
    signed = docs.signed_pdf()
    report = verify(signed.replace(b"/Count 1", b"/Count 9", 1), policy=pki.policy(max_pages=5))
    assert report.message_code == "TOO_MANY_PAGES"
    assert report.indication is Indication.INDETERMINATE


def _spin() -> int:
    while True:
        pass


def test_runaway_work_is_stopped_at_the_deadline():
    started = time.perf_counter()
    outcome = run_bounded(_spin, timeout_seconds=0.5, max_memory_bytes=None)
    assert outcome.value is None
    assert outcome.failure is not None and outcome.failure.reason == "timeout"
    assert time.perf_counter() - started < 5


def _hog() -> int:
    blocks = []
    while True:
        blocks.append(bytearray(50 * 1024 * 1024))


def test_memory_hog_is_stopped_without_hurting_the_caller():
    outcome = run_bounded(_hog, timeout_seconds=10, max_memory_bytes=200 * 1024 * 1024)
    assert outcome.failure is not None and outcome.failure.reason == "memory"


def test_inline_mode_also_has_a_deadline_on_the_main_thread():
    outcome = run_bounded(_spin, timeout_seconds=0.3, max_memory_bytes=None, isolate=False)
    assert outcome.failure is not None and outcome.failure.reason == "timeout"


def test_timeout_becomes_an_indeterminate_report(pki, docs, monkeypatch):
    import signatures.api as api

    monkeypatch.setattr(api, "_verify_unbounded", lambda *a: _spin())
    report = verify(docs.signed_pdf(), policy=pki.policy(timeout_seconds=0.3))
    assert report.indication is Indication.INDETERMINATE
    assert report.message_code == "TIMEOUT"
    assert report.manual_review


def test_isolated_and_inline_verdicts_agree(pki, docs):
    a = verify(docs.signed_pdf(), policy=pki.policy())
    b = verify(docs.signed_pdf(), policy=pki.policy(isolate=False))
    assert a.to_json() == b.to_json()


def test_verifier_reuses_one_worker_and_survives_a_timeout(pki, docs, monkeypatch):
    from signatures import Verifier

    with Verifier(pki.policy(timeout_seconds=2)) as verifier:
        first = verifier.verify(docs.signed_pdf(), filename="a.pdf")
        second = verifier.verify(docs.signed_pdf("other"), filename="b.pdf")
        assert first.passed and second.passed
        assert first.to_json() == verify(docs.signed_pdf(), filename="a.pdf", policy=pki.policy()).to_json()
        worker_pid = verifier._worker._pid
        assert worker_pid is not None
        verifier.verify(docs.signed_pdf(), filename="c.pdf")
        assert verifier._worker._pid == worker_pid  # same process, no fork per file

        import signatures.api as api

        monkeypatch.setattr(api, "_verify_unbounded", lambda *a: _spin())
        # The deadline must leave a fresh worker room to verify a real file on a
        # busy machine: it is what the second call below is held to.
        verifier_slow = Verifier(pki.policy(timeout_seconds=2))
        try:
            report = verifier_slow.verify(docs.signed_pdf())
            assert report.message_code == "TIMEOUT"
            monkeypatch.undo()
            # the worker was replaced and works again (fresh fork sees the real function)
            assert verifier_slow.verify(docs.signed_pdf()).passed
        finally:
            verifier_slow.close()
