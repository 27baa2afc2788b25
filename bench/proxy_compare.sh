#!/usr/bin/env bash
# proxy_compare.sh measures "redoubt proxy" against twemproxy (nutcracker)
# on this machine, side by side in one run: two redis-server backends, one
# nutcracker.yml (a pool of both, fnv1a_64/ketama) given to nutcracker and
# to redoubt proxy (only the listen port differs), and redis-benchmark GET
# and SET with CLIENTS clients at pipeline 1 and 16 through each proxy, and
# directly to the first backend as a reference. Targets take turns within
# a round and the order rotates from round to round (so background load
# hits all alike). Prints rps per target per round, then the medians and
# the ratios redoubt/nutcracker, nutcracker/direct and redoubt/direct.
# When redoubt proxy does not start (not built yet, or it rejects the
# config), its column and ratios are n/a and the rest still runs.
#
# Usage: bench/proxy_compare.sh
#   TESTS=get,set PIPES="1 16" ROUNDS=3 CLIENTS=50
#   N1=250000 N16=1500000  (requests per run; ~2-4 s each here)
#   RAND=100000  (keyspace for __rand_int__, spread over both shards)
#   NUTCRACKER=/usr/sbin/nutcracker
# Quick run: ROUNDS=1 N1=50000 N16=400000
# Every process runs on 127.0.0.1, on free ports, and is stopped on exit.
# The summary gives the median of each rps column and the ratios of those
# medians.
#
# 2026-12-03, quiet machine (2 cores), medians over 3 rounds, redoubt/nutcracker:
# GET P1 0.845, SET P1 0.822, GET P16 1.756, SET P16 1.475; nutcracker/direct
# 0.750 / 0.734 / 0.273 / 0.411, redoubt/direct 0.633 / 0.604 / 0.480 / 0.606.
# After the epoll client loop (same day, quiet): redoubt/nutcracker GET P1 0.979,
# SET P1 1.076, GET P16 2.811, SET P16 2.371; redoubt/direct 0.805 / 0.777 /
# 0.813 / 0.856.
# With read_from_replicas, backlog and sentinel auth landed (2026-12-03 10:19, quiet
# machine, medians of 3): redoubt/nutcracker GET P1 1.126, SET P1 1.138, GET P16
# 1.998, SET P16 2.234; nutcracker/direct 0.804 / 0.823 / 0.428 / 0.299;
# redoubt/direct 0.905 / 0.937 / 0.856 / 0.669. Per round at P1 the ratio
# ranged 0.89-1.42. A perf profile of the proxy at P1: 84% of its CPU in the
# kernel (71% in the TCP send path of its writes, loopback delivery and
# netfilter included), 15.5% in user space; 2.3 read/write syscalls per
# request against nutcracker's 5.5 (plus its epoll_ctl and getpeername).
set -euo pipefail

TESTS=${TESTS:-get,set}
PIPES=${PIPES:-1 16}
ROUNDS=${ROUNDS:-3}
CLIENTS=${CLIENTS:-50}
N1=${N1:-250000}
N16=${N16:-1500000}
RAND=${RAND:-100000}
NUTCRACKER=${NUTCRACKER:-/usr/sbin/nutcracker}
IFS=, read -r -a TEST_LIST <<<"$TESTS"
TARGETS=(direct nutcracker redoubt)

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
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

for tool in redis-server redis-benchmark redis-cli go "$NUTCRACKER"; do
	command -v "$tool" >/dev/null || { echo "proxy_compare.sh: $tool not found" >&2; exit 1; }
done

echo "building redoubt..." >&2
(cd "$ROOT" && go build -o "$WORK/redoubt" ./cmd/redoubt)



# start_backend: a redis-server on a free port; sets PORT.
start_backend() {
	local try dir pid
	for try in 1 2 3; do
		PORT=$(freeport)
		dir="$WORK/redis-$PORT"
		mkdir -p "$dir"
		redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" >"$dir/log" 2>&1 &
		pid=$!
		PIDS+=("$pid")
		if wait_ping "$PORT" "$pid"; then return; fi
		kill "$pid" 2>/dev/null || true
	done
	echo "proxy_compare.sh: redis-server did not start:" >&2
	cat "$dir/log" >&2
	exit 1
}

start_backend; B1=$PORT
start_backend; B2=$PORT

# conf PORT: the one pool both proxies serve, listening on PORT.
conf() {
	cat <<-YML
		alpha:
		  listen: 127.0.0.1:$1
		  hash: fnv1a_64
		  distribution: ketama
		  redis: true
		  auto_eject_hosts: false
		  server_retry_timeout: 2000
		  server_failure_limit: 1
		  servers:
		   - 127.0.0.1:$B1:1 s1
		   - 127.0.0.1:$B2:1 s2
	YML
}

