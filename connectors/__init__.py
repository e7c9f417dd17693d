"""Beacon partner-side connector: map, protect, validate and upload data to the gateway.

Runs on partner premises. Direct identifiers are dropped or pseudonymised here, before any
byte leaves the partner's machine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from connectors.sdk import Client, PushResult

__all__ = ["Client", "PushResult"]


def __getattr__(name: str) -> Any:
    # Lazy: ``import connectors`` stays cheap; ``connectors.Client`` loads the SDK on first use.
    if name in __all__:
        from connectors import sdk

        return getattr(sdk, name)
    raise AttributeError(f"module 'connectors' has no attribute {name!r}")
