#!/usr/bin/env bash
# sentinel_failover.sh measures how long a Sentinel failover keeps clients
# from writing: three real redis-sentinels side by side with three redoubt
# sentinels, each group watching its own master and 3 replicas (all real
# redis-server, so only the sentinels differ), with the same settings
# (quorum 2, down-after-milliseconds 1000). Each round kills the master of
# one group, then of the other (alternating, so background load hits both
# alike), with kill -9; bench/failovertime times from the kill to the first
# SET that succeeds on the master found through SENTINEL
# get-master-addr-by-name. Between rounds the killed node is restarted as a
# replica of the new master and the group is waited for until whole again
# (sentinels agree, know each other, list 3 healthy replicas, the master
# has 3 online) and until 2 x failover-timeout has passed since the kill
# (a sentinel does not start another failover of the same master sooner).
# Reports median and max per group and the ratio of the second group to
# the first (redoubt/redis).
#
# Usage: bench/sentinel_failover.sh
#   KINDS=redis,redoubt  (the two groups' sentinel kinds; KINDS=redis,redis
#     is a dry run with real Sentinel on both sides)
#   ROUNDS=10 DOWN_AFTER=1000 FAILOVER_TIMEOUT=5000 QUORUM=2
#   TIMEOUT=120  (seconds a failover or a restore may take; past it: abort)
# Every process runs on 127.0.0.1, on free ports, and is stopped on exit.
#
# Dry run, KINDS=redis,redis ROUNDS=10 (real Sentinel 7.0.15 on both sides,
# 2 shared cores): median 2194 / 2191 ms, max 2262 / 2247 ms; about 1 s of
# it is down-after-milliseconds, the rest the odown vote, the election and
# the promotion.
# KINDS=redis,redoubt ROUNDS=10 (2026-12-03): redis median 2197.5 max 2235 ms,
# redoubt median 1136.5 max 1149 ms; ratio 0.52 (median), 0.51 (max).
set -euo pipefail

KINDS=${KINDS:-redis,redoubt}
ROUNDS=${ROUNDS:-10}
DOWN_AFTER=${DOWN_AFTER:-1000}
FAILOVER_TIMEOUT=${FAILOVER_TIMEOUT:-5000}
QUORUM=${QUORUM:-2}
TIMEOUT=${TIMEOUT:-120}
NAME=mymaster
PASS=bench-pass
IFS=, read -r -a KIND_LIST <<<"$KINDS"
if ((${#KIND_LIST[@]} != 2)); then
	echo "sentinel_failover.sh: KINDS must name two kinds (e.g. redis,redoubt)" >&2
	exit 1
fi

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

for tool in redis-server redis-cli go; do
	command -v "$tool" >/dev/null || { echo "sentinel_failover.sh: $tool not found" >&2; exit 1; }
done
for k in "${KIND_LIST[@]}"; do
	case $k in
	redis) command -v redis-sentinel >/dev/null || { echo "sentinel_failover.sh: redis-sentinel not found" >&2; exit 1; } ;;
	redoubt) ;;
	*) echo "sentinel_failover.sh: unknown kind $k" >&2; exit 1 ;;
	esac
done

echo "building..." >&2
(cd "$ROOT" && go build -o "$WORK/failovertime" ./bench/failovertime)
if [[ $KINDS == *redoubt* ]]; then
	(cd "$ROOT" && go build -o "$WORK/redoubt" ./cmd/redoubt)
fi



# Per group g (0, 1): node n (0-3) has NPORT[g,n], NPID[g,n], NDIR[g,n];
# sentinels SPORTS[g] (comma-separated addresses).
declare -A NPORT NPID NDIR SADDRS

# start_node G N [--replicaof HOST PORT]: (re)starts data node N of group G
# on its port (a fresh one the first time) and records its pid.
start_node() {
	local g=$1 n=$2 try
	shift 2
	local dir=${NDIR[$g,$n]:-$WORK/g$g-n$n}
	mkdir -p "$dir"
	NDIR[$g,$n]=$dir
	for try in 1 2 3 4 5 6; do
		local port=${NPORT[$g,$n]:-$(freeport)}
		redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" \
			--requirepass "$PASS" --masterauth "$PASS" "$@" >>"$dir/log" 2>&1 &
		local pid=$!
		PIDS+=("$pid")
		if wait_ping "$port" "$pid"; then
			NPORT[$g,$n]=$port NPID[$g,$n]=$pid
			return
		fi
		kill "$pid" 2>/dev/null || true
		sleep 0.5 # a fixed port may still be held by the killed process
	done
	echo "sentinel_failover.sh: node $g/$n did not start:" >&2
	tail -20 "$dir/log" >&2
	exit 1
}

