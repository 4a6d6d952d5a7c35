#!/usr/bin/env bash
# Isengard: `./start.sh` runs the studio, `./start.sh test` checks everything.
# Installs what a fresh machine lacks, starts Redis when none answers at REDIS_URL, builds, and
# runs the API server and the worker(s) as child processes that stop with this script.
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

# host and port of REDIS_URL
redis_host() { node -e 'const u=new URL(process.argv[1]);console.log(u.hostname||"127.0.0.1")' "$REDIS_URL"; }
redis_port() { node -e 'const u=new URL(process.argv[1]);console.log(u.port||6379)' "$REDIS_URL"; }

redis_answers() {
  local host=$1 port=$2 reply=""
  exec 3<>"/dev/tcp/$host/$port" 2>/dev/null || return 1
  printf 'PING\r\n' >&3
  read -r -t 2 reply <&3 || true
  exec 3>&- 3<&-
  [[ "$reply" == +PONG* || "$reply" == -NOAUTH* ]]
}

APP_PIDS=()
REDIS_PID=""
cleanup() {
  trap - INT TERM EXIT
  if [ ${#APP_PIDS[@]} -gt 0 ]; then
    say "stopping (${#APP_PIDS[@]} processes)"
    kill -TERM "${APP_PIDS[@]}" 2>/dev/null || true
    # The worker may use its grace period to finish a job, and it needs Redis for that.
    for pid in "${APP_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  fi
  if [ -n "$REDIS_PID" ]; then kill -TERM "$REDIS_PID" 2>/dev/null || true; wait "$REDIS_PID" 2>/dev/null || true; fi
}

ensure_redis() {
  local host port
  host=$(redis_host); port=$(redis_port)
  if redis_answers "$host" "$port"; then say "Redis answers at $host:$port"; return; fi
  case "$host" in 127.*|localhost|::1) ;; *) die "Redis at $REDIS_URL does not answer (not starting one for a remote host)";; esac
  ensure_redis_binary
  mkdir -p "$VOLUME_ROOT/redis"
  say "starting redis-server on port $port (AOF in $VOLUME_ROOT/redis)"
  redis-server --port "$port" --bind 127.0.0.1 --dir "$VOLUME_ROOT/redis" --appendonly yes --save "" --daemonize no \
    --logfile "$VOLUME_ROOT/redis/redis.log" &
  REDIS_PID=$!
  for _ in $(seq 1 100); do redis_answers "$host" "$port" && return; sleep 0.1; done
  die "redis-server did not start; see $VOLUME_ROOT/redis/redis.log"
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

build() {
  say "building (server/worker JS + web app)"
  npm run --silent build >&2
}

run() {
  ensure_node_modules
  mkdir -p "$VOLUME_ROOT"
  trap cleanup INT TERM EXIT
  ensure_redis
  if [ "$ISENGARD_MODE" = "production" ]; then
    [ "${IMAGE_BACKEND:-comfyui}" = "comfyui" ] && { ensure_models; check_comfyui; }
  fi
  warn_exposed
  build
  local gpus=${ISENGARD_GPUS:-}
  if [ -n "$gpus" ]; then
    IFS=',' read -ra ids <<<"$gpus"
    for id in "${ids[@]}"; do CUDA_VISIBLE_DEVICES=$id node dist/worker/main.js & APP_PIDS+=("$!"); done
  else
    node dist/worker/main.js & APP_PIDS+=("$!")
  fi
  node dist/server/main.js & APP_PIDS+=("$!")
  say "Isengard ($ISENGARD_MODE) at http://$HOST:$PORT  — Ctrl-C stops everything"
  # Any process dying takes the rest down: a half-running studio helps nobody.
  wait -n "${APP_PIDS[@]}" ${REDIS_PID:+"$REDIS_PID"} || true
  say "a process exited; stopping the rest"
  cleanup
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
  step "build" npm run --silent build
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
  build) ensure_node_modules; build ;;
  models) ensure_node_modules; pod_setup models ;;
  doctor) ensure_node_modules; pod_setup doctor ;;
  *) echo "usage: ./start.sh [run|test|build|models|doctor]" >&2; exit 2 ;;
esac
