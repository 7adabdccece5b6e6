"""Work spread over this machine's cores in forked processes.

Internal: the pipeline's plumbing, not public API (``LOCKERPLAN_PROCESSES`` is).

scipy's Dijkstra and PyVRP's search hold the GIL, so threads would not run them
side by side; forked processes do, and they inherit the large inputs (a street
network, road matrices) without pickling them: only the results come back.

:func:`fork_map` runs in this process instead when there is one core, when the
platform cannot fork, inside a daemon process (a Dask worker) and inside one of
its own workers (no nested pools). ``LOCKERPLAN_PROCESSES`` caps the processes
(``1``: everything in one process, for a shared machine or to compare).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .errors import InputError

#: Environment variable capping the processes :func:`fork_map` runs at once.
PROCESSES_ENV = "LOCKERPLAN_PROCESSES"
_JOB: tuple = ()  # the function and items, inherited by the pool's forked processes
_IN_WORKER = False  # set in the pool's processes


def cores() -> int:
    """Processes to run at once: the cores this process may run on, at most
    ``$LOCKERPLAN_PROCESSES`` when that is set.

    Raises
    ------
    InputError
        If ``LOCKERPLAN_PROCESSES`` is not a whole number >= 1.

    Examples
    --------
    >>> cores() >= 1
    True
    """
    here = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cap = os.environ.get(PROCESSES_ENV, "").strip()
    if not cap:
        return here or 1
    if not cap.isdigit() or int(cap) < 1:
        raise InputError(
            f"{PROCESSES_ENV}={cap!r} is not a number of processes: set a whole number "
            "such as 1 (one process) or 2, or unset it to use every core."
        )
    return max(1, min(here or 1, int(cap)))


def can_fork() -> bool:
    """Whether :func:`fork_map` would use more than this process."""
    return (
        cores() > 1
        and not _IN_WORKER
        and "fork" in multiprocessing.get_all_start_methods()
        and not multiprocessing.current_process().daemon
    )


def fork_map(func: Callable[[Any], Any], items: Iterable, *, parallel: bool = True) -> Iterator:
    """``func`` of every item, in order: in forked processes (one per core) or here.

    ``func`` may be any callable, a closure too: the processes inherit it by
    forking, and only the items' results are pickled back. Python's cycle
    collector is frozen while the processes run, so that it does not copy the
    parent's pages into each of them.

    Parameters
    ----------
    func : callable
        Called with one item.
    items : iterable
        The items.
    parallel : bool, default True
        ``False`` runs here (too little work to pay for the processes).

    Yields
    ------
    object
        ``func(item)`` in the order of ``items``; an exception in a process is
        raised here.

    Examples
    --------
    >>> list(fork_map(lambda x: x * x, [1, 2, 3]))
    [1, 4, 9]
    """
    global _JOB
    items = list(items)
    if not (parallel and len(items) > 1 and can_fork()):
        yield from map(func, items)
        return
    from concurrent.futures import ProcessPoolExecutor

    _JOB = (func, items)
    release_memory()
    gc.freeze()
    try:
        fork = multiprocessing.get_context("fork")
        workers = min(cores(), len(items))
        with ProcessPoolExecutor(workers, mp_context=fork, initializer=_enter) as pool:
            yield from pool.map(_run, range(len(items)))
    finally:
        _JOB = ()
        gc.unfreeze()


def release_memory() -> None:
    """Give the memory a solve freed back to the system (glibc keeps it otherwise).

    A metro-scale PyVRP solve frees a few hundred MB that glibc's allocator holds
    on to, so the next solve's peak would come on top of it; and a process
    about to fork should not hand its freed memory to every child. No-op off
    glibc.
    """
    name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(name) if name else None
    if libc is not None and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)


def _enter() -> None:
    """Mark a pool process (its own :func:`fork_map` calls run serially)."""
    global _IN_WORKER
    _IN_WORKER = True


def _run(k: int) -> Any:
    """The inherited function of the ``k``-th inherited item."""
    func, items = _JOB
    return func(items[k])
