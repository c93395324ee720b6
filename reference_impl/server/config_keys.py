"""The keys of the application's two frozen inputs, ``SETTINGS`` (flags and environment)
and ``CONTRACT`` (the profile's behaviour), apart from :mod:`.appkeys` so the request
plumbing (:mod:`.http`) can read them without importing the module that names every
component (which would close an import cycle through the components' types)."""

from __future__ import annotations

from aiohttp import web

from ..contract import Contract
from ..settings import Settings

__all__ = ["CONTRACT", "SETTINGS"]

SETTINGS: web.AppKey[Settings] = web.AppKey("settings")
CONTRACT: web.AppKey[Contract] = web.AppKey("contract")
