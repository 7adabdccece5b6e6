"""Shared pieces of the demand stage: the model, the result and its drop table, study areas."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from ..errors import InputError
from ..inputs import rows_text
from ..scenario import DemandParams

log = logging.getLogger(__name__)

#: Columns of every ``dropped`` table (compatible with :attr:`lockerplan.Plan.dropped`).
DROP_COLUMNS = ["layer", "id", "source", "parcels_per_day", "reason"]
#: Columns every source returns (sources may add their own after these).
POINT_COLUMNS = ["demand_id", "source", "source_id", "parcels_per_day", "geometry"]
CLUSTER_COLUMNS = [
    "cluster_id",
    "parcels_per_day",
    "members",
    "member_ids",
    "spread_m",
    "mean_m",
    "geometry",
]

REASON_OUTSIDE = "outside study area"
REASON_ZERO = "zero parcels"
#: The most parcels per day lockerplan plans for in one study area: ten times a large
#: metro area's year-end peak. More is a weight, a factor or a span of days gone
#: wrong, and numbers that large break the siting models.
MAX_PARCELS_PER_DAY = 1e7
#: The most parcels per day of one row of a demand file (an address, a grid cell):
#: far beyond any address's deliveries; the door-to-door routes of a point with
#: millions a day do not fit in memory.
MAX_ROW_PARCELS_PER_DAY = 1e5


StudyArea = BaseGeometry | gpd.GeoDataFrame | gpd.GeoSeries | tuple[float, float, float, float]


#: Parameters of the demand model: the scenario's demand section (its defaults and
#: their sources: :mod:`lockerplan.scenario.demand`).
DemandModel = DemandParams


@dataclass
class DemandResult:
    """Demand points from one source and what was dropped on the way.

    Attributes
    ----------
    points : geopandas.GeoDataFrame
        Usable demand points (EPSG:4326): ``demand_id``, ``source``, ``source_id``,
        ``parcels_per_day`` (> 0) and source-specific columns.
    dropped : pandas.DataFrame
        One row per dropped input row or part of it, columns :data:`DROP_COLUMNS`:
        ``layer`` (``"demand_points"``), ``id`` (the input's id: OSM id, file row
        ``"row 12"`` or the id column), ``source``, ``parcels_per_day`` (what it
        would have carried; ``NaN`` when its weight could not be read) and
        ``reason`` (``"outside study area"``, ``"zero parcels"``,
        ``"invalid: ..."``). Append it to :attr:`lockerplan.Plan.dropped`.
    source : str
        ``"osm_building"``, ``"population_grid"`` or ``"demand_file"``.

    Examples
    --------
    >>> result = read_demand_file("orders.csv", weight_column="parcels")  # doctest: +SKIP
    >>> print(result.summary())  # doctest: +SKIP
    demand_file: 9,998 points, 10,412.0 parcels/day; dropped 2 rows (3.0 parcels/day) ...
    """

    points: gpd.GeoDataFrame
    dropped: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=DROP_COLUMNS))
    source: str = "demand"

    @property
    def parcels(self) -> float:
        """Parcels per day in the usable points."""
        return float(self.points["parcels_per_day"].sum())

    @property
    def parcels_dropped(self) -> float:
        """Parcels per day dropped (rows whose weight could not be read count 0)."""
        return float(np.nansum(self.dropped["parcels_per_day"].to_numpy(dtype=float)))

    @property
    def parcels_in(self) -> float:
        """Parcels per day read from the input: usable + dropped."""
        return self.parcels + self.parcels_dropped

    def summary(self) -> str:
        """One line: points, parcels and drops by reason."""
        text = f"{self.source}: {len(self.points):,} points, {self.parcels:,.1f} parcels/day"
        if len(self.dropped):
            by = self.dropped.groupby("reason")["parcels_per_day"].agg(["size", "sum"])
            parts = "; ".join(
                f"{r}: {int(n)} ({s:,.1f} parcels/day)" for r, (n, s) in by.iterrows()
            )
            text += f"; dropped {len(self.dropped):,} ({parts})"
        return text


# --------------------------------------------------------------------------- helpers


def empty_points(extra: Iterable[str] = ()) -> gpd.GeoDataFrame:
    cols = POINT_COLUMNS[:-1] + list(extra) + ["geometry"]
    return gpd.GeoDataFrame(columns=cols, geometry="geometry", crs="EPSG:4326")


def drop_rows(
    ids: Iterable[Any], source: str, parcels: Iterable[float], reason: Any
) -> pd.DataFrame:
    ids = [str(i) for i in ids]
    frame = pd.DataFrame(
        {
            "layer": "demand_points",
            "id": ids,
            "source": source,
            "parcels_per_day": np.asarray(list(parcels), dtype=float),
            "reason": reason,
        },
        columns=DROP_COLUMNS,
    )
    return frame


def _concat_drops(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=DROP_COLUMNS).astype({"parcels_per_day": float})
    return pd.concat(frames, ignore_index=True)


def study_area_geometry(area: StudyArea | None) -> BaseGeometry | None:
    """Normalise a study area to one shapely geometry in EPSG:4326.

    Parameters
    ----------
    area : shapely geometry, GeoDataFrame, GeoSeries or (west, south, east, north)
        Polygons in EPSG:4326 (GeoDataFrames in any CRS are reprojected), or a
        bounding box in degrees. ``None`` means no limit.

    Examples
    --------
    >>> study_area_geometry((24.93, 60.16, 24.96, 60.18)).bounds
    (24.93, 60.16, 24.96, 60.18)
    """
    if area is None:
        return None
    if isinstance(area, gpd.GeoDataFrame | gpd.GeoSeries):
        if area.crs is None:
            raise InputError("study area has no CRS; set it (e.g. EPSG:4326).")
        return area.to_crs("EPSG:4326").union_all()
    if isinstance(area, BaseGeometry):
        return area
    try:
        w, s, e, n = (float(v) for v in area)
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"study area must be a geometry or (west, south, east, north), got {area!r}."
        ) from exc
    if not (w < e and s < n):
        raise InputError(f"study area bbox (west, south, east, north) is empty: {area!r}.")
    return shapely.box(w, s, e, n)


def inside_area(points: gpd.GeoSeries, area: BaseGeometry | None) -> np.ndarray:
    if area is None:
        return np.ones(len(points), dtype=bool)
    return shapely.covers(area, points.to_numpy())


def finish(
    points: gpd.GeoDataFrame,
    drops: list[pd.DataFrame],
    source: str,
    area: BaseGeometry | None,
) -> DemandResult:
    """Drop zero-parcel and outside points (reported), number the rest."""
    inside = inside_area(points.geometry, area)
    out = points[~inside]
    drops.append(drop_rows(out["source_id"], source, out["parcels_per_day"], REASON_OUTSIDE))
    points = points[inside]
    zero = (points["parcels_per_day"] <= 0).to_numpy()
    drops.append(
        drop_rows(points.loc[zero, "source_id"], source, np.zeros(zero.sum()), REASON_ZERO)
    )
    points = points[~zero].reset_index(drop=True)
    prefix = {"osm_building": "b", "population_grid": "g", "demand_file": "d"}.get(source, "p")
    points["demand_id"] = [f"{prefix}{i}" for i in range(len(points))]
    points = points.rename_geometry("geometry") if points.geometry.name != "geometry" else points
    extra = [c for c in points.columns if c not in POINT_COLUMNS]
    points = gpd.GeoDataFrame(points[POINT_COLUMNS[:-1] + extra + ["geometry"]], crs="EPSG:4326")
    result = DemandResult(points=points, dropped=_concat_drops(drops), source=source)
    log.info("demand: %s", result.summary())
    return result


def raise_or_drop(errors: str, bad: np.ndarray, message: str, rows: np.ndarray, label: str) -> None:
    if errors == "raise" and bad.any():
        raise InputError(f"{message} on {rows_text(rows[bad], label=label)}.")


def check_errors(errors: str) -> None:
    if errors not in ("drop", "raise"):
        raise InputError(f"errors must be 'drop' or 'raise', got {errors!r}.")


def check_positive(**values: float) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise InputError(f"{name} must be a number > 0, got {value!r}.")
