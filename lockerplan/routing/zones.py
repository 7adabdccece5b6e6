"""Delivery zones: door-to-door routing of a metro area's many stops, approximated.

Routing every demand cluster of a metro area as its own stop does not fit a
machine (Greater Porto with 150k orders: 38,857 clusters, a 38,857² distance
matrix, 23 GB before PyVRP had started). Above :data:`MAX_DOOR_STOPS` stops the
clusters are grouped into that many *zones* (k-means on their positions); each
zone is one routed stop at its most central cluster, carrying the zone's parcels.
The van's tour inside a zone is not routed but estimated with the
Beardwood-Halton-Hammersley law used in continuum logistics (Daganzo 1984): a
tour through ``n`` points spread over an area ``A`` is about ``0.7124 *
sqrt(n * A)`` long, times :data:`~lockerplan.routing.stops.CIRCUITY` for the
street network. ``n`` is the zone's expected address stops of the day
(:func:`~lockerplan.routing.stops.expected_stops`), not its clusters, and ``A``
the hull of its clusters plus their own areas, so the tour shrinks when lockers
take parcels away. The zone's stop then takes, besides its parcels, that tour at
:data:`~lockerplan.routing.stops.LOCAL_SPEED_KMH` and a parking stop per address
stop; its km are added to the route that serves it.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .stops import LOCAL_SPEED_KMH, inner_tour_km

log = logging.getLogger("lockerplan.routing")

#: Stops above which door-to-door stops are grouped into zones.
MAX_DOOR_STOPS = 1500
#: Most seconds of work in one zone (parcels, inner tour, parking); larger zones split.
MAX_ZONE_S = 8 * 3600
#: Most parcels of a zone one van visit hands out (120 x 90 s is 3 h at the doors),
#: so that a far zone's visit still fits a shift; a van may make several visits.
#: (60 gave Greater Porto 3,370 visits, 1,142 vans and 0.25 GB more in PyVRP, whose
#: neighbourhoods are dense in the visits; 120 gave 2,018 visits, a cheaper day.)
DOOR_VISIT_PARCELS = 120


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
    tour_s, tour_km : pandas.Series
        The zone's inner tour and parking, seconds, and its inner tour, km, by zone
        ``site_id``, for the stops it carries.
    area_m2 : pandas.Series
        The zone's area (hull of its clusters plus their own areas), by zone ``site_id``.
    stop_service_s : float
        Seconds per parking stop.
    matrices : dict
        The road matrices between the hubs and the zones, once computed (shared by
        the days routed over these zones; see :func:`~lockerplan.routing.visits.locate`).
    """

    stops: gpd.GeoDataFrame
    km_per_parcel: pd.Series
    members: pd.Series
    tour_s: pd.Series
    tour_km: pd.Series
    area_m2: pd.Series
    stop_service_s: float
    matrices: dict = field(default_factory=dict, repr=False)

    def carrying(self, stops: pd.DataFrame) -> Zones:
        """The same zones carrying the parcels of ``stops`` (another day's, say).

        Stops that are no zone's member are left out (the caller reports them);
        a zone with no parcels keeps its stop with zero parcels, so the zones'
        locations, and their road matrices, stay the same.
        """
        ids = stops["site_id"].astype(str)
        inside = ids.isin(self.members.index).to_numpy()
        zone = self.members.reindex(ids[inside]).to_numpy()
        parcels = stops["parcels_per_day"].to_numpy(dtype=float)[inside]
        n_stops = stops["stops"].to_numpy(dtype=float)[inside] if "stops" in stops else parcels
        sums = (
            pd.DataFrame({"parcels": parcels, "stops": n_stops})
            .groupby(zone)
            .sum()
            .reindex(self.area_m2.index, fill_value=0.0)
        )
        tour_km = pd.Series(
            inner_tour_km(sums["stops"].to_numpy(), self.area_m2.to_numpy()), index=sums.index
        )
        tour_s = tour_km / LOCAL_SPEED_KMH * 3600 + (sums["stops"] - 1).clip(lower=0.0) * (
            self.stop_service_s
        )
        per = sums["parcels"].where(sums["parcels"] > 0)
        zone_stops = self.stops.assign(
            parcels_per_day=sums["parcels"].to_numpy(),
            extra_s_per_parcel=(tour_s / per).fillna(0.0).to_numpy(),
        )
        km = (tour_km / per).fillna(0.0)
        return dataclasses.replace(
            self, stops=zone_stops, km_per_parcel=km, tour_s=tour_s, tour_km=tour_km
        )


