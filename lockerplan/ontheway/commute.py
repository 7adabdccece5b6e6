"""Where customers are during the day: home-to-work trips by a gravity model.

Residents' trips from home cells to job cells follow a doubly-constrained gravity
model (the form, Furness balancing and Hyman's calibration as the tripdist
package documents them after Ortuzar & Willumsen, *Modelling Transport*)::

    T[i, j] = A[i] O[i] B[j] D[j] f(c[i, j]),      f(c) = exp(-beta c)

with ``O[i]`` the employed residents of cell ``i`` (residents times the employed
share), ``D[j]`` the jobs of cell ``j`` scaled to the same total (a doubly
constrained model needs equal totals), ``c`` the travel time in seconds and the
balancing factors ``A``, ``B`` found by Furness' iterative proportional fitting,
so every row sums to ``O`` and every column to ``D``.

The one parameter, ``beta``, is calibrated as Hyman (1969) proposed: the model's
mean travel time is made equal to an observed mean commute time. The default is
27.7 minutes, the mean home-to-work time of the Porto Alegre metropolitan area
from the PNAD household survey in Ipea's study of commute times (Pereira &
Schwanen, *Tempo de deslocamento casa-trabalho no Brasil (1992-2009)*, Ipea
discussion paper 1813, 2013), read in the press report of that study's
metropolitan means, not in the paper itself. It is a survey of all modes, so it
fits door-to-door transit times (:mod:`lockerplan.ontheway.transit`) better than
free-flow car times, which are shorter than it everywhere in a city of that size.

A planning model works on a finite set of trips: :func:`sample_trips` draws them
from the trip matrix with a seeded generator, each home cell's count in proportion
to its workers, so the same seed gives the same trips and every home cell's
workers are kept exactly.

The employed share of residents: :data:`EMPLOYED_SHARE` holds country figures
with their sources; without one the share is the layer's jobs over its residents.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize

from ..errors import InputError

log = logging.getLogger(__name__)

#: Mean home-to-work travel time, seconds: 27.7 min, Porto Alegre metropolitan
#: area, PNAD, as reported from Ipea's study (Pereira & Schwanen 2013, discussion
#: paper 1813).
MEAN_COMMUTE_S = 27.7 * 60

#: Employed residents per resident, by ISO country code. Brazil: 94.6 million
#: employed in 2019 (IBGE, PNAD Continua, *Caracteristicas adicionais do mercado
#: de trabalho 2019*) over 210,147,125 residents on 1 July 2019 (IBGE population
#: estimate): 0.450.
EMPLOYED_SHARE = {"BR": round(94.6e6 / 210_147_125, 3)}

#: Commuter trips drawn by :func:`sample_trips` by default: on Porto Alegre's
#: 1,227 cells about 16 trips per home cell.
SAMPLE_TRIPS = 20_000


@dataclass(frozen=True)
class GravityParams:
    """Settings of the commute model; checked when made.

    Parameters
    ----------
    employed_share : float, optional
        Employed residents per resident, in (0, 1]; default: the layer's jobs
        over its residents (capped at 1). See :data:`EMPLOYED_SHARE`.
    mean_commute_s : float, default :data:`MEAN_COMMUTE_S`
        Observed mean commute time that calibrates ``beta`` (Hyman's method).
    beta : float, optional
        The deterrence parameter (1/s) itself, instead of calibrating it.
    trips : int, default :data:`SAMPLE_TRIPS`
        Commuter trips to draw for planning.
    seed : int, default 0
        Seed of the draw.
    tol : float, default 1e-9
        Furness stops when no margin is off by more than this share.
    max_iter : int, default 1000
        Furness iterations at most.

    Examples
    --------
    >>> GravityParams(employed_share=EMPLOYED_SHARE["BR"]).employed_share
    0.45
    >>> GravityParams(employed_share=1.5)
    Traceback (most recent call last):
    ...
    lockerplan.errors.InputError: employed_share must be a share in (0, 1], got 1.5.
    """

    employed_share: float | None = None
    mean_commute_s: float = MEAN_COMMUTE_S
    beta: float | None = None
    trips: int = SAMPLE_TRIPS
    seed: int = 0
    tol: float = 1e-9
    max_iter: int = 1000

    def __post_init__(self) -> None:
        s = self.employed_share
        if s is not None and not (_number(s) and 0 < s <= 1):
            raise InputError(f"employed_share must be a share in (0, 1], got {s!r}.")
        if not (_number(self.mean_commute_s) and self.mean_commute_s > 0):
            raise InputError(
                f"mean_commute_s must be a number of seconds > 0, got {self.mean_commute_s!r}."
            )
        if self.beta is not None and not (_number(self.beta) and self.beta >= 0):
            raise InputError(f"beta must be a number >= 0 (per second), got {self.beta!r}.")
        for name in ("trips", "max_iter"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
                raise InputError(f"{name} must be a whole number >= 1, got {value!r}.")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int | np.integer):
            raise InputError(f"seed must be a whole number, got {self.seed!r}.")
        if not (_number(self.tol) and 0 < self.tol < 1):
            raise InputError(f"tol must be a number in (0, 1), got {self.tol!r}.")


def _number(x: object) -> bool:
    return isinstance(x, int | float | np.number) and not isinstance(x, bool) and np.isfinite(x)


@dataclass(frozen=True)
class Commutes:
    """A doubly-constrained trip matrix and how it was fitted.

    Attributes
    ----------
    trips : numpy.ndarray
        Workers from home ``i`` (rows) to job cell ``j`` (columns).
    origins, destinations : numpy.ndarray
        The margins it was fitted to: workers per home, jobs per job cell (scaled).
    beta : float
        Deterrence parameter, per second.
    mean_time_s : float
        Trip-weighted mean travel time of the matrix.
    iterations : int
        Furness iterations used.
    """

    trips: np.ndarray
    origins: np.ndarray
    destinations: np.ndarray
    beta: float
    mean_time_s: float
    iterations: int


def furness(
    seed: np.ndarray,
    origins: np.ndarray,
    destinations: np.ndarray,
    *,
    tol: float = 1e-9,
    max_iter: int = 1000,
) -> tuple[np.ndarray, int]:
    """Scale a seed matrix so that its rows sum to ``origins`` and columns to ``destinations``.

    Furness' method (iterative proportional fitting): rows and columns are scaled
    in turn until no row total is off by more than the share ``tol`` of itself
    (the column totals are met exactly after each pass).

    Parameters
    ----------
    seed : numpy.ndarray
        Non-negative ``(n, m)`` matrix, e.g. ``exp(-beta * time)``; zero where a
        trip is impossible.
    origins, destinations : numpy.ndarray
        Row and column totals; equal sums.
    tol : float, default 1e-9
        Largest error of a row total allowed, as a share of that total.
    max_iter : int, default 1000
        Most row-and-column passes.

    Returns
    -------
    trips : numpy.ndarray
    iterations : int

    Raises
    ------
    InputError
        If the totals differ, a row or column with a total has no possible trip,
        or the margins are not met within ``max_iter`` passes.

    Examples
    --------
    >>> T, _ = furness(np.ones((2, 2)), np.array([3.0, 1.0]), np.array([2.0, 2.0]))
    >>> T.sum(axis=1).round(9).tolist(), T.sum(axis=0).round(9).tolist()
    ([3.0, 1.0], [2.0, 2.0])
    """
    o = np.asarray(origins, dtype=float)
    d = np.asarray(destinations, dtype=float)
    total = o.sum()
    if not np.isclose(total, d.sum(), rtol=1e-9):
        raise InputError(
            f"furness: origins sum to {total:g} but destinations to {d.sum():g}; "
            "scale one to the other."
        )
    f = np.asarray(seed, dtype=float)
    for axis, margin, name in ((1, o, "home"), (0, d, "job")):
        dead = (f.sum(axis=axis) <= 0) & (margin > 0)
        if dead.any():
            raise InputError(
                f"furness: {int(dead.sum())} {name} cells with trips can reach no "
                f"{'job' if name == 'home' else 'home'} cell (first: index "
                f"{int(np.flatnonzero(dead)[0])}); drop them or give travel times for them."
            )
    b = np.ones(len(d))
    for it in range(1, max_iter + 1):
        a = np.divide(1.0, f @ (b * d), out=np.zeros_like(o), where=o > 0)
        b = np.divide(1.0, (a * o) @ f, out=np.zeros_like(d), where=d > 0)
        trips = (a * o)[:, None] * f * (b * d)[None, :]
        off = np.abs(trips.sum(axis=1) - o)
        err = float(np.max(off / np.where(o > 0, o, 1.0), initial=0.0))
        if err <= tol:
            return trips, it
    raise InputError(
        f"furness: a row total is still {err:.2g} of itself off after max_iter={max_iter} passes; "
        "raise max_iter or check the travel times."
    )


def gravity_commutes(
    workers: np.ndarray,
    jobs: np.ndarray,
    time_s: np.ndarray,
    params: GravityParams | None = None,
) -> Commutes:
    """Home-to-work trips by the doubly-constrained gravity model.

    Parameters
    ----------
    workers : numpy.ndarray
        Employed residents per home cell.
    jobs : numpy.ndarray
        Jobs per job cell; scaled to the workers' total.
    time_s : numpy.ndarray
        Travel time from each home to each job cell, seconds; ``inf`` or NaN where
        there is no way (such pairs take the longest time of the matrix).
    params : GravityParams, optional
        ``beta``, or ``mean_commute_s`` to calibrate it; Furness' ``tol``, ``max_iter``.

    Returns
    -------
    Commutes

    Raises
    ------
    InputError
        If the inputs disagree in shape, are negative, or ``mean_commute_s`` lies
        outside what the travel times allow.

    Examples
    --------
    >>> t = np.array([[60.0, 600.0], [600.0, 60.0]])
    >>> c = gravity_commutes(np.array([10.0, 30.0]), np.array([20.0, 20.0]), t,
    ...                      GravityParams(beta=1 / 300))
    >>> c.trips.sum(axis=1).round(6).tolist(), c.trips.sum(axis=0).round(6).tolist()
    ([10.0, 30.0], [20.0, 20.0])
    """
    params = params or GravityParams()
    o = np.asarray(workers, dtype=float)
    jobs = np.asarray(jobs, dtype=float)
    t = np.asarray(time_s, dtype=float)
    if t.shape != (len(o), len(jobs)):
        raise InputError(
            f"time_s must have one row per home cell and one column per job cell "
            f"({len(o)} x {len(jobs)}), got shape {t.shape}."
        )
    for name, x in (("workers", o), ("jobs", jobs)):
        bad = ~(np.isfinite(x) & (x >= 0))
        if bad.any():
            raise InputError(
                f"{name} must be numbers >= 0; cell {int(np.flatnonzero(bad)[0])} has "
                f"{x[bad][0]!r} (fill empty cells with 0)."
            )
        if not x.sum() > 0:
            raise InputError(f"{name} must hold some people; they sum to 0.")
    t = _no_way_as_longest(t)
    d = jobs * (o.sum() / jobs.sum())
    beta = params.beta
    if beta is None:
        beta = calibrate_beta(t, o, d, params)
    seed = np.exp(-beta * (t - t.min()))
    trips, iterations = furness(seed, o, d, tol=params.tol, max_iter=params.max_iter)
    mean = float((trips * t).sum() / trips.sum())
    log.info(
        "gravity model: %.0f workers, beta %.3g per minute, mean commute %.1f min, %d passes",
        o.sum(),
        beta * 60,
        mean / 60,
        iterations,
    )
    return Commutes(trips, o, d, float(beta), mean, iterations)


def _no_way_as_longest(t: np.ndarray) -> np.ndarray:
    """Travel times with every pair that has no way set to the longest time there is.

    Cells that the router links only among themselves (an island of streets, a
    point no stop serves) would otherwise form blocks whose workers and jobs must
    balance on their own, which Furness' method cannot do; their residents do
    commute, by some way the router does not know, and the longest time keeps those
    trips rare. Logged with their share.
    """
    ok = np.isfinite(t)
    if not ok.any():
        raise InputError("time_s has no finite travel time; check the router's input.")
    if not ok.all():
        log.info(
            "gravity model: %.1f %% of cell pairs have no way; they take the longest time (%.0f s)",
            100 * (1 - ok.mean()),
            t[ok].max(),
        )
    return np.where(ok, np.maximum(t, 0.0), t[ok].max())


def calibrate_beta(
    time_s: np.ndarray, origins: np.ndarray, destinations: np.ndarray, params: GravityParams
) -> float:
    """``beta`` at which the gravity model's mean travel time is ``params.mean_commute_s``.

    Hyman's (1969) calibration: the mean falls as ``beta`` grows, so the root is
    bracketed between ``beta = 0`` (the longest mean the travel times allow) and a
    ``beta`` large enough that everyone works nearest, and found by Brent's method.
    """
    target = params.mean_commute_s

    def mean_at(b: float) -> float:
        seed = np.exp(-b * (time_s - time_s.min()))
        trips, _ = furness(seed, origins, destinations, tol=1e-6, max_iter=params.max_iter)
        return float((trips * time_s).sum() / trips.sum())

    longest = mean_at(0.0)
    if target >= longest:
        raise InputError(
            f"--mean-commute-min {target / 60:g} is not below the longest mean commute these "
            f"travel times allow ({longest / 60:.1f} min, with no deterrence); give a shorter "
            "--mean-commute-min or --commute-beta directly."
        )
    hi = 1.0 / target
    while mean_at(hi) > target:
        hi *= 4.0
        if hi > 1.0:
            raise InputError(
                f"--mean-commute-min {target / 60:g} is below what these travel times allow; "
                "give a longer --mean-commute-min or --commute-beta directly."
            )
    return float(optimize.brentq(lambda b: mean_at(b) - target, 0.0, hi, xtol=1e-7, rtol=1e-6))


def employed_share(residents: np.ndarray, jobs: np.ndarray, params: GravityParams) -> float:
    """The employed share of residents: the setting, else the layer's jobs per resident.

    Examples
    --------
    >>> employed_share(np.array([100.0]), np.array([40.0]), GravityParams())
    0.4
    """
    if params.employed_share is not None:
        return float(params.employed_share)
    share = min(1.0, float(np.sum(jobs)) / max(float(np.sum(residents)), 1e-300))
    log.info("employed share of residents: %.3f (the layer's jobs per resident)", share)
    return share


def sample_trips(commutes: Commutes, params: GravityParams | None = None) -> pd.DataFrame:
    """A seeded draw of commuter trips from a trip matrix.

    Each home cell gets a number of draws in proportion to its workers (largest
    remainder; at least one), drawn from its row of the matrix by a multinomial
    with ``params.seed``; a drawn trip stands for its share of the cell's workers,
    so each home cell's workers are kept exactly and the job cells' in expectation.

    Parameters
    ----------
    commutes : Commutes
    params : GravityParams, optional
        ``trips`` (how many to draw) and ``seed``.

    Returns
    -------
    pandas.DataFrame
        One row per distinct (home, job) pair drawn: ``home``, ``job`` (row and
        column indices) and ``workers``.

    Examples
    --------
    >>> c = gravity_commutes(np.array([10.0, 30.0]), np.array([20.0, 20.0]),
    ...                      np.array([[60.0, 600.0], [600.0, 60.0]]), GravityParams(beta=1 / 300))
    >>> s = sample_trips(c, GravityParams(trips=100, seed=1))
    >>> s.groupby("home")["workers"].sum().round(6).tolist()
    [10.0, 30.0]
    """
    params = params or GravityParams()
    o = commutes.origins
    draws = _largest_remainder(o, params.trips)
    rng = np.random.default_rng(params.seed)
    homes, jobs, workers = [], [], []
    for i in np.flatnonzero(draws):
        row = commutes.trips[i]
        counts = rng.multinomial(draws[i], row / row.sum())
        j = np.flatnonzero(counts)
        homes.append(np.full(len(j), i))
        jobs.append(j)
        workers.append(counts[j] / draws[i] * o[i])
    if not homes:
        return pd.DataFrame({"home": [], "job": [], "workers": []})
    return pd.DataFrame(
        {
            "home": np.concatenate(homes),
            "job": np.concatenate(jobs),
            "workers": np.concatenate(workers),
        }
    )


def _largest_remainder(weights: np.ndarray, n: int) -> np.ndarray:
    """``n`` draws shared in proportion to ``weights`` (at least one per positive weight)."""
    w = np.asarray(weights, dtype=float)
    share = w / w.sum() * n
    out = np.floor(share).astype(np.int64)
    rest = n - out.sum()
    if rest > 0:
        out[np.argsort(-(share - out), kind="stable")[:rest]] += 1
    return np.where(w > 0, np.maximum(out, 1), 0)
