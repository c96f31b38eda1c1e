"""`stalking-profile link`: propose person clusters of duplicated nominals (Splink), stored as a run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import typer

from stalking_profile.cli.common import AsOfOption, DbOption, app, out, user_errors
from stalking_profile.errors import ConfigError
from stalking_profile.store.connection import open_store

__all__ = ["link_command"]

_ROLE_CHOICES = {"victim": ("victim",), "suspect": ("suspect",), "both": ("victim", "suspect")}


@app.command("link")
@user_errors
def link_command(
    db: DbOption = None,
    threshold: Annotated[float, typer.Option(
        help="Match probability at or above which two nominals are merged into one person")] = 0.95,
    role: Annotated[str, typer.Option(
        help="victim, suspect or both (victims are compared with victims only)")] = "both",
    as_of: AsOfOption = None,
    pairs: Annotated[Path | None, typer.Option(
        "--pairs", help="CSV of the scored pairs with their match weights, for review (internal only: "
        "pseudonymous ids and crime references, never names)")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the random pair sample: same seed, same model")] = 1,
) -> None:
    """Link duplicated nominals from the name and birth-date tokens: ids are never split, only merged."""
    from stalking_profile.people.clusters import LinkOptions, link_people

    if role not in _ROLE_CHOICES:
        raise ConfigError(f"unknown role '{role}'", "use --role victim, suspect or both")
    if pairs is not None and pairs.suffix.lower() != ".csv":
        raise ConfigError(f"cannot write pairs to {pairs.name}", "give --pairs a file name ending .csv")
    options = LinkOptions(threshold=threshold, roles=_ROLE_CHOICES[role], as_of=as_of, seed=seed)
    with open_store(db, create=False) as store:
        result = link_people(store, options)
    if result.run_id is None:
        out.print(result.message, highlight=False, markup=False)
        return
    for r in result.roles:
        out.print(f"{r.role}s: {r.records:,} records ({r.records_with_tokens:,} with name or birth-date tokens, "
                  f"{r.records_without_id:,} of them crimes without an id); {r.pairs_scored:,} candidate pairs scored, "
                  f"{r.pairs_merged:,} at or above {result.threshold:g}", highlight=False, markup=False)
        if "m_from" in r.parameters:
            m_from = {"ids": "pairs the ids already link", "em": "expectation maximisation"}[r.parameters["m_from"]]
            out.print(f"  {r.clusters:,} clusters merge {r.ids_merged:,} ids and attach {r.unidentified_attached:,} "
                      f"id-less crimes (m from {m_from})", highlight=False, markup=False)
    out.print(f"run {result.run_id} written in {result.seconds:.1f} s", highlight=False, markup=False)
    if pairs is not None:
        pairs.parent.mkdir(parents=True, exist_ok=True)
        pacsv.write_csv(_rounded(result.pairs), pairs)
        out.print(f"{result.pairs.num_rows:,} scored pairs written to {pairs} (internal only)",
                  highlight=False, markup=False)


def _rounded(table: pa.Table) -> pa.Table:
    """Weights to 3 decimals and probabilities to 6, for reading; the store keeps them whole."""
    columns = [pc.round(c, 6 if name == "match_probability" else 3) if pa.types.is_floating(c.type) else c
               for name, c in zip(table.column_names, table.columns, strict=True)]
    return pa.table(columns, names=table.column_names)
