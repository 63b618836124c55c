"""How annotated articles reach Whoosh: one process, or Whoosh's multiprocess writer with the
annotation moved into its sub-writers.

Whoosh's MpWriter pickles finished documents to job files that its sub-processes index. Here the
job files carry Articles instead, and each sub-writer annotates them (places, dates) itself, so
both cores share the annotation as well as the indexing. This leans on MpWriter's job-file
protocol (`_new_task`, `_enqueue`, `_process_file`, `_commit_toc`), which is why whoosh3 is
pinned to one exact version. Sub-writers die with the build and never hold its lock; a sub-writer
that fails fails the build (MpWriter alone would commit without its segment or wait forever).
"""
from __future__ import annotations

import errno
import os
import pickle
import queue
import sys

from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.util import random_name

from index.documents import article_documents
from index.lock import bind_child_to_build
from index.model import Article
from index.places import Gazetteer

_ARTICLE = 1
# A sub-writer that hits an OSError exits with its errno (1..133), so the parent can raise the
# same error; anything else exits 1 after multiprocessing prints the traceback (a bug).
_QUEUE_POLL_SECONDS = 1.0


class SubWriterFailed(Exception):
    """A sub-writer process died before finishing its segment; the build must not commit."""


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

    def _enqueue(self):
        """MpWriter's `_enqueue`, except that a full job queue is re-checked every second for
        dead sub-writers instead of blocking forever on consumers that are gone."""
        filename = f"{random_name()}.doclist"
        with self.temp_storage().create_file(filename).raw_file() as f:
            for item in self.docbuffer:
                pickle.dump(item, f, 2)
        if len(self.tasks) < self.procs:
            self._new_task()
        while True:
            try:
                self.jobqueue.put((filename, len(self.docbuffer)), timeout=_QUEUE_POLL_SECONDS)
                break
            except queue.Full:
                self._raise_if_a_sub_writer_died()
        self.docbuffer = []

    def _commit_toc(self, segments):
        # Every sub-writer has been joined by now: one that failed left no segment in `segments`.
        self._raise_if_a_sub_writer_died()
        super()._commit_toc(segments)

    def cancel(self):
        """Stop the sub-writers too: MpWriter's cancel only flags its own copies of them, and
        a sub-writer blocked on the job queue would keep the interpreter from exiting."""
        for task in self.tasks:
            if task.is_alive():
                task.terminate()
            task.join()
        super().cancel()

    def _raise_if_a_sub_writer_died(self) -> None:
        for task in self.tasks:
            code = task.exitcode
            if code is None or code == 0:
                continue
            if 1 < code < 256 and code in errno.errorcode:
                raise OSError(code, os.strerror(code), str(self.storage.folder))
            raise SubWriterFailed(f"an index sub-writer process failed (exit code {code})")


class _AnnotatingSubWriter(SubWriterTask):
    """A sub-writer process that turns Articles from its job files into paragraph documents."""

    def __init__(self, storage, indexname, jobqueue, resultqueue, kwargs, multisegment,
                 gazetteer: Gazetteer):
        super().__init__(storage, indexname, jobqueue, resultqueue, kwargs, multisegment)
        self.gazetteer = gazetteer
        self.parent_pid = os.getpid()

    def run(self):
        bind_child_to_build(self.parent_pid)
        try:
            super().run()
        except OSError as err:
            # One line, not a traceback: the parent turns the errno into the operator's message.
            sys.exit(err.errno if err.errno and 1 < err.errno < 256 else 1)

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
