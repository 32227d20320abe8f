"""Members submit papers by id or URL: fetched from arXiv when new, never listed twice, limited per day."""

from collections.abc import Callable

import pytest
import sqlalchemy as sa

from dailypapers.community.accounts import now
from dailypapers.community.models import User
from dailypapers.community.queries import ranked_entries
from dailypapers.community.submissions import SubmissionRefused, submit_paper
from dailypapers.db.write import read_session
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


def test_an_unknown_paper_is_fetched_listed_today_and_searchable(
    catalog: sa.Engine, arxiv_settings: Settings, fake_arxiv: FakeArxiv, member: Callable[[str], User]
) -> None:
    ada = member("ada@example.org")
    submission = submit_paper(catalog, arxiv_settings, ada, "https://arxiv.org/pdf/2306.09299v2")
    assert (submission.paper_id, submission.day, submission.new) == ("2306.09299", now().date(), True)
    assert todays_list(catalog) == [("2306.09299", "ada")]
    assert len(fake_arxiv.requests_to("/api/query")) == 1
    with read_session(catalog) as session:
        assert [paper.id for paper in search_papers(session, "small models teach", limit=5)] == ["2306.09299"]


def test_a_listed_paper_is_not_listed_again(
    catalog: sa.Engine, arxiv_settings: Settings, fake_arxiv: FakeArxiv, member: Callable[[str], User]
) -> None:
    ada, alan = member("ada@example.org"), member("alan@example.org")
    again = submit_paper(catalog, arxiv_settings, ada, "2508.00001")  # on the list of 2025-08-11
    assert (again.new, again.day.isoformat()) == (False, "2025-08-11")
    submit_paper(catalog, arxiv_settings, ada, "2306.09299")
    assert submit_paper(catalog, arxiv_settings, alan, "2306.09299v1").new is False
    assert todays_list(catalog) == [("2306.09299", "ada")]
    assert fake_arxiv.requests_to("/api/query") != [] and len(fake_arxiv.requests_to("/api/query")) == 1


@pytest.mark.parametrize(
    ("text", "message"), [("not an id", "arXiv id"), ("2401.99999", "arXiv has no paper 2401.99999")]
)
def test_bad_and_unknown_ids_are_refused(
    catalog: sa.Engine, arxiv_settings: Settings, member: Callable[[str], User], text: str, message: str
) -> None:
    with pytest.raises(SubmissionRefused, match=message):
        submit_paper(catalog, arxiv_settings, member("ada@example.org"), text)
    assert todays_list(catalog) == []


def test_each_member_submits_a_limited_number_per_day(
    catalog: sa.Engine, arxiv_settings: Settings, member: Callable[[str], User]
) -> None:
    limited = arxiv_settings.model_copy(update={"daily_submission_limit": 1})
    ada = member("ada@example.org")
    submit_paper(catalog, limited, ada, "2306.09299")
    with pytest.raises(SubmissionRefused, match="1 papers today"):
        submit_paper(catalog, limited, ada, "2304.14118")
    assert todays_list(catalog) == [("2306.09299", "ada")]


def test_arxiv_being_down_is_a_clear_refusal(
    catalog: sa.Engine, arxiv_settings: Settings, fake_arxiv: FakeArxiv, member: Callable[[str], User]
) -> None:
    fake_arxiv.fail_next(10, status=503, retry_after=0)
    down = arxiv_settings.model_copy(update={"arxiv_max_retries": 1})
    with pytest.raises(SubmissionRefused, match="could not be reached"):
        submit_paper(catalog, down, member("ada@example.org"), "2306.09299")
