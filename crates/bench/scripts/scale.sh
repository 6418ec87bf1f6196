#!/bin/bash
# The scale workloads over a small and a large seeded pool, side by side: starts the release
# server on each database (both stay up, on ports 9301 and 9302), then runs ListUsers by email,
# AdminGetUser, password sign-ins and refreshes, each at concurrency 8 for SECONDS, on one pool
# and right after on the other, ROUNDS times over. One line per run; at the end, for each
# workload, the median over the rounds of large/small for p50, p99 and requests per second. Odd
# rounds run the small pool first, even rounds the large one, so that a drift of the machine
# within a round favours neither.
# A single run on a shared machine can be 40% off at p99; the pairs, taken seconds apart, and
# their median are what to compare. Run it from the repository root.
#
#   crates/bench/scripts/scale.sh ROUNDS SECONDS SMALL_URL SMALL_USERS SMALL_DIR LARGE_URL LARGE_USERS LARGE_DIR
#
# Each DIR holds `seeded`, the pool and client ids `cognate-load seed` printed for that database,
# and keeps the server's master key and root credentials between runs (a database is bound to the
# master key of its first start). USERS is the seeded count: the indexes drawn.
set -euo pipefail
rounds=$1 seconds=$2
urls=("$3" "$6") users=("$4" "$7") dirs=("$5" "$8") names=(small large)
servers=() results=$(mktemp)
trap 'kill "${servers[@]}" 2>/dev/null || true; rm -f "$results"' EXIT
for side in 0 1; do
  target/release/cognate serve --listen "127.0.0.1:930$((side + 1))" --data-dir "${dirs[$side]}" --database-url "${urls[$side]}" \
    --rate-limit-per-address 0 --rate-limit-per-client 0 > "${dirs[$side]}/server.log" 2>&1 &
  servers+=($!)
done
for side in 0 1; do
  for _ in $(seq 1 100); do grep -q "listening" "${dirs[$side]}/server.log" && break; sleep 0.1; done
  grep -q "listening" "${dirs[$side]}/server.log" || { echo "the ${names[$side]} server did not start: ${dirs[$side]}/server.log" >&2; exit 1; }
done

# One workload on one side: "REQ_PER_S P50_MS P99_MS ERRORS", and the refresh's ratio line if
# any; when cognate-load reports no requests (it failed), the end of what it said before any
# backtrace goes to stderr.
run() {
  local side=$1 workload=$2 pool client body extra=()
  read -r pool client < "${dirs[$side]}/seeded"
  case $workload in
    ListUsers) body="{\"UserPoolId\":\"$pool\",\"Filter\":\"email = \\\"user{i}@example.com\\\"\"}"; extra=(--target ListUsers --index-range "${users[$side]}") ;;
    AdminGetUser) body="{\"UserPoolId\":\"$pool\",\"Username\":\"user{i}\"}"; extra=(--target AdminGetUser --index-range "${users[$side]}") ;;
    SignIn) body="{\"ClientId\":\"$client\",\"AuthFlow\":\"USER_PASSWORD_AUTH\",\"AuthParameters\":{\"USERNAME\":\"user{i}\",\"PASSWORD\":\"Bench-Pass-123\"}}"
      extra=(--target InitiateAuth --index-range "${users[$side]}") ;;
    Refresh) body="{\"ClientId\":\"$client\",\"AuthFlow\":\"REFRESH_TOKEN_AUTH\",\"AuthParameters\":{\"REFRESH_TOKEN\":\"{refresh}\"}}"
      extra=(--target InitiateAuth --server-pid "${servers[$side]}" --refresh-from "$client:user0000001:Bench-Pass-123") ;;
  esac
  local output
  output=$(AWS_ACCESS_KEY_ID=$(sed -n 's/^access_key_id=//p' "${dirs[$side]}/root-credentials") \
    AWS_SECRET_ACCESS_KEY=$(sed -n 's/^secret_access_key=//p' "${dirs[$side]}/root-credentials") \
    target/release/cognate-load run --endpoint "http://127.0.0.1:930$((side + 1))" --concurrency 8 --seconds "$seconds" "${extra[@]}" --body "$body" 2>&1) || true
  grep -q ' req/s, ' <<< "$output" || sed '/^stack backtrace:/,$d' <<< "$output" | tail -5 >&2
  sed -nE 's/.* ([0-9]+) req\/s, p50 ([0-9.]+) ms, p99 ([0-9.]+) ms, .*, ([0-9]+) errors.*/\1 \2 \3 \4/p; s/.*(ratio [0-9.]+).*/  \1/p' <<< "$output"
}

for round in $(seq 1 "$rounds"); do
  for workload in ListUsers AdminGetUser SignIn Refresh; do
    for side in $([ $((round % 2)) = 1 ] && echo 0 1 || echo 1 0); do
      line=$(run "$side" "$workload")
      read -r rate p50 p99 errors <<< "$(head -1 <<< "$line")"
      [ "${errors:-1}" = 0 ] || { echo "round $round, $workload on the ${names[$side]} pool failed: $line" >&2; exit 1; }
      echo "round $round $workload ${names[$side]}: $rate req/s, p50 $p50 ms, p99 $p99 ms$(tail -n +2 <<< "$line" | tr -d '\n')"
      echo "$round $workload $side $rate $p50 $p99" >> "$results"
    done
  done
done
echo "median over $rounds rounds of large/small, each round's pair taken seconds apart:"
awk '
  { key = $1 " " $2; value[key, $3] = $4 " " $5 " " $6 }
  function median(list, n,   i, j, t) {
    for (i = 2; i <= n; i++) { t = list[i]; for (j = i - 1; j >= 1 && list[j] > t; j--) list[j + 1] = list[j]; list[j + 1] = t }
    return n % 2 ? list[(n + 1) / 2] : (list[n / 2] + list[n / 2 + 1]) / 2
  }
  END {
    split("ListUsers AdminGetUser SignIn Refresh", workloads, " ")
    for (w = 1; w <= 4; w++) {
      n = 0
      for (key in value) {
        split(key, parts, SUBSEP); split(parts[1], kp, " ")
        if (kp[2] != workloads[w] || parts[2] != 0) continue
        split(value[parts[1], 0], small, " "); split(value[parts[1], 1], large, " ")
        n++; rate[n] = large[1] / small[1]; p50[n] = large[2] / small[2]; p99[n] = large[3] / small[3]
      }
      printf "%s: p50 %.2f, p99 %.2f, requests per second %.2f\n", workloads[w], median(p50, n), median(p99, n), median(rate, n)
    }
  }' "$results"
