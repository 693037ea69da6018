"""gunicorn's config file for ``gunicorn -c gunicorn.conf.py`` from the project folder; the
settings and hooks live in ``looplens.gunicorn_conf`` (what ``looplens run`` loads)."""

from looplens.gunicorn_conf import *  # noqa: F403
