"""Reindex: read the archive, annotate it, and write a new index generation, then switch to it.

Owns the build's lifecycle (plan, lock, write, manifest, atomic switch, clean-up) and the
index's remembered sources. A build that fails or is killed never touches the serving
generation: CURRENT moves only after the new generation is complete and checksummed on disk.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import errno
import hashlib
import logging
import multiprocessing
import os
import shutil
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from index.collector import quiet_collector
from index.lock import LockHolder, LockTimeout, ReindexLock, bind_child_to_build, is_held
from index.model import MAX_PARAGRAPH_CHARS, Article, ReadLimits, Skip
from index.places import Gazetteer
from index.places.prior import READINGS_FILE, ReadingCounts, count_readings
from index.settings import Settings
from index.sources import Batch, discover_files, read_tasks
from index.sources.files import open_regular
from index.sources.names import printable, without_unstorable
from index.sources.pool import run_in_order
from index.stages import Stage, Stages
from index.store import generations
from index.store.article_vectors import write_article_vectors
from index.store.columns import current as columns_current, write_columns
from index.store.postings import store_fields, write_field_store, write_posting_store, write_store_meta
from index.store.schema import PLACE_IDS, SCHEMA_VERSION, build_schema, term_text
from index.store.whoosh_private import create_mapped_index, open_mapped_index
from index.writers import article_writer

log = logging.getLogger(__name__)

# Memory for the writer's in-memory posting pool, per process: large enough that a full
# Reuters build never spills to many temporary runs.
WRITER_LIMIT_MB = 256
# How many skipped files or records the summary lists for each reason.
SUMMARY_ROWS = 20
# Below this many paragraphs to write, one process is faster than starting sub-writers.
MULTIPROCESS_MIN_PARAGRAPHS = 5_000
# A reindex that would delete more than this share of the index's articles (files gone from a
# source, say an unmounted disk) needs `prune=True`: deleting most of an archive is never silent.
PRUNE_SHARE = 0.20
# Deleted documents stay in Whoosh's segments until a merge; past this share of the documents
# on disk, the build merges the segments so that incremental runs do not grow the index forever.
MERGE_DELETED_SHARE = 0.20
# Free space an incremental build wants beyond the copy of the serving generation, as a share
# of that generation's size (new segments, merges, column files).
COPY_MARGIN = 0.5
_NO_SPACE = {errno.ENOSPC, errno.EDQUOT}
_NOT_WRITABLE = {errno.EACCES, errno.EPERM, errno.EROFS}


class ReindexError(Exception):
    """A reindex that cannot go ahead, for a reason the operator can fix. Its text is the whole
    message (what, where, what to do); the serving generation is unchanged."""


class StrictFailure(Exception):
    """`--strict` and something was skipped: the build was abandoned, nothing switched."""

    def __init__(self, skipped: list[Skip]):
        self.skipped = skipped
        super().__init__(f"{len(skipped)} file(s) or record(s) could not be indexed (--strict)")


@dataclass(frozen=True)
class Progress:
    """How far a build has read: bytes of the files to read (what a time-left estimate rests
    on, since one web archive can hold most of the work), files finished, articles and
    paragraphs so far, and the file the latest batch came from."""

    bytes_done: int
    bytes_total: int
    files_done: int
    files_total: int
    articles: int
    paragraphs: int
    path: str


@dataclass
class ReindexReport:
    """What a reindex did, for the CLI summary (and for tests)."""

    generation: int
    up_to_date: bool
    full: bool
    articles: int
    paragraphs: int
    paragraphs_written: int = 0
    files_read: int = 0
    files_unchanged: int = 0
    files_deleted: int = 0
    skipped: list[Skip] = field(default_factory=list)
    undated: list[str] = field(default_factory=list)  # "path: article id: what was wrong"
    split: list[str] = field(default_factory=list)  # "path: article id: N paragraph(s) split"
    seconds: float = 0.0
    index_bytes: int = 0
    sources: list[str] = field(default_factory=list)
    articles_deleted: int = 0
    rebuilt_because: str | None = None  # the serving generation failed its check
    merged: bool = False
    stage_seconds: dict[str, float] = field(default_factory=dict)  # each stage after reading

    @property
    def paragraphs_per_second(self) -> float:
        return self.paragraphs_written / self.seconds if self.seconds > 0 else 0.0

    def _speed(self) -> str:
        """The rate in figures that say something: nothing written has none, and a slow rate
        keeps two significant digits (one paragraph in 1.9 s is 0.53 a second, not 1 or 0)."""
        if not self.paragraphs_written:
            return "Speed: nothing written"
        rate = self.paragraphs_per_second
        return f"Speed: {rate:,.0f} paragraphs/s" if rate >= 10 else f"Speed: {rate:.2g} paragraphs/s"

    def summary_lines(self) -> list[str]:
        """The operator's summary, one fact a line."""
        if self.up_to_date:
            head = f"Index is up to date (generation {self.generation}); nothing was re-read."
        else:
            kind = "Full build" if self.full else "Incremental update"
            head = (f"{kind}: generation {self.generation}, {self.files_read} file(s) read, "
                    f"{self.files_unchanged} unchanged, {self.files_deleted} deleted.")
        lines = [f"The serving generation failed its check ({self.rebuilt_because}); "
                 "rebuilt it in full."] if self.rebuilt_because else []
        lines += [
            head,
            f"Articles: {self.articles:,}   Paragraphs: {self.paragraphs:,} "
            f"({self.paragraphs_written:,} written now)",
            f"Time: {self.seconds:.1f} s   {self._speed()}   "
            f"Index size: {self.index_bytes / 1e6:.1f} MB"
            + ("   (segments merged: deleted documents passed the threshold)" if self.merged else ""),
        ]
        if self.articles_deleted:
            lines.append(f"Articles deleted: {self.articles_deleted:,}")
        if self.sources:
            lines.append(f"Sources: {', '.join(self.sources)}")
        for reason, skips in self.skipped_by_reason().items():
            lines.append(f"Skipped ({reason}): {len(skips)}")
            lines += _first(SUMMARY_ROWS, [f"{s.path}: {s.detail}" if s.detail else s.path for s in skips])
        if self.undated:
            lines.append(f"Indexed undated (unreadable date): {len(self.undated)}")
            lines += _first(SUMMARY_ROWS, self.undated)
        if self.split:
            lines.append(f"Articles with paragraphs over {MAX_PARAGRAPH_CHARS:,} characters, "
                         f"split at sentence ends: {len(self.split)}")
            lines += _first(SUMMARY_ROWS, self.split)
        return lines

    def skipped_by_reason(self) -> dict[str, list[Skip]]:
        grouped: dict[str, list[Skip]] = defaultdict(list)
        for skip in self.skipped:
            grouped[skip.reason].append(skip)
        return dict(sorted(grouped.items()))


