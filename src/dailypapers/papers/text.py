"""Text as arXiv gives it, made presentable without losing what the authors wrote.

Stored text keeps LaTeX exactly as written (search and BibTeX want it); only whitespace is normalised.
``plain_text`` renders LaTeX to readable Unicode for display.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pylatexenc.latex2text import LatexNodes2Text

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n|\n[ \t]+(?=\S)")
_REPOSITORY_PATH = re.compile(r"([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+)")
_ASCII_SPACES = re.compile(r"[ \t\n\r\f\v]+")
_ODD_SPACE = re.compile(r"[\t\n\r\f\v]")
_AUTHOR_SEPARATOR = re.compile(r",\s*(?:and\s+)?|\s+and\s+")
_LATEX_HINT = re.compile(r"[\\$^_{}~]")
#: "Project page: https://...", "project website at https://...", "Homepage: https://..." in a
#: paper's comments or abstract: the phrase, a few joining words, then the address.
_PROJECT_PAGE = re.compile(
    r"(?:project\s*(?:page|website|site)|home\s*page)\b[^h]{0,30}?(https?://[^\s,;)\]}>]+)", re.IGNORECASE
)


def squash_whitespace(text: str) -> str:
    """Collapse every run of ASCII whitespace (line breaks included) to one space and trim the ends.

    Written for speed: most arXiv text only has single line breaks to turn into spaces, which
    ``str.replace`` does ten times faster than splitting into words.
    """
    text = text.strip(" \t\n\r\f\v").replace("\n", " ")
    if "  " in text or "\t" in text or "\r" in text or "\f" in text or "\v" in text:
        return _ASCII_SPACES.sub(" ", text)
    return text


def squash_each(texts: list[str]) -> list[str]:
    """``squash_whitespace`` on each text, dropping those left empty.

    Author lists are checked as a whole first: they are almost always clean already.
    """
    joined = "\x00".join(texts)
    if (
        joined
        and "  " not in joined
        and "\x00 " not in joined
        and " \x00" not in joined
        and "\x00\x00" not in joined
        and not _ODD_SPACE.search(joined)
        and joined[0] not in " \x00"
        and joined[-1] not in " \x00"
    ):
        return list(texts)
    return [squashed for text in texts if (squashed := squash_whitespace(text))]


def normalize_abstract(text: str) -> str:
    """Join arXiv's hard-wrapped lines but keep paragraphs.

    arXiv abstracts wrap at about 80 columns; a new paragraph is a blank line or an indented line.
    Paragraphs come back separated by one blank line.
    """
    text = text.strip()
    # Most abstracts are one paragraph with single line breaks. Once those are spaces, one scan for
    # a double space also rules out the paragraph breaks ("\n\n" and "\n " both leave one): pair
    # searches cost more than the rest of this function, so this saves two.
    flat = text.replace("\n", " ")
    if "  " not in flat and "\t" not in flat and "\r" not in flat and "\f" not in flat and "\v" not in flat:
        return flat
    if "\n\n" not in text and "\n " not in text and "\n\t" not in text:
        return squash_whitespace(text)
    paragraphs = (squash_whitespace(part) for part in _PARAGRAPH_BREAK.split(text))
    return "\n\n".join(part for part in paragraphs if part)


def split_author_list(authors: str) -> list[str]:
    """Split arXiv's one-string author list (``A. One, B. Two and C. Three``) into names."""
    return [name for part in _AUTHOR_SEPARATOR.split(authors) if (name := squash_whitespace(part))]


def find_code_links(*texts: str | None) -> list[str]:
    """GitHub and GitLab repositories mentioned in the texts (``https://github.com/owner/repo``),
    in order of appearance, without duplicates."""
    found: dict[str, None] = {}
    for text in texts:
        # Cheap substring tests first, then plain searches: a regular expression over every
        # abstract costs more than the rest of the import's text handling together. Most texts
        # have no "/" at all, which one memchr finds out faster than any of the longer tests.
        if (
            not text
            or "/" not in text
            or not ("ithub." in text or "itlab." in text or "ITHUB." in text or "ITLAB." in text)
        ):
            continue
        lowered = text.lower()
        mentions = []
        for domain in ("github.com/", "gitlab.com/"):
            position = lowered.find(domain)
            while position >= 0:
                path = _REPOSITORY_PATH.match(text, position + len(domain))
                if path is not None:
                    repo = path.group(2).rstrip(".")
                    repo = repo[:-4] if repo.lower().endswith(".git") else repo
                    if repo:
                        mentions.append((position, f"https://{domain}{path.group(1)}/{repo}"))
                position = lowered.find(domain, position + 1)
        for _position, url in sorted(mentions):
            found.setdefault(url, None)
    return list(found)


def find_project_page(*texts: str | None) -> str | None:
    """The address the authors give as the paper's project page or homepage, from the first text
    that names one; ``None`` when none does."""
    for text in texts:
        if text and (match := _PROJECT_PAGE.search(text)):
            return match.group(1).rstrip(".")
    return None


_latex_converter = LatexNodes2Text(math_mode="text", strict_latex_spaces=False)


@lru_cache(maxsize=4096)
def plain_text(text: str) -> str:
    """Render LaTeX markup (``$\\alpha$``, ``\\emph{x}``, ``40\\%``) as readable Unicode text.

    Text without LaTeX comes back unchanged; text that does not parse as LaTeX comes back as written.
    """
    if not _LATEX_HINT.search(text):
        return text
    try:
        rendered = _latex_converter.latex_to_text(text)
    except Exception:  # pylatexenc raises various errors on broken markup; showing it raw is fine.
        return text
    return "\n\n".join(" ".join(part.split()) for part in rendered.split("\n\n"))


def count_of(number: int, noun: str) -> str:
    """``1 paper``, ``2 papers``: counts said to people, never "1 papers"."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
