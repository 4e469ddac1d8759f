#!/usr/bin/env bash
# One command from a fresh clone to the whole test suite, against real PostgreSQL and Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh

ensure_dependencies
ensure_services
ensure_chromium
ensure_pdf_tools
npm run --silent build      # prisma generate + type-check and compile
npm run --silent format:check
npm run --silent lint:deps  # the layering of src/ (.dependency-cruiser.cjs)
npm run --silent lint       # typescript-eslint, type-checked, no warnings
export TEST_ADMIN_DATABASE_URL
TEST_ADMIN_DATABASE_URL="$(node -e 'const u = new URL(process.env.DATABASE_URL); u.pathname = "/postgres"; console.log(u.toString())')"
npm test -- "$@"
