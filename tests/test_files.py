"""Writing outputs: staged folders, atomic renames, concurrent runs, users' files."""

from __future__ import annotations

import threading

from lockerplan.files import staged


def _publish(out, writer: int, rounds: int, errors: list) -> None:
    try:
        for i in range(rounds):
            with staged(out, "plan") as stage:
                folder = stage.path / "plan"
                folder.mkdir()
                for part in ("plan.gpkg", "summary.json", "dropped.csv"):
                    (folder / part).write_text(f"{writer}-{i}")
                stage.publish("plan")
    except Exception as exc:  # noqa: BLE001 - any failure fails the test below
        errors.append(exc)


def test_concurrent_runs_into_one_folder_end_with_one_complete_plan(tmp_path):
    errors: list = []
    threads = [threading.Thread(target=_publish, args=(tmp_path, k, 40, errors)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    files = sorted((tmp_path / "plan").iterdir())
    assert [f.name for f in files] == ["dropped.csv", "plan.gpkg", "summary.json"]
    assert len({f.read_text() for f in files}) == 1  # all three from the same run
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
