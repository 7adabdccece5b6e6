"""Routing benchmark instances: CVRPLIB (A/B/P/X), Cordeau MDVRP and Solomon VRPTW.

Every reader returns one :class:`Instance` with *integer* distances scaled by the
set's convention (see ``../shared/bench/cvrplib/BKS.md``), so that one PyVRP
model builder (:func:`to_pyvrp`) and one OR-Tools model builder (used by
``benchmarks/routing.py``) serve all three sets:

* CVRP A/B/P/X: EUC_2D rounded to the nearest integer (scale 1);
* Cordeau MDVRP: double-precision Euclidean, scaled by 1000 and rounded (scale 1000);
* Solomon VRPTW: DIMACS convention, Euclidean x 10 truncated (scale 10); time
  windows and service times are scaled by 10 as well.

A solution's cost in the set's own units is ``integer cost / scale``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyvrp
import vrplib

from lockerplan.errors import InputError

INF = np.iinfo(np.int64).max


@dataclass
class Instance:
    """A routing instance with integer, scaled data.

    Attributes
    ----------
    name : str
        Instance name (file stem).
    kind : str
        ``"cvrp"``, ``"mdvrp"`` or ``"vrptw"``.
    xy : numpy.ndarray
        Coordinates of every location, depots first, shape ``(n, 2)``.
    n_depots : int
        Number of depots (the first ``n_depots`` locations).
    demand : numpy.ndarray
        Integer demand per location (0 at depots).
    capacity : int
        Vehicle capacity.
    vehicles_per_depot : int
        Vehicles available at each depot.
    distance : numpy.ndarray
        Integer distance matrix (scaled), also used as the duration matrix.
    scale : float
        Divide an integer cost by this to get the set's units.
    service : numpy.ndarray
        Integer service time per location (scaled).
    tw_early, tw_late : numpy.ndarray
        Integer time windows per location (scaled); ``tw_late`` is ``INF`` when open.
    max_duration : int
        Longest route duration (scaled); ``INF`` when unlimited.
    """

    name: str
    kind: str
    xy: np.ndarray
    n_depots: int
    demand: np.ndarray
    capacity: int
    vehicles_per_depot: int
    distance: np.ndarray
    scale: float
    service: np.ndarray
    tw_early: np.ndarray
    tw_late: np.ndarray
    max_duration: int = INF

    @property
    def n_clients(self) -> int:
        """Number of clients."""
        return len(self.xy) - self.n_depots


def _euclid(xy: np.ndarray) -> np.ndarray:
    diff = xy[:, None, :] - xy[None, :, :]
    return np.sqrt((diff**2).sum(axis=-1))


def read_cvrp(path: str | Path) -> Instance:
    """Read a CVRPLIB ``.vrp`` file (EUC_2D, rounded to the nearest integer).

    Examples
    --------
    >>> inst = read_cvrp("../shared/bench/cvrplib/cvrp/A-n32-k5.vrp")  # doctest: +SKIP
    >>> inst.n_clients, inst.capacity  # doctest: +SKIP
    (31, 100)
    """
    path = Path(path)
    raw = vrplib.read_instance(path)
    if raw.get("edge_weight_type", "EUC_2D") != "EUC_2D":
        raise InputError(f"{path}: only EUC_2D CVRP instances are supported.")
    xy = np.asarray(raw["node_coord"], dtype=float)
    depot = int(np.atleast_1d(raw["depot"])[0])
    order = np.r_[depot, np.delete(np.arange(len(xy)), depot)]
    xy = xy[order]
    n = len(xy)
    demand = np.asarray(raw["demand"], dtype=np.int64)[order]
    match = re.search(r"-k(\d+)", path.stem)
    min_vehicles = int(match.group(1)) if match else 1
    # unlimited fleet in practice: one vehicle per client
    return Instance(
        name=path.stem,
        kind="cvrp",
        xy=xy,
        n_depots=1,
        demand=demand,
        capacity=int(raw["capacity"]),
        vehicles_per_depot=max(n - 1, min_vehicles),
        distance=np.floor(_euclid(xy) + 0.5).astype(np.int64),
        scale=1.0,
        service=np.zeros(n, dtype=np.int64),
        tw_early=np.zeros(n, dtype=np.int64),
        tw_late=np.full(n, INF, dtype=np.int64),
    )


def read_cordeau(path: str | Path) -> Instance:
    """Read a Cordeau et al. (1997) multi-depot instance (type 2, MDVRP).

    Distances are double-precision Euclidean scaled by 1000 and rounded.

    Examples
    --------
    >>> inst = read_cordeau("../shared/bench/cvrplib/mdvrp/p01.txt")  # doctest: +SKIP
    >>> inst.n_depots, inst.vehicles_per_depot, inst.n_clients  # doctest: +SKIP
    (4, 4, 50)
    """
    path = Path(path)
    lines = [ln.split() for ln in path.read_text().splitlines() if ln.strip()]
    kind, m, n, t = (int(v) for v in lines[0][:4])
    if kind != 2:
        raise InputError(f"{path}: problem type {kind} is not MDVRP (type 2).")
    limits = [(float(a), int(float(b))) for a, b in (ln[:2] for ln in lines[1 : 1 + t])]
    customers = lines[1 + t : 1 + t + n]
    depots = lines[1 + t + n : 1 + t + n + t]
    scale = 1000.0
    xy = np.array([[float(r[1]), float(r[2])] for r in depots + customers])
    service = np.array([0.0] * t + [float(r[3]) for r in customers])
    demand = np.array([0] * t + [int(float(r[4])) for r in customers], dtype=np.int64)
    max_d = limits[0][0]
    size = t + n
    return Instance(
        name=path.stem,
        kind="mdvrp",
        xy=xy,
        n_depots=t,
        demand=demand,
        capacity=limits[0][1],
        vehicles_per_depot=m,
        distance=np.rint(_euclid(xy) * scale).astype(np.int64),
        scale=scale,
        service=np.rint(service * scale).astype(np.int64),
        tw_early=np.zeros(size, dtype=np.int64),
        tw_late=np.full(size, INF, dtype=np.int64),
        max_duration=int(round(max_d * scale)) if max_d > 0 else INF,
    )


def read_solomon(path: str | Path) -> Instance:
    """Read a Solomon VRPTW instance with the DIMACS convention (x 10, truncated).

    Examples
    --------
    >>> inst = read_solomon("../shared/bench/cvrplib/vrptw/C101.txt")  # doctest: +SKIP
    >>> inst.vehicles_per_depot, inst.capacity  # doctest: +SKIP
    (25, 200)
    """
    path = Path(path)
    raw = vrplib.read_instance(path, instance_format="solomon")
    xy = np.asarray(raw["node_coord"], dtype=float)
    tw = np.asarray(raw["time_window"], dtype=float)
    return Instance(
        name=path.stem,
        kind="vrptw",
        xy=xy,
        n_depots=1,
        demand=np.asarray(raw["demand"], dtype=np.int64),
        capacity=int(raw["capacity"]),
        vehicles_per_depot=int(raw["vehicles"]),
        distance=np.floor(_euclid(xy) * 10 + 1e-9).astype(np.int64),
        scale=10.0,
        service=np.floor(np.asarray(raw["service_time"], dtype=float) * 10).astype(np.int64),
        tw_early=np.floor(tw[:, 0] * 10).astype(np.int64),
        tw_late=np.floor(tw[:, 1] * 10).astype(np.int64),
    )


def read_instance(path: str | Path) -> Instance:
    """Read any supported instance, choosing the reader from the file.

    ``.vrp`` files are CVRPLIB; a file whose first line has four integers is
    Cordeau; anything else is read as Solomon.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"instance file {path} does not exist; check --data and --instances.")
    if path.suffix == ".vrp":
        return read_cvrp(path)
    first = path.read_text().split("\n", 1)[0].split()
    if len(first) == 4 and all(v.lstrip("-").isdigit() for v in first):
        return read_cordeau(path)
    return read_solomon(path)


