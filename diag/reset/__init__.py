"""Why did a host last reset: parsers per evidence source (parse, signals), the evidence of each
reset inside its boot's time window (evidence), the decision (decide) and the timeline with its
findings (correlate). Pure: no I/O, no clock; diag/reset_reason.py runs it over hosts."""
