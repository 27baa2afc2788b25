#!/usr/bin/env bash
# compare.sh measures redoubt against the real redis-server on this machine:
# redis-benchmark throughput and p99 latency (GET, SET, LPUSH, LPOP, SADD,
# HSET, ZADD, LRANGE_100, ZRANGEBYSCORE; opt-in XADD, XREADGROUP, EVALSHA)
# at pipeline 1 and 16, run against both servers in alternation (so
# background load hits both alike), then the
# RSS cost per key after loading 1,000,000 string keys and per element of
# 1,000,000-element aggregates (one list, hash, set and sorted set), and
# per entry of a 1,000,000-entry stream (alone, and with a consumer group
# holding every entry pending).
#
# Usage: bench/compare.sh
#   TESTS=get,set,lpush,lpop,sadd,hset,zadd,lrange_100,zrangebyscore (also: xadd, xreadgroup, evalsha)
#   PIPES="1 16" ROUNDS=3 CLIENTS=50 N1=600000 N16=5000000 RAND=100000
#   KEYS=1000000 ELEMS=1000000 MEMORY=strings,list,hash,set,zset,stream,stream_pel
#   PERSIST=rdb,aof  (RDB and AOF figures; PERSIST= skips them; items:
#     rdb, aof (= aof_set,aof_rewrite), aof_set, aof_rewrite)
#   AOF_FSYNC="everysec always" AOF_ALWAYS_DIV=10 (always runs N/DIV requests)
# Quick run: TESTS=get,set ROUNDS=1 N1=100000 N16=1000000 MEMORY= PERSIST=
#   REPL=fullsync,replset,lag,stall  (replication figures; REPL= skips them)
#   REPL_REPLICA=redoubt  (the replicas' kind in the redoubt pair; redis
#     gives a redoubt master with redis-server replicas)
#   REPL_TIMEOUT=120  (seconds a replica gets to sync; past it: n/a)
# Quick run: TESTS=get,set ROUNDS=1 N1=100000 N16=1000000 MEMORY= PERSIST= REPL=
# Quick persistence run: TESTS= MEMORY= ROUNDS=1 KEYS=200000 N1=100000 N16=1000000 REPL=
# Quick replication run: TESTS= MEMORY= PERSIST= ROUNDS=1 KEYS=200000 N1=100000 N16=1000000
# Both servers run on 127.0.0.1, on free ports, with --save '' --appendonly no
# (the AOF figures turn the AOF on); every process started here is stopped
# on exit.
#
# Replication figures compare a redoubt pair (a redoubt master and redoubt
# replicas, or redis-server replicas with REPL_REPLICA=redis) with a Redis
# pair (redis-server master and replicas). Masters run with
# --repl-diskless-sync yes (Redis 7's default) --repl-diskless-sync-delay 0
# (no 5 s wait for more replicas); replicas start with --replicaof. A
# replica is synced when its INFO replication shows master_link_status:up
# and master_sync_in_progress:0 and its DBSIZE equals the master's; one not
# synced within REPL_TIMEOUT seconds makes its pair's figures n/a.
#   fullsync: a master filled with KEYS mixed keys (as the RDB figures),
#     the time from starting a fresh replica until it is synced.
#   stall: the longest GET round trip (bench/stall) on that master during
#     that sync (goal <= 10 ms); fullsync and stall share one sync.
#   replset: SET throughput (as the SET figures) on a master with two synced
#     replicas; rps_ratio is redoubt/redis (goal >= 1.0).
#   lag: in separate runs of that same load, bench/repllag samples the
#     master's master_repl_offset every 10 ms and polls each replica's
#     slave_repl_offset every 1 ms; the lag of a sample is the time until a
#     replica's offset reached it (each reading stamped at the midpoint of
#     its INFO round trip, so the resolution is about 1 ms plus an INFO
#     round trip); p50/p99/max over both replicas, in ms.
set -euo pipefail

ROUNDS=${ROUNDS:-3}
CLIENTS=${CLIENTS:-50}
N1=${N1:-600000}     # requests per run at pipeline 1 (~5 s)
N16=${N16:-5000000}  # requests per run at pipeline 16 (~5 s)
KEYS=${KEYS:-1000000}
ELEMS=${ELEMS:-1000000}
TESTS=${TESTS-get,set,lpush,lpop,sadd,hset,zadd,lrange_100,zrangebyscore}
PIPES=${PIPES:-1 16}
RAND=${RAND-100000} # keyspace/member range for __rand_int__ (-r)
MEMORY=${MEMORY-strings,list,hash,set,zset,stream,stream_pel}
PERSIST=${PERSIST-rdb,aof} # empty: skip the persistence figures
REPL=${REPL-fullsync,replset,lag,stall} # empty: skip the replication figures
REPL_REPLICA=${REPL_REPLICA:-redoubt}
REPL_TIMEOUT=${REPL_TIMEOUT:-120}
AOF_FSYNC=${AOF_FSYNC:-everysec always}
AOF_ALWAYS_DIV=${AOF_ALWAYS_DIV:-10} # appendfsync always is ~10x slower: fewer requests
IFS=, read -r -a TEST_LIST <<<"$TESTS"
IFS=, read -r -a MEMORY_LIST <<<"$MEMORY"
IFS=, read -r -a REPL_LIST <<<"$REPL"
want_fullsync=0 want_replset=0 want_lag=0 want_stall=0
for r in "${REPL_LIST[@]}"; do
	case $r in
	fullsync) want_fullsync=1 ;;
	replset) want_replset=1 ;;
	lag) want_lag=1 ;;
	stall) want_stall=1 ;;
	*) echo "compare.sh: unknown REPL item $r" >&2; exit 1 ;;
	esac
