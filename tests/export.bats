#!/usr/bin/env bats
# iommuscope export on this host's kernel (root, tracepoint mode): the
# Prometheus text format on /metrics, checked with curl and scraped by a
# real Prometheus server (Debian's prometheus package) on loopback whose
# query API must return the client's series with the right values.

load helpers

setup() {
	[ "$(id -u)" -eq 0 ] || skip "live tests load BPF programs: need root"
	BIN=${ISC_BIN:-.output/iommuscope}
	CLIENT=${ISC_CLIENT:-.output/tests/vfio_client}
	T=$BATS_TEST_TMPDIR
	PIDS=()
	# ports unlikely to be taken: derived from the test's pid
	PORT=$((20000 + $$ % 20000))
	PROM_PORT=$((PORT + 1))
}

teardown() {
	local p
	for p in "${PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null || true
	done
	restore_bpf_stats_sysctl
	true
}

start_export() {
	start_session exporting export export "$@" || return 1
	EXPORT_PID=$SESSION_PID
	PIDS+=("$EXPORT_PID")
}

metrics() {
	curl -sf "http://127.0.0.1:$PORT/metrics"
}

@test "export: /metrics in the Prometheus text format, loopback by default" {
	start_export --listen "127.0.0.1:$PORT" --interval 200ms --mode tracepoint "${CLASSIFY[@]}"
	for _ in $(seq 20); do
		grep -q "serving http://127.0.0.1:$PORT/metrics" "$T/export.err" && break
		sleep 0.1
	done
	grep -q "serving http://127.0.0.1:$PORT/metrics" "$T/export.err"
	"$CLIENT" --loops 2 >/dev/null
	sleep 0.6
	metrics >"$T/m"
	grep -q '^# HELP iommuscope_ioctl_calls_total ' "$T/m"
	grep -q '^# TYPE iommuscope_ioctl_calls_total counter$' "$T/m"
	grep -q '^# TYPE iommuscope_ioctl_latency_seconds histogram$' "$T/m"
	grep -q '^iommuscope_info{kernel="[^"]*",mode="tracepoint",' "$T/m"
	grep -E '^iommuscope_ioctl_calls_total\{pid="[0-9]+",comm="vfio_client",vm="[^"]*",ioctl="VFIO_IOMMU_MAP_DMA",fd_kind="container",device="[^"]*"\} 4$' "$T/m"
	grep -E '^iommuscope_ioctl_mismatches_total\{.*comm="vfio_client",vm="[^"]*",ioctl="VFIO_IOMMU_MAP_DMA",.*class="truncated"\} 2$' "$T/m"
	grep -E '^iommuscope_ioctl_latency_seconds_count\{.*ioctl="VFIO_IOMMU_MAP_DMA".*\} 4$' "$T/m"
	grep -E '^iommuscope_ioctl_latency_seconds_bucket\{.*ioctl="VFIO_IOMMU_MAP_DMA".*le="\+Inf"\} 4$' "$T/m"
	# every family announced once, each sample after its TYPE line
	[ "$(grep -c '^# TYPE' "$T/m")" -eq "$(grep '^# TYPE' "$T/m" | sort -u | wc -l)" ]
	# the content type Prometheus expects; 404 and 405 elsewhere
	curl -sfI "http://127.0.0.1:$PORT/metrics" | grep -qi '^content-type: text/plain; version=0.0.4'
	[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/nothing")" = 404 ]
	[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$PORT/metrics")" = 405 ]
	# default address: loopback only
	run "$BIN" export --help
	[[ "$output" == *"default 127.0.0.1:9477"* ]]
	stop_session "$EXPORT_PID" INT
	[ "$session_status" -eq 0 ]
}

