"""The live web dashboard: pages and assets served by the server, login with roles, CSRF, no CDN.

`install_dashboard(app, engine=...)` adds it to the server's FastAPI app.
"""

from cardiowatch.dashboard.routes import install_dashboard

__all__ = ["install_dashboard"]