def _first(n: int, rows: list[str]) -> list[str]:
    """The first `n` rows, indented, and how many more there were."""
    shown = [f"  {row}" for row in rows[:n]]
    return shown + ([f"  … and {len(rows) - n} more"] if len(rows) > n else [])


@dataclass(frozen=True)
class _Plan:
    """Which files to read, which to drop, and the generation the new one starts from."""

    serving: Path | None
    base: Path | None
    base_files: dict
    hashes: dict[str, str | None]
    to_read: list[Path]
    unchanged: list[str]
    deleted: list[str]
    sources: tuple[str, ...] = ()
    sources_changed: bool = False
    damaged: str | None = None  # why the serving generation failed verification
    bad_names: tuple[Skip, ...] = ()  # files found whose names the index cannot store
    stale_columns: bool = False  # the base's column files are of an older format

    @property
    def full(self) -> bool:
        return self.base is None

    @property
    def nothing_to_do(self) -> bool:
        return (self.base is not None and not self.to_read and not self.deleted
                and not self.sources_changed and not self.stale_columns)

    @property
    def articles_deleted(self) -> int:
        return sum(self.base_files[p].get("articles", 0) for p in self.deleted)

    @property
    def articles_now(self) -> int:
        return sum(f.get("articles", 0) for f in self.base_files.values())

    def vanishing(self, removed_sources: Sequence[str] = ()) -> tuple[list[str], int]:
        """Indexed files whose articles this plan drops without being asked to: gone from
        their source (not one removed on purpose) or unreadable now; and their article count."""
        files = [p for p in self.deleted if not _under_any(p, removed_sources)]
        files += [str(p) for p in self.to_read
                  if self.hashes[str(p)] is None and str(p) in self.base_files]
        return files, sum(self.base_files[p].get("articles", 0) for p in files)


def remembered_sources(index_dir: Path) -> tuple[str, ...]:
    """The sources the serving generation was built from (empty before the first build or for a
    generation built before sources were remembered)."""
    gen_dir = generations.serving_generation(index_dir)
    if gen_dir is None:
        return ()
    try:
        return tuple(generations.read_manifest(gen_dir).get("sources", ()))
    except (OSError, ValueError):
        return ()


