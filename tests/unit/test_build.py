"""Reindex end to end on real files and real on-disk indexes: generations, incremental
updates, bad input, strictness and the killed-build guarantee."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh.query import Term

from index.store import generations
from index.build import ReindexError, StrictFailure, reindex
from index.settings import Settings
from search.engine.run import Generation
from archive_files import write_jsonl

PROJECT = Path(__file__).resolve().parents[2]


def article(aid: str, *paragraphs: str, date: str = "2021-04-08") -> dict:
    return {"id": aid, "title": f"Title {aid}", "date": date, "author": "A. Writer",
            "url": "", "dateline": "", "paragraphs": list(paragraphs)}


def settings_for(tmp_path: Path, archive: Path) -> Settings:
    return Settings.from_env({}, index_dir=tmp_path / "idx", sources=(archive,), workers=1,
                             lock_timeout=5)


def stored_id(fields: dict) -> str:
    """A paragraph's id from the fields every paragraph stores (the id itself is derived)."""
    return f"{fields['article_id']}:{fields['para']}"


def records(settings: Settings) -> dict[str, dict]:
    """Every live paragraph's whole record, as the read side gives it, by paragraph id."""
    gen_dir = generations.serving_generation(settings.index_dir)
    gen = Generation(gen_dir, generations.read_manifest(gen_dir))
    try:
        found = gen.stored_fields([d for d in range(gen.columns.doc_count) if gen.columns.alive[d]])
    finally:
        gen.close()
    return {r["id"]: r for r in found}


def paragraph_ids(settings: Settings) -> set[str]:
    ix = whoosh_index.open_dir(str(generations.serving_generation(settings.index_dir)))
    with ix.searcher() as s:
        return {stored_id(fields) for fields in s.all_stored_fields()}


def matching_ids(settings: Settings, word: str) -> set[str]:
    ix = whoosh_index.open_dir(str(generations.serving_generation(settings.index_dir)))
    with ix.searcher() as s:
        return {stored_id(hit) for hit in s.search(Term("text", word), limit=None)}


@pytest.fixture
def archive(tmp_path):
    folder = tmp_path / "archive"
    write_jsonl(folder / "a.jsonl", article("a1", "Cocoa prices rose.", "Rain in Bahia."),
                article("a2", "Coffee exports fell."))
    write_jsonl(folder / "b.jsonl", article("b1", "Oil output steady."))
    return folder


def test_first_build_indexes_every_paragraph(tmp_path, archive):
    settings = settings_for(tmp_path, archive)
    report = reindex(settings)
    assert (report.generation, report.full, report.articles, report.paragraphs) == (1, True, 3, 4)
    assert paragraph_ids(settings) == {"a1:0", "a1:1", "a2:0", "b1:0"}


def test_manifest_carries_schema_stamp_and_counts(tmp_path, archive):
    settings = settings_for(tmp_path, archive)
    reindex(settings)
    manifest = generations.read_manifest(generations.serving_generation(settings.index_dir))
    assert manifest["schema_version"] >= 1
    assert (manifest["articles"], manifest["paragraphs"]) == (3, 4)
    assert set(manifest["files"]) == {str(archive / "a.jsonl"), str(archive / "b.jsonl")}


def test_nothing_changed_rereads_nothing_and_keeps_the_generation(tmp_path, archive):
    settings = settings_for(tmp_path, archive)
    reindex(settings)
    report = reindex(settings)
    assert report.up_to_date and report.generation == 1 and report.files_read == 0


def test_changed_file_replaces_its_paragraphs_only(tmp_path, archive):
    settings = settings_for(tmp_path, archive)
    reindex(settings)
    write_jsonl(archive / "a.jsonl", article("a1", "Sugar harvest late."))
    report = reindex(settings)
    assert (report.full, report.files_read, report.files_unchanged) == (False, 1, 1)
    assert paragraph_ids(settings) == {"a1:0", "b1:0"}
    assert matching_ids(settings, "sugar") == {"a1:0"}
    assert matching_ids(settings, "cocoa") == set()


