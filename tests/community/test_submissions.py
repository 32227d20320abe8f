"""Members submit papers by id or URL: a paper the catalog lacks is recorded at once and fetched from
arXiv by the worker (one paced request for all that wait), never listed twice, limited per day."""

import datetime as dt
import time
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from dailypapers.community.accounts import now
from dailypapers.community.models import SubmissionFetch, User
from dailypapers.community.queries import ranked_entries
from dailypapers.community.submissions import (
    RequestedPaper,
    SubmissionRefused,
    requested_by,
    submit_paper,
)
from dailypapers.community.tasks import MAX_FETCH_ATTEMPTS, fetch_submissions, stale_fetch_after
from dailypapers.db.write import read_session, write_session
from dailypapers.ingest.arxiv_api import ArxivApiClient
from dailypapers.ingest.polite import PoliteSession
from dailypapers.search.service import search_papers
from dailypapers.settings import Settings
from fake_arxiv import FakeArxiv


def todays_list(engine: sa.Engine) -> list[tuple[str, str | None]]:
    today = now().date()
    with read_session(engine) as session:
        return [
            (listed.paper.id, listed.submitter.username if listed.submitter else None)
            for listed in ranked_entries(session, today, today)
        ]


def states(engine: sa.Engine, user: User) -> list[tuple[str, str, str | None]]:
    """What the submit page shows the member: (arXiv id, state, reason), newest first."""
    with read_session(engine) as session:
        return [(item.arxiv_id, item.state, item.reason) for item in requested_by(session, user)]


def api_requests(fake_arxiv: FakeArxiv) -> list[str]:
    """The ``id_list`` of every request the fake arXiv API received."""
    return [request.params["id_list"] for request in fake_arxiv.requests_to("/api/query")]


def test_an_unknown_paper_is_answered_at_once_without_asking_arxiv(
    catalog: sa.Engine, arxiv_settings: Settings, fake_arxiv: FakeArxiv, member: Callable[[str], User]
) -> None:
    fake_arxiv.hold_after(0)  # an arXiv that never answers: the member must not wait for it
    ada = member("ada@example.org")
    started = time.monotonic()
    submission = submit_paper(catalog, arxiv_settings, ada, "https://arxiv.org/pdf/2306.09299v2")
    assert time.monotonic() - started < 1
    assert (submission.paper_id, submission.day, submission.outcome) == ("2306.09299", now().date(), "queued")
    assert fake_arxiv.requests == []
    assert states(catalog, ada) == [("2306.09299", "queued", None)]
    assert todays_list(catalog) == []
    fake_arxiv.release_held()


def test_the_worker_fetches_it_and_lists_it_on_the_day_asked_crediting_the_member(
    catalog: sa.Engine, arxiv_settings: Settings, fake_arxiv: FakeArxiv, member: Callable[[str], User]
) -> None:
    ada = member("ada@example.org")
    submit_paper(catalog, arxiv_settings, ada, "2306.09299v2")
    assert str(fetch_submissions(catalog, arxiv_settings)) == "1 listed, 0 failed, 0 to retry"
    assert todays_list(catalog) == [("2306.09299", "ada")]
    with read_session(catalog) as session:
        [item] = requested_by(session, ada)
        assert (item.state, item.listed_on, item.title) == (
            "done",
            now().date(),
            "Can Small Models Teach Larger Ones? Explanations as Supervision for Language Agents",
        )
        assert [paper.id for paper in search_papers(session, "small models teach", limit=5)] == ["2306.09299"]
    assert str(fetch_submissions(catalog, arxiv_settings)) == "none"
    assert api_requests(fake_arxiv) == ["2306.09299"], "a round with nothing queued asks arXiv nothing"


