"""The dependency rule of DESIGN.md, checked on the source: Qt only in gui/, domain/ imports nothing."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import mentalspace_desktop

PACKAGE = Path(mentalspace_desktop.__file__).resolve().parent


def imported_modules(path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) for every import in the file, relative imports resolved against its package."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package_parts = ["mentalspace_desktop", *path.relative_to(PACKAGE).parent.parts]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package_parts[: len(package_parts) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            yield node.lineno, module
            for alias in node.names:  # "from mentalspace_desktop import gui"
                yield node.lineno, f"{module}.{alias.name}"
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "__import__" and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                yield node.lineno, arg.value


def python_files(*, exclude: str | None = None, only: str | None = None) -> list[Path]:
    files = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if exclude and rel.parts[0] == exclude:
            continue
        if only and rel.parts[0] != only:
            continue
        files.append(path)
    return files


def is_under(module: str, root: str) -> bool:
    return module == root or module.startswith(root + ".")


def test_scanner_sees_the_package() -> None:
    assert len(python_files()) > 20
    assert python_files(only="domain")
    # the scanner finds what it is looking for (so the tests below can fail)
    gui_imports = {m for f in python_files(only="gui") for _, m in imported_modules(f)}
    assert any(is_under(m, "PySide6") for m in gui_imports)


QT_MODULES = ("PySide6", "PyQt5", "PyQt6", "PySide2", "shiboken6", "qtpy")


def test_nothing_outside_gui_imports_qt() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}:{line} imports {module}"
        for path in python_files(exclude="gui")
        for line, module in imported_modules(path)
        if any(is_under(module, qt) for qt in QT_MODULES)
    ]
    assert offenders == []


def test_lower_layers_do_not_import_the_gui() -> None:
    """Only the entry points (cli, __main__) may start the GUI; services and below never reach up to it."""
    layers = ("domain", "store", "services", "sync", "hub", "integrations")
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}:{line} imports {module}"
        for layer in layers
        for path in python_files(only=layer)
        for line, module in imported_modules(path)
        if is_under(module, "mentalspace_desktop.gui")
    ]
    assert offenders == []


def test_domain_imports_nothing_of_the_project_but_domain_and_no_sqlalchemy() -> None:
    forbidden = (
        "mentalspace_desktop.store",
        "mentalspace_desktop.services",
        "mentalspace_desktop.gui",
        "mentalspace_desktop.sync",
        "mentalspace_desktop.hub",
        "mentalspace_desktop.integrations",
        "sqlalchemy",
        "alembic",
        "sqlcipher3",
        "sqlite3",
        "PySide6",
        "requests",
    )
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}:{line} imports {module}"
        for path in python_files(only="domain")
        for line, module in imported_modules(path)
        if any(is_under(module, bad) for bad in forbidden)
    ]
    assert offenders == []
