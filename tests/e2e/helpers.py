"""Helpers for tests that talk to a live gateway over HTTP."""

from __future__ import annotations

import httpx


def bearer(base_url: str, client_id: str, secret: str) -> dict[str, str]:
    """An Authorization header from the client-credentials grant (asserts it was issued)."""
    r = httpx.post(
        f"{base_url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id, secret),
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def cut_release(base_url: str, auth: dict[str, str], dataset: str) -> dict[str, object]:
    """Cut a release as governance (views read releases only); asserts it was published."""
    r = httpx.post(f"{base_url}/v1/admin/releases", json={"dataset": dataset}, headers=auth)
    assert r.status_code == 201, r.text
    release: dict[str, object] = r.json()
    return release