def _sources_to_index(index_dir: Path, settings: Settings, added: Sequence[Path] | None,
                      removed: Sequence[Path]) -> tuple[str, ...]:
    """The remembered sources plus `added`, minus `removed`. A first build (nothing remembered)
    reads `settings.sources` when nothing was added."""
    remembered = remembered_sources(index_dir)
    named = [os.path.abspath(p) for p in (added or ())]
    if not remembered and not named:
        named = [os.path.abspath(p) for p in settings.sources]
    wanted = list(dict.fromkeys([*remembered, *named]))
    for gone in map(os.path.abspath, removed):
        if gone not in wanted:
            known = ", ".join(wanted) or "none"
            raise ReindexError(f"{gone} is not one of the index's sources ({known}); "
                               "nothing was changed.")
        wanted.remove(gone)
    if not wanted:
        raise ReindexError("that would leave the index with no source; the serving index is "
                           "unchanged. Add one with --source.")
    return tuple(wanted)


def _discover(sources: tuple[str, ...], remembered: tuple[str, ...]) -> tuple[list[Path], list[Skip]]:
    """The sources' files, and a Skip for each whose name the index cannot store (not UTF-8)."""
    try:
        return without_unstorable(discover_files(Path(s) for s in sources))
    except FileNotFoundError as err:
        if err.filename in remembered:
            raise ReindexError(
                f"source {err.filename} (remembered by the index) is missing; the serving index "
                f"is unchanged. Restore it (is its disk mounted?), or drop it and its articles "
                f"with --remove-source {err.filename}") from None
        raise


def reindex(settings: Settings, *, full: bool = False, if_needed: bool = False,
            strict: bool = False, sources: Sequence[Path] | None = None,
            remove_sources: Sequence[Path] = (), prune: bool = False,
            progress: Callable[[Progress], None] | None = None,
            on_wait: Callable[[LockHolder], None] | None = None,
            on_stage: Callable[[Stage], None] | None = None) -> ReindexReport:
    """Bring the index in `settings.index_dir` up to date with its sources.

    The sources are the ones the index remembers, plus `sources`, minus `remove_sources` (a
    first build reads `settings.sources`). Incremental unless `full`, the schema stamp changed
    or the serving generation fails its checksums: files whose content hash is unchanged are not
    re-read. Deleting more than PRUNE_SHARE of the articles needs `prune`. `if_needed` returns at
    once, without waiting for the lock, when the serving generation is already current. Folders
    left by killed builds are removed first, whatever the plan. `progress` hears how far the
    reading is; `on_stage` hears each stage before and after it (index/stages.py).

    Raises ReindexError (and LockTimeout, StrictFailure) with a message for the operator.
    """
    started = time.monotonic()
    index_dir = Path(settings.index_dir)
    wanted = _sources_to_index(index_dir, settings, sources, remove_sources)
    files, bad_names = _discover(wanted, remembered_sources(index_dir))
    if if_needed and _plan(index_dir, files, full, wanted).nothing_to_do:
        _remove_leftovers_unless_building(index_dir)
        return _unchanged_report(index_dir, started)
    with _writable(index_dir), ReindexLock(index_dir, settings.lock_timeout, on_wait):
        # Killed builds' folders go first, even when there is nothing to do: they can be
        # hundreds of MB, and under the lock none of them is a running build's.
        generations.remove_leftover_generations(index_dir)
        plan = dataclasses.replace(_plan(index_dir, files, full, wanted), bad_names=tuple(bad_names))
        if plan.nothing_to_do:
            return _unchanged_report(index_dir, started)
        _refuse_a_large_deletion(plan, prune, [os.path.abspath(p) for p in remove_sources])
        return _build(index_dir, plan, settings, strict, progress, on_stage, started)


def _remove_leftovers_unless_building(index_dir: Path) -> None:
    """`--if-needed` never waits for the lock; when nobody holds it, killed builds' folders go
    all the same (when a build holds it, they are that build's business). A read-only index
    folder is no error here: nothing needs writing."""
    try:
        with ReindexLock(index_dir, timeout=0):
            generations.remove_leftover_generations(index_dir)
    except LockTimeout:
        pass
    except OSError as err:
        if err.errno not in _NOT_WRITABLE:
            raise


@contextmanager
def _writable(index_dir: Path) -> Iterator[None]:
    """Turns "permission denied" or "read-only file system" under the index folder (sources
    are read elsewhere and report their own skips) into the operator's one-line error."""
    try:
        yield
    except OSError as err:
        if err.errno not in _NOT_WRITABLE:
            raise
        raise ReindexError(
            f"cannot write to the index folder {index_dir} ({err.strerror}: {err.filename}); the "
            "serving index is unchanged. Give this user write access or choose another "
            "--index-dir.") from None


