"""The one module that uses Whoosh's private API; whoosh3 is pinned to one exact version for it.

Five things the public API does too slowly or not at all: reading a term's posting blocks whole
(the matcher API costs a Python call per posting), re-reading one block to gather positions,
MpWriter's job-file protocol, so that sub-writers can annotate articles instead of receiving
finished documents, a writer's posting pool that groups postings by term instead of sorting
every one of them, and opening an index's files as shared memory maps (whoosh3 copies every
file of a compound segment into each searcher's own memory). `tests/unit/test_whoosh_private.py`
checks each against the public API on a real index; `tests/unit/test_imports.py` fails when a
private name of a third party is used anywhere else.
"""
from __future__ import annotations

import errno
import heapq
import marshal
import mmap
import os
import pickle
import queue
import sys
from collections.abc import Callable, Iterable

import numpy as np
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import StructFile
from whoosh.matching.wrappers import FilterMatcher
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.util import random_name
from whoosh.writing import PostingPool, SegmentWriter

_EMPTY_IDS = np.zeros(0, dtype=np.int32)
_EMPTY_WEIGHTS = np.zeros(0, dtype=np.float32)
# A job item: (_ITEM, the item). MpWriter's own items are documents with other codes.
_ITEM = 1
# The extension of a compound segment file.
_COMPOUND = ".seg"
# The name ending of a segment's stored-fields file (Whoosh's `_stored` column).
_STORED = "_stored.col"
# How often a full job queue is re-checked for dead sub-writers.
_QUEUE_POLL_SECONDS = 1.0


def block_matcher(matcher) -> W3LeafMatcher | None:
    """The block-reading matcher behind `matcher` (itself, or the one a deletion filter wraps),
    or None when there is none and the public API must be walked."""
    if isinstance(matcher, FilterMatcher) and getattr(matcher, "_exclude", False):
        if not isinstance(matcher.child, W3LeafMatcher):
            return None
        # The filter has moved its child past any deleted documents at the start.
        matcher = matcher.child
        matcher.reset()
    return matcher if isinstance(matcher, W3LeafMatcher) else None


def read_blocks(matcher: W3LeafMatcher, decode=None):
    """Every posting of one segment's term (deleted documents included), block by block, and
    each block's file offset and last (segment-local) document number; with `decode` (the
    field format's decode_positions), each posting's position count and the positions end to
    end as well (else None)."""
    id_parts, tf_parts, starts, lasts = [], [], [], []
    counts: list[int] = []
    values: list[int] = []
    start = matcher._baseoffset
    while matcher.is_active():
        matcher._read_ids()
        matcher._read_weights()
        id_parts.append(np.asarray(matcher._ids, dtype=np.int32))
        tf_parts.append(np.asarray(matcher._weights, dtype=np.float32))
        if decode is not None:
            matcher._read_values()
            for value in matcher._values:
                found = decode(value)
                counts.append(len(found))
                values += found
        starts.append(start)
        lasts.append(matcher._maxid)
        start = matcher._nextoffset
        matcher._next_block()
    positions = None
    if decode is not None:
        positions = np.asarray(counts, dtype=np.int64), np.asarray(values, dtype=np.int32)
    if not id_parts:
        return _EMPTY_IDS, _EMPTY_WEIGHTS, np.zeros(0, dtype=np.int64), _EMPTY_IDS, positions
    return (np.concatenate(id_parts), np.concatenate(tf_parts), np.asarray(starts, dtype=np.int64),
            np.asarray(lasts, dtype=np.int32), positions)


def deleted_documents(segment) -> set[int]:
    """The segment-local numbers of the segment's deleted documents (empty when none)."""
    return getattr(segment, "deleted_docs_set", None) or set()


def stored_fields(reader, docnum: int) -> dict:
    """A document's stored fields as its segment holds them (a fresh dict), without Whoosh's
    check of every name against the schema: a generation's schema never loses a field, and the
    check was a sixth of an export's time (`SegmentReader.stored_fields`)."""
    if hasattr(reader, "readers"):  # a MultiReader: the segment that holds the document
        segment, docnum = reader._segment_and_docnum(docnum)
        reader = reader.readers[segment]
    return reader._perdoc.stored_fields(docnum)


def block_at(leaf: W3LeafMatcher, offset: int) -> tuple[np.ndarray, list]:
    """The segment-local document numbers of the block at file `offset` and their raw values
    (to decode with the field format's decode_positions)."""
    leaf._goto(offset)
    leaf._read_ids()
    leaf._read_values()
    return np.asarray(leaf._ids, dtype=np.int64), leaf._values


