"""The customers' choice model: MNL shares, calibration, rivals and discounts."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from lockerplan.choice import ChoiceModel, calibrate_home, out_of_home_share
from lockerplan.errors import InputError


def _walks(rows, cols, data, shape):
    return sparse.csr_matrix((np.asarray(data, float), (rows, cols)), shape=shape)


def test_shares_sum_to_one_and_match_a_hand_computation():
    # cluster 0: our sites at 200 m and 600 m, a rival at 300 m; cluster 1: our site at 0 m
    own = _walks([0, 1, 0], [0, 0, 1], [200.0, 600.0, 0.0], (2, 2))
    rival = _walks([0], [0], [300.0], (1, 2))
    m = ChoiceModel(walk_utility_per_km=1.5, home_utility=0.4)
    s = m.shares(own, rival)
    a0, a1, r, h = np.exp(-0.3), np.exp(-0.9), np.exp(-0.45), np.exp(0.4)
    total = h + a0 + a1 + r
    assert s.own[0, 0] == pytest.approx(a0 / total)
    assert s.own[1, 0] == pytest.approx(a1 / total)
    assert s.rival[0] == pytest.approx(r / total)
    assert s.home[1] == pytest.approx(h / (h + 1.0))
    np.testing.assert_allclose(s.ours + s.rival + s.home, 1.0)


def test_calibration_hits_the_target_share():
    rng = np.random.default_rng(3)
    D = sparse.random(30, 200, density=0.05, random_state=4, format="csr") * 500
    D.data += 1.0
    w = rng.uniform(0.5, 5.0, 200)
    reach = np.diff(D.tocsc().indptr) > 0
    for target in (0.1, 0.5, 0.8):
        m = calibrate_home(ChoiceModel(), target, w, D)
        assert out_of_home_share(m.shares(D), w, reach) == pytest.approx(target, abs=1e-6)


def test_calibration_refuses_a_share_outside_0_and_1():
    D = _walks([0], [0], [100.0], (1, 1))
    with pytest.raises(InputError, match="--out-of-home-share"):
        calibrate_home(ChoiceModel(), 1.0, np.ones(1), D)


def test_more_rivals_never_raise_our_capture():
    own = _walks([0, 1, 1], [0, 0, 1], [100.0, 400.0, 250.0], (2, 2))
    m = ChoiceModel(home_utility=0.0)
    w = np.array([10.0, 20.0])
    captured = [w @ m.shares(own).ours]
    for rivals in ([0], [0, 1], [0, 1, 1]):
        n = len(rivals)
        R = _walks(np.arange(n), rivals, np.full(n, 150.0), (n, 2))
        captured.append(w @ m.shares(own, R).ours)
    assert all(b <= a + 1e-12 for a, b in zip(captured, captured[1:], strict=False))
    assert captured[-1] < captured[0]


def test_a_larger_discount_never_lowers_the_locker_share():
    own = _walks([0, 0], [0, 1], [300.0, 700.0], (1, 2))
    rival = _walks([0], [1], [100.0], (1, 2))
    m = ChoiceModel(home_utility=0.2)
    shares = [m.shares(own, rival, discount=d).ours for d in (0.0, 0.5, 1.0, 2.0)]
    for before, after in zip(shares, shares[1:], strict=False):
        assert np.all(after >= before)
    assert np.all(shares[-1] > shares[0])


def test_bad_coefficients_are_refused_naming_them():
    with pytest.raises(InputError, match="walk_utility_per_km"):
        ChoiceModel(walk_utility_per_km=-1.0)
    with pytest.raises(InputError, match="discount_utility"):
        ChoiceModel(discount_utility=-0.1)
