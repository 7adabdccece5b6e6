"""Work on every core in forked processes (:mod:`lockerplan.parallel`)."""

from __future__ import annotations

import os

import pytest

from lockerplan import parallel
from lockerplan.errors import InputError

multicore = pytest.mark.skipif(not parallel.can_fork(), reason="needs 2 cores and fork")


@multicore
def test_closures_run_in_other_processes_and_come_back_in_order():
    base = 10  # a closure: inherited by forking, never pickled
    out = list(parallel.fork_map(lambda k: (k + base, os.getpid()), range(5)))
    assert [v for v, _ in out] == [10, 11, 12, 13, 14]
    assert os.getpid() not in {pid for _, pid in out}


@multicore
def test_an_error_in_a_process_is_raised_here():
    def check(k):
        if k == 2:
            raise InputError("row 2 is bad")
        return k

    with pytest.raises(InputError, match="row 2 is bad"):
        list(parallel.fork_map(check, range(4)))


@multicore
def test_no_pools_inside_the_pool():
    """A pool process runs its own fork_map calls itself (no processes of processes)."""

    def inner(_):
        return os.getpid(), {pid for pid in parallel.fork_map(lambda _: os.getpid(), range(3))}

    results = list(parallel.fork_map(inner, range(2)))
    assert len(results) == 2
    for pid, inner_pids in results:
        assert inner_pids == {pid}


def test_serial_when_asked_or_one_item():
    assert (
        list(parallel.fork_map(lambda _: os.getpid(), range(3), parallel=False))
        == [os.getpid()] * 3
    )
    assert list(parallel.fork_map(lambda _: os.getpid(), [0])) == [os.getpid()]


def test_processes_capped_by_the_environment(monkeypatch):
    monkeypatch.setenv(parallel.PROCESSES_ENV, "1")
    assert parallel.cores() == 1 and not parallel.can_fork()
    assert list(parallel.fork_map(lambda _: os.getpid(), range(3))) == [os.getpid()] * 3
    monkeypatch.setenv(parallel.PROCESSES_ENV, "two")
    with pytest.raises(InputError, match="LOCKERPLAN_PROCESSES='two'.*whole number"):
        parallel.cores()


def test_a_bad_processes_setting_stops_the_command_before_any_work(monkeypatch, tmp_path):
    from click.testing import CliRunner

    from lockerplan.cli import main

    monkeypatch.setenv(parallel.PROCESSES_ENV, "0")
    result = CliRunner().invoke(main, ["plan", "--sites", "3", "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: LOCKERPLAN_PROCESSES='0'")
    assert not (tmp_path / "o").exists()
