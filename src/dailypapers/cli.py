"""The operator's interface: ``serve``, ``ingest ...``, ``index``, ``db upgrade``.

Every command reads the same ``Settings`` (environment, ``DAILYPAPERS_*``), upgrades the database
before it starts, shows a progress bar for long work, and fails with a one-line reason and a
non-zero exit code on bad input.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from dailypapers.db.engine import create_db_engine
from dailypapers.db.migrate import upgrade_database
from dailypapers.db.write import read_session, write_session
from dailypapers.ingest.report import IngestReport
from dailypapers.papers.text import count_of
from dailypapers.progress import ProgressHook
from dailypapers.settings import Settings

if TYPE_CHECKING:
    from dailypapers.db.copy import CopiedTable, CopyProgress
    from dailypapers.runtime import Runtime

app = typer.Typer(
    help="Daily Papers: new arXiv papers every day, ranked by the community.", no_args_is_help=True
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
ingest_app = typer.Typer(help="Fill the catalog from arXiv.", no_args_is_help=True)
admin_app = typer.Typer(help="Site administration.", no_args_is_help=True)
digest_app = typer.Typer(
    help="The email digest: build editions, send them, preview one.", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(admin_app, name="admin")
app.add_typer(ingest_app, name="ingest")
app.add_typer(digest_app, name="digest")
submissions_app = typer.Typer(help="Papers members submitted that the catalog lacked.", no_args_is_help=True)
app.add_typer(submissions_app, name="submissions")

console = Console(stderr=True)
SAMPLE_LISTINGS = files("dailypapers") / "sample" / "listings.jsonl.gz"
#: The sample's vectors, made by ``scripts/embed-sample.py``, so the demo has semantic search at once.
SAMPLE_VECTORS = files("dailypapers") / "sample" / "vectors.npz"


def fail(message: str, code: int = 2) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def open_runtime() -> Runtime:
    """The runtime of the environment's settings, its database upgraded: where every command starts."""
    from dailypapers.runtime import Runtime

    return Runtime.from_settings(Settings())


@contextmanager
def progress_bar(
    description: str, *, unit: str = "records", total: int | None = None
) -> Iterator[ProgressHook]:
    columns = [TextColumn("{task.description}"), BarColumn()]
    if unit == "bytes":
        columns += [DownloadColumn(), TransferSpeedColumn()]
    else:
        columns += [MofNCompleteColumn()]
    columns += [TimeElapsedColumn(), TimeRemainingColumn()]
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(description, total=total)

        def advance(advance: int, *, total: int | None = None) -> None:
            if total is not None:
                progress.update(task, total=total)
            progress.advance(task, advance)

        yield advance


