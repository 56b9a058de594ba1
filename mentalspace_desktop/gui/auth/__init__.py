"""Getting people in and keeping the screen safe: first run, sign-in, TOTP enrollment, idle lock."""