def _refuse_a_large_deletion(plan: _Plan, prune: bool, removed_sources: list[str]) -> None:
    """Articles from files that disappeared (not from sources removed on purpose) may go only
    when they are a small share of the index, or with `prune`."""
    if prune or plan.full or not plan.articles_now:
        return
    unasked, losing = plan.vanishing(removed_sources)
    if losing > PRUNE_SHARE * plan.articles_now:
        raise ReindexError(
            f"this reindex would delete {losing:,} of {plan.articles_now:,} articles "
            f"({losing / plan.articles_now:.0%}) because {len(unasked)} file(s) are gone or "
            f"unreadable, e.g. {unasked[0]}; the serving index is unchanged. If that is "
            "intended, run again with --prune.")


def _under_any(path: str, folders: list[str]) -> bool:
    return any(path == f or path.startswith(f.rstrip(os.sep) + os.sep) for f in folders)


def _plan(index_dir: Path, files: list[Path], full: bool, sources: tuple[str, ...] = ()) -> _Plan:
    hashes = {str(p): _content_hash(p) for p in files}
    base = generations.serving_generation(index_dir)
    damaged = generations.verify_generation(base) if base else None
    manifest = generations.read_manifest(base) if base and not damaged else None
    if full or manifest is None or manifest.get("schema_version") != SCHEMA_VERSION:
        if damaged:
            log.warning("serving generation %s failed verification: %s", base, damaged)
        return _Plan(base, None, {}, hashes, list(files), [], [], sources, True, damaged)
    known = manifest["files"]
    changed = {p for p in files if known.get(str(p), {}).get("sha256") != hashes[str(p)]}
    deleted = sorted(set(known) - set(hashes))
    if changed or deleted:
        # A file that lost a duplicate id to another file is read again: the copy it lost to
        # may be the one changing or going away.
        changed |= {p for p in files if _had_duplicates(known.get(str(p), {}))}
    to_read = [p for p in files if p in changed]
    unchanged = [str(p) for p in files if str(p) in known and p not in changed]
    sources_changed = tuple(manifest.get("sources", ())) != sources
    return _Plan(base, base, known, hashes, to_read, unchanged, deleted, sources, sources_changed,
                 stale_columns=not columns_current(base))


def _had_duplicates(file_entry: dict) -> bool:
    return any(skip["reason"] == "duplicate id" for skip in file_entry.get("skipped", []))


def _content_hash(path: Path) -> str | None:
    """The file's SHA-256, or None when it cannot be read (a symlink loop, no permission, a
    FIFO or device, which `open_regular` refuses without blocking): the file is then planned for
    reading, where `read_source` reports it as a skip."""
    digest = hashlib.sha256()
    try:
        with open_regular(str(path)) as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    except OSError as err:
        log.warning("cannot read %s: %s", printable(str(path)), err.strerror or err)
        return None
    return digest.hexdigest()


def _unchanged_report(index_dir: Path, started: float) -> ReindexReport:
    gen_dir = generations.serving_generation(index_dir)
    manifest = generations.read_manifest(gen_dir)
    return ReindexReport(
        generation=manifest["generation"], up_to_date=True, full=False,
        articles=manifest["articles"], paragraphs=manifest["paragraphs"],
        files_unchanged=len(manifest["files"]), seconds=time.monotonic() - started,
        index_bytes=generations.folder_size(gen_dir))


