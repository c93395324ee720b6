"""A deterministic mock of Google's Gemini APIs (docs/architecture.md).

Pure modules (no I/O): :mod:`~mockserver.request` and :mod:`~mockserver.fields` (parse,
validate like Google, directive), :mod:`~mockserver.plans` (what a scenario says;
the token rule), :mod:`~mockserver.envelopes` (a plan as Gemini replies),
:mod:`~mockserver.summary` (a plan as the journal's summary),
:mod:`~mockserver.multimodal` and :mod:`~mockserver.media` (image output, TTS, Imagen;
PNG, JPEG and PCM bytes), :mod:`~mockserver.toolargs` (values
for schemas), :mod:`~mockserver.structured` (JSON-mode answers),
:mod:`~mockserver.embed`, :mod:`~mockserver.catalog`, :mod:`~mockserver.errors`
(google.rpc.Status envelopes), :mod:`~mockserver.framing` (Google's JSON styles, SSE
framing, write plans), :mod:`~mockserver.responses` (request ->
:class:`~mockserver.responses.Reply`), :mod:`~mockserver.compat_request` and
:mod:`~mockserver.compat_response` (Google's OpenAI-compatible endpoint),
:mod:`~mockserver.codeassist` (Code Assist ``v1internal``), :mod:`~mockserver.oauth`
(token stub) and :mod:`~mockserver.quota` (per-key quotas, clock passed in).

The aiohttp shell is :mod:`~mockserver.app` (``create_app``) with
:mod:`~mockserver.http_core` (state, journal, sending) and one module of routes per
API (``http_gemini``, ``http_compat``, ``http_codeassist``, ``http_admin``,
``http_fixtures``); the CLI
is ``python -m mockserver`` / ``mockserver``.
"""