@test "export: bad --listen is a usage error, a taken port a runtime error" {
	for bad in "9477" "127.0.0.1:" "127.0.0.1:0" "127.0.0.1:70000" "localhost:9477" "[::1:9477" "999.0.0.1:80" "1.2.3:80" "::1:80"; do
		run "$BIN" export --listen "$bad"
		[ "$status" -eq 2 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "${lines[0]}" == "iommuscope: error: invalid --listen"* ]]
	done
	run "$BIN" export --interval 0
	[ "$status" -eq 2 ]
	start_export --listen "127.0.0.1:$PORT" --mode tracepoint
	run "$BIN" export --listen "127.0.0.1:$PORT"
	[ "$status" -eq 1 ]
	[[ "$output" == *"failed to listen on 127.0.0.1:$PORT: Address already in use"* ]]
}

@test "a real Prometheus server scrapes the exporter and its query API has the series" {
	command -v prometheus >/dev/null || skip "prometheus not installed (make test-deps)"
	start_export --listen "127.0.0.1:$PORT" --interval 200ms --mode tracepoint "${CLASSIFY[@]}"
	cat >"$T/prometheus.yml" <<-EOF
	global:
	  scrape_interval: 1s
	scrape_configs:
	  - job_name: iommuscope
	    static_configs:
	      - targets: ['127.0.0.1:$PORT']
	EOF
	prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/tsdb" \
		--web.listen-address="127.0.0.1:$PROM_PORT" >"$T/prom.log" 2>&1 &
	PIDS+=($!)
	for _ in $(seq 100); do
		curl -sf "http://127.0.0.1:$PROM_PORT/-/ready" >/dev/null && break
		sleep 0.2
	done
	"$CLIENT" --loops 3 >"$T/manifest"
	q() {
		curl -sf "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=$1"
	}
	# wait for a scrape after the client: up, and the calls in
	for _ in $(seq 60); do
		v=$(q 'sum(iommuscope_ioctl_calls_total{comm="vfio_client"})' |
			jq -r '.data.result[0].value[1] // empty')
		[ "$v" = 57 ] && break
		sleep 0.5
	done
	echo "calls: $v"
	[ "$v" = 57 ]		# 19 calls, 3 loops
	q 'up{job="iommuscope"}' | jq -e '.data.result[0].value[1] == "1"'
	q 'iommuscope_ioctl_calls_total{comm="vfio_client",ioctl="VFIO_IOMMU_MAP_DMA",fd_kind="container"}' |
		jq -e '.data.result | length == 1 and .[0].value[1] == "6"'
	q 'iommuscope_ioctl_errors_total{comm="vfio_client",ioctl="IOMMU_IOAS_MAP"}' |
		jq -e '.data.result[0].value[1] == "3" and .data.result[0].metric.fd_kind == "iommufd"'
	q 'iommuscope_ioctl_mismatches_total{comm="vfio_client",class="unknown-flags"}' |
		jq -e '[.data.result[] | select(.value[1] != "0") | .metric.ioctl] == ["VFIO_IOMMU_UNMAP_DMA"]'
	q 'sum(iommuscope_ioctl_mismatches_total{comm="vfio_client"}) by (class)' |
		jq -e '[.data.result[] | {(.metric.class): .value[1]}] | add ==
			{"older-struct": "6", "newer-struct": "0", "truncated": "3",
			 "unknown-flags": "3", "unknown-ioctl": "0", "newer-than-catalog": "3"}'
	q 'sum(iommuscope_ioctl_latency_seconds_count{comm="vfio_client"})' |
		jq -e '.data.result[0].value[1] == "57"'
	q 'histogram_quantile(0.99, sum(iommuscope_ioctl_latency_seconds_bucket{comm="vfio_client"}) by (le))' |
		jq -e '(.data.result[0].value[1] | tonumber) > 0'
	q 'iommuscope_info' | jq -e '.data.result[0].metric.mode == "tracepoint"'
}

# A copy of the client whose command name is not UTF-8 (\xff\xfe), and one
# with the text format's special characters: exec names the task after the
# file, so their calls are series labelled with those names.
odd_clients() {
	BADNAME="$T/"$'\xff\xfe'"vfio"
	QUOTENAME="$T/"'q"b\n'
	cp "$CLIENT" "$BADNAME"
	cp "$CLIENT" "$QUOTENAME"
}

