"""What-if in the page: open or close sites and read the key figures at once, offline.

A site's popup has a "Close this site" button, a candidate's (the "Candidate sites"
overlay) an "Open this site" button (class ``lp-toggle-site``, ``data-site-id`` the
candidate id). The panel's "What if" section then shows, for the sites open now,
what :meth:`lockerplan.Plan.evaluate` returns for the same set: coverage within
the walk (whole clusters within the walk of an open site, capacity not counted;
share in ``#lp-kpi-coverage``), covered parcels, sites by kind and fixed cost per
day, and, when as many sites are open as in the plan, the gap to the plan's
optimum; "Reset to the optimal plan" reopens the plan's sites.

What the page embeds (:func:`whatif_data`), bounded at any scale:

* demand clusters that the same candidates reach are one *group* (exact: they are
  covered together or not at all), with the sum of their parcels (4 decimals);
  clusters no candidate reaches are left out (never covered);
* per candidate the indices of the groups it reaches, sorted and delta-encoded
  (groups are numbered in the order candidates first reach them, so neighbours
  give small steps);
* per candidate its kind and fixed cost, and the plan's open candidates;
* per candidate not open, the outline of the demand within its walk
  (:func:`candidate_outlines`), drawn as its catchment when it is opened (for the
  :data:`CANDIDATE_OUTLINES` candidates reaching the most parcels);
* to repaint the demand: the group of each cluster while the map draws clusters
  one by one, or, where it draws demand per coverage cell (above
  :data:`~lockerplan.maps.layers.DETAIL_LIMIT` clusters), each group's cells with
  its parcels (covered by the plan or not) in them.

Toggling a site adds or removes its groups from a count per group, and the page
sums the parcels of the groups with a count above zero (the same sum as Python's).
The map follows: a closed site's catchment is hidden and its marker faded, its
popup says it is closed (no parcels assigned); an opened candidate's outline is
drawn, dashed; demand clusters that no open site
reaches any more are drawn as not covered, and those an opened candidate reaches
as covered (clusters whose reach did not change keep the plan's colour, which
also counts capacity). Per coverage cell, the cells of the groups whose reach
changed (and only they) take their new share; a toggle's work is the size of the
site's catchment, not of the map.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from folium.template import Template

from .html import escape, num
from .js import lat_lon_rings, page_json
from .layers import DETAIL_LIMIT
from .style import KIND_CSS, KIND_LABELS

#: Above this many bytes of embedded coverage data the page has no what-if (the
#: map stays within its size bound; :meth:`lockerplan.Plan.evaluate` still works).
WHATIF_MAX_BYTES = 4_000_000


def _groups(reach: Any) -> tuple[np.ndarray, int]:
    """Group of each column of a boolean candidate x cluster matrix (-1 if unreached).

    Columns reached by the same candidates share a group; groups are numbered in
    the order the candidates (row by row) first reach them.
    """
    csc = reach.tocsc()
    csc.sort_indices()
    keys: dict[bytes, int] = {}
    col_key = np.full(csc.shape[1], -1)
    for j in range(csc.shape[1]):
        rows = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
        if len(rows):
            col_key[j] = keys.setdefault(rows.tobytes(), len(keys))
    csr = reach.tocsr()
    csr.sort_indices()
    first_keys = col_key[csr.indices]
    order = np.full(len(keys), -1)
    uniq, first = np.unique(first_keys, return_index=True)
    order[uniq] = np.argsort(np.argsort(first))
    return np.where(col_key >= 0, order[np.maximum(col_key, 0)], -1), len(keys)


def whatif_data(plan: Any, detail_limit: int = DETAIL_LIMIT) -> dict[str, Any] | None:
    """The coverage data the page's what-if reads, or None when the plan has no
    distances or the data would exceed :data:`WHATIF_MAX_BYTES`.

    Keys: ``id`` candidate ids, ``k`` kind index (into ``kinds``), ``f`` fixed cost
    per day, ``r`` delta-encoded group indices per candidate, ``w`` parcels per
    group, ``o`` positions of the plan's open candidates, ``t`` demand parcels/day,
    ``cur`` currency; ``plan`` the plan's own
    :class:`~lockerplan.pipeline.result.Evaluation` (for the panel's first figures;
    not embedded). To repaint the demand: ``cg`` the group of each demand cluster
    (-1: no candidate reaches it) while the map draws clusters one by one (up to
    ``detail_limit``); above it, where the map draws demand per coverage cell, the
    cells of each group (:func:`_cell_entries`), left out (the figures stay, the
    cells keep the plan's colours) when they would exceed :data:`WHATIF_MAX_BYTES`.
    ``h`` the outline each candidate's catchment is drawn with when it is opened
    (:func:`candidate_outlines`; left out beyond :data:`WHATIF_MAX_BYTES`) and
    ``outlines_left`` the candidates without one (not embedded).

    Parameters
    ----------
    plan : lockerplan.Plan
        With ``distances``.
    detail_limit : int, default DETAIL_LIMIT
        The map's :data:`~lockerplan.maps.layers.DETAIL_LIMIT` (clusters drawn one by
        one up to it).
    """
    if getattr(plan, "distances", None) is None:
        return None
    reach = plan.reach().tocsr()
    reach.sort_indices()
    group, n_groups = _groups(reach)
    w = np.zeros(n_groups)
    parcels = plan.demand["parcels_per_day"].to_numpy(dtype=float)
    np.add.at(w, group[group >= 0], parcels[group >= 0])
    rows = []
    for j in range(reach.shape[0]):
        g = np.unique(group[reach.indices[reach.indptr[j] : reach.indptr[j + 1]]])
        rows.append(np.diff(g, prepend=0).tolist())
    kinds = list(KIND_CSS)
    kind = plan.candidates["kind"].astype(str)
    opened = plan.candidate_positions(plan.sites["candidate_id"].astype(str))
    data = {
        "id": plan.candidates["candidate_id"].astype(str).tolist(),
        "k": [kinds.index(k) if k in kinds else 0 for k in kind],
        "f": np.round(plan.fixed_costs(), 2).tolist(),
        "r": rows,
        "w": np.round(w, 4).tolist(),
        "o": opened.tolist(),
        "t": float(plan.kpis.demand_parcels_per_day or parcels.sum()),
        "cur": plan.scenario.costs.currency,
    }
    if len(group) <= detail_limit:  # clusters drawn one by one: the page repaints them
        data["cg"] = group.tolist()
    elif len(page_json(data)) <= WHATIF_MAX_BYTES:  # demand drawn per coverage cell
        cells = _cell_entries(plan, group)
        if len(page_json(data | cells)) <= WHATIF_MAX_BYTES:  # else figures, no repaint
            data |= cells
    if len(page_json(data)) > WHATIF_MAX_BYTES:
        return None
    outlines, left = candidate_outlines(plan, reach, opened)
    if len(page_json(data | {"h": outlines})) <= WHATIF_MAX_BYTES:
        data["h"] = outlines
        data["outlines_left"] = left  # not embedded: for the panel's note
    data["plan"] = plan.evaluate(plan.candidates["candidate_id"].to_numpy()[opened])
    return data


#: Most candidates whose catchment outline the page carries (those reaching the most
#: parcels first): the what-if draws it when one is opened.
CANDIDATE_OUTLINES = 1000
#: Margin of a candidate's outline around the demand it reaches, metres (the depth of
#: the buildings fronting a street, as the catchments' street buffer).
OUTLINE_MARGIN_M = 25.0


def candidate_outlines(plan: Any, reach: Any, opened: np.ndarray) -> tuple[list, int]:
    """The outline of the demand each candidate reaches, for the what-if to draw when
    the candidate is opened.

    The plan's catchments (:func:`lockerplan.pipeline.allocate.catchment_layer`)
    follow the reachable streets and take about 0.15 s a site, too slow for every
    candidate; a candidate's outline is the convex hull of itself and the demand
    clusters within its walk, grown by :data:`OUTLINE_MARGIN_M` and simplified by
    5 m, computed from the plan's distances alone (no network: it works for a plan
    on Dask too).

    Parameters
    ----------
    plan : lockerplan.Plan
        With ``candidates`` and ``demand``.
    reach : scipy.sparse.csr_matrix
        Candidate x cluster reach (:meth:`lockerplan.Plan.reach`).
    opened : numpy.ndarray
        Positions of the plan's open sites (they have their catchments).

    Returns
    -------
    list
        Per candidate the outline as Leaflet ``latlngs`` (:func:`lat_lon_rings`), or
        0: an open site, a candidate reaching no demand, or one beyond the
        :data:`CANDIDATE_OUTLINES` reaching the most parcels.
    int
        How many candidates reaching demand were left without an outline.
    """
    n = reach.shape[0]
    out: list = [0] * n
    parcels = plan.demand["parcels_per_day"].to_numpy(dtype=float)
    served = reach @ parcels
    rows = np.setdiff1d(np.flatnonzero(np.diff(reach.indptr) > 0), opened)
    rows = rows[np.argsort(-served[rows], kind="stable")]
    left = max(len(rows) - CANDIDATE_OUTLINES, 0)
    rows = np.sort(rows[:CANDIDATE_OUTLINES])
    if not len(rows):
        return out, left
    crs = plan.demand.estimate_utm_crs()
    demand_xy = shapely.get_coordinates(plan.demand.geometry.to_crs(crs).representative_point())
    cand_xy = shapely.get_coordinates(plan.candidates.geometry.to_crs(crs).representative_point())
    counts = np.diff(reach.indptr)[rows]
    cols = np.concatenate([reach.indices[reach.indptr[j] : reach.indptr[j + 1]] for j in rows])
    xy = np.concatenate([demand_xy[cols], cand_xy[rows]])
    which = np.concatenate([np.repeat(np.arange(len(rows)), counts), np.arange(len(rows))])
    order = np.argsort(which, kind="stable")
    hulls = shapely.convex_hull(shapely.multipoints(xy[order], indices=which[order]))
    shapes = shapely.simplify(shapely.buffer(hulls, OUTLINE_MARGIN_M, quad_segs=4), 5.0)
    for j, geom in zip(rows, gpd.GeoSeries(shapes, crs=crs).to_crs("EPSG:4326"), strict=True):
        out[j] = lat_lon_rings(geom)
    return out, left


def _cell_entries(plan: Any, group: np.ndarray) -> dict[str, list]:
    """What the page needs to repaint the coverage cells: per group, the cells its
    clusters lie in, with their parcels.

    Keys (flat lists, ordered by group): ``xn`` number of cells of each group,
    ``xc`` the cell's position in the cells' rows
    (:func:`~lockerplan.maps.demand_layers.cell_rows`), ``xp`` the group's parcels/day
    in the cell and ``xu`` those of them the plan does not cover (3 decimals). While
    a group's reach holds its cells count the plan's covered parcels (``xp - xu``);
    when it gets an open site within the walk they count ``xp``, when it loses
    every one, nothing. Empty without the plan's cells.
    """
    cells = getattr(plan, "cells", None)
    cell_m, grid_crs = (
        (cells.attrs.get(k) for k in ("cell_m", "grid_crs")) if cells is not None else (None, None)
    )
    if cells is None or not len(cells) or not cell_m or grid_crs is None:
        return {}
    drawn = ~(cells.geometry.isna() | cells.geometry.is_empty).to_numpy()
    position = dict(zip(cells["cell_id"].to_numpy()[drawn], range(int(drawn.sum())), strict=True))
    demand = plan.demand
    pts = demand.geometry.to_crs(grid_crs)
    if not (pts.geom_type == "Point").all():
        pts = pts.representative_point()
    col = np.floor(pts.x.to_numpy() / cell_m).astype(np.int64)
    row = np.floor(pts.y.to_numpy() / cell_m).astype(np.int64)
    ids = [
        f"E{int(round(c * cell_m))}_N{int(round(r * cell_m))}"
        for c, r in zip(col, row, strict=True)
    ]
    cell = np.array([position.get(i, -1) for i in ids])
    parcels = demand["parcels_per_day"].to_numpy(dtype=float)
    covered = demand["covered"].fillna(False).astype(bool).to_numpy()
    keep = (group >= 0) & (cell >= 0)
    table = (
        pd.DataFrame(
            {
                "g": group[keep],
                "c": cell[keep],
                "p": parcels[keep],
                "u": np.where(covered[keep], 0.0, parcels[keep]),
            }
        )
        .groupby(["g", "c"], sort=True)
        .sum()
        .reset_index()
    )
    counts = np.bincount(table["g"].to_numpy(), minlength=int(group.max()) + 1 if len(group) else 0)
    return {
        "xn": counts.tolist(),
        "xc": table["c"].tolist(),
        "xp": np.round(table["p"].to_numpy(), 2).tolist(),
        "xu": np.round(table["u"].to_numpy(), 2).tolist(),
    }


def _kinds_text(by_kind: dict[str, int]) -> str:
    """``"5 cabinets, 1 pickup point"``."""
    return ", ".join(
        f"{n} {KIND_LABELS.get(k, k)}{'s' if n != 1 else ''}" for k, n in by_kind.items() if n
    )


def whatif_html(data: dict[str, Any]) -> str:
    """The panel's "What if" section, filled with the plan's own figures."""
    ev = data["plan"]
    cur = escape(ev.currency)
    rows = [
        (
            "Coverage",
            f"<b><span id='lp-kpi-coverage' data-value='{ev.coverage_share}'>"
            f"{num(100 * ev.coverage_share, '{:.1f}', '%')}</span></b> within the walk",
        ),
        (
            "Covered",
            f"<span id='lp-kpi-covered'>{num(ev.covered_parcels_per_day, '{:,.1f}')}</span> "
            "parcels/day",
        ),
        (
            "Sites",
            f"<span id='lp-kpi-sites'>{ev.sites_open} ({escape(_kinds_text(ev.sites_by_kind))})"
            "</span>",
        ),
        (
            "Fixed cost",
            f"<span id='lp-kpi-fixed'>{num(ev.fixed_cost_per_day, '{:,.0f}', cur)}</span>/day",
        ),
        (
            "Vs the plan",
            f"<span id='lp-kpi-gap' data-value='0'>this is the plan "
            f"({num(100 * ev.coverage_share, '{:.1f}', '%')})</span>",
        ),
    ]
    table = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return (
        "<div class='lp-section'>What if: click a site to close it, a candidate to open it"
        f"</div><table class='lp-table lp-whatif'>{table}</table>"
        "<button type='button' id='lp-reset' class='lp-reset'>Reset to the optimal plan</button>"
        "<div class='lp-note'>Coverage within the walk: demand within the walk of an open "
        "site, capacity not counted (as <code>Plan.evaluate</code>).</div>" + _outline_note(data)
    )


def _outline_note(data: dict[str, Any]) -> str:
    """What an opened candidate's catchment is, and for how many candidates it is drawn.

    Examples
    --------
    >>> "dashed" in _outline_note({"h": [0], "outlines_left": 0})
    True
    >>> "1,000 candidates reaching the most demand" in _outline_note({"h": [0], "outlines_left": 5})
    True
    >>> _outline_note({})
    ''
    """
    if "h" not in data:
        return ""
    left = data.get("outlines_left", 0)
    limit = (
        f" It is drawn for the {CANDIDATE_OUTLINES:,} candidates reaching the most demand; "
        f"the other {left:,} show none."
        if left
        else ""
    )
    return (
        "<div class='lp-note' id='lp-outline-note'>An opened candidate's catchment is the "
        "outline of the demand within its walk (dashed), not the streets' shape of an open "
        f"site's.{limit}</div>"
    )


class WhatIf(MacroElement):
    """The what-if script: toggles sites from their popups and updates the panel.

    Add it to the map after the panel (its elements must exist).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (D, map) {
            var n = D.id.length, G = D.w.length, reach = [], index = {};
            var open = new Uint8Array(n), count = new Int32Array(G), layers = {};
            var K = {{ this.kind_css }}, L_ = {{ this.kind_labels }};
            for (var j = 0; j < n; j++) {
                var d = D.r[j], a = new Int32Array(d.length), x = 0;
                for (var i = 0; i < d.length; i++) { x += d[i]; a[i] = x; }
                reach.push(a); index[D.id[j]] = j;
            }
            var fmt = function (v, p) { return v.toLocaleString("en-US",
                {minimumFractionDigits: p, maximumFractionDigits: p}); };
            var flipped = [];  // groups whose reach changed since the last repaint
            function set(j, on) {
                if (open[j] === on) { return; }
                open[j] = on;
                var a = reach[j], step = on ? 1 : -1;
                for (var i = 0; i < a.length; i++) {
                    var g = a[i], before = count[g] > 0;
                    count[g] += step;
                    if (before !== count[g] > 0) { flipped.push(g); }
                }
            }
            function figures() {
                var covered = 0, cost = 0, sites = 0, kinds = {};
                for (var g = 0; g < G; g++) { if (count[g] > 0) { covered += D.w[g]; } }
                for (var j = 0; j < n; j++) {
                    if (!open[j]) { continue; }
                    sites += 1; cost += D.f[j]; kinds[D.k[j]] = (kinds[D.k[j]] || 0) + 1;
                }
                return {covered: covered, share: D.t ? covered / D.t : 0, cost: cost,
                        sites: sites, kinds: kinds};
            }
            for (var o = 0; o < D.o.length; o++) { set(D.o[o], 1); }
            flipped = [];
            var optimum = figures(), base = new Uint8Array(G);
            for (var g0 = 0; g0 < G; g0++) { base[g0] = count[g0] > 0 ? 1 : 0; }
            // demand drawn per coverage cell: the cells of each group, and the parcels
            // covered in each cell beyond the plan's (only the flipped groups' cells change)
            var xs = null, cov = null, cov0 = null;
            if (D.xn) {
                xs = new Int32Array(G + 1);
                for (var g1 = 0; g1 < G; g1++) { xs[g1 + 1] = xs[g1] + (D.xn[g1] || 0); }
                var cells = 0;
                for (var e0 = 0; e0 < D.xc.length; e0++) { cells = Math.max(cells, D.xc[e0] + 1); }
                cov = new Float64Array(cells);
                for (var e1 = 0; e1 < D.xc.length; e1++) { cov[D.xc[e1]] += D.xp[e1] - D.xu[e1]; }
                cov0 = Float64Array.from(cov);
                var painted = Uint8Array.from(base);  // each group's reach as last painted
            }
            function part(g, e, now) {  // parcels of entry e covered: the plan's while its reach holds
                return now === (base[g] === 1) ? D.xp[e] - D.xu[e] : (now ? D.xp[e] : 0);
            }
            function repaintCells() {
                var reg = window.lockerplanCellLayers || [], touched = {};
                for (var f = 0; f < flipped.length; f++) {
                    var g = flipped[f], now = count[g] > 0;
                    if (now === (painted[g] === 1)) { continue; }  // flipped back, or seen
                    for (var e = xs[g]; e < xs[g + 1]; e++) {
                        cov[D.xc[e]] += part(g, e, now) - part(g, e, !now);
                        touched[D.xc[e]] = true;
                    }
                    painted[g] = now ? 1 : 0;
                }
                flipped = [];
                Object.keys(touched).forEach(function (key) {
                    var c = +key, entry = reg[c];
                    if (!entry) { return; }
                    var r = entry.r, d = cov[c] - cov0[c], same = Math.abs(d) < 1e-6;
                    var s = same || !(r.p > 0) ? r.s : Math.min(1, Math.max(0, cov[c] / r.p));
                    var u = same ? r.u : Math.max(0, r.p - cov[c]);
                    var note = same ? "" : " in this what-if (" + (d > 0 ? "+" : "\u2212") +
                        fmt(Math.abs(d), 1) + " parcels/day against the plan)";
                    entry.layers.forEach(function (l) { l.lpRestyle(s, u, note); });
                });
            }
            function repaint() {
                if (xs) { repaintCells(); return; }
                flipped = [];
                var drawn = window.lockerplanDemand || [], style = window.lockerplanDemandStyle;
                if (!D.cg || !style) { return; }
                for (var i = 0; i < drawn.length; i++) {
                    var m = drawn[i], r = m.lpRow, g = D.cg[r.j];
                    var now = g >= 0 && count[g] > 0, was = g >= 0 && base[g] === 1;
                    var v = now === was ? r.v : (now ? 1 : 0), key = now === was ? -1 : v;
                    if (m.lpShown === key) { continue; }
                    m.lpShown = key;
                    m.setStyle(style(v));
                    m.setTooltipContent(now === was ? r.t : r.t.split(", ")[0] + ", " + (now ?
                        "covered in this what-if (an open site within the walk)" :
                        "not covered in this what-if (no open site within the walk)"));
                }
            }
            function text(id, t) { var el = document.getElementById(id); if (el) { el.textContent = t; } return el; }
            function show() {
                var f = figures(), parts = [];
                Object.keys(f.kinds).sort().forEach(function (k) {
                    var c = f.kinds[k]; parts.push(c + " " + L_[k] + (c === 1 ? "" : "s"));
                });
                var el = text("lp-kpi-coverage", fmt(100 * f.share, 1) + " %");
                if (el) { el.dataset.value = String(f.share); }
                text("lp-kpi-covered", fmt(f.covered, 1));
                text("lp-kpi-sites", f.sites + (parts.length ? " (" + parts.join(", ") + ")" : ""));
                text("lp-kpi-fixed", fmt(f.cost, 0) + " " + D.cur);
                var diff = f.covered - optimum.covered, gap = text("lp-kpi-gap", "");
                if (!gap) { return; }
                if (f.sites !== optimum.sites) {
                    gap.textContent = "open " + optimum.sites + " sites to compare (now " + f.sites + ")";
                } else if (same()) {
                    gap.textContent = "this is the plan (" + fmt(100 * optimum.share, 1) + " %)";
                } else {
                    gap.textContent = (diff >= 0 ? "+" : "\u2212") + fmt(Math.abs(100 * diff / D.t), 1) +
                        " points: " + fmt(Math.abs(diff), 1) + " parcels/day " +
                        (diff >= 0 ? "more" : "fewer") + " than the plan (" +
                        fmt(100 * optimum.share, 1) + " %)";
                }
                gap.dataset.value = String(diff);
            }
            function same() {
                var s = new Uint8Array(n);
                for (var o = 0; o < D.o.length; o++) { s[D.o[o]] = 1; }
                for (var j = 0; j < n; j++) { if (s[j] !== open[j]) { return false; } }
                return true;
            }
            function outline(id, j) {  // an opened candidate's catchment: its outline
                var group = window.lockerplanCatchmentGroup;
                if (!D.h || !D.h[j] || !group) { return null; }
                var tip = document.createElement("span");
                tip.textContent = "Opened in this what-if: " + id +
                    " (outline of the demand within its walk)";
                var c = L.polygon(D.h[j], {color: K[D.k[j]], weight: 1.5, dashArray: "5 4",
                        fillColor: K[D.k[j]], fillOpacity: 0.15}).bindTooltip(tip, {sticky: true});
                c.lpOutline = true;
                c.addTo(group);
                (window.lockerplanCatchments = window.lockerplanCatchments || {})[id] = c;
                return c;
            }
            function look(id) {
                var j = index[id], on = open[j];
                var c = (window.lockerplanCatchments || {})[id] || (on ? outline(id, j) : null);
                if (c) {
                    c.setStyle(on ? {opacity: 1, fillOpacity: 0.15} : {opacity: 0, fillOpacity: 0});
                    var el = c.getElement && c.getElement();
                    if (el) { el.style.pointerEvents = on ? "" : "none"; }
                }
                (layers[id] || []).forEach(function (l) {
                    if (l instanceof L.CircleMarker) {
                        l.setStyle(on ? {color: K[D.k[j]], fillColor: K[D.k[j]], weight: 2}
                                      : {color: {{ this.candidate_css }}, fillColor: {{ this.candidate_css }}, weight: 1});
                        l.setRadius(on ? 6 : 3);
                    } else if (l.setOpacity) { l.setOpacity(on ? 1 : 0.4); }
                });
            }
            function label(root) {
                root.querySelectorAll(".lp-toggle-site").forEach(function (b) {
                    var j = index[b.dataset.siteId];
                    if (j === undefined) { return; }
                    b.textContent = open[j] ? "Close this site" : "Open this site";
                    var box = b.closest(".lp-popup");
                    var status = box && box.querySelector(".lp-status");
                    var assigned = box && box.querySelector(".lp-assigned");
                    if (assigned) {
                        if (assigned.dataset.plan === undefined) { assigned.dataset.plan = assigned.textContent; }
                        assigned.textContent = open[j] ? assigned.dataset.plan : "none (closed)";
                    }
                    if (status) {
                        status.textContent = open[j] ? "" : "Closed in this what-if: its demand " +
                            "counts only where another open site is within the walk.";
                    }
                });
            }
            map.on("popupopen", function (e) {
                var el = e.popup.getElement(), b = el && el.querySelector(".lp-toggle-site");
                if (!b) { return; }
                var id = b.dataset.siteId, src = e.popup._source;
                layers[id] = layers[id] || [];
                if (src && layers[id].indexOf(src) < 0) { layers[id].push(src); }
                label(el);
            });
            document.addEventListener("click", function (e) {
                var b = e.target.closest && e.target.closest(".lp-toggle-site");
                if (b && index[b.dataset.siteId] !== undefined) {
                    var j = index[b.dataset.siteId];
                    set(j, open[j] ? 0 : 1); look(b.dataset.siteId); label(document); show(); repaint();
                } else if (e.target.id === "lp-reset") {
                    for (var j = 0; j < n; j++) { if (open[j]) { set(j, 0); look(D.id[j]); } }
                    for (var o = 0; o < D.o.length; o++) { set(D.o[o], 1); look(D.id[D.o[o]]); }
                    label(document); show(); repaint();
                }
            });
            window.lockerplanWhatIf = {open: open, ids: D.id, figures: figures, show: show,
                                       repaint: repaint};
            show();
        })({{ this.data_js }}, {{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, data: dict[str, Any], candidate_css: str) -> None:
        super().__init__()
        self._name = "WhatIf"
        self.data_js = page_json(
            {k: v for k, v in data.items() if k not in ("plan", "outlines_left")}
        )
        self.kind_css = page_json(list(KIND_CSS.values()))
        self.kind_labels = page_json([KIND_LABELS[k] for k in KIND_CSS])
        self.candidate_css = page_json(candidate_css)
