"""conformance.checks._refusals.refused_fields: which fields of a refused request the
error answer names, in the words real targets use, and no field the answer only quotes
in passing."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.checks._refusals import refused_fields
from tests.field_cases import answer

GOOGLE = 'Invalid JSON payload received. Unknown name "{}": Cannot find field.'


@pytest.mark.parametrize(
    ("body", "named"),
    [
        # Google's own OpenAI endpoint: its envelope in a top-level array
        (
            [{"error": {"code": 400, "message": GOOGLE.format("parallel_tool_calls")}}],
            ["parallel_tool_calls"],
        ),
        # LiteLLM without drop_params
        (
            {
                "error": {
                    "message": "litellm.UnsupportedParamsError: gemini does not support "
                    "parameters: ['store', 'metadata'], for model=gemini-2.5-flash",
                    "param": None,
                }
            },
            ["metadata", "store"],
        ),
        # OpenAI's own shape: the field in `param`
        (
            {"error": {"message": "Unrecognized request argument supplied", "param": "seed"}},
            ["seed"],
        ),
        # a role is not the `user` field, unless the answer says so in Google's words
        ({"error": {"message": "Invalid role 'user' in messages[0]", "param": None}}, []),
        ({"error": {"message": GOOGLE.format("user")}}, ["user"]),
        # a field quoted where nothing is refused
        ({"error": {"message": "upstream timed out; 'store' was false", "param": None}}, []),
        # the request's own core fields are about content, not presence
        ({"error": {"message": "Invalid 'messages': empty array", "param": "messages"}}, []),
        # not JSON
        (b"Bad Request", []),
    ],
)
def test_the_fields_an_answer_refuses(body: Any, named: list[str]) -> None:
    x = answer("kitchen_sink", body, status=400)
    assert refused_fields(x) == named