def test_submissions_waiting_together_are_fetched_in_one_paced_request(
    catalog: sa.Engine, arxiv_settings: Settings, fake_arxiv: FakeArxiv, member: Callable[[str], User]
) -> None:
    ada, alan = member("ada@example.org"), member("alan@example.org")
    submit_paper(catalog, arxiv_settings, ada, "2306.09299")
    submit_paper(catalog, arxiv_settings, alan, "2304.14118")
    worker_session = PoliteSession.from_settings(
        arxiv_settings.model_copy(update={"arxiv_delay_seconds": 0.5})
    )
    client = ArxivApiClient(arxiv_settings, worker_session)

    assert fetch_submissions(catalog, arxiv_settings, client=client).listed == 2
    submit_paper(catalog, arxiv_settings, ada, "hep-th/9901001")
    assert fetch_submissions(catalog, arxiv_settings, client=client).listed == 1

    assert sorted(api_requests(fake_arxiv)[0].split(",")) == ["2304.14118", "2306.09299"]
    assert api_requests(fake_arxiv)[1] == "hep-th/9901001"
    first, second = fake_arxiv.requests_to("/api/query")
    assert second.time - first.time >= 0.45, "the worker's one session paces its requests"
    assert all(request.user_agent == arxiv_settings.user_agent for request in (first, second))
    assert sorted(todays_list(catalog)) == [
        ("2304.14118", "alan"),
        ("2306.09299", "ada"),
        ("hep-th/9901001", "ada"),
    ]


def test_two_members_asking_for_one_paper_share_its_fetch_and_both_see_it_listed(
    catalog: sa.Engine, arxiv_settings: Settings, fake_arxiv: FakeArxiv, member: Callable[[str], User]
) -> None:
    ada, alan = member("ada@example.org"), member("alan@example.org")
    assert submit_paper(catalog, arxiv_settings, ada, "2306.09299").outcome == "queued"
    assert submit_paper(catalog, arxiv_settings, alan, "arXiv:2306.09299").outcome == "queued"
    assert submit_paper(catalog, arxiv_settings, alan, "2306.09299").outcome == "queued"  # again: no change
    fetch_submissions(catalog, arxiv_settings)
    assert api_requests(fake_arxiv) == ["2306.09299"]
    assert todays_list(catalog) == [("2306.09299", "ada")], "the first to ask is credited"
    assert states(catalog, ada) == states(catalog, alan) == [("2306.09299", "done", None)]
    again = submit_paper(catalog, arxiv_settings, alan, "2306.09299")
    assert (again.outcome, again.day) == ("already listed", now().date())


def test_an_id_arxiv_does_not_know_fails_with_the_reason_and_may_be_asked_again(
    catalog: sa.Engine, arxiv_settings: Settings, fake_arxiv: FakeArxiv, member: Callable[[str], User]
) -> None:
    ada = member("ada@example.org")
    submit_paper(catalog, arxiv_settings, ada, "2401.99999")
    assert str(fetch_submissions(catalog, arxiv_settings)) == "0 listed, 1 failed, 0 to retry"
    assert states(catalog, ada) == [("2401.99999", "failed", "arXiv has no paper 2401.99999.")]
    assert todays_list(catalog) == []
    submit_paper(catalog, arxiv_settings, ada, "2401.99999")
    assert states(catalog, ada) == [("2401.99999", "queued", None)]


def test_arxiv_being_down_keeps_the_fetch_queued_until_it_gives_up(
    catalog: sa.Engine, arxiv_settings: Settings, fake_arxiv: FakeArxiv, member: Callable[[str], User]
) -> None:
    ada = member("ada@example.org")
    submit_paper(catalog, arxiv_settings, ada, "2306.09299")
    fake_arxiv.fail_next(100, status=503, retry_after=0)
    down = arxiv_settings.model_copy(update={"arxiv_max_retries": 0})
    assert str(fetch_submissions(catalog, down)) == "0 listed, 0 failed, 1 to retry"
    assert states(catalog, ada) == [
        ("2306.09299", "queued", "arXiv could not be reached; trying again soon.")
    ]
    for _ in range(MAX_FETCH_ATTEMPTS - 1):
        fetch_submissions(catalog, down)
    assert states(catalog, ada) == [
        ("2306.09299", "failed", "arXiv could not be reached; please submit it again later.")
    ]
    assert len(api_requests(fake_arxiv)) == MAX_FETCH_ATTEMPTS