done

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

for tool in redis-server redis-benchmark redis-cli go; do
	command -v "$tool" >/dev/null || { echo "compare.sh: $tool not found" >&2; exit 1; }
done

echo "building redoubt..." >&2
(cd "$ROOT" && go build -o "$WORK/redoubt" ./cmd/redoubt && go build -o "$WORK/stall" ./bench/stall && go build -o "$WORK/repllag" ./bench/repllag)


# start NAME [ARGS...]: starts a fresh server and sets PORT and PID, trying
# another port when the chosen one was taken meanwhile by a process on the
# host. ARGS replace the default --appendonly no.
start() {
	local try
	for try in 1 2 3; do
		start_once "$@" && return
	done
	echo "compare.sh: $1 did not start:" >&2
	cat "$LASTLOG" >&2
	exit 1
}

start_once() {
	local name=$1 dir="$WORK/$1-$RANDOM"
	shift
	mkdir -p "$dir"
	LASTLOG="$dir/log"
	PORT=$(freeport)
	local common=(--port "$PORT" --bind 127.0.0.1 --save '' --dir "$dir")
	if (($#)); then common+=("$@"); else common+=(--appendonly no); fi
	if [[ $name == redoubt ]]; then
		"$WORK/redoubt" server "${common[@]}" >"$dir/log" 2>&1 &
	else
		redis-server "${common[@]}" >"$dir/log" 2>&1 &
	fi
	PID=$!
	PIDS+=("$PID")
	for _ in $(seq 100); do
		if ! kill -0 "$PID" 2>/dev/null; then
			return 1
		fi
		# a replica may answer LOADING while it loads its master's data
		case $(redis-cli -p "$PORT" ping 2>/dev/null) in
		PONG | LOADING*) return 0 ;;
		esac
		sleep 0.1
	done
	return 1
}

stop() {
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

rss_bytes() { awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$1/status"; }


# load PORT FILE: feeds a RESP file through redis-cli --pipe.
load() { redis-cli -p "$1" --pipe <"$2" >/dev/null; }

# The ZRANGEBYSCORE test reads a 1000-member sorted set (skiplist encoded,
# scores 0..999) that it never modifies.
awk 'BEGIN {
	printf "*2002\r\n$4\r\nZADD\r\n$8\r\nzbench:r\r\n"
	for (i = 0; i < 1000; i++) { s = i ""; m = "element:" i; printf "$%d\r\n%s\r\n$%d\r\n%s\r\n", length(s), s, length(m), m }
}' >"$WORK/zbench.resp"
# The XREADGROUP test rereads (COUNT 10, from ID 0) the 1000 pending entries
# of consumer c in group g of stream xbench:r; XADD appends to xbench:w.
awk 'BEGIN {
	for (i = 1; i <= 1000; i++) { id = i "-1"; printf "*5\r\n$4\r\nXADD\r\n$8\r\nxbench:r\r\n$%d\r\n%s\r\n$5\r\nfield\r\n$5\r\nvalue\r\n", length(id), id }
	printf "*5\r\n$6\r\nXGROUP\r\n$6\r\nCREATE\r\n$8\r\nxbench:r\r\n$1\r\ng\r\n$1\r\n0\r\n"
	printf "*9\r\n$10\r\nXREADGROUP\r\n$5\r\nGROUP\r\n$1\r\ng\r\n$1\r\nc\r\n$5\r\nCOUNT\r\n$4\r\n1000\r\n$7\r\nSTREAMS\r\n$8\r\nxbench:r\r\n$1\r\n>\r\n"
}' >>"$WORK/zbench.resp"

# The EVALSHA test runs a cached one-GET script on random keys.
EVAL_SCRIPT="return redis.call('GET', KEYS[1])"

# summarize FILE TEST...: the median of each column over the rounds, per
# pipeline and test, of the per-round lines in FILE.
summarize() {
	local file=$1
	shift
	echo
	echo "summary (median over $ROUNDS rounds)"
	echo "test pipeline redoubt_rps redis_rps rps_ratio redoubt_p99_ms redis_p99_ms p99_ratio"
	for pipe in $PIPES; do
		for test in "$@"; do
			awk -v t="$test" -v p="$pipe" '$2 == t && $3 == p' "$file" | awk '
				# median(col, fmt): the formatted median; n/a if a round has n/a
				function median(col, fmt,   i, j, n, v, tmp) {
					n = 0
					for (i = 1; i <= NR; i++) { if (row[i, col] == "n/a") return "n/a"; v[++n] = row[i, col] + 0 }
					for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { tmp = v[i]; v[i] = v[j]; v[j] = tmp }
					return sprintf(fmt, (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2)
				}
				{ for (c = 1; c <= NF; c++) row[NR, c] = $c }
				END { if (NR) print row[1, 2], row[1, 3], median(4, "%.0f"), median(5, "%.0f"), median(6, "%.3f"), median(7, "%.3f"), median(8, "%.3f"), median(9, "%.3f") }'
		done
	done
}

# round_line ROUND TEST PIPE RD_RPS RS_RPS RD_P99 RS_P99: one result line
# (a figure may be n/a, and then so is its ratio).
round_line() {
	awk -v r="$1" -v t="$2" -v p="$3" -v a="$4" -v b="$5" -v c="$6" -v d="$7" \
		'function f(x, fmt) { return x == "n/a" ? x : sprintf(fmt, x) }
		function q(x, y) { return (x == "n/a" || y == "n/a") ? "n/a" : sprintf("%.3f", y > 0 ? x / y : 0) }
		BEGIN { print r, t, p, f(a, "%.0f"), f(b, "%.0f"), q(a, b), f(c, "%.3f"), f(d, "%.3f"), q(c, d) }'
}

# bench PORT TEST PIPELINE [DIV] -> "rps p99_ms"
# Built-in tests run with -t; zrangebyscore is a custom command line. LRANGE
# and ZRANGEBYSCORE move ~100x more bytes per request, so they get fewer.
# DIV divides the number of requests (slow configurations).
bench() {
	local port=$1 test=$2 pipe=$3 n=$N1
	[[ $pipe -gt 1 ]] && n=$N16
	n=$((n / ${4:-1}))
	local args=(-h 127.0.0.1 -p "$port" -c "$CLIENTS" -P "$pipe" --csv)
	case $test in
	lrange_100) args+=(-n $((n / 8)) -t lrange_100) ;;
	zrangebyscore) args+=(-n $((n / 4)) -r 900 ZRANGEBYSCORE zbench:r __rand_int__ +inf LIMIT 0 10) ;;
	xadd) args+=(-n "$n" XADD xbench:w '*' field value) ;;
	xreadgroup) args+=(-n $((n / 4)) XREADGROUP GROUP g c COUNT 10 STREAMS xbench:r 0) ;;
	evalsha)
		args+=(-n "$n")
		[[ -n $RAND ]] && args+=(-r "$RAND")
		args+=(EVALSHA "$EVAL_SHA" 1 key:__rand_int__) ;;
	*)
		args+=(-n "$n" -t "$test")
		# RAND= (empty) keeps redis-benchmark's default: one key for all requests
		[[ -n $RAND ]] && args+=(-r "$RAND")
		;;
	esac
	redis-benchmark "${args[@]}" 2>/dev/null | tail -1 | tr -d '"' | awk -F, '{ print $2, $7 }'
}