@test "export: a command name that is not UTF-8 is replaced, promtool check metrics is clean" {
	command -v promtool >/dev/null || skip "promtool not installed (make test-deps: prometheus)"
	odd_clients
	start_export --listen "127.0.0.1:$PORT" --interval 200ms --mode tracepoint "${CLASSIFY[@]}"
	"$BADNAME" --loops 2 >/dev/null
	"$QUOTENAME" --loops 1 >/dev/null
	# until a sample has both (the interval is 200 ms)
	for _ in $(seq 50); do
		metrics >"$T/m"
		grep -q 'comm="q' "$T/m" && grep -qE 'vfio",vm="[^"]*",ioctl="VFIO_IOMMU_MAP_DMA",.*\} 4$' "$T/m" &&
			break
		sleep 0.1
	done
	# the invalid bytes as U+FFFD each, the rest kept; \ and " escaped
	grep -E '^iommuscope_ioctl_calls_total\{pid="[0-9]+",comm="'$'\xef\xbf\xbd\xef\xbf\xbd''vfio",vm="[^"]*",ioctl="VFIO_IOMMU_MAP_DMA",fd_kind="container",device="[^"]*"\} 4$' "$T/m"
	grep -E 'comm="q\\"b\\\\n",vm="[^"]*",ioctl="VFIO_IOMMU_MAP_DMA"' "$T/m"
	# no byte of the page is invalid UTF-8
	iconv -f UTF-8 -t UTF-8 "$T/m" >/dev/null
	run promtool check metrics <"$T/m"
	echo "$output"
	[ "$status" -eq 0 ]
}

# metric_value NAME{LABELS} FILE: the sample's value (empty if absent).
metric_value() {
	awk -v m="$1" '$1 == m { print $2 }' "$2"
}

@test "export --bpf-stats: per-program runs and run time, the process's CPU and memory, promtool clean" {
	start_export --listen "127.0.0.1:$PORT" --interval 200ms --bpf-stats --mode tracepoint \
		"${CLASSIFY[@]}"
	! grep -q warning "$T/export.err"
	"$CLIENT" --loops 5 >/dev/null
	exit_runs=
	for _ in $(seq 50); do
		metrics >"$T/m" || true
		exit_runs=$(metric_value 'iommuscope_bpf_program_runs_total{program="tp_exit_ioctl",attach="tp/syscalls/sys_exit_ioctl"}' "$T/m")
		[ "${exit_runs:-0}" -ge 5 ] && break
		sleep 0.1
	done
	grep -E '^iommuscope_bpf_|^process_' "$T/m"
	[ "$exit_runs" -ge 5 ]
	grep -qx 'iommuscope_bpf_stats_enabled 1' "$T/m"
	grep -qx '# TYPE iommuscope_bpf_stats_enabled gauge' "$T/m"
	for f in runs_total run_seconds_total recursion_misses_total; do
		grep -qx "# TYPE iommuscope_bpf_program_$f counter" "$T/m"
	done
	grep -qE '^iommuscope_bpf_program_runs_total\{program="tp_enter_ioctl(_btf)?",attach="tp/syscalls/sys_enter_ioctl"\} [1-9][0-9]*$' "$T/m"
	secs=$(metric_value 'iommuscope_bpf_program_run_seconds_total{program="tp_exit_ioctl",attach="tp/syscalls/sys_exit_ioctl"}' "$T/m")
	awk -v s="$secs" 'BEGIN { exit !(s > 0 && s < 1) }'
	grep -qE '^iommuscope_bpf_program_recursion_misses_total\{program="tp_exit_ioctl",attach="tp/syscalls/sys_exit_ioctl"\} 0$' "$T/m"
	grep -qE '^iommuscope_bpf_program_runs_total\{program="iommu_map_tp",attach="tp_btf/map"\} [0-9]+$' "$T/m"
	grep -qx '# TYPE process_cpu_seconds_total counter' "$T/m"
	grep -qx '# TYPE process_resident_memory_bytes gauge' "$T/m"
	grep -qE '^process_cpu_seconds_total [0-9]+\.[0-9]+$' "$T/m"
	rss=$(metric_value process_resident_memory_bytes "$T/m")
	[ "$rss" -gt 1000000 ]
	if command -v promtool >/dev/null; then
		run promtool check metrics <"$T/m"
		echo "$output"
		[ "$status" -eq 0 ]
	fi
	stop_session "$EXPORT_PID"
	[ "$session_status" -eq 0 ]
}

