"""README.md runs as written: every `$` command of "What it looks like" is run on the sample
archive (`samples/`, built by the README's own `reindex` line into a temporary index) and its
output compared with the README's; the commands table lists exactly each command's options.

How the README's text is compared with the real output:
- `…` means "more follows": it stands for any text of one character or more, within a line or
  across lines, and never for itself (a README line may stop early, or skip whole lines).
- Measured times are not compared: the numbers of `Time: N s`, `Speed: N paragraphs/s`,
  `in N ms`, a stage's `done in N s` and `"took_ms": N` read as `#` on both sides.
- The checkout's absolute path (the sample files' paths) reads as `/work/main`, where the
  README's example ran; a file named on the command line prints as given.
- A `curl` answer is one line of JSON, which the README wraps: there, every run of whitespace
  reads as one space on both sides. Elsewhere lines and spaces count.
- The index size must be within 0.2 MB of the README's (`--workers 1` writes one segment, so
  the size does not depend on the machine's cores, but each paragraph stores its source's path,
  so a checkout at a longer path than `/work/main` writes a slightly larger index).
- Everything else must be equal.

`python3 manage.py` lines run through click's CliRunner (stdout and stderr as a terminal shows
them), `curl` lines through the app in-process (WebTest) over the same index.
"""
from __future__ import annotations

import re
import shlex
import urllib.parse
from pathlib import Path

import pytest
import webtest
from click.testing import CliRunner

from index.settings import Settings
from manage import cli
from search.web.app import create_app

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
README_ROOT = "/work/main"
MORE = "…"
TIMINGS = [re.compile(p) for p in (r"(?<=Time: )[0-9.,]+(?= s\b)",
                                   r"(?<=Speed: )[0-9.,]+(?= paragraphs/s)",
                                   r"(?<= in )[0-9.,]+(?= ms\b)",
                                   r"(?<=: done in )[0-9.,]+(?= s\b)",
                                   r'(?<="took_ms": )[0-9.]+')]
INDEX_SIZE = re.compile(r"(?<=Index size: )[0-9.]+(?= MB)")
SIZE_SLACK_MB = 0.2
# A file the README's `places --file` example names without saying what it holds.
UNDESCRIBED_FILE_TEXT = "Nothing to find here."


def section(title: str) -> str:
    """The README's text under `## title`, up to the next `## ` heading."""
    return README.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def examples() -> list[tuple[str, str]]:
    """(command line, the output the README shows) for each `$ ` line of the example block."""
    block = re.search(r"^```\n(.*?)^```", section("What it looks like"), re.S | re.M).group(1)
    pairs = []
    for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]:
        command, _, output = chunk.partition("\n")
        pairs.append((command, output.rstrip("\n")))
    return pairs


EXAMPLES = examples()
REINDEX = next(command for command, _ in EXAMPLES if " reindex" in command)


def normalised(text: str) -> str:
    for timing in TIMINGS:
        text = timing.sub("#", text)
    return text


def assert_shows(expected: str, actual: str, wrapped: bool = False) -> None:
    """The real output `actual` matches the README's `expected` under the module's rules."""
    expected = normalised(expected)
    actual = normalised(actual.replace(str(ROOT), README_ROOT)).rstrip("\n")
    shown_size, printed_size = INDEX_SIZE.search(expected), INDEX_SIZE.search(actual)
    if shown_size and printed_size:
        assert abs(float(shown_size[0]) - float(printed_size[0])) <= SIZE_SLACK_MB, (
            f"README.md shows an index of {shown_size[0]} MB; the build wrote {printed_size[0]} MB")
        expected, actual = INDEX_SIZE.sub("#", expected), INDEX_SIZE.sub("#", actual)
    if wrapped:
        expected, actual = (re.sub(r"\s+", " ", t).strip() for t in (expected, actual))
    pattern = ".+?".join(re.escape(part) for part in expected.split(MORE))
    assert re.fullmatch(pattern, actual, re.S), (
        f"README.md shows:\n{expected}\n\nthe command printed:\n{actual}")


