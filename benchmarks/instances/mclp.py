"""Readers for public maximal-covering (MCLP) benchmark instances.

The files are those of the instance sets collected by Wang & Zhou (2024, "Cross-entropy
method for the maximal covering location problem", INFORMS Journal on Computing,
repository ``INFORMSJoC/2024.0611``, folder ``data/``). Every point is a demand point
and a candidate site; the radius and the number of sites are not in the file.

* Maximo (Máximo, Nascimento & Carvalho 2017): ``Manhattan2713``, ``Bronx3839``,
  ``SanFrancisco5137``, ``Kings7730`` — street corners of large cities, one line
  ``latitude longitude population`` each after a header line. Distances are
  great-circle metres by the spherical law of cosines on a sphere of radius
  6,378,100 m, as the instance set's own reader computes them.
* SJC (Lorena & Pereira 2002), PCB (Reinelt 1994), ZDS (Zarandi et al. 2011):
  ``x y weight`` per line after a header line; Euclidean distances.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse
from scipy.spatial import cKDTree

from lockerplan.errors import InputError

#: Earth radius (metres) of the Maximo set's distance formula (the instance set's reader).
MAXIMO_EARTH_RADIUS_M = 6_378_100.0
#: Instance names that hold latitude/longitude (great-circle distances).
GEOGRAPHIC = ("Manhattan", "Bronx", "SanFrancisco", "Kings")


@dataclass
class McInstance:
    """A maximal-covering instance: points that are both demand and candidates.

    ``xyz`` are the points on the unit sphere (geographic sets) or in the plane
    (``z = 0``); :meth:`within` gives the sparse candidate x demand distances.
    """

    name: str
    weights: np.ndarray
    coords: np.ndarray
    geographic: bool

    def within(self, radius: float) -> sparse.csr_matrix:
        """Candidate x demand distances up to ``radius`` (metres or plane units).

        Examples
        --------
        >>> inst = McInstance("t", np.ones(3), np.array([[0.0, 0], [3, 4], [10, 0]]), False)
        >>> inst.within(5.0).toarray()
        array([[0., 5., 0.],
               [5., 0., 0.],
               [0., 0., 0.]])
        >>> inst.within(5.0).nnz
        5
        """
        if self.geographic:
            lat, lon = np.radians(self.coords[:, 0]), np.radians(self.coords[:, 1])
            pts = np.column_stack(
                [np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)]
            )
            chord = 2 * np.sin(radius / MAXIMO_EARTH_RADIUS_M / 2) * (1 + 1e-9)
        else:
            pts, chord = self.coords, radius * (1 + 1e-12)
        tree = cKDTree(pts)
        pairs = tree.query_pairs(chord, output_type="ndarray")
        n = len(pts)
        a, b = (
            np.r_[pairs[:, 0], pairs[:, 1], np.arange(n)],
            np.r_[pairs[:, 1], pairs[:, 0], np.arange(n)],
        )
        if self.geographic:
            lat, lon = np.radians(self.coords[:, 0]), np.radians(self.coords[:, 1])
            cos = np.cos(lat[a]) * np.cos(lat[b]) * np.cos(lon[a] - lon[b]) + np.sin(
                lat[a]
            ) * np.sin(lat[b])
            d = np.arccos(np.clip(cos, -1.0, 1.0)) * MAXIMO_EARTH_RADIUS_M
        else:
            d = np.hypot(*(self.coords[a] - self.coords[b]).T)
        keep = d <= radius
        return sparse.csr_matrix((d[keep], (a[keep], b[keep])), shape=(n, n))


def read_instance(path: str | Path) -> McInstance:
    """Read a Maximo, SJC, PCB or ZDS instance file (see the module docstring)."""
    path = Path(path)
    try:
        rows = [line.split() for line in path.read_text(encoding="utf-8-sig").splitlines()[1:]]
    except OSError as exc:
        raise InputError(f"cannot read MCLP instance {path}: {exc}") from None
    rows = [r for r in rows if len(r) >= 3]
    if not rows:
        raise InputError(f"MCLP instance {path} has no 'x y weight' lines after its header.")
    table = np.array([[float(v) for v in r[:3]] for r in rows])
    geographic = path.stem.startswith(GEOGRAPHIC)
    return McInstance(path.stem, table[:, 2], table[:, :2], geographic)