@test "export without --bpf-stats: the gauge follows the sysctl, counters stand still while it is 0" {
	set_bpf_stats_sysctl 0
	start_export --listen "127.0.0.1:$PORT" --interval 200ms --mode tracepoint "${CLASSIFY[@]}"
	"$CLIENT" --loops 5 >/dev/null
	sleep 0.5
	metrics >"$T/m0"
	grep -qx 'iommuscope_bpf_stats_enabled 0' "$T/m0"
	[ "$(grep -c '^iommuscope_bpf_program_runs_total{' "$T/m0")" -ge 2 ]
	! grep -E '^iommuscope_bpf_program_runs_total\{.*\} [1-9]' "$T/m0"
	grep -q '^process_resident_memory_bytes [1-9]' "$T/m0"
	set_bpf_stats_sysctl 1
	"$CLIENT" --loops 5 >/dev/null
	for _ in $(seq 30); do
		metrics >"$T/m1" || true
		grep -qE '^iommuscope_bpf_program_runs_total\{program="tp_exit_ioctl",.*\} [1-9]' "$T/m1" && break
		sleep 0.1
	done
	grep -qx 'iommuscope_bpf_stats_enabled 1' "$T/m1"
	grep -qE '^iommuscope_bpf_program_runs_total\{program="tp_exit_ioctl",.*\} [1-9]' "$T/m1"
	restore_bpf_stats_sysctl
}

@test "export: idle connections from one address do not block a scrape from another" {
	start_export --listen "127.0.0.1:$PORT" --interval 200ms --mode tracepoint
	# 70 idle sockets from 127.0.0.1 (more than the old total limit of 64)
	local fds=() fd i
	for i in $(seq 70); do
		exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
		fds+=("$fd")
	done
	sleep 0.5
	# 127.0.0.2 is loopback too: another address, the same listener
	run curl -s -m 5 -o /dev/null -w '%{http_code}' --interface 127.0.0.2 "http://127.0.0.1:$PORT/metrics"
	echo "from 127.0.0.2: $output"
	[ "$output" = 200 ]
	# 127.0.0.1 has used its 8
	run curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/metrics"
	echo "from 127.0.0.1: $output"
	[ "$output" != 200 ]
	for fd in "${fds[@]}"; do
		exec {fd}<&-
	done
	run "$BIN" export --help
	[[ "$output" == *"--max-connections-per-ip N  from one address (default 8)"* ]]
}

@test "export: --idle-timeout closes idle connections, freeing the address's slots" {
	start_export --listen "127.0.0.1:$PORT" --mode tracepoint --max-connections 100 \
		--max-connections-per-ip 2 --idle-timeout 1s
	local fds=() fd i
	for i in 1 2; do
		exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
		fds+=("$fd")
	done
	sleep 0.3
	# two idle sockets use up 127.0.0.1 (whichever server thread has them)
	for i in 1 2 3 4; do
		run curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/metrics"
		[ "$output" != 200 ]
	done
	run curl -s -m 5 -o /dev/null -w '%{http_code}' --interface 127.0.0.2 "http://127.0.0.1:$PORT/metrics"
	[ "$output" = 200 ]
	sleep 2.5
	run curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/metrics"
	[ "$output" = 200 ]
	for fd in "${fds[@]}"; do
		exec {fd}<&-
	done
	for bad in "--max-connections 0" "--max-connections-per-ip x" "--idle-timeout 500ms" \
		"--idle-timeout 0" "--max-connections 4 --max-connections-per-ip 5"; do
		# shellcheck disable=SC2086
		run "$BIN" export $bad
		[ "$status" -eq 2 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "${lines[0]}" == "iommuscope: error: invalid --"* ]]
	done
}

