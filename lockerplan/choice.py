"""Customers choose: a multinomial logit (MNL) of home delivery, our sites and rivals' sites.

A customer of demand cluster ``i`` chooses between home delivery and every site,
ours or a rival's, within the walk of home. Each option has a utility; the option's
probability is its attraction ``exp(utility)`` over the sum of all the customer's
attractions (McFadden's multinomial logit, as Lin et al. 2020 and 2022 site lockers
under it):

    utility of a site   = - walk_utility_per_km x walk (km) + discount_utility x discount
    utility of home     = home_utility

so a site ``j`` takes ``a_ij / (a_i0 + sum of the open sites' a + sum of the rivals' a)``
of the cluster's parcels. A site beyond the walk is no option. The walk to a rival
is the rival's own walk; rivals are always open and offer no discount.

The home utility is *calibrated*: :func:`calibrate_home` finds the one that makes the
parcel-weighted out-of-home share of the customers with a site in reach (ours or a
rival's) equal a target, the country's out-of-home share (``--out-of-home-share``,
:mod:`lockerplan.presets`) or the user's observed share. The pipeline calibrates it on
the plan's own sites (:mod:`lockerplan.pipeline.choose`), so a plan whose every
customer has a site in reach sends exactly the target share out of home.

Defaults and their reasoning (assumed: no published MNL of locker choice with a
walking coefficient for a whole city is at hand; change them in ``[choice]``):

=====================  =======  =====================================================
setting                default  reasoning
=====================  =======  =====================================================
walk_utility_per_km    1.0      a site's attraction falls as exp(-walk / 1 km), the
                                form of the decay curve ``--choice decay`` keeps; the
                                walk is the main determinant of locker choice in stated-
                                preference surveys (Iannaccone, Marcucci & Gatta 2021,
                                Rome)
discount_utility       0.5      a discount of 1 (currency) on locker delivery is worth
                                500 m less walking to the customer
=====================  =======  =====================================================

Examples
--------
>>> from scipy import sparse
>>> walk = sparse.csr_matrix(([0.0, 400.0, 200.0], ([0, 0, 1], [0, 1, 1])), shape=(2, 2))
>>> m = ChoiceModel(home_utility=0.0)
>>> s = m.shares(walk)
>>> (s.own.sum(axis=0).A1 + s.rival + s.home).round(6).tolist()
[1.0, 1.0]
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy import sparse

from .errors import InputError

__all__ = [
    "CHOICE_MODELS",
    "ChoiceModel",
    "Shares",
    "calibrate_home",
    "out_of_home_share",
    "rival_attraction",
]

#: How a plan's customers choose: ``mnl`` (this module) or ``decay`` (a fixed share
#: that falls with the walk, :func:`lockerplan.costs.adoption`).
CHOICE_MODELS = ("mnl", "decay")


@dataclass(frozen=True)
class Shares:
    """Who takes what share of each cluster's parcels.

    Attributes
    ----------
    own : scipy.sparse.csr_matrix
        Sites x clusters: the share each of our sites takes (the pattern of the walks).
    rival : numpy.ndarray
        Per cluster, the share rivals' sites take.
    home : numpy.ndarray
        Per cluster, the share delivered home.
    """

    own: sparse.csr_matrix
    rival: np.ndarray
    home: np.ndarray

    @property
    def ours(self) -> np.ndarray:
        """Per cluster, the share our sites take together."""
        return np.asarray(self.own.sum(axis=0)).ravel()


@dataclass(frozen=True)
class ChoiceModel:
    """The MNL's coefficients (see the module's table for their reasoning).

    Parameters
    ----------
    walk_utility_per_km : float, default 1.0
        Utility lost per km walked to a site (> 0).
    discount_utility : float, default 0.5
        Utility gained per unit of currency off locker delivery (>= 0).
    home_utility : float, default 0.0
        Utility of home delivery (:func:`calibrate_home` finds it).

    Examples
    --------
    >>> ChoiceModel(walk_utility_per_km=0)
    Traceback (most recent call last):
    ...
    lockerplan.errors.InputError: walk_utility_per_km must be a number > 0, got 0.
    """

    walk_utility_per_km: float = 1.0
    discount_utility: float = 0.5
    home_utility: float = 0.0

    def __post_init__(self) -> None:
        for name, low in (("walk_utility_per_km", 0.0), ("discount_utility", None)):
            value = getattr(self, name)
            ok = isinstance(value, int | float) and np.isfinite(value)
            if not ok or (value <= low if low is not None else value < 0):
                rule = "> 0" if low is not None else ">= 0"
                raise InputError(f"{name} must be a number {rule}, got {value!r}.")
        if not np.isfinite(self.home_utility):
            raise InputError(f"home_utility must be a finite number, got {self.home_utility!r}.")

    def attraction(self, walk_m, discount=0.0) -> np.ndarray:
        """``exp(utility)`` of a site at ``walk_m`` metres offering ``discount``.

        Examples
        --------
        >>> ChoiceModel().attraction(np.array([0.0, 1000.0])).round(4).tolist()
        [1.0, 0.3679]
        """
        walk = np.asarray(walk_m, dtype=float)
        return np.exp(-self.walk_utility_per_km * walk / 1000.0 + self.discount_utility * discount)

    def shares(
        self,
        own_walk: sparse.spmatrix,
        rival_walk: sparse.spmatrix | None = None,
        discount: np.ndarray | float = 0.0,
    ) -> Shares:
        """The MNL shares of each cluster's parcels.

        Parameters
        ----------
        own_walk : scipy.sparse matrix
            Our open sites x clusters: the walks within reach (a stored 0.0 is a walk
            of 0 m; an entry not stored is no option).
        rival_walk : scipy.sparse matrix, optional
            Rivals' sites x clusters, the same way.
        discount : numpy.ndarray or float
            Per cluster, the discount our sites offer there.
        """
        own = sparse.csr_matrix(own_walk, dtype=float, copy=True)
        n = own.shape[1]
        disc = np.broadcast_to(np.asarray(discount, dtype=float), (n,))
        own.data = self.attraction(own.data, disc[own.indices])
        outside = np.exp(self.home_utility) + rival_attraction(self, rival_walk, n)
        total = outside + np.asarray(own.sum(axis=0)).ravel()
        own.data /= total[own.indices]
        rival = (outside - np.exp(self.home_utility)) / total
        return Shares(own, rival, np.exp(self.home_utility) / total)


def rival_attraction(model: ChoiceModel, rival_walk: sparse.spmatrix | None, n: int) -> np.ndarray:
    """Per cluster, the sum of the rivals' attractions (0 without rivals)."""
    if rival_walk is None:
        return np.zeros(n)
    R = sparse.csr_matrix(rival_walk, dtype=float, copy=True)
    R.data = model.attraction(R.data)
    return np.asarray(R.sum(axis=0)).ravel()


