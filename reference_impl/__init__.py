"""The reference OpenAI-compatible proxy in front of Gemini v1beta.

Every conformance check must pass against it (DESIGN.md). Layout: :mod:`.settings`
(CLI flags and env), :mod:`.translate` (pure OpenAI <-> Gemini translation, re-exporting
:mod:`.translate_request`, :mod:`.translate_response`, :mod:`.thinking`, :mod:`.schema`,
:mod:`.errors`), :mod:`.signatures` (thought-signature memory), :mod:`.upstream` (the
aiohttp client), :mod:`.app` (``create_app``) and :mod:`.__main__` (``reference-proxy``).
Importing the package imports nothing else, so the translators load without aiohttp.
"""