if ((${#TEST_LIST[@]})); then
start redoubt; RD_PORT=$PORT; RD_PID=$PID
start redis; RS_PORT=$PORT; RS_PID=$PID
load "$RD_PORT" "$WORK/zbench.resp"
load "$RS_PORT" "$WORK/zbench.resp"
EVAL_SHA=$(redis-cli -p "$RS_PORT" script load "$EVAL_SCRIPT")
if [[ $(redis-cli -p "$RD_PORT" script load "$EVAL_SCRIPT") != "$EVAL_SHA" ]]; then
	echo "compare.sh: SCRIPT LOAD gave different SHAs" >&2
	exit 1
fi

RESULTS="$WORK/results"
: >"$RESULTS"
echo "round test pipeline redoubt_rps redis_rps rps_ratio redoubt_p99_ms redis_p99_ms p99_ratio"
for round in $(seq "$ROUNDS"); do
	for pipe in $PIPES; do
		for test in "${TEST_LIST[@]}"; do
			# alternate which server goes first, round by round
			if ((round % 2)); then order="redoubt redis"; else order="redis redoubt"; fi
			for who in $order; do
				if [[ $who == redoubt ]]; then read -r rd_rps rd_p99 < <(bench "$RD_PORT" "$test" "$pipe")
				else read -r rs_rps rs_p99 < <(bench "$RS_PORT" "$test" "$pipe"); fi
			done
			line=$(round_line "$round" "$test" "$pipe" "$rd_rps" "$rs_rps" "$rd_p99" "$rs_p99")
			echo "$line"
			echo "$line" >>"$RESULTS"
		done
	done
done

summarize "$RESULTS" "${TEST_LIST[@]}"

stop "$RD_PID"
stop "$RS_PID"
fi

# Memory: fresh servers for each data set; RSS growth divided by the number
# of keys or elements loaded. Aggregates are built 1000 elements per command.
gen_strings() {
	awk -v n="$KEYS" 'BEGIN {
		for (i = 0; i < n; i++) {
			k = "key:" i; v = sprintf("v%015d", i)
			printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$16\r\n%s\r\n", length(k), k, v
		}
	}'
}
# gen_aggregate CMD KEY SHAPE: SHAPE is "m" (member), "fv" (field, 16-byte
# value) or "sm" (score, member).
gen_aggregate() {
	awk -v n="$ELEMS" -v cmd="$1" -v key="$2" -v shape="$3" 'BEGIN {
		per = (shape == "m") ? 1 : 2
		for (i = 0; i < n; i += 1000) {
			b = (n - i < 1000) ? n - i : 1000
			printf "*%d\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", 2 + b * per, length(cmd), cmd, length(key), key
			for (j = i; j < i + b; j++) {
				m = "element:" j
				if (shape == "sm") { s = j ""; printf "$%d\r\n%s\r\n", length(s), s }
				printf "$%d\r\n%s\r\n", length(m), m
				if (shape == "fv") printf "$16\r\n%s\r\n", sprintf("v%015d", j)
			}
		}
	}'
}

# gen_stream: ELEMS x XADD big:stream * user <N> action element:N (two
# fields, an integer and a short string value: the usual event shape),
# auto IDs, pipelined.
gen_stream() {
	awk -v n="$ELEMS" 'BEGIN {
		for (i = 0; i < n; i++) {
			u = i ""; m = "element:" i
			printf "*7\r\n$4\r\nXADD\r\n$10\r\nbig:stream\r\n$1\r\n*\r\n$4\r\nuser\r\n$%d\r\n%s\r\n$6\r\naction\r\n$%d\r\n%s\r\n", length(u), u, length(m), m
		}
	}'
}
# gen_stream_pel: the stream above, then group g delivers every entry to
# consumer c (XREADGROUP COUNT 1000 per call), leaving all of them pending.
gen_stream_pel() {
	gen_stream
	awk -v n="$ELEMS" 'BEGIN {
		printf "*5\r\n$6\r\nXGROUP\r\n$6\r\nCREATE\r\n$10\r\nbig:stream\r\n$1\r\ng\r\n$1\r\n0\r\n"
		for (i = 0; i < n; i += 1000)
			printf "*9\r\n$10\r\nXREADGROUP\r\n$5\r\nGROUP\r\n$1\r\ng\r\n$1\r\nc\r\n$5\r\nCOUNT\r\n$4\r\n1000\r\n$7\r\nSTREAMS\r\n$10\r\nbig:stream\r\n$1\r\n>\r\n"
	}'
}

