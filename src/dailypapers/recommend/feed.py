"""The personal "for you" feed: papers ranked by what a member upvoted, dismissed and follows.

Each candidate gets a score from these signals, each weighed on ``bench/recommend_readers.py``'s tuning
split (readers modelled as prolific authors: their early papers upvoted, their later ones wanted):
- taste: how close the candidate's words are to the member's upvotes (``lexical``), as the mean of its
  squared tf-idf cosines to each upvote, so one close upvote counts more than many vague ones;
- "not interested": the same closeness to the papers the member dismissed, subtracted;
- habit: the share of upvotes in the candidate's categories;
- co-authors: the share of upvotes written by each of the candidate's authors;
- the authors and categories the member follows, said once in settings and always honoured.
A member with neither upvotes nor follows gets the trending papers.

The words of a window of candidates are weighed once and kept (``CandidatePool``), so a member's feed
over 12,000 papers ranks in a few tens of milliseconds (``bench/feed_speed.py``).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter, OrderedDict
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import sqlalchemy as sa
from scipy import sparse
from sqlalchemy.orm import Session

from dailypapers.community import queries as community
from dailypapers.community.dismissals import dismissed_paper_ids
from dailypapers.community.models import User, Vote
from dailypapers.papers.models import ListingEntry, Paper
from dailypapers.papers.text import plain_text
from dailypapers.recommend.lexical import TermSpace

#: How far back the feed looks for papers, from the newest listed day.
WINDOW_DAYS = 14
#: The most recent upvotes the feed learns from.
MAX_UPVOTES = 200
#: Weights of the signals, on the scale of the taste score standardised over the candidates (mean 0,
#: deviation 1); each is the best of those tried on the bench's tuning split (its docstring has the grid).
#: Taste is the mean of the candidate's cosines to each upvote raised to this power.
TASTE_POWER = 2.0
#: Weight of the closeness to dismissed papers, taken from the taste before it is standardised.
DISMISSED_WEIGHT = 0.1
#: Weight of the share of upvotes in a candidate's categories (a habit the words may not show).
HABIT_WEIGHT = 0.5
#: Weight of a candidate's authors' shares of the member's upvotes, each times its rarity among the
#: candidates, summed over its authors: the co-authors a member keeps upvoting, followed softly.
UPVOTED_AUTHOR_WEIGHT = 30.0
#: A followed author's papers: measured with the co-authors of a reader's upvotes as follows.
FOLLOWED_AUTHOR_WEIGHT = 20.0
#: A followed category's papers: the bench's readers follow none, so this is the earlier feed's weight
#: (following a reader's three most-upvoted categories changed nothing there, issue 18).
FOLLOWED_CATEGORY_WEIGHT = 1.0
#: Pools of candidates kept for reuse: the feed's window and a digest edition's papers, with room for the
#: day, week and month lists that members sort "for you".
POOLS_KEPT = 4
#: A feed window of more papers than this is weighed on a helper thread when it moves: 12,000 papers
#: take about 7 s (``bench/feed_speed.py``), a few hundred well under one.
BACKGROUND_BUILD_MIN = 2_000
#: The reason of a paper no signal speaks for.
NO_SIGNAL = "nothing you upvoted or follow is close"


@dataclass(frozen=True)
class Interests:
    """What the feed knows of a member; ``dismissed`` are papers they marked "not interested"."""

    upvoted: Sequence[str]
    categories: Sequence[str] = ()
    authors: Sequence[str] = ()
    dismissed: Sequence[str] = ()

    @property
    def empty(self) -> bool:
        return not (self.upvoted or self.categories or self.authors)


@dataclass(frozen=True)
class Candidate:
    paper_id: str
    title: str
    abstract: str
    categories: Sequence[str]
    authors: Sequence[str]
    #: The authors' comments (venue, project page): measured to help, as groups name their code there.
    comments: str = ""

    @property
    def text(self) -> str:
        return f"{self.title} {self.abstract} {self.comments}"


@dataclass(frozen=True)
class Scored:
    """Candidates' scores and the signals that explain them."""

    total: np.ndarray
    #: Cosine of each candidate (rows) to each upvoted paper (columns), when there are upvotes.
    closeness: np.ndarray | None
    #: The standardised closeness to the upvotes (less that to the dismissed papers).
    taste: np.ndarray
    #: The co-authors' part of the score, above its mean over the candidates.
    coauthors: np.ndarray
    #: The share of the upvoted papers each author (case folded) wrote.
    author_shares: dict[str, float]


