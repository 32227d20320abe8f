"""Signing in by emailed link: single use, expiring, one account per address; sessions and tokens."""

import datetime as dt
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from dailypapers.community import accounts
from dailypapers.community.models import SignInLink, User
from dailypapers.db.write import read_session, write_session


def new_link(engine: sa.Engine, email: str) -> str:
    with write_session(engine) as session:
        return accounts.create_sign_in_link(session, accounts.normalize_email(email))


def use(engine: sa.Engine, link: str) -> User:
    with write_session(engine) as session:
        return accounts.use_sign_in_link(session, link)


def test_a_link_signs_in_once_and_creates_the_account_once(catalog: sa.Engine) -> None:
    first = use(catalog, new_link(catalog, "Ada.Lovelace@Example.org"))
    assert (first.email, first.username) == ("ada.lovelace@example.org", "ada-lovelace")
    link = new_link(catalog, "ada.lovelace@example.org")
    assert use(catalog, link).id == first.id
    with pytest.raises(accounts.InvalidSignInLink, match="already used"):
        use(catalog, link)


def test_expired_and_unknown_links_are_refused(catalog: sa.Engine) -> None:
    link = new_link(catalog, "ada@example.org")
    with write_session(catalog) as session:
        session.execute(sa.update(SignInLink).values(expires_at=accounts.now() - dt.timedelta(seconds=1)))
    with pytest.raises(accounts.InvalidSignInLink, match="expired"):
        use(catalog, link)
    with pytest.raises(accounts.InvalidSignInLink, match="not valid"):
        use(catalog, "forged")


def test_usernames_stay_unique(member: Callable[[str], User]) -> None:
    assert member("ada@example.org").username == "ada"
    assert member("ada@example.com").username == "ada-2"


@pytest.mark.parametrize("address", ["", "not an address", "a@b", "ada@example.org\r\nBcc: x@y.z"])
def test_bad_addresses_are_refused(address: str) -> None:
    with pytest.raises(accounts.InvalidEmail):
        accounts.normalize_email(address)


def test_sessions_end_one_by_one_or_everywhere(catalog: sa.Engine, member: Callable[[str], User]) -> None:
    ada = member("ada@example.org")
    with write_session(catalog) as session:
        laptop, phone = accounts.start_session(session, ada), accounts.start_session(session, ada)
    with write_session(catalog) as session:
        assert accounts.user_of_session(session, laptop).id == ada.id  # type: ignore[union-attr]
        accounts.end_session(session, laptop)
    with write_session(catalog) as session:
        assert accounts.user_of_session(session, laptop) is None
        assert accounts.user_of_session(session, phone) is not None
        accounts.end_all_sessions(session, ada)
    with read_session(catalog) as session:
        assert accounts.user_of_session(session, phone) is None


def test_api_tokens_are_shown_once_stored_hashed_and_revocable(
    catalog: sa.Engine, member: Callable[[str], User]
) -> None:
    ada = member("ada@example.org")
    with write_session(catalog) as session:
        secret = accounts.create_api_token(session, ada, "my script")
    with write_session(catalog) as session:
        (token,) = accounts.api_tokens_of(session, ada)
        assert token.name == "my script" and secret not in token.token_hash
        assert accounts.user_of_api_token(session, secret).id == ada.id  # type: ignore[union-attr]
        assert accounts.revoke_api_token(session, ada, token.id)
    with read_session(catalog) as session:
        assert accounts.user_of_api_token(session, secret) is None
        assert accounts.api_tokens_of(session, ada) == []


def test_moderators_are_granted_by_address(catalog: sa.Engine, member: Callable[[str], User]) -> None:
    member("ada@example.org")
    with write_session(catalog) as session:
        assert accounts.grant_moderator(session, "ADA@example.org").is_moderator  # type: ignore[union-attr]
        assert accounts.grant_moderator(session, "nobody@example.org") is None