def test_added_file_is_indexed_alongside_the_old_ones(tmp_path, archive):
    settings = settings_for(tmp_path, archive)
    reindex(settings)
    write_jsonl(archive / "c.jsonl", article("c1", "Tin market quiet."))
    report = reindex(settings)
    assert report.files_read == 1 and report.articles == 4
    assert "c1:0" in paragraph_ids(settings)


def test_deleted_file_disappears_from_the_index(tmp_path, archive):
    settings = settings_for(tmp_path, archive)
    reindex(settings)
    (archive / "b.jsonl").unlink()
    report = reindex(settings, prune=True)
    assert report.files_deleted == 1 and report.articles == 2
    assert paragraph_ids(settings) == {"a1:0", "a1:1", "a2:0"}


def test_the_two_generations_before_the_new_one_are_kept_and_older_removed(tmp_path, archive):
    settings = settings_for(tmp_path, archive)
    for n in range(4):
        write_jsonl(archive / "b.jsonl", article("b1", f"Revision {n} of the oil story."))
        reindex(settings)
    names = {p.name for p in generations.existing_generations(settings.index_dir)}
    assert names == {"gen-2", "gen-3", "gen-4"}
    assert generations.serving_generation(settings.index_dir).name == "gen-4"


def test_a_build_never_removes_a_generation_a_server_may_still_answer_from(tmp_path, archive):
    settings = settings_for(tmp_path, archive)
    reindex(settings)
    serving = generations.serving_generation(settings.index_dir)
    write_jsonl(archive / "b.jsonl", article("b1", "A second version."))
    reindex(settings)
    write_jsonl(archive / "b.jsonl", article("b1", "A third version."))
    reindex(settings)
    assert serving.is_dir() and (serving / generations.MANIFEST).is_file()


def test_deleting_the_file_that_won_a_duplicate_id_brings_back_the_other_copy(tmp_path, archive):
    write_jsonl(archive / "z.jsonl", article("a1", "Tea auctions in Colombo."))
    settings = settings_for(tmp_path, archive)
    reindex(settings)
    assert matching_ids(settings, "tea") == set()
    (archive / "a.jsonl").unlink()
    report = reindex(settings, prune=True)
    assert matching_ids(settings, "tea") == {"a1:0"} and report.skipped == []


def test_full_rebuilds_everything(tmp_path, archive):
    settings = settings_for(tmp_path, archive)
    reindex(settings)
    report = reindex(settings, full=True)
    assert report.full and report.files_read == 2 and report.generation == 2


def test_bad_files_are_skipped_with_reasons_and_the_rest_indexed(tmp_path, archive):
    (archive / "binary.txt").write_bytes(b"\x00\x01\x02 not text")
    (archive / "empty.jsonl").write_text("")
    (archive / "latin.txt").write_bytes(" date 2021-01-01 By X\n\nCaf\xe9 society.\n".encode("latin-1"))
    (archive / "mixed.jsonl").write_text('{"id": "m1", "paragraphs": ["Zinc rallied."]}\n{not json\n')
    settings = settings_for(tmp_path, archive)
    report = reindex(settings)
    reasons = {(Path(s.path).name, s.reason) for s in report.skipped}
    assert {("binary.txt", "binary"), ("empty.jsonl", "empty"), ("latin.txt", "undecodable"),
            ("mixed.jsonl", "malformed")} <= reasons
    assert "m1:0" in paragraph_ids(settings) and "a1:0" in paragraph_ids(settings)


def test_strict_build_with_a_skip_fails_and_keeps_the_serving_generation(tmp_path, archive):
    settings = settings_for(tmp_path, archive)
    reindex(settings)
    (archive / "broken.jsonl").write_text("{not json\n")
    with pytest.raises(StrictFailure):
        reindex(settings, strict=True)
    assert generations.serving_generation(settings.index_dir).name == "gen-1"
    assert [p.name for p in generations.existing_generations(settings.index_dir)] == ["gen-1"]


def test_duplicate_article_id_is_skipped_not_indexed_twice(tmp_path, archive):
    write_jsonl(archive / "z.jsonl", article("a1", "A second a1 from elsewhere."))
    settings = settings_for(tmp_path, archive)
    report = reindex(settings)
    assert [s.reason for s in report.skipped] == ["duplicate id"]
    assert matching_ids(settings, "elsewhere") == set()


