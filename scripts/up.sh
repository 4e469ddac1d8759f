#!/usr/bin/env bash
# One command from a fresh clone to the running service with the real action plan loaded.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh

ensure_dependencies
ensure_services
npm run --silent build
node dist/cli.js db migrate
node dist/cli.js plan import seeds/nordic-regional-2021-24.yaml
exec node dist/main.js