@dataclass(frozen=True)
class Pick:
    paper_id: str
    score: float
    #: One line saying why, shown under the paper.
    reason: str


def _standardised(values: np.ndarray) -> np.ndarray:
    # The small constant keeps scores that are all equal at 0 rather than dividing by 0.
    return (values - values.mean()) / (values.std() + 1e-6)  # type: ignore[no-any-return]


def _index(keys: Iterator[tuple[str, int]]) -> dict[str, np.ndarray]:
    found: dict[str, list[int]] = {}
    for key, position in keys:
        found.setdefault(key, []).append(position)
    return {key: np.array(positions) for key, positions in found.items()}


@dataclass
class CandidatePool:
    """Papers to rank for many members, their words weighed once (a window of the feed, a digest edition)."""

    candidates: list[Candidate]
    space: TermSpace = field(init=False)
    #: Candidates' tf-idf rows, stored by column: a member's words pick out the columns they need.
    words: sparse.csc_matrix = field(init=False)
    by_author: dict[str, np.ndarray] = field(init=False)
    by_category: dict[str, np.ndarray] = field(init=False)
    by_id: dict[str, np.ndarray] = field(init=False)

    def __post_init__(self) -> None:
        self.space, rows = TermSpace.fit([c.text for c in self.candidates])
        self.words = rows.tocsc()
        self.by_author = _index(
            (author.casefold(), i) for i, c in enumerate(self.candidates) for author in c.authors
        )
        self.by_id = _index((c.paper_id, i) for i, c in enumerate(self.candidates))
        self.by_category = _index(
            (category, i) for i, c in enumerate(self.candidates) for category in c.categories
        )

    def closeness(self, papers: Sequence[Candidate]) -> np.ndarray:
        """Cosine of each candidate (rows) to each of ``papers`` (columns)."""
        columns, weights = self.space.columns([paper.text for paper in papers])
        # Only the columns the papers use, times their small dense matrix: a sparse product of whole rows
        # walks all 2^21 columns (27 ms a feed against 8 ms here, measured on 4,732 candidates).
        return self.words[:, columns] @ weights  # type: ignore[no-any-return]

    def _marked(self, index: Mapping[str, np.ndarray], keys: Collection[str]) -> np.ndarray:
        marked = np.zeros(len(self.candidates), dtype=bool)
        for key in keys:
            if key in index:
                marked[index[key]] = True
        return marked

    def _habit(self, upvoted: Sequence[Candidate]) -> np.ndarray:
        """Each candidate's largest share of upvotes that carry one of its categories."""
        habits = Counter(category for paper in upvoted for category in paper.categories)
        share = np.zeros(len(self.candidates))
        for category, count in habits.items():
            if category in self.by_category:
                rows = self.by_category[category]
                share[rows] = np.maximum(share[rows], count / len(upvoted))
        return share

    def scores(
        self, interests: Interests, upvoted: Sequence[Candidate], dismissed: Sequence[Candidate] = ()
    ) -> Scored:
        """Each candidate's score for ``interests``, and the signals behind it.

        ``upvoted`` and ``dismissed`` are the papers behind the interests' ids (they need not be
        candidates); the upvoted and dismissed candidates score minus infinity.
        """
        count = len(self.candidates)
        closeness = self.closeness(upvoted) if upvoted else None
        shares = _author_shares(upvoted) if upvoted else {}
        taste, coauthors = np.zeros(count), np.zeros(count)
        if closeness is not None:
            liked = (closeness**TASTE_POWER).mean(axis=1)
            if dismissed:
                liked -= DISMISSED_WEIGHT * (self.closeness(dismissed) ** TASTE_POWER).mean(axis=1)
            taste = _standardised(liked)
        scores = taste.copy()
        if upvoted:
            scores += HABIT_WEIGHT * self._habit(upvoted)
            for author, share in shares.items():
                if author in self.by_author:
                    rows = self.by_author[author]
                    # Weighed as a word's idf: an author of many candidates says less of each.
                    rarity = np.log((1 + count) / (1 + len(rows))) + 1
                    coauthors[rows] += UPVOTED_AUTHOR_WEIGHT * share * rarity
            scores += coauthors
        scores += FOLLOWED_AUTHOR_WEIGHT * self._marked(
            self.by_author, {author.casefold() for author in interests.authors}
        )
        scores += FOLLOWED_CATEGORY_WEIGHT * self._marked(self.by_category, set(interests.categories))
        scores[self._marked(self.by_id, {*interests.upvoted, *interests.dismissed})] = -np.inf
        return Scored(scores, closeness, taste, coauthors - coauthors.mean(), shares)

    def rank(
        self,
        interests: Interests,
        upvoted: Sequence[Candidate],
        dismissed: Sequence[Candidate] = (),
        *,
        limit: int | None,
        excluded: Collection[str] = (),
    ) -> list[Pick]:
        """The best ``limit`` candidates (all when None) for ``interests``, each with its reason; the
        upvoted, dismissed and ``excluded`` papers are never picked."""
        if interests.empty or not self.candidates:
            return []
        scored = self.scores(interests, upvoted, dismissed)
        scores = scored.total
        scores[self._marked(self.by_id, excluded)] = -np.inf
        order = _best(scores, limit)
        followed_authors = {author.casefold() for author in interests.authors}
        followed_categories = set(interests.categories)
        return [
            Pick(
                self.candidates[i].paper_id,
                float(scores[i]),
                _reason(self.candidates[i], followed_authors, followed_categories, upvoted, scored, i),
            )
            for i in order
        ]


