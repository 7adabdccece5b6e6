"""Online loading by place name (osmnx), checked without internet by standing in for osmnx."""

from __future__ import annotations

import geopandas as gpd
import osmnx
import pandas as pd
import pytest
import shapely

from lockerplan.errors import InputError
from lockerplan.osm import buildings_from_place, pois_from_place


def fake_features(place, tags):
    """What osmnx 2.x returns: the features matching ``tags``, indexed by (element, id)."""
    index = pd.MultiIndex.from_tuples(
        [("way", 1), ("node", 2), ("node", 3)], names=["element", "id"]
    )
    features = gpd.GeoDataFrame(
        {
            "building": ["apartments", None, None],
            "building:levels": ["6", None, None],
            "amenity": [None, "vending_machine", "post_office"],
            "vending": [None, "parking_tickets", None],
            "name": ["A <b>block</b>", "ticket machine", "Posti"],
        },
        geometry=[
            shapely.box(24.94, 60.17, 24.941, 60.1705),
            shapely.Point(24.94, 60.17),
            shapely.Point(24.95, 60.17),
        ],
        index=index,
        crs="EPSG:4326",
    )
    matching = features[
        [any(pd.notna(features[key].iloc[i]) for key in tags if key in features) for i in range(3)]
    ]
    return matching


def test_buildings_and_places_from_a_place_name_have_the_extract_columns(monkeypatch):
    monkeypatch.setattr(osmnx, "features_from_place", fake_features)
    buildings = buildings_from_place("Kamppi, Helsinki")
    assert list(buildings["osm_id"]) == [1] and buildings["osm_type"].iloc[0] == "way"
    assert buildings["building:levels"].iloc[0] == "6"
    pois = pois_from_place("Kamppi, Helsinki")
    # the parking-ticket machine is not a parcel machine; the post office stays
    assert list(pois["name"]) == ["Posti"] and pois["osm_type"].iloc[0] == "node"


def test_a_place_without_internet_names_the_place_and_the_fix(monkeypatch):
    def offline(place, tags):
        raise ConnectionError("Failed to resolve 'overpass-api.de'")

    monkeypatch.setattr(osmnx, "features_from_place", offline)
    with pytest.raises(InputError, match="--place 'Kamppi, Helsinki'.*--osm"):
        buildings_from_place("Kamppi, Helsinki")
