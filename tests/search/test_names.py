"""Author names: a query names an author whatever the accents, initials and order of the name."""

import pytest

from dailypapers.search.names import name_parts, names_author, query_name


def test_names_are_compared_without_accents_case_or_punctuation() -> None:
    assert name_parts("José  García-Ruiz") == ["jose", "garcia", "ruiz"]


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("Yohan Jo", ["yohan", "jo"]),
        ("Jo, Yohan", ["yohan", "jo"]),
        ("Y. Jo", ["y", "jo"]),
        ("diffusion models for protein structure prediction", None),  # too long for a name
        ("2306.09299", None),
        ("a, b", None),  # initials only
        ("for Mitigating Bias in", None),  # a phrase
    ],
)
def test_a_query_is_read_as_a_name_when_it_can_be_one(text: str, parts: list[str] | None) -> None:
    assert query_name(text) == parts


@pytest.mark.parametrize(
    ("query", "author", "named"),
    [
        ("Yohan Jo", "Yohan Jo", True),
        ("Jo, Yohan", "Yohan Jo", True),
        ("Y. Jo", "Yohan Jo", True),
        ("Yohan Jo", "Y. Jo", True),
        ("Jose Garcia", "José García", True),
        ("Jo", "Min Jo", True),  # a surname alone
        ("Yohan Jo", "Yohan Kim", False),
        ("Yohan Jo", "Jo Kim", False),  # "Jo" is not this author's last name
        ("Yohan", "Yohan Jo", False),  # a first name alone names nobody
        ("Min Jo", "Yohan Jo", False),
    ],
)
def test_each_part_of_the_query_matches_a_part_of_the_name(query: str, author: str, named: bool) -> None:
    parts = query_name(query)
    assert parts is not None
    assert names_author(parts, author) is named
