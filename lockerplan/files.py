"""Writing outputs: staged folders, atomic renames and GIS-safe columns.

Every writer of lockerplan (the plan's folder and map, the demand files, the
sweep report, the network cache) writes through this module, so that a failure
leaves nothing half-written and replaces nothing:

* :func:`atomic_path` — one file, written beside its destination and renamed;
* :func:`staged` — many files and folders, written into a hidden temporary
  folder inside the output folder and moved into place by
  :meth:`Stage.publish` at the end;
* :func:`gis_safe` — columns that every GIS format can hold.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

log = logging.getLogger(__name__)


@contextlib.contextmanager
def atomic_path(dest: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``dest``; rename it to ``dest`` when the block succeeds.

    The temporary name keeps ``dest``'s suffixes (writers such as pyosmium pick the
    format from them). On error the temporary file is removed and ``dest`` is untouched.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> dest = pathlib.Path(tempfile.mkdtemp()) / "x.txt"
    >>> with atomic_path(dest) as tmp:
    ...     _ = tmp.write_text("hello")
    >>> dest.read_text()
    'hello'
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    suffix = "".join(dest.suffixes) or ".tmp"
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=suffix, dir=dest.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    tmp_path.unlink()  # writers that refuse to overwrite get a fresh name
    try:
        yield tmp_path
        os.replace(tmp_path, dest)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


class Stage:
    """A hidden temporary folder inside ``out`` that outputs are written into.

    Attributes
    ----------
    out : pathlib.Path
        The output folder.
    path : pathlib.Path
        The temporary folder; write files and folders here under their final names.
    """

    def __init__(self, out: Path, path: Path) -> None:
        self.out = out
        self.path = path

    def publish(self, *names: str) -> dict[str, Path]:
        """Move the named files or folders from the stage into ``out``.

        A folder of the same name in ``out`` is replaced: files in it that the new
        folder does not hold (a user's notes, say) are first moved into the new
        folder, then the old folder is moved aside into the stage (removed with
        it) and the new one moved in. Nothing lockerplan did not write is lost.

        Returns
        -------
        dict
            Final path by name.
        """
        with _locked(self.out):  # two runs into one folder publish one after the other
            return self._publish(names)

    def _publish(self, names: tuple[str, ...]) -> dict[str, Path]:
        paths = {}
        for name in names:
            src, dest = self.path / name, self.out / name
            if src.is_dir() and dest.is_dir():
                for entry in dest.iterdir():
                    if not (src / entry.name).exists():
                        os.replace(entry, src / entry.name)
                os.replace(dest, self.path / f".old-{name}")
            os.replace(src, dest)
            paths[name] = dest
        return paths


@contextlib.contextmanager
def staged(out_dir: str | Path, name: str) -> Iterator[Stage]:
    """A :class:`Stage` in ``out_dir`` (created), removed with whatever it still holds.

    Parameters
    ----------
    out_dir : str or pathlib.Path
        The output folder.
    name : str
        Names the temporary folder (``.NAME-PID-xxxx``). Stages of the same name
        left by runs that were killed (their process is gone) are removed first.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> with staged(out, "demo") as stage:
    ...     _ = (stage.path / "a.txt").write_text("a")
    ...     paths = stage.publish("a.txt")
    >>> sorted(p.name for p in out.iterdir())
    ['a.txt']
    """
    out = Path(out_dir).expanduser()
    try:
        out.mkdir(parents=True, exist_ok=True)
        _remove_dead_stages(out, name)
        tmp = Path(tempfile.mkdtemp(prefix=f".{name}-{os.getpid()}-", dir=out))
    except OSError as exc:
        what = "is a file" if out.is_file() else f"cannot be written ({exc.strerror or exc})"
        raise InputError(f"--out {str(out)!r} {what}; give a folder you can write to.") from None
    try:
        yield Stage(out, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """An exclusive lock on ``folder`` (``flock`` on its descriptor; no lock file)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no lock
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _remove_dead_stages(out: Path, name: str) -> None:
    """Remove ``.NAME-PID-*`` stages whose process no longer runs (killed runs)."""
    for stage in out.glob(f".{name}-*-*"):
        pid = stage.name[len(name) + 2 :].split("-", 1)[0]
        if stage.is_dir() and pid.isdigit() and not _running(int(pid)):
            log.info("removing the leftovers of a killed run: %s", stage)
            shutil.rmtree(stage, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def gis_safe(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A copy whose columns every GIS format can hold: plain scalars, no lists or objects.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> g = gpd.GeoDataFrame({"x": [[1, 2]]}, geometry=[shapely.Point(0, 0)])
    >>> gis_safe(g)["x"].iloc[0]
    '[1, 2]'
    """
    frame = gdf.copy()
    for col in frame.columns:
        if col != frame.geometry.name and frame[col].dtype == object:
            frame[col] = frame[col].map(
                lambda v: v if v is None or isinstance(v, str | int | float | bool) else str(v)
            )
    return frame
