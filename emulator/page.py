"""The hub page, ``GET /``: the hub and its devices, live, with controls.

A real hub's page shows the hub and its devices. The emulator's page also
acts as a person standing at a device would: flip a switch, dim a light,
press a button of a remote, change a reading, unplug a device. It reads and
changes everything through the admin API, polling ``GET /admin`` once a
second and reading the devices again whenever the home's generation moves.

The page passes the same checks as the admin API (see :mod:`.guard`). When
the emulator needs an admin token, only a request that carried it gets the
page, and the page embeds it to send it on with its own admin requests.
Nothing is loaded from elsewhere: the CSS and JavaScript are inline, allowed
by a per-answer nonce in the Content-Security-Policy.
"""

from __future__ import annotations

import html
import secrets
from typing import Final

from aiohttp import web

from .control import EmulatorView
from .guard import PAGE_PATH, TOKEN_HEADER
from .responses import dumps

#: How often the page asks the admin API for changes.
POLL_MILLISECONDS: Final = 1000

_STYLE: Final = """
body{font:15px/1.4 system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem;
color:#1c2630;background:#f6f7f9}
h1{font-size:1.4rem;margin:.2rem 0}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.1rem 1rem;margin:.4rem 0}
dt{color:#5b6670}dd{margin:0}
#devices{display:grid;grid-template-columns:repeat(auto-fill,minmax(17rem,1fr));gap:.8rem;
padding:0;list-style:none}
.device{background:#fff;border:1px solid #d5dbe1;border-radius:.5rem;padding:.6rem .8rem}
.device[data-online=false]{opacity:.6}
.device h2{font-size:1.05rem;margin:0 0 .3rem}
.device label{display:flex;justify-content:space-between;align-items:center;gap:.6rem;
margin:.25rem 0}
.device input[type=number]{width:7rem}
.device fieldset{border:1px solid #d5dbe1;border-radius:.3rem;margin:.3rem 0;
padding:.1rem .5rem .3rem}
.device fieldset button{margin:.15rem .3rem .15rem 0}
.device output{color:#5b6670;font-size:.85rem}
.kind{color:#5b6670;font-size:.85rem}
#status{min-height:1.4em;color:#8a2b06}
"""

