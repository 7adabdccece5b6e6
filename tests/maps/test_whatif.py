"""What-if: ``Plan.evaluate`` for any set of sites, and the coverage data the map embeds.

The browser side (clicking "Close this site" / "Open this site" and reading
``#lp-kpi-coverage``) is in ``tests/test_map_browser.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

from lockerplan.costs import site_cost_per_day
from lockerplan.errors import InputError
from lockerplan.maps import plan_map
from lockerplan.maps import whatif as whatif_module
from lockerplan.maps.whatif import whatif_data, whatif_html
from lockerplan.pipeline import plan_study_area, prepare_study_area


@pytest.fixture(scope="module")
def area():
    return prepare_study_area()


def solve(area, **settings):
    return plan_study_area(area, catchments=False, door_to_door=False, **settings)


@pytest.mark.parametrize("settings", [{}, {"pickup_walk_m": 250.0}])
def test_evaluate_of_an_mclp_plans_sites_is_the_plans_coverage(area, settings):
    """Uncapacitated: the plan covers every cluster within the walk of an open site."""
    p = solve(area, model="mclp", sites=5, **settings)
    ev = p.evaluate(p.sites["candidate_id"])
    assert ev.covered_parcels_per_day == p.kpis.covered_parcels_per_day
    assert ev.coverage_share == p.kpis.coverage_share
    assert ev.demand_parcels_per_day == p.kpis.demand_parcels_per_day
    assert ev.sites_open == p.kpis.sites_open == 5
    assert ev.sites_by_kind == p.sites["kind"].value_counts().to_dict()


def test_evaluate_of_a_cmclp_plans_sites_adds_what_capacity_turned_away(helsinki_plan):
    """Capacitated (the default): coverage within the walk is the plan's covered parcels
    plus the parcels of reached clusters that the modules did not serve."""
    p = helsinki_plan
    assert p.kpis.model == "cmclp"
    ev = p.evaluate(p.sites["candidate_id"])
    reached = np.asarray(p.reach()[p.sites["candidate_index"].to_numpy()].sum(axis=0)).ravel() > 0
    w = p.demand["parcels_per_day"].to_numpy(dtype=float)
    served = np.where(p.demand["covered"], p.demand["served_parcels_per_day"], 0.0)
    turned_away = float((w - served)[reached].sum())
    assert ev.covered_parcels_per_day >= p.kpis.covered_parcels_per_day - 0.01
    assert ev.covered_parcels_per_day == pytest.approx(
        p.kpis.covered_parcels_per_day + turned_away, abs=0.01
    )
    # every covered cluster is within the walk of an open site
    assert not (p.demand["covered"].to_numpy() & ~reached).any()


def test_evaluate_reads_site_or_candidate_ids_in_any_order(helsinki_plan):
    p = helsinki_plan
    by_candidate = p.evaluate(list(p.sites["candidate_id"]))
    by_site = p.evaluate(list(p.sites["site_id"])[::-1] + [p.sites["site_id"].iloc[0]])
    assert by_site == by_candidate
    assert by_candidate.site_ids == tuple(sorted(by_candidate.site_ids, key=lambda c: int(c[3:])))
    with pytest.raises(InputError, match="nowhere"):
        p.evaluate(["nowhere"])
    nothing = p.evaluate([])
    assert nothing.covered_parcels_per_day == 0 and nothing.fixed_cost_per_day == 0
    assert nothing.sites_by_kind == {}


def test_fixed_cost_of_the_plans_sites_is_the_plans_site_cost(helsinki_plan):
    p = helsinki_plan
    ev = p.evaluate(p.sites["candidate_id"])
    assert ev.fixed_cost_per_day == pytest.approx(site_cost_per_day(p.sites, p.scenario.costs))
    # another candidate costs one module (a cabinet) or one pickup point
    other = p.candidates[~p.candidates["candidate_id"].isin(p.sites["candidate_id"])].iloc[0]
    more = p.evaluate([*p.sites["candidate_id"], other["candidate_id"]])
    one = (
        p.scenario.pickup_point_per_day
        if other["kind"] == "pickup_point"
        else p.scenario.cabinet_per_day
    )
    assert more.fixed_cost_per_day == pytest.approx(ev.fixed_cost_per_day + one)
    assert more.covered_parcels_per_day >= ev.covered_parcels_per_day


def _page_figures(data, positions):
    """What the page's script computes: the embedded groups, decoded as the JS does."""
    reach = [np.cumsum(r).astype(int) for r in data["r"]]
    count = np.zeros(len(data["w"]), dtype=int)
    for j in positions:
        count[reach[j]] += 1
    covered = float(np.asarray(data["w"])[count > 0].sum())
    return covered, float(np.asarray(data["f"])[list(positions)].sum())


def test_embedded_coverage_data_gives_evaluates_figures(helsinki_plan):
    p = helsinki_plan
    data = whatif_data(p)
    assert len(data["id"]) == len(p.candidates) and len(data["r"]) == len(p.candidates)
    # fewer groups than clusters: clusters reached by the same candidates are one
    assert 0 < len(data["w"]) < len(p.demand)
    rng = np.random.default_rng(0)
    sets = [list(data["o"])] + [
        sorted(rng.choice(len(p.candidates), size=k, replace=False)) for k in (1, 3, 6, 12, 40)
    ]
    for positions in sets:
        ev = p.evaluate(p.candidates["candidate_id"].to_numpy()[positions])
        covered, fixed = _page_figures(data, positions)
        assert covered == pytest.approx(ev.covered_parcels_per_day, abs=0.01)
        assert covered / data["t"] == pytest.approx(ev.coverage_share, abs=5e-5)
        assert fixed == pytest.approx(ev.fixed_cost_per_day, abs=0.01)


