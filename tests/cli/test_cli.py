"""The click commands: exit codes, summaries and errors an operator sees."""
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from manage import cli
from archive_files import write_jsonl

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture
def archive(tmp_path):
    folder = tmp_path / "archive"
    write_jsonl(folder / "a.jsonl",
                {"id": "a1", "title": "Cocoa review", "date": "1987-02-26", "dateline": "SALVADOR",
                 "paragraphs": ["Cocoa prices rose in Bahia.", "Shipments to Japan were light."]},
                {"id": "a2", "title": "Oil", "date": "1987-03-02",
                 "paragraphs": ["Oil output in Saudi Arabia was steady."]})
    return folder


def run(*args, env=None):
    result = CliRunner().invoke(cli, [str(a) for a in args], env=env or {}, catch_exceptions=False)
    return result


def test_reindex_prints_a_summary_and_exits_0(tmp_path, archive):
    result = run("reindex", "--source", archive, "--index-dir", tmp_path / "idx", "--workers", 1)
    assert result.exit_code == 0, result.output
    assert "Full build: generation 1" in result.output
    assert "Articles: 2   Paragraphs: 3" in result.output
    assert "paragraphs/s" in result.output and "Index size:" in result.output


def test_reindex_reports_progress_lines_when_not_a_terminal(tmp_path, archive):
    result = run("reindex", "--source", archive, "--index-dir", tmp_path / "idx", "--workers", 1)
    assert "indexed 1/1 files (3 paragraphs)" in result.stderr


def test_second_reindex_says_up_to_date(tmp_path, archive):
    run("reindex", "--source", archive, "--index-dir", tmp_path / "idx", "--workers", 1)
    result = run("reindex", "--source", archive, "--index-dir", tmp_path / "idx")
    assert result.exit_code == 0 and "up to date (generation 1)" in result.output


def test_index_dir_comes_from_the_environment(tmp_path, archive):
    env = {"NEWS_SEARCH_INDEX_DIR": str(tmp_path / "envidx")}
    result = run("reindex", "--source", archive, "--workers", 1, env=env)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "envidx" / "CURRENT").is_file()


def test_skipped_file_is_reported_grouped_by_reason_and_exit_is_0(tmp_path, archive):
    (archive / "bad.jsonl").write_text("{oops\n")
    result = run("reindex", "--source", archive, "--index-dir", tmp_path / "idx", "--workers", 1)
    assert result.exit_code == 0, result.output
    assert "Skipped (malformed): 1" in result.output and "bad.jsonl" in result.output


def test_strict_with_a_skip_exits_1_and_says_nothing_switched(tmp_path, archive):
    (archive / "bad.jsonl").write_text("{oops\n")
    result = run("reindex", "--source", archive, "--index-dir", tmp_path / "idx", "--strict")
    assert result.exit_code == 1
    assert "serving index is unchanged" in result.output
    assert not (tmp_path / "idx" / "CURRENT").exists()


def test_missing_source_exits_1_naming_the_path(tmp_path):
    result = run("reindex", "--source", tmp_path / "absent", "--index-dir", tmp_path / "idx")
    assert result.exit_code == 1 and "absent" in result.output


def test_reindex_waits_for_a_live_lock_then_fails_naming_its_holder(tmp_path, archive,
                                                                     lock_held_elsewhere):
    holder = lock_held_elsewhere(tmp_path / "idx")
    result = run("reindex", "--source", archive, "--index-dir", tmp_path / "idx",
                 env={"NEWS_SEARCH_LOCK_TIMEOUT": "0.5"})
    assert result.exit_code == 1
    assert f"process {holder.pid}" in result.stderr and "waiting" in result.stderr
    assert "still holds" in result.output


def test_search_prints_readable_hits(tmp_path, archive):
    run("reindex", "--source", archive, "--index-dir", tmp_path / "idx", "--workers", 1)
    result = run("search", "cocoa", "--index-dir", tmp_path / "idx")
    assert result.exit_code == 0, result.output
    assert "a1:0  1987-02-26  Cocoa review" in result.output
    assert "Cocoa prices rose" in result.output


def test_search_json_prints_the_api_body(tmp_path, archive):
    run("reindex", "--source", archive, "--index-dir", tmp_path / "idx", "--workers", 1)
    result = run("search", "oil", "--index-dir", tmp_path / "idx", "--json", "--limit", 5)
    body = json.loads(result.output)
    assert body["total"] == 1 and body["hits"][0]["id"] == "a2:0"
    assert {"id", "article_id", "para", "title", "date", "score", "text"} <= set(body["hits"][0])


def test_search_bad_date_is_a_usage_error_naming_the_option(tmp_path, archive):
    run("reindex", "--source", archive, "--index-dir", tmp_path / "idx", "--workers", 1)
    result = run("search", "oil", "--index-dir", tmp_path / "idx", "--from", "March")
    assert result.exit_code == 2 and "--from" in result.output


def test_search_before_any_index_says_to_reindex(tmp_path):
    result = run("search", "oil", "--index-dir", tmp_path / "none")
    assert result.exit_code == 1 and "reindex" in result.output


def test_search_grouped_by_article_counts_articles(tmp_path, archive):
    run("reindex", "--source", archive, "--index-dir", tmp_path / "idx", "--workers", 1)
    result = run("search", "", "--group", "article", "--index-dir", tmp_path / "idx")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("2 article(s) in ")


