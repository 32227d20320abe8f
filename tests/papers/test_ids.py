"""arXiv identifiers as people paste them: ids, versions, URLs, and old-style archive ids."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dailypapers.papers.ids import ArxivId, InvalidArxivId, parse_arxiv_id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2306.09299", ArxivId("2306.09299")),
        ("2306.09299v3", ArxivId("2306.09299", 3)),
        ("arXiv:2201.12507", ArxivId("2201.12507")),
        ("https://arxiv.org/abs/2304.14118v2", ArxivId("2304.14118", 2)),
        ("http://export.arxiv.org/pdf/2304.14118.pdf", ArxivId("2304.14118")),
        ("https://arxiv.org/pdf/2304.14118v1", ArxivId("2304.14118", 1)),
        ("https://www.arxiv.org/html/2304.14118v4/", ArxivId("2304.14118", 4)),
        ("  0704.0001 ", ArxivId("0704.0001")),
        ("hep-th/9901001", ArxivId("hep-th/9901001")),
        ("math.GT/0309136v2", ArxivId("math.GT/0309136", 2)),
        ("math.gt/0309136", ArxivId("math.GT/0309136")),
        ("oai:arXiv.org:cond-mat/0102536", ArxivId("cond-mat/0102536")),
        ("https://arxiv.org/abs/hep-th/9901001", ArxivId("hep-th/9901001")),
    ],
)
def test_parses_ids_and_urls(text: str, expected: ArxivId) -> None:
    assert parse_arxiv_id(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "hello",
        "2306.0929",
        "2306.092999",
        "2313.00001",
        "1412.12345",
        "1501.1234",
        "2306.09299v0",
        "https://example.org/abs/2306.09299",
        "hep-th/99010011",
        "hep-th/9913001",
        "2306.09299; DROP TABLE",
    ],
)
def test_rejects_what_is_not_an_arxiv_id(text: str) -> None:
    with pytest.raises(InvalidArxivId):
        parse_arxiv_id(text)


new_style_ids = st.builds(
    lambda year, month, number, five: (
        f"{year:02d}{month:02d}.{number:05d}" if five else f"{year:02d}{month:02d}.{number:04d}"
    ),
    st.integers(7, 14),
    st.integers(1, 12),
    st.integers(1, 9999),
    st.just(False),
) | st.builds(
    lambda year, month, number: f"{year:02d}{month:02d}.{number:05d}",
    st.integers(15, 99),
    st.integers(1, 12),
    st.integers(1, 99999),
)


@given(new_style_ids, st.none() | st.integers(1, 99))
def test_every_spelling_of_an_id_parses_to_the_same_canonical_id(arxiv_id: str, version: int | None) -> None:
    suffix = f"v{version}" if version else ""
    spellings = [
        arxiv_id + suffix,
        f"arXiv:{arxiv_id}{suffix}",
        f"https://arxiv.org/abs/{arxiv_id}{suffix}",
        f"https://arxiv.org/pdf/{arxiv_id}{suffix}.pdf",
    ]
    assert {parse_arxiv_id(s) for s in spellings} == {ArxivId(arxiv_id, version)}


@given(st.text(max_size=40))
def test_parsing_never_fails_with_anything_but_invalid_id(text: str) -> None:
    try:
        parsed = parse_arxiv_id(text)
    except InvalidArxivId:
        return
    assert parse_arxiv_id(str(parsed)) == parsed