def to_pyvrp(inst: Instance) -> pyvrp.ProblemData:
    """PyVRP problem data for an instance (distance objective, durations = distances).

    Examples
    --------
    >>> data = to_pyvrp(read_instance("A-n32-k5.vrp"))  # doctest: +SKIP
    >>> data.num_clients  # doctest: +SKIP
    31
    """
    locations = [pyvrp.Location(int(round(x)), int(round(y))) for x, y in inst.xy]
    t = inst.n_depots
    depots = [
        pyvrp.Depot(d, tw_early=int(inst.tw_early[d]), tw_late=int(inst.tw_late[d]))
        for d in range(t)
    ]
    clients = [
        pyvrp.Client(
            i,
            delivery=[int(inst.demand[i])],
            service_duration=int(inst.service[i]),
            tw_early=int(inst.tw_early[i]),
            tw_late=int(inst.tw_late[i]),
        )
        for i in range(t, len(inst.xy))
    ]
    vehicle_types = [
        pyvrp.VehicleType(
            num_available=inst.vehicles_per_depot,
            capacity=[inst.capacity],
            start_depot=d,
            end_depot=d,
            tw_early=int(inst.tw_early[d]),
            tw_late=int(inst.tw_late[d]),
            shift_duration=int(inst.max_duration),
        )
        for d in range(t)
    ]
    dist = np.ascontiguousarray(inst.distance, dtype=np.int64)
    np.fill_diagonal(dist, 0)
    return pyvrp.ProblemData(locations, clients, depots, vehicle_types, [dist], [dist])


def read_bks(path: str | Path) -> float | None:
    """The cost in a ``.sol`` file next to an instance, or ``None`` when absent."""
    sol = Path(path).with_suffix(".sol")
    if not sol.is_file():
        return None
    return float(vrplib.read_solution(sol)["cost"])
