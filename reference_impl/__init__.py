"""The reference OpenAI-compatible proxy in front of Gemini (v1beta, or Code Assist).

Every conformance check must pass against it (docs/architecture.md); ``--profile NAME`` makes it
follow one documented system's contract (:mod:`.contract`). Layout:

- configuration: :mod:`.settings` (CLI flags and env), :mod:`.contract` (per profile);
- pure translation (no I/O, property-testable): :mod:`.translate` (chat, re-exporting
  :mod:`.translate_request`, :mod:`.translate_response`, :mod:`.thinking`,
  :mod:`.schema`, :mod:`.errors`), :mod:`.content`, :mod:`.translate_embeddings`,
  :mod:`.translate_images`, :mod:`.translate_audio`, :mod:`.translate_text`,
  :mod:`.catalog`, :mod:`.media`, :mod:`.fields`;
- policies (pure, clock injected): :mod:`.keys` (credential pool and rotation),
  :mod:`.retry` (what a failed attempt means), :mod:`.ratelimit` (gemini-reverse's limits);
- I/O: :mod:`.upstream` (the shared aiohttp session, retries, Code Assist envelope),
  :mod:`.oauth` (refresh -> access tokens), :mod:`.signatures`, :mod:`.image_store`,
  :mod:`.admin_store` (SQLite);
- the server: :mod:`.state` (shared state, auth, error envelopes), one ``routes_*``
  module per area, :mod:`.app` (``create_app``) and :mod:`.__main__`
  (``reference-proxy``).

Importing the package imports nothing else, so the translators load without aiohttp.
"""
