# Sourced by .ci/run: gives a CI machine what `deno task compose:test` needs (a Docker engine,
# Compose v2, debootstrap for the stand-in images), installing only what is missing, and starts
# dockerd when none runs. Every step may fail: the compose test then reports itself skipped.

# Compose v2 is not packaged in Debian 12; it is built from its Go module at this version.
COMPOSE_MODULE=github.com/docker/compose/v2
COMPOSE_VERSION=v2.40.3
COMPOSE_PLUGIN=/usr/local/lib/docker/cli-plugins/docker-compose
started_dockerd=""
dockerd_log=""

provision_containers() {
  local need=""
  command -v dockerd >/dev/null 2>&1 || need="docker.io"
  command -v debootstrap >/dev/null 2>&1 || need="$need debootstrap"
  if [ -n "$need" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing $need for the compose test (apt-get)..."
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need; } >/dev/null 2>&1 ||
      echo "Could not install $need: the compose test will be reported as skipped."
  fi

  if ! docker compose version >/dev/null 2>&1; then
    local go_cmd
    go_cmd=$(command -v go || echo /usr/local/go/bin/go)
    if [ ! -x "$go_cmd" ]; then
      echo "No Go toolchain to build Docker Compose with: the compose test will be reported as skipped."
    else
      echo "Building Docker Compose $COMPOSE_VERSION from its Go module (about 2 minutes)..."
      local dir
      dir=$("$go_cmd" mod download -json "$COMPOSE_MODULE@$COMPOSE_VERSION" 2>/dev/null |
        sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
      mkdir -p "$(dirname "$COMPOSE_PLUGIN")"
      if [ -z "$dir" ] || ! (cd "$dir" && timeout 900 "$go_cmd" build -trimpath \
        -ldflags "-s -w -X $COMPOSE_MODULE/internal.Version=$COMPOSE_VERSION" \
        -o "$COMPOSE_PLUGIN" ./cmd) >/dev/null 2>&1; then
        echo "Could not build Docker Compose: the compose test will be reported as skipped."
      fi
    fi
  fi

  if command -v dockerd >/dev/null 2>&1 && ! docker info >/dev/null 2>&1; then
    echo "Starting dockerd (no service manager here; stopped again when CI ends)..."
    dockerd_log=$(mktemp)
    # cgroupfs: there is no systemd to delegate cgroups to.
    setsid dockerd --exec-opt native.cgroupdriver=cgroupfs >"$dockerd_log" 2>&1 </dev/null &
    started_dockerd=$!
    for _ in $(seq 1 60); do
      docker info >/dev/null 2>&1 && break
      sleep 0.5
    done
    if ! docker info >/dev/null 2>&1; then
      echo "dockerd did not start: the compose test will be reported as skipped. Its last lines:"
      tail -n 15 "$dockerd_log"
    fi
  fi
}

stop_started_dockerd() {
  [ -z "$dockerd_log" ] || rm -f "$dockerd_log"
  [ -n "$started_dockerd" ] || return 0
  kill -TERM "$started_dockerd" 2>/dev/null || return 0
  for _ in $(seq 1 60); do
    kill -0 "$started_dockerd" 2>/dev/null || return 0
    sleep 0.5
  done
  kill -KILL "$started_dockerd" 2>/dev/null || true
}
