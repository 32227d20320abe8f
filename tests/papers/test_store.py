"""The catalog's write path, on SQLite and PostgreSQL: idempotent, version-aware, listing by rules."""

import datetime as dt

import pytest
import sqlalchemy as sa

from dailypapers.community import queries as lists
from dailypapers.db.write import read_session, write_session
from dailypapers.papers import queries
from dailypapers.papers.models import ListingEntry, Paper
from dailypapers.papers.records import InvalidRecord, PaperRecord
from dailypapers.papers.rules import ListingRules
from dailypapers.papers.service import StoreCounts, mark_deleted, store_papers
from dailypapers.settings import Settings

NO_RULES = ListingRules()


def record(arxiv_id: str = "2306.09299", version: int = 1, **changes: object) -> PaperRecord:
    fields: dict[str, object] = {
        "id": arxiv_id,
        "title": "Segment  Anything\n in High Quality",
        "authors": ["Lei Ke", " Mingqiao Ye "],
        "abstract": "The recent Segment Anything Model\n(SAM) represents a big leap. Code: https://github.com/SysCV/sam-hq",
        "categories": ["cs.CV", "cs.AI"],
        "versions": {v: dt.datetime(2023, 6, 1 + v, 17, 0) for v in range(1, version + 1)},
        "comments": "NeurIPS 2023",
    }
    fields.update(changes)
    return PaperRecord.build(**fields)  # type: ignore[arg-type]


def store(engine: sa.Engine, *records: PaperRecord, rules: ListingRules = NO_RULES) -> StoreCounts:
    with write_session(engine) as session:
        return store_papers(session, records, rules=rules)


def stored(engine: sa.Engine, arxiv_id: str = "2306.09299") -> Paper:
    with read_session(engine) as session:
        paper = queries.paper_by_id(session, arxiv_id)
    assert paper is not None
    return paper


def test_a_new_paper_is_stored_normalised(engine: sa.Engine) -> None:
    assert store(engine, record()) == StoreCounts(inserted=1)
    paper = stored(engine)
    assert paper.title == "Segment Anything in High Quality"
    assert paper.authors == ["Lei Ke", "Mingqiao Ye"]
    assert paper.primary_category == "cs.CV" and paper.categories == ["cs.CV", "cs.AI"]
    assert paper.code_urls == ["https://github.com/SysCV/sam-hq"]
    assert paper.submitted_at == dt.datetime(2023, 6, 2, 17, 0)
    assert paper.versions == [{"version": 1, "created": "2023-06-02T17:00:00"}]
    assert paper.abs_url == "https://arxiv.org/abs/2306.09299"
    assert paper.pdf_url == "https://arxiv.org/pdf/2306.09299"


def test_storing_the_same_record_again_changes_nothing(engine: sa.Engine) -> None:
    store(engine, record())
    before = stored(engine)
    assert store(engine, record()) == StoreCounts(unchanged=1)
    assert stored(engine).ingested_at == before.ingested_at


def test_a_newer_version_updates_the_paper_and_keeps_the_history(engine: sa.Engine) -> None:
    store(engine, record(version=1))
    counts = store(engine, record(version=3, title="SAM-HQ", comments=None))
    assert counts == StoreCounts(updated=1)
    paper = stored(engine)
    assert paper.version == 3 and paper.title == "SAM-HQ"
    assert [v["version"] for v in paper.versions] == [1, 2, 3]
    assert paper.comments == "NeurIPS 2023", "a source without comments keeps the stored ones"


def test_an_older_version_never_overwrites_a_newer_one(engine: sa.Engine) -> None:
    store(engine, record(version=2, title="Second version"))
    store(engine, record(version=1, title="First version"))
    paper = stored(engine)
    assert paper.version == 2 and paper.title == "Second version"


def test_an_older_record_still_adds_the_versions_it_knows(engine: sa.Engine) -> None:
    store(engine, record("2201.12507", version=3, versions={3: dt.datetime(2022, 3, 1)}))
    store(engine, record("2201.12507", version=1))
    assert [v["version"] for v in stored(engine, "2201.12507").versions] == [1, 3]


def test_one_batch_may_hold_a_paper_twice(engine: sa.Engine) -> None:
    counts = store(engine, record(version=1), record(version=2, title="v2"))
    assert counts == StoreCounts(inserted=1)
    assert stored(engine).title == "v2"


