"""Delivery zones: door-to-door routing of a metro area's many stops, approximated.

Routing every demand cluster of a metro area as its own stop does not fit a
machine (Greater Porto with 150k orders: 38,857 clusters, a 38,857² distance
matrix, 23 GB before PyVRP had started). Above :data:`MAX_DOOR_STOPS` stops the
clusters are grouped into that many *zones* (k-means on their positions); each
zone is one routed stop at its most central cluster, carrying the zone's parcels.
The van's tour inside a zone is not routed but estimated with the
Beardwood-Halton-Hammersley law used in continuum logistics (Daganzo 1984): a
tour through ``n`` points spread over an area ``A`` is about ``0.7124 *
sqrt(n * A)`` long, times :data:`CIRCUITY` for the street network. The zone's
stop then takes, besides its parcels, that tour at :data:`LOCAL_SPEED_KMH` and a
parking stop per cluster; its km are added to the route that serves it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

log = logging.getLogger("lockerplan.routing")

#: Stops above which door-to-door stops are grouped into zones.
MAX_DOOR_STOPS = 1500
#: Most seconds of work in one zone (parcels, inner tour, parking); larger zones split.
MAX_ZONE_S = 8 * 3600
#: Most parcels of a zone one van visit hands out (60 x 90 s is 1.5 h at the doors),
#: so that a far zone's visit still fits a shift; a van may make several visits.
DOOR_VISIT_PARCELS = 60
#: Beardwood-Halton-Hammersley constant of the tour through random points (Euclidean).
BHH = 0.7124
#: Street distance per straight-line distance (urban road networks: about 1.2-1.4).
CIRCUITY = 1.3
#: Speed of the van between stops inside a zone, km/h (urban, stop-and-go).
LOCAL_SPEED_KMH = 20.0


@dataclass
class Zones:
    """Stops grouped into zones.

    Attributes
    ----------
    stops : geopandas.GeoDataFrame
        One stop per zone: ``site_id`` (``zone<k>``), ``parcels_per_day`` and
        ``extra_s_per_parcel`` (the zone's inner tour and parking, per parcel).
    km_per_parcel : pandas.Series
        Inner-tour km per parcel, by zone ``site_id``.
    members : pandas.Series
        The zone ``site_id`` of every original stop, by its ``site_id``.
    """

    stops: gpd.GeoDataFrame
    km_per_parcel: pd.Series
    members: pd.Series


def door_zones(
    stops: gpd.GeoDataFrame,
    n_zones: int,
    stop_service_s: float,
    parcel_s: float = 0.0,
    seed: int = 0,
) -> Zones:
    """Group door-to-door ``stops`` (``site_id``, ``parcels_per_day``, points) into zones.

    ``n_zones`` zones by k-means; a zone whose work (parcels x ``parcel_s``, its
    inner tour and parking) is above :data:`MAX_ZONE_S` is split in two until it
    fits, so that a van can always serve a zone within its shift.

    Examples
    --------
    >>> pts = gpd.GeoDataFrame({"site_id": ["a", "b", "c", "d"], "parcels_per_day": 1.0},
    ...     geometry=gpd.points_from_xy([24.93, 24.931, 24.95, 24.951], [60.16] * 4), crs=4326)
    >>> z = door_zones(pts, 2, stop_service_s=60)
    >>> sorted(z.stops["parcels_per_day"].tolist()), z.members.nunique()
    ([2.0, 2.0], 2)
    """
    from sklearn.cluster import KMeans

    metric = stops.to_crs(stops.estimate_utm_crs())
    xy = np.column_stack([metric.geometry.x, metric.geometry.y])
    label = KMeans(n_clusters=n_zones, n_init=1, random_state=seed).fit_predict(xy)
    parcels = stops["parcels_per_day"].to_numpy(dtype=float)
    todo = [np.flatnonzero(label == k) for k in range(n_zones)]
    rows, km, extra, zone_of = [], [], [], np.zeros(len(stops), dtype=int)
    while todo:
        idx = todo.pop()
        if not len(idx):
            continue
        area = shapely.MultiPoint(xy[idx]).convex_hull.area if len(idx) > 2 else 0.0
        tour_km = BHH * np.sqrt(len(idx) * area) * CIRCUITY / 1000
        total = float(parcels[idx].sum())
        seconds = tour_km / LOCAL_SPEED_KMH * 3600 + (len(idx) - 1) * stop_service_s
        if len(idx) > 1 and seconds + total * parcel_s > MAX_ZONE_S:
            half = KMeans(n_clusters=2, n_init=1, random_state=seed).fit_predict(xy[idx])
            todo += [idx[half == 0], idx[half == 1]]
            continue
        centre = xy[idx].mean(axis=0)
        lead = idx[np.argmin(np.hypot(*(xy[idx] - centre).T))]
        zone_of[idx] = len(rows)
        rows.append((f"zone{len(rows)}", total, stops.geometry.iloc[lead]))
        km.append(tour_km / max(total, 1e-9))
        extra.append(seconds / max(total, 1e-9))
    zone_stops = gpd.GeoDataFrame(
        rows, columns=["site_id", "parcels_per_day", "geometry"], geometry="geometry", crs=stops.crs
    )
    zone_stops["extra_s_per_parcel"] = extra
    log.info(
        "door to door: %d stops grouped into %d zones (inner tours estimated)",
        len(stops),
        len(zone_stops),
    )
    return Zones(
        zone_stops,
        pd.Series(km, index=zone_stops["site_id"]),
        pd.Series([f"zone{k}" for k in zone_of], index=stops["site_id"].astype(str).to_numpy()),
    )


def add_zone_km(routes: pd.DataFrame, stops: pd.DataFrame, zones: Zones) -> pd.DataFrame:
    """``routes`` with each route's inner-zone km added (parcels delivered x km per parcel)."""
    if not len(stops):
        return routes
    inner = (
        stops["parcels"].to_numpy(dtype=float)
        * zones.km_per_parcel.reindex(stops["site_id"].astype(str)).fillna(0.0).to_numpy()
    )
    per_route = pd.Series(inner).groupby(stops["route_id"].to_numpy()).sum()
    routes = routes.copy()
    routes["km"] = routes["km"] + routes["route_id"].map(per_route).fillna(0.0)
    return routes
