"""The emulator answers as docs/openapi.yaml says, checked by schemathesis.

Schemathesis generates valid and invalid requests from the spec for every
operation of the hub, the cloud, the OAuth2 server and the hub page, sends
them to an emulator on loopback and checks each answer: no server error, a
documented status, content type, headers and body schema. Generation is
deterministic and bounded (examples per operation, one worker), so the four
runs take about a minute and find the same things every time.

The CLI runs in a subprocess: it is schemathesis' complete runner (examples,
coverage, fuzzing and stateful phases), and the emulator keeps serving in
this test's event loop meanwhile.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
import sys

import pytest

from emulator import Emulator
from tests.harness.processes import child_env

from .http import KEY

SPEC = Path(__file__).parents[2] / "docs" / "openapi.yaml"
MAX_EXAMPLES = 15
#: Checks of every answer; the others need state or auth set-ups beyond this.
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)
#: A run that takes longer than this is stuck.
RUN_TIMEOUT = 240


async def schemathesis(
    tmp_path: Path, name: str, base_url: str, *options: str
) -> tuple[int, str]:
    """Run the schemathesis CLI over the spec; return its exit code and output."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        str(SPEC),
        "--url",
        base_url,
        "--include-tag",
        name,
        "--checks",
        ",".join(CHECKS),
        "--generation-deterministic",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--workers",
        "1",
        "--tls-verify",
        "false",
        "--no-color",
        "--report-dir",
        str(tmp_path / name),
        *options,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=tmp_path,
        env=child_env(),
    )
    async with asyncio.timeout(RUN_TIMEOUT):
        output, _ = await process.communicate()
    return process.returncode or 0, output.decode(errors="replace")


@pytest.mark.parametrize("name", ["hub", "cloud", "oauth", "page"])
async def test_emulator_conforms_to_the_spec(
    emu: Emulator, tmp_path: Path, name: str
) -> None:
    """0 server errors and 0 answers that break the spec, per API."""
    # The first firmware install stays at 0 % for the whole run, so that the
    # hub does not go down to restart under schemathesis' feet; later ones
    # get 409 install_in_progress. tests/emulator/test_firmware.py covers
    # the install itself.
    emu.update_firmware({"step_seconds": RUN_TIMEOUT * 10})
    (tmp_path / "schemathesis.toml").write_text(
        # The RGB light with effects: the widest set of valid commands.
        f'[parameters]\nhub_id = "{emu.hub_id}"\ndevice_id = "light-4"\n',
        encoding="utf-8",
    )
    if name == "hub":
        options: tuple[str, ...] = (
            f"{emu.hub_url}/api/v1",
            "--header",
            f"Authorization: Bearer {KEY}",
            # A WebSocket upgrade; tests/emulator/test_admin.py covers it.
            "--exclude-operation-id",
            "streamEvents",
        )
    elif name == "cloud":
        token = emu.issue_token()["access_token"]
        options = (
            f"{emu.cloud_url}/v1",
            "--header",
            f"Authorization: Bearer {token}",
            # A WebSocket upgrade; tests/emulator/test_cloud_events.py covers it.
            "--exclude-operation-id",
            "streamCloudEvents",
        )
    elif name == "oauth":
        options = (emu.cloud_url,)
    else:
        options = (emu.hub_url,)
    code, output = await schemathesis(tmp_path, name, *options)
    assert code == 0, output
    assert "No test cases were generated" not in output
