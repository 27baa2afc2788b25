# lib.sh holds what the bench scripts share; they source it.

# freeport prints a port on 127.0.0.1 that nothing listens on now.
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

# wait_ping PORT PID: until the process answers PING (PONG, or NOAUTH from
# a data node with a password); fails when the process exits or after 10 s.
wait_ping() {
	local i
	for i in $(seq 1 200); do
		if ! kill -0 "$2" 2>/dev/null; then return 1; fi
		if redis-cli -p "$1" PING 2>/dev/null | grep -qE 'PONG|NOAUTH'; then return 0; fi
		sleep 0.05
	done
	return 1
}