# A self-signed certificate for 127.0.0.1, a bcrypt hash of "s3cret" for
# user prom (htpasswd -B, apache2-utils), and the web config using them.
tls_setup() {
	command -v htpasswd >/dev/null || skip "htpasswd not installed (make test-deps: apache2-utils)"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" \
		-days 1 -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 2>/dev/null
	HASH=$(htpasswd -nbBC 10 prom s3cret | cut -d: -f2)
	cat >"$T/web.yml" <<-EOF
	tls_server_config:
	  cert_file: cert.pem
	  key_file: key.pem
	  min_version: TLS12
	http_server_config:
	  headers:
	    X-Content-Type-Options: nosniff
	basic_auth_users:
	  prom: '$HASH'
	EOF
}

@test "export: TLS and basic auth from --web.config.file; 401 without the password" {
	tls_setup
	start_export --listen "127.0.0.1:$PORT" --interval 200ms --mode tracepoint \
		--web.config.file "$T/web.yml" "${CLASSIFY[@]}"
	grep -q "serving https://127.0.0.1:$PORT/metrics" "$T/export.err"
	local url="https://127.0.0.1:$PORT/metrics"
	code() {
		curl -s -m 5 -o /dev/null -w '%{http_code}' --cacert "$T/cert.pem" "$@"
	}
	[ "$(code "$url")" = 401 ]
	[ "$(code -u prom:wrong "$url")" = 401 ]
	[ "$(code -u nobody:s3cret "$url")" = 401 ]
	[ "$(code -u prom:s3cret "$url")" = 200 ]
	curl -s -D - -o /dev/null --cacert "$T/cert.pem" "$url" >"$T/h"
	grep -qi '^www-authenticate: Basic realm="iommuscope"' "$T/h"
	grep -qi '^x-content-type-options: nosniff' "$T/h"
	# plain HTTP on the TLS port gets no page
	run curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/metrics"
	[ "$status" -ne 0 ]
	[ "$output" = 000 ]
	# below min_version: no handshake
	run curl -s -m 5 --tls-max 1.1 -u prom:s3cret --cacert "$T/cert.pem" "$url"
	[ "$status" -ne 0 ]
}

@test "export: client certificates (RequireAndVerifyClientCert) from the web config's CA" {
	tls_setup
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/ca.key" -out "$T/ca.pem" -days 1 \
		-subj /CN=test-ca 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -keyout "$T/cl.key" -out "$T/cl.csr" -subj /CN=scraper 2>/dev/null
	openssl x509 -req -in "$T/cl.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial \
		-out "$T/cl.pem" -days 1 2>/dev/null
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/self.key" -out "$T/self.pem" -days 1 \
		-subj /CN=scraper 2>/dev/null
	cat >"$T/webc.yml" <<-EOF
	tls_server_config:
	  cert_file: $T/cert.pem
	  key_file: $T/key.pem
	  client_auth_type: RequireAndVerifyClientCert
	  client_ca_file: $T/ca.pem
	EOF
	start_export --listen "127.0.0.1:$PORT" --mode tracepoint --web-config "$T/webc.yml"
	local url="https://127.0.0.1:$PORT/metrics"
	code() {
		curl -s -m 5 -o /dev/null -w '%{http_code}' --cacert "$T/cert.pem" "$@"
	}
	[ "$(code --cert "$T/cl.pem" --key "$T/cl.key" "$url")" = 200 ]
	[ "$(code "$url")" = 403 ]
	[ "$(code --cert "$T/self.pem" --key "$T/self.key" "$url")" = 403 ]
}

