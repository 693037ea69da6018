from __future__ import annotations

import pytest

from app import create_app
from scripts.server import free_port


@pytest.fixture
def start(dash_duo):
    """Serve a fresh app built from ``settings`` and open it at ``path``."""

    def _start(settings, path: str = "/"):
        # a free port, not dash's fixed 58050: nothing else on the machine can hold it
        dash_duo.start_server(create_app(settings), debug=True, dev_tools_hot_reload=False, port=free_port())
        if path != "/":
            dash_duo.wait_for_page(url=dash_duo.server_url + path)
        return dash_duo

    return _start
