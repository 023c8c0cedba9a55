#!/usr/bin/env bats
# Across the kernels of one guest run: every kernel's workload profile
# judged against every other kernel's 'probe --json' ('check --against'),
# with the differences that really exist between them, and nothing else;
# and where the later kernel judged the profile live in its guest, the same
# verdict; and the fleet matrix over every kernel's probe at once. Run by
# scripts/test-guest.sh after the last kernel.

setup() {
	OUT=${ISC_GUEST_OUT:?}
	BIN=${ISC_BIN:?}
	KERNELS=${ISC_GUEST_KERNELS:?}
}

# Findings of profile A against kernel B, as sorted "severity what" strings.
findings() {
	"$BIN" check --json "$OUT/$1/profile.json" --against "$OUT/$2/probe.json" |
		jq -s -c 'map(select(.type != "summary") |
			"\(.severity) \(.ioctl // .extension) \(.argsz) \(.flags)") | sort'
}

# What really differs between two of the test kernels for this workload.
expected() {
	local a=$1 b=$2 out=()
	size() { case $1 in 5.10 | 6.1) echo 20 ;; *) echo 24 ;; esac; }
	old() { [ "$1" = 5.10 ]; }
	# vfio_device_info: the workload passes 20 bytes; 24 from 6.5
	if [ "$(size "$a")" = 20 ] && [ "$(size "$b")" = 24 ]; then
		out+=("note VFIO_DEVICE_GET_INFO 20 0")
	elif [ "$(size "$a")" = 24 ] && [ "$(size "$b")" = 20 ]; then
		out+=("note VFIO_DEVICE_GET_INFO 20 0")
	fi
	# UNMAP_ALL answers 0 on 5.10, 1 from 5.12; the feature indexes the
	# workload uses arrived in 5.18 (MIGRATION) and 6.1 (LOW_POWER_ENTRY)
	if old "$a" && ! old "$b"; then
		out+=("note UNMAP_ALL null null" "note VFIO_DEVICE_FEATURE 16 65537"
		      "note VFIO_DEVICE_FEATURE 8 393219")
	elif ! old "$a" && old "$b"; then
		out+=("degraded UNMAP_ALL null null" "rejected VFIO_DEVICE_FEATURE 16 65537"
		      "rejected VFIO_DEVICE_FEATURE 8 393219")
	fi
	printf '%s\n' "${out[@]}" | jq -R . | jq -s -c 'map(select(length > 0)) | sort'
}

@test "check --against: each profile on each other kernel reports exactly the real differences" {
	local bad=0 n=0
	for a in $KERNELS; do
		for b in $KERNELS; do
			[ "$a" != "$b" ] || continue
			got=$(findings "$a" "$b")
			want=$(expected "$a" "$b")
			n=$((n + 1))
			if [ "$got" != "$want" ]; then
				echo "profile $a on $b: got $got, want $want"
				bad=1
			fi
		done
	done
	[ "$n" -ge 2 ]
	[ "$bad" -eq 0 ]
}

@test "check --against: the exit status says whether anything would be rejected or degraded" {
	for a in $KERNELS; do
		for b in $KERNELS; do
			[ "$a" != "$b" ] || continue
			run "$BIN" check "$OUT/$a/profile.json" --against "$OUT/$b/probe.json"
			if [ "$b" = 5.10 ] && [ "$a" != 5.10 ]; then
				[ "$status" -eq 3 ] || { echo "$a on $b: $status"; false; }
			else
				[ "$status" -eq 0 ] || { echo "$a on $b: $status $output"; false; }
			fi
		done
	done
}

@test "check live in the guest agrees with check --against on the host" {
	local n=0
	for b in $KERNELS; do
		for f in "$OUT/$b"/check-*.jsonl; do
			[ -e "$f" ] || continue
			a=$(basename "$f" .jsonl)
			a=${a#check-}
			live=$(jq -s -c 'map(select(.type != "summary") |
				"\(.severity) \(.ioctl // .extension) \(.argsz) \(.flags)") | sort' "$f")
			[ "$live" = "$(findings "$a" "$b")" ] || {
				echo "profile $a on $b: live $live, offline $(findings "$a" "$b")"
				false
			}
			n=$((n + 1))
		done
	done
	[ "$n" -ge 1 ]
}

@test "check --against every kernel's probe: the fleet matrix, 5.10 the only host that rejects" {
	local against=() a b n
	for b in $KERNELS; do
		against+=(--against "$OUT/$b/probe.json")
	done
	n=$(wc -w <<<"$KERNELS")
	for a in $KERNELS; do
		run "$BIN" check --json "$OUT/$a/profile.json" "${against[@]}"
		# rows named by their directory: the kernel
		got=$(jq -s -c '.[:-1] | map("\(.host) \(.verdict)")' <<<"$output")
		want=$(for b in $KERNELS; do
			if [ "$b" = 5.10 ] && [ "$a" != 5.10 ]; then echo "$b rejected"; else echo "$b fine"; fi
		done | jq -R . | jq -s -c .)
		[ "$got" = "$want" ] || { echo "profile $a: got $got, want $want"; false; }
		if [ "$a" != 5.10 ] && [[ " $KERNELS " == *" 5.10 "* ]]; then
			[ "$status" -eq 3 ]
		else
			[ "$status" -eq 0 ]
		fi
		jq -s -e --argjson n "$n" '.[-1] | .type == "summary" and .hosts == $n' <<<"$output"
		# each row holds what the pair's check finds (the kernel itself: nothing)
		for b in $KERNELS; do
			row=$(jq -s -c --arg b "$b" '.[] | select(.host == $b) | .findings |
				map("\(.severity) \(.ioctl // .extension) \(.argsz) \(.flags)") | sort' <<<"$output")
			if [ "$a" = "$b" ]; then pair='[]'; else pair=$(findings "$a" "$b"); fi
			[ "$row" = "$pair" ] || { echo "profile $a on $b: matrix $row, pair $pair"; false; }
		done
	done
}
