"""The composition root: what a process of the site is made of, built once from ``Settings``.

``Runtime.from_settings`` opens (and upgrades) the database and builds the parts that the web
application, the CLI's commands and the worker share: the engine, the mail transport, the site's
secret, semantic search and the digest's renderer; the digest's sender, the one paced session to
arXiv and the queue of background jobs are built the first time they are asked for.
``create_app(runtime)``, every command and the worker take a runtime instead of wiring these again
each in its own way.

What only a web process needs (templates, CSRF, the members' sessions, rate limits, the page and API
caches and the change signals that empty them on every server) is built from the runtime by
``dailypapers.web.dependencies.WebParts``: those are the memory of one web process and its link to
the others, no job uses them, and keeping them there keeps this module free of the web layer, so
that a domain's ``tasks.py`` may take a ``Runtime`` without importing ``web/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import sqlalchemy as sa

from dailypapers.db.engine import create_db_engine
from dailypapers.db.migrate import upgrade_database
from dailypapers.digest.render import DigestRenderer
from dailypapers.digest.sender import Sender
from dailypapers.digest.service import DigestLinks
from dailypapers.ingest.polite import PoliteSession
from dailypapers.mail.transport import MailTransport, transport_from_settings
from dailypapers.queue import PeriodOnceHuey, build_queue
from dailypapers.search.semantic import SemanticSearch, semantic_search_for
from dailypapers.settings import Settings, site_secret


@dataclass(frozen=True, eq=False)
class Runtime:
    settings: Settings
    #: Upgraded to the newest schema when the runtime was built.
    engine: sa.Engine
    #: ``DAILYPAPERS_SECRET_KEY``, or the one kept in the data dir: signs sessions' CSRF tokens,
    #: sign-in links and the digest's links.
    secret: str
    mail: MailTransport
    semantic: SemanticSearch
    digest: DigestRenderer

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Runtime:
        """The runtime of ``settings`` (by default, those of the environment), its database
        created or migrated to the newest schema."""
        settings = settings or Settings()
        engine = create_db_engine(settings)
        upgrade_database(engine)
        secret = site_secret(settings)
        return cls(
            settings=settings,
            engine=engine,
            secret=secret,
            mail=transport_from_settings(settings),
            semantic=semantic_search_for(settings, engine),
            digest=DigestRenderer(settings, DigestLinks(secret)),
        )

    @cached_property
    def digest_sender(self) -> Sender:
        """The sender of the digest's outbox through this runtime's mail transport."""
        return Sender(self.engine, self.settings, self.mail, self.digest)

    @cached_property
    def arxiv(self) -> PoliteSession:
        """The process's one paced session to arXiv, so that every job asking arXiv shares its pause."""
        return PoliteSession.from_settings(self.settings)

    @cached_property
    def queue(self) -> PeriodOnceHuey:
        """The queue of background jobs (``dailypapers.queue``), whose jobs run with this runtime."""
        return build_queue(self.settings, lambda: self)
