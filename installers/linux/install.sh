#!/usr/bin/env bash
# Installs MentalSpace Desktop for the current user from a checkout: a private virtual environment under
# ~/.local/share/mentalspace-desktop, the `mentalspace` command in ~/.local/bin and a menu entry.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
prefix="${XDG_DATA_HOME:-$HOME/.local/share}/mentalspace-desktop"
python3 -m venv "$prefix/venv"
"$prefix/venv/bin/python" -m pip install --quiet --upgrade pip
"$prefix/venv/bin/python" -m pip install --quiet "$src"
mkdir -p "$HOME/.local/bin" "${XDG_DATA_HOME:-$HOME/.local/share}/applications"
ln -sf "$prefix/venv/bin/mentalspace" "$HOME/.local/bin/mentalspace"
install -m 0644 "$src/installers/linux/mentalspace.desktop" "${XDG_DATA_HOME:-$HOME/.local/share}/applications/"
echo "Installed. Start it from your applications menu or run: mentalspace"
