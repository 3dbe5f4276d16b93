"""Command line: ``python -m emulator``."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
import contextlib
from ipaddress import IPv4Address
import logging
from pathlib import Path
import signal
import sys

from .account import DEFAULT_PAGE_SIZE
from .demo import DEFAULT_SEED, DEMO_LATEST_FIRMWARE
from .dhcp import send_dhcp_request
from .firmware import DEFAULT_RESTART_SECONDS, DEFAULT_STEP_SECONDS
from .guard import TOKEN_QUERY
from .oauth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TOKEN_LIFETIME
from .ratelimit import UNLIMITED_BUDGET, WINDOW_SECONDS
from .server import DEFAULT_DRIFT_INTERVAL, Emulator

_LOGGER = logging.getLogger("emulator")


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def _non_negative_int(value: str) -> int:
    number = int(value)
    if number < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return number


def _non_negative_float(value: str) -> float:
    number = float(value)
    if not number >= 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return number


def _is_unicast_ipv4(host: str) -> bool:
    """Return whether ``host`` is an IPv4 address a hub could be given by DHCP."""
    try:
        address = IPv4Address(host)
    except ValueError:
        return False
    return not (
        address.is_unspecified or address.is_loopback or address.is_multicast
    ) and address != IPv4Address("255.255.255.255")


def build_parser() -> argparse.ArgumentParser:
    """Return the command-line parser."""
    parser = argparse.ArgumentParser(
        prog="python -m emulator",
        description="Emulate a Hearth hub (HTTPS) and the Hearth Cloud (HTTP).",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default: %(default)s)"
    )
    parser.add_argument(
        "--port",
        type=_non_negative_int,
        default=8443,
        help="hub port (default: %(default)s; 0 picks one)",
    )
    parser.add_argument(
        "--cloud-port",
        type=_non_negative_int,
        default=8444,
        help="cloud port (default: %(default)s; 0 picks one)",
    )
    parser.add_argument(
        "--api-key",
        action="append",
        dest="api_keys",
        metavar="KEY",
        help="hub API key with full access; repeatable (default: demo)",
    )
    parser.add_argument(
        "--read-only-key",
        action="append",
        dest="read_only_keys",
        default=[],
        metavar="KEY",
        help="hub API key that may only read; repeatable",
    )
    parser.add_argument(
        "--http",
        action="store_true",
        help="serve the hub over plain HTTP (for curl; the client needs HTTPS)",
    )
    parser.add_argument(
        "--rate-limit",
        type=_positive_int,
        metavar="N",
        help=f"requests per {WINDOW_SECONDS:g} s per key/account (default: {UNLIMITED_BUDGET}, i.e. unlimited)",
    )
    parser.add_argument(
        "--devices",
        type=_non_negative_int,
        metavar="N",
        help="serve a generated home of N devices instead of the demo home",
    )
    parser.add_argument(
        "--advertise", action="store_true", help="announce the hub with mDNS and SSDP"
    )
    parser.add_argument(
        "--ssdp-http-port",
        type=_non_negative_int,
        default=0,
        metavar="PORT",
        help="port of the plain-HTTP UPnP description (default: any free port)",
    )
    parser.add_argument(
        "--cert-file",
        type=Path,
        metavar="PATH",
        help="hub certificate (PEM), with --key-file: read it, or create it when "
        "missing (and rewrite it on rotation), so a restart keeps the fingerprint",
    )
    parser.add_argument(
        "--key-file",
        type=Path,
        metavar="PATH",
        help="private key (PEM) of --cert-file",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=DEFAULT_SEED,
        help="seed of ids, generated homes and drift (default: %(default)s)",
    )
    parser.add_argument(
        "--drift-interval",
        type=float,
        default=DEFAULT_DRIFT_INTERVAL,
        metavar="SECONDS",
        help="how often sensor readings move; 0 disables (default: %(default)s)",
    )
    parser.add_argument(
        "--client-id",
        default=DEFAULT_CLIENT_ID,
        help="OAuth2 client id (default: %(default)s)",
    )
    parser.add_argument(
        "--client-secret",
        default=DEFAULT_CLIENT_SECRET,
        help="OAuth2 client secret (default: %(default)s)",
    )
    parser.add_argument(
        "--token-lifetime",
        type=_positive_int,
        default=DEFAULT_TOKEN_LIFETIME,
        metavar="SECONDS",
        help="access token lifetime (default: %(default)s)",
    )
    parser.add_argument(
        "--cloud-hubs",
        type=_non_negative_int,
        default=1,
        metavar="N",
        help="extra generated hubs on the cloud account (default: %(default)s)",
    )
    parser.add_argument(
        "--cloud-page-size",
        type=_positive_int,
        default=DEFAULT_PAGE_SIZE,
        metavar="N",
        help="hubs per page of GET /v1/hubs (default: %(default)s)",
    )
    parser.add_argument(
        "--redirect-uri",
        action="append",
        dest="redirect_uris",
        default=[],
        metavar="URI",
        help="OAuth2 redirect URI to allow besides Home Assistant's "
        "my.home-assistant.io redirect and loopback URLs; repeatable",
    )
    parser.add_argument(
        "--admin-token",
        metavar="TOKEN",
        help="token the admin API and the hub page require (default: none on "
        "loopback, else a random one, printed at start)",
    )
    parser.add_argument(
        "--firmware-latest",
        default=DEMO_LATEST_FIRMWARE,
        metavar="VERSION",
        help="firmware release the hubs are offered (default: %(default)s; the "
        "hub's own version makes it up to date)",
    )
    parser.add_argument(
        "--firmware-step",
        type=_non_negative_float,
        default=DEFAULT_STEP_SECONDS,
        metavar="SECONDS",
        help="time between the progress reports of a firmware install, five in "
        "all (default: %(default)s)",
    )
    parser.add_argument(
        "--firmware-restart",
        type=_non_negative_float,
        default=DEFAULT_RESTART_SECONDS,
        metavar="SECONDS",
        help="how long a hub is down, restarting, after a firmware install "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--dhcp-interface",
        metavar="INTERFACE",
        help="once serving, announce the hub by DHCP on INTERFACE, as a hub"
        " rejoining the network does: a DHCPREQUEST for the --host address with"
        " the hub's MAC and host name (Linux, root; only on a network you own)",
    )
    parser.add_argument(
        "--log-level",
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="(default: %(default)s)",
    )
    return parser


def banner(emu: Emulator, args: argparse.Namespace) -> str:
    """Return the start-up text; it shows the demo keys on purpose."""
    keys = ", ".join(emu.api_keys) or "(none)"
    if emu.read_only_keys:
        keys += f"  (read-only: {', '.join(emu.read_only_keys)})"
    limit = (
        f"{args.rate_limit} requests per {WINDOW_SECONDS:g} s per key/account"
        if args.rate_limit
        else f"none (headers report {UNLIMITED_BUDGET} per {WINDOW_SECONDS:g} s)"
    )
    latest = emu.home.firmware.latest
    firmware = "none" if latest is None or latest == emu.hub.firmware else latest
    token = emu.admin_token
    if token is None:
        page, admin = emu.page_url, "emulator only; no token needed on loopback"
    else:
        page = f"{emu.page_url}?{TOKEN_QUERY}={token}"
        admin = f"emulator only; send 'Authorization: Bearer {token}'"
    lines = [
        "Hearth emulator is running",
        f"  Hub API      {emu.hub_url}/api/v1   (hub {emu.hub_id}, {len(emu.home.devices)} devices)",
        f"  API keys     {keys}",
        f"  Fingerprint  {emu.fingerprint or '(plain HTTP, no certificate)'}",
        f"  Hub page     {page}",
        f"  Admin API    {emu.hub_url}/admin   ({admin})",
        f"  Cloud API    {emu.cloud_url}/v1   ({len(emu.account.hubs)} hubs on the account)",
        f"  OAuth2       authorize {emu.authorize_url}",
        f"               token     {emu.token_url}",
        f"               client id {emu.client_id}   secret {emu.client_secret}",
        f"  Rate limit   {limit}",
        f"  Firmware     {emu.hub.firmware} installed, {firmware} offered",
    ]
    if args.advertise:
        lines.append(
            f"  SSDP         {emu.ssdp_location or '(not announced, see the warnings)'}"
        )
    lines += [
        "",
        f"  Try: curl -k -H 'Authorization: Bearer {emu.api_keys[0] if emu.api_keys else 'KEY'}' {emu.hub_url}/api/v1/state",
        "",
        "Press Ctrl+C to stop.",
    ]
    return "\n".join(lines)


def announce_by_dhcp(emu: Emulator, interface: str, address: IPv4Address) -> None:
    """Send the hub's DHCPREQUEST for ``address`` on ``interface``; warn if it fails."""
    try:
        send_dhcp_request(interface, emu.hub.mac, emu.hub_id, address)
    except OSError as err:
        _LOGGER.warning("DHCP: cannot announce the hub on %s: %s", interface, err)
        return
    _LOGGER.info("DHCP: requested %s for %s on %s", address, emu.hub_id, interface)


