"""Text normalisation: whitespace is tidied, LaTeX is kept, and plain text is rendered for display."""

from hypothesis import given
from hypothesis import strategies as st

from dailypapers.papers.text import (
    count_of,
    find_code_links,
    normalize_abstract,
    plain_text,
    split_author_list,
    squash_each,
    squash_whitespace,
)


def test_abstract_lines_are_joined_and_paragraphs_kept() -> None:
    raw = "  We study $\\alpha$-divergences\nfor diffusion models.\n  A second paragraph\nstarts here.  \n"
    assert normalize_abstract(raw) == (
        "We study $\\alpha$-divergences for diffusion models.\n\nA second paragraph starts here."
    )


def test_blank_lines_separate_paragraphs_too() -> None:
    assert normalize_abstract("one\n\n\ntwo  words") == "one\n\ntwo words"


@given(st.text(alphabet=st.sampled_from("ab \t\n\r"), max_size=60))
def test_squashed_text_has_single_spaces_only(text: str) -> None:
    squashed = squash_whitespace(text)
    assert "  " not in squashed and "\n" not in squashed and "\t" not in squashed and "\r" not in squashed
    assert squashed == squashed.strip()
    assert squashed.split(" ") == text.split() or squashed == ""


@given(st.lists(st.text(alphabet=st.sampled_from("ab \t\n"), max_size=8), max_size=5))
def test_squash_each_equals_squashing_one_by_one(texts: list[str]) -> None:
    assert squash_each(texts) == [s for t in texts if (s := squash_whitespace(t))]


def test_author_strings_split_on_commas_and_and() -> None:
    assert split_author_list("C. Bal\\'azs, E. L. Berger, P. M. Nadolsky and C.-P. Yuan") == [
        "C. Bal\\'azs",
        "E. L. Berger",
        "P. M. Nadolsky",
        "C.-P. Yuan",
    ]
    assert split_author_list("A. One and\n  B. Two") == ["A. One", "B. Two"]


def test_code_links_from_abstract_and_comments() -> None:
    abstract = "Code: https://github.com/org/repo. See also https://github.com/org/repo.git"
    comments = "10 pages; data at https://gitlab.com/group/project and http://example.org"
    assert find_code_links(abstract, comments, None) == [
        "https://github.com/org/repo",
        "https://gitlab.com/group/project",
    ]


def test_plain_text_renders_latex_for_display() -> None:
    assert (
        plain_text("$\\alpha$-divergences reach 40\\% with \\emph{less}")
        == "α-divergences reach 40% with less"
    )
    assert plain_text("No markup here") == "No markup here"


def test_plain_text_returns_broken_latex_as_written() -> None:
    assert plain_text("unbalanced {brace and $math") != ""


def test_counts_said_to_people_agree_with_their_number() -> None:
    assert [count_of(n, "paper") for n in (0, 1, 2)] == ["0 papers", "1 paper", "2 papers"]