# measure NAME COUNT UNIT: loads $WORK/NAME.resp into each kind of server.
measure() {
	local name=$1 count=$2 unit=$3
	declare -A per
	for who in redoubt redis; do
		start "$who"
		sleep 1
		local before after size
		before=$(rss_bytes "$PID")
		load "$PORT" "$WORK/$name.resp"
		size=$(redis-cli -p "$PORT" dbsize)
		sleep 1
		after=$(rss_bytes "$PID")
		per[$who]=$(awk -v a="$after" -v b="$before" -v n="$count" 'BEGIN { printf "%.1f", (a - b) / n }')
		echo "  $who: dbsize=$size rss_before=$before rss_after=$after bytes_per_$unit=${per[$who]}"
		stop "$PID"
	done
	awk -v t="$name" -v u="$unit" -v a="${per[redoubt]}" -v b="${per[redis]}" \
		'BEGIN { printf "%s bytes/%s redoubt=%s redis=%s ratio=%.2f\n", t, u, a, b, (b > 0 ? a / b : 0) }' | tee -a "$WORK/memsum"
}

: >"$WORK/memsum"
for m in "${MEMORY_LIST[@]}"; do
	echo
	case $m in
	strings)
		echo "memory: $KEYS x SET key:N <16-byte value> via redis-cli --pipe"
		gen_strings >"$WORK/$m.resp"
		measure "$m" "$KEYS" key ;;
	list)
		echo "memory: RPUSH of $ELEMS x element:N into one list"
		gen_aggregate RPUSH big:list m >"$WORK/$m.resp"
		measure "$m" "$ELEMS" element ;;
	hash)
		echo "memory: HSET of $ELEMS x element:N <16-byte value> into one hash"
		gen_aggregate HSET big:hash fv >"$WORK/$m.resp"
		measure "$m" "$ELEMS" element ;;
	set)
		echo "memory: SADD of $ELEMS x element:N into one set"
		gen_aggregate SADD big:set m >"$WORK/$m.resp"
		measure "$m" "$ELEMS" element ;;
	zset)
		echo "memory: ZADD of $ELEMS x (N, element:N) into one sorted set"
		gen_aggregate ZADD big:zset sm >"$WORK/$m.resp"
		measure "$m" "$ELEMS" element ;;
	stream)
		echo "memory: $ELEMS x XADD big:stream * user N action element:N"
		gen_stream >"$WORK/$m.resp"
		measure "$m" "$ELEMS" entry ;;
	stream_pel)
		echo "memory: the same stream plus group g with all $ELEMS entries pending for consumer c"
		gen_stream_pel >"$WORK/$m.resp"
		measure "$m" "$ELEMS" entry ;;
	*) echo "compare.sh: unknown MEMORY item $m" >&2; exit 1 ;;
	esac
	rm -f "$WORK/$m.resp"
done
if [[ -s $WORK/memsum ]]; then
	echo
	echo "memory summary"
	cat "$WORK/memsum"
fi

