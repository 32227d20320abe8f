"""arXiv category codes as members type them: validated against arXiv's list, with a hint when a
name was typed instead of a code."""

from __future__ import annotations

import pytest

from dailypapers.papers.categories import CATEGORIES, UnknownCategory, category_codes


def test_codes_in_any_case_and_separator_come_back_in_arxivs_spelling() -> None:
    assert category_codes(["cs.cv, STAT.ML  hep-th", "cs.CV", ""]) == ["cs.CV", "hep-th", "stat.ML"]
    assert category_codes([]) == []


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (
            "computer vision, cs.XX",
            "“computer vision” (did you mean cs.CV, Computer Vision and Pattern Recognition?); “cs.XX”",
        ),
        ("nonsense", "This is not an arXiv category: “nonsense”."),
        ("cs.CL nonsense", "This is not an arXiv category: “nonsense”."),
        ("cs", "“cs” (a group of categories: name the ones you want, such as cs.AI)"),
    ],
)
def test_anything_else_is_refused_saying_what_and_what_was_meant(typed: str, message: str) -> None:
    with pytest.raises(UnknownCategory) as refused:
        category_codes([typed])
    assert message in str(refused.value)


def test_the_list_holds_the_categories_papers_are_announced_in() -> None:
    assert {
        "cs.CV",
        "cs.LG",
        "stat.ML",
        "math.NA",
        "cs.NA",
        "eess.IV",
        "q-bio.NC",
        "cond-mat.mes-hall",
    } <= set(CATEGORIES)
    assert all(name and name[0].isupper() for name in CATEGORIES.values())