_SCRIPT: Final = """
"use strict";
const TOKEN = JSON.parse(document.getElementById("config").textContent).token;
const HEADERS = {"Content-Type": "application/json"};
if (TOKEN) {
  HEADERS[TOKEN_HEADER] = TOKEN;
  history.replaceState(null, "", location.pathname);
}
const READINGS = {
  temperature: ["Temperature", "°C"], humidity: ["Humidity", "%"],
  illuminance: ["Illuminance", "lx"], power: ["Power", "W"],
  energy: ["Energy", "kWh"], battery: ["Battery", "%"],
  signal_strength: ["Signal strength", "dBm"],
};
const PRESSES = {
  short: "Short", double: "Double", long: "Long", long_release: "Long release",
};
const statusLine = document.getElementById("status");
const list = document.getElementById("devices");
const firmwareStatus = document.getElementById("hub-firmware-status");
const installButton = document.getElementById("hub-firmware-install");
let generation = null;

async function call(method, path, body) {
  const response = await fetch(path, {
    method, headers: HEADERS, cache: "no-store",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = response.status === 204 ? null : await response.json();
  if (!response.ok) throw new Error(data && data.error ? data.error.message : response.statusText);
  return data;
}

async function change(device, body) {
  try {
    render(await call("PATCH", "/admin/devices/" + encodeURIComponent(device.id), body));
    statusLine.textContent = "";
  } catch (err) {
    statusLine.textContent = device.name + ": " + err.message;
    generation = null;
  }
}

async function press(device, button, pressType, output) {
  try {
    const sent = await call("POST",
      "/admin/devices/" + encodeURIComponent(device.id) + "/press",
      {button_id: button.id, press_type: pressType});
    output.value = button.name + ": " + (PRESSES[pressType] || pressType) + " (seq " + sent.seq + ")";
    statusLine.textContent = "";
  } catch (err) {
    statusLine.textContent = device.name + ": " + err.message;
  }
}

function pressControls(item, device, buttons) {
  const output = document.createElement("output");
  output.id = "device-" + device.id + "-last-press";
  output.setAttribute("aria-label", "Last press");
  for (const button of buttons) {
    const group = document.createElement("fieldset");
    group.id = "device-" + device.id + "-button-" + button.id;
    const legend = document.createElement("legend");
    legend.textContent = button.name;
    group.append(legend);
    for (const pressType of button.press_types || []) {
      const control = document.createElement("button");
      control.type = "button";
      control.id = group.id + "-" + pressType;
      control.textContent = PRESSES[pressType] || pressType;
      control.addEventListener("click", () => press(device, button, pressType, output));
      group.append(control);
    }
    item.append(group);
  }
  item.append(output);
}

function field(parent, device, key, label, input) {
  const wrap = document.createElement("label");
  const text = document.createElement("span");
  text.textContent = label;
  input.id = "device-" + device.id + "-" + key;
  input.dataset.field = key;
  wrap.append(text, input);
  parent.append(wrap);
  return input;
}

function make(type, attributes) {
  const input = document.createElement(type === "select" ? "select" : "input");
  if (type !== "select") input.type = type;
  for (const [name, value] of Object.entries(attributes || {})) input.setAttribute(name, value);
  return input;
}

function hex(rgb) {
  return "#" + rgb.map((c) => c.toString(16).padStart(2, "0")).join("");
}

function build(device) {
  const item = document.createElement("li");
  item.className = "device";
  item.id = "device-" + device.id;
  item.dataset.deviceId = device.id;
  item.dataset.kind = device.kind;
  item.setAttribute("aria-labelledby", item.id + "-name");
  const title = document.createElement("h2");
  title.id = item.id + "-name";
  const kind = document.createElement("div");
  kind.className = "kind";
  item.append(title, kind);
  const caps = device.capabilities || {};
  const online = field(item, device, "online", "Online", make("checkbox", {role: "switch"}));
  online.addEventListener("change", () => change(device, {online: online.checked}));
  if (device.kind === "light" || device.kind === "switch") {
    const on = field(item, device, "on", "On", make("checkbox", {role: "switch"}));
    on.addEventListener("change", () => change(device, {state: {on: on.checked}}));
  }
  if (caps.dimmable) {
    const level = field(item, device, "brightness", "Brightness",
      make("range", {min: 1, max: 255}));
    level.addEventListener("change", () =>
      change(device, {state: {on: true, brightness: Number(level.value)}}));
  }
  if (caps.min_kelvin && caps.max_kelvin) {
    const kelvin = field(item, device, "color_temp_kelvin", "Colour temperature",
      make("range", {min: caps.min_kelvin, max: caps.max_kelvin, step: 50}));
    kelvin.addEventListener("change", () => change(device, {state: {
      on: true, color_temp_kelvin: Number(kelvin.value), color_mode: "color_temp", effect: "none",
    }}));
  }
  if (caps.rgb) {
    const colour = field(item, device, "rgb", "Colour", make("color"));
    colour.addEventListener("change", () => {
      const v = colour.value;
      const rgb = [1, 3, 5].map((i) => parseInt(v.slice(i, i + 2), 16));
      change(device, {state: {on: true, rgb, color_mode: "rgb", effect: "none"}});
    });
  }
  if (caps.effects && caps.effects.length) {
    const effect = field(item, device, "effect", "Effect", make("select"));
    for (const name of ["none", ...caps.effects]) effect.add(new Option(name, name));
    effect.addEventListener("change", () => change(device, {state: {effect: effect.value}}));
  }
  if (caps.buttons && caps.buttons.length) pressControls(item, device, caps.buttons);
  for (const reading of caps.sensors || []) {
    const [label, unit] = READINGS[reading] || [reading, ""];
    const input = field(item, device, reading, unit ? label + " (" + unit + ")" : label,
      make("number", {step: "any"}));
    input.addEventListener("change", () => {
      if (input.value !== "") change(device, {state: {[reading]: Number(input.value)}});
    });
  }
  item.dataset.shape = JSON.stringify([device.kind, caps]);
  return item;
}

function render(device) {
  let item = document.getElementById("device-" + device.id);
  const shape = JSON.stringify([device.kind, device.capabilities || {}]);
  if (!item || item.dataset.shape !== shape) {
    const fresh = build(device);
    if (item) item.replaceWith(fresh); else list.append(fresh);
    item = fresh;
  }
  item.dataset.online = String(device.online);
  item.querySelector("h2").textContent = device.name;
  item.querySelector(".kind").textContent =
    device.kind + (device.model ? " · " + device.model : "") + " · " + device.id;
  const state = device.state || {};
  for (const input of item.querySelectorAll("[data-field]")) {
    if (input === document.activeElement && input.type !== "checkbox") continue;
    const key = input.dataset.field;
    const value = key === "online" ? device.online : state[key];
    if (input.type === "checkbox") input.checked = Boolean(value);
    else if (key === "rgb") { if (value) input.value = hex(value); }
    else input.value = value === null || value === undefined ? "" : String(value);
  }
}

function showFirmware(firmware) {
  const available = firmware.latest && firmware.latest !== firmware.installed;
  let text = "Up to date";
  if (firmware.state === "installing") {
    text = "Installing " + firmware.latest + ": " + firmware.progress + " %";
  } else if (available) {
    text = firmware.latest + " available";
  }
  if (firmware.error && firmware.state !== "installing") {
    text += " (the last install failed: " + firmware.error.message + ")";
  }
  firmwareStatus.textContent = text;
  installButton.textContent = "Install " + (firmware.latest || "");
  installButton.hidden = !available || firmware.state === "installing";
}

installButton.addEventListener("click", async () => {
  try {
    showFirmware(await call("POST", "/admin/firmware/install"));
    statusLine.textContent = "";
  } catch (err) {
    statusLine.textContent = "Firmware: " + err.message;
  }
});

async function refresh() {
  try {
    const overview = await call("GET", "/admin");
    for (const [key, value] of Object.entries(overview.hub)) {
      const cell = document.getElementById("hub-" + key.replace("_", "-"));
      if (cell) cell.textContent = value === null ? "" : String(value);
    }
    document.title = overview.hub.name + " · Hearth";
    showFirmware(overview.firmware);
    if (overview.generation !== generation) {
      const devices = await call("GET", "/admin/devices");
      const ids = new Set(devices.map((device) => "device-" + device.id));
      for (const item of [...list.children]) if (!ids.has(item.id)) item.remove();
      devices.forEach(render);
      generation = overview.generation;
      list.setAttribute("aria-busy", "false");
    }
    if (statusLine.dataset.offline) { statusLine.textContent = ""; delete statusLine.dataset.offline; }
  } catch (err) {
    statusLine.textContent = "The emulator does not answer: " + err.message;
    statusLine.dataset.offline = "1";
  }
  setTimeout(refresh, POLL);
}
refresh();
"""


