"""The sweep report a stakeholder reads: words for headings, formatted numbers, the knee
where the curve bends (no solving: tables made here; see test_sweep.py for sweeps)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from lockerplan.pipeline.sweep import SweepResult, knee, report_table, table_figures

#: Coverage of the default central Helsinki plan (cmclp, 400 m) for 1..30 sites, as
#: measured with ``lockerplan.sweep(sites=range(1, 31))``; from 16 sites nothing more
#: is covered (21..30 open 20 or 22 sites).
HELSINKI_COVERAGE = [
    0.2245, 0.4491, 0.5878, 0.6769, 0.7628, 0.8382, 0.8785, 0.9139, 0.9420, 0.9668,
    0.9780, 0.9905, 0.9931, 0.9945, 0.9957, 0.9967, 0.9967, 0.9967, 0.9967, 0.9967,
    0.9967, 0.9967, 0.9967, 0.9967, 0.9967, 0.9967, 0.9967, 0.9967, 0.9967, 0.9967,
]  # fmt: skip


def test_knee_is_where_the_helsinki_curve_visibly_bends():
    """Gains per site: 22, 22, 14, 9, 9, 8 points, then 4, 4, 3, ...: the bend is at 6.

    The chord to the last point (30 sites) put it at 9, pulled right by the flat
    tail; cut at the top, the knee stays at 6 however far the sweep goes.
    """
    sites = list(range(1, 31))
    assert knee(sites, HELSINKI_COVERAGE) == 6
    for last in (12, 16, 20, 30):
        assert knee(sites[:last], HELSINKI_COVERAGE[:last]) == 6
    # order of the rows does not matter; a straight line has no knee
    assert knee(sites[::-1], HELSINKI_COVERAGE[::-1]) == 6
    assert knee([1, 2, 3, 4], [0.1, 0.2, 0.3, 0.4]) is None


def sweep_table(cutoffs=(300.0, 400.0, 500.0), n=30) -> pd.DataFrame:
    """A sweep table of realistic figures (the Helsinki curve for every cutoff)."""
    rows = []
    for w in cutoffs:
        for k in range(1, n + 1):
            share = HELSINKI_COVERAGE[k - 1] * w / 500
            rows.append(
                {
                    "sites": k,
                    "walk_m": w,
                    "sites_open": min(k, 22),
                    "demand_parcels_per_day": 1696.64,
                    "covered_parcels_per_day": round(1696.64 * share, 2),
                    "coverage_share": round(share, 4),
                    "mean_walk_m": 271.3,
                    "route_km": 7.5 + k,
                    "route_hours": 2.8 + k / 3,
                    "vans_used": 2 + k // 10,
                    "cost_per_day": 1500.0 + 30 * k,
                    "cost_per_parcel": 1.1234 + k / 1000,
                    "cost_per_day_door_to_door": 2466.0 + k,
                    "cost_per_parcel_door_to_door": 1.48,
                    "solver_status": "optimal",
                    "solver_gap": 0.0,
                }
            )
    table = pd.DataFrame(rows)
    assert set(table) == set(table_figures())  # every column a sweep writes
    table["knee"] = False
    knees = {}
    for w, group in table.groupby("walk_m"):
        knees[float(w)] = knee(group["sites"], group["coverage_share"])
        table.loc[(table["walk_m"] == w) & (table["sites"] == knees[float(w)]), "knee"] = True
    return SweepResult(table=table, knees=knees, name="helsinki")


def test_report_table_speaks_words_and_formats_numbers():
    result = sweep_table()
    html_table, constant = report_table(result.table, "EUR")
    headings = re.findall(r"<th>([^<]*)</th>", html_table)
    assert headings[:3] == ["Sites (at most)", "Walking cutoff (m)", "Sites open"]
    assert "Cost per day, with lockers (EUR/day)" in headings
    assert "Cost per parcel, with lockers (EUR)" in headings and "Coverage (%)" in headings
    assert not [h for h in headings if "_" in h], headings
    # the same in every row: said once above the table, not as a column
    assert "Demand (parcels/day): 1,696.6" in constant and "Solver: optimal" in constant
    assert "Demand (parcels/day)" not in headings and "Solver" not in headings
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", html_table)
    assert "400" in cells and "400.000" not in html_table and "0.838" not in html_table
    assert "83.8" in cells  # 6 sites at 500 m (the % is in the heading)
    assert "1,422.1" in cells and "1.12" in cells
    assert not [c for c in cells if re.fullmatch(r"\d+\.\d{3,}", c)], "raw floats left"
    # one knee row per cutoff, marked
    assert html_table.count("<tr class=knee>") == 3
    page = result.to_html()
    assert "max-width:980px" in page and "6 sites at 300 m" in page
    assert "Kneedle" in page and "<th>coverage_share</th>" not in page


def test_a_single_cutoff_moves_the_walk_to_the_header():
    result = sweep_table(cutoffs=(400.0,), n=12)
    html_table, constant = report_table(result.table)
    assert "Walking cutoff (m): 400" in constant and "<th>Walking cutoff (m)</th>" not in html_table
    assert np.count_nonzero(result.table["knee"]) == 1
