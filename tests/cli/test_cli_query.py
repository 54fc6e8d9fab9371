"""ormada query and ormada sql through Typer's runner, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

from tests.cli.cli_models import Novel
from tests.cli.conftest import Cli


def rows(result: object) -> list[dict[str, object]]:
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    return json.loads(result.stdout)  # type: ignore[attr-defined,no-any-return]


def test_filter_with_typed_lookups_order_limit_and_fields(cli: Cli) -> None:
    found = rows(cli("query", "Novel", "filter", "--filter", "year__gte=1968", "--order", "-year",
                     "--limit", "2", "--fields", "title,year", "--json"))
    assert found == [{"title": "The Dispossessed", "year": 1974}, {"title": "The Left Hand of Darkness", "year": 1969}]


def test_filters_across_relations_and_list_lookups(cli: Cli) -> None:
    by_writer = rows(cli("query", "Novel", "filter", "-f", "writer__name__startswith=Stan", "--fields",
                         "title,writer__name", "--json"))
    assert by_writer == [{"title": "Solaris", "writer__name": "Stanisław Lem"}]
    in_range = rows(cli("query", "Novel", "-f", "year__range=1961,1968", "-f", "title__in=Solaris,Other",
                        "--fields", "title", "--json"))
    assert in_range == [{"title": "Solaris"}]
    unborn = rows(cli("query", "Writer", "filter", "-f", "born__isnull=true", "--fields", "name", "--json"))
    assert unborn == [{"name": "Anonymous"}]
    reverse = rows(cli("query", "Writer", "filter", "-f", "novels__title=Solaris", "--fields", "name", "--json"))
    assert reverse == [{"name": "Stanisław Lem"}]


def test_table_and_csv_output(cli: Cli) -> None:
    table = cli("query", "Novel", "filter", "-f", "tags__contains=classic", "--order", "year")
    assert table.exit_code == 0, table.output
    assert "Solaris" in table.stdout and "The Left Hand of Darkness" in table.stdout
    assert '["sf", "classic"]' in table.stdout
    assert "2 rows" in table.stdout
    csv_out = cli("query", "Novel", "filter", "--order", "year", "--limit", "2", "--fields", "year,title", "--csv")
    assert csv_out.exit_code == 0
    assert csv_out.stdout.splitlines() == ["year,title", "1961,Solaris", "1968,A Wizard of Earthsea"]


def test_get_count_and_exists(cli: Cli) -> None:
    got = cli("query", "Novel", "get", "-f", "title=Solaris", "--json")
    assert got.exit_code == 0, got.output
    assert json.loads(got.stdout) == {"id": 4, "title": "Solaris", "year": 1961, "tags": ["sf", "classic"],
                                      "writer_id": 2}
    as_csv = cli("query", "Novel", "get", "-f", "year=1974", "--fields", "title,writer__name", "--csv")
    assert as_csv.stdout.splitlines() == ["title,writer__name", "The Dispossessed,Ursula K. Le Guin"]
    assert cli("query", "Novel", "count", "-f", "year__lt=1970").stdout.strip() == "3"
    assert cli("query", "Novel", "count", "--json").stdout.strip() == "4"
    assert cli("query", "Novel", "exists", "-f", "year=1900").stdout.strip() == "false"
    assert cli("query", "Novel", "exists", "-f", "year=1961", "--json").stdout.strip() == "true"
    missing = cli("query", "Novel", "get", "-f", "year=1900")
    assert missing.exit_code == 1
    assert "Novel matching year=1900 does not exist" in missing.stderr


def test_delete_asks_first_unless_yes(cli: Cli) -> None:
    refused = cli("query", "Novel", "delete", "-f", "year__lt=1969", input="n\n")
    assert refused.exit_code == 1
    assert "Delete 2 rows of Novel?" in refused.output
    assert Novel.count() == 4
    confirmed = cli("query", "Novel", "delete", "-f", "year__lt=1969", input="y\n")
    assert confirmed.exit_code == 0, confirmed.output
    assert "deleted 2" in confirmed.stdout
    assert sorted(Novel.values_list("year", flat=True)) == [1969, 1974]
    forced = cli("query", "Novel", "delete", "-f", "year=1974", "--yes", "--json")
    assert json.loads(forced.stdout) == {"deleted": 1}
    assert Novel.count() == 1


def test_user_errors_are_one_line_with_exit_code_1(cli: Cli) -> None:
    unknown_model = cli("query", "Novle")
    assert unknown_model.exit_code == 1
    assert unknown_model.stderr.strip() == ("error: no model named 'Novle'; did you mean 'Novel'? "
                                            "(models: Writer, Novel, Sample)")
    bad_value = cli("query", "Novel", "filter", "-f", "year__gte=nineteen")
    assert bad_value.exit_code == 1
    assert "Novel.year: invalid value 'nineteen'" in bad_value.stderr
    assert len(bad_value.stderr.strip().splitlines()) == 1
    assert "Traceback" not in bad_value.output
    bad_field = cli("query", "Novel", "filter", "-f", "yeer=1")
    assert "Novel has no field 'yeer'; did you mean 'year'?" in bad_field.stderr
    debug = cli("--debug", "query", "Novel", "filter", "-f", "year__gte=nineteen")
    assert debug.exit_code == 1
    assert "Traceback" in debug.stderr


def test_usage_errors_exit_with_2(cli: Cli) -> None:
    no_equals = cli("query", "Novel", "filter", "-f", "year")
    assert no_equals.exit_code == 2
    assert "'year' is not field=value" in no_equals.output
    assert cli("query", "Novel", "frobnicate").exit_code == 2
    assert cli("query").exit_code == 2
    assert cli("query", "Novel", "--json", "--csv").exit_code == 2


def test_sql_binds_parameters_and_labels_columns(cli: Cli) -> None:
    found = cli("sql", "SELECT title, year FROM cli_novel WHERE year >= :y AND title <> :t ORDER BY year",
                "--param", "y=1969", "--param", "t=Solaris", "--json")
    assert found.exit_code == 0, found.output
    assert json.loads(found.stdout) == [{"title": "The Left Hand of Darkness", "year": 1969},
                                        {"title": "The Dispossessed", "year": 1974}]
    table = cli("sql", "SELECT count(*) AS how_many FROM cli_novel")
    assert "how_many" in table.stdout and "4" in table.stdout
    # A value is bound, never spliced into the text: this quote is only a title that matches nothing.
    injected = cli("sql", "SELECT title FROM cli_novel WHERE title = :t", "-p", "t=x' OR '1'='1", "--csv")
    assert injected.stdout.splitlines() == ["title"]
    changed = cli("sql", "UPDATE cli_novel SET year = :y WHERE title = :t", "-p", "y=1962", "-p", 't="Solaris"')
    assert changed.exit_code == 0, changed.output
    assert "1 row(s) changed" in changed.stdout
    assert Novel.get(title="Solaris").year == 1962


def test_sql_errors_are_user_errors(cli: Cli) -> None:
    broken = cli("sql", "SELEC 1")
    assert broken.exit_code == 1
    assert broken.stderr.startswith("error: ")
    missing = cli("sql", "SELECT :a")
    assert missing.exit_code == 1
    assert "not given" in missing.stderr
    assert cli("sql", "SELECT 1", "-p", "nothing").exit_code == 2
    assert cli("sql", "SELECT 1", "--database", "elsewhere").exit_code == 1
