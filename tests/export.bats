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
	grep -E '^iommuscope_ioctl_calls_total\{pid="[0-9]+",comm="vfio_client",ioctl="VFIO_IOMMU_MAP_DMA",fd_kind="container",device="[^"]*"\} 4$' "$T/m"
	grep -E '^iommuscope_ioctl_mismatches_total\{.*comm="vfio_client",ioctl="VFIO_IOMMU_MAP_DMA",.*class="truncated"\} 2$' "$T/m"
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
	command -v prometheus >/dev/null || skip "prometheus not installed (make deps)"
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