# Persistence (RDB): a mixed dataset of KEYS keys (80% strings, 10% small
# hashes, 5% small lists, 5% small sorted sets). For each server: BGSAVE
# time, file size, peak RSS growth during BGSAVE (% of the dataset's RSS),
# the longest GET round trip of a client polling every 1 ms during BGSAVE
# (bench/stall), and the time to load the file at start-up (the servers'
# own "DB loaded from disk" line).
gen_mixed() {
	awk -v n="$KEYS" 'BEGIN {
		for (i = 0; i < n; i++) {
			r = i % 20; k = "key:" i
			if (r < 16) { v = sprintf("v%015d", i); printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$16\r\n%s\r\n", length(k), k, v }
			else if (r < 18) printf "*6\r\n$4\r\nHSET\r\n$%d\r\n%s\r\n$4\r\nname\r\n$5\r\nalice\r\n$3\r\nage\r\n$2\r\n42\r\n", length(k), k
			else if (r < 19) printf "*6\r\n$5\r\nRPUSH\r\n$%d\r\n%s\r\n$1\r\na\r\n$1\r\nb\r\n$5\r\n12345\r\n$6\r\nlonger\r\n", length(k), k
			else printf "*6\r\n$4\r\nZADD\r\n$%d\r\n%s\r\n$1\r\n1\r\n$1\r\nx\r\n$3\r\n2.5\r\n$1\r\ny\r\n", length(k), k
		}
	}'
}

# load_ms NAME DIR LINE ARGS...: starts a server of kind NAME on DIR (on
# PORT, with ARGS), waits for its log line "LINE: <seconds>" and prints
# that time in ms, then stops it.
load_ms() {
	local who=$1 dir=$2 line=$3
	shift 3
	local args=(--port "$PORT" --bind 127.0.0.1 --save '' --dir "$dir" "$@")
	if [[ $who == redoubt ]]; then
		"$WORK/redoubt" server "${args[@]}" >"$dir/load.log" 2>&1 &
	else
		redis-server "${args[@]}" >"$dir/load.log" 2>&1 &
	fi
	local pid=$!
	PIDS+=("$pid")
	for _ in $(seq 1200); do grep -q "$line" "$dir/load.log" && break; sleep 0.1; done
	grep -o "$line: [0-9.]*" "$dir/load.log" | tail -1 | awk '{ print $NF * 1000 }'
	stop "$pid"
}

persist_rdb() {
	gen_mixed >"$WORK/mixed.resp"
	declare -A save load size stallms cow
	for who in redoubt redis; do
		start "$who"
		local dir
		dir=$(dirname "$LASTLOG")
		load "$PORT" "$WORK/mixed.resp"
		sleep 1
		local base peak t0 t1 r
		base=$(rss_bytes "$PID"); peak=$base
		"$WORK/stall" -addr "127.0.0.1:$PORT" >"$WORK/stall.out" &
		local sp=$!
		sleep 0.5
		t0=$(date +%s%N)
		redis-cli -p "$PORT" bgsave >/dev/null
		while redis-cli -p "$PORT" info persistence | grep -q 'rdb_bgsave_in_progress:1'; do
			r=$(rss_bytes "$PID"); ((r > peak)) && peak=$r
			sleep 0.005
		done
		t1=$(date +%s%N)
		sleep 0.5
		kill -TERM "$sp"; wait "$sp" 2>/dev/null || true
		save[$who]=$(( (t1 - t0) / 1000000 ))
		size[$who]=$(stat -c %s "$dir/dump.rdb")
		stallms[$who]=$(cat "$WORK/stall.out")
		cow[$who]=$(awk -v p="$peak" -v b="$base" 'BEGIN { printf "%.1f", (p - b) * 100 / b }')
		stop "$PID"
		load[$who]=$(load_ms "$who" "$dir" 'DB loaded from disk' --appendonly no)
		echo "  $who: bgsave_ms=${save[$who]} rdb_bytes=${size[$who]} bgsave_peak_rss_growth=${cow[$who]}% max_get_stall_ms=${stallms[$who]} load_ms=${load[$who]}"
	done
	awk -v a="${save[redoubt]}" -v b="${save[redis]}" -v c="${size[redoubt]}" -v d="${size[redis]}" -v e="${load[redoubt]}" -v f="${load[redis]}" \
		'BEGIN { printf "rdb ratios (redoubt/redis): bgsave_time=%.2f file_size=%.3f load_time=%.2f\n", a / b, c / d, e / f }'
	rm -f "$WORK/mixed.resp"
}

