#!/usr/bin/env bash
# 20-log-fault.sh — invariant I6 and I1 under injected log I/O failures.
#
# A real certsrvd runs with tests/faultfs (LD_PRELOAD) making the Nth
# fdatasync() — or the Nth write() — of a redo log file fail. Afterwards:
# the request whose record could not be made durable is not acknowledged,
# the writer refuses every later change (sticky failed state) while reads
# still work, and after a restart every acknowledged certificate is there.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"
require_binaries

SHIM="$B/tests/libfaultfs.so"
[[ -r $SHIM ]] || tap_bail "$SHIM is missing (make builds it)"
W=$(mk_workdir 0755)
mk_csrs "$W" fault 10

# run_case NAME VAR N — the Nth call fails; submits 10 requests one by one.
run_case() {
	local name=$1 var=$2 n=$3 D acked=() failed=0 out k
	D=$(mk_ca) || tap_bail "certsrv init failed"
	# certsrvd with VAR=N in its environment and the shim preloaded.
	daemon_start_env "$D" LD_PRELOAD="$(shim_preload "$SHIM")" "$var=$n" ||
		tap_bail "certsrvd did not start with the shim"
	for ((k = 0; k < 10; k++)); do
		if out=$(cs "$D" submit "$W/$k.csr" 2>&1); then
			[[ $out =~ serial\ ([0-9A-F]+) ]] && acked+=("${BASH_REMATCH[1]}")
		else
			failed=$((failed + 1))
		fi
	done
	# Submit k (0-based) is batch k+1; the Nth call of the batch that fails.
	tap_is "${#acked[@]}" "$((n - 1))" "$name: only the $((n - 1)) requests before the fault are acknowledged"
	tap_is "$failed" "$((10 - n + 1))" "$name: every request from the fault on is refused"
	out=$(cs "$D" revoke "${acked[0]}" 2>&1)
	tap_check "$name: a revoke after the fault is refused too (sticky)" $((1 - $?)) "$out"
	out=$(cs "$D" status --json 2>&1)
	tap_is "$(json_eval "d['log']['failed']" <<<"$out" 2>&1)" true "$name: status reports the failed log writer"
	out=$(cs "$D" view --json 2>&1)
	tap_check "$name: reads still work while failed" $? "$out"
	grep -q 'redo log writer failed' "$D/daemon.log"
	tap_check "$name: certsrvd logged the failure once it happened" $? "$(tail -5 "$D/daemon.log")"
	daemon_kill9 "$D"
	daemon_start "$D" || tap_bail "certsrvd did not restart"
	tap_certs_back "$D" "$name" "${acked[@]}"
	out=$(cs "$D" submit "$W/9.csr" 2>&1)
	tap_check "$name: after restart the CA issues again" $? "$out"
	daemon_stop "$D" || true
	tap_integrity "$D" "$name"
}

run_case "fdatasync EIO" FAULTFS_LOG_FDATASYNC 4
run_case "write ENOSPC" FAULTFS_LOG_WRITE 6
tap_done
