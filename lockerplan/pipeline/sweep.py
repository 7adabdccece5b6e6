"""Scenario sweeps: how coverage and cost change with the number of sites and the cutoff.

The study area (networks, demand, candidates, walking distances) is prepared once,
with distances up to the largest cutoff of the sweep; each scenario then only
re-solves the siting MILP and the routing. The result is a comparison table,
coverage-vs-sites and cost-vs-sites curves and the knee of the coverage curve:
the number of sites after which each extra site adds clearly less coverage.
"""

from __future__ import annotations

import base64
import html
import io
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import InputError
from ..files import staged
from ..progress import tqdm
from ..scenario import Scenario
from .prepare import prepare_study_area
from .solve import plan_study_area

log = logging.getLogger(__name__)

#: Columns of :attr:`SweepResult.table` taken from each plan's KPIs.
TABLE_KPIS = (
    "sites_open",
    "demand_parcels_per_day",
    "covered_parcels_per_day",
    "coverage_share",
    "mean_walk_m",
    "route_km",
    "route_hours",
    "vans_used",
    "cost_per_day",
    "cost_per_parcel",
    "solver_status",
    "solver_gap",
)


def parse_values(text: str, option: str, integer: bool) -> list[float] | list[int]:
    """Parse ``"1..30"``, ``"5..30:5"`` (step 5) or ``"300,400,500"`` into a sorted list.

    Examples
    --------
    >>> parse_values("1..5", "--sites", integer=True)
    [1, 2, 3, 4, 5]
    >>> parse_values("300,500", "--walk-m", integer=False)
    [300.0, 500.0]
    """
    text = text.strip()
    number = r"\d+(?:\.\d+)?"
    match = re.fullmatch(rf"({number})\.\.({number})(?::({number}))?", text)
    try:
        if match:
            lo, hi = float(match.group(1)), float(match.group(2))
            step = float(match.group(3) or 1)
            if hi < lo or step <= 0:
                raise ValueError
            values = list(np.arange(lo, hi + step / 2, step))
        else:
            values = [float(v) for v in text.split(",") if v.strip()]
        if not values:
            raise ValueError
    except ValueError:
        raise InputError(
            f"{option} must be a range like 1..30 (or 5..30:5) or a list like 300,400,500, got {text!r}."
        ) from None
    if integer:
        if any(v != int(v) for v in values):
            raise InputError(f"{option} must be whole numbers, got {text!r}.")
        return sorted({int(v) for v in values})
    return sorted(set(values))