def door_zones(
    stops: gpd.GeoDataFrame,
    n_zones: int,
    stop_service_s: float,
    parcel_s: float = 0.0,
    seed: int = 0,
) -> Zones:
    """Group door-to-door ``stops`` (``site_id``, ``parcels_per_day``, points, and
    optionally the expected address ``stops`` and ``area_m2`` of
    :func:`~lockerplan.routing.stops.door_stops`) into zones.

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
    n_stops = stops["stops"].to_numpy(dtype=float) if "stops" in stops else parcels
    own = stops["area_m2"].to_numpy(dtype=float) if "area_m2" in stops else np.zeros(len(stops))
    todo = [np.flatnonzero(label == k) for k in range(n_zones)]
    rows, areas, zone_of = [], [], np.zeros(len(stops), dtype=int)
    while todo:
        idx = todo.pop()
        if not len(idx):
            continue
        hull = shapely.MultiPoint(xy[idx]).convex_hull.area if len(idx) > 2 else 0.0
        area = hull + float(own[idx].sum())
        tour_km = float(inner_tour_km(np.array([n_stops[idx].sum()]), np.array([area]))[0])
        seconds = tour_km / LOCAL_SPEED_KMH * 3600 + max(n_stops[idx].sum() - 1, 0) * stop_service_s
        if len(idx) > 1 and seconds + float(parcels[idx].sum()) * parcel_s > MAX_ZONE_S:
            half = KMeans(n_clusters=2, n_init=1, random_state=seed).fit_predict(xy[idx])
            todo += [idx[half == 0], idx[half == 1]]
            continue
        centre = xy[idx].mean(axis=0)
        lead = idx[np.argmin(np.hypot(*(xy[idx] - centre).T))]
        zone_of[idx] = len(rows)
        rows.append((f"zone{len(rows)}", stops.geometry.iloc[lead]))
        areas.append(area)
    zone_stops = gpd.GeoDataFrame(
        rows, columns=["site_id", "geometry"], geometry="geometry", crs=stops.crs
    )
    log.info(
        "door to door: %d stops grouped into %d zones (inner tours estimated)",
        len(stops),
        len(zone_stops),
    )
    ids = zone_stops["site_id"].to_numpy()
    zones = Zones(
        zone_stops,
        pd.Series(dtype=float),
        pd.Series(ids[zone_of], index=stops["site_id"].astype(str).to_numpy()),
        pd.Series(dtype=float),
        pd.Series(dtype=float),
        pd.Series(areas, index=ids),
        float(stop_service_s),
    )
    return zones.carrying(stops)


def add_inner_km(
    routes: pd.DataFrame, stops: pd.DataFrame, km_per_parcel: pd.Series
) -> pd.DataFrame:
    """``routes`` with each route's inner km added (parcels delivered x km per parcel
    of the stop: a zone's inner tour, or the tour between a cluster's address stops)."""
    if not len(stops) or not len(km_per_parcel):
        return routes
    inner = (
        stops["parcels"].to_numpy(dtype=float)
        * km_per_parcel.reindex(stops["site_id"].astype(str)).fillna(0.0).to_numpy()
    )
    per_route = pd.Series(inner).groupby(stops["route_id"].to_numpy()).sum()
    routes = routes.copy()
    routes["km"] = routes["km"] + routes["route_id"].map(per_route).fillna(0.0)
    return routes
