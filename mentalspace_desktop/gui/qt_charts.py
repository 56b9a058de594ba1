"""QtCharts, imported only by the screens that draw charts, so starting the app does not load it."""

from PySide6.QtCharts import QCategoryAxis, QChart, QChartView, QLineSeries, QValueAxis  # noqa: F401