def out_of_home_share(shares: Shares, weights: np.ndarray, in_reach: np.ndarray) -> float:
    """The parcel-weighted share of the clusters ``in_reach`` that goes out of home."""
    w = np.asarray(weights, dtype=float) * np.asarray(in_reach, dtype=bool)
    total = w.sum()
    return float((w * (1.0 - shares.home)).sum() / total) if total > 0 else 0.0


def calibrate_home(
    model: ChoiceModel,
    target: float,
    weights: np.ndarray,
    own_walk: sparse.spmatrix,
    rival_walk: sparse.spmatrix | None = None,
    discount: np.ndarray | float = 0.0,
) -> ChoiceModel:
    """The model with the home utility that sends ``target`` of the parcels of the
    customers with a site in reach (ours or a rival's) out of home.

    The share falls strictly as the home utility rises, so bisection finds it (to
    1e-9 in utility).

    Examples
    --------
    >>> walk = sparse.csr_matrix(np.array([[300.0, 0.0], [0.0, 800.0]]))
    >>> m = calibrate_home(ChoiceModel(), 0.5, np.array([10.0, 30.0]), walk)
    >>> round(out_of_home_share(m.shares(walk), [10.0, 30.0], [True, True]), 6)
    0.5
    """
    if not 0.0 < target < 1.0:
        raise InputError(
            f"--out-of-home-share must be a share between 0 and 1 (exclusive), got {target!r}."
        )
    n = own_walk.shape[1]
    in_reach = np.diff(sparse.csc_matrix(own_walk).indptr) > 0
    if rival_walk is not None:
        in_reach |= np.diff(sparse.csc_matrix(rival_walk).indptr) > 0
    w = np.asarray(weights, dtype=float)
    if (w * in_reach).sum() <= 0 or n == 0:
        return model

    def share(u: float) -> float:
        return out_of_home_share(
            replace(model, home_utility=u).shares(own_walk, rival_walk, discount), w, in_reach
        )

    lo, hi = -50.0, 50.0  # share(lo) ~ 1, share(hi) ~ 0
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        if share(mid) > target:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-9:
            break
    return replace(model, home_utility=0.5 * (lo + hi))
