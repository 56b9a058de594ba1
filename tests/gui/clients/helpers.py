"""Driving the client screens the way a person does: typing into fields and pressing keys."""

from __future__ import annotations

from typing import Any

from mentalspace_desktop.gui.clients.form import ClientForm
from mentalspace_desktop.gui.clients.search_dialog import ClientSearchPanel
from mentalspace_desktop.gui.qt import QComboBox, QLineEdit

WAIT_MS = 8000


def type_into(qtbot: Any, form: ClientForm, **values: str) -> None:
    """Type each value into the field of that key (clearing it first); combos pick the matching text."""
    for key, value in values.items():
        widget = form.inputs[key]
        if isinstance(widget, QLineEdit):
            widget.clear()
            qtbot.keyClicks(widget, value)
        elif isinstance(widget, QComboBox):
            index = widget.findText(value)
            if index < 0:
                index = widget.findData(value)
            assert index >= 0, f"{value!r} is not a choice of {key}"
            widget.setCurrentIndex(index)
        else:
            raise TypeError(key)


def search(qtbot: Any, panel: ClientSearchPanel, text: str) -> list[str]:
    """Type ``text`` into the search box and return the ids of the results once they arrive."""
    with qtbot.waitSignal(panel.controller.sig_results_ready, timeout=WAIT_MS):
        panel.box.clear()
        qtbot.keyClicks(panel.box, text)
    return panel.model.client_ids()