# AOF throughput: SET at each pipeline with appendfsync everysec, then
# always, on fresh servers each round (so both start from an empty AOF),
# run alternately as the throughput tests above.
persist_aof_set() {
	local results="$WORK/aof_results" tests=() fsync round pipe who div rd_pid rs_pid rd_port rs_port
	: >"$results"
	echo "round test pipeline redoubt_rps redis_rps rps_ratio redoubt_p99_ms redis_p99_ms p99_ratio"
	for round in $(seq "$ROUNDS"); do
		for fsync in $AOF_FSYNC; do
			div=1
			[[ $fsync == always ]] && div=$AOF_ALWAYS_DIV
			start redoubt --appendonly yes --appendfsync "$fsync"; rd_port=$PORT; rd_pid=$PID
			start redis --appendonly yes --appendfsync "$fsync"; rs_port=$PORT; rs_pid=$PID
			for pipe in $PIPES; do
				if ((round % 2)); then order="redoubt redis"; else order="redis redoubt"; fi
				for who in $order; do
					if [[ $who == redoubt ]]; then read -r rd_rps rd_p99 < <(bench "$rd_port" set "$pipe" "$div")
					else read -r rs_rps rs_p99 < <(bench "$rs_port" set "$pipe" "$div"); fi
				done
				line=$(round_line "$round" "set_$fsync" "$pipe" "$rd_rps" "$rs_rps" "$rd_p99" "$rs_p99")
				echo "$line"
				echo "$line" >>"$results"
			done
			stop "$rd_pid"
			stop "$rs_pid"
			rm -rf "$WORK"/redoubt-* "$WORK"/redis-*
		done
	done
	for fsync in $AOF_FSYNC; do tests+=("set_$fsync"); done
	summarize "$results" "${tests[@]}"
}

# AOF rewrite on the mixed dataset: fed with appendonly yes (everysec), the
# AOF is first an empty base plus one incr file of KEYS commands; its load
# time at start-up is aof_load. Then BGREWRITEAOF (the default RDB
# preamble): its time and the longest GET round trip during it, then the
# load time of the rewritten AOF (rewritten_load).
persist_aof_rewrite() {
	gen_mixed >"$WORK/mixed.resp"
	declare -A rewrite stallms cmdload baseload
	local aofargs=(--appendonly yes --appendfsync everysec)
	for who in redoubt redis; do
		start "$who" "${aofargs[@]}"
		local dir t0 t1 sp
		dir=$(dirname "$LASTLOG")
		load "$PORT" "$WORK/mixed.resp"
		stop "$PID"
		cmdload[$who]=$(load_ms "$who" "$dir" 'DB loaded from append only file' "${aofargs[@]}")
		if [[ $who == redoubt ]]; then
			"$WORK/redoubt" server --port "$PORT" --bind 127.0.0.1 --save '' --dir "$dir" "${aofargs[@]}" >"$dir/log2" 2>&1 &
		else
			redis-server --port "$PORT" --bind 127.0.0.1 --save '' --dir "$dir" "${aofargs[@]}" >"$dir/log2" 2>&1 &
		fi
		PID=$!; PIDS+=("$PID")
		for _ in $(seq 1200); do [[ $(redis-cli -p "$PORT" ping 2>/dev/null) == PONG ]] && break; sleep 0.1; done
		sleep 1
		"$WORK/stall" -addr "127.0.0.1:$PORT" >"$WORK/stall.out" &
		sp=$!
		sleep 0.5
		t0=$(date +%s%N)
		redis-cli -p "$PORT" bgrewriteaof >/dev/null
		while redis-cli -p "$PORT" info persistence | grep -Eq 'aof_rewrite_(in_progress|scheduled):1'; do
			sleep 0.005
		done
		t1=$(date +%s%N)
		sleep 0.5
		kill -TERM "$sp"; wait "$sp" 2>/dev/null || true
		rewrite[$who]=$(( (t1 - t0) / 1000000 ))
		stallms[$who]=$(cat "$WORK/stall.out")
		stop "$PID"
		baseload[$who]=$(load_ms "$who" "$dir" 'DB loaded from append only file' "${aofargs[@]}")
		echo "  $who: aof_load_ms=${cmdload[$who]} bgrewriteaof_ms=${rewrite[$who]} max_get_stall_ms=${stallms[$who]} rewritten_load_ms=${baseload[$who]}"
	done
	awk -v a="${cmdload[redoubt]}" -v b="${cmdload[redis]}" -v c="${rewrite[redoubt]}" -v d="${rewrite[redis]}" \
		-v e="${stallms[redoubt]}" -v f="${stallms[redis]}" -v g="${baseload[redoubt]}" -v h="${baseload[redis]}" \
		'function r(x, y) { return y > 0 ? x / y : 0 }
		BEGIN { printf "aof ratios (redoubt/redis): aof_load_time=%.2f bgrewriteaof_time=%.2f max_get_stall=%.2f rewritten_load_time=%.2f\n", r(a, b), r(c, d), r(e, f), r(g, h) }'
	rm -f "$WORK/mixed.resp"
}

IFS=, read -r -a PERSIST_LIST <<<"$PERSIST"
for p in "${PERSIST_LIST[@]}"; do
	case $p in
	rdb)
		echo
		echo "persistence: $KEYS mixed keys (80% strings, 10% hashes, 5% lists, 5% sorted sets)"
		persist_rdb ;;
	aof | aof_set | aof_rewrite)
		if [[ $p != aof_rewrite ]]; then
			echo
			echo "persistence: SET throughput with the AOF on (appendfsync: $AOF_FSYNC; always runs 1/$AOF_ALWAYS_DIV of the requests)"
			persist_aof_set
		fi
		if [[ $p != aof_set ]]; then
			echo
			echo "persistence: AOF of $KEYS mixed keys: load, BGREWRITEAOF, load after the rewrite"
			persist_aof_rewrite
		fi ;;
	*) echo "compare.sh: unknown PERSIST item $p" >&2; exit 1 ;;
	esac
