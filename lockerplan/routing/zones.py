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

import dataclasses
import logging
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

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
    tour_s, tour_km : pandas.Series
        The zone's inner tour and parking, seconds, and its inner tour, km, by zone
        ``site_id`` (whatever the parcels).
    matrices : dict
        The road matrices between the hubs and the zones, once computed (shared by
        the days routed over these zones; see :func:`~lockerplan.routing.visits.locate`).
    """

    stops: gpd.GeoDataFrame
    km_per_parcel: pd.Series
    members: pd.Series
    tour_s: pd.Series
    tour_km: pd.Series
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
        parcels = (
            pd.Series(stops["parcels_per_day"].to_numpy(dtype=float)[inside])
            .groupby(zone)
            .sum()
            .reindex(self.tour_s.index, fill_value=0.0)
        )
        per = parcels.where(parcels > 0)
        zone_stops = self.stops.assign(
            parcels_per_day=parcels.to_numpy(),
            extra_s_per_parcel=(self.tour_s / per).fillna(0.0).to_numpy(),
        )
        km = (self.tour_km / per).fillna(0.0)
        return dataclasses.replace(self, stops=zone_stops, km_per_parcel=km)


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
    rows, km, tour_s, zone_of = [], [], [], np.zeros(len(stops), dtype=int)
    while todo:
        idx = todo.pop()
        if not len(idx):
            continue
        area = shapely.MultiPoint(xy[idx]).convex_hull.area if len(idx) > 2 else 0.0
        tour_km = BHH * np.sqrt(len(idx) * area) * CIRCUITY / 1000
        seconds = tour_km / LOCAL_SPEED_KMH * 3600 + (len(idx) - 1) * stop_service_s
        if len(idx) > 1 and seconds + float(parcels[idx].sum()) * parcel_s > MAX_ZONE_S:
            half = KMeans(n_clusters=2, n_init=1, random_state=seed).fit_predict(xy[idx])
            todo += [idx[half == 0], idx[half == 1]]
            continue
        centre = xy[idx].mean(axis=0)
        lead = idx[np.argmin(np.hypot(*(xy[idx] - centre).T))]
        zone_of[idx] = len(rows)
        rows.append((f"zone{len(rows)}", stops.geometry.iloc[lead]))
        km.append(tour_km)
        tour_s.append(seconds)
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
        pd.Series(tour_s, index=ids),
        pd.Series(km, index=ids),
    )
    return zones.carrying(stops)


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
