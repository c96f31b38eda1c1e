"""The CLI: real runs, exit codes, one clear message for every user error, no tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import rows_of, run_cli, write_csv

_run = run_cli


def test_ingest_then_info(tmp_path: Path) -> None:
    db = str(tmp_path / "s.duckdb")
    path = write_csv(tmp_path / "x.csv", rows_of({}, {"district": "Atlantis"}, {"domestic_flag": "N"}))
    code, out, err = _run("ingest", str(path), "--db", db, "--rejects", str(tmp_path / "rej.csv"))
    assert code == 0 and "created a new pseudonymisation key at" in err.replace("\n", " ")
    assert "read 3 = accepted 2 + rejected 1" in out
    assert "unknown district 'Atlantis'" in out and str(tmp_path / "rej.csv") in out.replace("\n", "")
    code, out, _ = _run("ingest", str(path), "--db", db)
    assert code == 0 and "already imported as batch 1; nothing changed" in out
    code, out, _ = _run("info", "--db", db)
    assert code == 0 and "recorded dates: 2021-03-05 to 2021-03-05" in out and "BD 2" in out and "8Q 2" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ingest", "{tmp}/missing.csv", "--db", "{tmp}/s.duckdb"], "missing.csv not found"),
        (["ingest", "{tmp}/nocol.csv", "--db", "{tmp}/s.duckdb"], "has no column for required district"),
        (["ingest", "{tmp}/ok.csv", "--db", "{tmp}/nodir/s.duckdb"], "does not exist"),
        (["ingest", "{tmp}/ok.csv", "--db", "{tmp}/ok.csv"], "is not a DuckDB store"),
        (["ingest", "{tmp}/ok.csv", "--db", "{tmp}/s.duckdb", "--mapping", "{tmp}/bad.toml"], "maps unknown column"),
        (["ingest", "{tmp}/ok.csv", "--db", "{tmp}/s.duckdb", "--force", "{tmp}/none.toml"], "force file"),
        (["ingest", "{tmp}/ok.csv", "--db", "postgresql://nobody:x@127.0.0.1:1/none"], "cannot connect to PostgreSQL"),
        (["mapping", "show", "nonesuch"], "no mapping profile called 'nonesuch'"),
    ],
    ids=["missing-file", "missing-column", "no-folder", "not-a-store", "bad-mapping", "bad-force", "no-server",
         "no-profile"],
)
def test_user_errors_exit_2_with_one_message(args: list[str], message: str, tmp_path: Path) -> None:
    write_csv(tmp_path / "ok.csv", rows_of({}))
    write_csv(tmp_path / "nocol.csv", [{k: v for k, v in r.items() if k != "district"} for r in rows_of({})])
    (tmp_path / "bad.toml").write_text('[columns]\ncrime_number = "Ref"\n')
    code, out, err = _run(*[a.format(tmp=tmp_path) for a in args])
    assert code == 2
    assert message in err.replace("\n", " ")
    assert "Hint:" in err and "Traceback" not in err + out


def test_no_traceback_from_the_installed_command(tmp_path: Path) -> None:
    (tmp_path / "e.csv").write_text("")
    proc = subprocess.run([sys.executable, "-m", "stalking_profile", "ingest", str(tmp_path / "e.csv"), "--db",
                           str(tmp_path / "s.duckdb")], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "e.csv is empty" in proc.stderr and "Traceback" not in proc.stderr


def test_mapping_show_round_trips_as_a_user_profile(tmp_path: Path) -> None:
    code, out, _ = _run("mapping", "show", "niche-example")
    assert code == 0 and 'crime_ref = ["Occurrence Number", "OCC No"]' in out
    (tmp_path / "m.toml").write_text(out)
    path = write_csv(tmp_path / "n.csv", [{"OCC No": "1", "Date Reported": "2021-01-01", "HO Class": "8Q",
                                          "Division": "BD", "DA Flag": "N"}])
    code, out, _ = _run("ingest", str(path), "--db", str(tmp_path / "s.duckdb"), "--mapping", str(tmp_path / "m.toml"))
    assert code == 0 and "accepted 1" in out


def test_every_command_has_help() -> None:
    for args in (["--help"], ["ingest", "--help"], ["synth", "--help"], ["demo", "--help"], ["info", "--help"],
                 ["mapping", "list", "--help"], ["mapping", "show", "--help"]):
        code, out, _ = _run(*args)
        assert code == 0 and "Usage" in out
