"""Locker prices by zone: the saving of a parcel moved, and the discount that pays."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from scipy import sparse

from lockerplan.choice import ChoiceModel
from lockerplan.pricing import DISCOUNTS, ZoneCosts, price_curve, zone_prices

COSTS = ZoneCosts(
    cost_per_hour=36.0, stop_s=300, handover_s=90, loading_s=6, failure_rate=0.1,
    compartment_per_parcel=0.2,
)  # fmt: skip


def _clusters():
    return gpd.GeoDataFrame(
        {
            "parcels_per_day": [10.0, 4.0, 30.0, 2.0],
            "addresses": [40.0, 2.0, 10.0, 1.0],
            "home_parcels_per_day": [6.0, 3.0, 20.0, 2.0],
        }
    )


def test_a_parcel_moved_saves_a_stop_where_addresses_get_few_parcels():
    # one parcel to an address that gets none otherwise saves a whole stop
    alone = COSTS.saving(np.array([0.0]), np.array([5.0]))[0]
    by_hand = 1.1 * (90 + 300) * 0.01 - (6 * 0.01 + 0.2)
    assert alone == pytest.approx(by_hand)
    # where addresses already receive many parcels, little of a stop is saved
    crowded = COSTS.saving(np.array([50.0]), np.array([5.0]))[0]
    assert crowded < alone
    assert crowded == pytest.approx(1.1 * (90 + 300 * np.exp(-10)) * 0.01 - 0.26)


def test_each_zone_gets_the_discount_with_the_largest_net_saving():
    clusters = _clusters()
    own = sparse.csr_matrix(([200.0, 350.0, 100.0], ([0, 0, 1], [0, 1, 2])), shape=(2, 4))
    model = ChoiceModel(home_utility=0.3)
    zone = np.array(["a", "a", "b", "c"])
    table, per_cluster = zone_prices(clusters, zone, model, own, COSTS)
    w = clusters["parcels_per_day"].to_numpy()
    saving = COSTS.saving(
        clusters["home_parcels_per_day"].to_numpy(), clusters["addresses"].to_numpy()
    )
    base = model.shares(own).ours
    for z, row in table.set_index("zone").iterrows():
        members = zone == z
        nets = [
            float((w * ((model.shares(own, None, d).ours - base) * saving
                        - d * model.shares(own, None, d).ours))[members].sum())
            for d in DISCOUNTS
        ]  # fmt: skip
        assert row["net_saving_per_day"] == pytest.approx(max(nets), abs=0.01)
        assert row["net_saving_per_day"] >= 0  # no discount is never worse
        assert (per_cluster[members] == row["discount"]).all()
    # zone c has no site in reach: no discount buys anything there
    assert table.set_index("zone").loc["c", "discount"] == 0.0


def test_the_curve_starts_at_no_discount_and_the_share_never_falls():
    clusters = _clusters()
    own = sparse.csr_matrix(([200.0, 350.0, 100.0], ([0, 0, 1], [0, 1, 2])), shape=(2, 4))
    curve = price_curve(clusters, ChoiceModel(), own, COSTS)
    assert curve.loc[0, "net_saving_per_day"] == 0 and curve.loc[0, "discount"] == 0
    assert (np.diff(curve["locker_share"].to_numpy()) >= 0).all()
    assert (np.diff(curve["switched_parcels_per_day"].to_numpy()) >= 0).all()