def test_rules_put_new_papers_on_their_announcement_day(engine: sa.Engine) -> None:
    rules = ListingRules(categories=("cs.CV",))
    counts = store(engine, record(), record("2306.00001", categories=["math.AG"]), rules=rules)
    assert counts.listed == 1
    with read_session(engine) as session:
        # v1 on Friday 2023-06-02 13:00 EDT, before the cutoff: Monday's list.
        assert queries.listing_days_of(session, "2306.09299") == [dt.date(2023, 6, 5)]
        assert queries.listing_days_of(session, "2306.00001") == []
    assert store(engine, record(), rules=rules).listed == 0, "listing again adds nothing"


def test_empty_rules_list_nothing(engine: sa.Engine) -> None:
    assert store(engine, record()).listed == 0


@pytest.mark.parametrize(
    ("rules", "admitted"),
    [
        (ListingRules(categories=("cs",)), True),
        (ListingRules(categories=("cs.AI",)), True),
        (ListingRules(categories=("c",)), False),
        (ListingRules(categories=("*",)), True),
        (Settings(listing_categories="cs.CV, stat.ML", listing_include="segment").model_copy(), True),
        (Settings(listing_categories="cs.CV", listing_exclude="SAM\\b"), False),
        (Settings(listing_categories="cs.CV", listing_include="^nothing$"), False),
    ],
)
def test_listing_rules(rules: ListingRules | Settings, admitted: bool) -> None:
    if isinstance(rules, Settings):
        rules = ListingRules.from_settings(rules)
    assert rules.admits(record()) is admitted


def test_listings_files_name_the_day_explicitly(engine: sa.Engine) -> None:
    store(engine, record(listed_on=dt.date(2025, 8, 11)))
    with read_session(engine) as session:
        assert queries.newest_listing_day(session) == dt.date(2025, 8, 11)
        assert [p.id for p in queries.papers_listed_on(session, dt.date(2025, 8, 11))] == ["2306.09299"]
        entry = session.scalars(sa.select(ListingEntry)).one()
    assert entry.source == "listing"


def test_deleted_papers_leave_the_lists(engine: sa.Engine) -> None:
    store(engine, record(listed_on=dt.date(2025, 8, 11)))
    with write_session(engine) as session:
        assert mark_deleted(session, ["2306.09299", "2306.00000"]) == 1
    with read_session(engine) as session:
        assert queries.papers_listed_on(session, dt.date(2025, 8, 11)) == []
        assert lists.count_entries(session, dt.date(2025, 8, 1), dt.date(2025, 8, 31)) == 0


def test_a_lists_categories_follow_its_papers_primary_category(engine: sa.Engine) -> None:
    day = dt.date(2025, 8, 11)
    store(engine, record(listed_on=day), record("2306.00001", categories=["eess.IV"], listed_on=day))
    store(engine, record(version=2, categories=["cs.LG", "cs.CV"]))
    store(engine, record(version=1))  # an older version leaves the newer category in place
    with read_session(engine) as session:
        assert lists.categories_listed(session, day, day) == ["cs.LG", "eess.IV"]
        assert lists.count_entries(session, day, day) == 2


def test_a_failed_batch_stores_nothing(engine: sa.Engine) -> None:
    with pytest.raises(RuntimeError), write_session(engine) as session:
        store_papers(session, [record()], rules=NO_RULES)
        raise RuntimeError("crash after the write, before the commit")
    with read_session(engine) as session:
        assert queries.count_papers(session) == 0


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"id": "not-an-id"}, "not an arXiv id"),
        ({"title": "  \n "}, "empty title"),
        ({"authors": [" "]}, "no authors"),
        ({"categories": []}, "no categories"),
    ],
)
def test_invalid_records_say_why(changes: dict[str, object], reason: str) -> None:
    with pytest.raises(InvalidRecord, match=reason):
        record(**changes)


def test_bulk_written_dates_read_back_like_orm_written_ones(sqlite_engine: sa.Engine) -> None:
    store(sqlite_engine, record())
    with sqlite_engine.connect() as connection:
        raw = connection.exec_driver_sql("select submitted_at from papers").scalar()
    assert raw == "2023-06-02 17:00:00.000000", "the text SQLAlchemy itself writes, so SQL comparisons agree"