@dataclass(frozen=True)
class IndexStatus:
    """The serving generation, its check, its sources, and what a reindex would do now."""

    index_dir: Path
    serving: Path | None
    manifest: dict
    problem: str | None
    sources: tuple[str, ...]
    plan: _Plan | None
    plan_error: str | None
    building: str | None = None  # who holds the reindex lock now, described
    unfinished: tuple[Path, ...] = ()  # gen-<n> folders being written or left by a killed build

    def lines(self) -> list[str]:
        lines = [f"Index folder: {self.index_dir}"]
        if self.serving is None:
            lines.append("Serving: nothing yet (no complete build).")
        else:
            m = self.manifest
            lines.append(f"Serving: {self.serving.name}, built {m.get('built_at', '?')}, "
                         f"{m.get('articles', 0):,} articles, {m.get('paragraphs', 0):,} paragraphs, "
                         f"{_mb(generations.folder_size(self.serving))}")
            lines.append(f"Check: failed ({self.problem})" if self.problem
                         else f"Check: all {len(m.get(generations.CHECKSUMS, {}))} files match "
                              "their checksums")
        lines += self._unfinished_lines()
        remembered = set(self.manifest.get("sources", ()))
        lines += [f"Source: {s}" + ("" if s in remembered else " (first build)")
                  for s in self.sources]
        lines.append(f"A reindex would {self._would()}")
        return lines

    def _unfinished_lines(self) -> list[str]:
        """A build running now, or the folders a stopped one left (hundreds of MB, maybe)."""
        folders = ", ".join(f"{f.name} ({_mb(generations.folder_size(f))})" for f in self.unfinished)
        if self.building:
            return [f"Building now: {self.building}" + (f", writing {folders}" if folders else "")]
        if folders:
            return [f"Left behind by a build that did not finish: {folders}; the next reindex "
                    "removes it."]
        return []

    def _would(self) -> str:
        if self.plan_error:
            return f"fail: {self.plan_error}"
        plan = self.plan
        if plan.nothing_to_do:
            return "do nothing: the index is up to date."
        if plan.full:
            why = " (the serving generation failed its check)" if plan.damaged else ""
            return f"build in full{why}: read {len(plan.to_read)} file(s)."
        what = (f"read {len(plan.to_read)} new or changed file(s), keep {len(plan.unchanged)} "
                f"unchanged, delete {len(plan.deleted)} file(s) with {plan.articles_deleted:,} "
                "article(s)")
        if plan.vanishing()[1] > PRUNE_SHARE * plan.articles_now:
            what += f" (more than {PRUNE_SHARE:.0%} of {plan.articles_now:,}: needs --prune)"
        return what + "."


def index_status(settings: Settings) -> IndexStatus:
    """What `manage.py status` shows; reads and hashes the sources but writes nothing."""
    index_dir = Path(settings.index_dir)
    serving = generations.serving_generation(index_dir)
    problem = generations.verify_generation(serving) if serving else None
    try:
        manifest = generations.read_manifest(serving) if serving else {}
    except (OSError, ValueError):
        manifest = {}
    sources, plan, plan_error = (), None, None
    try:
        sources = _sources_to_index(index_dir, settings, None, ())
        plan = _plan(index_dir, _discover(sources, remembered_sources(index_dir))[0], False, sources)
    except (ReindexError, FileNotFoundError) as err:
        plan_error = str(err)
    building = None
    if is_held(index_dir):
        holder = ReindexLock(index_dir, timeout=0).holder()
        building = holder.describe() if holder else "a process that has not named itself yet"
    return IndexStatus(index_dir, serving, manifest, problem, sources, plan, plan_error,
                       building, tuple(generations.unfinished_generations(index_dir)))


def _build(index_dir: Path, plan: _Plan, settings: Settings, strict: bool,
           progress: Callable[[Progress], None] | None, on_stage: Callable[[Stage], None] | None,
           started: float) -> ReindexReport:
    with Stages(on_stage) as stages:
        stages.begin("loading the gazetteer")
        gazetteer = Gazetteer.load(settings.cache_dir)
        stages.end()  # reading the files reports its own Progress
        # A first pass: how the archive reads its ambiguous place names (index/places/prior).
        stages.begin("counting how the archive reads its place names")
        readings = _count_readings(plan, settings, gazetteer)
        gazetteer = gazetteer.with_prior(readings.prior())
        stages.end()
        return _build_generation(index_dir, plan, settings, strict, progress, started, gazetteer, stages,
                                 readings)


def _build_generation(index_dir: Path, plan: _Plan, settings: Settings, strict: bool,
                      progress: Callable[[Progress], None] | None, started: float,
                      gazetteer: Gazetteer, stages: Stages, readings: ReadingCounts) -> ReindexReport:
    number = generations.next_generation_number(index_dir)
    gen_dir = generations.generation_dir(index_dir, number)
    if not plan.full:
        _check_room_to_copy(index_dir, plan.base)
    try:
        ix = _start_generation(plan, gen_dir)
        written = _write(ix, plan, settings, gazetteer, progress, stages)
        merged = _merge_if_many_deleted(ix, stages)
        readings.write(gen_dir / READINGS_FILE)
        if strict and written.skipped:
            raise StrictFailure(written.skipped)
        # The derived files read the committed index through maps: no read call per block.
        manifest = _finish_generation(open_mapped_index(gen_dir), gen_dir, number, plan, written,
                                      gazetteer, stages, settings.workers)
        stages.begin("switching to the new generation")
        generations.switch_to(index_dir, gen_dir)
        stages.end()
    except OSError as err:
        reached = generations.folder_size(gen_dir) if gen_dir.is_dir() else 0
        _discard_unswitched(index_dir, gen_dir)
        if err.errno in _NO_SPACE:
            raise _disk_full(index_dir, gen_dir, reached) from None
        raise
    except BaseException:
        _discard_unswitched(index_dir, gen_dir)
        raise
    generations.remove_stale_generations(index_dir, {gen_dir, *_still_in_use(index_dir, plan)})
    return ReindexReport(
        generation=number, up_to_date=False, full=plan.full,
        articles=manifest["articles"], paragraphs=manifest["paragraphs"],
        paragraphs_written=written.paragraphs, files_read=len(plan.to_read),
        files_unchanged=len(plan.unchanged), files_deleted=len(plan.deleted),
        skipped=written.skipped, undated=written.undated, split=written.split,
        seconds=time.monotonic() - started,
        index_bytes=generations.folder_size(gen_dir), sources=list(plan.sources),
        articles_deleted=0 if plan.full else plan.articles_deleted,
        rebuilt_because=plan.damaged, merged=merged, stage_seconds=dict(stages.seconds))


