from __future__ import annotations

import pytest

from app import create_app
from scripts.server import free_port


@pytest.fixture
def start(dash_duo):
    """Serve a fresh app built from ``settings`` and open it at ``path``."""

    def _start(settings, path: str = "/"):
        # A free port: dash counts up from 58050 in each test session, so two sessions on one
        # machine (engineers testing side by side) would open each other's app.
        dash_duo.start_server(create_app(settings), debug=True, dev_tools_hot_reload=False, port=free_port())
        if path != "/":
            dash_duo.wait_for_page(url=dash_duo.server_url + path)
        return dash_duo

    return _start
