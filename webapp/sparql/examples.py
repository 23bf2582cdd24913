"""Example queries for the query UI: the catalog's named questions (``queries/*.rq``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from lmickg.queries import load_named_queries

__all__ = ["Example", "example_queries"]


@dataclass(frozen=True)
class Example:
    """One example query, its title and description in the page language."""

    name: str
    title: str
    description: str
    text: str


@lru_cache(maxsize=1)
def _named_queries() -> dict[str, Any]:
    """The named queries, loaded once per process."""
    return dict(load_named_queries())


def _in(texts: dict[str, str], lang: str) -> str:
    return texts.get(lang) or texts.get("en") or next(iter(texts.values()), "")


def example_queries(lang: str) -> list[Example]:
    """The named queries as examples, with title and description in ``lang``."""
    examples = []
    for name, named in sorted(_named_queries().items()):
        examples.append(
            Example(
                name=name,
                title=_in(dict(named.title), lang) or name,
                description=_in(dict(named.description), lang),
                text=str(named.text),
            )
        )
    return examples
