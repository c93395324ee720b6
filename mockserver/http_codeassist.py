"""Code Assist ``/v1internal:{method}`` and the OAuth token stub (docs/gemini-wire.md A7).

- ``POST /v1internal:generateContent`` | ``:streamGenerateContent`` (``?alt=sse``, else
  a JSON array) | ``:countTokens`` | ``:loadCodeAssist`` | ``:onboardUser`` |
  ``:fetchAvailableModels``; envelopes and bodies in :mod:`mockserver.codeassist`;
- ``POST /oauth2/token`` and ``POST /token``: :mod:`mockserver.oauth`.

Code Assist takes only ``Authorization: Bearer <token>`` with a token the stub issued:
no credentials is a 401 ``CREDENTIALS_MISSING``, an API key a 401 (keys are not
supported), another token a 401 ``UNAUTHENTICATED``. Directives work on the generate
methods as on ``generateContent``; a capture (``capture=NAME``) is replayed with each
answer object in the Code Assist envelope (:mod:`mockserver.captures`). Everything is
journaled; the token endpoint's body is recorded with its secrets redacted and the
refresh token by fingerprint.
"""

from __future__ import annotations

import orjson
from aiohttp import web

from httplane import LANES
from mockserver import codeassist, errors
from mockserver.captures import Captures
from mockserver.http_core import Core, Incoming
from mockserver.oauth import parse_form, redact_form
from mockserver.request import include_thoughts, parse_json, streams_call_arguments
from mockserver.responses import (
    Handled,
    Reply,
    error_reply,
    generate,
    generate_error,
    json_reply,
    replay_or_error,
    select_directive,
)
from spec.scenarios import DIRECTIVE_HEADER, Directive

__all__ = ["add_codeassist_routes"]

_METHODS = codeassist.GENERATE_METHODS | codeassist.ACCOUNT_METHODS | {"countTokens"}
_OAUTH_HEADERS = (("Content-Type", "application/json; charset=utf-8"),)


def add_codeassist_routes(
    app: web.Application, core: Core, captures: Captures | None = None
) -> None:
    """Register ``/v1internal:{method}``, ``/oauth2/token`` and ``/token``; ``captures``:
    what ``capture=NAME`` directives replay (none: such a call is a 400)."""

    def auth(request: Incoming, method: str) -> tuple[str, Reply | None]:
        header = request.headers.get("authorization", "")
        if header[:7].lower() == "bearer " and header[7:].strip():
            subject = core.issuer.subject(header[7:].strip())
            if subject is None:
                return "", error_reply(errors.access_token_invalid())
            return subject, None
        if request.headers.get("x-goog-api-key") or request.query.get("key"):
            return "", error_reply(errors.api_keys_not_supported())
        name = method[:1].upper() + method[1:]
        return "", error_reply(errors.credentials_missing(name))

    def generate_call(request: Incoming, method: str, raw: bytes) -> Handled:
        try:
            envelope = codeassist.parse_envelope(parse_json(raw))
            header = request.headers.get(DIRECTIVE_HEADER)
            directive = select_directive(envelope.request, header, core.pop_queued)
        except errors.GoogleError as exc:
            return Handled(generate_error(exc))
        stream = method == "streamGenerateContent"
        sse = stream and request.query.get("alt") == "sse"
        if directive.capture is not None:
            replay = None
            if captures is not None:

                def replay(d: Directive) -> Reply:
                    return captures.reply(
                        d,
                        stream=stream,
                        sse=sse,
                        codeassist=True,
                        thoughts=include_thoughts(envelope.request),
                        streamed_args=streams_call_arguments(envelope.request),
                    )

            return Handled(replay_or_error(directive, replay), directive)
        reply = generate(
            envelope.model,
            envelope.request,
            directive,
            core.seed,
            stream=stream,
            sse=sse,
            wrap=codeassist.wrap,
        )
        return Handled(reply, directive)

    def account_call(method: str, subject: str, raw: bytes) -> Reply:
        body = parse_json(raw) if raw.strip() else None
        if method == "countTokens":
            return json_reply(codeassist.count_tokens(body))
        if method == "loadCodeAssist":
            onboarded = core.onboarded.get(subject)
            return json_reply(codeassist.load_code_assist(body, subject, onboarded))
        if method == "onboardUser":
            project, operation = codeassist.onboard_user(body, subject)
            core.onboarded[subject] = project
            return json_reply(operation)
        return json_reply(codeassist.available_models())

    async def v1internal(request: Incoming) -> web.StreamResponse:
        method = request.match_info["method"]
        raw = await request.read()
        if method not in _METHODS:
            return await core.send(request, Handled(error_reply(errors.method_not_found())), raw)
        subject, denied = auth(request, method)
        if denied is not None:
            return await core.send(request, Handled(denied), raw)
        if method in codeassist.GENERATE_METHODS:
            return await core.send(request, generate_call(request, method, raw), raw)
        try:
            reply = account_call(method, subject, raw)
        except errors.GoogleError as exc:
            reply = error_reply(exc)
        return await core.send(request, Handled(reply), raw)

    async def token(request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        form = parse_form(raw, request.headers.get("content-type", ""))
        status, body = core.issuer.grant(form)
        reply = Reply(status, _OAUTH_HEADERS, orjson.dumps(body, option=orjson.OPT_INDENT_2))
        secrets = (("body:refresh_token", form.get("refresh_token", "")),)
        recorded = orjson.dumps(redact_form(form))
        return await core.send(request, Handled(reply), recorded, secrets)

    lanes = app.get(LANES)
    if lanes is not None:  # generateContent / streamGenerateContent are hot routes too
        lanes.add_post_segment("/v1internal:", "method", v1internal)
    app.router.add_post("/v1internal:{method}", v1internal)
    app.router.add_post("/oauth2/token", token)
    app.router.add_post("/token", token)
