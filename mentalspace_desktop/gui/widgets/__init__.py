"""Small widgets shared by several screens: QR code, backup-code sheet, form helpers."""
