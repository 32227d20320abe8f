"""One digest edition built and delivered to 100,000 subscribers, next to the sink's raw accept rate.

Usage: python bench/digest_send.py [--subscribers 100000] [--members N] [--senders 1 2]
                                   [--raw-messages 5000] [--limit 1800] [--data-dir DIR]

Issue 7. The catalog is the shipped sample (`dailypapers ingest sample`: 3,135 real papers with
vectors). Then --subscribers confirmed daily subscribers are inserted with bulk SQL (SQLAlchemy Core
executemany), the first --members of them (default: all, "with personal picks") also members who
upvoted 5 random papers of the sample each; paper_activity.upvotes is recomputed from the votes, so
the counts stay equal to the votes stored and the edition is ranked by them.

The sink is aiosmtpd on 127.0.0.1 in a separate process: it accepts everything, counts messages,
bytes, distinct recipients and distinct Message-IDs (so a message sent twice shows up), and answers
its counts through a pipe. Its raw accept rate is measured with --raw-messages pre-rendered messages
(one real member's digest rendered and encoded by the product, its bytes copied with a different
To and Message-ID each) pushed through the product's SmtpTransport.send_many in one call, over the same
number of connections as the sender (DAILYPAPERS_SMTP_CONNECTIONS, default 4): the ceiling for the
client side plus the sink, with no database and no rendering. It is measured before the first send
round and after every round; a round's ratio is taken against the higher of the two around it.

Then, for each --senders value: the outbox is emptied, `dailypapers digest build --date <newest
sample day>` queues the edition for everyone (timed), and that many `dailypapers digest send`
processes run side by side (the outbox hands out batches under leases), pointed at the sink. Every
0.5 s the bench samples each sender's VmRSS/VmHWM and the sink's count; CPU time per message of
the senders (rusage) and of the sink (/proc) is printed next to the raw push's, being robust to noise.
A round still sending after --limit seconds is interrupted (SIGINT, then SIGTERM two minutes later).
Reported: build and send time, messages/s and its ratio to the raw rate, what the sink received
(delivered, duplicates, distinct recipients), the outbox by status, RSS over time and at its peak.

Targets on 2 cores: every subscriber delivered in under 10 minutes (build + send), at least 50% of
the sink's raw rate, memory flat (each sender's peak RSS at most 10% + 10 MB above its RSS once 10%
of the mail was out). The sink shares the 2 cores with the senders, as the load generators of the
other benches do; the load average is printed, since the machine may be busy with other work.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import multiprocessing
import os
import random
import re
import resource
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from dailypapers.community.models import PAPER_ACTIVITY, VOTES, User
from dailypapers.db.engine import create_db_engine
from dailypapers.db.migrate import upgrade_database
from dailypapers.db.write import read_session
from dailypapers.digest.models import Edition, Subscriber
from dailypapers.digest.render import DigestRenderer
from dailypapers.digest.sender import Sender
from dailypapers.digest.service import DigestLinks
from dailypapers.mail.message import OutgoingMail
from dailypapers.mail.transport import SmtpTransport
from dailypapers.settings import Settings, site_secret

#: Rows per executemany when seeding.
SEED_BATCH = 20_000
VOTES_PER_MEMBER = 5
SAMPLE_EVERY = 0.5
#: Progress lines, on stderr, during a send.
PROGRESS_EVERY = 60.0
TEN_MINUTES = 600.0
#: How long interrupted senders may take to finish their batch before they are terminated.
STOP_GRACE = 120.0
RATIO_TARGET = 0.5
SUBSCRIBERS = Subscriber.__table__
USERS = User.__table__


def email_of(n: int) -> str:
    return f"reader{n:06d}@example.org"


# --- the sink -------------------------------------------------------------------------------------

_MESSAGE_ID = re.compile(rb"^message-id:[ \t]*(\S+)", re.IGNORECASE | re.MULTILINE)


class CountingHandler:
    """Accepts every message; keeps counts only (and the ids, to see a message sent twice)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.messages = 0
        self.bytes = 0
        self.ids: set[bytes] = set()
        self.recipients: set[str] = set()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content: bytes = envelope.original_content or envelope.content
        head = content[: content.find(b"\r\n\r\n")]
        found = _MESSAGE_ID.search(head)
        self.ids.add(found.group(1) if found else b"<missing %d>" % self.messages)
        self.recipients.update(envelope.rcpt_tos)
        self.messages += 1
        self.bytes += len(content)
        return "250 2.0.0 accepted"

    def counts(self) -> dict[str, int]:
        return {
            "messages": self.messages,
            "bytes": self.bytes,
            "distinct_ids": len(self.ids),
            "recipients": len(self.recipients),
        }


