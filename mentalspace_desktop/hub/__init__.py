"""The REST hub: the practice's canonical copy, the change feed, device approval and scheduled jobs.

Nothing outside this package imports it, and nothing in it imports Qt: the desktop talks to the hub
over HTTP only (see ``sync/protocol.py``).
"""
