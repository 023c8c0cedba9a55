#!/usr/bin/env bats
# The fleet's side of export: the host's ABI facts as info metrics (checked
# against 'probe --json' of the same host and with promtool), the shipped
# Prometheus rules (promtool check rules, promtool test rules) and Grafana
# dashboard, whose every query a real Prometheus scraping a live exporter,
# with the rules loaded, must answer with data.

load helpers

RULES=contrib/prometheus/iommuscope.rules.yml
RULES_TEST=contrib/prometheus/iommuscope.rules.test.yml
DASH=contrib/grafana/iommuscope.json

setup() {
	BIN=${ISC_BIN:-.output/iommuscope}
	CLIENT=${ISC_CLIENT:-.output/tests/vfio_client}
	T=$BATS_TEST_TMPDIR
	PIDS=()
	PORT=$((20000 + ($$ + 7) % 20000))
	PROM_PORT=$((PORT + 1))
}

teardown() {
	local p
	for p in "${PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null || true
	done
	true
}

need_root() {
	[ "$(id -u)" -eq 0 ] || skip "live tests load BPF programs: need root"
}

start_export() {
	start_session exporting export export "$@" || return 1
	EXPORT_PID=$SESSION_PID
	PIDS+=("$EXPORT_PID")
}

# The dashboard's queries, one a line, as Grafana would send them for
# every host ($instance: All) and a 1-minute rate window.
dashboard_queries() {
	jq -r '.panels[].targets[].expr' "$DASH" |
		sed -e 's/\$__rate_interval/1m/g' -e 's/\$instance/.*/g'
}

@test "rules: promtool check rules, and their unit tests pass" {
	command -v promtool >/dev/null || skip "promtool not installed (make test-deps: prometheus)"
	run promtool check rules "$RULES"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"SUCCESS: 7 rules found"* ]]
	run promtool test rules "$RULES_TEST"
	echo "$output"
	[ "$status" -eq 0 ]
	# and the unit tests can fail: h612 said to reject
	sed '0,/value: 0/s//value: 1/' "$RULES_TEST" >"$T/bad.test.yml"
	cp "$RULES" "$T/"
	run promtool test rules "$T/bad.test.yml"
	[ "$status" -ne 0 ]
}

@test "dashboard: valid JSON, every panel on the datasource variable with a query, unique ids" {
	jq -e '.uid == "iommuscope" and (.panels | length) >= 10' "$DASH"
	jq -e '[.panels[] | .datasource.uid == "${datasource}" and (.targets | length) > 0 and
		all(.targets[]; .datasource.uid == "${datasource}" and (.expr | length) > 0)] | all' "$DASH"
	jq -e '[.panels[].id] | length == (unique | length)' "$DASH"
	jq -e '[.panels[] | .targets | map(.refId) | length == (unique | length)] | all' "$DASH"
	jq -e '.templating.list | map(.name) == ["datasource", "instance"]' "$DASH"
	# the fleet's metrics and the rules' are on it
	for m in iommuscope_host_info iommuscope_abi_struct_size_bytes iommuscope_abi_extension_supported \
		iommuscope_abi_device_feature_supported iommuscope:workload_rejected \
		iommuscope:workload_requirement_unmet iommuscope_ioctl_calls_total; do
		dashboard_queries | grep -qF "$m" || { echo "$m not on the dashboard"; false; }
	done
}