def test_above_the_detail_limit_the_page_data_holds_each_groups_cells(helsinki_plan):
    """Where demand is drawn per coverage cell the page gets, per group of clusters, the
    cells it lies in with their parcels (covered by the plan or not): one entry per
    group and cell, so it grows no faster than the clusters; within its size bound
    the figures stay and only the repaint is left out."""
    p = helsinki_plan
    small = whatif_data(p)
    assert "cg" in small and "xn" not in small
    data = whatif_data(p, detail_limit=10)
    assert "cg" not in data and len(data["xn"]) == len(data["w"])
    entries = len(data["xc"])
    assert sum(data["xn"]) == entries <= len(p.demand)
    assert max(data["xc"]) < len(p.cells)
    reached = np.asarray(p.reach().sum(axis=0)).ravel() > 0
    parcels = p.demand["parcels_per_day"].to_numpy()
    assert sum(data["xp"]) == pytest.approx(parcels[reached].sum(), abs=5e-4 * entries)
    covered = p.demand["covered"].to_numpy(dtype=bool)
    assert sum(data["xp"]) - sum(data["xu"]) == pytest.approx(
        parcels[covered].sum(), abs=1e-3 * entries
    )
    size = len(whatif_module.page_json({k: data[k] for k in ("xn", "xc", "xp", "xu")}))
    assert size < 25 * entries  # about 0.6 MB for a metro plan's 38,857 clusters
    embedded = {k: v for k, v in data.items() if k not in ("plan", "h", "outlines_left")}
    bound = len(whatif_module.page_json(embedded))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(whatif_module, "WHATIF_MAX_BYTES", bound - 1)
        tight = whatif_data(p, detail_limit=10)
    assert tight is not None and "xn" not in tight and tight["w"] == data["w"]


def test_candidates_carry_the_outline_of_the_demand_they_reach(helsinki_plan, monkeypatch):
    """Each candidate that is not open and reaches demand carries an outline holding
    itself and every cluster within its walk; beyond CANDIDATE_OUTLINES the ones
    reaching the most parcels keep theirs and the panel says how many show none."""
    from shapely.geometry import Point, Polygon

    p = helsinki_plan
    data = whatif_data(p)
    reach = p.reach().tocsr()
    opened = set(data["o"])
    reaching = set(np.flatnonzero(np.diff(reach.indptr) > 0))
    have = {j for j, h in enumerate(data["h"]) if h}
    assert have == reaching - opened and len(have) > 20
    demand = p.demand.to_crs("EPSG:4326")
    for j in sorted(have)[:20]:
        shape = Polygon(*[[(lon, lat) for lat, lon in ring] for ring in data["h"][j][0][:1]])
        cand = p.candidates.geometry.iloc[j]
        assert shape.contains(Point(cand.x, cand.y))
        for col in reach.indices[reach.indptr[j] : reach.indptr[j + 1]]:
            assert shape.contains(demand.geometry.iloc[col])
    size = len(whatif_module.page_json(data["h"]))
    assert size < 400 * len(have)  # bytes an outline
    assert data["outlines_left"] == 0 and "id='lp-outline-note'" in whatif_html(data)
    monkeypatch.setattr(whatif_module, "CANDIDATE_OUTLINES", 5)
    few = whatif_data(p)
    kept = [j for j, h in enumerate(few["h"]) if h]
    served = reach @ p.demand["parcels_per_day"].to_numpy()
    assert len(kept) == 5 and few["outlines_left"] == len(have) - 5
    assert min(served[kept]) >= max(served[sorted(have - set(kept))])
    assert f"the other {len(have) - 5:,} show none" in whatif_html(few)


def _page_text(path) -> str:
    """The page with the JSON escapes of the panel's HTML undone."""
    text = path.read_text()
    for code, char in (("\\u0027", "'"), ("\\u003c", "<"), ("\\u003e", ">"), ("\\u0026", "&")):
        text = text.replace(code, char)
    return text


def test_map_offers_a_toggle_on_every_site_and_candidate(helsinki_plan, tmp_path):
    p = helsinki_plan
    path = tmp_path / "map.html"
    plan_map(p).save(str(path))
    text = _page_text(path)
    assert "id='lp-kpi-coverage'" in text and "lp-reset" in text
    assert "Reset to the optimal plan" in text
    for cid in p.sites["candidate_id"]:
        assert f"class='lp-toggle-site' data-site-id='{cid}'>Close this site" in text
    assert text.count("Open this site") >= len(p.candidates)
    assert f"{100 * p.evaluate(p.sites['candidate_id']).coverage_share:.1f} %" in text


def test_no_whatif_when_the_data_would_be_too_large(helsinki_plan, monkeypatch, tmp_path):
    monkeypatch.setattr(whatif_module, "WHATIF_MAX_BYTES", 1000)
    assert whatif_data(helsinki_plan) is None
    path = tmp_path / "map.html"
    plan_map(helsinki_plan).save(str(path))
    text = _page_text(path)
    assert "id='lp-kpi-coverage'" not in text and "class='lp-toggle-site'" not in text