@test "a real Prometheus scrapes the exporter over TLS with basic auth, names not UTF-8 included" {
	command -v prometheus >/dev/null || skip "prometheus not installed (make test-deps)"
	tls_setup
	odd_clients
	start_export --listen "127.0.0.1:$PORT" --interval 200ms --mode tracepoint \
		--web.config.file "$T/web.yml" "${CLASSIFY[@]}"
	"$BADNAME" --loops 3 >/dev/null
	cat >"$T/prometheus.yml" <<-EOF
	global:
	  scrape_interval: 1s
	scrape_configs:
	  - job_name: iommuscope
	    scheme: https
	    tls_config:
	      ca_file: $T/cert.pem
	    basic_auth:
	      username: prom
	      password: s3cret
	    static_configs:
	      - targets: ['127.0.0.1:$PORT']
	EOF
	prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/tsdb" \
		--web.listen-address="127.0.0.1:$PROM_PORT" >"$T/prom.log" 2>&1 &
	PIDS+=($!)
	q() {
		curl -sf "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=$1"
	}
	for _ in $(seq 60); do
		v=$(q 'sum(iommuscope_ioctl_calls_total{comm="\ufffd\ufffdvfio"})' |
			jq -r '.data.result[0].value[1] // empty')
		[ "$v" = 57 ] && break
		sleep 0.5
	done
	echo "calls: $v"
	q 'up{job="iommuscope"}'
	[ "$v" = 57 ]
	q 'up{job="iommuscope"}' | jq -e '.data.result[0].value[1] == "1"'
}

@test "export: a bad --web.config.file is one line and exit 2, before anything listens" {
	tls_setup
	bad() {
		printf '%s\n' "$1" >"$T/bad.yml"
		run "$BIN" export --listen "127.0.0.1:$PORT" --mode tracepoint --web.config.file "$T/bad.yml"
		echo "$output"
		[ "$status" -eq 2 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "${lines[0]}" == "iommuscope: error: web config $T/bad.yml"*"$2"* ]]
	}
	bad $'tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n  cert_flie: x' \
		":4: unknown key 'cert_flie' in tls_server_config"
	bad 'basic_auth: {}' ":1: unknown key 'basic_auth'"
	bad $'tls_server_config:\n  cert_file: missing.pem\n  key_file: key.pem' \
		"cert_file '$T/missing.pem': No such file or directory"
	bad $'basic_auth_users:\n  prom: s3cret' "the hash of 'prom' is not a bcrypt hash"
	bad $'basic_auth_users:\n  prom: $6$salt$x' "the hash of 'prom' is not a bcrypt hash"
	bad $'tls_server_config:\n  key_file: key.pem' "needs cert_file and key_file"
	bad $'tls_server_config:\n  cert_file: key.pem\n  key_file: key.pem' "cert_file 'key.pem' and key_file"
	bad $'tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n  cipher_suites: [TLS_AES_128_GCM_SHA256]' \
		"'cipher_suites' is not supported"
	bad $'tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n  client_auth_type: RequireAnyClientCert' \
		"client_auth_type RequireAnyClientCert is not supported"
	bad $'tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n  client_auth_type: RequireAndVerifyClientCert' \
		"needs client_ca_file"
	bad $'tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n  min_version: TLS14' "bad min_version"
	bad $'http_server_config:\n  http2: true' "'http2: true' is not supported"
	bad $'http_server_config:\n  headers:\n    Set-Cookie: a=b' "header 'Set-Cookie' is not allowed"
	bad 'tls_server_config: [' "YAML:"
	bad '- a list' "the web config must be a mapping"
	run "$BIN" export --web.config.file "$T/none.yml"
	[ "$status" -eq 2 ]
	[ "$output" = "iommuscope: error: web config $T/none.yml: No such file or directory" ]
}

