#!/usr/bin/env bash
# 35-restore-cli-kill.sh — `certsrv restore` itself killed at every one of
# its durability points (tests/crash/killat.c: each fsync, rename, unlink),
# as a power cut or a Ctrl-C would stop it (docs/torture.md).
#
# A CA issues A, is backed up (full), issues B, is backed up (incremental),
# issues C, and stops; then its database is lost. For every point K of an
# uninterrupted `certsrv restore FULL INCR --force` (counted first), on a
# fresh copy of that state: the restore is SIGKILLed at point K, then
#   1. certsrvd is started as an operator who did not notice would start it:
#      it must either refuse to start with a message, or start with every
#      acknowledged certificate (A, B, C) — never start on a partial restore;
#   2. if it refused, `certsrv restore` is run again and must succeed, and
#      certsrvd then starts with every acknowledged certificate;
#   3. PRAGMA integrity_check is ok after a clean stop.
# The database is "lost" by removing ca.db (and its -wal/-shm); the live
# logs (which continue the incremental) stay, so the restore rolls forward.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"
require_binaries certsrv certsrvd tests/libkillat.so

KILLAT_PRELOAD=$(shim_preload "$B/tests/libkillat.so" "$CERTSRV")
W=$(mk_workdir 0755 csr)
mk_csrs "$W/csr" rk 3
D=$(mk_ca) || tap_bail "certsrv init failed"
daemon_start "$D" || tap_bail "certsrvd did not start"
: >"$W/acked"
# issue K — submit CSR K; record the acknowledged serial and request id.
issue() {
	local out
	out=$(cs "$D" submit "$W/csr/$1.csr" 2>&1) || tap_bail "submit $1 failed: $out"
	parse_request_line "$out"
	printf '%s %s\n' "$SERIAL" "$REQ_ID" >>"$W/acked"
}
issue 0
out=$(cs "$D" backup "$W/full" 2>&1) || tap_bail "full backup failed: $out"
issue 1
out=$(cs "$D" backup "$W/incr" --incremental 2>&1) || tap_bail "incremental backup failed: $out"
issue 2
daemon_stop "$D" || tap_bail "certsrvd did not stop cleanly"
rm -f "$D/db/ca.db" "$D/db/ca.db-wal" "$D/db/ca.db-shm" "$D/daemon.log"
P="$TEST_TMP/pristine"
cp -a "$D" "$P"

# fresh — $D becomes a copy of the state before the restore.
fresh() {
	rm -rf "$D"
	cp -a "$P" "$D"
}

# restore_cli [ENV...] — `certsrv restore FULL INCR --force` on $D.
restore_cli() {
	env "$@" timeout "$CLI_TIMEOUT" "$CERTSRV" --data-dir "$D" restore "$W/full" "$W/incr" --force
}

fresh
restore_cli KILLAT_TRACE="$W/trace" LD_PRELOAD="$KILLAT_PRELOAD" >"$W/restore.out" 2>&1
tap_check "an uninterrupted restore succeeds" $? "$(tail -5 "$W/restore.out")"
POINTS=$(wc -l <"$W/trace")
((POINTS >= 10)) || tap_bail "only $POINTS durability points traced: the shim saw nothing"
tap_diag "durability points of certsrv restore: $POINTS"

# check_all LABEL — every acknowledged certificate is there; clean stop;
# integrity_check.
check_all() {
	cs "$D" view --json >"$W/view.json" 2>&1
	tap_acked "$1" "$W/view.json" "$W/acked"
	tap_clean_stop "$D" "$1"
	tap_integrity "$D" "$1"
}

refused=0
for ((k = 1; k <= POINTS; k++)); do
	point=$(sed -n "${k}p" "$W/trace" | cut -d' ' -f2-)
	label="killed at point $k ($point)"
	fresh
	restore_cli KILLAT_N="$k" LD_PRELOAD="$KILLAT_PRELOAD" >"$W/restore.out" 2>&1
	st=$?
	if [[ $st -ne 137 ]]; then
		tap_fail "$label: the restore was killed" "exit $st" "$(tail -3 "$W/restore.out")"
		continue
	fi
	if daemon_start "$D" 2>"$W/start.err"; then
		# Started without a rerun: only acceptable with everything there.
		check_all "$label, started without a rerun"
		continue
	fi
	refused=$((refused + 1))
	tap_diag "certsrvd said: $(grep -v "^daemon_start" "$W/start.err" | head -2 | tr "\n" " ")"
	# Every refusal must point at the remedy (certsrv restore).
	grep -q 'restore' "$D/daemon.log"
	tap_check "$label: certsrvd refuses to start on the partial restore, saying what to do" $? \
		"$(cat "$W/start.err")"
	restore_cli >"$W/restore.out" 2>&1
	tap_check "$label: certsrv restore run again succeeds" $? "$(tail -5 "$W/restore.out")"
	daemon_start "$D" 2>"$W/start.err"
	tap_check "$label: certsrvd carries the restore out" $? "$(cat "$W/start.err")"
	check_all "$label, after the rerun"
done
((refused > 0))
tap_check "some kills left a restore that certsrvd refused ($refused of $POINTS)" $?

tap_done
