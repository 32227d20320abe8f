"""One settings object for the whole application.

Every field is read from the environment with the ``DAILYPAPERS_`` prefix (or a ``.env`` file) and is
documented in the README's settings table; ``tests/test_settings_docs.py`` keeps the two in step.
Pass a ``Settings`` into ``create_app`` and the services rather than importing a global, so tests can
build applications with other settings side by side.
"""

from __future__ import annotations

import re
import secrets
from ipaddress import ip_network
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DAILYPAPERS_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("data"), description="Directory holding all state: database, indexes, mail.")
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the database; default: SQLite file `dailypapers.db` in the data dir.",
    )
    site_name: str = Field("Daily Papers", description="Name shown in the page header and feeds.")
    secret_key: str | None = Field(
        None,
        description="Signs forms and links; default: generated once into `secret_key` in the data dir. "
        "Set it when several servers share a database.",
    )
    public_url: str = Field(
        "http://127.0.0.1:8000",
        description="The site's address as readers reach it; links in emails point there.",
    )
    page_cache_seconds: float = Field(
        10.0, ge=0, description="How long a rendered daily list or paper page is reused (0: never)."
    )
    front_list: Literal["community", "all"] = Field(
        "all",
        description="The list `/`, the day, week and month pages and `/api/daily_papers` show unless "
        "asked for the other: `community` (papers members submitted or upvoted, by upvotes, as on the "
        "Hub) or `all` (every new paper the listing rules admit).",
    )
    subscribe_rate_limit: int = Field(
        5, ge=1, description="Subscriptions one email address may be asked for per hour."
    )
    subscribe_client_rate_limit: int = Field(
        60,
        ge=1,
        description="Subscriptions one client may ask for per hour: a lab or a campus is one client, "
        "so room for its twenty members subscribing on the same day, a few of them twice or three times.",
    )

    daily_submission_limit: int = Field(
        10, ge=0, description="Papers one member may submit to the daily list per day."
    )
    sign_in_rate_limit: int = Field(
        5, ge=1, description="Sign-in emails one email address may be sent per hour."
    )
    sign_in_client_rate_limit: int = Field(
        60,
        ge=1,
        description="Sign-in emails one client may ask for per hour: a lab behind one public address "
        "is one client, so room for its twenty members signing in at once, each asking up to three times.",
    )
    vote_rate_limit: int = Field(600, ge=1, description="Votes one member may cast per minute.")
    comment_rate_limit: int = Field(
        10, ge=1, description="Comments, edits and reports one member may post per 10 minutes."
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Addresses or networks (e.g. `127.0.0.1,10.0.0.0/8`) of the reverse proxies in front "
        "of the site, whose `X-Forwarded-For` (else `Forwarded`) header names the client. Empty: "
        "no header is believed and the client is the address that connects.",
    )
    redis_url: str = Field(
        "",
        description="Redis server (e.g. `redis://127.0.0.1:6379/0`) through which every web process "
        "shares the rate limits. Empty: each process counts in its own memory, which is right for one "
        "process.",
    )
    redis_prefix: str = Field(
        "dailypapers",
        min_length=1,
        description="Start of the name of every key the site writes to Redis, so that several sites "
        "share one Redis server (the task queue's keys end with it instead, letters and digits only: "
        "`huey.redis.dailypapers`).",
    )
    pgvector_ef_search: int | None = Field(
        None,
        ge=1,
        le=1000,
        description="On PostgreSQL with pgvector, how many candidates a search by meaning walks in the "
        "HNSW index (`hnsw.ef_search`; wider finds more of the true nearest papers, slower). Empty: as "
        "the usearch file (256).",
    )

    arxiv_api_url: str = Field(
        "https://export.arxiv.org/api/query",
        description="arXiv API endpoint used by `ingest ids` and for submitted papers.",
    )
    arxiv_oai_url: str = Field(
        "https://oaipmh.arxiv.org/oai", description="arXiv OAI-PMH endpoint used by `ingest oai`."
    )
    arxiv_delay_seconds: float = Field(
        3.0, ge=0, description="Pause between two requests to arXiv (its terms ask for at least 3 s)."
    )
    arxiv_max_retries: int = Field(5, ge=0, description="Retries of a request arXiv throttled or failed.")
    arxiv_timeout_seconds: float = Field(60.0, gt=0, description="Timeout of one request to arXiv.")
    user_agent: str = Field(
        "dailypapers/0.1 (self-hosted Daily Papers; mailto:admin@example.org)",
        description="User-Agent sent to arXiv; put a contact address of yours in it.",
    )

    listing_categories: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description=(
            "arXiv categories whose newly announced papers enter the daily list automatically "
            "(e.g. `cs.CV,cs.CL`; `cs` matches every cs.* category). Empty: only submitted papers."
        ),
    )
    listing_include: str | None = Field(
        None, description="If set, a regular expression the title or abstract must match to be listed."
    )
    listing_exclude: str | None = Field(
        None, description="If set, a regular expression; papers whose title or abstract match are not listed."
    )

    ingest_batch_size: int = Field(2000, ge=1, le=50_000, description="Records written per transaction.")

    mail_from: str = Field(
        "Daily Papers <papers@localhost>", description="Sender (From) of sign-in and digest emails."
    )
    smtp_host: str | None = Field(
        None, description="SMTP server that sends mail; unset: mail is written to `maildir` in the data dir."
    )
    smtp_port: int = Field(587, ge=1, le=65535, description="Port of the SMTP server.")
    smtp_username: str | None = Field(None, description="SMTP login; unset: no login.")
    smtp_password: SecretStr | None = Field(None, description="SMTP password.")
    smtp_starttls: bool = Field(
        True,
        description="Upgrade the SMTP connection with STARTTLS (ignored when `DAILYPAPERS_SMTP_TLS` is on).",
    )
    smtp_tls: bool = Field(
        False, description="Connect to the SMTP server over TLS from the start (port 465)."
    )
    smtp_timeout_seconds: float = Field(30.0, gt=0, description="Timeout of one SMTP command.")
    smtp_connections: int = Field(
        4, ge=1, le=100, description="SMTP connections used side by side to send a batch of emails."
    )

    digest_papers: int = Field(10, ge=1, le=50, description="Trending papers in one digest email.")
    digest_picks: int = Field(
        5, ge=0, le=20, description="Personal picks added for subscribers who are members (0: none)."
    )
    digest_hour: int = Field(
        7,
        ge=0,
        le=23,
        description="Hour of the day (in `DAILYPAPERS_DIGEST_TIMEZONE`) the worker builds editions.",
    )
    digest_timezone: str = Field(
        "UTC", description="Time zone of `DAILYPAPERS_DIGEST_HOUR`, e.g. `Europe/Paris`."
    )
    digest_batch_size: int = Field(100, ge=1, le=5000, description="Digest emails a sender claims at a time.")
    digest_lease_seconds: float = Field(
        300.0, gt=0, description="How long claimed emails stay with a sender before others may send them."
    )
    digest_max_attempts: int = Field(
        8, ge=1, le=50, description="Tries of an email refused for now (4xx) before it is given up."
    )
    digest_bounce_limit: int = Field(
        2,
        ge=1,
        le=20,
        description="Permanent refusals (5xx) in a row after which an address gets no more mail.",
    )
    worker_interval_seconds: float = Field(
        300.0,
        ge=1,
        description="Seconds from one run of a periodic job of `dailypapers worker` to the next (harvest, "
        "index, embed, publish vectors, build editions, send mail); each runs once per such period "
        "however many workers there are.",
    )
    submission_fetch_seconds: float = Field(
        60.0,
        ge=1,
        description="Seconds from one fetch of the papers members submitted to the next (one arXiv request "
        "each), so a member waits about this long to see their paper listed.",
    )
    worker_harvest: bool = Field(
        False,
        description="Whether `dailypapers worker` harvests new papers from arXiv (OAI-PMH) each period.",
    )
    job_retries: int = Field(
        4, ge=0, le=20, description="Retries of a failed background job before it is parked."
    )
    job_retry_delay_seconds: float = Field(
        60.0,
        ge=0,
        description="Seconds before the first retry of a failed background job; each next wait is twice "
        "as long.",
    )

    @field_validator("digest_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("listing_include", "listing_exclude")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as error:
                raise ValueError(f"not a valid regular expression: {error}") from None
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for network in value:
            try:
                ip_network(network, strict=False)
            except ValueError:
                raise ValueError(f"not an address or network: {network!r}") from None
        return value

    @field_validator("listing_categories", "trusted_proxies", mode="before")
    @classmethod
    def _split_words(cls, value: object) -> object:
        """Accept ``cs.CV,cs.CL`` or ``cs.CV cs.CL`` (addresses likewise) in the environment, a list in
        Python."""
        if isinstance(value, str):
            return value.replace(",", " ").split()
        return value

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'dailypapers.db').resolve()}"


def site_secret(settings: Settings) -> str:
    """``DAILYPAPERS_SECRET_KEY``, or one generated once and kept in the data dir (mode 600)."""
    if settings.secret_key:
        return settings.secret_key
    path = Path(settings.data_dir) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        candidate = path.with_suffix(f".{secrets.token_hex(4)}")
        candidate.write_text(secrets.token_urlsafe(48))
        candidate.chmod(0o600)
        try:
            candidate.rename(path) if not path.exists() else candidate.unlink()
        except OSError:
            candidate.unlink(missing_ok=True)
    return path.read_text().strip()