# start_proxy NAME: starts nutcracker or redoubt proxy on a free port with
# its own copy of the config; sets PORT, or returns 1 if it did not start.
# The stats port is a free one too (nutcracker's default 22222 may be
# taken); a redoubt proxy that rejects -s/-a is tried without them.
start_proxy() {
	local name=$1 try variant dir pid conffile stats
	for try in 1 2 3; do
		PORT=$(freeport)
		stats=$(freeport)
		dir="$WORK/$name-$PORT"
		mkdir -p "$dir"
		conffile="$dir/nutcracker.yml"
		conf "$PORT" >"$conffile"
		for variant in with_stats plain; do
			local args=(-c "$conffile")
			[[ $variant == with_stats ]] && args+=(-s "$stats" -a 127.0.0.1)
			if [[ $name == nutcracker ]]; then
				"$NUTCRACKER" "${args[@]}" -o "$dir/log" >>"$dir/out" 2>&1 &
			else
				"$WORK/redoubt" proxy "${args[@]}" >>"$dir/out" 2>&1 &
			fi
			pid=$!
			PIDS+=("$pid")
			if wait_ping "$PORT" "$pid"; then return 0; fi
			kill "$pid" 2>/dev/null || true
			wait "$pid" 2>/dev/null || true
			[[ $name == nutcracker ]] && break # its flags are known good
		done
	done
	LASTLOG="$dir/out"
	return 1
}

declare -A TPORT
TPORT[direct]=$B1
if start_proxy nutcracker; then
	TPORT[nutcracker]=$PORT
else
	echo "proxy_compare.sh: nutcracker did not start:" >&2
	cat "$LASTLOG" "${LASTLOG%/out}/log" >&2 2>/dev/null || true
	exit 1
fi
if start_proxy redoubt; then
	TPORT[redoubt]=$PORT
else
	echo "proxy_compare.sh: redoubt proxy did not start; its figures are n/a. Its output:" >&2
	tail -5 "$LASTLOG" >&2 || true
	TPORT[redoubt]=
fi

# the proxies really shard: a SET of key:0 .. key:99 through nutcracker
# must land on both backends
for i in $(seq 0 99); do redis-cli -p "${TPORT[nutcracker]}" SET "key:$i" x >/dev/null; done
n1=$(redis-cli -p "$B1" DBSIZE) n2=$(redis-cli -p "$B2" DBSIZE)
echo "backends 127.0.0.1:$B1 127.0.0.1:$B2 (keys after 100 SETs through nutcracker: $n1 + $n2); direct = the first" >&2

# bench PORT TEST PIPE -> rps (n/a when PORT is empty or the run failed).
# redis-benchmark warns that a proxy refuses CONFIG GET; that is harmless.
bench() {
	local port=$1 test=$2 pipe=$3 n=$N1 out
	[[ -z $port ]] && { echo n/a; return; }
	((pipe > 1)) && n=$N16
	out=$(redis-benchmark -h 127.0.0.1 -p "$port" -c "$CLIENTS" -P "$pipe" -n "$n" -r "$RAND" -t "$test" --csv 2>/dev/null | tail -1 | tr -d '"' | awk -F, '{ print $2 }')
	if [[ $out =~ ^[0-9.]+$ ]]; then echo "$out"; else echo n/a; fi
}

# ratio A B: A/B to 3 decimals, n/a if either is.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "n/a" || b == "n/a" || b <= 0) print "n/a"; else printf "%.3f\n", a / b }'; }

RESULTS="$WORK/results"
: >"$RESULTS"
HEADER="round test pipeline direct_rps nutcracker_rps redoubt_rps redoubt/nutcracker nutcracker/direct redoubt/direct"
echo "$HEADER"
for round in $(seq "$ROUNDS"); do
	for pipe in $PIPES; do
		for test in "${TEST_LIST[@]}"; do
			declare -A rps=()
			# rotate the order of the three targets round by round
			for k in 0 1 2; do
				who=${TARGETS[$(((k + round - 1) % 3))]}
				rps[$who]=$(bench "${TPORT[$who]}" "$test" "$pipe")
			done
			line="$round $test $pipe ${rps[direct]} ${rps[nutcracker]} ${rps[redoubt]} $(ratio "${rps[redoubt]}" "${rps[nutcracker]}") $(ratio "${rps[nutcracker]}" "${rps[direct]}") $(ratio "${rps[redoubt]}" "${rps[direct]}")"
			echo "$line"
			echo "$line" >>"$RESULTS"
		done
	done
done

echo
echo "summary (median over $ROUNDS rounds; redis-benchmark -c $CLIENTS -r $RAND, N1=$N1 N16=$N16)"
echo "test pipeline direct_rps nutcracker_rps redoubt_rps redoubt/nutcracker nutcracker/direct redoubt/direct"
for pipe in $PIPES; do
	for test in "${TEST_LIST[@]}"; do
		awk -v t="$test" -v p="$pipe" '$2 == t && $3 == p' "$RESULTS" | awk '
			# median(col): the median of a column; n/a if a round has n/a
			function median(col,   i, j, n, v, tmp) {
				n = 0
				for (i = 1; i <= NR; i++) { if (row[i, col] == "n/a") return "n/a"; v[++n] = row[i, col] + 0 }
				for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { tmp = v[i]; v[i] = v[j]; v[j] = tmp }
				return (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
			}
			function q(a, b) { return (a == "n/a" || b == "n/a" || b <= 0) ? "n/a" : sprintf("%.3f", a / b) }
			function f(x) { return x == "n/a" ? x : sprintf("%.0f", x) }
			{ for (c = 1; c <= NF; c++) row[NR, c] = $c }
			END {
				if (!NR) exit
				d = median(4); n = median(5); r = median(6)
				print row[1, 2], row[1, 3], f(d), f(n), f(r), q(r, n), q(n, d), q(r, d)
			}'
	done
done