done

# Replication (see the header): masters and replicas as the pairs' kinds.
REPL_MASTER_ARGS=(--appendonly no --repl-diskless-sync yes --repl-diskless-sync-delay 0)

# replica_kind WHO: the kind of server the replicas of WHO's pair run.
replica_kind() { if [[ $1 == redoubt ]]; then echo "$REPL_REPLICA"; else echo redis; fi; }

# start_replica KIND MASTERPORT: a fresh replica of 127.0.0.1:MASTERPORT
# (sets PORT and PID as start does).
start_replica() { start "$1" --appendonly no --replicaof 127.0.0.1 "$2"; }

# synced REPLICAPORT MASTERPORT: whether the replica's link is up, its sync
# over and its DBSIZE the master's.
synced() {
	local info
	info=$(redis-cli -p "$1" info replication 2>/dev/null | tr -d '\r')
	grep -q '^master_link_status:up$' <<<"$info" || return 1
	grep -q '^master_sync_in_progress:0$' <<<"$info" || return 1
	[[ $(redis-cli -p "$1" dbsize 2>/dev/null) == "$(redis-cli -p "$2" dbsize 2>/dev/null)" ]]
}

# wait_synced MASTERPORT REPLICAPORT...: polls every 10 ms until every
# replica is synced; fails after REPL_TIMEOUT seconds.
wait_synced() {
	local master=$1 end=$(($(date +%s) + REPL_TIMEOUT)) p
	shift
	for p in "$@"; do
		until synced "$p" "$master"; do
			(($(date +%s) < end)) || return 1
			sleep 0.01
		done
	done
}

# repl_sync: fullsync and stall, one sync of KEYS mixed keys per pair.
repl_sync() {
	gen_mixed >"$WORK/mixed.resp"
	declare -A syncms stallms
	local who kind mport mpid rport rpid sp t0 t1 size
	for who in redoubt redis; do
		kind=$(replica_kind "$who")
		start "$who" "${REPL_MASTER_ARGS[@]}"; mport=$PORT; mpid=$PID
		load "$mport" "$WORK/mixed.resp"
		size=$(redis-cli -p "$mport" dbsize)
		sleep 1
		sp=
		if ((want_stall)); then
			"$WORK/stall" -addr "127.0.0.1:$mport" >"$WORK/stall.out" &
			sp=$!
			sleep 0.5
		fi
		t0=$(date +%s%N)
		start_replica "$kind" "$mport"; rport=$PORT; rpid=$PID
		if wait_synced "$mport" "$rport"; then
			t1=$(date +%s%N)
			syncms[$who]=$(((t1 - t0) / 1000000))
		else
			syncms[$who]=n/a
			echo "  $who master, $kind replica: not synced within ${REPL_TIMEOUT}s"
		fi
		stallms[$who]=n/a
		if [[ -n $sp ]]; then
			sleep 0.5
			kill -TERM "$sp"; wait "$sp" 2>/dev/null || true
			[[ ${syncms[$who]} != n/a ]] && stallms[$who]=$(cat "$WORK/stall.out")
		fi
		echo "  $who master, $kind replica: dbsize=$size full_sync_ms=${syncms[$who]} max_get_stall_ms=${stallms[$who]}"
		stop "$rpid"
		stop "$mpid"
		rm -rf "$WORK"/redoubt-* "$WORK"/redis-*
	done
	awk -v a="${syncms[redoubt]}" -v b="${syncms[redis]}" -v c="${stallms[redoubt]}" -v d="${stallms[redis]}" \
		-v fs="$want_fullsync" -v st="$want_stall" \
		'function q(x, y) { return (x == "n/a" || y == "n/a" || y <= 0) ? "n/a" : sprintf("%.2f", x / y) }
		BEGIN {
			printf "replication ratios (redoubt/redis):"
			if (fs) printf " full_sync_time=%s", q(a, b)
			if (st) printf " max_get_stall_during_sync=%s", q(c, d)
			printf "\n"
		}'
	rm -f "$WORK/mixed.resp"
}

# lag_line ROUND PIPE RD RS: one lag result line from two repllag outputs
# ("n=.. p50=.. p99=.. max=.. unreached=.." or n/a).
lag_line() {
	awk -v r="$1" -v p="$2" -v a="$3" -v b="$4" '
		function get(s, k,   i, n, f) {
			if (s == "n/a" || s == "") return "n/a"
			n = split(s, f, /[ =]/)
			for (i = 1; i < n; i += 2) if (f[i] == k) return f[i + 1]
			return "n/a"
		}
		function q(x, y) { return (x == "n/a" || y == "n/a" || y <= 0) ? "n/a" : sprintf("%.3f", x / y) }
		BEGIN {
			print r, "lag", p, get(a, "p50"), get(b, "p50"), get(a, "p99"), get(b, "p99"), q(get(a, "p99"), get(b, "p99")), get(a, "max"), get(b, "max"), get(a, "unreached"), get(b, "unreached")
		}'
}

