# Sourced by scripts/setup, scripts/lint, scripts/test and scripts/develop:
# the Home Assistant versions the suite runs on, one a line:
#   name  virtual-environment  python  requirements-file  [pip options]
# HA_VERSIONS picks the names to set up and test. By default the two ends of
# support: the oldest release hacs.json names, and the newest release that
# pytest-homeassistant-custom-component supports. 2026.2 (the newest on
# Python 3.13) and latest (unpinned, what users install today) run on demand
# and in GitHub Actions.
# The first line's environment is where ruff runs (mypy runs in each); the
# last name in HA_VERSIONS is the newest, which scripts/develop runs.
HA_VERSION_TABLE=(
  "2025.4 .venv 3.13 requirements_ha_2025.4.txt"
  "2026.2 .venv-2026.2 3.13 requirements_ha_2026.2.txt --ignore-requires-python"
  "2026.10 .venv-2026.10 3.14 requirements_ha_2026.10.txt"
  "latest .venv-latest 3.14 requirements_ha_latest.txt"
)
HA_VERSIONS="${HA_VERSIONS:-2025.4 2026.10}"
LINT_VENV=.venv
#: The newest release on the registry when the pins were last moved. The
#: end-to-end tests also start a real hass of it (scripts/setup installs it
#: into .venv-hass-$NEWEST_HA) when the test package pins an older one.
NEWEST_HA=2026.11.0

# for_each_ha_version COMMAND: run COMMAND name venv python requirements
# [pip options] for each version in HA_VERSIONS, in that order.
for_each_ha_version() {
  local wanted line found fields
  for wanted in $HA_VERSIONS; do
    found=""
    for line in "${HA_VERSION_TABLE[@]}"; do
      read -r -a fields <<<"$line"
      if [ "${fields[0]}" = "$wanted" ]; then
        found=1
        "$@" "${fields[@]}"
      fi
    done
    [ -n "$found" ] || { echo "unknown Home Assistant version in HA_VERSIONS: $wanted" >&2; exit 1; }
  done
}

# newest_ha_venv: the environment of the last version in HA_VERSIONS.
newest_ha_venv() {
  local last="" _name venv
  _last_venv() { last="$2"; }
  for_each_ha_version _last_venv
  echo "$last"
}
