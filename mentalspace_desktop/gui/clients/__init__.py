"""Client screens: search (the Clients page and the Ctrl+K dialog), registration, and the chart."""

from mentalspace_desktop.gui.clients.page import ClientsPage
from mentalspace_desktop.gui.clients.search_dialog import ClientSearchDialog

__all__ = ["ClientSearchDialog", "ClientsPage"]