def _finish_generation(ix, gen_dir: Path, number: int, plan: _Plan, written: "_Written",
                       gazetteer: Gazetteer, stages: Stages, workers: int) -> dict:
    """The columns, posting store, article vectors and places table, then the manifest with
    the checksums of every file written before it."""
    files = _manifest_files(plan, written)
    stages.begin("column files, copies and posting store")
    _write_columns_and_posting_store(ix, gen_dir, workers)
    stages.begin("article vectors")
    write_article_vectors(gen_dir)
    stages.begin("places table")
    generations.write_json_atomically(gen_dir / generations.PLACES,
                                      _places_table(ix, plan, gazetteer))
    stages.begin("checksums")
    manifest = {
        "generation": number,
        "schema_version": SCHEMA_VERSION,
        "built_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "previous": plan.serving.name if plan.serving else None,
        "sources": list(plan.sources),
        "articles": sum(f["articles"] for f in files.values()),
        "paragraphs": sum(f["paragraphs"] for f in files.values()),
        "files": files,
        generations.CHECKSUMS: generations.file_checksums(gen_dir),
    }
    generations.write_json_atomically(gen_dir / generations.MANIFEST, manifest)
    return manifest


def _count_readings(plan: _Plan, settings: Settings, gazetteer: Gazetteer) -> ReadingCounts:
    """The first pass (index/places/prior.py): how the archive reads its ambiguous place names,
    for the files this build reads, plus the kept counts of the others. With more than one
    worker and file, forked children each count a share of the files (the fork shares the
    gazetteer, nothing is pickled but the counts) and this process adds them up; a share whose
    child fails is counted here instead, so a failure costs time, never counts."""
    counts = _kept_readings(plan)
    paths = list(plan.to_read)
    if settings.workers < 2 or len(paths) < 2:
        return count_readings(gazetteer, _read_all(paths, settings.workers, settings.read_limits()), counts)
    fork = multiprocessing.get_context("fork")
    children = []
    try:
        for share in _shares(paths, settings.workers):
            receive, send = fork.Pipe(duplex=False)
            child = fork.Process(target=_count_share, daemon=True,
                                 args=(gazetteer, share, settings.read_limits(), os.getpid(), send))
            child.start()
            send.close()
            children.append((share, child, receive))
        for share, child, receive in children:
            try:
                counts.by_file.update(receive.recv())
            except EOFError:
                log.warning("a child counting place readings failed (exit code %s); counting "
                            "its %d file(s) here", child.exitcode, len(share))
                counts = count_readings(gazetteer, _read_all(share, 1, settings.read_limits()), counts)
        return counts
    finally:
        for _, child, receive in children:
            receive.close()
            if child.is_alive():
                child.terminate()
            child.join()


def _shares(paths: list[Path], count: int) -> list[list[Path]]:
    """`paths` in `count` shares of about equal bytes (largest file first to the lightest share)."""
    shares: list[list[Path]] = [[] for _ in range(count)]
    weights = [0] * count
    for path in sorted(paths, key=_size, reverse=True):
        lightest = weights.index(min(weights))
        shares[lightest].append(path)
        weights[lightest] += _size(path)
    return [share for share in shares if share]


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # reading reports it


def _count_share(gazetteer: Gazetteer, paths: list[Path], limits: ReadLimits, parent_pid: int,
                 send) -> None:
    """A counting child: its files' reading counts, sent to the build."""
    bind_child_to_build(parent_pid)
    quiet_collector()
    send.send(count_readings(gazetteer, _read_all(paths, 1, limits), ReadingCounts()).by_file)
    send.close()


def _kept_readings(plan: _Plan) -> ReadingCounts:
    """The serving generation's reading counts of the files this build does not read again."""
    if plan.full or plan.base is None:
        return ReadingCounts()
    return ReadingCounts.read(plan.base / READINGS_FILE).keep_only(map(str, plan.unchanged))


