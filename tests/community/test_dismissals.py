"""Not interested, on SQLite and PostgreSQL: idempotent, undoable, one member's alone."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa

from dailypapers.community.dismissals import dismiss, dismissed_paper_ids, undo_dismissal
from dailypapers.community.models import User
from dailypapers.community.votes import NoSuchPaper
from dailypapers.db.write import read_session, write_session


def dismissed(engine: sa.Engine, *users: User) -> dict[int, list[str]]:
    with read_session(engine) as session:
        return dismissed_paper_ids(session, [user.id for user in users])


def test_a_dismissal_is_kept_once_and_is_the_members_own(
    catalog: sa.Engine, member: Callable[[str], User]
) -> None:
    ada, bo = member("ada@example.org"), member("bo@example.org")
    for _ in range(2):  # a form sent twice
        with write_session(catalog) as session:
            dismiss(session, ada, "2508.00001")
    with write_session(catalog) as session:
        dismiss(session, ada, "2508.00002")
    assert dismissed(catalog, ada, bo) == {ada.id: ["2508.00002", "2508.00001"], bo.id: []}


def test_undo_puts_the_paper_back_and_is_harmless_twice(
    catalog: sa.Engine, member: Callable[[str], User]
) -> None:
    ada = member("ada@example.org")
    with write_session(catalog) as session:
        dismiss(session, ada, "2508.00001")
    for _ in range(2):
        with write_session(catalog) as session:
            undo_dismissal(session, ada, "2508.00001")
    assert dismissed(catalog, ada) == {ada.id: []}


def test_an_unknown_paper_is_refused_and_nothing_is_stored(
    catalog: sa.Engine, member: Callable[[str], User]
) -> None:
    ada = member("ada@example.org")
    with pytest.raises(NoSuchPaper, match=r"no paper 2599\.99999"), write_session(catalog) as session:
        dismiss(session, ada, "2599.99999")
    assert dismissed(catalog, ada) == {ada.id: []}
