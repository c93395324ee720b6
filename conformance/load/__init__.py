"""``conformance load``: the suite's per-exchange checks on every answer while many users
hit the target, on Locust (docs/load.md).

The load is made by Locust (https://docs.locust.io/en/stable/use-as-lib.html) in a
separate process, ``python -m conformance.load`` (:mod:`conformance.load.engine`),
because Locust monkey-patches the standard library with gevent when it is imported:
nothing on conformance's normal import path (``conformance run``, the pytest plugin,
this package's modules) imports ``locust`` at import time. The engine's users send the
suite's probe requests (:mod:`conformance.probes`), each with its own correlation id,
record every answer as an :class:`~conformance.exchange.Exchange` (:mod:`.record`) and
spool them to a file (:mod:`.wire`); the ``load`` command then reads the mock's journal,
runs the registered per-exchange checks on every answer (:mod:`.judge`) and the checks
only load can see (:mod:`.crosstalk`, :mod:`.limits`, :mod:`.latency`), and writes the
reports.

Modules: ``config`` (the run's settings, validated; the safety caps), ``record`` (one
request recorded with ``requests``, gevent-friendly), ``wire`` (exchanges to JSON lines
and back), ``engine`` (the Locust process: ``python -m conformance.load``),
``stats`` (throughput, percentiles, the timeline), ``judge`` (per-exchange checks on every
answer), ``crosstalk``, ``limits``, ``latency`` (the load-only checks, ``LOAD_CHECKS``),
``servers`` (the embedded mock and reference sized for load), ``command`` (the click
command).
"""