def _sink_main(port: int, control: Connection) -> None:
    """The sink process: aiosmtpd's loop runs in the Controller's thread; this thread answers the pipe."""
    from aiosmtpd.controller import Controller

    handler = CountingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=port, server_hostname="sink.localhost")
    controller.start()
    control.send("ready")
    while True:
        command = control.recv()
        if command == "counts":
            control.send(handler.counts())
        elif command == "reset":
            controller.loop.call_soon_threadsafe(handler.reset)
            time.sleep(0.05)
            control.send(handler.counts())
        else:
            break
    controller.stop()
    control.send(handler.counts())


class Sink:
    def __init__(self) -> None:
        self.port = free_port()
        self._control, child = multiprocessing.get_context("spawn").Pipe()
        self.process = multiprocessing.get_context("spawn").Process(
            target=_sink_main, args=(self.port, child), daemon=True
        )
        self.process.start()
        if not self._control.poll(60) or self._control.recv() != "ready":
            raise RuntimeError("the SMTP sink did not start")

    @property
    def pid(self) -> int:
        assert self.process.pid is not None
        return self.process.pid

    def counts(self) -> dict[str, int]:
        self._control.send("counts")
        return self._control.recv()  # type: ignore[no-any-return]

    def reset(self) -> None:
        self._control.send("reset")
        self._control.recv()

    def stop(self) -> None:
        self._control.send("stop")
        self._control.recv()
        self.process.join(10)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- /proc ------------------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_mb(pid: int) -> tuple[float, float]:
    """VmRSS and VmHWM (peak RSS) in MB, or zeros once the process is gone."""
    values = {"VmRSS": 0.0, "VmHWM": 0.0}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name, _, rest = line.partition(":")
            if name in values:
                values[name] = int(rest.split()[0]) / 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return values["VmRSS"], values["VmHWM"]


def source_version() -> str:
    """The checkout's commit (read-only git), with a mark when src/ has changes not committed."""
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + (" (src/ modified)" if changed else "")


def load_average() -> str:
    return "/".join(f"{value:.1f}" for value in os.getloadavg())


# --- the data -----------------------------------------------------------------------------------


def database_counts(database: Path) -> dict[str, int]:
    if not database.exists():
        return {}
    with sqlite3.connect(database) as connection:
        names = ("papers", "subscribers", "users", "votes")
        existing = {row[0] for row in connection.execute("select name from sqlite_master")}
        return {
            n: connection.execute(f"select count(*) from {n}").fetchone()[0] for n in names if n in existing
        }


