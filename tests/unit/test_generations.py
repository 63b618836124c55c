"""Generation folders and the CURRENT pointer."""
from index.store import generations


def _complete(index_dir, n):
    folder = generations.generation_dir(index_dir, n)
    folder.mkdir(parents=True)
    generations.write_json_atomically(folder / generations.MANIFEST, {"generation": n})
    return folder


def test_no_pointer_means_no_serving_generation(tmp_path):
    assert generations.serving_generation(tmp_path) is None


def test_switch_points_current_at_the_generation(tmp_path):
    gen = _complete(tmp_path, 3)
    generations.switch_to(tmp_path, gen)
    assert generations.serving_generation(tmp_path) == gen
    assert generations.read_manifest(gen) == {"generation": 3}


def test_pointer_to_a_folder_without_manifest_is_not_served(tmp_path):
    incomplete = generations.generation_dir(tmp_path, 1)
    incomplete.mkdir()
    generations.switch_to(tmp_path, incomplete)
    assert generations.serving_generation(tmp_path) is None


def test_next_number_skips_past_leftover_folders(tmp_path):
    _complete(tmp_path, 1)
    generations.generation_dir(tmp_path, 4).mkdir()
    assert generations.next_generation_number(tmp_path) == 5


def test_stale_generations_removed_except_kept(tmp_path):
    kept = {_complete(tmp_path, 2), _complete(tmp_path, 3)}
    _complete(tmp_path, 1)
    generations.generation_dir(tmp_path, 4).mkdir()
    generations.remove_stale_generations(tmp_path, kept)
    assert {p.name for p in generations.existing_generations(tmp_path)} == {"gen-2", "gen-3"}


def _with_checksums(index_dir, n):
    folder = generations.generation_dir(index_dir, n)
    folder.mkdir(parents=True)
    (folder / "seg_1.seg").write_bytes(b"postings" * 1000)
    (folder / "sub").mkdir()
    (folder / "sub" / "col.npy").write_bytes(b"\x00\x01" * 500)
    generations.write_json_atomically(folder / generations.MANIFEST, {
        "generation": n, generations.CHECKSUMS: generations.file_checksums(folder)})
    return folder


def test_a_sound_generation_verifies(tmp_path):
    assert generations.verify_generation(_with_checksums(tmp_path, 1)) is None


def test_same_size_garbage_in_a_file_is_named(tmp_path):
    folder = _with_checksums(tmp_path, 1)
    with open(folder / "seg_1.seg", "r+b") as f:
        f.seek(100)
        f.write(b"garbage!")
    assert generations.verify_generation(folder) == "seg_1.seg: checksum differs from the one recorded at build time"


def test_a_truncated_or_missing_file_is_named(tmp_path):
    folder = _with_checksums(tmp_path, 1)
    (folder / "sub" / "col.npy").write_bytes(b"\x00")
    assert generations.verify_generation(folder).startswith("sub/col.npy: size differs")
    (folder / "seg_1.seg").unlink()
    assert generations.verify_generation(folder) == "seg_1.seg: No such file or directory"


def test_a_manifest_without_checksums_does_not_verify(tmp_path):
    assert "no checksums" in generations.verify_generation(_complete(tmp_path, 1))


def test_a_missing_manifest_does_not_verify(tmp_path):
    folder = generations.generation_dir(tmp_path, 1)
    folder.mkdir()
    assert generations.verify_generation(folder).startswith("manifest.json is missing")


def test_the_public_words_for_a_damaged_generation_name_no_file(tmp_path):
    folder = _with_checksums(tmp_path, 1)
    (folder / "sub" / "col.npy").write_bytes(b"\x00")
    damage = generations.check_generation(folder)
    assert damage.detail.startswith("sub/col.npy: size differs")
    assert damage.public == "a file's size differs from the one recorded at build time"
    (folder / generations.MANIFEST).unlink()
    assert "manifest" not in generations.check_generation(folder).public


def test_a_killed_builds_folders_are_leftovers_but_not_the_pointed_or_an_older_complete_one(tmp_path):
    _complete(tmp_path, 1)
    generations.switch_to(tmp_path, _complete(tmp_path, 2))
    generations.generation_dir(tmp_path, 3).mkdir()  # died before its manifest
    _complete(tmp_path, 4)                            # died between its manifest and the switch
    removed = generations.remove_leftover_generations(tmp_path)
    assert [p.name for p in removed] == ["gen-3", "gen-4"]
    assert [p.name for p in generations.existing_generations(tmp_path)] == ["gen-1", "gen-2"]


def test_a_leftover_a_server_holds_for_reading_stays(tmp_path):
    generations.switch_to(tmp_path, _complete(tmp_path, 1))
    hold = generations.hold_for_reading(_complete(tmp_path, 2))
    try:
        assert generations.remove_leftover_generations(tmp_path) == []
    finally:
        hold.release()
    assert [p.name for p in generations.remove_leftover_generations(tmp_path)] == ["gen-2"]


def test_the_fallbacks_are_the_complete_generations_below_the_pointed_one_newest_first(tmp_path):
    _complete(tmp_path, 1)
    generations.generation_dir(tmp_path, 2).mkdir()
    _complete(tmp_path, 3)
    pointed = _complete(tmp_path, 4)
    _complete(tmp_path, 5)
    assert [p.name for p in generations.earlier_generations(tmp_path, pointed)] == ["gen-3", "gen-1"]
