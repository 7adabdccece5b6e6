"""Readers for OR-Library facility-location benchmarks (p-median ``pmed``, capacitated ``cap``).

The files are J.E. Beasley's OR-Library formats; see ``bench/orlib/OPTIMA.md``.

* ``pmedN.txt``: ``n m p``, then ``m`` edges ``i j cost`` (1-based). Following
  OR-Library's ``pmedinfo``, a repeated edge takes the cost of its *last*
  occurrence; the distance matrix is all-pairs shortest paths.
* ``capXX.txt``: ``m n``; ``m`` lines ``capacity fixed_cost``; then per customer
  its demand and ``m`` costs of serving *all* of its demand from each warehouse.
  ``capa/capb/capc`` hold the word ``capacity`` instead of a number: pass it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import shortest_path

from lockerplan.errors import InputError

#: Capacities of the large instances (OPTIMA.md, section 2).
CAP_SETTINGS = {
    "capa": (8000, 10000, 12000, 14000),
    "capb": (5000, 6000, 7000, 8000),
    "capc": (5000, 5750, 6500, 7250),
}


@dataclass
class PMedInstance:
    """An OR-Library p-median instance: ``distances[j, i]`` site j to client i."""

    name: str
    distances: np.ndarray
    p: int


@dataclass
class CapInstance:
    """An OR-Library capacitated warehouse instance.

    ``cost[j, i]`` is the cost of serving all of customer ``i``'s demand from ``j``.
    """

    name: str
    capacity: np.ndarray
    fixed_cost: np.ndarray
    demand: np.ndarray
    cost: np.ndarray


def read_pmed(path: str | Path) -> PMedInstance:
    """Read a ``pmedN.txt`` file and compute its shortest-path distance matrix.

    Examples
    --------
    >>> import tempfile, os
    >>> f = tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False)
    >>> _ = f.write("3 3 1\\n1 2 5\\n2 3 4\\n1 2 2\\n"); f.close()
    >>> inst = read_pmed(f.name); os.unlink(f.name)
    >>> inst.p, inst.distances[0].tolist()
    (1, [0.0, 2.0, 6.0])
    """
    path = Path(path)
    tok = path.read_text().split()
    try:
        n, m, p = int(tok[0]), int(tok[1]), int(tok[2])
        edges = np.array(tok[3 : 3 + 3 * m], dtype=float).reshape(m, 3)
    except (ValueError, IndexError) as exc:
        raise InputError(f"{path}: not an OR-Library pmed file ({exc}).") from exc
    last: dict[tuple[int, int], float] = {}
    for a, b, c in zip(
        edges[:, 0].astype(int) - 1, edges[:, 1].astype(int) - 1, edges[:, 2], strict=True
    ):
        last[(min(a, b), max(a, b))] = c  # OR-Library rule: the last occurrence wins
    W = np.zeros((n, n))
    for (a, b), c in last.items():
        W[a, b] = W[b, a] = c
    D = shortest_path(sparse.csr_matrix(W), method="D", directed=False)
    return PMedInstance(path.stem, D, p)


def read_cap(path: str | Path, capacity: float | None = None) -> CapInstance:
    """Read a ``capXX.txt`` file; ``capacity`` replaces the word in ``capa/b/c``.

    Examples
    --------
    >>> import tempfile, os
    >>> f = tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False)
    >>> _ = f.write("2 1\\n10 5.0\\ncapacity 7.5\\n4\\n1.0 2.0\\n"); f.close()
    >>> inst = read_cap(f.name, capacity=8); os.unlink(f.name)
    >>> inst.capacity.tolist(), inst.cost[:, 0].tolist()
    ([10.0, 8.0], [1.0, 2.0])
    """
    path = Path(path)
    text = path.read_text()
    if re.search(r"capacity", text):
        if capacity is None:
            raise InputError(
                f"{path.name} leaves the capacity open; pass capacity= (one of "
                f"{CAP_SETTINGS.get(path.stem, 'the OR-Library values')})."
            )
        text = text.replace("capacity", str(capacity))
    tok = np.array(text.split(), dtype=float)
    m, n = int(tok[0]), int(tok[1])
    pos = 2
    cap_fix = tok[pos : pos + 2 * m].reshape(m, 2)
    pos += 2 * m
    block = tok[pos : pos + n * (m + 1)]
    if block.size != n * (m + 1):
        raise InputError(f"{path}: expected {n} customers with {m} costs each.")
    block = block.reshape(n, m + 1)
    name = f"{path.stem}-{capacity:g}" if path.stem in CAP_SETTINGS else path.stem
    return CapInstance(name, cap_fix[:, 0], cap_fix[:, 1], block[:, 0], block[:, 1:].T.copy())


def read_optima(path: str | Path) -> dict[str, float]:
    """Read ``pmedopt.txt`` / ``capopt.txt`` into ``{name: optimum}``.

    The four capacity settings of ``capa/b/c`` become ``"capa-8000"`` and so on.
    """
    out: dict[str, float] = {}
    current = None
    pattern = re.compile(r"^(\S+)?\s+([0-9.]+)\s*(?:\(capacity\s+([0-9.]+)\))?\s*$")
    for line in Path(path).read_text().splitlines():
        m = pattern.match(line) if line.strip() else None
        if not m:
            continue
        if m.group(1):
            current = m.group(1)
        if current is None:
            continue
        name = current if m.group(3) is None else f"{current}-{float(m.group(3)):g}"
        out[name] = float(m.group(2))
    return out