def _best(scores: np.ndarray, limit: int | None) -> np.ndarray:
    """Positions of the ``limit`` best finite scores, best first (ties in candidate order); a partial
    sort, as a feed shows 30 of 12,000 candidates."""
    count = int(np.isfinite(scores).sum()) if limit is None else min(limit, int(np.isfinite(scores).sum()))
    chosen = np.argpartition(-scores, count)[:count] if count < len(scores) else np.arange(len(scores))
    return chosen[np.lexsort((chosen, -scores[chosen]))][:count]  # type: ignore[no-any-return]


def _author_shares(upvoted: Sequence[Candidate]) -> dict[str, float]:
    """The share of the upvoted papers each author (case folded) wrote."""
    counts = Counter(author.casefold() for paper in upvoted for author in set(paper.authors))
    return {author: count / len(upvoted) for author, count in counts.items()}


def _reason(
    candidate: Candidate,
    followed_authors: set[str],
    followed_categories: set[str],
    upvoted: Sequence[Candidate],
    scored: Scored,
    row: int,
) -> str:
    """The signal that sets the candidate apart most: a follow, else co-authors or words of upvotes."""
    followed_author = next((a for a in candidate.authors if a.casefold() in followed_authors), None)
    if followed_author:
        return f"by {plain_text(followed_author)}, whom you follow"
    if upvoted and scored.coauthors[row] > max(scored.taste[row], 0):
        shares = scored.author_shares
        author = max(candidate.authors, key=lambda a: shares.get(a.casefold(), 0))
        return f"by {plain_text(author)}, whose papers you upvoted"
    if scored.closeness is not None and scored.closeness[row].max() > 0:
        nearest = upvoted[int(np.argmax(scored.closeness[row]))]
        return f"because you upvoted “{plain_text(nearest.title)}”"
    followed_category = next((c for c in candidate.categories if c in followed_categories), None)
    if followed_category:
        return f"new in {followed_category}, which you follow"
    return NO_SIGNAL


