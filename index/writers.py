"""How annotated articles reach Whoosh: one process, or Whoosh's multiprocess writer with the
annotation moved into its sub-writers.

Whoosh's MpWriter pickles finished documents to job files that its sub-processes index. Here the
job files carry Articles instead, and each sub-writer annotates them (places, dates) itself, so
both cores share the annotation as well as the indexing. This leans on MpWriter's job-file
protocol (`_new_task`, `_process_file`), which is why whoosh3 is pinned to one exact version.
"""
from __future__ import annotations

import pickle

from whoosh.multiproc import MpWriter, SubWriterTask

from index.documents import article_documents
from index.model import Article
from index.places import Gazetteer

_ARTICLE = 1


class ArticleWriter:
    """One-process writer: annotate and add each article's paragraphs in this process."""

    def __init__(self, ix, gazetteer: Gazetteer, limitmb: int):
        self._writer = ix.writer(limitmb=limitmb)
        self._gazetteer = gazetteer

    def add_article(self, article: Article) -> None:
        for doc in article_documents(article, self._gazetteer):
            self._writer.add_document(**doc)

    def delete_source(self, source_path: str) -> None:
        self._writer.delete_by_term("source", source_path)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self._writer.__exit__(*exc)


class ParallelArticleWriter(MpWriter):
    """Whoosh's MpWriter whose job items are Articles, annotated in the sub-writers.

    Sub-writers each produce a segment; `multisegment=True` adds them to the index without a
    merge at commit (a merge costs more than searching a few segments does).
    """

    def __init__(self, ix, gazetteer: Gazetteer, procs: int, limitmb: int):
        super().__init__(ix, procs=procs, multisegment=True, limitmb=limitmb, batchsize=64)
        self._gazetteer = gazetteer

    def add_article(self, article: Article) -> None:
        self.docbuffer.append((_ARTICLE, article))
        if len(self.docbuffer) >= self.batchsize:
            self._enqueue()
        self._added_sub = True

    def delete_source(self, source_path: str) -> None:
        self.delete_by_term("source", source_path)

    def _new_task(self):
        task = _AnnotatingSubWriter(self.storage, self.indexname, self.jobqueue, self.resultqueue,
                                    self.subargs, self.multisegment, self._gazetteer)
        self.tasks.append(task)
        task.start()
        return task


class _AnnotatingSubWriter(SubWriterTask):
    """A sub-writer process that turns Articles from its job files into paragraph documents."""

    def __init__(self, storage, indexname, jobqueue, resultqueue, kwargs, multisegment,
                 gazetteer: Gazetteer):
        super().__init__(storage, indexname, jobqueue, resultqueue, kwargs, multisegment)
        self.gazetteer = gazetteer

    def _process_file(self, filename, doc_count):
        tempstorage = self.writer.temp_storage()
        with tempstorage.open_file(filename).raw_file() as f:
            for _ in range(doc_count):
                code, article = pickle.load(f)
                if code != _ARTICLE:
                    raise ValueError(f"unexpected job item {code!r} in {filename}")
                for doc in article_documents(article, self.gazetteer):
                    self.writer.add_document(**doc)
        tempstorage.delete_file(filename)


def article_writer(ix, gazetteer: Gazetteer, workers: int, limitmb: int):
    """The parallel writer when there is more than one worker, else the one-process writer."""
    if workers > 1:
        return ParallelArticleWriter(ix, gazetteer, procs=workers, limitmb=limitmb)
    return ArticleWriter(ix, gazetteer, limitmb)