# start_sentinel G I KIND: sentinel I of group G watching node 0.
start_sentinel() {
	local g=$1 i=$2 kind=$3 try
	local dir=$WORK/g$g-s$i
	mkdir -p "$dir"
	for try in 1 2 3; do
		local port
		port=$(freeport)
		cat >"$dir/sentinel.conf" <<-CONF
			port $port
			bind 127.0.0.1
			dir $dir
			sentinel monitor $NAME 127.0.0.1 ${NPORT[$g,0]} $QUORUM
			sentinel down-after-milliseconds $NAME $DOWN_AFTER
			sentinel failover-timeout $NAME $FAILOVER_TIMEOUT
			sentinel auth-pass $NAME $PASS
		CONF
		if [[ $kind == redoubt ]]; then
			"$WORK/redoubt" sentinel "$dir/sentinel.conf" >>"$dir/log" 2>&1 &
		else
			redis-sentinel "$dir/sentinel.conf" >>"$dir/log" 2>&1 &
		fi
		local pid=$!
		PIDS+=("$pid")
		if wait_ping "$port" "$pid"; then
			SADDRS[$g]+="${SADDRS[$g]:+,}127.0.0.1:$port"
			return
		fi
		kill "$pid" 2>/dev/null || true
	done
	echo "sentinel_failover.sh: sentinel $g/$i ($kind) did not start:" >&2
	tail -20 "$dir/log" >&2
	exit 1
}

# whole G: waits until group G is whole and prints its master's address.
whole() {
	"$WORK/failovertime" wait -sentinels "${SADDRS[$1]}" -name "$NAME" -password "$PASS" \
		-replicas 3 -timeout "${TIMEOUT}s"
}

for g in 0 1; do
	start_node "$g" 0
	for n in 1 2 3; do start_node "$g" "$n" --replicaof 127.0.0.1 "${NPORT[$g,0]}"; done
	for i in 0 1 2; do start_sentinel "$g" "$i" "${KIND_LIST[$g]}"; done
done
MASTER=()
for g in 0 1; do
	echo "group $g (${KIND_LIST[$g]} sentinels ${SADDRS[$g]}): waiting for discovery..." >&2
	MASTER[g]=$(whole "$g")
done

# node_of G ADDR: the node index of group G listening on ADDR.
node_of() {
	local n
	for n in 0 1 2 3; do
		if [[ 127.0.0.1:${NPORT[$1,$n]} == "$2" ]]; then echo "$n"; return; fi
	done
	echo "sentinel_failover.sh: $2 is no node of group $1" >&2
	exit 1
}

TIMES0=() TIMES1=()
for r in $(seq 1 "$ROUNDS"); do
	for g in 0 1; do
		old=${MASTER[g]}
		n=$(node_of "$g" "$old")
		killed_at=$(date +%s%N)
		read -r ms new < <("$WORK/failovertime" kill -sentinels "${SADDRS[$g]}" -name "$NAME" -password "$PASS" \
			-pid "${NPID[$g,$n]}" -old "$old" -timeout "${TIMEOUT}s")
		if [[ -z ${new:-} ]]; then
			echo "sentinel_failover.sh: group $g: no failover" >&2
			exit 1
		fi
		wait "${NPID[$g,$n]}" 2>/dev/null || true
		if ((g == 0)); then TIMES0+=("$ms"); else TIMES1+=("$ms"); fi
		echo "round $r group $g (${KIND_LIST[$g]}): first write after ${ms} ms on $new" >&2
		# restore: the killed node comes back as a replica of the new master
		start_node "$g" "$n" --replicaof 127.0.0.1 "${new##*:}"
		MASTER[g]=$(whole "$g")
		# no new failover of this master is started within 2 x failover-timeout
		left=$(((killed_at / 1000000 + 2 * FAILOVER_TIMEOUT + 500 - $(date +%s%N) / 1000000)))
		if ((left > 0)); then sleep "$(awk -v ms="$left" 'BEGIN { printf "%.3f", ms / 1000 }')"; fi
	done
done

# stats NAME TIMES...: one line with the median and max.
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
maxof() { printf '%s\n' "$@" | sort -n | tail -1; }
med0=$(median "${TIMES0[@]}") max0=$(maxof "${TIMES0[@]}")
med1=$(median "${TIMES1[@]}") max1=$(maxof "${TIMES1[@]}")
echo
echo "Sentinel failover, kill -9 of the master to the first write through Sentinel (ms)"
echo "quorum $QUORUM, down-after-milliseconds $DOWN_AFTER, failover-timeout $FAILOVER_TIMEOUT, master + 3 replicas (redis-server), $ROUNDS rounds"
printf '%-10s %8s %8s   %s\n' group median max rounds
printf '%-10s %8s %8s   %s\n' "${KIND_LIST[0]}" "$med0" "$max0" "${TIMES0[*]}"
printf '%-10s %8s %8s   %s\n' "${KIND_LIST[1]}" "$med1" "$max1" "${TIMES1[*]}"
awk -v a="$med0" -v b="$med1" -v c="$max0" -v d="$max1" -v k0="${KIND_LIST[0]}" -v k1="${KIND_LIST[1]}" \
	'BEGIN { printf "ratio %s/%s: median %.2f, max %.2f\n", k1, k0, b / a, d / c }'