@test "export: once serving it holds only CAP_BPF, and so do its HTTP threads" {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	start_export --listen "127.0.0.1:$PORT" --interval 200ms --mode tracepoint "${CLASSIFY[@]}"
	for _ in $(seq 50); do
		grep -q "serving http://127.0.0.1:$PORT/metrics" "$T/export.err" && break
		sleep 0.1
	done
	grep -q "serving http://127.0.0.1:$PORT/metrics" "$T/export.err"
	want=$(printf '%016x' $((1 << 39)))
	n=0
	for st in /proc/"$EXPORT_PID"/task/*/status; do
		grep -q "^CapEff:[[:space:]]*$want$" "$st" || { grep Cap "$st"; false; }
		grep -q "^CapPrm:[[:space:]]*$want$" "$st"
		grep -q '^NoNewPrivs:[[:space:]]*1$' "$st"
		n=$((n + 1))
	done
	[ "$n" -ge 5 ]	# the main thread, the server's and its pool's
	# and it still counts and serves
	"$CLIENT" --loops 2 >/dev/null
	for _ in $(seq 30); do
		metrics >"$T/m" && grep -q 'iommuscope_ioctl_calls_total{.*comm="vfio_client"' "$T/m" && break
		sleep 0.2
	done
	grep -q 'iommuscope_ioctl_calls_total{.*comm="vfio_client"' "$T/m"
}

wait_serving() {
	for _ in $(seq 50); do
		grep -q "serving http://127.0.0.1:$PORT/metrics" "$T/export.err" && break
		sleep 0.1
	done
	grep -q "serving http://127.0.0.1:$PORT/metrics" "$T/export.err"
}

@test "export: the page is rendered when scraped, from the last sample: a scrape after a change shows it" {
	start_export --listen "127.0.0.1:$PORT" --interval 200ms --mode tracepoint "${CLASSIFY[@]}"
	wait_serving
	# the first scrape: the sample taken at start, nothing of the client yet
	metrics >"$T/m1"
	grep -q '^iommuscope_info{kernel=' "$T/m1"
	grep -q '^iommuscope_processes 0$' "$T/m1"
	sleep 1
	metrics >"$T/m2"
	# the same counters (the exporter's own CPU, memory and program runs
	# move on their own)
	grep -vE '^(process_|iommuscope_bpf_program_)' "$T/m1" >"$T/m1.c"
	grep -vE '^(process_|iommuscope_bpf_program_)' "$T/m2" >"$T/m2.c"
	cmp "$T/m1.c" "$T/m2.c"
	"$CLIENT" --loops 2 >/dev/null
	# five intervals later, one scrape (no retries): not the page of m2
	sleep 1
	metrics >"$T/m3"
	grep -E '^iommuscope_ioctl_calls_total\{.*comm="vfio_client",vm="[^"]*",ioctl="VFIO_IOMMU_MAP_DMA",fd_kind="container".*\} 4$' "$T/m3"
	# scrapes of one sample share a page; every later one has the client too
	for _ in 1 2 3; do
		metrics >"$T/m4"
		grep -qE '^iommuscope_ioctl_calls_total\{.*ioctl="VFIO_IOMMU_MAP_DMA",fd_kind="container".*\} 4$' "$T/m4"
	done
	stop_session "$EXPORT_PID" INT
	[ "$session_status" -eq 0 ]
}

@test "export: a signal caught by an HTTP thread ends the session at once, however long the interval" {
	start_export --listen "127.0.0.1:$PORT" --interval 1h --mode tracepoint "${CLASSIFY[@]}"
	wait_serving
	tid=
	for t in /proc/"$EXPORT_PID"/task/*; do
		[ "${t##*/}" = "$EXPORT_PID" ] || { tid=${t##*/}; break; }
	done
	[ -n "$tid" ]
	# tgkill(2): SIGINT to that thread, not to the process
	perl -e 'syscall(234, $ARGV[0] + 0, $ARGV[1] + 0, 2) == 0 or die "tgkill: $!\n"' "$EXPORT_PID" "$tid"
	for _ in $(seq 100); do
		kill -0 "$EXPORT_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$EXPORT_PID" 2>/dev/null; then
		echo "still running 10 s after SIGINT"
		false
	fi
	session_status=0
	wait "$EXPORT_PID" || session_status=$?
	[ "$session_status" -eq 0 ]
}
