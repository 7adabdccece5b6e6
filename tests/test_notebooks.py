"""The notebooks run top to bottom, offline, and are stored without outputs."""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

from tests.support import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    assert all(not cell.get("outputs") for cell in nb.cells if cell.cell_type == "code"), (
        f"{path.name} is stored with outputs; clear them before committing"
    )
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    outputs = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs]
    errors = [f"{out.ename}: {out.evalue}" for out in outputs if out.output_type == "error"]
    assert not errors, errors
    # nothing but lockerplan's own output: no library warnings in the cells
    noise = [out.text for out in outputs if out.output_type == "stream" and "Warning" in out.text]
    assert not noise, noise
    shown = [out.get("data", {}) for out in outputs]
    if path.name.startswith("01_"):  # the quickstart shows the map inline
        assert any("leaflet" in str(data.get("text/html", "")).lower() for data in shown)
    else:  # the scenario notebook shows the coverage curve
        assert any("image/png" in data for data in shown)
