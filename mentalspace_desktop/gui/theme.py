"""Light and dark themes: a style sheet from ``ui/`` plus a matching palette, remembered per user.

The style sheets live in ``ui/*.qss`` so a designer can adjust them without touching Python. The
palette is set too because some widgets (message boxes, the file dialog) draw from it, not from the
sheet. Settings are kept in an INI file under the user's config directory (tests point it elsewhere).
"""

from __future__ import annotations

from mentalspace_desktop.gui.qt import QApplication, QColor, QFont, QPalette, QSettings
from mentalspace_desktop.resources import resource_path, ui_path

THEMES = ("light", "dark")
DEFAULT_THEME = "light"
_SETTING = "view/theme"

_PALETTES: dict[str, dict[QPalette.ColorRole, str]] = {
    "light": {
        QPalette.ColorRole.Window: "#f4f6f8",
        QPalette.ColorRole.WindowText: "#1d2733",
        QPalette.ColorRole.Base: "#ffffff",
        QPalette.ColorRole.AlternateBase: "#f7f9fb",
        QPalette.ColorRole.Text: "#1d2733",
        QPalette.ColorRole.Button: "#ffffff",
        QPalette.ColorRole.ButtonText: "#1d2733",
        QPalette.ColorRole.Highlight: "#1f6f8b",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.PlaceholderText: "#5b6775",  # muted text too: 4.5:1 on every surface
        QPalette.ColorRole.ToolTipBase: "#1d2733",
        QPalette.ColorRole.ToolTipText: "#ffffff",
        QPalette.ColorRole.Link: "#1f6f8b",
    },
    "dark": {
        QPalette.ColorRole.Window: "#1a1f25",
        QPalette.ColorRole.WindowText: "#e4e8ec",
        QPalette.ColorRole.Base: "#232a31",
        QPalette.ColorRole.AlternateBase: "#262e36",
        QPalette.ColorRole.Text: "#e4e8ec",
        QPalette.ColorRole.Button: "#2a323a",
        QPalette.ColorRole.ButtonText: "#e4e8ec",
        QPalette.ColorRole.Highlight: "#4aa3c2",
        QPalette.ColorRole.HighlightedText: "#0f1418",
        QPalette.ColorRole.PlaceholderText: "#9aa6b2",
        QPalette.ColorRole.ToolTipBase: "#e4e8ec",
        QPalette.ColorRole.ToolTipText: "#1a1f25",
        QPalette.ColorRole.Link: "#6cbad6",
    },
}


# Colours that carry meaning (a locked account, an expired consent, a sync problem), per theme. Each
# reaches 4.5:1 against the theme's table and window backgrounds; code asks for them by name at paint
# time (:func:`colour`), so a theme change recolours them with everything else.
_TONES: dict[str, dict[str, str]] = {
    "light": {"danger": "#a61b1b", "good": "#1d5e2c", "warning": "#7a4100", "info": "#0b4a8b",
              "muted": "#5b6775", "faint": "#6b7480",
              # painted grids and rich-text snippets (calendar, charting, dashboards)
              "risk_high": "#c62828", "risk_some": "#b26a00", "grid_hour": "#d5dce3", "grid_half": "#eef1f4",
              "diff_added": "#e2f4e6", "diff_removed": "#fde7e5", "drop_bad": "#d32f2f", "drop_good": "#2e7d32",
              "now_line": "#e53935", "past_block": "#8d99a6"},
    "dark": {"danger": "#ff9b94", "good": "#8fd6a8", "warning": "#f2c17a", "info": "#8cc4ff",
             "muted": "#a3aebb", "faint": "#8a96a3",
             "risk_high": "#ff8a80", "risk_some": "#ffb74d", "grid_hour": "#3a444f", "grid_half": "#2c343c",
             "diff_added": "#1f4d2b", "diff_removed": "#5c2323", "drop_bad": "#ef6b5e", "drop_good": "#4fbf7f",
             "now_line": "#ff6b5e", "past_block": "#5f6b78"},
}


def colour(tone: str) -> QColor:
    """The current theme's colour for ``tone``: danger, good, warning, info or muted."""
    app = QApplication.instance()
    name = current_theme(app) if isinstance(app, QApplication) else DEFAULT_THEME
    return QColor(_TONES[name][tone])


def app_settings() -> QSettings:
    """The per-user settings file (theme, one-time notices). Never holds anything sensitive."""
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "MentalSpace", "MentalSpace")


def saved_theme() -> str:
    value = str(app_settings().value(_SETTING, DEFAULT_THEME))
    return value if value in THEMES else DEFAULT_THEME


def save_theme(name: str) -> None:
    app_settings().setValue(_SETTING, name)


def style_sheet(name: str) -> str:
    """The theme's sheet; ``@ICONS@`` in it names the icons folder of ``resources/`` (drop-down arrows)."""
    path = ui_path(f"{name}.qss")
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    return text.replace("@ICONS@", resource_path("icons").as_posix())


def apply_theme(app: QApplication, name: str) -> None:
    """Switch the whole application to ``name``; open windows restyle at once."""
    if name not in THEMES:
        name = DEFAULT_THEME
    if app.property("mentalspace_style") != "fusion":
        # The same look on every OS; the sheet builds on it. Set once: once a style sheet is applied
        # app.style() is Qt's style-sheet wrapper (its name() is empty), and replacing the style
        # under live widgets (a wizard's pages) leaves them pointing at a deleted style: a crash.
        app.setStyle("Fusion")
        app.setProperty("mentalspace_style", "fusion")
    palette = QPalette()
    for role, colour in _PALETTES[name].items():
        palette.setColor(role, QColor(colour))
    app.setPalette(palette)
    font = QFont(app.font())
    font.setPointSizeF(10.5)
    app.setFont(font)
    app.setStyleSheet(style_sheet(name))
    app.setProperty("mentalspace_theme", name)


def current_theme(app: QApplication) -> str:
    value = app.property("mentalspace_theme")
    return value if value in THEMES else DEFAULT_THEME


def is_dark() -> bool:
    """Whether the running application shows the dark theme (for colours drawn outside the sheet)."""
    app = QApplication.instance()
    return isinstance(app, QApplication) and current_theme(app) == "dark"


ON_COLOUR = {"light_ground": "#000000", "dark_ground": "#ffffff"}  # text on a filled block, by its lightness
DEFAULT_TYPE_COLOUR = "#4a7bd0"  # an appointment type's colour until the administrator picks one


def tone(name: str) -> str:
    """The hex colour ``name`` means in the theme showing now (for rich text and painting)."""
    return _TONES["dark" if is_dark() else "light"][name]
