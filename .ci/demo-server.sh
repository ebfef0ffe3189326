# Sourced by the CI steps that talk to a running registry: builds it, starts `serve --demo` in a
# scratch directory on a free port with the abuse limits off (one client sends everything; the
# limits are tested in tests/api/trust.rs), and sets `base`, `work` and `token_of ROLE`.
cargo build --quiet --bin ocop-registry

work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(
    cd "$work"
    # A sync a client starts calls marketplaces this machine cannot reach: it fails in 2 s, once.
    ROCKET_PORT=$port ROCKET_AUTH_FAILURES_PER_MINUTE=0 ROCKET_PUBLIC_REQUESTS_PER_MINUTE=0 \
        ROCKET_SYNC_TIMEOUT_SECS=2 ROCKET_SYNC_MAX_ATTEMPTS=1 \
        exec "${CARGO_TARGET_DIR:-$OLDPWD/target}/debug/ocop-registry" serve --demo >"$work/demo.log" 2>&1
) &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
base="http://127.0.0.1:$port"
for _ in $(seq 1 60); do
    curl -sf "$base/health" >/dev/null && break
    sleep 1
done
curl -sf "$base/health" >/dev/null || { cat "$work/demo.log"; exit 1; }

# The demo's token for a role (it also prints a sign-in line per role).
token_of() {
    awk -v r="$1" '$1 == r && $2 ~ /^ocop_/ { print $2 }' "$work/demo.log"
}
