"""Related stories: the story a similar-story search starts from (an article by its id, or a
paragraph by `like=`), and `GET /api/articles/<id>/similar` as a search grouped by article.
The ranking is search.engine.similar's; the answer is SearchService.search's. Never imports
Bottle or Whoosh.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from search.engine.similar import Story, article_story, paragraph_story
from search.errors import NotFoundError, QueryError
from search.service.params import RawParams, SearchParams

if TYPE_CHECKING:
    from search.service.facade import SearchService, Served

# What /similar takes: the search's filters, paging, sort and facets. Not `q`, `mode`, `match`
# or `expand` (no query text), not `like` (the article is the source), not `group` (articles).
SIMILAR_PARAMETERS = ("from", "to", "mentioned_from", "mentioned_to", "place", "sort", "page",
                      "page_size", "facets")


def similar(service: "SearchService", article_id: str, params: RawParams) -> dict:
    """GET /api/articles/<id>/similar: the articles most like this one, under the filters, in
    the shape of /api/search with group=article; the article itself is never among them."""
    for name in params:
        if name not in SIMILAR_PARAMETERS:
            raise QueryError(name, f"unknown parameter {name[:40]!r}; the parameters here are: "
                                   + ", ".join(SIMILAR_PARAMETERS))
    return service.search({**params, "group": "article"}, similar_to=article_id)


def source_story(served: "Served", p: SearchParams, similar_to: str | None) -> Story | None:
    """The story a search ranks others by: the article `similar_to`, else the paragraph of
    `like`, else None (an ordinary search). NotFoundError when the id names nothing."""
    if similar_to is not None:
        story = article_story(served.gen.columns, served.gen.article_docnums(similar_to))
        if story is None:
            raise NotFoundError(f"no article with id {similar_to!r}")
        return story
    if not p.like:
        return None
    docnum = served.gen.paragraph_docnum(p.like)
    if docnum is None:
        raise NotFoundError(f"like: no paragraph with id {p.like[:80]!r}; give the `id` of a "
                            "hit (such as 275:4)", param="like")
    return paragraph_story(served.gen.columns, docnum)
