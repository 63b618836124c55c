"""Generation folders and the CURRENT pointer."""
from index import generations


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
