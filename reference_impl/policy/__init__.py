"""Pure policies of the proxy, each with an injected clock: the upstream credential pool
and its rotation (:mod:`.keys`), what a failed upstream attempt means (:mod:`.retry`) and
gemini-reverse's documented client rate limits (:mod:`.ratelimit`). No I/O."""
