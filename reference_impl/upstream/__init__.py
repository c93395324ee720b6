"""The only code that talks to Google: the shared aiohttp client with its retries and
the Code Assist envelope (:mod:`.client`), and OAuth refresh -> access tokens
(:mod:`.oauth`)."""
