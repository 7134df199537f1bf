"""SIEM export: envelopes -> neutral events (events.py, one projection per envelope kind) ->
one formatter per wire format (ecs, ocsf, hec, syslog) -> stdout, or delivery with a spool."""
