"""The reporting page in Debian's Chromium (Playwright), JavaScript off: anonymous end to end.

Defends against the page leaking who reports: it must work with no script, load nothing from
another origin, and leave neither the client address nor its user agent in the metadata DB,
the store or the logs, before or after governance releases the report.
"""

from __future__ import annotations

import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import structlog
from playwright.sync_api import Browser, Page, sync_playwright

from gateway.settings import Settings
from tests.public.live import Live, database_text, live_gateway, store_text

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update"]  # fmt: skip
CLIENT_ADDRESS = "127.0.0.1"  # where Chromium connects from
EXTERNAL = re.compile(r"""(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


@pytest.fixture
def restore_structlog() -> Iterator[None]:
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def live(
    settings: Settings, capfd: pytest.CaptureFixture[str], restore_structlog: None
) -> Iterator[Live]:
    settings.log_json = True
    with live_gateway(settings) as gateway:
        yield gateway


def test_form_in_chromium_without_javascript_leaves_no_client_trace(
    live: Live, browser: Browser, capfd: pytest.CaptureFixture[str]
) -> None:
    agent = f"BeaconProbe/{uuid.uuid4().hex}"
    context = browser.new_context(
        java_script_enabled=False, user_agent=agent, locale="fr-FR", extra_http_headers={}
    )
    page = context.new_page()
    response = page.goto(f"{live.url}/report")
    assert response is not None and response.status == 200
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    html = page.content()
    assert page.locator("html").get_attribute("lang") == "fr"  # from Accept-Language
    assert "<script" not in html.lower() and not EXTERNAL.search(html)
    assert page.get_by_role("heading", level=1).inner_text().startswith("Signaler")

    # An empty form: an error summary naming both required fields, nothing sent.
    page.get_by_role("button", name="Envoyer le signalement").click()
    summary = page.get_by_role("alert")
    assert "Il y a un problème" in summary.inner_text()
    assert summary.locator("a[href='#country']").count() == 1
    assert summary.locator("a[href='#narrative']").count() == 1
    assert live.held() == []

    page.goto(f"{live.url}/report?lang=en")
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_label("Country", exact=True).select_option("GB")
    page.get_by_label("Region, state or province (optional)").fill("England")
    page.get_by_label("People forced to work or not paid").check()
    page.get_by_label("What kind of place is it? (optional)").select_option("agriculture")
    page.get_by_label("When did you see it? (optional)").fill("2026-09")
    page.get_by_label("What did you see or hear?").fill(
        "Workers sleep in a barn and their passports were taken. "
        "Write to boss.farm@example.org or ring 07700 900123."
    )
    page.get_by_label("Show me a reference for this report").check()
    page.get_by_role("button", name="Send the report").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Thank you")
    reference = page.locator("#reference").inner_text()
    assert "Sample Helpline North" in page.content()  # the help line of the chosen country
    assert "not real organisations" in page.content()
    assert "<script" not in page.content().lower() and not EXTERNAL.search(page.content())
    context.close()

    held = live.held()
    assert [h["id"] for h in held] == [reference]
    report = held[0]
    assert report["country"] == "GB" and report["admin1"] == "GB-ENG"
    narrative = str(report["narrative"])
    assert "boss.farm@example.org" not in narrative and "900123" not in narrative
    assert "passports" in narrative

    ops = live.tokens["beacon-ops"]
    released = httpx.post(f"{live.url}/v1/admin/public-reports/{reference}/release", headers=ops)
    assert released.status_code == 200, released.text
    assert live.live_rows().column("report_id").to_pylist().count(reference) == 1

    logs = capfd.readouterr()
    for where, text in (
        ("database", database_text(live.settings)),
        ("store", store_text(live.settings, live)),
        ("logs", logs.out + logs.err),
    ):
        assert agent not in text and "BeaconProbe" not in text, where
        assert CLIENT_ADDRESS not in text, where
    assert "http.request" in logs.err  # the request log did run, with method/path/status only


def test_page_in_spanish_by_query_and_help_lines_without_submitting(
    live: Live, browser: Browser
) -> None:
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    page.goto(f"{live.url}/report?lang=es")
    assert page.locator("html").get_attribute("lang") == "es"
    page.get_by_label("Buscar líneas de ayuda de un país").select_option("ES")
    page.get_by_role("button", name="Mostrar líneas de ayuda").click()
    assert "Línea de ejemplo" in page.content()
    assert page.locator("html").get_attribute("lang") == "es"
    for label in page.locator("form[method='post'] [name]").all():
        name = label.get_attribute("name")
        kind = label.get_attribute("type")
        if kind in ("hidden", "radio") or name is None:
            continue
        ident = label.get_attribute("id")
        assert page.locator(f"label[for='{ident}']").count() == 1, name  # every field labelled
    context.close()


@pytest.fixture(scope="module")
def axe_source() -> str:
    """axe-core from the npm registry (vendored into the cache by tests/fetch-axe.sh)."""
    script = Path(__file__).resolve().parents[1] / "fetch-axe.sh"
    path = subprocess.run([str(script)], check=True, capture_output=True, text=True).stdout
    return Path(path.strip()).read_text(encoding="utf-8")


def _axe_violations(page: Page, axe: str) -> list[str]:
    page.add_script_tag(content=axe)
    result = page.evaluate(
        "() => axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"
    )
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])})" for v in result["violations"]]


def test_form_error_and_confirmation_pages_pass_axe(
    live: Live, browser: Browser, axe_source: str
) -> None:
    # JavaScript on and CSP bypassed only so the test can inject axe; the page has no script.
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto(f"{live.url}/report?lang=en&country=GB")
    assert _axe_violations(page, axe_source) == []
    page.get_by_role("button", name="Send the report").click()
    assert page.get_by_role("alert").count() == 1
    assert _axe_violations(page, axe_source) == []
    page.get_by_label("Country", exact=True).select_option("FR")
    page.get_by_label("What did you see or hear?").fill("A child sells flowers every night.")
    page.get_by_role("button", name="Send the report").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Thank you")
    assert _axe_violations(page, axe_source) == []
    # Control: the checker does see a planted fault (an unlabelled field).
    page.evaluate("() => document.querySelector('main').append(document.createElement('input'))")
    assert any(v.startswith("label:") for v in _axe_violations(page, axe_source))
    context.close()
