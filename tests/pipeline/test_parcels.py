"""Every parcel accounted for: read = at lockers + home + not delivered, the same on
every surface (printed summary, summary.json, the map's panel)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from lockerplan.cli import main


def test_parcels_reconcile_in_the_summary_the_json_and_the_map(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["plan", "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    summary = json.loads((out / "helsinki" / "summary.json").read_text())
    p = summary["parcels"]
    assert p["read"] == pytest.approx(p["at_lockers"] + p["home"] + p["not_delivered"], rel=1e-3)
    assert p["not_delivered"] == pytest.approx(sum(p["not_delivered_by_reason"].values()))
    bc = summary["business_case"]
    assert p["at_lockers"] == bc["with_lockers"]["locker_parcels_per_day"]
    assert p["home"] == bc["with_lockers"]["home_parcels_per_day"]
    # homes far from a drivable street are delivered on foot, not dropped
    assert p["home"] + p["at_lockers"] == pytest.approx(
        bc["door_to_door"]["parcels_per_day"], abs=0.05
    )
    split = f"{p['at_lockers']:,.1f} at lockers"
    assert split in result.stdout
    assert split in (out / "helsinki.html").read_text()
