"""Run one verification under a time and memory bound.

Why a forked child: a hostile PDF can make a pure-Python parser loop for a long
time, recurse until the C stack overflows, or allocate gigabytes.  None of that
can be interrupted reliably from inside the same process (an alarm signal only
reaches the main thread; a thread cannot be killed).  A child created with
``fork`` inherits the already-imported pyhanko, so the cost is a few
milliseconds, and the kernel enforces the bounds:

* ``setitimer(ITIMER_REAL)`` with the default SIGALRM action ends the child at
  the deadline without the parent reading any clock (so frozen clocks in tests
  do not matter);
* ``RLIMIT_AS`` caps its address space; ``RLIMIT_CPU`` is a second net.

The parent reads one length-prefixed pickle from a pipe.  Anything else — a
short read, a signal, a non-zero exit — becomes a :class:`BoundedFailure`, which
the caller turns into INDETERMINATE.  Where ``fork`` does not exist the work
runs in-process, bounded by an interval timer when on the main thread.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import resource
import select
import signal
import struct
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
A = TypeVar("A")

_HEADER = struct.Struct("!Q")
_GRACE_SECONDS = 5.0


@dataclass(frozen=True)
class BoundedFailure:
    """Why a bounded run produced no result: 'timeout', 'memory' or 'crash'."""

    reason: str
    details: str


@dataclass(frozen=True)
class Bounded(Generic[T]):
    """Either ``value`` (success) or ``failure``."""

    value: T | None = None
    failure: BoundedFailure | None = None


class _InlineTimeout(Exception):
    pass


def run_bounded(
    func: Callable[[], T],
    *,
    timeout_seconds: float,
    max_memory_bytes: int | None,
    isolate: bool = True,
) -> Bounded[T]:
    """Run ``func`` and return its result, or why it was stopped.

    ``func`` must not raise for expected problems (the verification code turns
    them into reports); an unexpected exception is reported as a crash.
    """
    if isolate and hasattr(os, "fork"):
        return _run_forked(func, timeout_seconds, max_memory_bytes)
    return _run_inline(func, timeout_seconds)


def _current_address_space() -> int:
    try:
        with open("/proc/self/statm", "rb") as fh:
            pages = int(fh.read().split()[0])
        return pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _child(func: Callable[[], T], write_fd: int, timeout: float, max_memory: int | None) -> None:
    """Body of the forked child; never returns."""
    code = 0
    try:
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.setitimer(signal.ITIMER_REAL, timeout)
        cpu = max(1, int(timeout) + 1)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        if max_memory is not None:
            limit = _current_address_space() + max_memory
            with contextlib.suppress(ValueError, OSError):
                resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        try:
            payload = pickle.dumps(("ok", func()), protocol=pickle.HIGHEST_PROTOCOL)
        except MemoryError:
            payload = pickle.dumps(("memory", "MemoryError"))
        except BaseException as exc:
            payload = pickle.dumps(("crash", f"{type(exc).__name__}: {exc}"))
        signal.setitimer(signal.ITIMER_REAL, 0)
        view = memoryview(_HEADER.pack(len(payload)) + payload)
        while view:
            written = os.write(write_fd, view)
            view = view[written:]
    except BaseException:  # never let the child run parent code
        code = 70
    finally:
        os._exit(code)


def _read_all(read_fd: int, poll_seconds: float) -> bytes | None:
    """Read until EOF; None if nothing arrives for ``poll_seconds``."""
    chunks: list[bytes] = []
    poller = select.poll()
    poller.register(read_fd, select.POLLIN | select.POLLHUP | select.POLLERR)
    while True:
        if not poller.poll(int(poll_seconds * 1000)):
            return None
        chunk = os.read(read_fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _reap_later(pid: int) -> None:
    """Collect the exited child off the hot path (its teardown takes ~1 ms)."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return
    if done == 0:
        threading.Thread(target=_wait_quietly, args=(pid,), daemon=True).start()


