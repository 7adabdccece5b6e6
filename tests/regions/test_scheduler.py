"""``--scheduler tcp://HOST:PORT`` fails fast at an address that is not a Dask scheduler.

Each kind of server a mistyped address can reach (an HTTP server, a server that
accepts and stays silent, one that greets in another protocol, a closed port)
gives one ``error:`` line naming ``--scheduler``, exit code 2, nothing written,
within the probe's time; a real Dask scheduler passes the probe.
"""

from __future__ import annotations

import http.server
import socket
import subprocess
import sys
import threading

import pytest

from lockerplan.errors import InputError
from lockerplan.scheduler import probe_scheduler


def _serve(greeting: bytes | None):
    """A TCP server on a free loopback port that sends ``greeting`` (None: nothing)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    held = []

    def run():
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            held.append(conn)
            if greeting:
                conn.sendall(greeting)

    threading.Thread(target=run, daemon=True).start()
    return srv, f"tcp://127.0.0.1:{srv.getsockname()[1]}"


@pytest.fixture
def http_server():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"tcp://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()


@pytest.mark.parametrize(
    "greeting, said",
    [
        (b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", "SSH-2.0-OpenSSH_9.2p1"),
        (None, "within 1 s"),
        (b"\x05\x00\x00\x00\x00\x00\x00\x00hello", "not a Dask scheduler"),
    ],
    ids=["ssh-banner", "silent", "short-garbage"],
)
def test_a_server_that_is_not_dask_is_named(greeting, said):
    srv, address = _serve(greeting)
    try:
        with pytest.raises(InputError, match="--scheduler") as err:
            probe_scheduler(address, timeout_s=1)
        assert said in str(err.value)
    finally:
        srv.close()


def test_an_http_server_is_not_a_scheduler(http_server):
    with pytest.raises(InputError, match="no Dask scheduler answered there within 1 s"):
        probe_scheduler(http_server, timeout_s=1)


def test_a_closed_port_is_named():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(InputError, match="no Dask scheduler answers there"):
        probe_scheduler(f"tcp://127.0.0.1:{port}", timeout_s=1)


@pytest.mark.parametrize("kind", ["http", "ssh-banner", "silent"])
def test_the_plan_command_stops_with_one_line_and_writes_nothing(kind, tmp_path, http_server):
    """The whole command, as a user runs it: no hang, no traceback, exit 2."""
    if kind == "http":
        address, srv = http_server, None
    else:
        srv, address = _serve(b"SSH-2.0-OpenSSH_9.2\r\n" if kind == "ssh-banner" else None)
    code = (
        "import sys, lockerplan.scheduler as s; s.CONNECT_TIMEOUT_S = 2; "
        "from lockerplan.cli import main; main(sys.argv[1:])"
    )
    args = ["plan", "--scheduler", address, "--out", str(tmp_path / "out")]
    try:
        run = subprocess.run(
            [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120
        )
    finally:
        if srv is not None:
            srv.close()
    assert run.returncode == 2, run.stderr
    lines = [x for x in run.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: --scheduler"), run.stderr
    assert "Traceback" not in run.stderr + run.stdout
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_dask_scheduler_passes_the_probe():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=0, processes=False, protocol="tcp://", host="127.0.0.1", dashboard_address=":0"
    ) as cluster:
        probe_scheduler(cluster.scheduler_address, timeout_s=5)
