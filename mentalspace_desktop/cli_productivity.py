"""``mentalspace metrics`` and ``mentalspace compliance run``: productivity and compliance from the
command line.

``metrics`` prints one row per clinician and metric: the clinician's full name (as the appointments
export's provider column names them, so the two files join), the metric id, the value (empty for
"no data"), its numerator and denominator. ``compliance run`` checks every rule now and prints a
line per rule, optionally with the PDF report. Both sign in like every command, so they show only
what that user may see.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from mentalspace_desktop.cli_signin import UsageError, credentials, data_dir_of, sign_in
from mentalspace_desktop.domain.metrics import Period
from mentalspace_desktop.services import metrics, practice_clock

FIELDS = ("clinician", "metric", "value", "numerator", "denominator")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{text!r} is not a date; write it as YYYY-MM-DD") from None


def _rows(table: metrics.MetricTable) -> list[dict[str, Any]]:
    names = {c.id: c.full_name for c in table.clinicians}
    return [
        {"clinician": names[v.subject_id], "metric": v.metric_id,
         "value": None if v.value is None else round(v.value, 6),
         "numerator": round(v.numerator, 6), "denominator": round(v.denominator, 6)}
        for v in sorted(table.values, key=lambda v: (names[v.subject_id], v.metric_id))
    ]


def cmd_metrics(args: argparse.Namespace) -> int:
    start, end = _day(args.date_from), _day(args.date_until)
    if end < start:
        raise UsageError("--until is before --from")
    session = sign_in(data_dir_of(args), credentials(args))
    try:
        today = practice_clock.practice_now(session).date()  # the practice's day, not the computer's
        table = metrics.compute(session, Period(start, end), today=today, clinician=args.clinician)
    finally:
        session.close()
    rows = _rows(table)
    if args.format == "json":
        json.dump(rows, sys.stdout, indent=1)
        print()
    else:
        writer = csv.DictWriter(sys.stdout, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows({**r, "value": "" if r["value"] is None else r["value"]} for r in rows)
    return 0


def cmd_compliance_run(args: argparse.Namespace) -> int:
    from mentalspace_desktop.services import compliance

    session = sign_in(data_dir_of(args), credentials(args))
    try:
        now = practice_clock.practice_now(session)  # the rules count days on the practice's calendar
        result = compliance.run(session, today=now.date(), now=now)
        if args.report:
            compliance.write_report(session, result, Path(args.report))
    finally:
        session.close()
    for summary in result.summaries:
        print(summary.line())
    print(f"{len(result.findings)} finding(s)" + (f"; report written to {args.report}" if args.report else ""))
    return 0


def add_productivity_parsers(commands: argparse._SubParsersAction, who: argparse.ArgumentParser) -> None:
    p = commands.add_parser("metrics", parents=[who], help="productivity metrics per clinician, as CSV or JSON")
    p.add_argument("--from", dest="date_from", required=True, metavar="DATE", help="first day (YYYY-MM-DD)")
    p.add_argument("--until", dest="date_until", required=True, metavar="DATE", help="last day, included")
    p.add_argument("--clinician", metavar="NAME", help="one clinician (user name or full name)")
    p.add_argument("--format", choices=("csv", "json"), default="csv", help="output format (default csv)")
    p.set_defaults(handler=cmd_metrics)
    c = commands.add_parser("compliance", help="Georgia documentation rules")
    tasks = c.add_subparsers(title="compliance tasks", metavar="TASK", required=True)
    r = tasks.add_parser("run", parents=[who], help="check every rule now and print a line per rule")
    r.add_argument("--report", metavar="FILE.pdf", help="also write the compliance report as PDF")
    r.set_defaults(handler=cmd_compliance_run)
