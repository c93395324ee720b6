"""What the proxy keeps between requests: the admin API's SQLite database
(:mod:`.admin`), generated images on disk (:mod:`.images`) and the bounded memory of
thought signatures (:mod:`.signatures`)."""
