"""A small disk cache for loaded street networks and converted extracts.

Internal: the pipeline's plumbing, not public API (it may change without notice).

Entries are keyed by the *content* hash of the input file (SHA-256), so a changed
file never gets a stale graph, plus everything else that changes the result (the
network type, loader settings and :data:`CACHE_VERSION`). Files are written to a
temporary file in the cache folder and renamed into place, so a crash never leaves
a half-written entry.

The folder is ``$LOCKERPLAN_CACHE_DIR`` when set, else ``~/.cache/lockerplan``.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import pickle
from pathlib import Path
from typing import Any

from .files import atomic_path

log = logging.getLogger(__name__)

#: Bump when the cached objects change shape; old entries are then ignored.
CACHE_VERSION = 1

#: Environment variable that overrides the cache folder.
CACHE_ENV = "LOCKERPLAN_CACHE_DIR"

_HASHES: dict[tuple[str, int, int], str] = {}


def cache_dir(path: str | Path | None = None) -> Path:
    """The cache folder: ``path``, else ``$LOCKERPLAN_CACHE_DIR``, else ``~/.cache/lockerplan``.

    Parameters
    ----------
    path : str or pathlib.Path, optional
        An explicit folder (created when missing).

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> cache_dir("/tmp/lp-cache").name
    'lp-cache'
    """
    if path is None:
        path = os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "lockerplan"
    return Path(path).expanduser()


def file_hash(path: str | Path) -> str:
    """SHA-256 of a file's content (hex), memoised in a process per path, size, times and inode.

    Examples
    --------
    >>> from lockerplan.osm import default_osm_path
    >>> len(file_hash(default_osm_path()))
    64
    """
    path = Path(path)
    st = path.stat()
    # ctime and inode change when a file is rewritten, even with its size and mtime kept
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
    if key not in _HASHES:
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        _HASHES[key] = digest.hexdigest()
    return _HASHES[key]


def cache_key(*parts: object) -> str:
    """A short, file-name-safe key from the given parts and :data:`CACHE_VERSION`.

    Examples
    --------
    >>> cache_key("abc", "walk") == cache_key("abc", "walk")
    True
    >>> cache_key("abc", "walk") == cache_key("abc", "drive")
    False
    """
    text = repr((CACHE_VERSION, *parts)).encode()
    return hashlib.sha256(text).hexdigest()[:32]


def load(key: str, directory: str | Path | None = None) -> Any | None:
    """Return the cached object for ``key``, or None when absent or unreadable."""
    path = cache_dir(directory) / f"{key}.pkl"
    if not path.exists():
        return None
    try:
        with path.open("rb") as fh:
            obj = pickle.load(fh)
    except Exception as exc:  # a corrupt or foreign entry is a miss, never an error
        log.warning("ignoring unreadable cache entry %s: %s", path, exc)
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    log.info("cache hit: %s", path)
    return obj


def discard(key: str, directory: str | Path | None = None) -> None:
    """Remove the entry for ``key`` (a broken one), if it is there."""
    with contextlib.suppress(OSError):
        (cache_dir(directory) / f"{key}.pkl").unlink()


def store(key: str, obj: Any, directory: str | Path | None = None) -> Path | None:
    """Pickle ``obj`` under ``key`` atomically; return the path (None if the folder is not writable)."""
    path = cache_dir(directory) / f"{key}.pkl"
    try:
        with atomic_path(path) as tmp, tmp.open("wb") as fh:
            pickle.dump(obj, fh, protocol=pickle.HIGHEST_PROTOCOL)
    except OSError as exc:
        log.warning("cannot write cache entry %s: %s", path, exc)
        return None
    log.info("cached %s", path)
    return path
