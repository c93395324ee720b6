"""The chat options in force: what a chat request gets when it omits a field, and
antigravity2api's 'Configuration Options'.

They start from the profile (:class:`~reference_impl.contract.Contract` defaults, thinking
rules, safety) and the settings (``--system-instruction``,
``--[no-]use-context-system-prompt``, ``--[no-]pass-signature-to-client``); antigravity2api's
``PUT /admin/config`` replaces them at run time (:meth:`ChatConfig.apply`). Each chat
request reads them once, when it starts.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ..contract import SAFETY_CATEGORIES, Contract
from ..settings import Settings
from ..translate.request import ChatOptions
from ..translate.thinking import Rules

__all__ = ["ChatConfig"]


class ChatConfig:
    """The chat options of one application; :attr:`options` is what
    :func:`~reference_impl.translate.request.translate_request` takes."""

    __slots__ = (
        "_contract",
        "_thinking",
        "defaults",
        "options",
        "pass_signature_to_client",
        "system_instruction",
        "use_context_system_prompt",
    )

    def __init__(self, contract: Contract, settings: Settings) -> None:
        self._contract = contract
        self._thinking = (
            Rules(contract.efforts, contract.budget_range, contract.default_budget)
            if contract.efforts is not None or contract.default_budget is not None
            else None
        )
        self.defaults: Mapping[str, object] = MappingProxyType({})
        """Request fields applied when a chat request omits them."""
        self.system_instruction = ""
        """antigravity2api ``SYSTEM_INSTRUCTION``: first in every ``systemInstruction``."""
        self.use_context_system_prompt = True
        """antigravity2api ``other.useContextSystemPrompt``: client system messages join it."""
        self.pass_signature_to_client = False
        """antigravity2api ``other.passSignatureToClient``: ``thoughtSignature`` next to
        ``reasoning_content``."""
        self.options = ChatOptions()
        self.apply(
            defaults=contract.defaults,
            system_instruction=settings.system_instruction,
            use_context_system_prompt=settings.use_context_system_prompt,
            pass_signature_to_client=settings.pass_signature_to_client,
        )

    def apply(
        self,
        *,
        defaults: Mapping[str, object],
        system_instruction: str,
        use_context_system_prompt: bool,
        pass_signature_to_client: bool,
    ) -> None:
        """Put these options in force for every chat request that starts from now on."""
        c = self._contract
        self.defaults = MappingProxyType(dict(defaults))
        self.system_instruction = system_instruction
        self.use_context_system_prompt = use_context_system_prompt
        self.pass_signature_to_client = pass_signature_to_client
        self.options = ChatOptions(
            default_model=c.default_model,
            stream_default=c.stream_default,
            defaults=self.defaults,
            thinking=self._thinking,
            safety_off=c.safety_off,
            safety_categories=SAFETY_CATEGORIES,
            system_instruction=system_instruction,
            context_system_prompt=use_context_system_prompt,
        )
