#!/usr/bin/env bash
# compare.sh measures redoubt against the real redis-server on this machine:
# redis-benchmark GET/SET throughput and p99 latency at pipeline 1 and 16,
# run against both servers in alternation (so background load hits both
# alike), and the RSS cost per key after loading 1,000,000 distinct keys.
#
# Usage: bench/compare.sh            (ROUNDS=3 CLIENTS=50 N1=600000 N16=5000000 KEYS=1000000)
# Both servers run on 127.0.0.1, on free ports, with --save '' --appendonly no;
# every process started here is stopped on exit.
set -euo pipefail

ROUNDS=${ROUNDS:-3}
CLIENTS=${CLIENTS:-50}
N1=${N1:-600000}     # requests per run at pipeline 1 (~5 s)
N16=${N16:-5000000}  # requests per run at pipeline 16 (~5 s)
KEYS=${KEYS:-1000000}

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
PIDS=()

cleanup() {
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for tool in redis-server redis-benchmark redis-cli go; do
	command -v "$tool" >/dev/null || { echo "compare.sh: $tool not found" >&2; exit 1; }
done

echo "building redoubt..." >&2
(cd "$ROOT" && go build -o "$WORK/redoubt" ./cmd/redoubt)

freeport() {
	local port
	while :; do
		port=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return
		fi
	done
}

# start NAME: starts a fresh server and sets PORT and PID.
start() {
	local name=$1 dir="$WORK/$1-$RANDOM"
	mkdir -p "$dir"
	PORT=$(freeport)
	local common=(--port "$PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir")
	if [[ $name == redoubt ]]; then
		"$WORK/redoubt" server "${common[@]}" >"$dir/log" 2>&1 &
	else
		redis-server "${common[@]}" >"$dir/log" 2>&1 &
	fi
	PID=$!
	PIDS+=("$PID")
	for _ in $(seq 100); do
		if [[ $(redis-cli -p "$PORT" ping 2>/dev/null) == PONG ]]; then
			return
		fi
		sleep 0.1
	done
	echo "compare.sh: $name did not start:" >&2
	cat "$dir/log" >&2
	exit 1
}

stop() {
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

rss_bytes() { awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$1/status"; }

start redoubt; RD_PORT=$PORT; RD_PID=$PID
start redis; RS_PORT=$PORT; RS_PID=$PID

# bench PORT TEST PIPELINE -> "rps p99_ms"
bench() {
	local port=$1 test=$2 pipe=$3 n=$N1
	[[ $pipe -gt 1 ]] && n=$N16
	redis-benchmark -h 127.0.0.1 -p "$port" -t "$test" -c "$CLIENTS" -P "$pipe" -n "$n" --csv 2>/dev/null |
		tail -1 | tr -d '"' | awk -F, '{ print $2, $7 }'
}

RESULTS="$WORK/results"
: >"$RESULTS"
echo "round test pipeline redoubt_rps redis_rps rps_ratio redoubt_p99_ms redis_p99_ms p99_ratio"
for round in $(seq "$ROUNDS"); do
	for pipe in 1 16; do
		for test in set get; do
			# alternate which server goes first, round by round
			if ((round % 2)); then order="redoubt redis"; else order="redis redoubt"; fi
			for who in $order; do
				if [[ $who == redoubt ]]; then read -r rd_rps rd_p99 < <(bench "$RD_PORT" "$test" "$pipe")
				else read -r rs_rps rs_p99 < <(bench "$RS_PORT" "$test" "$pipe"); fi
			done
			line=$(awk -v r="$round" -v t="$test" -v p="$pipe" -v a="$rd_rps" -v b="$rs_rps" -v c="$rd_p99" -v d="$rs_p99" \
				'BEGIN { printf "%s %s %s %.0f %.0f %.3f %.3f %.3f %.3f\n", r, t, p, a, b, a / b, c, d, (d > 0 ? c / d : 0) }')
			echo "$line"
			echo "$line" >>"$RESULTS"
		done
	done
done

echo
echo "summary (median over $ROUNDS rounds)"
echo "test pipeline redoubt_rps redis_rps rps_ratio redoubt_p99_ms redis_p99_ms p99_ratio"
for pipe in 1 16; do
	for test in set get; do
		awk -v t="$test" -v p="$pipe" '$2 == t && $3 == p' "$RESULTS" | awk '
			function median(col,   i, j, n, v, tmp) {
				n = 0
				for (i = 1; i <= NR; i++) v[++n] = row[i, col]
				for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { tmp = v[i]; v[i] = v[j]; v[j] = tmp }
				return (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
			}
			{ for (c = 1; c <= NF; c++) row[NR, c] = $c }
			END { printf "%s %s %.0f %.0f %.3f %.3f %.3f %.3f\n", row[1, 2], row[1, 3], median(4), median(5), median(6), median(7), median(8), median(9) }'
	done
done

stop "$RD_PID"
stop "$RS_PID"

# Memory: fresh servers, exactly $KEYS distinct keys with 16-byte values.
echo
echo "memory: $KEYS x SET key:N <16-byte value> via redis-cli --pipe"
awk -v n="$KEYS" 'BEGIN {
	for (i = 0; i < n; i++) {
		k = "key:" i; v = sprintf("v%015d", i)
		printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$16\r\n%s\r\n", length(k), k, v
	}
}' >"$WORK/load.resp"
declare -A PER_KEY
for who in redoubt redis; do
	start "$who"
	sleep 1
	before=$(rss_bytes "$PID")
	redis-cli -p "$PORT" --pipe <"$WORK/load.resp" >/dev/null
	dbsize=$(redis-cli -p "$PORT" dbsize)
	sleep 1
	after=$(rss_bytes "$PID")
	PER_KEY[$who]=$(awk -v a="$after" -v b="$before" -v n="$KEYS" 'BEGIN { printf "%.1f", (a - b) / n }')
	echo "$who: dbsize=$dbsize rss_before=$before rss_after=$after bytes_per_key=${PER_KEY[$who]}"
	stop "$PID"
done
awk -v a="${PER_KEY[redoubt]}" -v b="${PER_KEY[redis]}" 'BEGIN { printf "bytes/key ratio redoubt/redis: %.2f\n", a / b }'
