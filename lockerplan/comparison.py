"""The comparison page of two plans (``lockerplan compare``): its labels, where it
may be written, and the page itself.

The page is written by :func:`write_comparison` from two plan folders read back by
:func:`lockerplan.export.read_plan`; :func:`check_comparison_out` refuses an
``--out`` that would harm a plan (inside a plan folder, onto its map, into its
hidden versions) or that cannot be written.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import InputError
from .export import SUMMARY_FILE, read_plan
from .files import atomic_path
from .maps.compare import check_labels, comparison_map

if TYPE_CHECKING:  # pragma: no cover
    pass

log = logging.getLogger(__name__)

__all__ = ["check_comparison_out", "comparison_labels", "write_comparison"]


def comparison_labels(labels: str | None, folders: tuple[Path, Path]) -> tuple[str, str]:
    """``"400 m,500 m"`` as two labels; by default the folders' names (A and B when alike).

    Examples
    --------
    >>> from pathlib import Path
    >>> comparison_labels("400 m, 500 m", (Path("a"), Path("b")))
    ('400 m', '500 m')
    >>> comparison_labels(None, (Path("x/plan"), Path("y/plan")))
    ('A', 'B')
    """
    if labels is None:
        names = folders[0].name, folders[1].name
        return names if all(names) and names[0] != names[1] else ("A", "B")
    parts = [p.strip() for p in labels.split(",")]
    if len(parts) != 2:
        raise InputError(
            f"--labels must be two names separated by a comma (e.g. '400 m,500 m'), got {labels!r}."
        )
    return check_labels(parts)


def write_comparison(
    folder_a: str | Path,
    folder_b: str | Path,
    out: str | Path | None = None,
    labels: str | None = None,
) -> Path:
    """Compare two saved plan folders and write the page of
    :func:`lockerplan.maps.comparison_map` (``lockerplan compare``).

    Parameters
    ----------
    folder_a, folder_b : str or pathlib.Path
        Plan folders written by :func:`write_plan` (``OUT/NAME``, see :func:`read_plan`).
    out : str or pathlib.Path, optional
        The HTML file; by default ``<parent of A>/<nameA>_vs_<nameB>.html``.
    labels : str, optional
        The plans' names on the page, comma-separated (``"400 m,500 m"``); the
        folders' names by default.

    Returns
    -------
    pathlib.Path
        The page, written atomically (:func:`lockerplan.files.atomic_path`): nothing
        is written when anything fails.

    Raises
    ------
    InputError
        When a folder is not a readable plan (:func:`read_plan`), or ``out`` would
        go into a plan or cannot be written (:func:`check_comparison_out`).
    """
    folders = Path(os.path.abspath(folder_a)), Path(os.path.abspath(folder_b))
    names = comparison_labels(labels, folders)
    plans = read_plan(folders[0], "A"), read_plan(folders[1], "B")
    if out is None:  # beside the plans, never inside a plan's version (`cd A; compare . B`)
        dest = _outside_versions(folders[0]).parent / f"{folders[0].name}_vs_{folders[1].name}.html"
    else:
        dest = Path(os.path.abspath(out))
    check_comparison_out(dest, folders)
    fmap = comparison_map(*plans, labels=names)
    try:
        with atomic_path(dest) as tmp:
            fmap.save(str(tmp))
    except OSError as exc:
        raise InputError(f"--out: cannot write {str(dest)!r}: {exc.strerror or exc}.") from None
    log.info("comparison of %s and %s written to %s", *folders, dest)
    return dest


#: Where a plan is published (:mod:`lockerplan.files`): ``OUT/.NAME.next``, and
#: ``OUT/.NAME.plans`` where older versions of lockerplan kept a plan's versions.
_VERSIONS = re.compile(r"^\..+\.(next|plans)$")


def _outside_versions(folder: Path) -> Path:
    """``folder``, or the visible ``OUT/NAME`` of a plan folder reached inside its
    hidden version (``OUT/.NAME.plans/<stamp>/NAME``, as a shell in ``OUT/NAME`` sees it)."""
    for parent in folder.parents:
        if _VERSIONS.match(parent.name):
            return parent.parent / folder.name
    return folder


def check_comparison_out(dest: Path, folders: Iterable[Path]) -> None:
    """Refuse an ``--out`` of ``lockerplan compare`` that would harm a plan or cannot be written.

    The page may not go into a plan folder (either compared plan's, or any folder
    holding a ``summary.json``), onto a plan's map, or anywhere inside a plan's
    hidden folders (``OUT/.NAME.next``, ``OUT/.NAME.plans``: the next plan of
    that name removes them); it may not replace a folder or a special file, and its folder must be
    one that can be made and written.

    Raises
    ------
    InputError
        Naming ``--out`` and what is in the way.
    """
    real = Path(os.path.realpath(dest))
    for label, folder in zip("AB", folders, strict=False):
        plan = Path(os.path.realpath(folder))
        page = Path(os.path.realpath(_outside_versions(folder).parent / f"{folder.name}.html"))
        if real == plan or plan in real.parents:
            raise InputError(
                f"--out: {str(dest)!r} is inside plan {label} ({str(folder)!r}); a comparison "
                "never writes into a plan folder: give a file beside the plans."
            )
        if real == page:
            raise InputError(
                f"--out: {str(dest)!r} is the map of plan {label}; give another file name."
            )
    for parent in (real, *real.parents):
        if _VERSIONS.match(parent.name):
            raise InputError(
                f"--out: {str(dest)!r} is inside {str(parent)!r}, where lockerplan publishes "
                "a plan (the next plan of that name removes it); give a file "
                "beside the plans."
            )
    if (real.parent / SUMMARY_FILE).exists():
        raise InputError(
            f"--out: {str(dest)!r} is inside a plan folder ({str(real.parent)!r} holds "
            f"{SUMMARY_FILE}); give a file beside the plans."
        )
    if real.is_dir():
        raise InputError(f"--out: {str(dest)!r} is a folder; give a file name (FILE.html).")
    if real.exists() and not real.is_file():
        raise InputError(
            f"--out: {str(dest)!r} is not a regular file (a FIFO or a device); give a file "
            "name (FILE.html)."
        )
    folder = real.parent
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir():
        raise InputError(
            f"--out: cannot write {str(dest)!r}: {str(folder)!r} is a file, not a folder."
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"--out: cannot write {str(dest)!r}: {str(folder)!r} is not writable.")
