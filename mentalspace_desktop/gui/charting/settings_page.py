"""Charting settings (administrators): note templates and the drafting assistant."""

from __future__ import annotations

from typing import Any

from mentalspace_desktop.gui.charting.assistant import AssistantSettingsCard
from mentalspace_desktop.gui.charting.templates import TemplatesCard
from mentalspace_desktop.gui.qt import QVBoxLayout, QWidget
from mentalspace_desktop.gui.widgets.forms import page_header
from mentalspace_desktop.services.charting.assistant import DraftingAssistant
from mentalspace_desktop.services.charting.templates import TemplateService
from mentalspace_desktop.services.session import UserSession


class ChartingSettingsPage(QWidget):
    def __init__(self, session: UserSession, bridge: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 22, 28, 18)
        layout.setSpacing(12)
        layout.addWidget(page_header("Charting settings", "Note templates and the optional drafting assistant, "
                                                          "for everyone in the practice."))
        self.templates_card = TemplatesCard(TemplateService(session), self)
        self.assistant_card = AssistantSettingsCard(DraftingAssistant(session), self)
        layout.addWidget(self.templates_card)
        layout.addWidget(self.assistant_card)
        layout.addStretch(1)
