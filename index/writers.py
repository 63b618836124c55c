"""How annotated articles reach Whoosh: one process, or Whoosh's multiprocess writer with the
annotation moved into its sub-writers.

Whoosh's MpWriter pickles finished documents to job files that its sub-processes index. Here the
job files carry Articles instead, and each sub-writer annotates them (places, dates) itself, so
both cores share the annotation as well as the indexing. The job-file protocol is Whoosh's
private API, so it lives in `index/store/whoosh_private.py`; this module only says what an item
is. Sub-writers die with the build, never hold its lock, and quieten their cycle collector
(index/collector.py).
"""
from __future__ import annotations

from functools import partial

from index.collector import quiet_collector
from index.documents import article_documents
from index.lock import bind_child_to_build
from index.model import Article
from index.places import Gazetteer
from index.store.schema import SOURCE
from index.store.whoosh_private import ItemJobWriter, term_pool_writer


class ArticleWriter:
    """One-process writer: annotate and add each article's paragraphs in this process."""

    def __init__(self, ix, gazetteer: Gazetteer, limitmb: int):
        # Separate segment files, not one compound file: the read side maps them, shared
        # (index/store/whoosh_private.MappedStorage).
        self._writer = term_pool_writer(ix, limitmb, compound=False)
        self._gazetteer = gazetteer

    def add_article(self, article: Article) -> None:
        for doc in article_documents(article, self._gazetteer):
            self._writer.add_document(**doc)

    def delete_source(self, source_path: str) -> None:
        self._writer.delete_by_term(SOURCE, source_path)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self._writer.__exit__(*exc)


class ParallelArticleWriter(ItemJobWriter):
    """Sub-writer processes that each annotate Articles and index their paragraphs."""

    def __init__(self, ix, gazetteer: Gazetteer, procs: int, limitmb: int):
        super().__init__(ix, procs=procs, limitmb=limitmb,
                         item_documents=partial(article_documents, gazetteer=gazetteer),
                         on_start=_start_sub_writer)

    def add_article(self, article: Article) -> None:
        self.add_item(article)

    def delete_source(self, source_path: str) -> None:
        self.delete_by_term(SOURCE, source_path)


def _start_sub_writer(parent_pid: int) -> None:
    """A sub-writer's first step: bound to the build, its cycle collector quietened."""
    bind_child_to_build(parent_pid)
    quiet_collector()


def article_writer(ix, gazetteer: Gazetteer, workers: int, limitmb: int):
    """The parallel writer when there is more than one worker, else the one-process writer."""
    if workers > 1:
        return ParallelArticleWriter(ix, gazetteer, procs=workers, limitmb=limitmb)
    return ArticleWriter(ix, gazetteer, limitmb)