# repl_load: replset and lag, on one master with two replicas per pair,
# both pairs up at once and run alternately as the throughput tests.
repl_load() {
	declare -A mport ports ok
	local who kind r1 r2 round pipe order line rd rs lp pids=()
	for who in redoubt redis; do
		kind=$(replica_kind "$who")
		start "$who" "${REPL_MASTER_ARGS[@]}"; mport[$who]=$PORT; pids+=("$PID")
		start_replica "$kind" "${mport[$who]}"; r1=$PORT; pids+=("$PID")
		start_replica "$kind" "${mport[$who]}"; r2=$PORT; pids+=("$PID")
		ports[$who]="127.0.0.1:$r1,127.0.0.1:$r2"
		ok[$who]=1
		if ! wait_synced "${mport[$who]}" "$r1" "$r2"; then
			ok[$who]=0
			echo
			echo "replication: $who master, $kind replicas: not synced within ${REPL_TIMEOUT}s; its figures are n/a"
		fi
	done
	# run_set WHO PIPE: the SET load on WHO's master ("rps p99_ms"), then
	# waits for its replicas to catch up (fails if they do not).
	run_set() {
		bench "${mport[$1]}" set "$2"
		local p
		for p in ${ports[$1]//,/ }; do
			wait_synced "${mport[$1]}" "${p#*:}" || { echo "compare.sh: a $1 replica fell behind" >&2; return 1; }
		done
	}
	if ((want_replset)); then
		echo
		echo "replication: SET throughput on a master with two replicas (redoubt pair replicas: $REPL_REPLICA)"
		local results="$WORK/repl_results"
		: >"$results"
		echo "round test pipeline redoubt_rps redis_rps rps_ratio redoubt_p99_ms redis_p99_ms p99_ratio"
		for round in $(seq "$ROUNDS"); do
			for pipe in $PIPES; do
				if ((round % 2)); then order="redoubt redis"; else order="redis redoubt"; fi
				rd="n/a n/a"; rs="n/a n/a"
				for who in $order; do
					((ok[$who])) || continue
					if [[ $who == redoubt ]]; then rd=$(run_set "$who" "$pipe") || rd="n/a n/a"
					else rs=$(run_set "$who" "$pipe") || rs="n/a n/a"; fi
				done
				read -r rd_rps rd_p99 <<<"$rd"
				read -r rs_rps rs_p99 <<<"$rs"
				line=$(round_line "$round" set_repl "$pipe" "$rd_rps" "$rs_rps" "$rd_p99" "$rs_p99")
				echo "$line"
				echo "$line" >>"$results"
			done
		done
		summarize "$results" set_repl
	fi
	if ((want_lag)); then
		echo
		echo "replication: lag of two replicas under that SET load (bench/repllag, ms; redoubt pair replicas: $REPL_REPLICA)"
		local lags="$WORK/lag_results"
		: >"$lags"
		echo "round test pipeline redoubt_p50 redis_p50 redoubt_p99 redis_p99 p99_ratio redoubt_max redis_max redoubt_unreached redis_unreached"
		for round in $(seq "$ROUNDS"); do
			for pipe in $PIPES; do
				if ((round % 2)); then order="redoubt redis"; else order="redis redoubt"; fi
				rd=n/a; rs=n/a
				for who in $order; do
					((ok[$who])) || continue
					"$WORK/repllag" -master "127.0.0.1:${mport[$who]}" -replicas "${ports[$who]}" >"$WORK/lag.out" &
					lp=$!
					sleep 0.2
					if run_set "$who" "$pipe" >/dev/null; then
						kill -TERM "$lp"; wait "$lp" 2>/dev/null || true
						if [[ $who == redoubt ]]; then rd=$(cat "$WORK/lag.out"); else rs=$(cat "$WORK/lag.out"); fi
					else
						kill -TERM "$lp"; wait "$lp" 2>/dev/null || true
					fi
				done
				line=$(lag_line "$round" "$pipe" "$rd" "$rs")
				echo "$line"
				echo "$line" >>"$lags"
			done
		done
		echo
		echo "lag summary (median over $ROUNDS rounds)"
		echo "test pipeline redoubt_p50 redis_p50 redoubt_p99 redis_p99 p99_ratio redoubt_max redis_max"
		for pipe in $PIPES; do
			awk -v p="$pipe" '$3 == p' "$lags" | awk '
				function median(col,   i, j, n, v, tmp) {
					n = 0
					for (i = 1; i <= NR; i++) { if (row[i, col] == "n/a") return "n/a"; v[++n] = row[i, col] + 0 }
					for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { tmp = v[i]; v[i] = v[j]; v[j] = tmp }
					return sprintf("%.3f", (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2)
				}
				{ for (c = 1; c <= NF; c++) row[NR, c] = $c }
				END { if (NR) print "lag", row[1, 3], median(4), median(5), median(6), median(7), median(8), median(9), median(10) }'
		done
	fi
	for lp in "${pids[@]}"; do stop "$lp"; done
}

if ((want_fullsync || want_stall)); then
	echo
	echo "replication: full sync of $KEYS mixed keys to a fresh replica (redoubt pair replicas: $REPL_REPLICA)"
	repl_sync
fi
if ((want_replset || want_lag)); then
	repl_load
fi
