"""The command line parses its documented options."""

from __future__ import annotations

import pytest

from emulator import Emulator
from emulator.__main__ import banner, build_parser


def test_options() -> None:
    """Every documented option keeps its name."""
    args = build_parser().parse_args(
        [
            "--host", "192.0.2.10",
            "--port", "9443",
            "--cloud-port", "9444",
            "--api-key", "a",
            "--api-key", "b",
            "--read-only-key", "r",
            "--http",
            "--rate-limit", "5",
            "--devices", "1000",
            "--advertise",
            "--seed", "3",
            "--drift-interval", "0",
            "--client-id", "id",
            "--client-secret", "secret",
            "--token-lifetime", "60",
            "--cloud-hubs", "4",
            "--redirect-uri", "https://ha.example/auth/external/callback",
            "--redirect-uri", "https://other.example/cb",
            "--admin-token", "t0ken",
            "--firmware-latest", "2.0.0",
            "--firmware-step", "0.25",
            "--firmware-restart", "0",
        ]
    )  # fmt: skip
    assert args.api_keys == ["a", "b"]
    assert args.read_only_keys == ["r"]
    assert (args.port, args.cloud_port, args.rate_limit, args.devices) == (
        9443,
        9444,
        5,
        1000,
    )
    assert args.http
    assert args.advertise
    assert (args.client_id, args.client_secret, args.token_lifetime) == (
        "id",
        "secret",
        60,
    )
    assert (args.seed, args.drift_interval, args.cloud_hubs) == (3, 0.0, 4)
    assert args.redirect_uris == [
        "https://ha.example/auth/external/callback",
        "https://other.example/cb",
    ]
    assert args.admin_token == "t0ken"
    assert (args.firmware_latest, args.firmware_step, args.firmware_restart) == (
        "2.0.0",
        0.25,
        0.0,
    )


def test_defaults() -> None:
    """Without options: the demo key, ports 8443/8444, no rate limit."""
    args = build_parser().parse_args([])
    assert args.api_keys is None
    assert (args.host, args.port, args.cloud_port) == ("127.0.0.1", 8443, 8444)
    assert args.rate_limit is None
    assert args.drift_interval == 30.0
    assert (args.firmware_latest, args.firmware_step, args.firmware_restart) == (
        "1.5.0",
        1.0,
        5.0,
    )


def test_firmware_timings_are_not_negative() -> None:
    """A negative time is refused by the parser."""
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--firmware-step", "-1"])


async def test_banner_names_the_page_and_the_token(socket_enabled: None) -> None:
    """With a token, the start-up text gives the page URL that carries it."""
    args = build_parser().parse_args(["--admin-token", "t0ken"])
    async with Emulator(drift_interval=0, admin_token="t0ken") as emu:
        text = banner(emu, args)
    assert f"Hub page     {emu.hub_url}/?token=t0ken" in text
    assert "Authorization: Bearer t0ken" in text


async def test_banner_on_loopback_without_token(socket_enabled: None) -> None:
    """On loopback without a token, the page URL is plain."""
    args = build_parser().parse_args([])
    async with Emulator(drift_interval=0) as emu:
        text = banner(emu, args)
    assert f"Hub page     {emu.hub_url}/\n" in text
    assert "no token needed on loopback" in text
    assert "Firmware     1.4.2 installed, 1.5.0 offered" in text
