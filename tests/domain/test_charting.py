"""Charting rules: the note life cycle, who may move it, the hash chain, templates, plans, diffs."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest

from mentalspace_desktop.domain.charting import chain, lifecycle, plans, templates
from mentalspace_desktop.domain.charting.diff import LineChange, diff_versions
from mentalspace_desktop.domain.charting.lifecycle import NoteFacts, NoteStatus, TransitionRefused

AUTHOR, SUPERVISOR, OTHER = "u-author", "u-sup", "u-other"


def facts(status: NoteStatus = NoteStatus.DRAFT, *, actor: str = AUTHOR, cosign: bool = False) -> NoteFacts:
    return NoteFacts(status, AUTHOR, actor, SUPERVISOR, cosign)


def test_a_note_without_cosign_goes_from_draft_to_signed() -> None:
    assert lifecycle.status_after_sign(facts()) is NoteStatus.SIGNED


def test_an_associates_note_waits_for_the_supervisor_who_cosigns_or_returns_it() -> None:
    assert lifecycle.status_after_sign(facts(cosign=True)) is NoteStatus.IN_REVIEW
    review = facts(NoteStatus.IN_REVIEW, actor=SUPERVISOR, cosign=True)
    assert lifecycle.status_after_cosign(review) is NoteStatus.SIGNED
    assert lifecycle.status_after_return(review) is NoteStatus.RETURNED
    # returned: the author edits and signs again
    lifecycle.check_edit(facts(NoteStatus.RETURNED, cosign=True))
    assert lifecycle.status_after_sign(facts(NoteStatus.RETURNED, cosign=True)) is NoteStatus.IN_REVIEW


@pytest.mark.parametrize("status", [NoteStatus.IN_REVIEW, NoteStatus.SIGNED])
def test_nobody_edits_a_note_once_submitted_or_signed(status: NoteStatus) -> None:
    with pytest.raises(TransitionRefused, match="cannot be edited"):
        lifecycle.check_edit(facts(status))
    with pytest.raises(TransitionRefused):
        lifecycle.status_after_sign(facts(status))


def test_only_the_author_edits_and_only_the_supervisor_cosigns() -> None:
    with pytest.raises(TransitionRefused, match="author"):
        lifecycle.check_edit(facts(actor=OTHER))
    for actor in (AUTHOR, OTHER):
        with pytest.raises(TransitionRefused, match="supervisor"):
            lifecycle.status_after_cosign(facts(NoteStatus.IN_REVIEW, actor=actor, cosign=True))
    with pytest.raises(TransitionRefused, match="awaiting"):
        lifecycle.status_after_cosign(facts(NoteStatus.DRAFT, actor=SUPERVISOR, cosign=True))
    no_supervisor = replace(facts(NoteStatus.IN_REVIEW, actor=SUPERVISOR), author_supervisor_id=None)
    with pytest.raises(TransitionRefused):
        lifecycle.status_after_return(no_supervisor)


def test_addenda_go_on_signed_notes_by_author_or_supervisor() -> None:
    lifecycle.check_addendum(status=NoteStatus.SIGNED, actor_id=SUPERVISOR, author_id=AUTHOR,
                             author_supervisor_id=SUPERVISOR)
    with pytest.raises(TransitionRefused, match="Only a signed note"):
        lifecycle.check_addendum(status=NoteStatus.DRAFT, actor_id=AUTHOR, author_id=AUTHOR,
                                 author_supervisor_id=None)
    with pytest.raises(TransitionRefused, match="author or their supervisor"):
        lifecycle.check_addendum(status=NoteStatus.SIGNED, actor_id=OTHER, author_id=AUTHOR,
                                 author_supervisor_id=SUPERVISOR)
    # an associate's addendum is final when they sign it: the note it corrects was co-signed already
    addendum = replace(facts(cosign=True), is_addendum=True)
    assert lifecycle.status_after_sign(addendum) is NoteStatus.SIGNED


@pytest.mark.parametrize(("license_type", "supervised"), [
    ("LPC-Associate", True), ("LAPC", True), ("LMSW", True), ("LMFT-A", True), ("Counseling intern", True),
    ("LPC", False), ("LCSW", False), ("PsyD", False), (None, False), ("", False)])
def test_which_licenses_need_supervision(license_type: str | None, supervised: bool) -> None:
    assert lifecycle.license_requires_supervision(license_type) is supervised


def test_cosign_needs_a_supervisor_and_a_reason() -> None:
    assert lifecycle.requires_cosign(license_type="LAPC", has_supervisor=True, appointment_requires_cosign=False)
    assert lifecycle.requires_cosign(license_type="LPC", has_supervisor=True, appointment_requires_cosign=True)
    assert not lifecycle.requires_cosign(license_type="LPC", has_supervisor=True, appointment_requires_cosign=False)
    assert not lifecycle.requires_cosign(license_type="LAPC", has_supervisor=False,
                                         appointment_requires_cosign=True)


@pytest.mark.parametrize(("days", "state", "label"), [
    (0, lifecycle.Timeliness.ON_TIME, "0 days of 7"), (1, lifecycle.Timeliness.ON_TIME, "1 day of 7"),
    (6, lifecycle.Timeliness.DUE_SOON, "6 days of 7"), (7, lifecycle.Timeliness.DUE_SOON, "7 days of 7"),
    (8, lifecycle.Timeliness.OVERDUE, "8 days — 1 past the 7-day limit")])
def test_the_seven_day_rule(days: int, state: lifecycle.Timeliness, label: str) -> None:
    today = date(2025, 3, 20)
    served = date.fromordinal(today.toordinal() - days)
    assert lifecycle.timeliness(served, today) is state
    assert lifecycle.age_label(served, today) == label


# -- hash chain -------------------------------------------------------------------------------


def signed(record_id: str, content: dict[str, str], prev: str, *, client: str = "c1") -> chain.ChainRecord:
    sha = chain.content_hash(content)
    at = "2025-03-14T18:00:00+00:00"
    link = chain.link_hash(prev_hash=prev, content_sha=sha, record_id=record_id, client_id=client,
                           signed_at=at, signer_id=AUTHOR)
    return chain.ChainRecord(record_id, client, at, AUTHOR, content, sha, prev, link, label=record_id)


def test_content_hash_is_sha256_of_the_exact_text() -> None:
    a = chain.content_hash({"s": "Client reports", "p": "weekly"})
    assert a == chain.content_hash({"p": "weekly", "s": "Client reports"})  # field order is irrelevant
    assert a != chain.content_hash({"s": "Client reports ", "p": "weekly"})  # one space is not
    assert len(a) == 64


def test_an_intact_chain_verifies_even_when_two_laptops_forked_it() -> None:
    first = signed("n1", {"s": "one"}, chain.GENESIS)
    second = signed("n2", {"s": "two"}, first.chain_hash)
    offline = signed("n3", {"s": "three"}, first.chain_hash)  # signed elsewhere, same predecessor
    assert chain.verify([first, second, offline]) == []


def test_verification_names_each_altered_or_orphaned_record() -> None:
    first = signed("n1", {"s": "one"}, chain.GENESIS)
    second = signed("n2", {"s": "two"}, first.chain_hash)
    third = signed("n3", {"s": "three"}, second.chain_hash)
    edited = replace(second, content={"s": "two, quietly changed"})
    problems = chain.verify([first, edited, third])
    assert [(p.record_id, p.reason) for p in problems] == [("n2", "its content differs from what was signed")]
    resigned = replace(second, signer_id=OTHER)
    assert [p.record_id for p in chain.verify([first, resigned, third])] == ["n2"]
    assert [(p.record_id, p.reason) for p in chain.verify([first, third])] == [
        ("n3", "the signed record before it is missing or was altered")]
    other_client = signed("x", {"s": "one"}, first.chain_hash, client="c2")  # a link never crosses clients
    assert [p.record_id for p in chain.verify([first, other_client])] == ["x"]


# -- templates --------------------------------------------------------------------------------

SOAP = json.dumps([{"key": "subjective", "label": "Subjective", "required": True},
                   {"key": "objective", "label": "Objective"},
                   {"key": "risk", "label": "Risk level", "kind": "choice", "choices": ["Low", "High"]}])


def test_a_template_parses_and_keeps_its_fields_in_order() -> None:
    t = templates.parse_template("soap", "SOAP note", 3, SOAP)
    assert t.keys == ("subjective", "objective", "risk") and t.version == 3
    assert templates.parse_template("soap", "SOAP note", 4, t.to_json()) == replace(t, version=4)


@pytest.mark.parametrize(("fields", "message"), [
    ([{"key": "s", "label": "S", "colour": "red"}], "unknown setting"),
    ([{"key": "s", "label": "S"}, {"key": "s", "label": "Again"}], "share the key"),
    ([{"key": "s", "label": "S", "kind": "slider"}], "unknown kind"),
    ([{"key": "s", "label": "S", "kind": "choice", "choices": ["only"]}], "at least two"),
    ([{"key": "1st", "label": "S"}], "letters, digits"),
    ([{"key": "s", "label": " "}], "needs a label"),
    ([], "at least one field"),
])
def test_a_bad_template_is_refused_with_its_reason(fields: list[dict[str, object]], message: str) -> None:
    with pytest.raises(templates.TemplateError, match=message):
        templates.parse_template("x", "X", 1, json.dumps(fields))


def test_content_with_an_unknown_field_is_refused_and_required_fields_are_named() -> None:
    t = templates.parse_template("soap", "SOAP note", 1, SOAP)
    with pytest.raises(templates.TemplateError, match="no field.*mood"):
        templates.check_content(t, {"subjective": "ok", "mood": "fine"})
    with pytest.raises(templates.TemplateError, match="not one of the choices"):
        templates.check_content(t, {"risk": "Moderate"})
    content = templates.check_content(t, {"objective": "calm"})
    assert content == {"subjective": "", "objective": "calm", "risk": ""}
    assert templates.missing_required(t, content) == ["Subjective"]
    assert templates.render_text(t, {"subjective": "tired", "objective": ""}) == "Subjective\ntired"


# -- diff, plans ------------------------------------------------------------------------------


def test_version_diff_lists_changed_fields_line_by_line() -> None:
    old = {"subjective": "Slept poorly.\nAnxious at work.", "plan": "Weekly."}
    new = {"subjective": "Slept poorly.\nCalmer at work.", "plan": "Weekly.", "extra": "new"}
    diffs = diff_versions(old, new, [("subjective", "Subjective"), ("plan", "Plan")])
    assert [d.label for d in diffs] == ["Subjective", "extra"]
    assert diffs[0].lines == ((LineChange.SAME, "Slept poorly."), (LineChange.REMOVED, "Anxious at work."),
                              (LineChange.ADDED, "Calmer at work."))
    assert diff_versions(old, old, []) == []


def test_a_plan_is_reviewed_every_90_days_and_needs_measurable_objectives() -> None:
    assert plans.review_due(date(2025, 1, 1)) == date(2025, 4, 1)
    assert plans.review_due(date(2025, 1, 1), date(2025, 3, 1)) == date(2025, 5, 30)
    assert plans.review_state(date(2025, 4, 1), date(2025, 4, 2)) is plans.ReviewState.OVERDUE
    assert plans.review_state(date(2025, 4, 1), date(2025, 3, 25)) is plans.ReviewState.DUE_SOON
    assert plans.review_state(date(2025, 4, 1), date(2025, 1, 2)) is plans.ReviewState.CURRENT
    goal = plans.Goal("Fewer panic attacks", [plans.Objective("Use breathing", "", date(2025, 3, 1))])
    with pytest.raises(plans.PlanError, match="how it is measured"):
        plans.check_plan([plans.Problem("Panic", [goal])])
    goal.objectives[0].measure = "3 of 4 weeks"
    problems = [plans.Problem("Panic", [goal])]
    plans.check_plan(problems)
    assert plans.plan_from_data(plans.plan_to_data(problems)) == problems
    with pytest.raises(plans.PlanError, match="at least one problem"):
        plans.check_plan([])


def test_a_safety_plan_always_carries_988_and_needs_its_core_sections() -> None:
    draft = plans.new_safety_plan()
    with pytest.raises(plans.PlanError, match="warning sign"):
        plans.check_safety_plan(draft)
    draft.update(warning_signs=["Not sleeping", " "], coping=["Walk the dog"], means_safety=["Pills locked away"],
                 professionals=["Dr. Lee 404-555-0100"])
    stored = plans.check_safety_plan(draft)
    assert stored["warning_signs"] == ["Not sleeping"]
    assert stored["professionals"] == ["Dr. Lee 404-555-0100", plans.CRISIS_LINE_988]
    with pytest.raises(plans.PlanError, match="no section"):
        plans.check_safety_plan({**stored, "pets": ["Rex"]})
    S = plans.SafetyPlanStatus
    assert plans.safety_plan_status(at_risk=True, has_signed=False, has_draft=False) is S.MISSING
    assert plans.safety_plan_status(at_risk=False, has_signed=False, has_draft=False) is S.NOT_NEEDED
    assert plans.safety_plan_status(at_risk=True, has_signed=True, has_draft=True) is S.CURRENT
