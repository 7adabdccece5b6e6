"""Writing outputs: staged folders, atomic renames and GIS-safe columns.

Internal: the writers' plumbing (:mod:`lockerplan.export` is the public side).

Every writer of lockerplan (the plan's folder and map, the demand files, the
sweep report, the network cache) writes through this module, so that a failure
leaves nothing half-written and replaces nothing:

* :func:`atomic_path` — one file, written beside its destination and renamed;
* :func:`staged` — many files and folders, written into a hidden temporary
  folder inside the output folder and moved into place by
  :meth:`Stage.publish` at the end;
* :meth:`Stage.publish_pair` — a plan's folder and its map, replaced together by
  one atomic rename (below);
* :func:`gis_safe` — columns that every GIS format can hold.

A plan is a pair, ``OUT/NAME/`` and ``OUT/NAME.html``, both real: a folder
of regular files and a map that is a regular file (it can be e-mailed or
zipped as it is). A reader must never be left with the folder of one plan
beside the map of another, nor either missing. Two names cannot be switched
by one rename, so a plan is published with a journal that any later run
finishes::

    OUT/.NAME.next/NAME/        the new folder (with the user's files linked in)
    OUT/.NAME.next/NAME.html    the new map

Moving the staged pair into ``OUT/.NAME.next`` with one rename is the commit
point; then the map is renamed over ``OUT/NAME.html``, files the user wrote
into the old folder meanwhile are moved into the new one, the old folder is
moved aside and the new one renamed into place, and ``.NAME.next`` is removed.
Every step can be repeated, so a run killed anywhere after the commit point is
finished by the next run (:func:`finish_pair`, also called by
:func:`lockerplan.export.read_plan`); a run killed before it leaves the old
plan as it was. Each visible file is always complete. Plans of older lockerplan
versions (symbolic links into ``OUT/.NAME.plans``) are replaced by real files
the first time.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
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

    def publish_pair(self, folder: str, page: str) -> dict[str, Path]:
        """Publish a plan's folder and its map together (see the module docstring).

        Both are read from the stage under these names. Files in the old
        folder that the plan did not write (a user's notes) are kept in the new
        one.

        Parameters
        ----------
        folder : str
            The plan's folder (``NAME``).
        page : str
            The plan's map (``NAME.html``).

        Returns
        -------
        dict
            The paths ``OUT/folder`` and ``OUT/page`` by name.
        """
        with _locked(self.out):
            _check_pair_names(self.out, folder, page)
            _finish_pair(self.out, folder, page)  # a run killed in its switch
            _commit_pair(self.path, self.out, folder, page)
            _finish_pair(self.out, folder, page)
        return {folder: self.out / folder, page: self.out / page}

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
    """Remove ``.NAME-PID-xxxx`` stages whose process no longer runs (killed runs)."""
    stage_name = re.compile(rf"\.{re.escape(name)}-(\d+)-[a-z0-9_]+")  # mkdtemp's names
    for stage in out.glob(f".{name}-*-*"):
        match = stage_name.fullmatch(stage.name)
        if match and stage.is_dir() and not _running(int(match.group(1))):
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


# ------------------------------------------------ a plan's folder and map as one


def _check_pair_names(out: Path, folder: str, page: str) -> None:
    """Refuse to replace a file by the folder (or a folder by the map): never delete those."""
    for name, want_dir in ((folder, True), (page, False)):
        path = out / name
        if path.exists() and not path.is_symlink() and path.is_dir() != want_dir:
            what = "a file" if want_dir else "a folder"
            raise InputError(
                f"{str(path)!r} is {what} that lockerplan did not write; move it away or "
                "give another --name or --out."
            )


def _journal(out: Path, folder: str) -> Path:
    return out / f".{folder}.next"


def _commit_pair(stage: Path, out: Path, folder: str, page: str) -> None:
    """Move the staged pair into ``OUT/.NAME.next`` with one rename: the commit point."""
    pending = stage / ".next"
    pending.mkdir()
    os.replace(stage / folder, pending / folder)
    os.replace(stage / page, pending / page)
    if (out / folder).is_dir():  # the user's files, linked: they stay in the old folder too
        _carry(out / folder, pending / folder, move=False)
    os.replace(pending, _journal(out, folder))


def finish_pair(out: str | Path, folder: str, page: str | None = None) -> bool:
    """Finish the publishing of a plan that a killed run left half done.

    Parameters
    ----------
    out : str or pathlib.Path
        The output folder.
    folder : str
        The plan's folder (``NAME``).
    page : str, optional
        The plan's map; ``NAME.html`` by default.

    Returns
    -------
    bool
        Whether there was anything to finish.
    """
    out = Path(out)
    if not _journal(out, folder).exists():
        return False
    with _locked(out):
        return _finish_pair(out, folder, page or f"{folder}.html")


def _finish_pair(out: Path, folder: str, page: str) -> bool:
    """Switch map and folder to the pair in ``OUT/.NAME.next``; each step may be repeated."""
    pending = _journal(out, folder)
    if not pending.is_dir():
        _remove_old_layout(out, folder)
        return False
    if (pending / page).is_file():
        os.replace(pending / page, out / page)
    new, current = pending / folder, out / folder
    if new.is_dir():
        if current.is_dir():  # a real folder, or a link of an older lockerplan
            _carry(current, new, move=True)  # files written since the commit
            if current.is_symlink():
                current.unlink()
            else:
                aside = pending / ".old"
                if aside.exists():
                    shutil.rmtree(aside)
                os.replace(current, aside)
        elif current.is_symlink():  # a dangling link
            current.unlink()
        os.replace(new, current)
    shutil.rmtree(pending, ignore_errors=True)
    _remove_old_layout(out, folder)
    return True


def _remove_old_layout(out: Path, folder: str) -> None:
    """Remove ``OUT/.NAME.plans``, the versions older lockerplans linked to, once unused."""
    versions = out / f".{folder}.plans"
    if versions.is_dir() and not (out / folder).is_symlink():
        log.info("removing the versions of an older lockerplan: %s", versions)
        shutil.rmtree(versions, ignore_errors=True)


def _carry(old: Path, new: Path, *, move: bool) -> None:
    """Carry the entries of ``old`` that ``new`` lacks (files the plan did not write).

    With ``move=False`` files are hard-linked (copied where links fail), so they
    stay in ``old`` too; with ``move=True`` they are moved.
    """
    if not old.is_dir():
        return
    for entry in old.iterdir():
        dest = new / entry.name
        if dest.exists() or dest.is_symlink():
            continue
        if move:
            os.replace(entry, dest)
        elif entry.is_symlink():
            os.symlink(os.readlink(entry), dest)
        elif entry.is_dir():
            shutil.copytree(entry, dest, symlinks=True, copy_function=_link_or_copy)
        else:
            _link_or_copy(entry, dest)


def _link_or_copy(src: str | Path, dest: str | Path) -> None:
    try:
        os.link(src, dest)
    except OSError:
        shutil.copy2(src, dest)


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