class MappedStorage(FileStorage):
    """A FileStorage whose files, opened for reading, are memory maps of the files on disk.

    whoosh3 reads a compound segment (`.seg`) through a map but wraps each file inside it in a
    BytesIO, a private copy per searcher (about 120 MB each on the Reuters index). Builds
    therefore write separate segment files (`compound=False`), and this storage hands each one
    out as a StructFile over a map of the file: a reader's `read` copies just the bytes asked
    for, and the pages are the page cache's, shared by every worker process (they count in each
    one's resident set, but only once in their proportional sets, and the kernel may drop them).
    The TOC (which Whoosh asks for with `mapped=False`), empty files and the compound segments
    of older builds (which whoosh3 maps itself) are opened as FileStorage opens them.

    So is the stored-fields file (`_STORED`, the text of every paragraph, a third of the index):
    it is read a record at a time, at random (the hits of a page), and through a map each
    read also mapped the 64 KB around it (the kernel's fault-around), so that a worker serving
    the 10x archive ended with 504 of the file's 530 MB in its own map (its PSS) for a few KB
    of text a request. Read calls take the same pages from the same page cache, shared by every
    process, without mapping them into any. Each searcher opens its own file, as with maps. Whoosh
    never rewrites a file once written, so a build may map the files it reads back as well
    (the lengths a segment's postings are written with, the segments a merge reads).
    """

    def __init__(self, path, readonly: bool = True):
        super().__init__(str(path), readonly=readonly)

    def open_file(self, name, mapped=True, **kwargs):
        path = self._fpath(name)
        if not mapped or name.endswith((_COMPOUND, _STORED)) or os.path.getsize(path) == 0:
            return super().open_file(name, **kwargs)
        with open(path, "rb") as f:
            # ACCESS_READ maps share pages; the map keeps its own descriptor, so f may close.
            return StructFile(mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ), name=name, **kwargs)


def open_mapped_index(path, readonly: bool = True):
    """The index in folder `path`, its files read through MappedStorage."""
    return MappedStorage(path, readonly).open_index()


def create_mapped_index(path, schema):
    """A new empty index in folder `path` that reads its files back through MappedStorage."""
    return MappedStorage(path, readonly=False).create_index(schema)


# What TermPool counts for each posting it holds (its tuple, document number, weight and list
# slot; the value's bytes are added) and for each new term (its dict entry and list; the
# term's bytes are added), near what `sys.getsizeof` gives for them.
_POSTING_BYTES = 150
_TERM_BYTES = 200


class TermPool:
    """A segment writer's posting pool that keeps each term's postings together as they arrive.

    Whoosh's PostingPool sorts every posting (field, term, document, weight, value) as one
    tuple and, past its memory limit, writes the sorted runs to temporary files with marshal and
    merges them back through a heap, a posting at a time: a quarter of a build's processor time
    on the Reuters files. A writer numbers documents in the order it adds them (new documents,
    then the segments a merge reads, each renumbered in order), so each term's postings arrive
    already in order of document: grouped by term, only the terms need sorting, tens of
    thousands instead of millions of postings. Past `limitmb` the pool writes what it holds to a
    run file, a term at a time (one marshalled record per term), and at the end merges the runs
    a term at a time: a term's postings from an earlier run come first, as their documents do."""

    def __init__(self, writer: SegmentWriter, limitmb: int):
        # Whoosh's pool names, opens and removes the run files, in the writer's temporary storage.
        self._files = PostingPool(writer._tempstorage, writer.newsegment, limitmb=limitmb)
        self._fields: dict[str, dict[bytes, list]] = {}
        self._size = 0
        self._limit = limitmb * 1024 * 1024
        self.fieldnames: set[str] = set()  # what MpWriter reads of a sub-writer's pool

    def add(self, item) -> None:
        terms = self._fields.get(item[0])
        if terms is None:
            terms = self._fields[item[0]] = {}
            self.fieldnames.add(item[0])
        postings = terms.get(item[1])
        if postings is None:
            postings = terms[item[1]] = []
            self._size += _TERM_BYTES + len(item[1])
        postings.append(item)
        self._size += _POSTING_BYTES + len(item[4] or b"")
        if self._size > self._limit:
            self._write_run()

    def iter_postings(self):
        """Every posting in (field, term, document) order, as Whoosh's field writer takes them."""
        if not self._files.runs:
            return (item for _, _, postings in self._terms_in_order() for item in postings)
        self._write_run()
        runs, self._files.runs = self._files.runs, []
        merged = heapq.merge(*map(self._read_run, runs), key=_field_and_term)  # stable: run order
        return (item for _, _, postings in merged for item in postings)

    def cleanup(self) -> None:
        self._files.cleanup()

    def _terms_in_order(self):
        """(field, term, postings) of everything held, in order, each let go once given."""
        fields, self._fields, self._size = self._fields, {}, 0
        for fieldname in sorted(fields):
            terms = fields.pop(fieldname)
            for term in sorted(terms):
                yield fieldname, term, terms.pop(term)

    def _write_run(self) -> None:
        path, f = self._files._new_run()
        try:
            for record in self._terms_in_order():
                marshal.dump(record, f, 4)
        finally:
            f.close()
        self._files._add_run(path)

    def _read_run(self, path: str):
        f = self._files._open_run(path)
        try:
            while True:
                try:
                    yield marshal.load(f)
                except EOFError:
                    return
        finally:
            f.close()
            self._files._remove_run(path)


