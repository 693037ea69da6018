"""The ``looplens`` command (``looplens.cli``) and the gunicorn settings it serves the app
with (``looplens.gunicorn_conf``). The app itself is ``app.py`` beside this package."""

from services.core.version import VERSION as __version__

__all__ = ["__version__"]
