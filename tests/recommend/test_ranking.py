"""The feed's ranking as a pure function: words of upvotes, "not interested", follows, and reasons."""

from __future__ import annotations

from dailypapers.recommend.feed import Candidate, CandidatePool, Interests, Pick, rank


def paper(paper_id: str, title: str, abstract: str, *, author: str = "") -> Candidate:
    """A paper by ``author``, or else by an author of its own."""
    return Candidate(paper_id, title, abstract, ["cs.CV"], [author or f"Author of {paper_id}"], "")


LORA = paper(
    "2501.00001",
    "Low-rank adapters for vision transformers",
    "LoRA adapters fine-tune a frozen vision transformer for few-shot segmentation.",
)
LORA_AGAIN = paper(
    "2501.00002",
    "Sparse LoRA adapters",
    "We prune the LoRA adapters of a vision transformer, keeping accuracy on segmentation benchmarks.",
)
VAGUE = paper(
    "2501.00003",
    "Efficient tuning of large neural networks",
    "Adapting big pretrained models to new image tasks with little compute and few labelled examples.",
)
LORA_THIRD = paper(
    "2501.00004",
    "LoRA adapters merged",
    "Merging the LoRA adapters of several vision transformer tasks into one.",
)
OTHER = [
    paper(f"2501.001{n:02d}", title, abstract)
    for n, (title, abstract) in enumerate(
        [
            ("Proteins folded by networks", "Amino acid sequences become three-dimensional structures."),
            (
                "Translating low-resource languages",
                "Back-translation for languages with little parallel text.",
            ),
            ("Cheaper data centres", "Scheduling jobs when electricity is cheap lowers the energy bill."),
        ]
    )
]


def test_a_lexical_neighbour_ranks_above_a_vaguer_paper_on_the_same_theme() -> None:
    picks = rank(Interests([LORA.paper_id]), [VAGUE, LORA_AGAIN, *OTHER], [LORA], limit=None)
    ranked = [pick.paper_id for pick in picks]
    assert ranked[0] == LORA_AGAIN.paper_id and ranked.index(VAGUE.paper_id) > 0
    assert picks[0].reason == "because you upvoted “Low-rank adapters for vision transformers”"


def test_upvoted_papers_are_not_picked_again() -> None:
    picks = rank(Interests([LORA.paper_id]), [LORA, LORA_AGAIN, *OTHER], [LORA], limit=None)
    assert LORA.paper_id not in [pick.paper_id for pick in picks]


def test_dismissed_papers_never_appear_and_push_papers_like_them_down() -> None:
    scans = paper(
        "2501.00011",
        "Low-rank adapters for medical scans",
        "LoRA adapters fine-tune a vision transformer to segment medical scans.",
    )
    images = paper(
        "2501.00012",
        "Low-rank adapters for medical images",
        "LoRA adapters fine-tune a vision transformer to segment medical images and scans.",
    )
    few_shot = paper(
        "2501.00013",
        "Few-shot classification with a frozen backbone",
        "A frozen vision transformer classifies images from few examples.",
    )
    pool = CandidatePool([scans, images, few_shot, *OTHER])

    def lead(picks: list[Pick]) -> float:
        """How far the paper like the dismissed one ranks above the other near neighbour."""
        scores = {pick.paper_id: pick.score for pick in picks}
        return scores[scans.paper_id] - scores[few_shot.paper_id]

    before = pool.rank(Interests([LORA.paper_id]), [LORA], limit=None)
    after = pool.rank(Interests([LORA.paper_id], dismissed=[images.paper_id]), [LORA], [images], limit=None)
    assert images.paper_id in [pick.paper_id for pick in before]
    assert images.paper_id not in [pick.paper_id for pick in after]
    assert lead(after) < lead(before)


def test_followed_authors_and_categories_come_first_and_say_so() -> None:
    curie = paper(
        "2501.00201", "Finding tumours in chest X-rays", "A detector flags nodules.", author="Marie Curie"
    )
    picks = rank(Interests([LORA.paper_id], authors=["marie curie"]), [LORA_AGAIN, curie], [LORA], limit=2)
    assert (picks[0].paper_id, picks[0].reason) == (curie.paper_id, "by Marie Curie, whom you follow")
    language = Candidate("2501.00202", "Parsing", "Syntax trees.", ["cs.CL"], ["Noam Chomsky"])
    picks = rank(Interests([], categories=["cs.CL"]), [*OTHER, language], [], limit=1)
    assert (picks[0].paper_id, picks[0].reason) == (language.paper_id, "new in cs.CL, which you follow")


def test_nothing_to_go_on_picks_nothing() -> None:
    assert rank(Interests([]), [LORA, *OTHER], [], limit=5) == []


def test_papers_by_the_authors_a_member_upvotes_rise_and_say_so() -> None:
    mine = paper(
        "2501.00301", "Dialogue acts in debates", "Argument mining of debate turns.", author="Yohan Jo"
    )
    theirs = paper(
        "2501.00302", "Persuasion in online forums", "Which replies change minds.", author="Yohan Jo"
    )
    picks = rank(Interests([mine.paper_id]), [*OTHER, LORA_AGAIN, theirs], [mine], limit=1)
    assert (picks[0].paper_id, picks[0].reason) == (theirs.paper_id, "by Yohan Jo, whose papers you upvoted")
