"""Digest emails: HTML with inlined CSS (mail clients drop <style>) and a plain-text part."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import css_inline
import sqlalchemy as sa
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session

from dailypapers.community.models import PaperActivity
from dailypapers.digest.models import Edition, Subscriber
from dailypapers.digest.service import DigestLinks
from dailypapers.mail.message import OutgoingMail, build_message
from dailypapers.papers.models import Paper
from dailypapers.papers.text import plain_text
from dailypapers.settings import Settings

TEMPLATES = Path(__file__).parent / "templates"
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")
SUMMARY_LENGTH = 220


@dataclass(frozen=True)
class Card:
    """A paper as a digest shows it."""

    paper_id: str
    title: str
    authors: str
    summary: str
    category: str
    categories: tuple[str, ...]
    upvotes: int
    url: str
    pdf_url: str


def one_line(abstract: str) -> str:
    """The abstract's first sentence, cut to a line or two."""
    text = " ".join(plain_text(abstract).split())
    first = _SENTENCE_END.split(text, maxsplit=1)[0]
    return first if len(first) <= SUMMARY_LENGTH else first[: SUMMARY_LENGTH - 1].rsplit(" ", 1)[0] + "…"


class DigestRenderer:
    def __init__(self, settings: Settings, links: DigestLinks) -> None:
        self.settings = settings
        self.links = links
        self.site_url = settings.public_url.rstrip("/")
        environment = Environment(
            loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), auto_reload=False
        )
        self.html = environment.get_template("digest.html")
        self.text = environment.get_template("digest.txt")
        self.confirm_text = environment.get_template("confirm.txt")
        self.subscribed_text = environment.get_template("subscribed.txt")
        self.inliner = css_inline.CSSInliner(keep_style_tags=False)

    def cards(self, session: Session, paper_ids: list[str]) -> dict[str, Card]:
        rows = session.execute(
            sa.select(Paper, sa.func.coalesce(PaperActivity.upvotes, 0))
            .outerjoin(PaperActivity, PaperActivity.paper_id == Paper.id)
            .where(Paper.id.in_(paper_ids), ~Paper.deleted)
        )
        cards = {}
        for paper, upvotes in rows:
            names = [plain_text(name) for name in paper.authors[:3]]
            cards[paper.id] = Card(
                paper_id=paper.id,
                title=" ".join(plain_text(paper.title).split()),
                authors=", ".join(names) + (" et al." if len(paper.authors) > 3 else ""),
                summary=one_line(paper.abstract),
                category=paper.primary_category,
                categories=tuple(paper.categories),
                upvotes=int(upvotes),
                url=f"{self.site_url}/papers/{paper.id}",
                pdf_url=paper.pdf_url,
            )
        return cards

    def heading(self, edition: Edition, *, upvoted: bool = True) -> str:
        """ "Trending papers of ...", or "New papers of ..." when none of them was upvoted."""
        start = edition.period_start
        day = f"{start:%B} {start.day}, {start.year}"
        kind = "Trending" if upvoted else "New"
        if edition.frequency == "daily":
            return f"{kind} papers of {start:%A}, {day}"
        return f"{kind} papers of the week of {day}"

    def papers_for(self, edition: Edition, cards: dict[str, Card], subscriber: Subscriber) -> list[Card]:
        """The edition's best papers, only in the subscriber's categories when they chose some."""
        wanted = set(subscriber.categories or ())
        chosen = [
            cards[paper_id]
            for paper_id in edition.paper_ids
            if paper_id in cards and (not wanted or wanted.intersection(cards[paper_id].categories))
        ]
        return chosen[: self.settings.digest_papers]

    def message(
        self,
        subscriber: Subscriber,
        edition: Edition,
        papers: list[Card],
        picks: list[tuple[Card, str]],
        message_id: str,
    ) -> OutgoingMail:
        token = self.links.manage_token(subscriber.id)
        # An edition holds the most upvoted papers first; on a site where few were upvoted, the
        # rest are the newest on the list, and the mail says so instead of showing "▲ 0".
        upvoted = [card for card in papers if card.upvotes]
        context = {
            "heading": self.heading(edition, upvoted=bool(upvoted)),
            "upvoted": upvoted,
            "newest": [card for card in papers if not card.upvotes],
            "site_name": self.settings.site_name,
            "site_url": self.site_url,
            "frequency": edition.frequency,
            "categories": subscriber.categories,
            "picks": picks,
            "not_interested_urls": {
                card.paper_id: f"{self.site_url}/digest/not-interested/"
                + self.links.not_interested_token(subscriber.id, card.paper_id)
                for card, _ in picks
            },
            "unsubscribe_url": f"{self.site_url}/digest/unsubscribe/{token}",
            "preferences_url": f"{self.site_url}/digest/preferences/{token}",
        }
        return build_message(
            sender=self.settings.mail_from,
            to=subscriber.email,
            subject=f"{self.settings.site_name}: {context['heading']}",
            text=self.text.render(context),
            html=self.inliner.inline(self.html.render(context)),
            headers={
                # RFC 8058: mail clients show an unsubscribe button that POSTs here, no sign-in needed.
                "List-Unsubscribe": f"<{context['unsubscribe_url']}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                "List-Id": f"{self.settings.site_name} digest <digest.{_host(self.site_url)}>",
            },
            message_id=message_id,
        )

    def confirmation(self, subscriber_id: int, email: str, frequency: str) -> OutgoingMail:
        url = f"{self.site_url}/digest/confirm/{self.links.confirm_token(subscriber_id)}"
        return build_message(
            sender=self.settings.mail_from,
            to=email,
            subject=f"Confirm your {self.settings.site_name} digest",
            text=self.confirm_text.render(url=url, frequency=frequency, site_name=self.settings.site_name),
        )

    def already_subscribed(self, subscriber_id: int, email: str) -> OutgoingMail:
        """For an address that asks to subscribe while it is: the asker learns nothing on the site,
        and the owner gets the way to their preferences."""
        url = f"{self.site_url}/digest/preferences/{self.links.manage_token(subscriber_id)}"
        return build_message(
            sender=self.settings.mail_from,
            to=email,
            subject=f"You already receive the {self.settings.site_name} digest",
            text=self.subscribed_text.render(url=url, site_name=self.settings.site_name),
        )


def _host(url: str) -> str:
    return re.sub(r"^[a-z]+://", "", url).split("/")[0].split(":")[0] or "localhost"
