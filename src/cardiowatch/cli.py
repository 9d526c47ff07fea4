"""The one `cardiowatch` command. Sub-commands import their work lazily so `--help` stays fast."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from cardiowatch import NOT_A_MEDICAL_DEVICE

app = typer.Typer(
    help=f"cardiowatch: arrhythmia detection from ECG/PPG sensors. {NOT_A_MEDICAL_DEVICE}",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
data_app = typer.Typer(help="Find and download the PhysioNet databases.", no_args_is_help=True)
app.add_typer(data_app, name="data")
console = Console(stderr=True)

DataOption = Annotated[
    Optional[Path],
    typer.Option("--data", help="Data root holding one folder per database (else $CARDIOWATCH_DATA, "
                 "else ../shared/physionet, else the user cache)."),
]


@app.callback()
def _main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log more.")] = False) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, format="%(levelname)s %(name)s: %(message)s")


@data_app.command("fetch")
def data_fetch(
    database: Annotated[str, typer.Argument(help="Database name, e.g. mitdb")],
    data: DataOption = None,
    base_url: Annotated[Optional[str], typer.Option(help="Mirror to download from instead of PhysioNet.")] = None,
    record: Annotated[Optional[list[str]], typer.Option("--record", help="Only these records.")] = None,
) -> None:
    """Download DATABASE from PhysioNet into the data root and check its SHA256 sums."""
    from cardiowatch.data.fetch import fetch_database
    from cardiowatch.errors import DataUnavailable

    with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                  console=console) as progress:
        task = progress.add_task(database, total=None)

        def report(done: int, total: int | None, name: str) -> None:
            progress.update(task, description=f"{database}/{name}", completed=done, total=total)

        try:
            dest = fetch_database(database, root=data, base_url=base_url, records=record, progress=report)
        except (DataUnavailable, ValueError) as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(code=1) from exc
    console.print(f"{database} is in {dest}")


@data_app.command("info")
def data_info(data: DataOption = None) -> None:
    """Show the data root and which databases it holds."""
    from cardiowatch.data.databases import DATABASES, data_root

    root = data_root(data)
    console.print(f"data root: {root}")
    for db in DATABASES.values():
        records = root / db.name / "RECORDS"
        count = len(records.read_text().split()) if records.is_file() else 0
        state = f"{count} records" if count else "missing"
        console.print(f"  {db.name:8s} {state:12s} {db.title}")


if __name__ == "__main__":
    app()
