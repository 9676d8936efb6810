"""Porchlight's web app: `create_app` builds it; `app.wsgi` holds the instance Zappa serves."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from flask import Flask

from app.config import Settings, load_settings

FRONTEND = Path(__file__).resolve().parent.parent / "frontend"


def create_app(config: Settings | Mapping[str, str] | None = None) -> Flask:
    """Build the app from Settings, from an environment mapping, or from os.environ."""
    import os

    from app import logs

    logs.quiet_libraries()  # before the settings: reading the secret must not be logged
    settings = config if isinstance(config, Settings) else load_settings(config)

    # On Lambda the root logger gets one JSON handler; elsewhere the process keeps its own.
    logs.configure(settings.log_level, service="web",
                   own_handler="AWS_LAMBDA_FUNCTION_NAME" in os.environ)

    from app.models.base import configure_models
    from app.models.tables import table_definitions  # noqa: F401 (registers every model)

    configure_models(settings)

    # No static_folder: app.web.assets serves frontend/static under fingerprinted URLs.
    app = Flask(__name__, template_folder=str(FRONTEND / "templates"), static_folder=None)
    app.config.update(
        SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        JSON_SORT_KEYS=False,
    )

    from app.web import access, assets, compression, csrf, errors, headers, queries, requestlog

    requestlog.init_app(app)  # the correlation id first: everything after may log
    access.init_app(app)  # identity first, so CSRF binds to the session
    csrf.init_app(app)
    headers.init_app(app)
    compression.init_app(app)
    assets.init_app(app, FRONTEND / "static", reload=settings.is_devstack)
    errors.init_app(app)
    queries.init_app(app)  # refused police queries are audited too

    from app import (
        account,
        admin,
        api,
        audit,
        auth,
        bridges,
        cameras,
        devtools,
        footage,
        home,
        incidents,
        live,
        maps,
        orgs,
        police,
        program,
        pwa,
        transparency,
    )

    for module in (home, auth, account, admin, audit, cameras, orgs, police, footage, bridges,
                   live, incidents, maps, transparency, program, pwa, api, devtools):
        app.register_blueprint(module.bp)

    from app.web import i18n, templating, times

    i18n.init_app(app)
    templating.init_app(app)
    times.init_app(app)
    return app
