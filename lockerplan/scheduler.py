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
from collections.abc import Iterator
from typing import Any

from .errors import InputError

log = logging.getLogger(__name__)

#: ``--scheduler`` values: ``"local"`` or a Dask scheduler's address.
SCHEDULER_PATTERN = re.compile(r"^(local|tcp://[^\s:/]+:\d{1,5})$")
#: Seconds to wait for a Dask scheduler to answer at ``tcp://HOST:PORT``.
CONNECT_TIMEOUT_S = 10
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
