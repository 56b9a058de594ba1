"""The scheduling, charting and dashboard screens, opened the way a person reaches them (see registry.py).

Every opener reads the demo practice and never changes it (the screens share one demo): a dialog that
would write (booking, approving time off, signing) is opened and looked at, never submitted.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from mentalspace_desktop.domain.calendar_layout import CalendarView
from mentalspace_desktop.domain.roles import Role
from mentalspace_desktop.domain.scheduling.times import to_utc
from mentalspace_desktop.gui.localtime import wall_today
from mentalspace_desktop.gui.main_window import MainWindow, NavId
from mentalspace_desktop.gui.qt import QDialog, QWidget
from mentalspace_desktop.services.demo_plan import TIME_ZONE
from mentalspace_desktop.services.session import Actor, UserSession
from mentalspace_desktop.store.models import Client, Note, User
from tests.gui.screens.context import SIZE, ScreenContext, settle
from tests.gui.screens.registry import screen

DESK_AND_CLINICIAN = ("clinician", "front_desk")


def _dialog(window: QWidget, kind: type[QDialog]) -> Any:
    """The ``kind`` dialog the last action opened over ``window`` (dialogs the app opens with ``open()``)."""
    settle()
    shown = [d for d in window.findChildren(kind) if d.isVisible()]
    assert shown, f"no {kind.__name__} opened"
    return shown[-1]


# -- scheduling --------------------------------------------------------------------------------------

def _next_working_day() -> date:
    day = wall_today() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _schedule(ctx: ScreenContext, role: str, view: CalendarView) -> MainWindow:
    """The Schedule page on the next working day (the demo's coming weeks are booked) in ``view``."""
    window = ctx.main_window(role, NavId.SCHEDULE)
    page: Any = window.page(NavId.SCHEDULE)
    page.calendar.set_view(view, _next_working_day())
    settle()
    return window


@screen("Schedule: day", roles=("clinician", "front_desk"))
def schedule_day(ctx: ScreenContext, role: str) -> QWidget:
    return _schedule(ctx, role, CalendarView.DAY)


@screen("Schedule: week", roles=("clinician", "front_desk"))
def schedule_week(ctx: ScreenContext, role: str) -> QWidget:
    return _schedule(ctx, role, CalendarView.WEEK)


@screen("Schedule: month", roles=("clinician", "front_desk"))
def schedule_month(ctx: ScreenContext, role: str) -> QWidget:
    return _schedule(ctx, role, CalendarView.MONTH)


@screen("Schedule: side by side", roles=("clinician", "front_desk", "billing"))
def schedule_side_by_side(ctx: ScreenContext, role: str) -> QWidget:
    """Everyone's day side by side (a clinician's page starts on their own column: they choose All)."""
    window = _schedule(ctx, role, CalendarView.PROVIDERS)
    page: Any = window.page(NavId.SCHEDULE)
    page.calendar.provider_box.setCurrentIndex(0)
    settle()
    return window


@screen("Schedule: rooms", roles=("front_desk",))
def schedule_rooms(ctx: ScreenContext, role: str) -> QWidget:
    return _schedule(ctx, role, CalendarView.ROOMS)


@screen("Today", roles=("admin", "clinician", "front_desk"))
def today(ctx: ScreenContext, role: str) -> QWidget:
    window = ctx.main_window(role, NavId.TODAY)
    settle()
    return window


@screen("Waitlist", roles=("front_desk",))
def waitlist(ctx: ScreenContext, role: str) -> QWidget:
    window = ctx.main_window(role, NavId.WAITLIST)
    settle()
    page: Any = window.page(NavId.WAITLIST)
    page.table.selectRow(0)  # the reasons and offers of the first client show beside the list
    settle()
    return window


@screen("Groups", roles=("supervisor", "front_desk"))
def groups(ctx: ScreenContext, role: str) -> QWidget:
    window = ctx.main_window(role, NavId.GROUPS)
    settle()
    return window


@screen("Groups: a session ahead", roles=("front_desk",))
def groups_ahead(ctx: ScreenContext, role: str) -> QWidget:
    """The attendance sheet of the group's next session: it says why only cancellations are taken yet."""
    window = ctx.main_window(role, NavId.GROUPS)
    page: Any = window.page(NavId.GROUPS)
    settle()
    now = datetime.now().astimezone()
    ahead = next(i for i, a in enumerate(page.service.sessions(page.group_id())) if a.start_at > now)
    page.sessions.setCurrentRow(ahead)
    settle()
    return window


@screen("Groups: add a member", roles=("front_desk",))
def groups_add_member(ctx: ScreenContext, role: str) -> QWidget:
    window = ctx.main_window(role, NavId.GROUPS)
    page: Any = window.page(NavId.GROUPS)
    settle()
    return ctx.keep(page.add_member())


@screen("Groups: approve after screening", roles=("supervisor",))
def groups_screening(ctx: ScreenContext, role: str) -> QWidget:
    """The screening decision of the member being screened (a long name in its title and header)."""
    window = ctx.main_window(role, NavId.GROUPS)
    page: Any = window.page(NavId.GROUPS)
    settle()
    waiting = next(i for i, m in enumerate(page.roster_model.rows()) if m.status == "screening")
    page.roster.selectRow(waiting)
    page.screen_member(True)
    return ctx.keep(page.dialog)


@screen("Hours and time off", roles=("admin", "clinician"))
def hours(ctx: ScreenContext, role: str) -> QWidget:
    window = ctx.main_window(role, NavId.HOURS)
    settle()
    return window


@screen("Appointment types")
def appointment_types(ctx: ScreenContext, role: str) -> QWidget:
    window = ctx.main_window(role, NavId.TYPES)
    settle()
    return window


def _client_with_appointments(ctx: ScreenContext) -> str:
    """The clinician's client with the most appointments, past and coming (the fullest tab)."""
    from sqlalchemy import func

    from mentalspace_desktop.store.scheduling_models import Appointment

    with ctx.admin.store.read() as s:
        found = s.scalar(select(Appointment.client_id).where(
            Appointment.provider_id == ctx.session("clinician").actor.user_id, Appointment.client_id.is_not(None),
            Appointment.deleted.is_(False)).group_by(Appointment.client_id).order_by(func.count().desc()).limit(1))
    assert found, "the clinician has no appointments"
    return found


@screen("Chart: appointments", roles=("clinician", "front_desk"))
def chart_appointments(ctx: ScreenContext, role: str) -> QWidget:
    window = ctx.main_window(role, NavId.CLIENTS)
    page: Any = window.page(NavId.CLIENTS)
    page.open_client(_client_with_appointments(ctx))
    settle()
    page.chart.tabs.setCurrentWidget(page.chart.appointments)
    settle()
    return window


@screen("Book an appointment", roles=DESK_AND_CLINICIAN)
def book(ctx: ScreenContext, role: str) -> QWidget:
    """N in the day view, at the cursor (the first half hour of the working day)."""
    window = _schedule(ctx, role, CalendarView.DAY)
    page: Any = window.page(NavId.SCHEDULE)
    page.calendar.grid.book_at_cursor()
    return ctx.keep(_dialog(window, type(page.dialog)))


def _an_appointment(page: Any) -> str:
    entries = [e for e in page.calendar.model.entries() if not e.busy_only and e.client_id and not e.group_id]
    assert entries, "the demo's schedule has no appointment that day"
    return min(entries, key=lambda e: e.start).id


@screen("An appointment", roles=DESK_AND_CLINICIAN)
def appointment(ctx: ScreenContext, role: str) -> QWidget:
    """Enter (or a double-click) on the day's first appointment."""
    window = _schedule(ctx, role, CalendarView.DAY)
    page: Any = window.page(NavId.SCHEDULE)
    return ctx.keep(page.open_appointment(_an_appointment(page)))


@screen("Offer a freed slot", roles=("front_desk",))
def offer_slot(ctx: ScreenContext, role: str) -> QWidget:
    """What a cancellation opens: the waiting clients who fit the freed time best."""
    window = _schedule(ctx, role, CalendarView.DAY)
    page: Any = window.page(NavId.SCHEDULE)
    therapy = [e for e in page.calendar.model.entries()
               if not e.busy_only and e.client_id and e.type_name.startswith("Individual")]
    entry = min(therapy, key=lambda e: e.start)  # the kind of visit most waiting clients want
    dialog = ctx.keep(page.offer_freed_slot(entry))
    settle()
    return dialog


@screen("Add to the waitlist", roles=("front_desk",))
def add_to_waitlist(ctx: ScreenContext, role: str) -> QWidget:
    window = waitlist(ctx, role)
    page: Any = window.page(NavId.WAITLIST)
    dialog = ctx.keep(page.add())
    settle()
    return dialog


@screen("Cover appointments during time off")
def cover(ctx: ScreenContext, role: str) -> QWidget:
    """What approving a day off opens: the clinician's appointments that day, each with who could cover it.

    The demo's time off falls where nothing is booked, and approving one would change the demo the
    other screens share, so the list is the one approving the clinician's next working day would give
    (the service's own reading of the appointments and the covering providers)."""
    from mentalspace_desktop.domain.scheduling.status import OPEN
    from mentalspace_desktop.services.scheduling.availability import AffectedAppointment
    from mentalspace_desktop.store.scheduling_models import Appointment

    window = hours(ctx, role)
    page: Any = window.page(NavId.HOURS)
    service = page.service
    day = _next_working_day()
    start, end = (to_utc(datetime.combine(day + timedelta(days=n), time(0)), TIME_ZONE) for n in (0, 1))
    with service.session.store.read() as s:
        appts = list(s.scalars(select(Appointment).where(
            Appointment.provider_id == ctx.session("clinician").actor.user_id, Appointment.deleted.is_(False),
            Appointment.status.in_([x.value for x in OPEN]), Appointment.start_at < end, Appointment.end_at > start)
            .order_by(Appointment.start_at)))
        items = service._items(s, appts, with_risk=False)
        affected = [AffectedAppointment(item, service._covering(s, a)) for a, item in zip(appts, items, strict=True)]
    assert affected, "the clinician has nothing booked on the next working day"
    dialog = ctx.keep(page.open_cover(affected))
    settle()
    return dialog


# -- charting ----------------------------------------------------------------------------------------

def _note(ctx: ScreenContext, status: str, *, with_addendum: bool = False) -> str:
    """The clinician's latest note in ``status`` (the clinician is supervised: their notes go to review)."""
    with ctx.admin.store.read() as s:
        q = select(Note.id).where(Note.deleted.is_(False), Note.status == status, Note.addendum_to.is_(None),
                                  Note.author_id == ctx.session("clinician").actor.user_id)
        if with_addendum:
            q = q.where(Note.id.in_(select(Note.addendum_to).where(Note.addendum_to.is_not(None))))
        found = s.scalar(q.order_by(Note.service_date.desc()).limit(1))
    assert found, f"the demo has no {status} note of the clinician"
    return found


def _client_of_note(ctx: ScreenContext, note_id: str) -> str:
    with ctx.admin.store.read() as s:
        return s.scalar(select(Note.client_id).where(Note.id == note_id)) or ""


def _charted_client(ctx: ScreenContext) -> str:
    """The clinician's client with the most notes (every role may open it: the supervisor supervises
    the clinician)."""
    from sqlalchemy import func

    with ctx.admin.store.read() as s:
        found = s.scalar(select(Note.client_id).where(Note.author_id == ctx.session("clinician").actor.user_id)
                         .group_by(Note.client_id).order_by(func.count().desc()).limit(1))
    assert found, "the clinician has no charted client"
    return found


def _their_clinician(ctx: ScreenContext, plan: Any) -> tuple[str, UserSession]:
    """A client with a ``plan`` and a session of that client's own clinician (the demo's plans belong
    to several clinicians; the role's first login may have none)."""
    with ctx.admin.store.read() as s:
        client_id, clinician_id = s.execute(
            select(Client.id, Client.primary_clinician_id).where(Client.id.in_(select(plan.client_id)))
            .order_by(Client.chart_number).limit(1)).one()
        user = s.get(User, clinician_id)
        assert user is not None
        actor = Actor(user.id, user.username, user.full_name, Role(user.role))
    admin = ctx.admin
    return client_id, UserSession(admin.store, admin.slots, actor, admin.events, clinical_key=admin.clinical_key)


def _clinical(ctx: ScreenContext, role: str, client_id: str | None = None, *,
              session: UserSession | None = None) -> MainWindow:
    """The client's chart on its Clinical tab (``session``: someone other than the role's first login)."""
    if session is None:
        window = ctx.main_window(role, NavId.CLIENTS)
    else:
        window = ctx.keep(MainWindow(session))
        window.resize(*SIZE)
        window.show()
        window.show_page(NavId.CLIENTS)
    page: Any = window.page(NavId.CLIENTS)
    page.open_client(client_id or _charted_client(ctx))
    settle()
    page.chart.tabs.setCurrentWidget(page.chart.clinical)
    settle()
    return window


def _editor(ctx: ScreenContext, role: str, note_id: str) -> Any:
    """Open a note from the chart's Clinical tab (Enter on its row)."""
    window = _clinical(ctx, role, _client_of_note(ctx, note_id))
    pane: Any = window.page(NavId.CLIENTS).chart.clinical  # type: ignore[union-attr]
    editor = ctx.keep(pane.open_note(note_id))
    settle()
    return editor


@screen("My notes", roles=("clinician",))
def my_notes(ctx: ScreenContext, role: str) -> QWidget:
    window = ctx.main_window(role, NavId.MY_NOTES)
    settle()
    return window


@screen("My notes: co-sign queue", roles=("supervisor",))
def cosign_queue(ctx: ScreenContext, role: str) -> QWidget:
    window = my_notes(ctx, role)
    page: Any = window.page(NavId.MY_NOTES)
    page.select_list("queue")
    settle()
    return window


@screen("Note: writing a SOAP note", roles=("clinician",))
def note_draft(ctx: ScreenContext, role: str) -> QWidget:
    return _editor(ctx, role, _note(ctx, "draft"))


@screen("Note: sign", roles=("clinician",))
def note_sign(ctx: ScreenContext, role: str) -> QWidget:
    editor = _editor(ctx, role, _note(ctx, "draft"))
    dialog = ctx.keep(editor.sign())
    settle()
    return dialog


@screen("Note: co-sign", roles=("supervisor",))
def note_cosign(ctx: ScreenContext, role: str) -> QWidget:
    note_id = _note(ctx, "in_review")
    window = my_notes(ctx, role)
    page: Any = window.page(NavId.MY_NOTES)
    editor = ctx.keep(page.open_note(note_id))
    settle()
    dialog = ctx.keep(editor.cosign())
    settle()
    return dialog


@screen("Note: signed, with an addendum", roles=("clinician", "supervisor"))
def note_signed(ctx: ScreenContext, role: str) -> QWidget:
    return _editor(ctx, role, _note(ctx, "signed", with_addendum=True))


@screen("Note: version history", roles=("clinician",))
def note_history(ctx: ScreenContext, role: str) -> QWidget:
    editor = _editor(ctx, role, _note(ctx, "signed"))
    dialog = ctx.keep(editor.show_history())
    settle()
    return dialog


@screen("Chart: clinical", roles=("admin", "supervisor", "clinician", "billing", "front_desk"))
def chart_clinical(ctx: ScreenContext, role: str) -> QWidget:
    return _clinical(ctx, role)


def _plan(ctx: ScreenContext, role: str, kind: str) -> QWidget:
    """The client's latest ``kind`` plan ("treatment" or "safety"), opened from the Clinical tab by the
    clinician of a client who has one."""
    from mentalspace_desktop.store.chart_models import SafetyPlan, TreatmentPlan

    client_id, session = _their_clinician(ctx, TreatmentPlan if kind == "treatment" else SafetyPlan)
    window = _clinical(ctx, role, client_id, session=session)
    pane: Any = window.page(NavId.CLIENTS).chart.clinical  # type: ignore[union-attr]
    (pane.open_treatment_plan if kind == "treatment" else pane.open_safety_plan)()
    settle()
    return ctx.keep(pane.plan_dialog if kind == "treatment" else pane.safety_dialog)


@screen("Chart: export as PDF", roles=("clinician",))
def chart_export(ctx: ScreenContext, role: str) -> QWidget:
    window = _clinical(ctx, role)
    pane: Any = window.page(NavId.CLIENTS).chart.clinical  # type: ignore[union-attr]
    dialog = ctx.keep(pane.export_chart())
    dialog.everything.setChecked(False)  # a date range
    settle()
    return dialog


@screen("Treatment plan", roles=("clinician",))
def treatment_plan(ctx: ScreenContext, role: str) -> QWidget:
    return _plan(ctx, role, "treatment")


@screen("Safety plan", roles=("clinician",))
def safety_plan(ctx: ScreenContext, role: str) -> QWidget:
    """A signed safety plan (the demo's belong to other clinicians' clients than the role's first login's)."""
    return _plan(ctx, role, "safety")


@screen("Add a diagnosis (ICD-10)", roles=("clinician",))
def diagnosis(ctx: ScreenContext, role: str) -> QWidget:
    window = _clinical(ctx, role)
    pane: Any = window.page(NavId.CLIENTS).chart.clinical  # type: ignore[union-attr]
    dialog = ctx.keep(pane.add_diagnosis())
    settle()  # the code set loads
    dialog.query.setText("gen anx")
    settle()
    return dialog


# -- dashboards --------------------------------------------------------------------------------------

@screen("Dashboard", roles=("admin", "supervisor", "clinician"))
def dashboard(ctx: ScreenContext, role: str) -> QWidget:
    window = ctx.main_window(role, NavId.DASHBOARD)
    settle()
    return window


@screen("Dashboard: by clinician")
def clinician_breakdown(ctx: ScreenContext, role: str) -> QWidget:
    """A practice figure clicked: which clinicians it comes from."""
    from mentalspace_desktop.gui.dashboards.evidence import ClinicianBreakdownDialog

    window = dashboard(ctx, role)
    page: Any = window.page(NavId.DASHBOARD)
    page.explain(_counted(page, None))
    return ctx.keep(_dialog(window, ClinicianBreakdownDialog))


@screen("Dashboard: the records behind a figure", roles=("supervisor", "clinician"))
def evidence(ctx: ScreenContext, role: str) -> QWidget:
    from mentalspace_desktop.gui.dashboards.evidence import EvidenceDialog

    window = dashboard(ctx, role)
    page: Any = window.page(NavId.DASHBOARD)
    subject = ctx.session(role).actor.user_id
    if role == "supervisor":  # the team's figure, narrowed to one supervisee first
        subject = page.board.rows[0].id
        page.drill_down(subject)
        settle()
    page.explain(_counted(page, subject))
    return ctx.keep(_dialog(window, EvidenceDialog))


def _counted(page: Any, clinician_id: str | None) -> str:
    """The first figure on the dashboard that was counted from some records."""
    for metric_id in page.tiles:
        value = page.value_of(metric_id, clinician_id)
        if value is not None and value.value is not None and value.denominator:
            return str(metric_id)
    raise AssertionError("no figure on the dashboard has records behind it")
