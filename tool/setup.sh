#!/usr/bin/env bash
# Set up gitdesk in .venv and run the main job on the bundled sample tickets:
# validate them, then show the open queue as of the sample's reference time.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/pip install --quiet --upgrade pip
.venv/bin/pip install --quiet -e '.[dev]'
# The sample tickets tell a story that ends on this date; GITDESK_NOW pins the clock.
export GITDESK_NOW="${GITDESK_NOW:-2026-11-20T06:00:00Z}"
echo "== gitdesk validate (GITDESK_NOW=$GITDESK_NOW)"
.venv/bin/gitdesk validate
echo "== gitdesk list --sort priority (the open queue)"
.venv/bin/gitdesk list --sort priority
echo "== gitdesk sla (the SLA clocks of the open queue)"
.venv/bin/gitdesk sla
