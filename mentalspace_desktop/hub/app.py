"""The hub's FastAPI application. ``create_app(settings)`` builds it; the engine is made in the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from mentalspace_desktop import __version__
from mentalspace_desktop.hub import db, secrets_at_rest
from mentalspace_desktop.hub import repository as repo
from mentalspace_desktop.hub.access_log import AccessLog
from mentalspace_desktop.hub.deps import HubContext
from mentalspace_desktop.hub.errors import install_handlers
from mentalspace_desktop.hub.events import Broadcaster
from mentalspace_desktop.hub.jobs import JobRunner, default_jobs
from mentalspace_desktop.hub.routes import auth, devices, events, health, messaging, reminders, sync
from mentalspace_desktop.hub.settings import HubSettings


def create_app(settings: HubSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = db.engine_for(settings)
        db.prepare(engine)
        secrets_at_rest.install(engine, settings)  # the messaging secrets' key (never in the database)
        with db.read_session(engine) as session:
            key = db.get_setting(session, db.SIGNING_KEY)
        assert key, "prepare() makes the signing key"

        def read_seq() -> int:
            with db.read_session(engine) as session:
                return repo.committed_seq(session)

        broadcaster = Broadcaster(read_seq, interval=settings.events_poll_seconds)
        app.state.hub = HubContext(settings, engine, db.session_factory(engine), key, broadcaster)
        broadcaster.start()
        runner = (
            JobRunner(engine, default_jobs(settings), tick=settings.job_tick_seconds)
            if settings.run_jobs
            else None
        )
        if runner:
            runner.start()
        try:
            yield
        finally:
            if runner:
                runner.stop()
            await broadcaster.stop()
            engine.dispose()

    app = FastAPI(
        title="MentalSpace hub",
        version=__version__,
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    install_handlers(app)
    for module in (health, auth, devices, sync, events, messaging, reminders):
        app.include_router(module.router)
    app.add_middleware(AccessLog)
    return app
