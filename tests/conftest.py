"""Shared fixtures: a fresh store per test (DuckDB, and PostgreSQL when available), files to ingest."""

from __future__ import annotations

import csv
import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stalking_profile.force import load_force
from stalking_profile.ingest.pipeline import IngestOptions, ingest
from stalking_profile.store import tables
from stalking_profile.store.connection import Store, open_store

TODAY = dt.date(2022, 2, 15)
PG_ENV = "STALKING_PROFILE_TEST_PG"
SHARED = Path(__file__).resolve().parents[2] / "shared"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("CI") and not os.environ.get(PG_ENV):
        raise pytest.UsageError(f"CI is set but {PG_ENV} is not: PostgreSQL parity tests cannot be skipped in CI")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the technology detector's measured precision and recall (tests/test_detector.py)."""
    from tests.test_detector import QUALITY

    if QUALITY:
        terminalreporter.section("technology detector on labelled MO texts")
        for name, (size, precision, recall) in QUALITY.items():
            terminalreporter.write_line(f"{name:8} n={size:4}  precision={precision:.3f}  recall={recall:.3f}")


@pytest.fixture(scope="session")
def geography_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache of the default geography for the session: it is derived data, not user state."""
    return tmp_path_factory.mktemp("geography-cache")


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch,
                  geography_cache: Path) -> None:
    """Every test gets its own key file and no stray settings."""
    for name in ("STALKING_PROFILE_KEY", "STALKING_PROFILE_DB", "STALKING_PROFILE_FORCE", "STALKING_PROFILE_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("STALKING_PROFILE_KEY_FILE", str(home / "key"))
    cache = os.environ.get("STALKING_PROFILE_TEST_CACHE", str(geography_cache))
    monkeypatch.setenv("STALKING_PROFILE_CACHE_DIR", cache)
    monkeypatch.setattr("stalking_profile.metrics.geography_tables.DEFAULT_PERMUTATIONS", 99)  # tests may use fewer


def _reset_postgres(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP VIEW IF EXISTS {tables.CURRENT_CRIMES}")
        for name in tables.SCHEMAS:
            conn.execute(f"DROP TABLE IF EXISTS {name} CASCADE")


def pg_url() -> str | None:
    return os.environ.get(PG_ENV)


def fresh_pg_url() -> str:
    """The PostgreSQL test database, emptied; skips the test when none is given (never in CI)."""
    url = pg_url()
    if not url:
        pytest.skip(f"PostgreSQL parity: set {PG_ENV} to a test database URL (.ci/run does)")
    _reset_postgres(url)
    return url


def run_cli(*args: str) -> tuple[int, str, str]:
    """Run the command line in-process: exit code, stdout, stderr; unexpected exceptions propagate."""
    from typer.testing import CliRunner

    from stalking_profile.cli import app

    result = CliRunner().invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(params=["duckdb", "postgres"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh store on each engine; PostgreSQL is skipped only outside CI when no server is given."""
    if request.param == "duckdb":
        target = str(tmp_path / "store.duckdb")
    else:
        url = pg_url()
        if not url:
            pytest.skip(f"PostgreSQL parity: set {PG_ENV} to a test database URL (.ci/run does)")
        _reset_postgres(url)
        target = url
    store = open_store(target)
    yield store
    store.close()


@pytest.fixture
def store(any_store: Store) -> Store:
    """A fresh store: every test that takes it runs on DuckDB and on PostgreSQL."""
    return any_store


@pytest.fixture
def options() -> IngestOptions:
    return IngestOptions(force=load_force(), today=TODAY)


BASE_ROW: dict[str, str] = {
    "crime_ref": "C1",
    "recorded_date": "2021-03-05",
    "offence_code": "8Q",
    "district": "BD",
    "domestic_flag": "Y",
    "victim_id": "N100",
    "suspect_id": "N200",
    "outcome": "",
}


def rows_of(*overrides: dict[str, Any], base: dict[str, str] | None = None) -> list[dict[str, str]]:
    """Rows built from BASE_ROW with each override applied; crime_ref defaults to C<n>."""
    out = []
    for i, o in enumerate(overrides, start=1):
        row = dict(base or BASE_ROW, crime_ref=f"C{i}")
        row.update({k: "" if v is None else str(v) for k, v in o.items()})
        out.append(row)
    return out


def write_csv(path: Path, rows: list[dict[str, str]], encoding: str = "utf-8", delimiter: str = ",") -> Path:
    header: list[str] = []
    for r in rows:
        header.extend(k for k in r if k not in header)
    with path.open("w", encoding=encoding, newline="") as f:
        w = csv.DictWriter(f, fieldnames=header, delimiter=delimiter)
        w.writeheader()
        w.writerows(rows)
    return path


@pytest.fixture(scope="module")
def seed_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """A store holding the fixture built from the seed report's tables (tests/seed.py), one per module."""
    from tests import seed

    folder = tmp_path_factory.mktemp("seed")
    store = open_store(str(folder / "seed.duckdb"))
    ingest(seed.write_seed_extract(folder / "seed.csv"), store, IngestOptions(force=load_force(), today=TODAY))
    return store
