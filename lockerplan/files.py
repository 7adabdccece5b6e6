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

A plan is a pair, ``OUT/NAME/`` and ``OUT/NAME.html``, and a reader must never
see the folder of one plan beside the map of another, nor either missing. On
POSIX each published plan is a version in a hidden folder, and the visible
names are relative symbolic links::

    OUT/.NAME.plans/<stamp>/NAME/        the folder's files
    OUT/.NAME.plans/<stamp>/NAME.html    the map
    OUT/NAME       -> .NAME.plans/<stamp>/NAME
    OUT/NAME.html  -> NAME/../NAME.html  (resolved through OUT/NAME)

The map's link never changes; publishing writes a new version and switches
``OUT/NAME`` with one :func:`os.replace` of a symbolic link, which moves folder
and map from the old plan to the new at once. Files in the old folder that the
plan did not write (a user's notes) are hard-linked into the new version before
the switch, so they are visible at every instant; the old version is removed
after it. Versions left by killed runs are removed by the next run. A real
``OUT/NAME`` folder from an older lockerplan is migrated once (its user files
carried over, the switch not atomic that one time). Where symbolic links are
not available (Windows, FAT file systems) the pair is moved into place by two
renames (:meth:`Stage.publish`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import tempfile
import time
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
        """Publish a plan's folder and its map together: one atomic switch.

        Both are read from the stage under these names; see the module docstring
        for the layout. At every instant ``OUT/folder`` and ``OUT/page`` show one
        complete plan, the old or the new one.

        Parameters
        ----------
        folder : str
            The plan's folder (``NAME``).
        page : str
            The plan's map (``NAME.html``).

        Returns
        -------
        dict
            The visible paths ``OUT/folder`` and ``OUT/page`` by name; paths
            inside the folder (``OUT/NAME/summary.json``) open through the link.
        """
        with _locked(self.out):
            _check_pair_names(self.out, folder, page)
            versions = _versions_folder(self.out, folder)
            if versions is None:
                return self._publish((folder, page))
            return _switch_pair(self.path, versions, folder, page)

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


def _versions_folder(out: Path, folder: str) -> Path | None:
    """``OUT/.NAME.plans`` (created), or None where symbolic links cannot be made there."""
    if os.name != "posix":  # Windows resolves NAME/../NAME.html by the text, not the link
        return None
    versions = out / f".{folder}.plans"
    versions.mkdir(exist_ok=True)
    probe = versions / f".probe-{os.getpid()}"
    try:
        probe.unlink(missing_ok=True)
        os.symlink(".", probe)
        probe.unlink()
    except OSError:  # a file system without symbolic links (FAT, some network shares)
        log.info("no symbolic links in %s: the plan is moved into place by two renames", out)
        with contextlib.suppress(OSError):
            versions.rmdir()  # only if empty: never delete what is there
        return None
    return versions


def _switch_pair(stage: Path, versions: Path, folder: str, page: str) -> dict[str, Path]:
    """Move the staged pair into a new version and switch ``OUT/folder`` to it."""
    out = versions.parent
    link, map_link = out / folder, out / page
    current = _current_version(link, versions, folder, page)
    _remove_versions(versions, keep=current)
    version = Path(tempfile.mkdtemp(prefix=f"{time.time_ns():020d}-", dir=versions))
    os.replace(stage / folder, version / folder)
    os.replace(stage / page, version / page)
    if current is not None:  # the user's files stay visible in the old plan until the switch
        _carry(current / folder, version / folder, move=False)
    elif link.is_dir() and not link.is_symlink():  # a folder of an older lockerplan: once
        log.info("moving %s into the versioned layout (%s)", link, versions.name)
        _carry(link, version / folder, move=False)
        os.replace(link, stage / f".old-{folder}")
    _point(link, os.path.relpath(version / folder, out), versions)  # THE switch
    _point(map_link, f"{folder}/../{page}", versions)  # unchanged after the first time
    if current is not None:
        _carry(current / folder, version / folder, move=True)  # files written meanwhile
        _remove_versions(versions, keep=version)
    return {folder: link, page: map_link}


def _current_version(link: Path, versions: Path, folder: str, page: str) -> Path | None:
    """The version ``OUT/folder`` shows; if the link is missing, the newest complete one.

    A run killed while migrating a real folder leaves no link; the newest version
    then holds the user's files, which the next run carries over.
    """
    if link.is_symlink():
        target = (link.parent / os.readlink(link)).parent
        if target.parent == versions and (target / folder).is_dir():
            return target
        return None
    if link.exists():
        return None
    complete = [v for v in versions.iterdir() if (v / folder).is_dir() and (v / page).exists()]
    return max(complete, key=lambda v: v.name, default=None)


def _remove_versions(versions: Path, keep: Path | None) -> None:
    """Remove every entry of ``versions`` but ``keep`` (old plans, killed runs' leftovers)."""
    for entry in versions.iterdir():
        if keep is not None and entry.name == keep.name:
            continue
        log.info("removing an old plan or the leftovers of a killed run: %s", entry)
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def _point(link: Path, target: str, versions: Path) -> None:
    """Make ``link`` a symbolic link to ``target`` with one atomic rename."""
    if link.is_symlink() and os.readlink(link) == target:
        return
    tmp = versions / f".link-{os.getpid()}-{link.name}"
    tmp.unlink(missing_ok=True)
    os.symlink(target, tmp)
    os.replace(tmp, link)


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