def test_search_of_only_stop_words_prints_the_notice(tmp_path, archive):
    run("reindex", "--source", archive, "--index-dir", tmp_path / "idx", "--workers", 1)
    result = run("search", "the who", "--index-dir", tmp_path / "idx")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:2] == [
        result.output.splitlines()[0],
        "“the” and “who” are too common to search for: the index leaves such words out. "
        "Add a less common word, such as a name, a place or a topic."]
    assert result.output.startswith("0 paragraph(s) in ")


def test_search_expand_asks_for_feedback(tmp_path, archive):
    run("reindex", "--source", archive, "--index-dir", tmp_path / "idx", "--workers", 1)
    result = run("search", "cocoa", "--match", "any", "--expand", "--json", "--index-dir", tmp_path / "idx")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["query"]["expand"] is True


def test_places_prints_places_and_dates_with_spans(tmp_path):
    result = run("places", "Talks in Baku ended on November 10.", "--date", "2021-04-08")
    assert result.exit_code == 0, result.output
    assert "'Baku' -> Baku, Azerbaijan (city" in result.output
    assert "'November 10' -> 2020-11-10 (day, year inferred)" in result.output


def test_places_reads_a_file(tmp_path):
    text = tmp_path / "t.txt"
    text.write_text("Shipments from Japan.")
    result = run("places", "--file", text)
    assert "'Japan' -> Japan (country, id JP)" in result.output


def test_every_command_has_help():
    for name, command in cli.commands.items():
        result = run(name, "--help")
        first_words = " ".join(command.help.split()[:4])
        assert result.exit_code == 0 and first_words in " ".join(result.output.split())


def test_a_bad_setting_in_the_environment_is_a_usage_error_naming_the_variable(tmp_path):
    result = run("reindex", "--index-dir", tmp_path / "idx", env={"NEWS_SEARCH_LOCK_TIMEOUT": "abc"})
    assert result.exit_code == 2
    assert "NEWS_SEARCH_LOCK_TIMEOUT='abc' is not a number" in result.output


def test_an_advanced_syntax_error_names_the_query_argument(tmp_path, archive):
    run("reindex", "--source", archive, "--index-dir", tmp_path / "idx", "--workers", 1)
    result = run("search", "(coffee", "--mode", "advanced", "--index-dir", tmp_path / "idx")
    assert result.exit_code == 2 and "Invalid value for QUERY" in result.output


def test_status_shows_the_serving_generation_its_sources_and_a_dry_run(tmp_path, archive):
    run("reindex", "--source", archive, "--index-dir", tmp_path / "idx", "--workers", 1)
    write_jsonl(archive / "b.jsonl", {"id": "b1", "title": "Tin", "paragraphs": ["Tin was quiet."]})
    result = run("status", "--index-dir", tmp_path / "idx")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[1].startswith("Serving: gen-1, built ") and "2 articles, 3 paragraphs" in lines[1]
    assert lines[2].startswith("Check: all ") and lines[3] == f"Source: {archive}"
    assert lines[4] == "A reindex would read 1 new or changed file(s), keep 1 unchanged, delete 0 file(s) with 0 article(s)."
    assert not (tmp_path / "idx" / "gen-2").exists()


def test_reindex_without_source_uses_the_remembered_ones(tmp_path, archive):
    run("reindex", "--source", archive, "--index-dir", tmp_path / "idx", "--workers", 1)
    result = run("reindex", "--index-dir", tmp_path / "idx")
    assert result.exit_code == 0 and "up to date (generation 1)" in result.output


def test_a_large_deletion_without_prune_is_one_error_line_and_changes_nothing(tmp_path, archive):
    run("reindex", "--source", archive, "--index-dir", tmp_path / "idx", "--workers", 1)
    (archive / "a.jsonl").unlink()
    write_jsonl(archive / "c.jsonl", {"id": "c1", "title": "C", "paragraphs": ["Copper."]})
    result = run("reindex", "--index-dir", tmp_path / "idx", "--workers", 1)
    assert result.exit_code == 1
    assert result.output.startswith("Error: this reindex would delete 2 of 2 articles (100%)")
    assert "--prune" in result.output and len(result.output.strip().splitlines()) == 1
    pruned = run("reindex", "--index-dir", tmp_path / "idx", "--workers", 1, "--prune")
    assert pruned.exit_code == 0 and "Articles deleted: 2" in pruned.output


def test_remove_source_drops_its_articles_and_says_how_many(tmp_path, archive):
    other = write_jsonl(tmp_path / "other" / "o.jsonl",
                        {"id": "o1", "title": "O", "paragraphs": ["Rubber."]}).parent
    run("reindex", "--source", archive, "--source", other, "--index-dir", tmp_path / "idx", "--workers", 1)
    result = run("reindex", "--remove-source", archive, "--index-dir", tmp_path / "idx", "--workers", 1)
    assert result.exit_code == 0, result.output
    assert "Articles deleted: 2" in result.output and f"Sources: {other}" in result.output


def test_serve_first_build_from_a_missing_source_is_one_error_line(tmp_path):
    result = run("serve", "--index-dir", tmp_path / "idx", "--port", 0,
                 env={"NEWS_SEARCH_SOURCES": str(tmp_path / "absent")})
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1].startswith("Error: ") and "absent" in result.output


def test_serve_first_build_behind_a_held_lock_is_one_error_line(tmp_path, archive, lock_held_elsewhere):
    holder = lock_held_elsewhere(tmp_path / "idx")
    result = run("serve", "--index-dir", tmp_path / "idx", "--port", 0,
                 env={"NEWS_SEARCH_SOURCES": str(archive), "NEWS_SEARCH_LOCK_TIMEOUT": "0.3"})
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1].startswith(f"Error: another reindex (process {holder.pid}")
