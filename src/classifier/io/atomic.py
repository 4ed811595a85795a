"""Safe output: atomic file writes, output checks made before any work, and a process lock.

Why: a report or model that is half-written, written over its own input, or replaced by two
processes at once loses data.  Every file the project writes goes through
:func:`atomic_write_bytes` (temporary file in the same folder, fsync, one ``os.replace``), every
command checks its outputs with :func:`check_output_file` / :func:`check_output_dir` before it
starts working, and training holds :func:`exclusive_lock` while it replaces a model.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import tempfile
import threading
from pathlib import Path
from typing import Callable, Iterable, Iterator

from classifier.errors import InputError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one.

    The file gets the usual permissions (0666 less the umask), not the 0600 of a temp file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _writable_folder(folder: Path, out: Path) -> None:
    probe = folder
    while not probe.exists():  # the nearest existing ancestor must let us create the rest
        probe = probe.parent
    if not probe.is_dir():
        raise InputError(out, f"cannot create output here: {probe} is a file, not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise InputError(out, f"cannot write output: folder {probe} is not writable")


def check_output_file(path: str | Path, *, inputs: Iterable[str | Path] = (), suffixes: Iterable[str] = ()) -> Path:
    """Refuse, before any work, an output file that would fail or destroy data.

    Refused: an existing folder, a path equal to one of ``inputs`` (a command never overwrites
    its own input), a suffix outside ``suffixes`` (when given), an existing file that cannot be
    replaced, and a folder that cannot be written.
    """
    out = Path(path)
    if out.is_dir():
        raise InputError(out, "output is an existing folder; give a file name")
    for inp in inputs:
        inp = Path(inp)
        if _same_file(out, inp) or out.resolve() == inp.resolve():
            raise InputError(out, f"output would overwrite the input {inp}; choose another --out")
    allowed = [s.lower() for s in suffixes]
    if allowed and out.suffix.lower() not in allowed:
        raise InputError(out, f"unsupported output type '{out.suffix or '(none)'}' (use {', '.join(allowed)})")
    _writable_folder(out.parent, out)
    return out


def check_output_dir(path: str | Path, *, writes: Iterable[str] = (), inputs: Iterable[str | Path] = ()) -> Path:
    """Refuse, before any work, an output folder that is a file or unwritable, or one where a
    file the command ``writes`` would replace one of its ``inputs``."""
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise InputError(out, "output must be a folder, but a file of that name exists")
    targets = [out / name for name in writes]
    for inp in inputs:
        for target in targets:
            if _same_file(target, Path(inp)) or target.resolve() == Path(inp).resolve():
                raise InputError(out, f"output {target.name} would overwrite the input {inp}; choose another --out")
    _writable_folder(out, out)
    return out


@contextlib.contextmanager
def exclusive_lock(path: str | Path, what: str = "another atlas-coder process") -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (created if needed); wait, saying so, if it is held.

    The lock is released by the kernel when the process dies, so a killed run never leaves a
    stale lock behind.
    """
    import fcntl

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"atlas-coder: waiting for {what} to finish (lock {path})", file=sys.stderr)
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


@contextlib.contextmanager
def remembered_interrupts() -> Iterator[Callable[[], bool]]:
    """SIGINT raises KeyboardInterrupt as usual and is also remembered; yields "was there one?".

    Python swallows an exception raised inside a ``__del__`` (MLflow's git helper has one), so a
    Ctrl-C landing there would be lost and the run would go on to replace the model.  Checking
    the remembered flag before the point of no return makes every interrupt count.
    """
    if threading.current_thread() is not threading.main_thread():
        yield lambda: False
        return
    hits: list[int] = []

    def handler(sig, frame):
        hits.append(sig)
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGINT, handler)
    try:
        yield lambda: bool(hits)
    finally:
        signal.signal(signal.SIGINT, old)


@contextlib.contextmanager
def deferred_interrupts() -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block ends, so a short critical section is never cut.

    Used for the few milliseconds in which training swaps the model folder and moves the
    registry alias: an interrupt arriving then takes effect right after, with both done.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[tuple[int, object]] = []
    handlers = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        handlers[sig] = signal.signal(sig, lambda s, f: received.append((s, f)))
    try:
        yield
    finally:
        for sig, old in handlers.items():
            signal.signal(sig, old)
        for sig, frame in received[:1]:
            old = handlers[sig]
            if callable(old):
                old(sig, frame)
            elif old == signal.SIG_DFL:
                if sig == signal.SIGINT:
                    raise KeyboardInterrupt
                os.kill(os.getpid(), sig)