def rank(
    interests: Interests,
    candidates: Sequence[Candidate],
    upvoted: Sequence[Candidate],
    dismissed: Sequence[Candidate] = (),
    *,
    limit: int | None,
) -> list[Pick]:
    """The best ``limit`` candidates for ``interests``; pure, for the bench and for one-off lists."""
    return CandidatePool(list(candidates)).rank(interests, upvoted, dismissed, limit=limit)


def interests_of(session: Session, user: User) -> Interests:
    """A member's upvotes and follows, and the papers they marked "not interested"."""
    return _interests_of_members(session, [user])[user.id]


def _interests_of_members(session: Session, users: Sequence[User]) -> dict[int, Interests]:
    """What the feed knows of each of ``users``, in two queries for all of them."""
    ids = [user.id for user in users]
    upvoted = community.newest_paper_ids(session, Vote, ids, limit=MAX_UPVOTES)
    dismissed = dismissed_paper_ids(session, ids)
    return {
        user.id: Interests(
            upvoted[user.id], user.followed_categories or (), user.followed_authors or (), dismissed[user.id]
        )
        for user in users
    }


def _candidates(session: Session, paper_ids: Sequence[str] | sa.Select[tuple[str]]) -> list[Candidate]:
    rows = session.execute(
        sa.select(Paper.id, Paper.title, Paper.abstract, Paper.categories, Paper.authors, Paper.comments)
        .where(Paper.id.in_(paper_ids), ~Paper.deleted)
        .order_by(Paper.id)
    )
    return [
        Candidate(paper_id, title, abstract, categories, authors, comments or "")
        for paper_id, title, abstract, categories, authors, comments in rows
    ]


#: Pools by the database they come from (its URL) and their papers' ids.
PoolKey = tuple[str, tuple[str, ...]]
_pools: OrderedDict[PoolKey, CandidatePool] = OrderedDict()
_pools_lock = threading.Lock()


def _pool_key(session: Session, paper_ids: Sequence[str]) -> tuple[sa.Engine, PoolKey]:
    bind = session.get_bind()
    engine = bind if isinstance(bind, sa.Engine) else bind.engine
    return engine, (engine.url.render_as_string(hide_password=True), tuple(sorted(set(paper_ids))))


def candidate_pool(session: Session, paper_ids: Sequence[str]) -> CandidatePool:
    """The pool of ``paper_ids``, built once and kept while it is among the last few asked for."""
    _, key = _pool_key(session, paper_ids)
    with _pools_lock:
        if key in _pools:
            _pools.move_to_end(key)
            return _pools[key]
    pool = CandidatePool(_candidates(session, list(key[1])))
    with _pools_lock:
        _pools[key] = pool
        while len(_pools) > POOLS_KEPT:
            _pools.popitem(last=False)
    return pool


#: The feed's latest window pool of each database (by URL) a process serves, and the databases whose next
#: window is being built on a helper thread.
_windows: dict[str, CandidatePool] = {}
_rebuilding: set[str] = set()


def window_pool(session: Session, paper_ids: Sequence[str]) -> CandidatePool:
    """The pool of the feed's window ``paper_ids``. When the window moves (a new day is listed) and
    it holds more than ``BACKGROUND_BUILD_MIN`` papers, the new pool is built on a helper thread and
    the previous window's pool answers meanwhile (its picks are still checked against moderation):
    no member waits the seconds a full arXiv's window takes to weigh."""
    engine, key = _pool_key(session, paper_ids)
    site, ids = key
    with _pools_lock:
        previous = _windows.get(site)
        in_background = key not in _pools and previous is not None and len(ids) > BACKGROUND_BUILD_MIN
        if in_background and site not in _rebuilding:
            _rebuilding.add(site)
            threading.Thread(target=_build_window, args=(engine, site, ids), daemon=True).start()
    if in_background:
        return previous  # type: ignore[return-value]
    pool = candidate_pool(session, ids)
    with _pools_lock:
        _windows[site] = pool
    return pool


