"""``clinicsim app``: localhost unless told otherwise (with a warning), its address printed, and Streamlit's
settings that keep it local and private."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from clinicsim.cli import main

server = pytest.importorskip("clinicsim.app.server")


@pytest.fixture
def served(monkeypatch):
    calls = []
    monkeypatch.setattr(server, "serve", lambda **options: calls.append(options))
    return calls


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_it_listens_on_localhost_and_prints_its_address(served, tmp_path):
    port = free_port()
    run = CliRunner().invoke(main, ["app", "--port", str(port), "--data", str(tmp_path), "--workers", "1"])
    assert run.exit_code == 0, run.output
    assert f"http://localhost:{port}" in run.output and "warning" not in run.output
    [options] = served
    assert options["host"] == "127.0.0.1" and options["workers"] == 1 and options["data"] == tmp_path


def test_listening_elsewhere_needs_the_flag_and_warns(served, tmp_path):
    port = free_port()
    run = CliRunner().invoke(main, ["app", "--host", "0.0.0.0", "--port", str(port), "--data", str(tmp_path)])
    assert run.exit_code == 0
    assert "warning: listening on 0.0.0.0" in run.output and "sign-on" in run.output
    assert served[0]["host"] == "0.0.0.0" and served[0]["port"] == port


@pytest.mark.parametrize(
    ("host", "local"),
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("0.0.0.0", False),
        ("192.168.1.5", False),
        ("clinic.example", False),
    ],
)
def test_which_addresses_are_local(host, local):
    assert server.is_local(host) is local


def test_streamlit_is_set_to_stay_local_headless_and_private():
    settings = server.settings("127.0.0.1", 8501)
    assert settings["server_address"] == "127.0.0.1" and settings["server_headless"] is True
    assert settings["browser_gatherUsageStats"] is False and settings["server_enableXsrfProtection"] is True
    assert settings["server_maxUploadSize"] == server.MAX_UPLOAD_MB


def test_a_port_in_use_is_said_with_exit_status_2(served, tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = CliRunner().invoke(main, ["app", "--port", str(port), "--data", str(tmp_path)])
    assert run.exit_code == 2 and f"port {port} on 127.0.0.1 is in use" in run.output and not served
