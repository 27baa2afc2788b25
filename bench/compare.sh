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
# Quick persistence run: TESTS= MEMORY= ROUNDS=1 KEYS=200000 N1=100000 N16=1000000
# Both servers run on 127.0.0.1, on free ports, with --save '' --appendonly no
# (the AOF figures turn the AOF on); every process started here is stopped
# on exit.
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
AOF_FSYNC=${AOF_FSYNC:-everysec always}
AOF_ALWAYS_DIV=${AOF_ALWAYS_DIV:-10} # appendfsync always is ~10x slower: fewer requests
IFS=, read -r -a TEST_LIST <<<"$TESTS"
IFS=, read -r -a MEMORY_LIST <<<"$MEMORY"

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
(cd "$ROOT" && go build -o "$WORK/redoubt" ./cmd/redoubt && go build -o "$WORK/stall" ./bench/stall)

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
		if [[ $(redis-cli -p "$PORT" ping 2>/dev/null) == PONG ]]; then
			return 0
		fi
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
				function median(col,   i, j, n, v, tmp) {
					n = 0
					for (i = 1; i <= NR; i++) v[++n] = row[i, col]
					for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { tmp = v[i]; v[i] = v[j]; v[j] = tmp }
					return (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
				}
				{ for (c = 1; c <= NF; c++) row[NR, c] = $c }
				END { if (NR) printf "%s %s %.0f %.0f %.3f %.3f %.3f %.3f\n", row[1, 2], row[1, 3], median(4), median(5), median(6), median(7), median(8), median(9) }'
		done
	done
}

# round_line ROUND TEST PIPE RD_RPS RS_RPS RD_P99 RS_P99: one result line.
round_line() {
	awk -v r="$1" -v t="$2" -v p="$3" -v a="$4" -v b="$5" -v c="$6" -v d="$7" \
		'BEGIN { printf "%s %s %s %.0f %.0f %.3f %.3f %.3f %.3f\n", r, t, p, a, b, (b > 0 ? a / b : 0), c, d, (d > 0 ? c / d : 0) }'
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
