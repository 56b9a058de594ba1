"""The desktop side of sync, and the protocol and table rules it shares with the hub."""
