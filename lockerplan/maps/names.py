"""Names of sites and candidates as stakeholders read them on the map.

Many OSM places have no ``name`` (a parking lot, a kiosk, a bus stop). The map
then shows what the place is and the nearest named street of the walk network
(:func:`lockerplan.streets.nearest_streets`): "parking near Mannerheimintie". The
GeoPackage keeps the OSM name as it is.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np

from ..streets import nearest_streets


def _what(category: Any) -> str:
    """A category as words: ``shop=kiosk`` -> ``kiosk``, ``transit_stop`` -> ``transit stop``.

    Examples
    --------
    >>> _what("shop=kiosk"), _what("transit_stop"), _what(None)
    ('kiosk', 'transit stop', 'site')
    """
    if not isinstance(category, str) or not category.strip():
        return "site"
    return category.split("=")[-1].replace("_", " ").strip()


def street_network(plan: Any) -> Any:
    """A plan's walk network for labels: its :class:`~lockerplan.streets.Streets` (no
    graph is built), else its ``walk_graph`` attribute, else None."""
    streets = getattr(plan, "walk_streets", None)
    return streets if streets is not None else getattr(plan, "walk_graph", None)


def plan_streets(plan: Any) -> gpd.GeoSeries:
    """The lines of a plan's streets base layer (:func:`lockerplan.maps.base.street_shapes`).

    A plan's ``streets`` when it has them (a saved plan's ``streets`` layer, the
    lines a Dask plan's workers drew); else drawn from its walk network once and
    kept in ``plan.streets``. Empty when the plan has neither.
    """
    from .base import street_shapes

    lines = getattr(plan, "streets", None)
    if lines is None:
        lines = street_shapes(street_network(plan))
        if hasattr(plan, "streets"):
            plan.streets = lines
    return lines


def with_labels(places: gpd.GeoDataFrame, graph: Any) -> gpd.GeoDataFrame:
    """``places`` with a ``label``: the name, else "<category> near <street>".

    Parameters
    ----------
    places : geopandas.GeoDataFrame
        Sites or candidates with ``name`` and ``category``, and their nearest named
        street (``near_street``) when the plan found it (then ``graph`` is not needed).
    graph : Streets, GraphArrays, networkx.MultiDiGraph or None
        The walk network; without one, unnamed places are labelled by category.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy with the ``label`` column (plain text, escaped when drawn).
    """
    if not len(places) or "label" in places.columns:
        return places
    names = (
        places["name"].fillna("").astype(str).str.strip()
        if "name" in places.columns
        else np.full(len(places), "")
    )
    unnamed = np.asarray(names == "")
    labels = np.array(names, dtype=object)
    if unnamed.any():
        categories = places["category"] if "category" in places.columns else [None] * len(places)
        what = np.array([_what(c) for c in categories], dtype=object)[unnamed]
        if "near_street" in places.columns:  # found when the plan was prepared
            streets = places["near_street"].fillna("").astype(str).to_numpy()[unnamed].tolist()
        else:
            streets = nearest_streets(places[unnamed], graph) if graph is not None else []
        labels[unnamed] = [
            f"{w} near {s}" if s else w
            for w, s in zip(what, streets or [""] * len(what), strict=True)
        ]
    return places.assign(label=labels)
