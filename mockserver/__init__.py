"""A deterministic mock of the Gemini v1beta API (DESIGN.md, "mockserver/").

Pure modules (no I/O): :mod:`~mockserver.request` (parse, validate, directive),
:mod:`~mockserver.generate` (what a scenario says; the token rule),
:mod:`~mockserver.toolargs`, :mod:`~mockserver.embed`, :mod:`~mockserver.catalog`,
:mod:`~mockserver.errors` (google.rpc.Status envelopes), :mod:`~mockserver.framing`
(Google's JSON styles, SSE framing, write plans) and :mod:`~mockserver.responses`
(request -> :class:`~mockserver.responses.Reply`). The aiohttp shell is
:mod:`~mockserver.app` (``create_app``), with :mod:`~mockserver.journal`; the CLI is
``python -m mockserver`` / ``mockserver``.
"""
