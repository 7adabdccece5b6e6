"""The commute model: margins, calibration and the seeded draw of trips."""

from __future__ import annotations

import numpy as np
import pytest

from lockerplan.errors import InputError
from lockerplan.ontheway import GravityParams, furness, gravity_commutes, sample_trips


def _city(n_home: int = 30, n_job: int = 20, seed: int = 3):
    """Home and job cells on a 10 km square, travel time at 20 km/h plus 5 minutes."""
    rng = np.random.default_rng(seed)
    home, job = rng.uniform(0, 10_000, (n_home, 2)), rng.uniform(0, 10_000, (n_job, 2))
    dist = np.hypot(*(home[:, None, :] - job[None, :, :]).transpose(2, 0, 1))
    workers = rng.integers(50, 500, n_home).astype(float)
    jobs = rng.integers(0, 900, n_job).astype(float)
    return workers, jobs, 300.0 + dist / (20 / 3.6)


def test_gravity_margins_equal_the_inputs():
    workers, jobs, t = _city()
    c = gravity_commutes(workers, jobs, t, GravityParams(mean_commute_s=900.0))
    np.testing.assert_allclose(c.trips.sum(axis=1), workers, rtol=1e-8)
    np.testing.assert_allclose(c.trips.sum(axis=0), jobs * workers.sum() / jobs.sum(), rtol=1e-8)
    assert c.mean_time_s == pytest.approx(900.0, abs=1.0)  # Hyman: the observed mean is met


def test_a_larger_beta_makes_commutes_shorter():
    workers, jobs, t = _city()
    means = [
        gravity_commutes(workers, jobs, t, GravityParams(beta=b)).mean_time_s
        for b in (0, 1e-3, 4e-3)
    ]
    assert means[0] > means[1] > means[2]


def test_pairs_without_a_way_do_not_stop_the_balancing():
    # cells 0 and 1 reach only each other: with no way counted as no trip the margins
    # could not be met (the block's workers differ from its jobs)
    workers, jobs = np.array([100.0, 10.0, 50.0]), np.array([10.0, 100.0, 50.0])
    t = np.array([[60.0, 600.0, np.inf], [600.0, 60.0, np.inf], [np.inf, np.inf, 60.0]])
    c = gravity_commutes(workers, jobs, t, GravityParams(beta=1 / 600))
    np.testing.assert_allclose(c.trips.sum(axis=1), workers, rtol=1e-8)
    np.testing.assert_allclose(c.trips.sum(axis=0), jobs, rtol=1e-8)


def test_a_mean_the_travel_times_cannot_give_is_refused():
    workers, jobs, t = _city()
    with pytest.raises(InputError, match="--mean-commute-min 600 is not below"):
        gravity_commutes(workers, jobs, t, GravityParams(mean_commute_s=36_000.0))


def test_furness_refuses_unequal_totals():
    with pytest.raises(InputError, match="origins sum to 3"):
        furness(np.ones((2, 2)), np.array([2.0, 1.0]), np.array([1.0, 1.0]))


def test_the_draw_keeps_every_home_cells_workers_and_follows_its_seed():
    workers, jobs, t = _city()
    c = gravity_commutes(workers, jobs, t, GravityParams(beta=1 / 600))
    a = sample_trips(c, GravityParams(trips=10_000, seed=7))
    np.testing.assert_allclose(a.groupby("home")["workers"].sum().to_numpy(), workers, rtol=1e-12)
    assert a.equals(sample_trips(c, GravityParams(trips=10_000, seed=7)))
    assert not a.equals(sample_trips(c, GravityParams(trips=10_000, seed=8)))
    # job cells get their workers in expectation: within 15 % with 10,000 draws
    drawn = a.groupby("job")["workers"].sum().reindex(range(len(jobs)), fill_value=0).to_numpy()
    big = c.destinations > 0.05 * c.destinations.sum()
    np.testing.assert_allclose(drawn[big], c.destinations[big], rtol=0.15)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("employed_share", 0.0, "employed_share must be a share in"),
        ("mean_commute_s", -1.0, "mean_commute_s must be"),
        ("beta", -0.1, "beta must be"),
        ("trips", 0, "trips must be a whole number"),
    ],
)
def test_params_name_the_bad_setting(field, value, message):
    with pytest.raises(InputError, match=message):
        GravityParams(**{field: value})