def test_undated_record_is_indexed_as_undated(tmp_path):
    archive = tmp_path / "archive"
    write_jsonl(archive / "u.jsonl", {"id": "u1", "title": "", "paragraphs": ["No date here."]})
    settings = settings_for(tmp_path, archive)
    reindex(settings)
    assert records(settings)["u1:0"]["date"] == ""


def test_missing_source_path_is_an_error_naming_it(tmp_path):
    settings = settings_for(tmp_path, tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="nowhere"):
        reindex(settings)


KILLABLE_BUILD = """
import sys, time
from pathlib import Path
from index.build import reindex
from index.settings import Settings
marker = Path(sys.argv[3])
def stall(progress):
    marker.write_text("writing")
    time.sleep(120)
reindex(Settings.from_env({}, index_dir=Path(sys.argv[1]), sources=(Path(sys.argv[2]),), workers=1),
        full=True, progress=stall)
"""


def test_killed_build_leaves_the_serving_generation_searchable(tmp_path, archive):
    settings = settings_for(tmp_path, archive)
    reindex(settings)
    marker = tmp_path / "marker"
    build = subprocess.Popen([sys.executable, "-c", KILLABLE_BUILD, str(settings.index_dir),
                              str(archive), str(marker)], cwd=PROJECT)
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists(), "the build never reached its writing stage"
    os.kill(build.pid, signal.SIGKILL)
    build.wait()
    assert generations.serving_generation(settings.index_dir).name == "gen-1"
    assert matching_ids(settings, "cocoa") == {"a1:0"}
    # The dead build's lock is free and its folder goes first, so its number is free again.
    report = reindex(settings, full=True)
    assert report.generation == 2
    assert {p.name for p in generations.existing_generations(settings.index_dir)} == {"gen-1", "gen-2"}


def place_matches(settings: Settings, place_id: str) -> set[str]:
    ix = whoosh_index.open_dir(str(generations.serving_generation(settings.index_dir)))
    with ix.searcher() as s:
        return {stored_id(hit) for hit in s.search(Term("place_ids", place_id), limit=None)}


def test_paragraph_naming_only_a_city_is_found_under_its_country(tmp_path):
    archive = tmp_path / "archive"
    write_jsonl(archive / "g.jsonl", article("g1", "Residential houses in Ganja were hit.",
                                             "The weather was mild."))
    settings = settings_for(tmp_path, archive)
    reindex(settings)
    assert place_matches(settings, "AZ") == {"g1:0"}


def test_places_table_describes_every_place_and_ancestor_in_the_index(tmp_path):
    archive = tmp_path / "archive"
    write_jsonl(archive / "g.jsonl", article("g1", "Talks in Baku and Tokyo."))
    settings = settings_for(tmp_path, archive)
    reindex(settings)
    table = generations.read_json(generations.serving_generation(settings.index_dir) / generations.PLACES)
    by_name = {entry["name"]: entry for entry in table.values()}
    assert {"Baku", "Azerbaijan", "Tokyo", "Japan"} <= set(by_name)
    assert by_name["Baku"]["ancestor_ids"] == ["AZ"] and by_name["Azerbaijan"]["kind"] == "country"


def test_dateline_place_is_carried_by_every_paragraph(tmp_path):
    archive = tmp_path / "archive"
    record = article("d1", "Prices were steady.", "Volume was light.")
    record["dateline"] = "TOKYO, March 3 -"
    write_jsonl(archive / "d.jsonl", record)
    settings = settings_for(tmp_path, archive)
    reindex(settings)
    assert place_matches(settings, "JP") == {"d1:0", "d1:1"}


