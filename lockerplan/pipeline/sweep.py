"""Scenario sweeps: how coverage and cost change with the number of sites and the cutoff.

The study area (networks, demand, candidates, walking distances) is prepared once,
with distances up to the largest cutoff of the sweep; each scenario then only
re-solves the siting MILP and the routing, as :func:`lockerplan.plan` does, so
each row holds the figures the plan with the same settings reports (with the
door-to-door baseline and the business case unless the scenario says
``door_to_door=False``; only the catchment polygons, which are no figure, are
skipped). The result is a comparison table whose columns are figures of
:mod:`lockerplan.figures` (the ``"sweep"`` view), coverage-vs-sites and
cost-vs-sites curves and the knee of the coverage curve: the number of sites
after which each extra site adds clearly less coverage.
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
from ..figures import FIGURES, SIDE_FIGURES, Figure, missing, side_figure
from ..files import staged
from ..progress import tqdm
from ..scenario import Scenario
from .prepare import prepare_study_area, resolve_scenario
from .solve import plan_study_area

log = logging.getLogger(__name__)

#: The sweep's own columns: the site limit and the walking cutoff of each plan.
INPUT_COLUMNS = {
    "sites": Figure("sites", "Sites (at most)", fmt="{:,.0f}", help="The plan's site limit"),
    "walk_m": FIGURES["walk_m"],
}


def table_figures() -> dict[str, Figure]:
    """The sweep table's columns and the figures that write them: the plan's input,
    then every figure of the ``"sweep"`` view (:data:`lockerplan.figures.FIGURES`,
    and the door-to-door side of the business case as ``KEY_door_to_door``), in the
    order of :meth:`lockerplan.records.Kpis.flat`.

    Examples
    --------
    >>> list(table_figures())[:4]
    ['sites', 'walk_m', 'sites_open', 'demand_parcels_per_day']
    """
    out = dict(INPUT_COLUMNS)
    out.update((k, f) for k, f in FIGURES.items() if "sweep" in f.views and k != "walk_m")
    out.update(
        (f"{k}_door_to_door", side_figure(k, "door_to_door"))
        for k, f in SIDE_FIGURES.items()
        if "sweep" in f.views
    )
    return out


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
    """The knee of an increasing, saturating curve: where it visibly bends.

    Method (Kneedle, Satopää et al. 2011, on the rising part): the flat tail is
    cut off first (points after the curve first reaches its top: more sites add
    nothing there, and a long tail would pull the knee towards it); both axes are
    then scaled to 0..1 and the knee is the point farthest above the chord from
    the first point to the top (the largest vertical gap ``y - x`` in scaled units,
    which is also the largest perpendicular distance to the chord).

    Returns
    -------
    float or None
        The ``x`` of the knee; None with fewer than three rising points or a flat
        or straight curve.

    Examples
    --------
    >>> knee([1, 2, 3, 4, 5], [0.3, 0.6, 0.7, 0.72, 0.73])
    2
    >>> knee([1, 2, 3, 4, 5, 6, 7, 8], [0.3, 0.6, 0.7, 0.72, 0.73, 0.73, 0.73, 0.73])
    2
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(x) < 3 or np.ptp(y) == 0 or np.ptp(x) == 0:
        return None
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    top = int(np.argmax(y >= y.max() - 1e-9 * max(1.0, abs(y.max()))))
    x, y = x[: top + 1], y[: top + 1]
    if len(x) < 3 or np.ptp(y) == 0:
        return None
    xs, ys = (x - x.min()) / np.ptp(x), (y - y.min()) / np.ptp(y)
    gain = ys - xs
    k = int(np.argmax(gain))
    if gain[k] <= 1e-9:
        return None
    value = x[k]
    return int(value) if float(value).is_integer() else float(value)


def _cell(value: Any, fig: Figure) -> str:
    """A table value as its figure writes it (its unit is in the heading), or "" when
    missing.

    Examples
    --------
    >>> _cell(400.0, FIGURES["walk_m"]), _cell(0.8382, FIGURES["coverage_share"])
    ('400', '83.8')
    >>> _cell(None, FIGURES["route_km"])
    ''
    """
    if missing(value):
        return ""
    return html.escape(fig.number(value))


def report_table(table: pd.DataFrame, currency: str = "EUR") -> tuple[str, list[str]]:
    """The sweep table as HTML for people: headings in words, numbers formatted (each
    column by its figure, :func:`table_figures`), the knee row marked; and the columns
    that are the same in every row, as sentences.

    Returns
    -------
    (str, list of str)
        The ``<table>`` and the constant columns (``"Demand (parcels/day): 1,696.6"``).
    """
    cols, constant = [], []
    for key, fig in table_figures().items():
        if key not in table.columns or table[key].isna().all():
            continue
        heading = fig.heading(currency)
        if len(table) > 1 and table[key].nunique(dropna=False) == 1 and key != "sites":
            constant.append(f"{heading}: {_cell(table[key].iloc[0], fig)}")
        else:
            cols.append((key, heading, fig))
    head = "".join(f"<th>{html.escape(h)}</th>" for _, h, _ in cols)
    rows = []
    knees = table["knee"] if "knee" in table.columns else pd.Series(False, index=table.index)
    for (_, row), is_knee in zip(table.iterrows(), knees, strict=True):
        cells = "".join(f"<td>{_cell(row[k], fig)}</td>" for k, _, fig in cols)
        mark = "<td class='knee'>knee</td>" if is_knee else "<td></td>"
        rows.append(f"<tr{' class=knee' if is_knee else ''}>{cells}{mark}</tr>")
    return (
        f"<table><thead><tr>{head}<th></th></tr></thead><tbody>{''.join(rows)}</tbody></table>",
        constant,
    )


