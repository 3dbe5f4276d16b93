"""The config flow of Hearth Cloud accounts, through OAuth2 against the emulator.

Every authorization runs for real: the authorize URL is followed to the
emulator's cloud, its redirect is delivered to Home Assistant's OAuth2
callback, and the token exchange and ``GET /v1/me`` hit the emulator.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

from aiohttp import ClientSession
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState, ConfigFlowResult
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import config_entry_oauth2_flow
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from yarl import URL

from custom_components.hearth.const import CLOUD_URL_ENV, DOMAIN
from emulator import Emulator
from tests.harness.emulators import REDIRECT_URI, make_emulator
from tests.integration.helpers import (
    GET_ME,
    POST_TOKEN,
    account_entry,
    start_user_flow,
    user_input,
)

pytestmark = pytest.mark.usefixtures(
    "current_request_with_host", "application_credentials"
)


@pytest.fixture
async def other_account(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, application_credentials: None
) -> AsyncGenerator[Emulator]:
    """Run a second cloud, of another account, and point the integration at it."""
    other = make_emulator(
        seed=2,
        redirect_uris=[REDIRECT_URI],
    )
    await other.start(host="127.0.0.1", port=0, cloud_port=0)
    monkeypatch.setenv(CLOUD_URL_ENV, other.cloud_url)
    yield other
    await other.stop()


async def start_cloud_flow(hass: HomeAssistant) -> ConfigFlowResult:
    """Start the user flow and choose Hearth Cloud."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "pick_implementation"}
    )


async def authorize(
    hass_client_no_auth: ClientSessionGenerator, result: ConfigFlowResult
) -> None:
    """Follow the authorize URL to the cloud; hand its redirect to Home Assistant."""
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    url = URL(result["url"])
    assert url.query["scope"] == "devices:read devices:write"
    assert url.query["redirect_uri"] == REDIRECT_URI
    async with (
        ClientSession() as session,
        session.get(url, allow_redirects=False) as response,
    ):
        assert response.status == 302
        location = URL(response.headers["Location"])
    assert str(location.with_query(None)) == REDIRECT_URI
    assert "code" in location.query
    client = await hass_client_no_auth()
    callback = await client.get(location.path_qs)
    assert callback.status == 200


async def run_cloud_flow(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator
) -> ConfigFlowResult:
    """Run the whole authorization; return the flow's final result."""
    result = await start_cloud_flow(hass)
    await authorize(hass_client_no_auth, result)
    return await hass.config_entries.flow.async_configure(result["flow_id"])


async def test_menu(hass: HomeAssistant) -> None:
    """The user step offers a hub on the network or a Hearth Cloud account."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "user"
    assert result["menu_options"] == ["local", "pick_implementation"]


async def test_local_hub_through_the_menu(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """Choosing the local hub shows the host and API key form, as before."""
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(f"127.0.0.1:{emulator.port}")
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == emulator.hub_id


@pytest.mark.usefixtures("credentials")
async def test_full_flow(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    emulator: Emulator,
) -> None:
    """The authorization-code flow creates one entry for the account."""
    result = await run_cloud_flow(hass, hass_client_no_auth)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    assert entry.unique_id == emulator.account.id
    assert entry.title == "Demo account"
    assert entry.data["auth_implementation"] == DOMAIN
    token = entry.data["token"]
    assert set(token) >= {"access_token", "refresh_token", "expires_at"}
    assert token["scope"] == "devices:read devices:write"
    assert emulator.stats.count(*POST_TOKEN) == 1
    assert emulator.stats.count(*GET_ME) == 1
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert set(entry.runtime_data.data.hubs) == set(emulator.account.hubs)


@pytest.mark.usefixtures("credentials")
async def test_account_already_configured(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    emulator: Emulator,
) -> None:
    """An account can be added once."""
    account_entry(emulator).add_to_hass(hass)

    result = await run_cloud_flow(hass, hass_client_no_auth)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured_account"


@pytest.mark.usefixtures("credentials")
async def test_account_unreachable(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    emulator: Emulator,
) -> None:
    """The flow aborts when the account cannot be read after authorizing."""
    emulator.add_fault("server_error", target="cloud", path="/v1/me")

    result = await run_cloud_flow(hass, hass_client_no_auth)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"
    assert not hass.config_entries.async_entries(DOMAIN)


@pytest.mark.usefixtures("credentials")
@pytest.mark.parametrize(
    ("status", "reason"), [(401, "oauth_unauthorized"), (500, "oauth_failed")]
)
async def test_token_exchange_fails(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    emulator: Emulator,
    status: int,
    reason: str,
) -> None:
    """A failing token endpoint aborts the flow with the matching reason."""
    emulator.add_fault(
        "server_error", target="cloud", path="/oauth/token", status=status
    )

    result = await run_cloud_flow(hass, hass_client_no_auth)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == reason


async def test_missing_credentials(hass: HomeAssistant) -> None:
    """Without application credentials, the cloud way in asks for them."""
    result = await start_cloud_flow(hass)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "missing_credentials"


@pytest.mark.usefixtures("credentials")
async def test_authorization_server_override(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """HEARTH_CLOUD_URL moves the authorize and token endpoints."""
    implementations = await config_entry_oauth2_flow.async_get_implementations(
        hass, DOMAIN
    )
    implementation = implementations[DOMAIN]
    assert isinstance(
        implementation, config_entry_oauth2_flow.LocalOAuth2Implementation
    )
    assert implementation.authorize_url == emulator.authorize_url
    assert implementation.token_url == emulator.token_url


@pytest.mark.usefixtures("credentials")
async def test_reauth(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    emulator: Emulator,
) -> None:
    """Reauthentication of a cloud entry authorizes the same account again."""
    entry = account_entry(emulator)
    entry.add_to_hass(hass)
    old_token = entry.data["token"]["access_token"]

    result = await entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_cloud"
    assert result["description_placeholders"] == {"name": "Demo account"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    await authorize(hass_client_no_auth, result)
    result = await hass.config_entries.flow.async_configure(result["flow_id"])

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data["token"]["access_token"] != old_token
    assert entry.data["auth_implementation"] == DOMAIN


@pytest.mark.usefixtures("credentials")
async def test_reauth_wrong_account(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    emulator: Emulator,
    other_account: Emulator,
) -> None:
    """Signing in to another account during reauthentication is refused."""
    assert other_account.account.id != emulator.account.id
    entry = account_entry(emulator)
    entry.add_to_hass(hass)
    old_data = dict(entry.data)

    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    await authorize(hass_client_no_auth, result)
    result = await hass.config_entries.flow.async_configure(result["flow_id"])

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    assert dict(entry.data) == old_data
    assert other_account.stats.count(*POST_TOKEN) == 1


@pytest.mark.usefixtures("credentials")
async def test_reconfigure_cloud_entry(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    emulator: Emulator,
) -> None:
    """Reconfiguring a cloud entry authorizes the same account again."""
    entry = account_entry(emulator)
    entry.add_to_hass(hass)
    old_token = entry.data["token"]["access_token"]

    result = await entry.start_reconfigure_flow(hass)
    await authorize(hass_client_no_auth, result)
    result = await hass.config_entries.flow.async_configure(result["flow_id"])

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data["token"]["access_token"] != old_token


async def test_local_reauth_asks_for_a_key(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """A local entry still reauthenticates with an API key."""
    mock_config_entry.add_to_hass(hass)

    result = await mock_config_entry.start_reauth_flow(hass)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert list(result["data_schema"].schema) == [CONF_API_KEY]
