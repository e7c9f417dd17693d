"""Provider key of the harm data source (built once in the app's lifespan, read by views)."""

from __future__ import annotations

from gateway.harm.check import HarmSource
from gateway.providers import Key

HARM_SOURCE: Key[HarmSource] = Key("harm.source")
