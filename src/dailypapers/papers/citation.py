"""Citations of a paper: BibTeX as arXiv's own export writes it, and the paper page as Markdown."""

from __future__ import annotations

import re
from collections.abc import Sequence

from dailypapers.papers.ids import year_of_id
from dailypapers.papers.models import Paper
from dailypapers.papers.text import plain_text

_KEY_WORD = re.compile(r"[A-Za-z]+")
#: Words a citation key skips at the start of a title ("A Survey of ..." gives "survey").
_SMALL_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "on",
        "of",
        "in",
        "for",
        "to",
        "and",
        "or",
        "with",
        "from",
        "by",
        "at",
        "as",
        "is",
        "are",
        "via",
        "towards",
        "toward",
    ]
)


def bibtex(paper: Paper) -> str:
    """A ``@misc`` entry with arXiv's eprint fields; the title keeps its LaTeX, braces protect its case."""
    fields = [
        ("title", "{" + _escape(paper.title) + "}"),
        ("author", " and ".join(_escape(name) for name in paper.authors)),
        ("year", str(citation_year(paper))),
        ("eprint", paper.id),
        ("archivePrefix", "arXiv"),
        ("primaryClass", paper.primary_category),
        ("doi", paper.doi),
        ("url", paper.abs_url),
    ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@misc{{{citation_key(paper)},\n{body}\n}}\n"


def citation_year(paper: Paper) -> int:
    """The first version's year, else the year in the arXiv id: an entry always has one."""
    return paper.submitted_at.year if paper.submitted_at else year_of_id(paper.id)


def citation_key(paper: Paper) -> str:
    """``vaswani2017attention``: the first author's last name, the year and the title's first word
    that is not a small word, as Google Scholar and most reference managers build keys."""
    last = _KEY_WORD.findall(plain_text(paper.authors[0]).split()[-1]) if paper.authors else []
    words = (word.lower() for word in _KEY_WORD.findall(plain_text(paper.title)))
    first_word = next((word for word in words if word not in _SMALL_WORDS), "paper")
    return f"{(last[0] if last else 'anon').lower()}{citation_year(paper)}{first_word}"


def _escape(text: str) -> str:
    """Keep LaTeX as written but balance braces, which BibTeX cannot parse otherwise."""
    depth = 0
    out = []
    for char in text:
        if char == "{":
            depth += 1
        elif char == "}":
            if depth == 0:
                continue
            depth -= 1
        out.append(char)
    return "".join(out) + "}" * depth


def paper_markdown(paper: Paper, listed_on: Sequence[object] = ()) -> str:
    """The paper page as Markdown (served at ``/papers/{id}.md``, read by ``HfApi.read_paper``)."""
    lines = [
        f"# {plain_text(paper.title)}",
        "",
        f"**Authors:** {', '.join(plain_text(name) for name in paper.authors)}",
        "",
        f"**arXiv:** [{paper.id}]({paper.abs_url}) · [PDF]({paper.pdf_url}) · "
        f"**Categories:** {' '.join(paper.categories)}",
    ]
    if paper.submitted_at:
        lines += ["", f"**Submitted:** {paper.submitted_at:%Y-%m-%d} (v{paper.version})"]
    if paper.code_urls:
        lines += ["", "**Code:** " + " · ".join(paper.code_urls)]
    if listed_on:
        lines += ["", "**On the daily list:** " + ", ".join(str(day) for day in listed_on)]
    lines += ["", "## Abstract", "", plain_text(paper.abstract), ""]
    return "\n".join(lines)
