"""``mentalspace reminders preview --appointment ID``: each reminder of an appointment exactly as it
would be sent, with its due time, or why it will not go.

Signs in like every command (cli_signin); the user must be allowed to read the appointment.
"""

from __future__ import annotations

import argparse

from mentalspace_desktop.cli_signin import credentials, data_dir_of, sign_in

CHANNELS = {"sms": "Text message", "email": "E-mail", "voice": "Voice call"}


def cmd_reminders_preview(args: argparse.Namespace) -> int:
    from mentalspace_desktop.domain.reminders.timing import describe_offset
    from mentalspace_desktop.domain.scheduling.times import to_local
    from mentalspace_desktop.services.reminders.desk import ReminderDeskService

    session = sign_in(data_dir_of(args), credentials(args))
    try:
        service = ReminderDeskService(session)
        items = service.preview(args.appointment)
        with session.store.read() as s:
            tz = service.tz(s)
    finally:
        session.close()
    if not items:
        print("No reminders: no rule applies to this appointment, or it has no client.")
        return 0
    for item in items:
        when = f"{to_local(item.due_at, tz):%a %b %d %H:%M}" if item.due_at else "not sent"
        head = f"== {CHANNELS[item.channel]}, {describe_offset(item.offset_minutes)} before — {when}"
        if item.moved_by_quiet_hours:
            head += " (after quiet hours)"
        if item.already:
            head += f" [{item.already}]"
        print(head)
        for reason in item.blocked:
            print(f"   will not be sent: {reason}")
        if item.subject:
            print(f"Subject: {item.subject}")
        print(item.text)
        print()
    return 0


def add_reminder_parsers(commands: argparse._SubParsersAction, who: argparse.ArgumentParser) -> None:
    rem = commands.add_parser("reminders", help="appointment reminders")
    tasks = rem.add_subparsers(title="reminder tasks", metavar="TASK", required=True)
    preview = tasks.add_parser("preview", parents=[who], help="each reminder of an appointment, exactly as sent")
    preview.add_argument("--appointment", metavar="ID", required=True, help="the appointment's id")
    preview.set_defaults(handler=cmd_reminders_preview)