def render_page(emulator: EmulatorView, token: str | None, nonce: str) -> str:
    """Return the page; ``token`` is embedded for the page's admin requests."""
    hub = emulator.hub
    config = dumps({"token": token}).decode().replace("<", "\\u003c")
    script = _SCRIPT.replace("TOKEN_HEADER", dumps(TOKEN_HEADER).decode()).replace(
        "setTimeout(refresh, POLL)", f"setTimeout(refresh, {POLL_MILLISECONDS})"
    )
    rows = "".join(
        f'<dt>{label}</dt><dd id="hub-{key}">{html.escape(value)}</dd>'
        for label, key, value in (
            ("Hub id", "id", hub.id),
            ("Model", "model", hub.model),
            ("Firmware", "firmware", hub.firmware),
            ("API version", "api-version", hub.api_version),
            ("MAC", "mac", hub.mac),
        )
    )
    rows += (
        '<dt>Firmware update</dt><dd><span id="hub-firmware-status"></span> '
        '<button type="button" id="hub-firmware-install" hidden>Install</button></dd>'
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,">'
        f"<title>{html.escape(hub.name)} · Hearth</title>"
        f'<style nonce="{nonce}">{_STYLE}</style></head><body>'
        '<header id="hub" aria-labelledby="hub-name">'
        f'<h1 id="hub-name">{html.escape(hub.name)}</h1>'
        f"<dl>{rows}</dl>"
        "<p>Hearth emulator: change a device here as if you stood next to it.</p>"
        '<p id="status" role="status" aria-live="polite"></p></header>'
        '<main><ul id="devices" aria-label="Devices" aria-busy="true"></ul></main>'
        f'<script type="application/json" id="config">{config}</script>'
        f'<script nonce="{nonce}">{script}</script>'
        "</body></html>\n"
    )


def page_routes(emulator: EmulatorView) -> list[web.RouteDef]:
    """Return the route of the hub page, bound to ``emulator``."""

    async def page(request: web.Request) -> web.Response:
        nonce = secrets.token_urlsafe(16)
        return web.Response(
            text=render_page(emulator, emulator.admin_token, nonce),
            content_type="text/html",
            headers={
                "Cache-Control": "no-store",
                "Content-Security-Policy": (
                    f"default-src 'none'; script-src 'nonce-{nonce}'; "
                    f"style-src 'nonce-{nonce}'; connect-src 'self'; "
                    "img-src 'self' data:; frame-ancestors 'none'; "
                    "base-uri 'none'; form-action 'none'"
                ),
                "X-Frame-Options": "DENY",
                "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer",
            },
        )

    return [web.get(PAGE_PATH, page)]