def test_a_fetch_left_by_a_killed_worker_is_taken_over_later(
    catalog: sa.Engine, arxiv_settings: Settings, fake_arxiv: FakeArxiv, member: Callable[[str], User]
) -> None:
    ada = member("ada@example.org")
    submit_paper(catalog, arxiv_settings, ada, "2306.09299")
    killed_at = now()
    with write_session(catalog) as session:  # what a worker killed mid-request leaves behind
        fetch = session.get(SubmissionFetch, "2306.09299")
        assert fetch is not None
        fetch.state, fetch.started_at, fetch.attempts = "fetching", killed_at, 1
    assert str(fetch_submissions(catalog, arxiv_settings)) == "none", "a live worker may still be at it"
    later = killed_at + stale_fetch_after(arxiv_settings) + dt.timedelta(seconds=1)
    assert fetch_submissions(catalog, arxiv_settings, moment=later).listed == 1
    assert todays_list(catalog) == [("2306.09299", "ada")]


def test_a_listed_paper_is_not_listed_again(
    catalog: sa.Engine, arxiv_settings: Settings, fake_arxiv: FakeArxiv, member: Callable[[str], User]
) -> None:
    ada, alan = member("ada@example.org"), member("alan@example.org")
    again = submit_paper(catalog, arxiv_settings, ada, "2508.00001")  # on the list of 2025-08-11
    assert (again.outcome, again.day.isoformat()) == ("already listed", "2025-08-11")
    submit_paper(catalog, arxiv_settings, ada, "2306.09299")
    fetch_submissions(catalog, arxiv_settings)
    assert submit_paper(catalog, arxiv_settings, alan, "2306.09299v1").outcome == "already listed"
    assert todays_list(catalog) == [("2306.09299", "ada")]
    assert len(api_requests(fake_arxiv)) == 1


def test_a_paper_in_the_catalog_but_on_no_list_is_listed_at_once(
    catalog: sa.Engine, arxiv_settings: Settings, fake_arxiv: FakeArxiv, member: Callable[[str], User]
) -> None:
    ada, alan = member("ada@example.org"), member("alan@example.org")
    submit_paper(catalog, arxiv_settings, ada, "2306.09299")
    fetch_submissions(catalog, arxiv_settings)
    with write_session(catalog) as session:  # the listing gone (a moderator's cleanup, say)
        session.execute(sa.text("delete from listing_entries where paper_id = '2306.09299'"))
    assert submit_paper(catalog, arxiv_settings, alan, "2306.09299").outcome == "listed"
    assert todays_list(catalog) == [("2306.09299", "alan")]


def test_bad_ids_are_refused(
    catalog: sa.Engine, arxiv_settings: Settings, member: Callable[[str], User]
) -> None:
    with pytest.raises(SubmissionRefused, match="arXiv id"):
        submit_paper(catalog, arxiv_settings, member("ada@example.org"), "not an id")
    assert todays_list(catalog) == []


def test_each_member_submits_a_limited_number_per_day_counting_those_being_fetched(
    catalog: sa.Engine, arxiv_settings: Settings, member: Callable[[str], User]
) -> None:
    limited = arxiv_settings.model_copy(update={"daily_submission_limit": 1})
    ada = member("ada@example.org")
    submit_paper(catalog, limited, ada, "2306.09299")
    with pytest.raises(SubmissionRefused, match="submitted 1 paper today"):
        submit_paper(catalog, limited, ada, "2304.14118")
    fetch_submissions(catalog, limited)
    with pytest.raises(SubmissionRefused, match="submitted 1 paper today"):
        submit_paper(catalog, limited, ada, "2304.14118")
    assert todays_list(catalog) == [("2306.09299", "ada")]
    assert [item.arxiv_id for item in _requested(catalog, ada)] == ["2306.09299"]


def _requested(engine: sa.Engine, user: User) -> list[RequestedPaper]:
    with read_session(engine) as session:
        return requested_by(session, user)
