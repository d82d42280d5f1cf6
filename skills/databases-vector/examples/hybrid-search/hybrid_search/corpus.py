"""The example's own corpus: 60 help-centre articles of a fictional home router.

Written for the example so that both kinds of query a help centre gets are in it: exact
identifiers (error codes such as ``E509``, product codes such as ``NB-SAT-2-OUT``) that
only a word match finds reliably, and questions in the customer's own words that share
no word with the article that answers them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

ARTICLES_FILE = Path(__file__).with_name("help_articles.jsonl")


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    text: str

    @property
    def searchable(self) -> str:
        """What both indexes see: the title carries the identifiers, so it is included."""
        return f"{self.title}. {self.text}"


def load_articles(path: Path = ARTICLES_FILE) -> list[Article]:
    """The articles of a JSONL file (one {"id", "title", "text"} object a line)."""
    articles = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            articles.append(Article(id=str(row["id"]), title=row["title"], text=row["text"]))
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"{path}:{number}: not an article ({error})") from None
    if not articles:
        raise ValueError(f"{path} holds no articles")
    if len({a.id for a in articles}) != len(articles):
        raise ValueError(f"{path} has two articles with one id")
    return articles
