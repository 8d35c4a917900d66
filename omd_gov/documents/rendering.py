"""Sandboxed rendering of ``.docx`` templates.

Templates are untrusted input (an admin may upload any file), so every render:

* uses a Jinja2 ``SandboxedEnvironment`` with ``autoescape=True`` and
  ``StrictUndefined``: no attribute tricks (``''.__class__.__mro__``), no
  silent blanks for unknown names, and ``&``, ``<`` and quotes come out as typed;
* runs in a separate render process with a wall-clock deadline and a memory
  cap. A runaway loop or a memory bomb gets that process killed (and
  replaced), never the web or Celery worker. The web path and the Celery task
  call the same :func:`render_docx`, so the containment does not depend on
  how Celery's pool is configured.

Render processes are forked on first use and then reused: each keeps its
warm caches and compiles a given template source once, so containment costs
a pipe round trip instead of a fork per document. A process is replaced
after a timeout, a memory failure or ``MAX_JOBS`` renders (memory stays
flat), and never touches the database connections it inherited.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import resource
import signal
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from docxtpl import DocxTemplate
from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment, SecurityError

# Render processes are forked: one starts in ~3 ms with the parent's imports
# (forkserver children re-import the caller's __main__ first on Python 3.11).
# One that inherits a lock held by another thread can only hang until the time
# limit kills it.
MAX_MESSAGE = 300
MAX_JOBS = 500  # renders per process before it is replaced
MAX_IDLE = 2  # idle render processes kept per parent process
MAX_COMPILED = 32  # compiled template sources kept per render process


class RenderError(Exception):
    """A render that failed in a way the template's author must fix.

    ``code`` is one of: timeout, memory, security, undefined, syntax, crashed,
    error. ``message`` is safe to show: it never carries a traceback, an
    object's repr or anything from the server's environment.
    """

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Limits:
    timeout: float = 30.0
    memory_mb: int = 1024


def sandbox_env() -> SandboxedEnvironment:
    return SandboxedEnvironment(autoescape=True, undefined=StrictUndefined)


class _CompileOnce(SandboxedEnvironment):
    """The render processes' sandbox: a template source is compiled once per
    process (docxtpl compiles each part's XML on every render otherwise)."""

    def __init__(self) -> None:
        super().__init__(autoescape=True, undefined=StrictUndefined)
        self._compiled: dict[str, Template] = {}

    def from_string(self, source: Any, globals: Any = None, template_class: Any = None) -> Any:
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        template = self._compiled.get(source)
        if template is None:
            if len(self._compiled) >= MAX_COMPILED:
                self._compiled.clear()
            template = self._compiled[source] = super().from_string(source)
        return template


_render_env: _CompileOnce | None = None


def render_in_process(template: bytes, context: Mapping[str, Any]) -> bytes:
    """The render itself, in the current process: runs in the render processes.
    ``generation`` calls :func:`render_docx`, which sends it there."""
    global _render_env
    if _render_env is None:
        _render_env = _CompileOnce()
    document = DocxTemplate(io.BytesIO(template))
    document.render(dict(context), jinja_env=_render_env, autoescape=True)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def render_docx(template: bytes, context: Mapping[str, Any], limits: Limits) -> bytes:
    """Render in a sandboxed render process; raise :class:`RenderError` on any failure."""
    return bytes(run_contained(render_in_process, (template, dict(context)), limits))


def run_contained(function: Callable[..., Any], args: tuple[Any, ...], limits: Limits) -> Any:
    """Call the module-level ``function(*args)`` in a render process under ``limits``.

    Its result (or its failure, as a :class:`RenderError`) comes back pickled.
    """
    worker = _POOL.acquire(limits.memory_mb)
    healthy = False
    try:
        worker.connection.send((function, args))
        worker.jobs += 1
        if not worker.connection.poll(limits.timeout):
            raise RenderError(
                "timeout",
                f"the template took longer than the {limits.timeout:g} s limit "
                "(an endless or very large loop?); it was stopped",
            )
        outcome = worker.connection.recv()
    except (EOFError, OSError):
        raise RenderError(
            "crashed", "the renderer stopped without a result (it ran out of memory?)"
        ) from None
    else:
        healthy = outcome[0] == "ok" or outcome[1] not in ("memory", "crashed")
    finally:
        _POOL.release(worker, healthy)
    if outcome[0] == "ok":
        return outcome[1]
    raise RenderError(outcome[1], outcome[2])


class _Worker:
    """One render process and the parent's end of its pipe.

    Forked with ``os.fork`` rather than ``multiprocessing.Process``: Celery's
    prefork children are daemonic, and multiprocessing refuses to start
    children from a daemonic process.
    """

    def __init__(self, memory_mb: int):
        mine, theirs = multiprocessing.Pipe()
        pid = os.fork()
        if pid == 0:  # the render process: never returns into the caller's code
            code = 1
            try:
                mine.close()  # so that the parent's exit ends our recv() with EOF
                _close_inherited(keep=theirs.fileno())
                _worker_main(theirs, memory_mb)
                code = 0
            finally:
                os._exit(code)
        theirs.close()
        self.pid, self.connection, self.memory_mb, self.jobs = pid, mine, memory_mb, 0

    def alive(self) -> bool:
        try:
            return os.waitpid(self.pid, os.WNOHANG) == (0, 0)
        except ChildProcessError:
            return False

    def stop(self) -> None:
        self.connection.close()
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass  # gone already


class _Pool:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.idle: list[_Worker] = []
        self.live: set[_Worker] = set()

    def acquire(self, memory_mb: int) -> _Worker:
        with self.lock:
            while self.idle:
                worker = self.idle.pop()
                if worker.memory_mb == memory_mb and worker.alive():
                    return worker
                self._drop(worker)
        worker = _Worker(memory_mb)
        with self.lock:
            self.live.add(worker)
        return worker

    def release(self, worker: _Worker, healthy: bool) -> None:
        with self.lock:
            if healthy and worker.jobs < MAX_JOBS and len(self.idle) < MAX_IDLE:
                self.idle.append(worker)
                return
            self._drop(worker)

    def _drop(self, worker: _Worker) -> None:
        self.live.discard(worker)
        worker.stop()

    def forget(self) -> None:
        """In any forked child: the parent's render processes are not ours, and
        holding their pipes open would keep them alive after the parent exits."""
        for worker in self.live:
            worker.connection.close()
        self.lock, self.idle, self.live = threading.Lock(), [], set()


_POOL = _Pool()
os.register_at_fork(after_in_child=_POOL.forget)


def _close_inherited(keep: int) -> None:
    """Drop every descriptor the fork copied but stdio and our pipe: a render
    process must not hold the parent's sockets and pipes open (a database
    connection, another tool's pipes), or their peers never see them close."""
    limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    os.closerange(3, keep)
    os.closerange(keep + 1, limit if limit != resource.RLIM_INFINITY else 65536)


def _worker_main(connection: Connection, memory_mb: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the worker's handlers
    _cap_memory(memory_mb)
    while True:
        try:
            function, args = connection.recv()
        except (EOFError, OSError):
            return
        try:
            outcome: tuple[Any, ...] = ("ok", function(*args))
        except BaseException as error:  # noqa: BLE001 - every failure goes back as data
            outcome = ("error", *describe(error))
        connection.send(outcome)


def _cap_memory(memory_mb: int) -> None:
    """Limit the process's address space to what it has now plus ``memory_mb``."""
    try:
        with open("/proc/self/statm") as statm:
            current = int(statm.read().split()[0]) * resource.getpagesize()
    except OSError:  # not Linux: no cap rather than a wrong one
        return
    limit = current + memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def describe(error: BaseException) -> tuple[str, str]:
    """(code, message) for a render failure, without leaking internals."""
    if isinstance(error, SecurityError):
        return "security", _clip(f"the template did something the sandbox forbids: {error}")
    if isinstance(error, UndefinedError):
        return "undefined", _clip(f"the template uses an undefined value: {error}")
    if isinstance(error, TemplateSyntaxError):
        return "syntax", _clip(f"Jinja syntax error on line {error.lineno}: {error.message}")
    if isinstance(error, TemplateError):
        return "error", _clip(f"the template failed: {error}")
    if isinstance(error, MemoryError):
        return "memory", "the template used more memory than a render may use"
    if isinstance(error, RecursionError):
        return "error", "the template recursed too deeply"
    # Anything else may carry server details in its message: name the type only.
    return "error", f"rendering failed ({type(error).__name__})"


def _clip(message: str) -> str:
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 1] + "…"
