#!/usr/bin/env bash
# Isengard: `./start.sh` runs the studio, `./start.sh test` checks everything.
# Installs what a fresh machine lacks, builds when a source is newer than dist/, and hands over to
# the supervisor (src/supervisor/), which starts Redis when none answers at REDIS_URL, runs the API
# and the worker(s), restarts what crashes, and stops everything on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)

export ISENGARD_MODE=${ISENGARD_MODE:-fast-test}
if [ "$ISENGARD_MODE" = "fast-test" ]; then export VOLUME_ROOT=${VOLUME_ROOT:-$ROOT/data}; fi
export VOLUME_ROOT=${VOLUME_ROOT:-/runpod-volume/isengard}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
export HOST=${HOST:-127.0.0.1}
export PORT=${PORT:-8000}
export COMFYUI_URL=${COMFYUI_URL:-http://127.0.0.1:8188}
export COMFYUI_DIR=${COMFYUI_DIR:-/comfyui}

say() { printf '\033[1m[isengard]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[isengard] %s\033[0m\n' "$*" >&2; exit 1; }
is_root() { [ "$(id -u)" = "0" ]; }

apt_install() {
  is_root || die "$* missing and not root: install it with your package manager ($*)"
  say "installing $* (apt-get)"
  if [ -z "${ISENGARD_APT_UPDATED:-}" ]; then apt-get update -qq >&2 || true; export ISENGARD_APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

ensure_node_modules() {
  command -v node >/dev/null || die "Node.js 20 or newer is required"
  if [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    say "installing npm packages (npm ci)"
    npm ci --no-audit --no-fund >&2
  fi
}

ensure_redis_binary() {
  command -v redis-server >/dev/null || apt_install redis-server
}

# host and port of REDIS_URL: redis[s]://[user[:password]@]host[:port][/db]
redis_host() {
  local rest=${REDIS_URL#*://}; rest=${rest##*@}; rest=${rest%%/*}
  if [[ $rest == \[* ]]; then rest=${rest#[}; echo "${rest%%]*}"; else echo "${rest%%:*}"; fi
}
redis_port() {
  local rest=${REDIS_URL#*://}; rest=${rest##*@}; rest=${rest%%/*}; rest=${rest##*]}
  if [[ $rest == *:* ]]; then echo "${rest##*:}"; else echo 6379; fi
}

# PING → +PONG (or -NOAUTH: a Redis with a password still answers). The probe runs in a subshell,
# so its redirections (and the descriptor it opens) end with it and never touch this script's stderr.
redis_answers() {
  local host=$1 port=$2
  (
    exec 3<>"/dev/tcp/$host/$port" || exit 1
    printf 'PING\r\n' >&3
    read -r -t 2 reply <&3 || exit 1
    [[ "$reply" == +PONG* || "$reply" == -NOAUTH* ]]
  ) 2>/dev/null
}

# ComfyUI's model files (workflows/models.json): checksummed, resumable downloads in src/tools/models.
pod_setup() { node --import tsx src/tools/pod-setup.ts "$@"; }
ensure_models() {
  pod_setup models || say "WARNING: some ComfyUI model files are missing (see above); \`./start.sh doctor\` lists what is not ready"
}

check_comfyui() {
  if command -v curl >/dev/null && curl -sf -m 3 "$COMFYUI_URL/system_stats" >/dev/null; then
    say "ComfyUI answers at $COMFYUI_URL"
  else
    say "WARNING: ComfyUI does not answer at $COMFYUI_URL — image jobs will fail until it runs (set COMFYUI_URL)"
  fi
}

warn_exposed() {
  case "$HOST" in 127.*|localhost|::1) return;; esac
  if [ -z "${ISENGARD_API_TOKEN:-}" ]; then
    printf '\033[1;31m%s\033[0m\n' \
      "!!! WARNING: listening on $HOST without ISENGARD_API_TOKEN: anyone who reaches this address can train, generate and read logs." >&2
  fi
}

# Anything that goes into dist/: sources, build configs, the dependency lock.
BUILD_INPUTS=(src package.json package-lock.json tsconfig.json tsconfig.build.json vite.config.ts)
BUILD_STAMP=dist/.build-stamp

build_is_fresh() {
  [ -f "$BUILD_STAMP" ] && [ -f dist/server/main.js ] && [ -f dist/worker/main.js ] && [ -f dist/supervisor/main.js ] \
    && [ -f dist/client/index.html ] && [ -z "$(find "${BUILD_INPUTS[@]}" -newer "$BUILD_STAMP" -print -quit 2>/dev/null)" ]
}

# One build at a time per checkout (tests may start several start.sh at once); the stamp is taken
# before the build starts, so a file saved during the build makes the next start build again.
build() {
  local force=${1:-}
  mkdir -p .tmp
  (
    flock 9
    if [ "$force" != "force" ] && build_is_fresh; then exit 0; fi
    say "building (server/worker JS + web app)"
    touch .tmp/build-stamp.next
    npm run --silent build >&2 || exit 1
    mv .tmp/build-stamp.next "$BUILD_STAMP"
  ) 9>.tmp/build.lock
}

run() {
  ensure_node_modules
  mkdir -p "$VOLUME_ROOT"
  local host port redis_flag=()
  host=$(redis_host); port=$(redis_port)
  if redis_answers "$host" "$port"; then
    say "Redis answers at $host:$port"
  else
    case "$host" in 127.*|localhost|::1) ;; *) die "Redis at $REDIS_URL does not answer (not starting one for a remote host)";; esac
    ensure_redis_binary
    redis_flag=(--redis)
  fi
  if [ "$ISENGARD_MODE" = "production" ]; then
    [ "${IMAGE_BACKEND:-comfyui}" = "comfyui" ] && { ensure_models; check_comfyui; }
  fi
  if build_is_fresh; then say "dist/ is up to date (./start.sh build rebuilds)"; else build; fi
  warn_exposed
  # The supervisor starts Redis (when none answered), the workers and the API, restarts what
  # crashes, and on Ctrl-C/SIGTERM stops workers first and Redis last.
  exec node dist/supervisor/main.js "${redis_flag[@]}"
}

test_all() {
  local failed=0 passed=0
  ensure_node_modules
  ensure_redis_binary
  if [ ! -x /usr/bin/chromium ]; then apt_install chromium || die "chromium is required for the browser tests"; fi
  mkdir -p .tmp
  step() {
    local name=$1; shift
    say "$name"
    if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); say "FAILED: $name"; fi
  }
  step "typecheck" npm run --silent typecheck
  step "lint" npm run --silent lint
  step "build" build force
  say "tests"
  rm -f .tmp/vitest.json
  SMOKE_TEST_ENABLED=1 npx vitest run --reporter=default --reporter=json --outputFile.json=.tmp/vitest.json || true
  if [ -f .tmp/vitest.json ]; then
    read -r tp tf < <(node .ci/vitest-counts.cjs .tmp/vitest.json)
    passed=$((passed + tp)); failed=$((failed + tf))
  else
    failed=$((failed + 1)); say "FAILED: vitest wrote no report"
  fi
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}

case "${1:-}" in
  ""|run) run ;;
  test) test_all ;;
  build) ensure_node_modules; build force ;;
  models) ensure_node_modules; pod_setup models ;;
  doctor) ensure_node_modules; pod_setup doctor ;;
  *) echo "usage: ./start.sh [run|test|build|models|doctor]" >&2; exit 2 ;;
esac
