"""`anjian serve`: the HTTP API (api/app.py) on uvicorn, over the platform of the settings."""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = ["serve"]


def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="port to listen on")] = 8000,
) -> None:
    """Serve the HTTP API (OpenAPI at /openapi.json, docs at /docs) until interrupted.

    The platform is built once at start-up from the environment's settings; callers
    authenticate with a bearer token or a session (POST /v1/session)."""
    import uvicorn

    from api.app import create_app
    from ops.api_backend import open_backend
    from ops.settings import load_settings

    settings = load_settings()
    app = create_app(lambda: open_backend(settings))
    uvicorn.run(app, host=host, port=port, log_level="info")
