from __future__ import annotations

import pytest

from app import create_app


@pytest.fixture
def start(dash_duo):
    """Serve a fresh app built from ``settings`` and open it at ``path``."""

    def _start(settings, path: str = "/"):
        dash_duo.start_server(create_app(settings), debug=True, dev_tools_hot_reload=False)
        if path != "/":
            dash_duo.wait_for_page(url=dash_duo.server_url + path)
        return dash_duo

    return _start
