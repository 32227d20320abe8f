"""Members and papers for the community tests, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from dailypapers.community.accounts import create_sign_in_link, use_sign_in_link
from dailypapers.community.models import User
from dailypapers.db.write import write_session
from dailypapers.papers.rules import ListingRules
from dailypapers.papers.service import store_papers
from factories import listed_paper

DAY = dt.date(2025, 8, 11)


@pytest.fixture
def catalog(engine: sa.Engine) -> sa.Engine:
    """Three papers on the list of ``DAY``."""
    with write_session(engine) as session:
        store_papers(session, [listed_paper(f"2508.0000{n}", DAY) for n in (1, 2, 3)], rules=ListingRules())
    return engine


@pytest.fixture
def member(catalog: sa.Engine) -> Callable[[str], User]:
    """Signs a new member in by their email link, as the site does."""

    def sign_in(email: str) -> User:
        with write_session(catalog) as session:
            link = create_sign_in_link(session, email)
        with write_session(catalog) as session:
            return use_sign_in_link(session, link)

    return sign_in
