"""README stays true to the code: every setting and every command is documented."""
from pathlib import Path

import pytest

from index.settings import Settings
from manage import cli

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name,env,help", Settings.documented())
def test_every_setting_is_in_the_readme_table(name, env, help):
    assert f"| `{env}` | `{name}` | {help}" in README


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_is_in_the_readme(command):
    assert f"python3 manage.py {command}" in README


def test_readme_test_command_is_what_ci_runs():
    ci = (Path(__file__).resolve().parents[2] / ".ci" / "run").read_text(encoding="utf-8")
    command = "python3 -m pip install -e '.[test]' && python3 -m pytest -n 2"
    assert command in README and command in ci
