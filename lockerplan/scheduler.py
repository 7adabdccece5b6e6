"""Where the work runs: this process, or Dask (``--scheduler local|tcp://HOST:PORT``).

Internal: the pipeline's plumbing (``--scheduler`` is the public side).

One Dask client serves a whole process: the first plan, roll-out phase or sweep
scenario that asks for ``"local"`` starts a :class:`distributed.LocalCluster` (one
single-threaded worker process per core, its dashboard on a free port) and the later ones reuse
it; ``"tcp://HOST:PORT"`` connects once to a running scheduler. Clients are closed
when the process exits, or by :func:`close_clients`. Dask's own log goes to
lockerplan's at DEBUG.

Examples
--------
>>> with dask_client(None) as (client, where):
...     client, where
(None, 'this process')
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import re
import socket
import struct
import time
from collections.abc import Iterator
from typing import Any

from .errors import InputError

log = logging.getLogger(__name__)

#: ``--scheduler`` values: ``"local"`` or a Dask scheduler's address.
SCHEDULER_PATTERN = re.compile(r"^(local|tcp://[^\s:/]+:\d{1,5})$")
#: Seconds to wait for a Dask scheduler to answer at ``tcp://HOST:PORT``.
CONNECT_TIMEOUT_S = 10
#: A Dask scheduler's greeting (its handshake) is a few hundred bytes; a length
#: prefix above this is another protocol's text read as a length.
GREETING_MAX_BYTES = 1 << 20
#: What to install when Dask is missing.
DASK_INSTALL = "pip install 'lockerplan[dask]'"

#: The open clients: scheduler -> (client, cluster or None, label).
_OPEN: dict[str, tuple[Any, Any, str]] = {}


def check_scheduler(scheduler: Any) -> str | None:
    """Validate a ``--scheduler`` value (``None``, ``"local"`` or ``"tcp://HOST:PORT"``).

    Raises :class:`InputError` naming ``--scheduler`` for any other text, and
    when Dask's distributed scheduler is not installed.

    Examples
    --------
    >>> check_scheduler(None) is None
    True
    >>> check_scheduler("tcp://10.0.0.5:8786")  # doctest: +SKIP
    'tcp://10.0.0.5:8786'
    >>> check_scheduler("cluster")
    Traceback (most recent call last):
    ...
    lockerplan.errors.InputError: --scheduler must be 'local' or a Dask scheduler address tcp://HOST:PORT, got 'cluster'.
    """
    if scheduler is None:
        return None
    if not (isinstance(scheduler, str) and SCHEDULER_PATTERN.match(scheduler)):
        raise InputError(
            "--scheduler must be 'local' or a Dask scheduler address tcp://HOST:PORT, "
            f"got {scheduler!r}."
        )
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise InputError(
            f"--scheduler {scheduler} needs Dask's distributed scheduler: {DASK_INSTALL}."
        ) from None
    return scheduler


def probe_scheduler(scheduler: str, timeout_s: float | None = None) -> None:
    """Check that a Dask scheduler answers at ``tcp://HOST:PORT``, within ``timeout_s``.

    A Dask scheduler greets every new connection with its handshake: an 8-byte
    length, then that many bytes of frames naming its Python and pickle
    protocol. Anything else is refused before Dask's own client sees it (which
    waits on a silent or HTTP server for minutes, and reads another protocol's
    greeting, such as SSH's ``SSH-2.0-...``, as a length of exabytes): an
    address that refuses the connection, stays silent for ``timeout_s``
    (default :data:`CONNECT_TIMEOUT_S`) or greets otherwise raises
    :class:`InputError` naming ``--scheduler`` and what answered.
    """
    timeout_s = CONNECT_TIMEOUT_S if timeout_s is None else timeout_s
    host, port = scheduler.removeprefix("tcp://").rsplit(":", 1)
    start = time.monotonic()
    fix = "start one with `dask scheduler` and workers with `dask worker ADDRESS`."
    try:
        with socket.create_connection((host, int(port)), timeout=timeout_s) as sock:
            head = _receive(sock, 8, start + timeout_s)
            (size,) = struct.unpack("Q", head)  # as Dask reads it
            if size > GREETING_MAX_BYTES:
                raise InputError(
                    f"--scheduler {scheduler}: the server there is not a Dask scheduler "
                    f"(it greeted with {_shown(head + _peek(sock))}); {fix}"
                )
            body = _receive(sock, size, start + timeout_s)
    except TimeoutError:
        raise InputError(
            f"--scheduler {scheduler}: no Dask scheduler answered there within "
            f"{timeout_s:g} s; {fix}"
        ) from None
    except OSError as exc:
        raise InputError(
            f"--scheduler {scheduler}: no Dask scheduler answers there ({exc}); {fix}"
        ) from None
    if b"pickle-protocol" not in body:
        raise InputError(
            f"--scheduler {scheduler}: the server there is not a Dask scheduler "
            f"(it greeted with {_shown(head + body)}); {fix}"
        )


def _receive(sock: socket.socket, n: int, deadline: float) -> bytes:
    """Exactly ``n`` bytes from ``sock`` before ``deadline`` (``TimeoutError`` otherwise)."""
    out = bytearray()
    while len(out) < n:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        sock.settimeout(left)
        chunk = sock.recv(min(n - len(out), 65536))
        if not chunk:
            raise ConnectionError("the server closed the connection before greeting")
        out += chunk
    return bytes(out)


def _peek(sock: socket.socket) -> bytes:
    """What else the server has already sent (up to 64 bytes, without waiting)."""
    sock.settimeout(0.2)
    try:
        return sock.recv(64)
    except OSError:
        return b""


def _shown(data: bytes) -> str:
    """The first bytes of a greeting as printable text (``'SSH-2.0-OpenSSH_9.2'``)."""
    text = data[:40].decode("ascii", "replace")
    return repr("".join(c if c.isprintable() else "?" for c in text).strip())


class _ToDebug(logging.Handler):
    """Hands Dask's log records to lockerplan's log at DEBUG (seen with ``-vv`` only)."""

    def emit(self, record: logging.LogRecord) -> None:
        log.debug("dask %s: %s", record.name, record.getMessage())


def _quiet_dask() -> None:
    quiet = logging.getLogger("distributed")
    quiet.handlers[:], quiet.propagate = [_ToDebug()], False


def _open(scheduler: str) -> tuple[Any, Any, str]:
    """A new client (and LocalCluster for ``"local"``) for ``scheduler``, with its label."""
    import distributed

    _quiet_dask()
    cluster = None
    if scheduler == "local":
        cluster = distributed.LocalCluster(
            n_workers=os.cpu_count() or 1,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # a free port: 8787 may be taken (None still binds it)
            silence_logs=logging.ERROR,
        )
        client = distributed.Client(cluster)
    else:
        probe_scheduler(scheduler)
        try:
            client = distributed.Client(scheduler, timeout=f"{CONNECT_TIMEOUT_S}s")
        except (OSError, TimeoutError) as exc:
            raise InputError(
                f"--scheduler {scheduler}: no Dask scheduler answers there ({exc}); start "
                "one with `dask scheduler` and workers with `dask worker ADDRESS`."
            ) from None
    workers = len(client.scheduler_info().get("workers", {}))
    where = "local" if scheduler == "local" else scheduler
    log.info("Dask: %s, %d worker(s)", where, workers)
    return client, cluster, f"Dask {where}, {workers} worker{'s' * (workers != 1)}"


@contextlib.contextmanager
def dask_client(scheduler: str | None) -> Iterator[tuple[Any, str]]:
    """The process's Dask client for ``scheduler`` and its label (``"Dask local, 2 workers"``).

    ``None`` yields ``(None, "this process")``: no Dask at all. Otherwise the client
    opened by an earlier call is reused (one LocalCluster per process), else one is
    opened and kept until :func:`close_clients` or the end of the process.
    """
    if check_scheduler(scheduler) is None:
        yield None, "this process"
        return
    if scheduler in _OPEN and _OPEN[scheduler][0].status != "running":
        close_clients(scheduler)
    if scheduler not in _OPEN:
        _OPEN[scheduler] = _open(scheduler)
    client, _, where = _OPEN[scheduler]
    yield client, where


def close_clients(scheduler: str | None = None) -> None:
    """Close the open Dask client of ``scheduler`` (all of them by default) and the
    LocalCluster it started."""
    for key in [scheduler] if scheduler is not None else list(_OPEN):
        client, cluster, _ = _OPEN.pop(key, (None, None, ""))
        with contextlib.suppress(Exception):  # already closed or gone
            if client is not None:
                client.close()
            if cluster is not None:
                cluster.close()


atexit.register(close_clients)
