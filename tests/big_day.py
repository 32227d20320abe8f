"""A busy day, as a lab's field has: 290 papers, every fifth in computer vision, three upvoted by two
members, after a quiet day of two papers. Importable from any test module."""

from __future__ import annotations

import datetime as dt

from dailypapers.community.accounts import create_sign_in_link, use_sign_in_link
from dailypapers.community.votes import set_vote
from dailypapers.db.engine import create_db_engine
from dailypapers.db.migrate import upgrade_database
from dailypapers.db.write import write_session
from dailypapers.papers.rules import ListingRules
from dailypapers.papers.service import store_papers
from dailypapers.settings import Settings
from factories import listed_paper

BIG_DAY = dt.date(2026, 5, 11)
BIG_DAY_PATH = f"/papers/date/{BIG_DAY.isoformat()}"
BIG_DAY_PAPERS = [f"2605.{n:05d}" for n in range(10001, 10291)]
VISION_PAPERS = BIG_DAY_PAPERS[::5]
#: Papers and their upvotes, most upvoted first.
UPVOTED = {"2605.10200": 2, "2605.10100": 1, "2605.10250": 1}
QUIET_DAY = dt.date(2026, 5, 8)
#: A paper with a title and an author list as long as real ones get.
LONG_PAPER = BIG_DAY_PAPERS[-1]
LONG_TITLE = (
    "Scaling Multimodal Retrieval-Augmented Generation with Hierarchical Token Routing "
    "for Long-Context Video Understanding"
)


def fill_big_day(settings: Settings) -> None:
    """Migrate the database of ``settings`` and list the two days on it."""
    engine = create_db_engine(settings)
    upgrade_database(engine)
    records = [
        listed_paper(arxiv_id, BIG_DAY, **({"categories": ["cs.CV"]} if arxiv_id in VISION_PAPERS else {}))
        for arxiv_id in BIG_DAY_PAPERS
    ]
    records[-1] = listed_paper(
        LONG_PAPER, BIG_DAY, title=LONG_TITLE, authors=[f"Author Number{n} Surname" for n in range(1, 15)]
    )
    records += [listed_paper(f"2605.0000{n}", QUIET_DAY) for n in (1, 2)]
    with write_session(engine) as session:
        store_papers(session, records, rules=ListingRules())
        voters = [
            use_sign_in_link(session, create_sign_in_link(session, f"{name}@example.org"))
            for name in ("ada", "bob")
        ]
        for arxiv_id, votes in UPVOTED.items():
            for voter in voters[:votes]:
                set_vote(session, voter, arxiv_id, up=True)
    engine.dispose()
