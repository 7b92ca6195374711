#!/usr/bin/env bash
# 45-db-fault.sh — database write faults (issue 5 item 3, through the SQLite
# VFS wrapper tests/powerloss/testvfs.c; docs/power-loss.md). A real
# certsrvd runs with build/tests/libpowerloss.so and TESTVFS_FAIL making the
# Nth write or sync of ca.db-wal (SQLite's COMMIT, after the batch's redo
# record is durable) or of ca.db (a checkpoint) fail once with EIO or ENOSPC.
# Required, in every case: the fault fired; the daemon logs a clear error;
# the writer enters the sticky failed state (the failing request and every
# later change refused, also a revoke, status says failed) while reads
# work; nothing that failed was acknowledged; after kill -9 and a normal
# restart every acknowledged certificate is back, integrity_check is ok,
# the log chain reaches the applied LSN and the CA issues again.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"
require_binaries certsrv certsrvd tests/logcheck tests/libpowerloss.so

SHIM="$B/tests/libpowerloss.so"
W=$(mk_workdir 0755)
mk_csrs "$W" dbf 8

# wait_failed DIR — poll status (at most 10 s) until the writer has failed.
wait_failed() {
	local i
	for ((i = 0; i < 50; i++)); do
		[[ $(cs "$1" status --json 2>/dev/null | json_eval "d['log']['failed']" 2>/dev/null) == true ]] && return 0
		sleep 0.2
	done
	return 1
}

# run_case NAME SPEC commit|checkpoint
#   commit:     the fault hits SQLite's COMMIT of some submit (no checkpoints)
#   checkpoint: two submits, then the idle checkpoint (every second) fails
run_case() {
	local name=$1 spec=$2 mode=$3 D acked=() refused=0 late_ack=0 out k st
	D=$(mk_ca) || tap_bail "certsrv init failed"
	if [[ $mode == commit ]]; then
		sed -i 's/^checkpoint_interval_sec *=.*/checkpoint_interval_sec = 3600/' "$D/certsrv.conf"
	else
		sed -i 's/^checkpoint_interval_sec *=.*/checkpoint_interval_sec = 1/' "$D/certsrv.conf"
	fi
	daemon_start_env "$D" LD_PRELOAD="$(shim_preload "$SHIM")" TESTVFS_FAIL="$spec" ||
		tap_bail "$name: certsrvd did not start with the shim"
	for ((k = 0; k < 8; k++)); do
		if out=$(cs "$D" submit "$W/$k.csr" 2>&1) && [[ $out =~ serial\ ([0-9A-F]+) ]]; then
			acked+=("${BASH_REMATCH[1]}")
			((refused > 0)) && late_ack=1
		else
			refused=$((refused + 1))
		fi
		[[ $mode == checkpoint && $k -eq 1 ]] && wait_failed "$D"
	done
	grep -q "testvfs: injected" "$D/daemon.log"
	tap_check "$name: the fault was injected" $? "$(tail -5 "$D/daemon.log")"
	grep -q "the database write failed" "$D/daemon.log"
	tap_check "$name: certsrvd logs the database failure" $? "$(tail -5 "$D/daemon.log")"
	((${#acked[@]} >= 1 && refused >= 1 && late_ack == 0))
	tap_check "$name: requests before the fault acknowledged (${#acked[@]}), the failing one and all later refused ($refused)" $? \
		"acked ${#acked[*]}, refused $refused, acknowledged after a refusal: $late_ack"
	out=$(cs "$D" revoke "${acked[0]:-0}" 2>&1)
	st=$?
	tap_check "$name: a revoke after the fault is refused too (sticky)" $((st == 0)) "$out"
	out=$(cs "$D" status --json 2>&1)
	tap_is "$(json_eval "d['log']['failed']" <<<"$out" 2>&1)" true "$name: status reports the failed writer"
	out=$(cs "$D" view --json 2>&1)
	tap_check "$name: reads still work while failed" $? "$out"
	daemon_kill9 "$D"
	if ! daemon_start "$D" 2>"$W/start.err"; then
		tap_fail "$name: certsrvd recovers after restart" "$(cat "$W/start.err")"
		return
	fi
	tap_certs_back "$D" "$name" "${acked[@]}"
	out=$(cs "$D" submit "$W/7.csr" 2>&1)
	tap_check "$name: after restart the CA issues again" $? "$out"
	daemon_stop "$D"
	tap_integrity "$D" "$name"
	tap_log_chain "$D" "$name" 1
}

run_case "WAL write EIO at COMMIT" wal-write:20:EIO commit
run_case "WAL write ENOSPC at COMMIT" wal-write:30:ENOSPC commit
run_case "WAL sync EIO at checkpoint" wal-sync:2:EIO checkpoint
run_case "ca.db write EIO at checkpoint" db-write:1:EIO checkpoint
run_case "ca.db sync ENOSPC at checkpoint" db-sync:1:ENOSPC checkpoint
tap_done
