# Shell helpers of the in-guest scripts (busybox sh), sourced from the
# payload directory: `. ./lib.sh`. scripts/test-guest.sh puts this file in
# every payload.

# wait_for FILE PID WORD [TENTHS]: until "iommuscope: WORD ..." is on FILE
# (the command is attached; TCG is slow), at most TENTHS tenths of a second
# (default 900). 1 if PID exits first or time runs out.
wait_for() {
	i=0
	while [ $i -lt "${4:-900}" ]; do
		grep -q "^iommuscope: $3" "$1" 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# enforce_start NAME ARGS...: ./iommuscope enforce --json in the background,
# records to $R/NAME.jsonl, stderr to $R/NAME.err; its pid in EPID. On
# failure the verifier's log goes to $R/NAME.verbose for the report.
enforce_start() {
	name=$1
	shift
	./iommuscope enforce --json -o "$R/$name.jsonl" "$@" 2>"$R/$name.err" &
	EPID=$!
	wait_for "$R/$name.err" "$EPID" enforcing && return 0
	echo "enforce $name did not start" >>"$R/$name.err"
	./iommuscope -v enforce -d 1 >"$R/$name.verbose" 2>&1
	return 1
}

# enforce_stop NAME: SIGINT, wait, exit code to $R/NAME.rc
enforce_stop() {
	kill -INT "$EPID" 2>/dev/null
	wait "$EPID"
	echo $? >"$R/$1.rc"
}

# traced OUT WORD RC CMD -- ARGS...: ./iommuscope ARGS in the background
# (stdout to $R/OUT.jsonl, stderr to $R/OUT.err); once it says WORD, the
# command line CMD runs, its exit code to $R/RC.rc (99: the tool never said
# WORD); then SIGINT, and the tool's exit code to $R/OUT.rc.
traced() {
	t_out=$1 t_word=$2 t_rc=$3 t_cmd=$4
	shift 5
	./iommuscope "$@" >"$R/$t_out.jsonl" 2>"$R/$t_out.err" &
	t_pid=$!
	if wait_for "$R/$t_out.err" "$t_pid" "$t_word" 600; then
		eval "$t_cmd"
		echo $? >"$R/$t_rc.rc"
	else
		echo 99 >"$R/$t_rc.rc"
	fi
	kill -INT "$t_pid" 2>/dev/null
	wait "$t_pid"
	echo $? >"$R/$t_out.rc"
}

# settled FILE WORD AFTER [TENTHS]: until FILE has more than AFTER lines
# "iommuscope: WORD..." and no new one for 3 s (the tool has caught up
# with a burst of module loads: it looks once a second, and a look can
# take a while under TCG), at most TENTHS tenths of a second (default 600).
settled() {
	s_n=-1 s_same=0 s_i=0
	while [ $s_i -lt "${4:-600}" ]; do
		s_now=$(grep -c "^iommuscope: $2" "$1" 2>/dev/null)
		if [ "$s_now" = "$s_n" ]; then
			s_same=$((s_same + 1))
		else
			s_same=0
			s_n=$s_now
		fi
		[ "$s_now" -gt "$3" ] && [ $s_same -ge 30 ] && return 0
		sleep 0.1
		s_i=$((s_i + 1))
	done
	return 1
}
