"""The command line parses its documented options."""

from __future__ import annotations

from emulator.__main__ import build_parser


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


def test_defaults() -> None:
    """Without options: the demo key, ports 8443/8444, no rate limit."""
    args = build_parser().parse_args([])
    assert args.api_keys is None
    assert (args.host, args.port, args.cloud_port) == ("127.0.0.1", 8443, 8444)
    assert args.rate_limit is None
    assert args.drift_interval == 30.0