def _write_columns_and_posting_store(ix, gen_dir: Path, workers: int) -> None:
    """The column files and the posting store. Both only read the committed index, so with
    more than one worker a forked child writes the first stored field (text: most of the
    store's time) while this process writes the columns and the other fields."""
    fields = store_fields(ix)
    if workers < 2 or not fields:
        write_columns(ix, gen_dir)
        write_posting_store(ix, gen_dir)
        return
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"),
                             initializer=bind_child_to_build, initargs=(os.getpid(),)) as child:
        first = child.submit(_field_store_of, str(gen_dir), fields[0])
        write_columns(ix, gen_dir)
        rest = {name: write_field_store(ix, name, gen_dir) for name in fields[1:]}
        terms = {fields[0]: first.result(), **rest}
    write_store_meta(gen_dir, terms)


def _field_store_of(gen_dir: str, fieldname: str) -> list[str]:
    """`write_field_store` in a child process, which opens the committed index itself."""
    return write_field_store(open_mapped_index(gen_dir), fieldname, Path(gen_dir))


def _check_room_to_copy(index_dir: Path, base: Path) -> None:
    """An incremental build starts by copying the serving generation: refuse before copying
    when the disk cannot hold the copy and what the update adds to it."""
    size = generations.folder_size(base)
    needed = int(size * (1 + COPY_MARGIN))
    free = shutil.disk_usage(index_dir).free
    if free < needed:
        raise ReindexError(
            f"not enough free space in {index_dir}: an incremental build copies the serving "
            f"generation ({_mb(size)}) and needs about {_mb(needed)}, but {_mb(free)} is free; "
            "the serving index is unchanged. Free some space and run reindex again.")


def _disk_full(index_dir: Path, gen_dir: Path, reached: int) -> ReindexError:
    free = shutil.disk_usage(index_dir).free
    return ReindexError(
        f"no space left on the device holding {index_dir}: {gen_dir.name} had reached "
        f"{_mb(reached)} when a write failed ({_mb(free)} free after removing it); the partial "
        "generation was removed and the serving index is unchanged. Free some space and run "
        "reindex again.")


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def _merge_if_many_deleted(ix, stages: Stages) -> bool:
    """Merge every segment into one when deleted documents pass MERGE_DELETED_SHARE of those
    on disk: Whoosh keeps a deleted document's postings until its segment is merged."""
    on_disk = ix.doc_count_all()
    if not on_disk or on_disk - ix.doc_count() <= MERGE_DELETED_SHARE * on_disk:
        return False
    stages.begin("merging segments")
    ix.writer(compound=False).commit(optimize=True)  # as the writers write: mapped, not copied
    return True


def _still_in_use(index_dir: Path, plan: _Plan) -> set[Path]:
    """The generation that was serving until now and the one before it: a server may still be
    answering from either while it opens the new one (two builds can follow each other faster
    than a server switches). Everything else is old or the leftover of a killed build."""
    if plan.serving is None:
        return set()
    try:
        before = generations.read_manifest(plan.serving).get("previous")
    except (OSError, ValueError, AttributeError):
        before = None
    return {plan.serving, *([Path(index_dir) / before] if before else [])}


def _discard_unswitched(index_dir: Path, gen_dir: Path) -> None:
    """Remove a failed build's folder, unless CURRENT already names it: the switch can fail
    after its rename (syncing the index folder), and then the new generation is the serving one."""
    if generations.pointed_generation(index_dir) != gen_dir:
        shutil.rmtree(gen_dir, ignore_errors=True)


def _start_generation(plan: _Plan, gen_dir: Path):
    """A fresh empty index, or a copy of the serving generation to update in place (the copy is
    not synced here: `generations.switch_to` syncs every file of the finished folder once)."""
    if plan.full:
        gen_dir.mkdir(parents=True)
        return create_mapped_index(gen_dir, build_schema())
    shutil.copytree(plan.base, gen_dir,
                    ignore=shutil.ignore_patterns(generations.MANIFEST, generations.PLACES, ".*"))
    return open_mapped_index(gen_dir, readonly=False)


@dataclass
class _Written:
    per_file: dict[str, dict] = field(default_factory=dict)
    skipped: list[Skip] = field(default_factory=list)
    undated: list[str] = field(default_factory=list)
    split: list[str] = field(default_factory=list)
    paragraphs: int = 0


