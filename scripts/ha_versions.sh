# Sourced by scripts/setup, scripts/lint and scripts/test: the Home Assistant
# versions the suite runs on, one a line:
#   name  virtual-environment  python  requirements-file  [pip options]
# HA_VERSIONS picks the names to set up and test; by default the first two.
# The first line's environment is where lint and mypy run.
HA_VERSION_TABLE=(
  "2025.4 .venv 3.13 requirements_ha_2025.4.txt"
  "2026.2 .venv-2026.2 3.13 requirements_ha_2026.2.txt --ignore-requires-python"
  "latest .venv-latest 3.14 requirements_ha_latest.txt"
)
HA_VERSIONS="${HA_VERSIONS:-2025.4 2026.2}"
LINT_VENV=.venv

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
