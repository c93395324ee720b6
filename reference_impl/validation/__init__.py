"""Requests checked against the profile's OpenAPI document: the operations and their
compiled checks (:mod:`.operations`), the 400 naming the field of a violation
(:mod:`.violations`) and the widening of a profile's schemas with openai-core's
(:mod:`.widening`). No server code."""