def _write(ix, plan: _Plan, settings: Settings, gazetteer: Gazetteer,
           progress: Callable[[Progress], None] | None, stages: Stages) -> _Written:
    written = _Written(skipped=list(plan.bad_names))
    taken_ids = _article_ids_kept(plan)
    workers = settings.workers if _paragraphs_to_write(plan) >= MULTIPROCESS_MIN_PARAGRAPHS else 1
    with article_writer(ix, gazetteer, workers, WRITER_LIMIT_MB) as writer:
        for stale in [*plan.deleted, *(str(p) for p in plan.to_read if str(p) in plan.base_files)]:
            writer.delete_source(stale)
        done = Progress(0, sum(map(_size, plan.to_read)), 0, len(plan.to_read), 0, 0, "")
        for batch in _read_all(plan.to_read, settings.workers, settings.read_limits()):
            path = batch.path
            articles, duplicates = _drop_duplicate_ids(batch.articles, taken_ids, path)
            skips = [*batch.skips, *duplicates]
            written.skipped.extend(skips)
            for article in articles:
                writer.add_article(article)
            written.undated += [f"{path}: article {a.id}: {a.date_problem}"
                                for a in articles if a.date_problem]
            written.split += [f"{path}: article {a.id}: {a.paragraphs_split} paragraph(s) split"
                              for a in articles if a.paragraphs_split]
            paragraphs = sum(len(a.paragraphs) for a in articles)
            written.paragraphs += paragraphs
            # A web archive comes in many batches: its entry adds them up.
            entry = written.per_file.setdefault(path, {
                "sha256": plan.hashes[path], "articles": 0, "paragraphs": 0,
                "article_ids": [], "skipped": []})
            entry["articles"] += len(articles)
            entry["paragraphs"] += paragraphs
            entry["article_ids"] += [a.id for a in articles]
            entry["skipped"] += [dataclasses.asdict(s) for s in skips]
            if batch.last:
                # The hash of the bytes parsed, not the plan's earlier look: a file rewritten
                # in between is then seen as changed, and read again, by the next reindex.
                entry["sha256"] = batch.sha256
            done = dataclasses.replace(
                done, bytes_done=done.bytes_done + batch.bytes_read,
                files_done=done.files_done + batch.last, articles=done.articles + len(articles),
                paragraphs=written.paragraphs, path=path)
            if progress:
                progress(done)
        # Leaving the block commits: the writers index what is still queued and write their
        # segments (a third of a build's time, after every byte has been read).
        stages.begin("finishing the index segments")
    return written


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # reported as unreadable when it is read


def _paragraphs_to_write(plan: _Plan) -> int:
    """A guess from the files' sizes before reading them (about 250 bytes a paragraph)."""
    return sum(_size(p) for p in plan.to_read) // 250


def _read_all(paths: Iterable[Path], workers: int, limits: ReadLimits) -> Iterator[Batch]:
    """Every file's batches, in order. Page extraction (HTML, web archives) runs on `workers`
    processes; a web archive streams, a few pages per batch."""
    return run_in_order((task for path in paths for task in read_tasks(path, limits)), workers)


def _article_ids_kept(plan: _Plan) -> set[str]:
    """Ids of articles that stay in the index from files not being re-read."""
    return {aid for p in plan.unchanged for aid in plan.base_files[p].get("article_ids", [])}


def _drop_duplicate_ids(articles: list[Article], taken: set[str],
                        path: Path) -> tuple[list[Article], list[Skip]]:
    kept, skipped = [], []
    for article in articles:
        if article.id in taken:
            skipped.append(Skip(str(path), "duplicate id",
                                f"article id {article.id!r} is already indexed from another record"))
        else:
            taken.add(article.id)
            kept.append(article)
    return kept, skipped


def _manifest_files(plan: _Plan, written: _Written) -> dict[str, dict]:
    files = {p: plan.base_files[p] for p in plan.unchanged}
    files.update(written.per_file)
    return dict(sorted(files.items()))


def _places_table(ix, plan: _Plan, gazetteer: Gazetteer) -> dict[str, dict]:
    """Every place id the index holds (places and their ancestors), described: the read side's
    table for place filters, autocomplete and the country facet. An id the gazetteer no longer
    knows keeps the description the previous generation had."""
    previous = generations.read_json(plan.base / generations.PLACES) if plan.base else {}
    with ix.reader() as reader:
        present = sorted(term_text(t) for t in reader.lexicon(PLACE_IDS))
    table = {}
    for place_id in present:
        try:
            place = gazetteer.place(place_id)
        except KeyError:
            if place_id in previous:
                table[place_id] = previous[place_id]
            continue
        table[place_id] = {**place.as_json(), "ancestor_ids": list(place.ancestor_ids),
                           "aliases": gazetteer.other_names(place_id)}
    return table