def _wait_quietly(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def _run_forked(func: Callable[[], T], timeout: float, max_memory: int | None) -> Bounded[T]:
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        os.close(read_fd)
        _child(func, write_fd, timeout, max_memory)
    os.close(write_fd)
    try:
        raw = _read_all(read_fd, timeout + _GRACE_SECONDS)
    finally:
        os.close(read_fd)
    if raw is not None and len(raw) >= _HEADER.size:
        (length,) = _HEADER.unpack_from(raw)
        if len(raw) == _HEADER.size + length:
            _reap_later(pid)
            kind, value = pickle.loads(raw[_HEADER.size :])  # noqa: S301 - our own child
            if kind == "ok":
                return Bounded(value=value)
            reason = "memory" if kind == "memory" else "crash"
            return Bounded(failure=BoundedFailure(reason, str(value)))
    # No complete answer: make sure the child is gone, then say why.
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig in (signal.SIGALRM, signal.SIGXCPU) or raw is None:
            return Bounded(failure=BoundedFailure("timeout", f"stopped by signal {sig}"))
        return Bounded(failure=BoundedFailure("crash", f"killed by signal {sig}"))
    return Bounded(failure=BoundedFailure("crash", f"worker exited with {status}"))


@contextlib.contextmanager
def _alarm(timeout: float) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _raise(signum: int, frame: object) -> None:
        raise _InlineTimeout

    previous = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _run_inline(func: Callable[[], T], timeout: float) -> Bounded[T]:
    try:
        with _alarm(timeout):
            return Bounded(value=func())
    except _InlineTimeout:
        return Bounded(failure=BoundedFailure("timeout", "interval timer expired"))
    except MemoryError:
        return Bounded(failure=BoundedFailure("memory", "MemoryError"))
    except Exception as exc:
        return Bounded(failure=BoundedFailure("crash", f"{type(exc).__name__}: {exc}"))


def _write_message(fd: int, payload: bytes) -> None:
    view = memoryview(_HEADER.pack(len(payload)) + payload)
    while view:
        view = view[os.write(fd, view) :]


def _read_exact(fd: int, size: int, poll_seconds: float | None) -> bytes | None:
    """Read ``size`` bytes; None on EOF or when nothing arrives in time."""
    chunks: list[bytes] = []
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
    while size > 0:
        timeout_ms = None if poll_seconds is None else int(poll_seconds * 1000)
        if not poller.poll(timeout_ms):
            return None
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _read_message(fd: int, poll_seconds: float | None) -> bytes | None:
    header = _read_exact(fd, _HEADER.size, poll_seconds)
    if header is None:
        return None
    (length,) = _HEADER.unpack(header)
    return _read_exact(fd, length, poll_seconds)


class PersistentWorker(Generic[A, T]):
    """One long-lived forked worker that runs ``func(arg)`` call after call.

    Why: a fork per call costs a few milliseconds plus copy-on-write faults as
    the child touches the inherited heap — as much as validating a small PDF.
    A batch (the intake job, the benchmark) pays that once.  The bounds stay
    kernel-enforced: every call arms ``ITIMER_REAL`` in the worker (default
    SIGALRM action ends it), the worker's address space is capped, and a worker
    that timed out, crashed or ran out of memory is replaced on the next call.
    The worker is owned by this object (use it as a context manager); there is
    no module-level pool.
    """

    def __init__(self, func: Callable[[A], T], *, timeout_seconds: float, max_memory_bytes: int | None) -> None:
        self._func = func
        self._timeout = timeout_seconds
        self._max_memory = max_memory_bytes
        self._pid: int | None = None
        self._req_fd = -1
        self._resp_fd = -1

    def __enter__(self) -> PersistentWorker[A, T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _spawn(self) -> None:
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child
            os.close(req_w)
            os.close(resp_r)
            self._serve(req_r, resp_w)
        os.close(req_r)
        os.close(resp_w)
        self._pid, self._req_fd, self._resp_fd = pid, req_w, resp_r

    def _serve(self, req_fd: int, resp_fd: int) -> None:
        code = 0
        try:
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            if self._max_memory is not None:
                limit = _current_address_space() + self._max_memory
                with contextlib.suppress(ValueError, OSError):
                    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            while True:
                raw = _read_message(req_fd, None)
                if raw is None:
                    break
                signal.setitimer(signal.ITIMER_REAL, self._timeout)
                kind = "ok"
                try:
                    result = self._func(pickle.loads(raw))  # noqa: S301 - from our parent
                    payload = pickle.dumps((kind, result), pickle.HIGHEST_PROTOCOL)
                except MemoryError:
                    kind = "memory"
                    payload = pickle.dumps((kind, "MemoryError"))
                except BaseException as exc:
                    kind = "crash"
                    payload = pickle.dumps((kind, f"{type(exc).__name__}: {exc}"))
                signal.setitimer(signal.ITIMER_REAL, 0)
                _write_message(resp_fd, payload)
                if kind != "ok":
                    break  # a worker in an unknown state is not reused
        except BaseException:  # never let the child run parent code
            code = 70
        finally:
            os._exit(code)

    def call(self, arg: A) -> Bounded[T]:
        """Run one call; on any failure the worker is discarded."""
        if self._pid is None:
            self._spawn()
        try:
            _write_message(self._req_fd, pickle.dumps(arg, pickle.HIGHEST_PROTOCOL))
            raw = _read_message(self._resp_fd, self._timeout + _GRACE_SECONDS)
        except OSError:
            raw = None
        if raw is not None:
            kind, value = pickle.loads(raw)  # noqa: S301 - our own child
            if kind == "ok":
                return Bounded(value=value)
            self._discard()
            return Bounded(failure=BoundedFailure("memory" if kind == "memory" else "crash", str(value)))
        status = self._discard()
        if (
            status is not None
            and os.WIFSIGNALED(status)
            and os.WTERMSIG(status)
            not in (
                signal.SIGALRM,
                signal.SIGKILL,
            )
        ):
            return Bounded(failure=BoundedFailure("crash", f"killed by signal {os.WTERMSIG(status)}"))
        return Bounded(failure=BoundedFailure("timeout", "worker stopped at the deadline"))

    def _discard(self) -> int | None:
        pid, self._pid = self._pid, None
        for fd in (self._req_fd, self._resp_fd):
            with contextlib.suppress(OSError):
                os.close(fd)
        if pid is None:
            return None
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:
            return None
        return status

    def close(self) -> None:
        """Stop the worker (idempotent)."""
        self._discard()
