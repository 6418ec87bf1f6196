#!/bin/bash
# The scale workloads over one seeded pool: starts the release server on DATABASE_URL, then
# ListUsers by email, AdminGetUser, password sign-ins and refreshes, 10 s each at concurrency 8,
# one line each (requests per second, p50/p99; refreshes also per server CPU-second against the
# raw RS256 rate), and stops the server. Run it from the repository root, alternating between a
# small and a large pool, for figures taken in one period of the machine.
#
#   crates/bench/scripts/scale.sh DATABASE_URL USERS POOL_ID CLIENT_ID DATA_DIR
#
# DATA_DIR keeps the server's master key and root credentials between runs (the database is
# bound to the master key of its first start). USERS is the seeded count: the indexes drawn.
set -euo pipefail
url=$1 users=$2 pool=$3 client=$4 data_dir=$5
mkdir -p "$data_dir"
target/release/cognate serve --data-dir "$data_dir" --database-url "$url" \
  --rate-limit-per-address 0 --rate-limit-per-client 0 > "$data_dir/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do grep -q "listening" "$data_dir/server.log" && break; sleep 0.1; done
export AWS_ACCESS_KEY_ID=$(sed -n 's/^access_key_id=//p' "$data_dir/root-credentials")
export AWS_SECRET_ACCESS_KEY=$(sed -n 's/^secret_access_key=//p' "$data_dir/root-credentials")
run() {
  local name=$1; shift
  echo "$name: $(target/release/cognate-load run --concurrency 8 --seconds 10 "$@" 2>&1 | grep -E 'requests in|ratio' | tr '\n' ' ')"
}
run ListUsers --target ListUsers --index-range "$users" \
  --body "{\"UserPoolId\":\"$pool\",\"Filter\":\"email = \\\"user{i}@example.com\\\"\"}"
run AdminGetUser --target AdminGetUser --index-range "$users" \
  --body "{\"UserPoolId\":\"$pool\",\"Username\":\"user{i}\"}"
run SignIn --target InitiateAuth --index-range "$users" \
  --body "{\"ClientId\":\"$client\",\"AuthFlow\":\"USER_PASSWORD_AUTH\",\"AuthParameters\":{\"USERNAME\":\"user{i}\",\"PASSWORD\":\"Bench-Pass-123\"}}"
run Refresh --target InitiateAuth --server-pid "$server" --refresh-from "$client:user0000001:Bench-Pass-123" \
  --body "{\"ClientId\":\"$client\",\"AuthFlow\":\"REFRESH_TOKEN_AUTH\",\"AuthParameters\":{\"REFRESH_TOKEN\":\"{refresh}\"}}"
