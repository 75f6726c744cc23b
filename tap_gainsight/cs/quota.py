"""The CS Data API's quota per tenant (docs/api.md, "CS: transport and limits").

A fact of the API, setting-free: the run paces its CS requests over this window, and a test
may shrink it here (`Run.from_config` reads it when it builds the run's limiter).
"""

#: The window the API counts its calls in, and `cs_requests_per_minute` with it: a minute.
WINDOW_MS = 60_000
