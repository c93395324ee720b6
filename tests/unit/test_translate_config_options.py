"""002 'Configuration Options' in the reference proxy's translation:
``useContextSystemPrompt`` with a global ``SYSTEM_INSTRUCTION`` (ChatOptions ->
``systemInstruction``/``contents``) and ``passSignatureToClient`` (``thoughtSignature``
next to ``reasoning_content``, unary and streamed); and the settings that carry them."""

from __future__ import annotations

from typing import Any

import pytest

from reference_impl.cli import settings_from_args
from reference_impl.translate.request import ChatOptions, translate_request
from reference_impl.translate.response import StreamTranslator, translate_response

SIG = "RXFRRENrZ0lDaEFD"


def request(*messages: dict[str, Any], **options: Any) -> dict[str, Any]:
    body = {"model": "gemini-2.5-flash", "messages": list(messages)}
    return translate_request(body, options=ChatOptions(**options)).request


def system(text: str, role: str = "system") -> dict[str, Any]:
    return {"role": role, "content": text}


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


# --------------------------------------------------------------------------- system prompt


def test_by_default_system_messages_are_the_system_instruction_as_before() -> None:
    req = request(system("be terse"), system("and kind", "developer"), user("Hi"))
    assert req["systemInstruction"] == {"parts": [{"text": "be terse"}, {"text": "and kind"}]}
    assert req["contents"] == [{"role": "user", "parts": [{"text": "Hi"}]}]
    assert ChatOptions().context_system_prompt is True
    assert ChatOptions().system_instruction == ""


def test_with_context_the_global_instruction_comes_first_joined_by_a_blank_line() -> None:
    req = request(
        system("  be terse "),
        system("and kind"),
        user("Hi"),
        system_instruction="You are a proxy test.",
    )
    assert req["systemInstruction"] == {
        "parts": [{"text": "You are a proxy test.\n\nbe terse\n\nand kind"}]
    }
    assert req["contents"] == [{"role": "user", "parts": [{"text": "Hi"}]}]


def test_a_global_instruction_alone_is_the_system_instruction() -> None:
    req = request(user("Hi"), system_instruction="G")
    assert req["systemInstruction"] == {"parts": [{"text": "G"}]}
    assert "systemInstruction" not in request(user("Hi"), system_instruction="  ")


def test_without_context_system_messages_become_user_turns_and_only_the_global_stays() -> None:
    req = request(
        system("be terse"),
        user("Hi"),
        system_instruction="G",
        context_system_prompt=False,
    )
    assert req["systemInstruction"] == {"parts": [{"text": "G"}]}
    assert req["contents"] == [{"role": "user", "parts": [{"text": "be terse"}, {"text": "Hi"}]}]
    assert "be terse" not in repr(req["systemInstruction"])


def test_without_context_or_global_there_is_no_system_instruction_and_nothing_is_dropped() -> None:
    req = request(
        system("rule one"),
        user("Hi"),
        {"role": "assistant", "content": "Hello"},
        system("rule two", "developer"),
        user("Again"),
        context_system_prompt=False,
    )
    assert "systemInstruction" not in req
    assert req["contents"] == [
        {"role": "user", "parts": [{"text": "rule one"}, {"text": "Hi"}]},
        {"role": "model", "parts": [{"text": "Hello"}]},
        {"role": "user", "parts": [{"text": "rule two"}, {"text": "Again"}]},
    ]


def test_a_conversation_of_only_system_messages_still_has_contents() -> None:
    req = request(system("only this"))
    assert req["contents"] == [{"role": "user", "parts": [{"text": "only this"}]}]
    assert "systemInstruction" not in req
    req = request(system("only this"), system_instruction="G")
    assert req["contents"] == [{"role": "user", "parts": [{"text": "only this"}]}]
    assert req["systemInstruction"] == {"parts": [{"text": "G"}]}
    req = request(system("only this"), context_system_prompt=False)
    assert req["contents"] == [{"role": "user", "parts": [{"text": "only this"}]}]


# --------------------------------------------------------------------------- signatures


