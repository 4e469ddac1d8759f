#!/usr/bin/env bash
# One command from a fresh clone to the running service with the real action plan loaded.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh

ensure_dependencies
ensure_services
# Chromium prints the annual report as PDF; without it the other formats still work.
ensure_chromium || echo "Going on without Chromium: annual reports will be available as HTML, DOCX and XLSX, not PDF." >&2
# A signing secret for answer links, made once and kept (var/ is not committed).
if [ -z "${APP_SECRET:-}" ]; then
  mkdir -p var
  [ -s var/app-secret ] || node -e 'console.log(require("crypto").randomBytes(32).toString("hex"))' > var/app-secret
  APP_SECRET="$(cat var/app-secret)"
  export APP_SECRET
fi
npm run --silent build
node dist/cli.js db migrate
node dist/cli.js plan import seeds/nordic-regional-2021-24.yaml
# As `npm start` runs it (with its V8 settings, see bench/RESULTS.md).
exec npm start --silent
