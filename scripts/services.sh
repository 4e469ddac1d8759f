# Finds PostgreSQL and Redis for the service and its tests; sourced by up.sh and test.sh.
#   1. the URLs in the environment (DATABASE_URL, REDIS_URL), if they answer;
#   2. otherwise docker compose, when a Docker engine answers;
#   3. otherwise the operating system's own postgres and redis-server, started on loopback;
#   4. otherwise a message saying what to install.
# Exports DATABASE_URL and REDIS_URL; creates the database if it does not exist.

export DATABASE_URL="${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/handlingsplan}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"

_probe() { node scripts/probe.mjs "$@" >/dev/null 2>&1; }

_wait_for() { # name, seconds
  for _ in $(seq 1 "$2"); do _probe "$1" && return 0; sleep 1; done
  return 1
}

_start_local_postgres() {
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ] && [ -n "$(ls /etc/postgresql 2>/dev/null)" ]; then
    echo "Starting the system's PostgreSQL cluster…"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n1)" main start 2>/dev/null || true
    return 0
  fi
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
  [ -n "$bin" ] || bin=$(dirname "$(command -v initdb 2>/dev/null || command -v pg_ctl 2>/dev/null || echo /nonexistent/x)")
  if [ -x "$bin/initdb" ] && [ -x "$bin/pg_ctl" ]; then
    local data="$PWD/var/postgres"
    if [ ! -f "$data/PG_VERSION" ]; then
      echo "Creating a local PostgreSQL cluster in var/postgres…"
      mkdir -p "$data"
      "$bin/initdb" -D "$data" -U postgres --auth=trust >/dev/null
    fi
    "$bin/pg_ctl" -D "$data" -l "$PWD/var/postgres.log" -o "-c listen_addresses=127.0.0.1 -p 5432" start >/dev/null
    return 0
  fi
  return 1
}

_start_local_redis() {
  command -v redis-server >/dev/null 2>&1 || return 1
  echo "Starting redis-server on 127.0.0.1:6379…"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
}

_docker_up() {
  command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1 || return 1
  echo "Starting $1 with docker compose…"
  docker compose up -d "$1" >/dev/null
}

ensure_services() {
  if ! _probe postgres; then
    _docker_up postgres || _start_local_postgres || true
    if ! _wait_for postgres 30; then
      echo "PostgreSQL does not answer at ${DATABASE_URL%%\?*}." >&2
      echo "Install PostgreSQL 15+ (Debian/Ubuntu: apt-get install postgresql) or Docker, or point DATABASE_URL at a server." >&2
      return 1
    fi
  fi
  node scripts/probe.mjs postgres --create-database
  if ! _probe redis; then
    _docker_up redis || _start_local_redis || true
    if ! _wait_for redis 15; then
      echo "Redis does not answer at $REDIS_URL." >&2
      echo "Install Redis 7 (Debian/Ubuntu: apt-get install redis-server) or Docker, or point REDIS_URL at a server." >&2
      return 1
    fi
  fi
  echo "PostgreSQL: ${DATABASE_URL%%\?*}   Redis: $REDIS_URL"
}

ensure_dependencies() {
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "Installing dependencies (npm ci)…"
    npm ci --no-audit --no-fund
  fi
}

_apt_install() {
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "Installing $* (apt-get install)…"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@") >/dev/null
  else
    return 1
  fi
}

# The browser tests and the annual report's PDF drive a real Chromium (Debian's package; Playwright's
# own download cannot be used).
ensure_chromium() {
  export CHROMIUM_PATH="${CHROMIUM_PATH:-$(command -v chromium || command -v chromium-browser || true)}"
  if [ -z "$CHROMIUM_PATH" ]; then
    if _apt_install chromium fonts-dejavu-core; then
      CHROMIUM_PATH="$(command -v chromium)"
    else
      echo "Chromium is needed for the browser tests and PDF reports: install it (Debian/Ubuntu: apt-get install chromium) or set CHROMIUM_PATH." >&2
      return 1
    fi
  fi
}

# The tests read generated PDFs back with poppler's pdftotext/pdfinfo, as a reader would see them.
ensure_pdf_tools() {
  if ! command -v pdftotext >/dev/null 2>&1 || ! command -v pdfinfo >/dev/null 2>&1; then
    if ! _apt_install poppler-utils; then
      echo "The PDF tests need pdftotext and pdfinfo: install them (Debian/Ubuntu: apt-get install poppler-utils)." >&2
      return 1
    fi
  fi
}
