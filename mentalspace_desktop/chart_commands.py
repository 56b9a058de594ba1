"""``mentalspace chart verify`` and ``mentalspace chart export``: the chart's command-line face.

Both sign in like every command (cli_signin), as a user who may read clinical notes: verification
opens each signed note to recompute its hash, so it covers the notes that user may read.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from mentalspace_desktop.cli_signin import UsageError, credentials, data_dir_of, sign_in

EXIT_OK, EXIT_BROKEN = 0, 1


def cmd_chart_verify(args: argparse.Namespace) -> int:
    from mentalspace_desktop.domain.charting.chain import verify
    from mentalspace_desktop.services.charting.notes import NoteService

    session = sign_in(data_dir_of(args), credentials(args))
    try:
        records = NoteService(session).chain_records(args.client)
    finally:
        session.close()
    problems = verify(records)
    for p in problems:
        print(f"ALTERED: {p.label}: {p.reason}")
    clients = len({r.client_id for r in records})
    if problems:
        print(f"BROKEN: {len({p.record_id for p in problems})} of {len(records)} signed notes and addenda "
              f"failed verification")
        return EXIT_BROKEN
    print(f"OK ({len(records)} signed notes and addenda of {clients} clients)")
    return EXIT_OK


def _date(text: str | None, option: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option} takes a date as YYYY-MM-DD, not {text!r}") from None


def cmd_chart_export(args: argparse.Namespace) -> int:
    from mentalspace_desktop.services.charting.export import ChartExportService

    since, until = _date(args.since, "--from"), _date(args.until, "--until")
    session = sign_in(data_dir_of(args), credentials(args))
    try:
        result = ChartExportService(session).export_range(args.client, Path(args.out), since=since, until=until)
    finally:
        session.close()
    print(f"Exported {result.records} signed records ({result.pages} pages) to {result.path}.")
    return EXIT_OK


def add_chart_parsers(commands: argparse._SubParsersAction, who: argparse.ArgumentParser) -> None:
    """Add ``chart verify`` and ``chart export`` to the ``mentalspace`` parser."""
    chart = commands.add_parser("chart", help="clinical chart tasks")
    tasks = chart.add_subparsers(title="chart commands", metavar="TASK", required=True)
    v = tasks.add_parser("verify", parents=[who], help="check the hash chain of signed notes and addenda")
    v.add_argument("--client", metavar="ID", default=None, help="only this client's chart")
    v.set_defaults(handler=cmd_chart_verify)
    e = tasks.add_parser("export", parents=[who], help="a client's signed records as PDF")
    e.add_argument("--client", metavar="ID", required=True, help="the client's id")
    e.add_argument("--from", dest="since", metavar="DATE", help="first date of service (YYYY-MM-DD)")
    e.add_argument("--until", metavar="DATE", help="last date of service (YYYY-MM-DD)")
    e.add_argument("--out", metavar="FILE", required=True, help="the PDF file to write")
    e.set_defaults(handler=cmd_chart_export)
