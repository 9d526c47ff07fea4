"""The whole web application: the server (`cardiowatch.server.app`) with the dashboard installed on it.

The server does not import the dashboard (it sits a layer below); this module, above both, puts them
together. `cardiowatch serve`, the demo and the end-to-end tests run this app.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from cardiowatch.dashboard import install_dashboard
from cardiowatch.server import app as server_app
from cardiowatch.server.config import Settings

__all__ = ["create_app", "dashboard_extension"]


def dashboard_extension(app: FastAPI, settings: Settings) -> None:
    """Install the dashboard's pages, login and API guard on the server's app."""
    install_dashboard(app, secure_cookies=settings.secure_cookies)


def create_app(settings: Settings | None = None, **kwargs: Any) -> FastAPI:
    """`cardiowatch.server.app.create_app` (same arguments) with the dashboard installed."""
    return server_app.create_app(settings, extensions=(dashboard_extension,), **kwargs)
