"""The README's migrations walk-through, run as a reader runs it: its pyproject.toml and
models, each ``$ ormada …`` command as a process of the installed console script, checked
line by line against the output the README shows (revision ids are random: each id the
README shows stands for the one the run made in its place); then its data migration, written
into an ``--empty`` revision, applied and reverted."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from tests.cli.conftest import run_process
from tests.integration.test_readme import assert_ran, marked_blocks, run_python

REVISION = re.compile(r"(?<![0-9a-f])[0-9a-f]{12}(?![0-9a-f])")


def commands(transcript: str) -> list[tuple[str, list[str]]]:
    """The commands of a transcript, each with the non-empty lines it prints."""
    found: list[tuple[str, list[str]]] = []
    for line in transcript.splitlines():
        if line.startswith("$ "):
            found.append((line[2:], []))
        elif line.strip():
            found[-1][1].append(line.rstrip())
    return found


def test_readme_migrations_walk_through(tmp_path: Path) -> None:
    [config] = marked_blocks("migrations-config")
    models = marked_blocks("migrations-models")
    transcripts = marked_blocks("migrations-transcript")
    assert len(models) == len(transcripts) == 2
    (tmp_path / "pyproject.toml").write_text(config)
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    ids: dict[str, str] = {}  # the README's revision id -> the one this run made
    for source, transcript in zip(models, transcripts, strict=True):
        (tmp_path / "app" / "models.py").write_text(source)
        for command, shown in commands(transcript):
            argv = shlex.split(command)
            assert argv[0] == "ormada"
            ran = run_process([ids.get(arg, arg) for arg in argv[1:]], cwd=tmp_path)
            assert ran.returncode == 0, (command, ran.stderr)
            printed = [line.rstrip() for line in ran.stdout.splitlines() if line.strip()]
            if argv[1] == "makemigrations":
                [readme_id], [made] = REVISION.findall(shown[0]), REVISION.findall(printed[0])
                ids[readme_id] = made
            expected = [REVISION.sub(lambda m: ids.get(m.group(0), m.group(0)), line) for line in shown]
            assert printed == expected, command
    [code], [output] = marked_blocks("migrations-api"), marked_blocks("migrations-api-output")
    assert_ran(run_python(code, tmp_path), output)

    # The data migration, written into an --empty revision and applied by `ormada migrate`.
    [data] = marked_blocks("migrations-data")
    show = ("import ormada\nfrom app.models import Author\n\normada.connect('sqlite:///library.db')\n"
            "print(sorted((a.name, a.born) for a in Author.all()))\n")
    assert_ran(run_python(show.replace("print(", "Author.create(name='Ursula K. Le Guin')\nprint("), tmp_path),
               "[('Ursula K. Le Guin', 1900)]\n")
    made = run_process(["makemigrations", "--empty", "-m", "seed authors"], cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    [revision] = (tmp_path / "migrations" / "versions").glob("*_seed_authors.py")
    text = revision.read_text()
    revision.write_text(text[:text.index("\ndef upgrade")] + "\n" + data)
    applied = run_process(["migrate"], cwd=tmp_path)
    assert applied.returncode == 0, applied.stderr
    assert applied.stdout.startswith(f"applied {revision.name.split('_')[0]} seed authors"), applied.stdout
    assert_ran(run_python(show, tmp_path),
               "[('N. K. Jemisin', 1972), ('Octavia E. Butler', 1947), ('Ursula K. Le Guin', 1929)]\n")
    reverted = run_process(["downgrade", "-1"], cwd=tmp_path)
    assert reverted.returncode == 0, reverted.stderr
    assert_ran(run_python(show, tmp_path), "[('Ursula K. Le Guin', 1900)]\n")