async def run(args: argparse.Namespace) -> int:
    """Run until SIGINT or SIGTERM."""
    emu = Emulator(
        api_keys=args.api_keys or ["demo"],
        read_only_keys=args.read_only_keys,
        rate_limit=args.rate_limit,
        devices=args.devices,
        drift_interval=args.drift_interval,
        tls=not args.http,
        seed=args.seed,
        client_id=args.client_id,
        client_secret=args.client_secret,
        token_lifetime=args.token_lifetime,
        cloud_hubs=args.cloud_hubs,
        page_size=args.cloud_page_size,
        advertise=args.advertise,
        ssdp_http_port=args.ssdp_http_port,
        certificate_files=(args.cert_file, args.key_file) if args.cert_file else None,
        admin_token=args.admin_token,
        redirect_uris=args.redirect_uris,
        firmware_latest=args.firmware_latest,
        firmware_step=args.firmware_step,
        firmware_restart=args.firmware_restart,
    )
    try:
        await emu.start(host=args.host, port=args.port, cloud_port=args.cloud_port)
    except OSError as err:
        _LOGGER.error("Cannot start: %s", err)
        return 1
    except ValueError as err:
        _LOGGER.error("Cannot read the certificate files: %s", err)
        return 1
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    sys.stdout.write(banner(emu, args) + "\n")
    sys.stdout.flush()
    if args.dhcp_interface:
        announce_by_dhcp(emu, args.dhcp_interface, IPv4Address(args.host))
    try:
        await stop.wait()
    finally:
        _LOGGER.info("Stopping")
        await emu.stop()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the arguments and run the emulator."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if (args.cert_file is None) != (args.key_file is None):
        parser.error("--cert-file and --key-file go together")
    if args.dhcp_interface and not _is_unicast_ipv4(args.host):
        parser.error("--dhcp-interface needs the hub's own IPv4 address as --host")
    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        return asyncio.run(run(args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