def seed(engine: sa.Engine, subscribers: int, members: int) -> None:
    """Confirmed daily subscribers, the first ``members`` of them members with 5 upvotes each."""
    rng = random.Random(7)
    moment = dt.datetime(2026, 5, 1, 8, 0)
    with engine.begin() as connection:
        for table in ("digest_outbox", "digest_editions", "votes", "users", "subscribers"):
            connection.execute(sa.text(f"DELETE FROM {table}"))
        papers = list(connection.scalars(sa.select(sa.text("id")).select_from(sa.text("papers"))))
        for start in range(0, subscribers, SEED_BATCH):
            connection.execute(
                SUBSCRIBERS.insert(),
                [
                    {
                        "email": email_of(n),
                        "frequency": "daily",
                        "created_at": moment,
                        "confirmed_at": moment,
                        "categories": [],
                        "bounces": 0,
                    }
                    for n in range(start, min(start + SEED_BATCH, subscribers))
                ],
            )
        for start in range(0, members, SEED_BATCH):
            connection.execute(
                USERS.insert(),
                [
                    {
                        "email": email_of(n),
                        "username": f"reader{n:06d}",
                        "display_name": f"Reader {n}",
                        "is_moderator": False,
                        "hidden": False,
                        "followed_categories": [],
                        "followed_authors": [],
                        "created_at": moment,
                    }
                    for n in range(start, min(start + SEED_BATCH, members))
                ],
            )
        user_ids = list(connection.scalars(sa.select(USERS.c.id).order_by(USERS.c.id)))
        votes: list[dict[str, Any]] = []
        for user_id in user_ids:
            for paper_id in rng.sample(papers, VOTES_PER_MEMBER):
                when = moment + dt.timedelta(seconds=rng.randrange(20 * 86400))
                votes.append({"user_id": user_id, "paper_id": paper_id, "created_at": when})
            if len(votes) >= SEED_BATCH:
                connection.execute(VOTES.insert(), votes)
                votes = []
        if votes:
            connection.execute(VOTES.insert(), votes)
        # The counts every list shows stay equal to the votes stored (the edition ranks by them).
        connection.execute(sa.update(PAPER_ACTIVITY).values(upvotes=0))
        connection.execute(
            sa.text(
                "INSERT INTO paper_activity (paper_id, upvotes, comments, hidden) "
                "SELECT paper_id, count(*), 0, 0 FROM votes WHERE true GROUP BY paper_id "
                "ON CONFLICT (paper_id) DO UPDATE SET upvotes = excluded.upvotes"
            )
        )


def newest_day(database: Path) -> str:
    with sqlite3.connect(database) as connection:
        return str(connection.execute("select max(day) from listing_entries").fetchone()[0])


def outbox_by_status(database: Path) -> dict[str, int]:
    with sqlite3.connect(database) as connection:
        return dict(connection.execute("select status, count(*) from digest_outbox group by status"))


def empty_outbox(database: Path) -> None:
    with sqlite3.connect(database) as connection:
        connection.execute("delete from digest_outbox")


# --- the raw rate -------------------------------------------------------------------------------


def prerendered(settings: Settings, engine: sa.Engine, count: int) -> list[OutgoingMail]:
    """One member's real digest of the newest edition, encoded once and copied ``count`` times with a
    different recipient and Message-ID each: the bytes the sender hands to the transport."""
    renderer = DigestRenderer(settings, DigestLinks(site_secret(settings)))
    sender = Sender(engine, settings, SmtpTransport("127.0.0.1"), renderer)
    with read_session(engine) as session:
        edition = session.scalars(sa.select(Edition).order_by(Edition.id.desc()).limit(1)).one()
        subscriber = session.scalars(sa.select(Subscriber).order_by(Subscriber.id).limit(1)).one()
        member = session.scalars(sa.select(User).where(User.email == subscriber.email)).one()
        content = sender.content(session, edition)
        ranked = sender.picks(session, content, [member]).get(member.id, [])
        message = sender.compose(content, subscriber, ranked, "<raw.0@localhost>")
    assert message is not None
    to_line, id_line = f"To: {subscriber.email}\r\n".encode(), b"Message-ID: <raw.0@localhost>\r\n"
    assert to_line in message.data and id_line in message.data
    messages = []
    for n in range(count):
        data = message.data.replace(to_line, f"To: raw{n}@example.org\r\n".encode()).replace(
            id_line, f"Message-ID: <raw.{n}.{time.time_ns()}@localhost>\r\n".encode()
        )
        messages.append(OutgoingMail(message.sender, f"raw{n}@example.org", data))
    return messages


@dataclass
class RawRun:
    rate: float
    #: CPU milliseconds per message of the pushing client (this process) and of the sink.
    client_ms: float
    sink_ms: float
    #: Bytes of one message as sent.
    size: int