def manage(command: str, env: dict[str, str]) -> str:
    """What `python3 manage.py ...` prints, run in-process; it must succeed."""
    words = shlex.split(command, comments=True)
    assert words[:2] == ["python3", "manage.py"], command
    result = CliRunner().invoke(cli, words[2:], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[dict[str, str], str]:
    """The environment that points the commands at a temporary index of `samples/`, built by
    the README's reindex line, and what that line printed."""
    root = tmp_path_factory.mktemp("readme-index")
    # The defaults, but for the index folder: no setting of the shell running the tests counts.
    env = {variable: None for _, variable, _ in Settings.documented()}
    env["NEWS_SEARCH_INDEX_DIR"] = str(root / "idx")
    return env, manage(REINDEX, env)


@pytest.fixture(scope="module")
def api(built):
    env, _ = built
    bottle_app = create_app(Settings.from_env({}, index_dir=Path(env["NEWS_SEARCH_INDEX_DIR"])))
    yield webtest.TestApp(bottle_app)
    bottle_app.close()


def curl(api: webtest.TestApp, command: str) -> str:
    """The body `curl -s URL` prints, answered by the app in-process."""
    url = urllib.parse.urlsplit(shlex.split(command)[-1])
    return api.get(f"{url.path}?{url.query}", expect_errors=True).text


def files_described(command: str, folder: Path) -> None:
    """Write the files a `--file` example names into `folder`: the one its comment describes
    (`# a.txt: "text"`) with that text, any other with some text of no places or dates."""
    described = dict(re.findall(r'(\S+): "([^"]*)"', command.partition("#")[2]))
    for name in re.findall(r"--file (\S+)", command):
        (folder / name).write_text(described.get(name, UNDESCRIBED_FILE_TEXT), encoding="utf-8")


@pytest.mark.parametrize("command,shown", EXAMPLES, ids=[c.partition(" #")[0] for c, _ in EXAMPLES])
def test_readme_example_prints_what_the_readme_shows(command, shown, built, api, tmp_path,
                                                      monkeypatch):
    env, reindexed = built
    if command == REINDEX:
        assert_shows(shown, reindexed)
    elif command.startswith("curl "):
        assert_shows(shown, curl(api, command), wrapped=True)
    elif command.startswith("python3 manage.py "):
        monkeypatch.chdir(tmp_path)
        files_described(command, tmp_path)
        assert_shows(shown, manage(command, env))
    else:
        pytest.fail(f"this test does not know how to run the README's example {command!r}")


def test_the_example_block_holds_every_example_the_readme_promises():
    commands = [command.split()[:3] for command, _ in EXAMPLES]
    assert ["python3", "manage.py", "reindex"] in commands
    assert ["python3", "manage.py", "search"] in commands
    assert [c for c in commands if c[0] == "curl"] and ["python3", "manage.py", "places"] in commands


def commands_table() -> dict[str, set[str]]:
    """command -> the options its row of the README's commands table names."""
    rows = re.findall(r"^\| `python3 manage\.py (\w+)[^`]*` \| (.*) \|$", section("Commands"), re.M)
    return {command: set(re.findall(r"--[a-z][a-z-]*", text)) for command, text in rows}


def help_options(command: str) -> set[str]:
    """The options `manage.py COMMAND --help` lists, but --help itself."""
    result = CliRunner().invoke(cli, [command, "--help"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    names = re.findall(r"^  (-.*?)(?: {2,}|$)", result.output, re.M)
    return {o for name in names for o in re.findall(r"--[a-z][a-z-]*", name)} - {"--help"}


def test_the_commands_table_has_a_row_for_every_command():
    assert sorted(commands_table()) == sorted(cli.commands)


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_option_in_a_commands_row_is_in_its_help(command):
    assert commands_table().get(command, set()) - help_options(command) == set()


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_option_in_a_commands_help_is_in_its_row(command):
    assert help_options(command) - commands_table().get(command, set()) == set()
