"""The force's geography: `stalking-profile geography import`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from stalking_profile.cli.common import (
    DbOption,
    ForceOption,
    force_config,
    geography_app,
    out,
    user_errors,
)
from stalking_profile.errors import InputFileError
from stalking_profile.store.connection import open_store

__all__ = ["geography_import"]


@geography_app.command("import")
@user_errors
def geography_import(
    db: DbOption = None,
    lookup: Annotated[
        Path | None, typer.Option(help="ONS LSOA-to-ward-to-LAD lookup CSV (LSOA11_WD20_LAD20...)")
    ] = None,
    ward_population: Annotated[
        Path | None, typer.Option("--ward-population", help="ONS ward population by single year of age (SAPE23DT8a)")
    ] = None,
    imd: Annotated[
        Path | None, typer.Option(help="IoD2019 File 1 (IMD rank and decile by LSOA), CSV or .csv.gz")
    ] = None,
    lsoa_population: Annotated[
        Path | None, typer.Option("--lsoa-population", help="ONS LSOA population, all ages (SAPE22DT2)")
    ] = None,
    ward_boundaries: Annotated[
        Path | None, typer.Option("--ward-boundaries", help="Ward boundaries for maps (GeoJSON, GPKG, SHP)")
    ] = None,
    lsoa_boundaries: Annotated[
        list[Path] | None,
        typer.Option("--lsoa-boundaries", help="LSOA boundaries for maps (GeoJSON, GPKG, SHP); repeatable"),
    ] = None,
    force: ForceOption = None,
) -> None:
    """Import the force's ward lookup, population, deprivation and boundaries, checked against each other."""
    from functools import partial

    from stalking_profile.spatial.imports import (
        LayerImport,
        import_boundaries,
        import_imd,
        import_lookup,
        import_lsoa_population,
        import_ward_population,
    )

    if not (lookup or ward_population or imd or lsoa_population or ward_boundaries or lsoa_boundaries):
        raise InputFileError("no geography file given", "give --lookup, --ward-population, --imd and/or boundaries")
    force_cfg = force_config(force)
    with open_store(db) as store:
        steps: list[tuple[Path | list[Path] | None, Callable[..., LayerImport]]] = [
                 (lookup, import_lookup), (ward_population, import_ward_population), (imd, import_imd),
                 (lsoa_population, import_lsoa_population),
                 (ward_boundaries, partial(import_boundaries, level="ward")),
                 (lsoa_boundaries, partial(import_boundaries, level="lsoa"))]
        for path, step in steps:
            if path is None:
                continue
            done = step(store, path, force=force_cfg)
            name = ", ".join(p.name for p in path) if isinstance(path, list) else path.name
            out.print(f"{done.layer}: {done.rows:,} rows from {name} ({done.vintage}), import {done.import_id}",
                      highlight=False, markup=False)
            if done.unmatched:
                out.print(f"  not matched ({len(done.unmatched)}): {', '.join(done.unmatched[:20])}",
                          highlight=False, markup=False)