@test "export: the host's ABI as info metrics, as 'probe --json' sees it; promtool check metrics" {
	need_root
	command -v promtool >/dev/null || skip "promtool not installed (make test-deps: prometheus)"
	"$BIN" probe --json >"$T/probe.json"
	start_export --listen "127.0.0.1:$PORT" --interval 200ms --mode tracepoint
	for _ in $(seq 30); do
		curl -sf "http://127.0.0.1:$PORT/metrics" >"$T/m" && grep -q '^iommuscope_host_info' "$T/m" && break
		sleep 0.1
	done
	run promtool check metrics <"$T/m"
	echo "$output"
	[ "$status" -eq 0 ]
	# one host_info series, value 1, its labels from the probe
	[ "$(grep -c '^iommuscope_host_info{' "$T/m")" -eq 1 ]
	want=$(jq -r '"iommuscope_host_info{kernel=\"\(.kernel)\",version=\"\(.version)\",container_backend=\"\(.container_backend)\",vfio_container=\"\(.dev_vfio)\",iommufd=\"\(.dev_iommu)\",bpf_lsm=\"\(.bpf_lsm)\",module_btf=\"\(.module_btf != "")\",catalog_headers=\"\(.catalog_headers)\",kernel_newer_than_catalog=\"\(.kernel_newer_than_catalog)\"} 1"' "$T/probe.json")
	grep -qxF "$want" "$T/m" || { echo "want $want"; grep '^iommuscope_host_info' "$T/m"; false; }
	# every struct size probe reports, with its source; the others 0
	n=0
	while read -r ioctl st size src; do
		grep -qxF "iommuscope_abi_struct_size_bytes{ioctl=\"$ioctl\",struct=\"$st\",source=\"$src\"} $size" "$T/m" ||
			{ echo "$ioctl $st $size $src"; false; }
		n=$((n + 1))
	done < <(jq -r '.struct_sizes | to_entries[] | "\(.key) \(.value.struct) \(.value.size) \(.value.source)"' "$T/probe.json")
	[ "$n" -ge 20 ]
	[ "$(grep '^iommuscope_abi_struct_size_bytes{' "$T/m" | grep -vc ' 0$')" -eq "$n" ]
	# the extensions where a container answers, none where there is none
	if jq -e '.extensions != null' "$T/probe.json" >/dev/null; then
		while read -r e v; do
			[ "$v" -ge 0 ] || continue
			grep -qxF "iommuscope_abi_extension_supported{extension=\"$e\"} $v" "$T/m"
		done < <(jq -r '.extensions | to_entries[] | "\(.key) \(.value)"' "$T/probe.json")
	else
		! grep -q '^iommuscope_abi_extension_supported{' "$T/m"
	fi
	# DEVICE_FEATURE: MIGRATION came with 5.18, PCI_VF_TOKEN with 5.7
	v=$(jq -r '.version | split(".") | map(tonumber) | if . >= [5, 18] then 1 else 0 end' "$T/probe.json")
	grep -qxF "iommuscope_abi_device_feature_supported{feature=\"MIGRATION\",index=\"1\"} $v" "$T/m"
	grep -qxF 'iommuscope_abi_device_feature_supported{feature="PCI_VF_TOKEN",index="0"} 1' "$T/m"
	[ "$(grep -c '^iommuscope_abi_device_feature_supported{' "$T/m")" -ge 14 ]
}

@test "a real Prometheus with the shipped rules: every dashboard query returns data" {
	need_root
	command -v prometheus >/dev/null || skip "prometheus not installed (make test-deps)"
	# --linger: the client's series stay while the queries run
	start_export --listen "127.0.0.1:$PORT" --interval 200ms --linger 10m --mode tracepoint "${CLASSIFY[@]}"
	cp "$RULES" "$T/rules.yml"
	cat >"$T/prometheus.yml" <<-EOF
	global:
	  scrape_interval: 1s
	  evaluation_interval: 1s
	rule_files:
	  - rules.yml
	scrape_configs:
	  - job_name: iommuscope
	    static_configs:
	      - targets: ['127.0.0.1:$PORT']
	EOF
	start_prometheus "$T/prometheus.yml" "$PROM_PORT"
	PIDS+=("$PROM_PID")
	"$CLIENT" --loops 3 >/dev/null
	q() {
		curl -sf "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=$1"
	}
	# rates need two scrapes after the calls; the rules an evaluation
	for _ in $(seq 60); do
		n=$(q 'sum(rate(iommuscope_ioctl_calls_total{comm="vfio_client"}[1m]))' |
			jq -r '.data.result | length')
		r=$(q 'iommuscope:workload_rejected' | jq -r '.data.result | length')
		[ "$n" = 1 ] && [ "$r" = 1 ] && break
		sleep 0.5
	done
	[ "$n" = 1 ] && [ "$r" = 1 ]
	container=$(q 'iommuscope_host_info' | jq -r '.data.result[0].metric.vfio_container')
	bad=0 count=0
	while read -r expr; do
		out=$(q "$expr") || { echo "query refused: $expr"; bad=1; continue; }
		len=$(jq -r '.data.result | length' <<<"$out")
		count=$((count + 1))
		if [[ "$expr" == *iommuscope_abi_extension_supported* && "$container" != true ]]; then
			# no /dev/vfio/vfio on this host: nothing to ask, no series
			[ "$len" -eq 0 ] || { echo "extensions without a container: $out"; bad=1; }
		elif [ "$len" -eq 0 ]; then
			echo "no data: $expr"
			bad=1
		fi
	done < <(dashboard_queries)
	echo "$count queries"
	[ "$count" -ge 15 ]
	[ "$bad" -eq 0 ]
	# the one query agrees with check against this host's own probe
	"$BIN" probe --json >"$T/probe.json"
	want=$("$BIN" check --json tests/profiles/workload-6.1.json --against "$T/probe.json" |
		jq -s -r 'if .[-1].rejected > 0 then 1 else 0 end')
	got=$(q 'iommuscope:workload_rejected' | jq -r '.data.result[0].value[1]')
	echo "rules $got, check $want"
	[ "$got" = "$want" ]
}