def thoughtful(signature: str | None = SIG, thought_text: str = "Let me think...") -> list[Any]:
    thought: dict[str, Any] = {"text": thought_text, "thought": True}
    if signature:
        thought["thoughtSignature"] = signature
    return [thought, {"text": "42", "thoughtSignature": "on-the-answer"}]


def unary(parts: list[Any], **kw: Any) -> dict[str, Any]:
    answer = {"candidates": [{"content": {"parts": parts}, "finishReason": "STOP"}]}
    return translate_response(answer, model="m", created=1, **kw)


def streamed(parts: list[Any], **kw: Any) -> list[dict[str, Any]]:
    t = StreamTranslator(model="m", created=1, include_usage=False, **kw)
    chunks = t.feed({"candidates": [{"content": {"parts": parts}, "index": 0}]})
    chunks += t.feed({"candidates": [{"content": {"parts": []}, "finishReason": "STOP"}]})
    return [c["choices"][0]["delta"] for c in chunks + t.finish()]


def test_signatures_stay_out_of_answers_by_default() -> None:
    message = unary(thoughtful())["choices"][0]["message"]
    assert message == {"role": "assistant", "content": "42", "reasoning_content": "Let me think..."}
    deltas = streamed(thoughtful())
    assert {"reasoning_content": "Let me think..."} in deltas
    assert "thoughtSignature" not in repr(deltas)


def test_passed_signatures_ride_next_to_reasoning_content() -> None:
    message = unary(thoughtful(), pass_signature=True)["choices"][0]["message"]
    assert message["reasoning_content"] == "Let me think..."
    assert message["thoughtSignature"] == SIG
    deltas = streamed(thoughtful(), pass_signature=True)
    assert {"reasoning_content": "Let me think...", "thoughtSignature": SIG} in deltas
    assert {"content": "42"} in deltas  # only thought parts pass their signature


def test_passing_adds_nothing_to_unsigned_thoughts_and_keeps_signed_empty_ones() -> None:
    message = unary(thoughtful(None), pass_signature=True)["choices"][0]["message"]
    assert "thoughtSignature" not in message
    assert "thoughtSignature" not in repr(streamed(thoughtful(None), pass_signature=True))
    deltas = streamed(thoughtful(SIG, ""), pass_signature=True)
    assert {"reasoning_content": "", "thoughtSignature": SIG} in deltas
    assert streamed(thoughtful(SIG, ""))[1:] == [{"content": "42"}, {}]  # none without


# --------------------------------------------------------------------------- settings


def test_settings_defaults_depart_from_002_on_purpose_for_the_system_prompt_only() -> None:
    s = settings_from_args([], {})
    assert (s.system_instruction, s.use_context_system_prompt, s.pass_signature_to_client) == (
        "",
        True,
        False,
    )
    s = settings_from_args(["--profile", "antigravity2api"], {})
    assert (s.use_context_system_prompt, s.pass_signature_to_client) == (True, False)


def test_settings_from_flags_and_environment() -> None:
    env = {
        "SYSTEM_INSTRUCTION": "from env",
        "PROXY_USE_CONTEXT_SYSTEM_PROMPT": "0",
        "PROXY_PASS_SIGNATURE_TO_CLIENT": "true",
    }
    s = settings_from_args([], env)
    assert (s.system_instruction, s.use_context_system_prompt, s.pass_signature_to_client) == (
        "from env",
        False,
        True,
    )
    s = settings_from_args(
        [
            "--system-instruction",
            "from flag",
            "--use-context-system-prompt",
            "--no-pass-signature-to-client",
        ],
        env,
    )
    assert (s.system_instruction, s.use_context_system_prompt, s.pass_signature_to_client) == (
        "from flag",
        True,
        False,
    )
    s = settings_from_args(["--no-use-context-system-prompt", "--pass-signature-to-client"], {})
    assert (s.use_context_system_prompt, s.pass_signature_to_client) == (False, True)


def test_a_bad_switch_in_the_environment_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as info:
        settings_from_args([], {"PROXY_PASS_SIGNATURE_TO_CLIENT": "maybe"})
    assert info.value.code == 2
    assert "PROXY_PASS_SIGNATURE_TO_CLIENT" in capsys.readouterr().err
