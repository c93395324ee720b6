"""The reference OpenAI-compatible proxy in front of Gemini (v1beta, or Code Assist).

Every conformance check must pass against it (docs/architecture.md); ``--profile NAME`` makes it
follow one documented system's contract (:mod:`.contract`). Layout, each layer importing
only the ones below it:

- :mod:`.__main__` (``reference-proxy``) and :mod:`.cli` (its click options: flags and
  environment variables -> :class:`.settings.Settings`);
- :mod:`.app`: ``create_app(settings)``, the thin aiohttp shell;
- :mod:`.routes`: one endpoint family per module, a handler class bound to what it uses;
- :mod:`.server`: the proxy's state split by concern, each component under a typed
  ``web.AppKey`` (:mod:`.server.appkeys`), and the request plumbing (client keys, the
  document's checks, error envelopes);
- I/O: :mod:`.upstream` (the shared aiohttp session, retries, the Code Assist envelope,
  OAuth), :mod:`.stores` (the admin SQLite database, served images, thought signatures);
  :mod:`.validation` (the profile document's checks, built once);
- :mod:`.policy` (pure, clock injected): the credential pool, the retry policy,
  gemini-reverse's rate limits;
- :mod:`.translate` (pure, no I/O, property-testable): OpenAI <-> Gemini for chat,
  embeddings, images, speech and text, errors, field checks, media sniffing;
- configuration: :mod:`.settings` (frozen, validated), :mod:`.contract` (per profile).

Importing the package imports nothing else, so the translators load without aiohttp.
"""