def raw_rate(sink: Sink, messages: list[OutgoingMail], connections: int) -> RawRun:
    """Messages/s accepted for ``messages`` pushed through SmtpTransport.send_many in one call."""
    transport = SmtpTransport("127.0.0.1", sink.port, starttls=False, connections=connections)
    asyncio.run(transport.send_many(messages[: max(len(messages) // 10, 1)]))  # warm up
    sink.reset()
    sink_cpu, client_cpu = cpu_seconds(sink.pid), time.process_time()
    start = time.perf_counter()
    results = asyncio.run(transport.send_many(messages))
    seconds = time.perf_counter() - start
    client_cpu, sink_cpu = time.process_time() - client_cpu, cpu_seconds(sink.pid) - sink_cpu
    failed = [r for r in results if r is not None]
    counts = sink.counts()
    received = counts["messages"]
    if failed or received != len(messages):
        raise RuntimeError(f"raw push: {len(failed)} failed ({failed[:1]}), sink got {received}")
    sink.reset()
    count = len(messages)
    size = counts["bytes"] // count
    return RawRun(count / seconds, 1000 * client_cpu / count, 1000 * sink_cpu / count, size)


# --- build and send ---------------------------------------------------------------------------------


@dataclass
class SendRun:
    senders: int
    build_seconds: float
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    outbox: dict[str, int] = field(default_factory=dict)
    #: (seconds, delivered so far, RSS MB of each sender).
    timeline: list[tuple[float, int, list[float]]] = field(default_factory=list)
    peaks: list[float] = field(default_factory=list)
    sender_cpu: float = 0.0
    sink_cpu: float = 0.0
    outputs: list[str] = field(default_factory=list)
    #: Interrupted after --limit seconds, when ``at_limit`` messages had been delivered.
    stopped: bool = False
    at_limit: int = 0

    def rate(self) -> float:
        return self.counts.get("messages", 0) / self.seconds if self.seconds else 0.0

    def flat(self, subscribers: int) -> tuple[bool, list[float]]:
        """Whether each sender's peak stays within 10% + 10 MB of its RSS once 10% of the mail was out."""
        early = next((rss for _, done, rss in self.timeline if done >= subscribers / 10), None)
        if early is None:  # stopped before 10%: from the middle of the run
            early = self.timeline[len(self.timeline) // 2][2] if self.timeline else [0.0] * self.senders
        ok = all(peak <= base * 1.10 + 10 for peak, base in zip(self.peaks, early, strict=True))
        return ok, early


def run_cli(env: dict[str, str], *args: str) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "dailypapers", *args], env=env, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"dailypapers {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return seconds, done.stdout.strip()


def send_round(env: dict[str, str], sink: Sink, senders: int, build_seconds: float, limit: float) -> SendRun:
    """Run ``senders`` `dailypapers digest send` side by side until they finish, or interrupt them
    (as Ctrl-C would) after ``limit`` seconds."""
    run = SendRun(senders, build_seconds)
    sink.reset()
    sink_cpu = cpu_seconds(sink.pid)
    start = time.perf_counter()
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "dailypapers", "digest", "send"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(senders)
    ]
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    run.peaks = [0.0] * senders
    last_print = 0.0
    while any(p.poll() is None for p in processes):
        time.sleep(SAMPLE_EVERY)
        elapsed = time.perf_counter() - start
        rss = []
        for n, process in enumerate(processes):
            current, peak = memory_mb(process.pid)
            rss.append(current)
            run.peaks[n] = max(run.peaks[n], peak)
        delivered = sink.counts()["messages"]
        run.timeline.append((elapsed, delivered, rss))
        if elapsed > limit and not run.stopped:
            run.stopped, run.at_limit = True, sink.counts()["messages"]
            for process in processes:
                process.send_signal(signal.SIGINT)
        if run.stopped and elapsed > limit + STOP_GRACE:
            for process in processes:
                if process.poll() is None:
                    process.terminate()
        if elapsed - last_print >= PROGRESS_EVERY:
            last_print = elapsed
            memory = "+".join(f"{value:.0f}" for value in rss)
            sys.stderr.write(
                f"    {elapsed:6.0f} s  {delivered:7,} delivered  RSS {memory} MB  load {load_average()}\n"
            )
    run.seconds = time.perf_counter() - start
    outputs = [(process.communicate()[0] or "").strip() for process in processes]
    for process, output in zip(processes, outputs, strict=True):
        if process.returncode != 0 and not run.stopped:
            raise RuntimeError(f"dailypapers digest send exited with {process.returncode}:\n{output[-3000:]}")
    run.outputs = [output.splitlines()[-1] if output else "" for output in outputs]
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    run.sender_cpu = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
    run.sink_cpu = cpu_seconds(sink.pid) - sink_cpu
    time.sleep(0.2)
    run.counts = sink.counts()
    return run


def rss_points(run: SendRun, subscribers: int) -> str:
    """RSS of each sender when 1%, 10%, 25%, 50%, 75% and all of the mail was out."""
    points = []
    for share in (0.01, 0.10, 0.25, 0.50, 0.75, 1.0):
        sample = next((s for s in run.timeline if s[1] >= share * subscribers), None)
        if sample is not None:
            memory = "+".join(f"{value:.0f}" for value in sample[2] if value) or "exited"
            points.append(f"{share:.0%}: {memory}")
    return ", ".join(points)


def report(run: SendRun, raw: float, raw_cpu: str, subscribers: int) -> None:
    counts = run.counts
    delivered, duplicates = counts["messages"], counts["messages"] - counts["distinct_ids"]
    total = run.build_seconds + run.seconds
    everyone = delivered == subscribers == counts["recipients"] and duplicates == 0
    ratio = run.rate() / raw
    flat, early = run.flat(subscribers)
    outbox = ", ".join(f"{status} {count:,}" for status, count in sorted(run.outbox.items()))
    per_message = 1000 / max(delivered, 1)
    peaks = "+".join(f"{peak:.0f}" for peak in run.peaks)
    stopped = f" (interrupted at --limit with {run.at_limit:,} delivered)" if run.stopped else ""
    print(
        f"  {run.senders} sender(s){stopped}: build {run.build_seconds:.1f} s + send {run.seconds:.1f} s = "
        f"{total:.1f} s; {run.rate():,.1f} msgs/s = {ratio:.0%} of the raw {raw:,.0f} msgs/s"
    )
    print(
        f"    sink got {delivered:,} ({counts['bytes'] / 1e6:,.0f} MB) for {counts['recipients']:,} "
        f"recipients, {duplicates} duplicates; outbox: {outbox}"
    )
    print(
        f"    CPU ms/msg: senders {run.sender_cpu * per_message:.1f} + sink {run.sink_cpu * per_message:.1f} "
        f"(raw: {raw_cpu}); sink busy {run.sink_cpu / run.seconds:.0%} of a core"
    )
    print(f"    sender RSS MB when x% was delivered: {rss_points(run, subscribers)}; peak {peaks}")
    print(
        f"    {'PASS' if everyone and total < TEN_MINUTES else 'FAIL'} all delivered once in < 10 min; "
        f"{'PASS' if ratio >= RATIO_TARGET else 'FAIL'} >= 50% of raw; "
        f"{'PASS' if flat else 'FAIL'} memory flat (peak {peaks} vs "
        f"{'+'.join(f'{e:.0f}' for e in early)} MB at 10%)",
        flush=True,
    )


# --- main ---------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--members", type=int, help="subscribers who are members (default: all)")
    parser.add_argument("--senders", type=int, nargs="+", default=[1], help="send processes, per round")
    parser.add_argument("--raw-messages", type=int, default=5_000)
    parser.add_argument("--data-dir", type=Path, help="keep the catalog and subscribers here between runs")
    parser.add_argument(
        "--limit", type=float, default=1800, help="interrupt a send round after this long (s)"
    )
    args = parser.parse_args()
    members = args.subscribers if args.members is None else min(args.members, args.subscribers)
    print(
        f"{os.cpu_count()} cores, load average {load_average()} (1/5/15 min) before the run; "
        f"dailypapers at {source_version()}; OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-digest-") as tmp:
        data_dir = args.data_dir or Path(tmp) / "data"
        database = data_dir / "dailypapers.db"
        sink = Sink()
        env = {
            **os.environ,
            "DAILYPAPERS_DATA_DIR": str(data_dir),
            "DAILYPAPERS_SMTP_HOST": "127.0.0.1",
            "DAILYPAPERS_SMTP_PORT": str(sink.port),
            "DAILYPAPERS_SMTP_STARTTLS": "false",
        }
        env.pop("DAILYPAPERS_DATABASE_URL", None)
        os.environ.pop("DAILYPAPERS_DATABASE_URL", None)
        settings = Settings(
            data_dir=data_dir, smtp_host="127.0.0.1", smtp_port=sink.port, smtp_starttls=False
        )
        try:
            if database_counts(database).get("papers", 0) == 0:
                seconds, _ = run_cli(env, "ingest", "sample")
                print(f"catalog: `dailypapers ingest sample` in {seconds:.1f} s")
            engine = create_db_engine(settings)
            upgrade_database(engine)
            have = database_counts(database)
            wanted = {"subscribers": args.subscribers, "users": members, "votes": members * VOTES_PER_MEMBER}
            if any(have.get(name) != count for name, count in wanted.items()):
                start = time.perf_counter()
                seed(engine, args.subscribers, members)
                print(
                    f"seeded {args.subscribers:,} confirmed subscribers, {members:,} of them members with "
                    f"{VOTES_PER_MEMBER} upvotes each ({members * VOTES_PER_MEMBER:,} votes; paper_activity "
                    f"recomputed from them) in {time.perf_counter() - start:.1f} s (Core executemany, "
                    f"{SEED_BATCH:,} rows a batch)"
                )
            have = database_counts(database)
            print(
                f"data: {have['papers']:,} papers, {have['subscribers']:,} subscribers, {have['users']:,} "
                f"members, {have['votes']:,} votes; sink: aiosmtpd on 127.0.0.1:{sink.port} (pid {sink.pid})"
            )
            day = newest_day(database)
            connections = settings.smtp_connections
            print(
                f"edition: daily, {day}; {settings.digest_papers} papers + up to {settings.digest_picks} "
                f"picks a mail; batch {settings.digest_batch_size}, {connections} SMTP connections a sender"
            )

            raws: list[RawRun] = []
            for senders in args.senders:
                empty_outbox(database)
                build_seconds, built = run_cli(env, "digest", "build", "--date", day)
                print(f"{senders} sender(s): build {build_seconds:.1f} s ({' / '.join(built.splitlines())})")
                if not raws:  # the raw rate before the first round (the messages need an edition)
                    raws.append(raw_rate(sink, prerendered(settings, engine, args.raw_messages), connections))
                    raw_cpu = f"client {raws[0].client_ms:.1f} + sink {raws[0].sink_ms:.1f}"
                    print(
                        f"  raw: {args.raw_messages:,} copies of one member's {raws[0].size:,}-byte digest "
                        f"in one SmtpTransport.send_many: {raws[0].rate:,.0f} msgs/s, CPU ms/msg {raw_cpu}"
                    )
                print(f"  sending, load {load_average()}", flush=True)
                run = send_round(env, sink, senders, build_seconds, args.limit)
                run.outbox = outbox_by_status(database)
                print(f"  sent in {run.seconds:.1f} s: {' | '.join(run.outputs)}")
                raws.append(raw_rate(sink, prerendered(settings, engine, args.raw_messages), connections))
                print(f"  raw sink rate after the round {raws[-1].rate:,.0f} msgs/s; load {load_average()}")
                report(run, max(raws[-2].rate, raws[-1].rate), raw_cpu, args.subscribers)
            engine.dispose()
        finally:
            sink.stop()


if __name__ == "__main__":
    main()