def _field_and_term(record: tuple) -> tuple:
    return record[0], record[1]


def term_pool_writer(ix, limitmb: int, **kwargs) -> SegmentWriter:
    """Whoosh's SegmentWriter for `ix` (kwargs as `ix.writer` takes them) with a TermPool."""
    writer = SegmentWriter(ix, limitmb=limitmb, **kwargs)
    writer.pool = TermPool(writer, limitmb)
    return writer


class ItemJobWriter(MpWriter):
    """Whoosh's MpWriter whose job files carry items of ours, each turned into documents by
    `item_documents` inside the sub-writer processes (so both cores share that work, not only
    the indexing). Sub-writers run `on_start(parent pid)` first. A sub-writer that dies fails
    the commit (MpWriter alone would commit without its segment, or wait forever on a full
    job queue); an OSError in one comes back as the same OSError here.

    Sub-writers each produce a segment; `multisegment=True` adds them to the index without a
    merge at commit (a merge costs more than searching a few segments does).
    """

    def __init__(self, ix, procs: int, limitmb: int, item_documents: Callable[[object], Iterable[dict]],
                 on_start: Callable[[int], None]):
        # compound=False: separate segment files, which MappedStorage shares between readers.
        super().__init__(ix, procs=procs, multisegment=True, limitmb=limitmb, batchsize=64,
                         compound=False)
        self.pool = TermPool(self, limitmb)  # this writer's own: a merge of older segments
        self._item_documents = item_documents
        self._on_start = on_start

    def add_item(self, item) -> None:
        self.docbuffer.append((_ITEM, item))
        if len(self.docbuffer) >= self.batchsize:
            self._enqueue()
        self._added_sub = True

    def _new_task(self):
        task = _ItemSubWriter(self.storage, self.indexname, self.jobqueue, self.resultqueue,
                              self.subargs, self.multisegment, self._item_documents, self._on_start)
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
        a sub-writer blocked on the job queue would keep the interpreter from exiting. With
        them gone nothing reads the queues again, so the exit must not wait for the queues'
        feeder threads to hand over what is left: a stop signal that landed in `Queue.close`
        had left one waiting forever at exit (seen as a stopped reindex that never ended)."""
        for task in self.tasks:
            if task.is_alive():
                task.terminate()
            task.join()
        for unread in (self.jobqueue, self.resultqueue):
            unread.cancel_join_thread()
        super().cancel()

    def _raise_if_a_sub_writer_died(self) -> None:
        for task in self.tasks:
            code = task.exitcode
            if code is None or code == 0:
                continue
            if 1 < code < 256 and code in errno.errorcode:
                raise OSError(code, os.strerror(code), str(self.storage.folder))
            raise SubWriterFailed(f"an index sub-writer process failed (exit code {code})")


class SubWriterFailed(Exception):
    """A sub-writer process died before finishing its segment; the build must not commit."""


class _ItemSubWriter(SubWriterTask):
    """A sub-writer process that turns the items of its job files into documents."""

    def __init__(self, storage, indexname, jobqueue, resultqueue, kwargs, multisegment,
                 item_documents, on_start):
        super().__init__(storage, indexname, jobqueue, resultqueue, kwargs, multisegment)
        self.item_documents = item_documents
        self.on_start = on_start
        self.parent_pid = os.getpid()

    def run(self):
        self.on_start(self.parent_pid)
        try:
            self._write_segment()
        except OSError as err:
            # One line, not a traceback: the parent turns the errno into the operator's message.
            # A sub-writer that hits an OSError exits with its errno (1..133); anything else
            # exits 1 after multiprocessing prints the traceback (a bug).
            sys.exit(err.errno if err.errno and 1 < err.errno < 256 else 1)

    def _write_segment(self) -> None:
        """SubWriterTask.run for a writer with `multisegment` (each sub-writer finishes a segment
        of its own), with a TermPool: add the documents of each job file until the parent
        sends None, then finish the segment and hand it back."""
        writer = self.writer = SegmentWriter(self.storage.open_index(self.indexname), _lk=False,
                                             **self.kwargs)
        writer.pool = TermPool(writer, self.kwargs["limitmb"])
        while self.running:
            job = self.jobqueue.get()
            if job is None:
                break
            self._process_file(*job)
        if not self.running:
            writer.cancel()
            return
        fieldnames = writer.pool.fieldnames
        self.resultqueue.put((None, fieldnames, writer._finalize_segment()), timeout=5)

    def _process_file(self, filename, doc_count):
        tempstorage = self.writer.temp_storage()
        with tempstorage.open_file(filename).raw_file() as f:
            for _ in range(doc_count):
                code, item = pickle.load(f)
                if code != _ITEM:
                    raise ValueError(f"unexpected job item {code!r} in {filename}")
                for doc in self.item_documents(item):
                    self.writer.add_document(**doc)
        tempstorage.delete_file(filename)