def _build_window(engine: sa.Engine, site: str, paper_ids: Sequence[str]) -> None:
    try:
        with Session(engine) as session:
            pool = candidate_pool(session, paper_ids)
        with _pools_lock:
            _windows[site] = pool
    finally:
        with _pools_lock:
            _rebuilding.discard(site)


def _papers_of(session: Session, interests: Interests) -> tuple[list[Candidate], list[Candidate]]:
    """The upvoted and the dismissed papers, in the order of the interests' ids."""
    found = {c.paper_id: c for c in _candidates(session, [*interests.upvoted, *interests.dismissed])}
    return (
        [found[i] for i in interests.upvoted if i in found],
        [found[i] for i in interests.dismissed if i in found],
    )


def _shown(session: Session, pool: CandidatePool, interests: Interests, limit: int) -> list[Pick]:
    """The best ``limit`` of the pool for ``interests`` that moderators did not hide: the picks are
    checked, rather than the whole pool, and ranked again past any hidden ones."""
    upvoted, dismissed = _papers_of(session, interests)
    hidden: set[str] = set()
    while True:
        picks = pool.rank(interests, upvoted, dismissed, limit=limit, excluded=hidden)
        newly_hidden = community.hidden_among(session, [pick.paper_id for pick in picks])
        if not newly_hidden:
            return picks
        hidden |= newly_hidden


def for_you(session: Session, user: User | None, *, limit: int = 30) -> tuple[list[Pick], bool]:
    """The member's picks among recently listed papers, and whether they are personal (else trending)."""
    interests = interests_of(session, user) if user is not None else Interests(())
    newest = session.scalar(sa.select(sa.func.max(ListingEntry.day)))
    if not interests.empty and newest is not None:
        recent = session.scalars(
            sa.select(ListingEntry.paper_id)
            .where(ListingEntry.day > newest - dt.timedelta(days=WINDOW_DAYS))
            .distinct()
        ).all()
        picks = _shown(session, window_pool(session, recent), interests, limit)
        if picks:
            return picks, True
    trending = community.trending(session, "week", limit=limit)
    return [Pick(item.paper.id, item.trending_score, "trending this week") for item in trending], False


def rank_papers_for(session: Session, user: User, paper_ids: Sequence[str]) -> list[Pick]:
    """``paper_ids`` (a day's, week's or month's list) in ``user``'s own order ("for you"), each with its
    reason, those the member upvoted last (they know them) and those they dismissed or moderators hid
    left out; none when the feed knows nothing of the member yet (no upvotes, no follows)."""
    interests = interests_of(session, user)
    if interests.empty:
        return []
    pool = candidate_pool(session, paper_ids)
    hidden = community.hidden_among(session, [c.paper_id for c in pool.candidates])
    upvoted, dismissed = _papers_of(session, interests)
    ranked = pool.rank(interests, upvoted, dismissed, limit=None, excluded=hidden)
    known = set(interests.upvoted) - hidden
    return ranked + [Pick(c.paper_id, 0.0, "you upvoted it") for c in pool.candidates if c.paper_id in known]


def picks_for_members(
    session: Session, users: Sequence[User], pool: CandidatePool, *, limit: int
) -> dict[int, list[Pick]]:
    """Each member's personal picks from ``pool``, ranked as on /for-you, with a handful of queries."""
    if not users or not pool.candidates:
        return {}
    members = _interests_of_members(session, users)
    wanted = sorted({i for interests in members.values() for i in [*interests.upvoted, *interests.dismissed]})
    papers = {c.paper_id: c for c in _candidates(session, wanted)}
    picks = {}
    for user in users:
        interests = members[user.id]
        mine = [papers[i] for i in interests.upvoted if i in papers]
        not_mine = [papers[i] for i in interests.dismissed if i in papers]
        picks[user.id] = pool.rank(interests, mine, not_mine, limit=limit)
    return picks