@contextmanager
def table_bars() -> Iterator[CopyProgress]:
    """A bar for each table (or the pages of a SQLite file) a copy goes through."""
    columns = [TextColumn("{task.description:<20}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=console) as bars:
        tasks: dict[str, TaskID] = {}

        def advance(table: str, done: int, total: int) -> None:
            if table not in tasks:
                tasks[table] = bars.add_task(table, total=total)
            bars.update(tasks[table], completed=done, total=total)

        yield advance


def print_row_counts(tables: list[CopiedTable]) -> None:
    for table in tables:
        typer.echo(f"{table.name}: {count_of(table.rows, 'row')}")


def print_report(report: IngestReport) -> None:
    for skipped in report.skipped[:20]:
        console.print(
            f"skipped {skipped.where}: {skipped.reason}", highlight=False, markup=False, soft_wrap=True
        )
    if report.skipped_count > 20:
        console.print(f"... and {report.skipped_count - 20} more skipped records")
    typer.echo(report.summary())


@contextmanager
def interruptible(*, all_or_nothing: bool = False) -> Iterator[None]:
    """Ctrl-C ends the command with a line saying what became of its work: kept so far, or (for the
    commands that write in one go, ``all_or_nothing``) none of it."""
    try:
        yield
    except KeyboardInterrupt:
        if all_or_nothing:
            raise fail("interrupted; nothing was changed, run the command again", 130) from None
        raise fail(
            "interrupted; everything stored so far is kept, run the command again to continue", 130
        ) from None


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database to the newest schema (also done on every start)."""
    runtime = open_runtime()
    typer.echo(f"database at {runtime.settings.sqlalchemy_url} is up to date")


@db_app.command("copy")
def db_copy(
    to: str = typer.Option(..., "--to", help="the new, empty database, e.g. postgresql://user@host/papers"),
) -> None:
    """Copy this site's database (every paper, member, vote, comment, subscriber and digest) into a
    new one, e.g. from the SQLite file to PostgreSQL; the counts are checked at the end."""
    from dailypapers.db.copy import CopyRefused, copy_database
    from dailypapers.search.service import update_search_index

    settings = Settings()
    try:
        target_settings = settings.model_copy(update={"database_url": to})
        source, target = create_db_engine(settings), create_db_engine(target_settings)
        with target.connect():
            pass
    except (sa.exc.ArgumentError, sa.exc.OperationalError, ModuleNotFoundError) as error:
        raise fail(f"cannot open {to}: {str(error).splitlines()[0]}") from None
    with interruptible(all_or_nothing=True), table_bars() as advance:
        try:
            copied = copy_database(source, target, progress=advance)
        except CopyRefused as refused:
            raise fail(f"{refused}; copy into a new database") from None
    with interruptible(), progress_bar("indexing for search", unit="papers") as advance_index:
        update_search_index(target, progress=advance_index)
    print_row_counts(copied)
    typer.echo(
        f"copied to {target.url.render_as_string(hide_password=True)}; every table holds as many rows as "
        "the source. Point DAILYPAPERS_DATABASE_URL there and run `dailypapers index` on each web server."
    )


@app.command("backup")
def backup(
    path: Path = typer.Argument(..., help="the backup file to write (replaced if it exists)"),
) -> None:
    """Write a snapshot of the whole database to one SQLite file, while the site keeps running; it
    restores into SQLite or PostgreSQL."""
    from dailypapers.db.backup import BackupRefused, backup_database
    from dailypapers.db.migrate import HEAD_REVISION

    if path.is_dir() or not path.parent.is_dir():
        raise fail(f"cannot write {path}: give a file in an existing directory")
    engine = open_runtime().engine
    with interruptible(all_or_nothing=True), table_bars() as advance:
        try:
            tables = backup_database(engine, path, progress=advance)
        except BackupRefused as refused:
            raise fail(str(refused)) from None
    print_row_counts(tables)
    typer.echo(f"backup of schema {HEAD_REVISION} written to {path}")


@app.command("restore")
def restore(
    path: Path = typer.Argument(..., help="a file written by `dailypapers backup`"),
    replace: bool = typer.Option(False, "--replace", help="replace everything the database holds"),
) -> None:
    """Make the site's database hold what a backup holds (stop the site first); an empty database
    unless --replace is given."""
    from dailypapers.db.backup import BackupRefused, restore_database

    if not path.is_file():
        raise fail(f"no such file: {path}")
    runtime = open_runtime()
    engine = runtime.engine
    with interruptible(all_or_nothing=True), table_bars() as advance:
        try:
            tables = restore_database(path, engine, replace=replace, progress=advance)
        except BackupRefused as refused:
            raise fail(str(refused)) from None
    index_for_search(runtime, embed=False, rebuild=True)
    print_row_counts(tables)
    typer.echo(f"restored {path} into {engine.url.render_as_string(hide_password=True)}")
    if engine.dialect.name != "sqlite":
        typer.echo(
            "now run `dailypapers index --no-embed --rebuild` on every other web server, "
            "to rebuild its vector index from the restored vectors"
        )


def index_for_search(runtime: Runtime, *, embed: bool = False, rebuild: bool = False) -> None:
    """Make stored papers findable: by their words, then (with the model installed) by meaning.

    Embedding is slow (about 27 papers a CPU-second), so ingest commands leave it to
    ``dailypapers index`` and only add vectors that are already stored to the vector index.
    """
    from dailypapers.search.embedding import ModelMissing, default_embedder
    from dailypapers.search.semantic import embed_new_papers, papers_waiting_for_embedding
    from dailypapers.search.service import update_search_index, update_vectors_file

    engine = runtime.engine
    with interruptible(), progress_bar("indexing for search", unit="papers") as advance:
        indexed = update_search_index(engine, progress=advance)
    # On stderr with the progress bars: stdout ends with the command's own report.
    console.print(f"{count_of(indexed, 'paper')} added to the search index", highlight=False)
    try:
        embedder = default_embedder()
    except ModelMissing as missing:
        console.print(f"semantic search is off: {missing}", highlight=False)
        return
    if embed:
        with interruptible(), progress_bar("embedding papers", unit="papers") as advance:
            embedded = embed_new_papers(engine, embedder, progress=advance)
        console.print(f"{count_of(embedded, 'paper')} embedded", highlight=False)
    else:
        with read_session(engine) as session:
            waiting = papers_waiting_for_embedding(session, embedder.name)
        if waiting:
            console.print(
                f"{count_of(waiting, 'paper')} waiting for `dailypapers index` to embed them", highlight=False
            )
    with interruptible(), progress_bar("vector index", unit="papers") as advance:
        added = update_vectors_file(
            engine, runtime.settings.data_dir, embedder, rebuild=rebuild, progress=advance
        )
    console.print(f"{count_of(added, 'paper')} added to the vector index", highlight=False)


INDEX_OPTION = typer.Option(
    True,
    "--index/--no-index",
    help="make new papers searchable at the end (or leave it to `dailypapers index`)",
)


def _import_file(path: Path, kind: str, *, index: bool = True) -> None:
    from dailypapers.ingest.jsonlines import file_size, import_jsonlines, listing_record, snapshot_record
    from dailypapers.papers.rules import ListingRules

    if not path.is_file():
        raise fail(f"no such file: {path}")
    runtime = open_runtime()
    engine, settings = runtime.engine, runtime.settings
    parse = snapshot_record if kind == "snapshot" else listing_record
    with (
        interruptible(),
        progress_bar(f"importing {path.name}", unit="bytes", total=file_size(path)) as advance,
    ):
        report = import_jsonlines(
            engine,
            path,
            parse,
            rules=ListingRules.from_settings(settings),
            batch_size=settings.ingest_batch_size,
            progress=advance,
        )
    print_report(report)
    if kind == "sample":
        from dailypapers.search.semantic import store_shipped_vectors

        store_shipped_vectors(engine, Path(str(SAMPLE_VECTORS)))
    if index:
        index_for_search(runtime)


@ingest_app.command("snapshot")
def ingest_snapshot(
    path: Path = typer.Argument(..., help="arxiv-metadata-oai-snapshot.json, plain or .gz"),
    index: bool = INDEX_OPTION,
) -> None:
    """Backfill from arXiv's bulk metadata snapshot (JSON lines), in constant memory."""
    _import_file(path, "snapshot", index=index)


@ingest_app.command("listings")
def ingest_listings(
    path: Path = typer.Argument(..., help="a listings file (JSON lines with a `listed` day)"),
    index: bool = INDEX_OPTION,
) -> None:
    """Load daily listings: papers plus the day each appeared on a daily list."""
    _import_file(path, "listings", index=index)


@ingest_app.command("sample")
def ingest_sample() -> None:
    """Load the sample papers shipped with dailypapers (ten recent days of real arXiv listings)."""
    _import_file(Path(str(SAMPLE_LISTINGS)), "sample")


@ingest_app.command("ids")
def ingest_ids(
    ids: list[str] = typer.Argument(
        ..., help="arXiv ids or URLs, e.g. 2306.09299 or https://arxiv.org/abs/2304.14118v2"
    ),
) -> None:
    """Fetch single papers through the arXiv API."""
    import arxiv
    import requests

    from dailypapers.ingest import arxiv_api
    from dailypapers.ingest.polite import ArxivUnavailable
    from dailypapers.papers.ids import InvalidArxivId

    try:
        parsed = arxiv_api.parse_id_arguments(ids)
    except InvalidArxivId as error:
        raise fail(str(error)) from None
    runtime = open_runtime()
    engine, settings = runtime.engine, runtime.settings
    try:
        with interruptible(), progress_bar("fetching from the arXiv API", total=len(parsed)) as advance:
            report, missing = arxiv_api.ingest_ids(engine, settings, parsed, progress=advance)
    except (ArxivUnavailable, arxiv.ArxivError, requests.RequestException) as error:
        raise fail(f"arXiv API unavailable: {error}", 1) from None
    print_report(report)
    index_for_search(runtime)
    if missing:
        raise fail(f"arXiv does not know: {', '.join(missing)}", 1)


def _parse_day(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise fail(f"{option} must be a date like 2025-08-01, not {value!r}") from None


@ingest_app.command("oai")
def ingest_oai(
    from_date: str | None = typer.Option(None, "--from", help="first datestamp (YYYY-MM-DD)"),
    until_date: str | None = typer.Option(None, "--until", help="last datestamp (YYYY-MM-DD)"),
    set_spec: str | None = typer.Option(None, "--set", help="OAI set, e.g. cs or physics:hep-th"),
    metadata_format: str = typer.Option(
        "arXivRaw", "--format", help="arXivRaw (with every version) or arXiv"
    ),
) -> None:
    """Harvest new and updated papers through arXiv's OAI-PMH interface; resumes after an interruption."""
    import requests

    from dailypapers.ingest import oai
    from dailypapers.ingest.polite import ArxivUnavailable

    start, end = _parse_day(from_date, "--from"), _parse_day(until_date, "--until")
    if start and end and start > end:
        raise fail("--from is after --until")
    if metadata_format not in oai.METADATA_FORMATS:
        raise fail(f"--format must be one of {', '.join(oai.METADATA_FORMATS)}")
    runtime = open_runtime()
    engine, settings = runtime.engine, runtime.settings
    request = oai.HarvestRequest(start, end, set_spec, metadata_format)
    try:
        with interruptible(), progress_bar("harvesting arXiv OAI-PMH") as advance:
            report = oai.harvest(engine, settings, request, progress=advance)
    except (ArxivUnavailable, oai.OaiError, requests.RequestException) as error:
        raise fail(f"harvest stopped, run again to resume: {error}", 1) from None
    print_report(report)
    index_for_search(runtime)


@admin_app.command("grant")
def admin_grant(email: str = typer.Argument(..., help="the address the member signs in with")) -> None:
    """Make a member a moderator (they must have signed in once)."""
    name = _change_moderator(email, grant=True)
    typer.echo(f"{name} is a moderator")


@admin_app.command("revoke")
def admin_revoke(email: str = typer.Argument(..., help="the address the member signs in with")) -> None:
    """Take a member's moderator rights back (what they did stays done, and in the audit log)."""
    name = _change_moderator(email, grant=False)
    typer.echo(f"{name} is no longer a moderator")


def _change_moderator(email: str, *, grant: bool) -> str:
    """Grant or revoke moderator rights, noted in the audit log; the member's username."""
    from dailypapers.community.accounts import InvalidEmail, grant_moderator, revoke_moderator
    from dailypapers.community.moderation import record_operator_action

    engine = open_runtime().engine
    try:
        with write_session(engine) as session:
            user = (grant_moderator if grant else revoke_moderator)(session, email)
            if user is not None:
                record_operator_action(
                    session, "grant moderator" if grant else "revoke moderator", user.username
                )
            name = user.username if user else None
    except InvalidEmail as error:
        raise fail(str(error)) from None
    if name is None:
        raise fail(f"no member signs in with {email}; they must sign in once first", 1)
    return name


@app.command("index")
def index(
    rebuild: bool = typer.Option(False, help="rebuild the keyword and vector indexes from the database"),
    embed: bool = typer.Option(True, "--embed/--no-embed", help="embed papers that have no vector yet"),
) -> None:
    """Make stored papers searchable by words and by meaning (embedding new and changed papers)."""
    from dailypapers.search.keyword import rebuild_index

    runtime = open_runtime()
    if rebuild:
        with console.status("rebuilding the search index"), write_session(runtime.engine) as session:
            rebuild_index(session)
        typer.echo("search index rebuilt")
    index_for_search(runtime, embed=embed, rebuild=rebuild)


@digest_app.command("build")
def digest_build(
    date: str | None = typer.Option(
        None, "--date", help="the listing day the edition covers (YYYY-MM-DD; default: the newest list)"
    ),
    weekly: bool = typer.Option(False, help="build the weekly edition of the week holding --date"),
) -> None:
    """Build an edition and queue it for every confirmed subscriber (again: only the newly confirmed)."""
    from dailypapers.digest.editions import build_edition
    from dailypapers.papers.queries import newest_listing_day

    day = _parse_day(date, "--date")
    runtime = open_runtime()
    engine, settings = runtime.engine, runtime.settings
    if day is None:
        with read_session(engine) as session:
            day = newest_listing_day(session)
        if day is None:
            raise fail("no papers have been listed yet", 1)
    with write_session(engine) as session:
        built = build_edition(session, "weekly" if weekly else "daily", day, sender=settings.mail_from)
    if not built.papers:
        raise fail(f"no papers were listed for the {'week' if weekly else 'day'} of {day}", 1)
    state = "built" if built.new else "already built"
    typer.echo(
        f"{built.frequency} edition of {built.period_start} {state}: {count_of(built.papers, 'paper')}"
    )
    typer.echo(f"{built.queued} emails queued")


@digest_app.command("send")
def digest_send() -> None:
    """Send every queued digest email that is due; run it from cron or let `dailypapers worker` do it."""
    import asyncio

    from dailypapers.digest.sender import waiting

    runtime = open_runtime()
    with interruptible():
        report = asyncio.run(runtime.digest_sender.send_due())
    with read_session(runtime.engine) as session:
        left = waiting(session)
    typer.echo(f"{report.summary()}; {left} still to send (retries, or with another sender)")


@digest_app.command("preview")
def digest_preview(
    email: str = typer.Option(..., help="whose digest: their categories and, for a member, their picks"),
    date: str | None = typer.Option(None, help="listing day of the edition (default: the newest list)"),
    weekly: bool = typer.Option(False, help="the weekly edition"),
    out: Path | None = typer.Option(
        None, help="where to write the HTML (default: digest-preview.html in the data dir)"
    ),
) -> None:
    """Write the HTML of one subscriber's digest to a file, sending nothing."""
    from dailypapers.digest.preview import preview

    runtime = open_runtime()
    try:
        html, text = preview(runtime.engine, runtime.digest_sender, email, _parse_day(date, "--date"), weekly)
    except ValueError as error:
        raise fail(str(error), 1) from None
    target = out or runtime.settings.data_dir / "digest-preview.html"
    target.write_text(html)
    typer.echo(f"wrote {target} ({len(text.splitlines())} lines of text part)")


@submissions_app.command("fetch")
def submissions_fetch() -> None:
    """Fetch the submitted papers waiting for arXiv (one request) and list them; `dailypapers worker`
    does it every `DAILYPAPERS_SUBMISSION_FETCH_SECONDS`."""
    from dailypapers.community.tasks import fetch_submissions

    runtime = open_runtime()
    with interruptible():
        fetched = fetch_submissions(runtime.engine, runtime.settings)
    typer.echo(f"submitted papers fetched from arXiv: {fetched}")


@app.command()
def worker(
    once: bool = typer.Option(False, help="run every job once, print the health line and stop (cron, tests)"),
    workers: int = typer.Option(1, min=1, help="jobs run side by side in this process (threads)"),
) -> None:
    """Take the site's jobs from the queue: harvest (if enabled), fetch submitted papers, index,
    embed, publish vectors, build editions, send mail. Start as many as you like, anywhere."""
    import datetime as dt

    from dailypapers.worker import run_once, run_worker

    runtime = open_runtime()
    with interruptible():
        if once:
            typer.echo(run_once(runtime, dt.datetime.now(dt.UTC)))
        else:
            run_worker(runtime, workers=workers)


@app.command()
def jobs(
    forget: bool = typer.Option(False, help="clear the parked runs after listing them"),
) -> None:
    """List the background jobs, their schedule, what waits in the queue, and the runs parked after
    their last retry, with their error."""
    from dailypapers.queue import forget_parked, parked_jobs

    queue = open_runtime().queue
    for name, seconds in queue.periods.items():
        typer.echo(f"{name}: every {seconds:g} s")
    typer.echo(f"queued {queue.pending_count()}, waiting to retry {queue.scheduled_count()}")
    parked = parked_jobs(queue)
    for run in parked:
        typer.echo(f"parked {run.at} {run.job}: {run.error}")
    if forget:
        typer.echo(f"forgot {forget_parked(queue)} parked run(s)")
    elif not parked:
        typer.echo("no parked runs")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="interface to listen on"),
    port: int = typer.Option(8000, help="port to listen on"),
    workers: int = typer.Option(1, help="worker processes"),
    access_log: bool = typer.Option(
        True, help="log every request (leave it to a proxy in front to save a few percent of CPU)"
    ),
) -> None:
    """Serve the site and the API."""
    import uvicorn

    target: Any
    if workers == 1:
        from dailypapers.web.app import create_app

        target = create_app(open_runtime())
    else:
        # Each process builds its own runtime (create_app without arguments): engines and their
        # connections cannot cross into another process. The database is upgraded here, once,
        # before any of them starts.
        upgrade_database(create_db_engine(Settings()))
        target = "dailypapers.web.app:create_app"
    uvicorn.run(
        target,
        factory=workers > 1,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        access_log=access_log,
    )


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()
