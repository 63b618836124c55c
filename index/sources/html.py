"""Reader for saved article pages (`.html`, `.htm`): one article per file, its id the file name
without extensions. Imports only `index.model` and the shared page and text helpers.
"""
from __future__ import annotations

from index.model import Article, Skip
from index.sources.pages import Page, page_article
from index.sources.text import file_article_id


def page(data: bytes, source_path: str) -> Page:
    """The file as a Page, for extraction here or in a worker process."""
    return Page(source_path=source_path, article_id=file_article_id(source_path), content=data)


def parse(data: bytes, source_path: str) -> tuple[list[Article], list[Skip]]:
    """The article of one saved page, or a Skip saying why it has none."""
    found = page_article(page(data, source_path))
    return ([found], []) if isinstance(found, Article) else ([], [found])