def knee(x: Sequence[float], y: Sequence[float]) -> float | None:
    """The knee of an increasing curve (Kneedle: farthest point below the chord).

    Both axes are scaled to 0..1; the knee is the point with the largest vertical
    distance above the straight line from the first to the last point.

    Returns
    -------
    float or None
        The ``x`` of the knee; None with fewer than three points or a flat curve.

    Examples
    --------
    >>> knee([1, 2, 3, 4, 5], [0.3, 0.6, 0.7, 0.72, 0.73])
    2
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(x) < 3 or np.ptp(y) == 0 or np.ptp(x) == 0:
        return None
    xs, ys = (x - x.min()) / np.ptp(x), (y - y.min()) / np.ptp(y)
    gain = ys - xs
    k = int(np.argmax(gain))
    if gain[k] <= 0:
        return None
    value = x[k]
    return int(value) if float(value).is_integer() else float(value)


@dataclass
class SweepResult:
    """A table of plans over a grid of site counts and walking cutoffs.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per scenario: ``sites`` (the limit), ``walk_m`` and the KPIs of
        :data:`TABLE_KPIS`, plus ``knee`` (True on the knee row of each cutoff).
    knees : dict
        Knee of the coverage curve per walking cutoff: ``{walk_m: sites}``.
    name : str
        Name of the study area.
    currency : str
        Currency of the cost columns (the scenario's ``currency``).
    """

    table: pd.DataFrame
    knees: dict[float, int | None]
    name: str
    currency: str = "EUR"

    def figures(self) -> dict[str, Any]:
        """Matplotlib figures ``coverage_vs_sites`` and ``cost_vs_sites``."""
        from matplotlib.figure import Figure

        figs = {}
        for key, column, label in (
            ("coverage_vs_sites", "coverage_share", "parcels covered (%)"),
            ("cost_vs_sites", "cost_per_day", f"cost per day ({self.currency})"),
        ):
            # Figure() without pyplot: no GUI backend, nothing left open between calls
            fig = Figure(figsize=(6.4, 4.0), dpi=100)
            ax = fig.subplots()
            values = self.table[column]
            if values.isna().all():
                column, label = "route_km", "van route length (km/day)"
            for walk_m, rows in self.table.groupby("walk_m"):
                yv = rows[column] * (100 if column == "coverage_share" else 1)
                ax.plot(rows["sites"], yv, marker="o", ms=3, label=f"{walk_m:g} m walk")
                k = self.knees.get(float(walk_m))
                if k is not None and column == "coverage_share":
                    ky = float(yv[rows["sites"] == k].iloc[0])
                    ax.annotate(
                        f"knee: {k} sites",
                        (k, ky),
                        xytext=(10, -20),
                        textcoords="offset points",
                        arrowprops={"arrowstyle": "->"},
                    )
            ax.set_xlabel("sites (at most)")
            ax.set_ylabel(label)
            ax.set_title(f"{self.name}: {label} vs sites")
            ax.grid(alpha=0.3)
            ax.legend()
            fig.tight_layout()
            figs[key] = fig
        return figs

    def to_html(self) -> str:
        """A one-page HTML report: the curves and the comparison table."""
        images = []
        for key, fig in self.figures().items():
            buf = io.BytesIO()
            fig.savefig(buf, format="png")
            images.append(
                f"<img alt='{key}' src='data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}'>"
            )
        knees = (
            ", ".join(f"{k} sites at {w:g} m" for w, k in self.knees.items() if k is not None)
            or "none"
        )
        table = self.table.to_html(index=False, float_format=lambda v: f"{v:,.3f}", na_rep="")
        return (
            "<!doctype html><html><head><meta charset='utf-8'>"
            f"<title>lockerplan sweep: {html.escape(self.name)}</title>"
            "<style>body{font:14px sans-serif;margin:2em}table{border-collapse:collapse}"
            "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}</style></head><body>"
            f"<h1>Scenario sweep: {html.escape(self.name)}</h1>"
            f"<p>Knee of the coverage curve: {html.escape(knees)}.</p>{''.join(images)}{table}"
            "<p><small>Map data © OpenStreetMap contributors</small></p></body></html>"
        )

    def save(self, out_dir: str | Path) -> dict[str, Path]:
        """Write ``NAME_sweep.csv``, ``NAME_sweep.html`` and the two PNG curves.

        Files are written to a temporary folder and moved into place at the end.
        """
        stem = f"{self.name}_sweep"
        with staged(out_dir, "sweep") as stage:
            self.table.to_csv(stage.path / f"{stem}.csv", index=False)
            (stage.path / f"{stem}.html").write_text(self.to_html(), encoding="utf-8")
            names = {"csv": f"{stem}.csv", "html": f"{stem}.html"}
            for key, fig in self.figures().items():
                fig.savefig(stage.path / f"{stem}_{key}.png")
                names[key] = f"{stem}_{key}.png"
            published = stage.publish(*names.values())
        paths = {key: published[name] for key, name in names.items()}
        return paths


def sweep(
    scenario: Scenario | None = None,
    *,
    sites: Iterable[int] = range(1, 31),
    walk_m: Iterable[float] | None = None,
    candidate_sites: gpd.GeoDataFrame | None = None,
    hub_points: gpd.GeoDataFrame | None = None,
    progress: bool = False,
    **settings: Any,
) -> SweepResult:
    """Plan every combination of site limits and walking cutoffs.

    Parameters
    ----------
    scenario : Scenario, optional
        The base scenario (default: central Helsinki).
    sites : iterable of int, default 1..30
        Site limits to plan.
    walk_m : iterable of float, optional
        Walking cutoffs in metres (default: the scenario's).
    candidate_sites, hub_points : geopandas.GeoDataFrame, optional
        As in :func:`lockerplan.plan`.
    progress : bool, default False
        Show a progress bar over the scenarios.
    **settings
        Other :class:`Scenario` fields.

    Returns
    -------
    SweepResult

    Examples
    --------
    >>> from lockerplan import sweep
    >>> result = sweep(sites=range(1, 11))  # doctest: +SKIP
    >>> result.knees  # doctest: +SKIP
    {400.0: 4}
    """
    sites = sorted({int(s) for s in sites})
    if not sites or sites[0] < 1:
        raise InputError(f"--sites values must be whole numbers >= 1, got {sites!r}.")
    base = Scenario(**{**(scenario or Scenario()).to_dict(), **settings})
    cutoffs = sorted({float(w) for w in walk_m}) if walk_m is not None else [float(base.walk_m)]
    if not cutoffs or cutoffs[0] <= 0:
        raise InputError(f"--walk-m values must be > 0 metres, got {cutoffs!r}.")
    area = prepare_study_area(
        base,
        candidate_sites=candidate_sites,
        hub_points=hub_points,
        max_walk_m=max(cutoffs),
        progress=progress,
        walk_m=max(cutoffs),
    )
    rows = []
    grid = [(w, n) for w in cutoffs for n in sites]
    for w, n in tqdm(grid, desc="sweep", unit="plan", disable=None if progress else True):
        p = plan_study_area(area, sites=n, walk_m=w, catchments=False, door_to_door=False)
        rows.append({"sites": n, "walk_m": w, **{k: p.kpis[k] for k in TABLE_KPIS}})
        log.info("sweep: %d sites, %g m: coverage %.1f %%", n, w, 100 * p.kpis["coverage_share"])
    table = pd.DataFrame(rows)
    knees = {}
    table["knee"] = False
    for w, group in table.groupby("walk_m"):
        k = knee(group["sites"], group["coverage_share"])
        knees[float(w)] = k
        if k is not None:
            table.loc[(table["walk_m"] == w) & (table["sites"] == k), "knee"] = True
    return SweepResult(table=table, knees=knees, name=area.name, currency=base.currency)
