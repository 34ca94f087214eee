"""Start the web app's Streamlit server in this process, on localhost unless told otherwise."""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
from pathlib import Path

logger = logging.getLogger(__name__)

MAIN_SCRIPT = Path(__file__).with_name("main.py")
MAX_UPLOAD_MB = 200
"""The server's own cap on one upload (MB); each kind of file has a smaller limit of its own (see workspace)."""


def is_local(host: str) -> bool:
    """Whether ``host`` only listens on this machine (a loopback address or ``localhost``)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def port_free(host: str, port: int) -> bool:
    """Whether ``port`` on ``host`` can be listened on now."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def settings(host: str, port: int) -> dict[str, object]:
    """Streamlit's options for the app: headless (no browser opened, no e-mail prompt), no usage statistics sent,
    no file watching, XSRF protection on, the upload cap."""
    return {
        "server_address": host,
        "server_port": port,
        "server_headless": True,
        "server_fileWatcherType": "none",
        "server_runOnSave": False,
        "server_maxUploadSize": MAX_UPLOAD_MB,
        "server_enableXsrfProtection": True,
        "browser_gatherUsageStats": False,
        "browser_serverAddress": host,
        "browser_serverPort": port,
        "client_toolbarMode": "minimal",
        "global_developmentMode": False,
    }


def serve(*, host: str, port: int, data: Path, scenarios: Path | None, workers: int) -> None:
    """Run the app until interrupted; its settings reach the pages in ``CLINICSIM_APP_*`` variables."""
    from streamlit.web import bootstrap

    os.environ["CLINICSIM_APP_DATA"] = str(data.resolve())
    os.environ["CLINICSIM_APP_WORKERS"] = str(workers)
    if scenarios is not None:
        os.environ["CLINICSIM_APP_SCENARIOS"] = str(scenarios.resolve())
    flags = settings(host, port)
    bootstrap.load_config_options(flag_options=flags)
    logger.info("clinicsim app on http://%s:%d (data in %s)", host, port, data)
    bootstrap.run(str(MAIN_SCRIPT), False, [], flags)