@pytest.mark.slow
def test_parallel_writer_builds_and_replaces_a_large_file_exactly(tmp_path):
    archive = tmp_path / "archive"
    archive.mkdir()
    sgm = archive / "reut2-000.sgm"
    sgm.write_bytes((PROJECT / "samples" / "reut2-000.sgm").read_bytes())
    settings = Settings.from_env({}, index_dir=tmp_path / "idx", sources=(archive,), workers=2)
    first = reindex(settings)
    sgm.write_bytes(sgm.read_bytes() + b"\n")
    second = reindex(settings)
    assert (first.articles, first.paragraphs) == (925, 5320)
    assert (second.full, second.files_read, second.paragraphs) == (False, 1, 5320)
    ix = whoosh_index.open_dir(str(generations.serving_generation(settings.index_dir)))
    with ix.searcher() as s:
        ids = [stored_id(fields) for fields in s.all_stored_fields()]
    assert len(ids) == len(set(ids)) == 5320


def test_an_unreadable_date_is_indexed_undated_and_reported(tmp_path):
    archive = tmp_path / "archive"
    write_jsonl(archive / "d.jsonl", article("d1", "Markets were calm.", date="last Tuesday"))
    settings = settings_for(tmp_path, archive)
    report = reindex(settings)
    assert report.undated == [f"{archive / 'd.jsonl'}: article d1: date 'last Tuesday' is not an ISO 8601 date"]
    assert "Indexed undated (unreadable date): 1" in report.summary_lines()
    assert "d1:0" in paragraph_ids(settings)


def test_a_symlink_loop_in_the_archive_is_a_reported_skip(tmp_path, archive):
    (archive / "loop.txt").symlink_to(archive / "loop.txt")
    settings = settings_for(tmp_path, archive)
    report = reindex(settings)
    assert [(Path(s.path).name, s.reason) for s in report.skipped] == [("loop.txt", "unreadable")]
    assert "Too many levels of symbolic links" in report.skipped[0].detail
    assert report.articles == 3


def test_the_manifest_records_a_checksum_of_every_file_of_the_generation(tmp_path, archive):
    settings = settings_for(tmp_path, archive)
    reindex(settings)
    gen_dir = generations.serving_generation(settings.index_dir)
    recorded = generations.read_manifest(gen_dir)[generations.CHECKSUMS]
    on_disk = {p.relative_to(gen_dir).as_posix() for p in gen_dir.rglob("*") if p.is_file()}
    assert set(recorded) == on_disk - {generations.MANIFEST}
    assert generations.verify_generation(gen_dir) is None


