"""The hub page, ``GET /``: self-contained HTML that drives the admin API."""

from __future__ import annotations

import re

from emulator import Emulator

from .http import RawHub


async def test_page_shows_the_hub(raw_hub: RawHub, emu: Emulator) -> None:
    """An HTML page naming the hub, with its scripts allowed by a nonce only."""
    reply = await raw_hub.request("GET", "/", key=None)
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("text/html")
    page = reply.body.decode()
    assert f'<h1 id="hub-name">{emu.hub.name}</h1>' in page
    assert f'<dd id="hub-id">{emu.hub_id}</dd>' in page
    assert '<ul id="devices" aria-label="Devices"' in page
    # It reads and changes the home through the admin API, on its own origin.
    assert 'call("GET", "/admin")' in page
    assert '"/admin/devices/"' in page
    assert '"/press"' in page
    assert 'call("POST", "/admin/firmware/install")' in page
    assert '<button type="button" id="hub-firmware-install" hidden>' in page
    assert '{"token":null}' in page

    policy = reply.headers["Content-Security-Policy"]
    nonce = re.search(r"script-src 'nonce-([\w-]+)'", policy)
    assert nonce is not None
    assert page.count(f'nonce="{nonce.group(1)}"') == 2
    assert "frame-ancestors 'none'" in policy
    assert "connect-src 'self'" in policy
    assert reply.headers["X-Frame-Options"] == "DENY"
    assert reply.headers["Referrer-Policy"] == "no-referrer"
    assert reply.headers["Cache-Control"] == "no-store"
    # Nothing from elsewhere: no URL at all in the page.
    assert "http://" not in page
    assert "https://" not in page


async def test_page_escapes_names(raw_hub: RawHub, emu: Emulator) -> None:
    """A hub name with markup is shown as text, not run."""
    emu.update_hub(name="<script>alert(1)</script>")
    page = (await raw_hub.request("GET", "/", key=None)).body.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


async def test_page_is_new_each_time(raw_hub: RawHub) -> None:
    """Every answer has its own nonce."""
    first = await raw_hub.request("GET", "/", key=None)
    second = await raw_hub.request("GET", "/", key=None)
    assert (
        first.headers["Content-Security-Policy"]
        != second.headers["Content-Security-Policy"]
    )


async def test_page_is_not_counted(raw_hub: RawHub, emu: Emulator) -> None:
    """Like the admin API, the page neither counts in statistics nor gets faults."""
    emu.add_fault("server_error")
    assert (await raw_hub.request("GET", "/", key=None)).status == 200
    assert emu.stats.to_json()["total"] == 0