#: Styles of the sweep report: the page and its table fit a laptop screen.
REPORT_CSS = (
    "body{font:14px/1.4 sans-serif;margin:1.5em auto;max-width:980px;padding:0 1em;color:#222}"
    "img{max-width:100%;height:auto}"
    "table{border-collapse:collapse;font-size:13px;width:100%;table-layout:auto}"
    "th,td{border:1px solid #ccc;padding:2px 5px;text-align:right}"
    "th{background:#f3f3f3;font-weight:600;vertical-align:bottom}"
    "td{white-space:nowrap;font-variant-numeric:tabular-nums}"
    "tr.knee td{background:#fff3c4;font-weight:700}"
)


@dataclass
class SweepResult:
    """A table of plans over a grid of site counts and walking cutoffs.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per scenario: ``sites`` (the limit), ``walk_m`` and the figures of
        :func:`table_figures` (as the plan with the same settings reports them),
        plus ``knee`` (True on the knee row of each cutoff).
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
        from matplotlib.figure import Figure as Plot

        figs = {}
        for key, column in (
            ("coverage_vs_sites", "coverage_share"),
            ("cost_vs_sites", "cost_per_day"),
        ):
            # Figure() without pyplot: no GUI backend, nothing left open between calls
            fig = Plot(figsize=(6.4, 4.0), dpi=100)
            ax = fig.subplots()
            if self.table[column].isna().all():
                column = "route_km"
            shown = FIGURES[column]
            label = shown.heading(self.currency)
            for walk_m, rows in self.table.groupby("walk_m"):
                yv = rows[column] * shown.scale
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
            ax.set_xlabel(INPUT_COLUMNS["sites"].heading())
            ax.set_ylabel(label)
            ax.set_title(f"{self.name}: {label} vs sites")
            ax.grid(alpha=0.3)
            ax.legend()
            fig.tight_layout()
            figs[key] = fig
        return figs

    def summary(
        self,
        columns: Sequence[str] = (
            "sites_open",
            "coverage_share",
            "mean_walk_m",
            "route_km",
            "cost_per_parcel",
        ),
    ) -> str:
        """The table as text for a terminal: the inputs, ``columns`` and the knee, each
        headed and written by its figure; then the knee of each cutoff."""
        shown = {k: f for k, f in table_figures().items() if k in ("sites", "walk_m", *columns)}
        shown = {k: f for k, f in shown.items() if k in self.table and self.table[k].notna().any()}
        head = [f.heading(self.currency) for f in shown.values()]
        body = [
            [_cell(row[k], f) or "\u2013" for k, f in shown.items()]
            + ["knee" if row.get("knee") else ""]
            for _, row in self.table.iterrows()
        ]
        widths = [max(len(h), *(len(r[i]) for r in body)) for i, h in enumerate(head)]
        lines = ["  ".join(h.rjust(w) for h, w in zip(head, widths, strict=False))]
        lines += [
            "  ".join(c.rjust(w) for c, w in zip(r, widths, strict=False)) + "  " + r[-1]
            for r in body
        ]
        lines += [
            f"knee of the coverage curve at {w:g} m: {k if k is not None else 'none'} sites"
            for w, k in self.knees.items()
        ]
        return "\n".join(line.rstrip() for line in lines)

    def to_html(self) -> str:
        """A one-page HTML report: the curves and the comparison table.

        The table reads like the map's panel (see :func:`report_table`): headings in
        words, coverage in %, numbers with their own decimals, the knee row marked;
        it is as wide as the page at most (960 px).
        """
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
        table, constant = report_table(self.table, self.currency)
        same = f"<p>In every scenario: {'; '.join(constant)}.</p>" if constant else ""
        return (
            "<!doctype html><html><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>lockerplan sweep: {html.escape(self.name)}</title>"
            f"<style>{REPORT_CSS}</style></head><body>"
            f"<h1>Scenario sweep: {html.escape(self.name)}</h1>"
            f"<p>Knee of the coverage curve (where each further site adds clearly less "
            f"coverage): {html.escape(knees)}.</p>{''.join(images)}{same}{table}"
            "<p><small>The knee: the point farthest above the straight line from the first "
            "plan to the first plan with the highest coverage, both axes scaled to 0..1 "
            "(Kneedle). Map data © OpenStreetMap contributors</small></p></body></html>"
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
        Other :class:`Scenario` fields (``door_to_door=False`` skips the door-to-door
        day and so the business case: faster, and the cost is then the replenishment
        routes' and the sites', as a plan with that setting reports it).

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
    base = resolve_scenario(scenario, settings)
    cutoffs = sorted({float(w) for w in walk_m}) if walk_m is not None else [base.siting.walk_m]
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
        p = plan_study_area(area, sites=n, walk_m=w, catchments=False)
        rows.append({"sites": n, **p.kpis.flat("sweep")})
        log.info("sweep: %d sites, %g m: coverage %.1f %%", n, w, 100 * p.kpis["coverage_share"])
    table = pd.DataFrame(rows)
    knees = {}
    table["knee"] = False
    for w, group in table.groupby("walk_m"):
        k = knee(group["sites"], group["coverage_share"])
        knees[float(w)] = k
        if k is not None:
            table.loc[(table["walk_m"] == w) & (table["sites"] == k), "knee"] = True
    return SweepResult(table=table, knees=knees, name=area.name, currency=base.costs.currency)