def damage_a_segment(gen_dir: Path) -> str:
    segment = max(gen_dir.glob("MAIN_*.*"), key=lambda p: p.stat().st_size)
    data = bytearray(segment.read_bytes())
    data[len(data) // 2: len(data) // 2 + 16] = b"\xff" * 16
    segment.write_bytes(bytes(data))
    return segment.name


def test_a_damaged_serving_generation_is_rebuilt_in_full_not_called_up_to_date(tmp_path, archive):
    settings = settings_for(tmp_path, archive)
    reindex(settings)
    name = damage_a_segment(generations.serving_generation(settings.index_dir))
    report = reindex(settings)
    assert not report.up_to_date and report.full and report.generation == 2
    assert report.rebuilt_because == f"{name}: checksum differs from the one recorded at build time"
    assert report.summary_lines()[0].startswith("The serving generation failed its check")
    assert generations.verify_generation(generations.serving_generation(settings.index_dir)) is None
    assert paragraph_ids(settings) == {"a1:0", "a1:1", "a2:0", "b1:0"}


def test_an_update_over_a_damaged_generation_leaves_no_generation_without_a_manifest(tmp_path, archive):
    settings = settings_for(tmp_path, archive)
    reindex(settings)
    damage_a_segment(generations.serving_generation(settings.index_dir))
    write_jsonl(archive / "c.jsonl", article("c1", "Tin market quiet."))
    report = reindex(settings)
    assert report.full and report.rebuilt_because and report.articles == 4
    for gen_dir in generations.existing_generations(settings.index_dir):
        assert (gen_dir / generations.MANIFEST).is_file()


def test_the_index_remembers_its_sources_and_a_new_source_adds_to_them(tmp_path, archive):
    settings = settings_for(tmp_path, archive)
    reindex(settings)
    other = write_jsonl(tmp_path / "other" / "o.jsonl", article("o1", "Rubber steady.")).parent
    report = reindex(settings, sources=[other])
    assert report.sources == [str(archive), str(other)] and report.articles == 4
    assert reindex(settings).up_to_date  # no --source: the remembered ones, nothing dropped


def test_removing_a_source_deletes_its_articles_and_says_how_many(tmp_path, archive):
    settings = settings_for(tmp_path, archive)
    other = write_jsonl(tmp_path / "other" / "o.jsonl", article("o1", "Rubber steady.")).parent
    reindex(settings, sources=[archive, other])
    report = reindex(settings, remove_sources=[archive])
    assert (report.sources, report.articles, report.articles_deleted) == ([str(other)], 1, 3)
    assert "Articles deleted: 3" in report.summary_lines()


def test_removing_a_source_the_index_does_not_have_is_refused(tmp_path, archive):
    settings = settings_for(tmp_path, archive)
    reindex(settings)
    with pytest.raises(ReindexError, match="is not one of the index's sources"):
        reindex(settings, remove_sources=[tmp_path / "elsewhere"])


def test_a_missing_remembered_source_is_an_error_that_keeps_the_index(tmp_path, archive):
    settings = settings_for(tmp_path, archive)
    reindex(settings)
    archive.rename(tmp_path / "unmounted")
    with pytest.raises(ReindexError, match=f"source {archive} .remembered by the index. is missing.*--remove-source"):
        reindex(settings)
    assert generations.serving_generation(settings.index_dir).name == "gen-1"


def test_deleting_a_large_share_needs_prune_and_says_how_many_articles_go(tmp_path, archive):
    settings = settings_for(tmp_path, archive)
    reindex(settings)
    (archive / "a.jsonl").unlink()
    with pytest.raises(ReindexError, match=r"would delete 2 of 3 articles \(67%\).*--prune"):
        reindex(settings)
    assert generations.serving_generation(settings.index_dir).name == "gen-1"
    assert reindex(settings, prune=True).articles == 1


def test_a_small_deletion_goes_ahead_without_prune(tmp_path, archive):
    for n in range(10):
        write_jsonl(archive / f"n{n}.jsonl", article(f"n{n}", f"Story {n}."))
    settings = settings_for(tmp_path, archive)
    reindex(settings)
    (archive / "n0.jsonl").unlink()
    assert reindex(settings).articles_deleted == 1


def segment_count(settings: Settings) -> tuple[int, int]:
    ix = whoosh_index.open_dir(str(generations.serving_generation(settings.index_dir)))
    return len(ix._segments()), ix.doc_count_all() - ix.doc_count()


def test_segments_are_merged_when_deleted_documents_pass_the_threshold(tmp_path, archive):
    settings = settings_for(tmp_path, archive)
    reindex(settings)
    write_jsonl(archive / "a.jsonl", article("a1", "Sugar harvest late."), article("a2", "Tea."))
    report = reindex(settings)
    assert report.merged and segment_count(settings) == (1, 0)
    assert paragraph_ids(settings) == {"a1:0", "a2:0", "b1:0"}


def test_files_that_became_unreadable_count_as_deletions_for_prune(tmp_path, archive):
    settings = settings_for(tmp_path, archive)
    reindex(settings)
    (archive / "a.jsonl").unlink()
    (archive / "a.jsonl").symlink_to(archive / "a.jsonl")  # a loop: unreadable from now on
    with pytest.raises(ReindexError, match=r"would delete 2 of 3 articles .*gone or unreadable"):
        reindex(settings)
    assert generations.serving_generation(settings.index_dir).name == "gen-1"


def test_every_paragraph_of_an_untitled_article_shows_its_lead_sentence_as_display_title(tmp_path):
    untitled = {**article("memo", "The U.S. Treasury said on Monday it would sell bonds. Dealers "
                                  "expected it.", "Bonds fell."), "title": ""}
    write_jsonl(tmp_path / "a" / "a.jsonl", untitled, article("titled", "Some text."))
    settings = settings_for(tmp_path, tmp_path / "a")
    reindex(settings)
    shown = {pid: r["display_title"] for pid, r in records(settings).items()}
    assert shown == {"memo:0": "The U.S. Treasury said on Monday it would sell bonds.",
                     "memo:1": "The U.S. Treasury said on Monday it would sell bonds.",
                     "titled:0": "Title titled"}
    assert matching_ids(settings, "monday") == {"memo:0"}  # the lead is shown, not indexed


def test_a_long_lead_sentence_is_cut_at_a_word():
    from index.documents import LEAD_TITLE_CHARS, lead_sentence
    shown = lead_sentence("word " * 60 + "end.")
    assert len(shown) <= LEAD_TITLE_CHARS + 2 and shown.endswith("word …")


def test_segments_are_written_as_separate_files_and_served_through_shared_maps(tmp_path, archive):
    """No compound `.seg` (whoosh3 copies each file inside one into every searcher): the read
    side maps each segment file, so worker processes share one copy in the page cache, except
    the stored fields, read with read calls (a map of them grew to the whole file at 10x)."""
    settings = settings_for(tmp_path, archive)
    reindex(settings)
    gen_dir = generations.serving_generation(settings.index_dir)
    assert not list(gen_dir.glob("*.seg")) and list(gen_dir.glob("*.pst"))
    gen = Generation(gen_dir, generations.read_manifest(gen_dir))
    try:
        assert [d["id"] for d in gen.stored_fields(range(4))] == ["a1:0", "a1:1", "a2:0", "b1:0"]
        maps = Path("/proc/self/maps").read_text()
        assert {p.suffix for p in gen_dir.glob("MAIN_*") if str(p) in maps} >= {".pst", ".trm"}
        stored = [str(p) for p in gen_dir.glob("MAIN_*_stored.col")]
        opened = {os.readlink(fd) for fd in Path("/proc/self/fd").iterdir() if fd.is_symlink()}
        assert stored and set(stored) <= opened and not any(path in maps for path in stored)
    finally:
        gen.close()


def test_merging_segments_keeps_them_separate_files(tmp_path, archive):
    settings = settings_for(tmp_path, archive)
    reindex(settings)
    (archive / "b.jsonl").unlink()
    (archive / "a.jsonl").write_text((archive / "a.jsonl").read_text().replace("Cocoa", "Tea"))
    assert reindex(settings, prune=True).merged
    gen_dir = generations.serving_generation(settings.index_dir)
    assert not list(gen_dir.glob("*.seg")) and matching_ids(settings, "tea") == {"a1:0"}


def test_a_child_writing_the_text_store_meanwhile_gives_the_same_files_as_one_process(tmp_path, archive):
    """With two workers the text field's posting store is written by a forked child while the
    build writes the columns and the title's store; a small archive is indexed by one writer
    either way, so every derived file must come out byte for byte the same."""
    built = {}
    for workers in (1, 2):
        settings = Settings.from_env({}, index_dir=tmp_path / f"idx-{workers}", sources=(archive,),
                                     workers=workers)
        reindex(settings)
        gen_dir = generations.serving_generation(settings.index_dir)
        built[workers] = {p.name: p.read_bytes() for p in gen_dir.iterdir()
                          if p.name.startswith(("postings", "column"))}
    assert "postings-text-positions.npy" in built[2] and "postings.json" in built[2]
    assert built[1] == built[2]


def test_place_readings_counted_by_two_children_are_those_one_process_counts(tmp_path):
    """The first pass runs in forked children, a share of the files each, when there are two
    workers; the counts it keeps in the generation are exactly the one-process counts."""
    from index.places.prior import READINGS_FILE
    archive = tmp_path / "archive"
    for n, city in enumerate(("Washington", "Paris", "Georgia", "Victoria")):
        write_jsonl(archive / f"{n}.jsonl", *(article(f"{city}-{i}", f"Officials in {city} met.",
                                                      f"{city} and London talked.") for i in range(5)))
    counted = {}
    for workers in (1, 2):
        settings = Settings.from_env({}, index_dir=tmp_path / f"idx{workers}", sources=(archive,),
                                     workers=workers, lock_timeout=5)
        reindex(settings)
        counted[workers] = (generations.serving_generation(settings.index_dir) / READINGS_FILE).read_text()
    assert "Washington" in counted[1] and counted[2] == counted[1]
