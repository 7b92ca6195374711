#!/usr/bin/env bash
# 50-faults.sh — injected I/O faults and allocation failures (docs/faults.md).
#
# A real certsrvd (or certsrv) runs with tests/faultfs preloaded; a rule
# (FAULTFS_RULES) makes a chosen call on a chosen file fail with EIO or
# ENOSPC, armed only while DIR/arm exists. Cases: the redo log (write,
# fdatasync, the roll that creates a generation), the checkpoint file
# ca.chk (temp write, fsync, rename, directory fsync), backup streaming on
# the server (sendfile of ca.db and of a log, reads of a log) and on the
# client (`certsrv backup DIR` on a full disk: write, fsync of a file, fsync
# of the set's directory), and `certsrv init` (fsync of a directory it made).
# Each case proves: a clear error (daemon log, or
# CLI message and non-zero exit); the sticky failed state for the log (I6);
# no crash; every acknowledged serial back after a restart; a failed backup
# leaves no history and truncates nothing; the next backup works once the
# fault is gone. Then tests/helpers/oom_sweep makes the Nth allocation fail
# inside every libcertadm call sequence (skipped under ASan).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"
require_binaries

SHIM="$B/tests/libfaultfs.so"
SWEEP="$B/tests/oom_sweep"
[[ -r $SHIM ]] || tap_bail "$SHIM is missing (make builds it)"
[[ -x $SWEEP ]] || tap_bail "$SWEEP is missing (make builds it)"
REAL_CERTSRV=$CERTSRV
W=$(mk_workdir 0755)
LOG='*/logs/ca????????.log'
mk_csrs "$W" fault 8

# wrap BIN RULES ARM OUT — a script running BIN with the shim and RULES.
wrap() {
	printf '#!/bin/sh\nexec env LD_PRELOAD=%s FAULTFS_RULES=%q FAULTFS_ARM=%s %s "$@"\n' \
		"$(shim_preload "$SHIM" "$1")" "$2" "$3" "$1" >"$4"
	chmod +x "$4"
}

# start_faulty — certsrvd on $D with the shim and the rules $RULES, armed
# while $D/arm exists.
start_faulty() {
	daemon_start_env "$D" LD_PRELOAD="$(shim_preload "$SHIM")" FAULTFS_RULES="$RULES" FAULTFS_ARM="$D/arm"
}

# new_ca RULES — a fresh CA in $D, certsrvd running with RULES (disarmed),
# checkpoints only when asked; $ACKED holds the serials acknowledged so far.
new_ca() {
	D=$(mk_ca) || tap_bail "certsrv init failed"
	ACKED=()
	RULES=$1
	sed -i 's/^checkpoint_interval_sec = .*/checkpoint_interval_sec = 86400/' "$D/certsrv.conf"
	start_faulty || tap_bail "certsrvd did not start with the shim"
}

# submit_n N — N submits; the acknowledged serials go to ACKED; prints how
# many were refused.
submit_n() {
	local k out refused=0
	for ((k = 0; k < $1; k++)); do
		if out=$(cs "$D" submit "$W/$((k % 8)).csr" 2>&1) && [[ $out =~ serial\ ([0-9A-F]+) ]]; then
			ACKED+=("${BASH_REMATCH[1]}")
		else
			refused=$((refused + 1))
		fi
	done
	REFUSED=$refused
}

arm() { : >"$D/arm"; }
disarm() { rm -f "$D/arm"; }
fired() { grep -q "^faultfs: $1" "$D/daemon.log"; }
state() { cs "$D" status --json 2>/dev/null | json_eval "$1" 2>&1; }
gens() { (cd "$D/logs" && ls ca????????.log); }

# restart_and_check NAME — kill -9, restart without the shim, every
# acknowledged serial back, the CA issues, integrity_check after a stop.
restart_and_check() {
	local name=$1 out
	daemon_kill9 "$D"
	daemon_start "$D" 2>"$W/start.err"
	tap_check "$name: certsrvd restarts (recovery)" $? "$(cat "$W/start.err")"
	tap_certs_back "$D" "$name" "${ACKED[@]}"
	out=$(cs "$D" submit "$W/7.csr" 2>&1)
	tap_check "$name: the CA issues again" $? "$out"
	daemon_stop "$D" || true
	tap_integrity "$D" "$name"
}

# backup_fails NAME — with the fault armed, `certsrv backup` into a new set
# fails with a message (its output in BACKUP_OUT), and the fault fired in
# certsrvd. Two results.
backup_fails() {
	arm
	BACKUP_OUT=$(cs "$D" backup "$W/set-$RANDOM" 2>&1)
	tap_check "$1: certsrv backup fails with a message" $((1 - $?)) "$BACKUP_OUT"
	disarm
	fired ""
	tap_check "$1: the fault was injected" $? "$(tail -3 "$D/daemon.log")"
}

# ------------------------------------------------------------ redo log (I6)

# log_case NAME RULE — the armed submit fails; every later write is
# refused (sticky) while reads work; the failure is logged.
log_case() {
	local name=$1 out
	new_ca "$2"
	submit_n 3
	arm
	submit_n 2
	disarm
	fired ""
	tap_check "$name: the fault was injected" $? "$(tail -3 "$D/daemon.log")"
	tap_is "$REFUSED" 2 "$name: the request hit by the fault and the next one are refused"
	out=$(cs "$D" revoke "${ACKED[0]}" 2>&1)
	tap_check "$name: with the fault gone, a revoke is still refused (sticky, I6)" $((1 - $?)) "$out"
	tap_is "$(state "d['log']['failed']")" true "$name: status reports the failed log writer"
	grep -q 'redo log writer failed' "$D/daemon.log"
	tap_check "$name: certsrvd logged the failure" $? "$(tail -3 "$D/daemon.log")"
	restart_and_check "$name"
}

log_case "log write EIO" "write:$LOG:1:EIO"
log_case "log fdatasync ENOSPC" "fdatasync:$LOG:1:ENOSPC"

# roll_case NAME RULE — the roll that a backup's GetBackupLogs makes fails
# while creating generation 2: the backup fails, the writer is failed.
roll_case() {
	local name=$1 hist
	new_ca "$2"
	submit_n 3
	hist=$(state "d['backup']['last_full']")
	backup_fails "$name"
	tap_is "$(state "d['backup']['last_full']")" "$hist" "$name: no backup recorded"
	[[ ! -e $D/logs/ca00000002.log ]]
	tap_check "$name: the half-made generation is removed" $?
	submit_n 1
	tap_is "$REFUSED" 1 "$name: later writes are refused (sticky, I6)"
	tap_is "$(state "d['log']['failed']")" true "$name: status reports the failed log writer"
	restart_and_check "$name"
}

roll_case "roll: new generation header write ENOSPC" "write:*/logs/ca00000002.log:1:ENOSPC"
roll_case "roll: new generation header fsync EIO" "fsync:*/logs/ca00000002.log:1:EIO"

# ---------------------------------------------------------------- ca.chk

# ckpt_case NAME RULE kept|renamed|truncate — a checkpoint of a full backup
# fails (Prepare's; with "truncate" TruncateLogs'): the backup fails
# cleanly and (but at TruncateLogs) is not recorded, no generation is
# deleted, ca.chk is intact (kept) or replaced whole (renamed: only the
# directory fsync failed), no temp file is left, the CA keeps issuing, the
# next backup works.
ckpt_case() {
	local name=$1 out hist before gbefore g missing=0
	new_ca "$2"
	submit_n 3
	hist=$(state "d['backup']['last_full']")
	before=$(sha256sum <"$D/logs/ca.chk")
	gbefore=$(gens)
	backup_fails "$name"
	out=$BACKUP_OUT
	grep -q 'checkpoint failed' "$D/daemon.log"
	tap_check "$name: certsrvd logged the failed checkpoint" $? "$(tail -3 "$D/daemon.log")"
	# TruncateLogs records the session before it deletes anything (so a
	# crash cannot leave deleted generations no recorded backup covers):
	# when it fails the set is complete and durable, and stays recorded.
	if [[ $3 != truncate ]]; then
		tap_is "$(state "d['backup']['last_full']")" "$hist" "$name: no backup recorded"
	fi
	if [[ $3 == truncate ]]; then
		[[ $out == *CertSrvBackupTruncateLogs* ]]
		tap_check "$name: it is TruncateLogs that fails" $? "$out"
	fi
	if [[ $3 == renamed || $3 == truncate ]]; then
		cmp -s <(sha256sum <"$D/logs/ca.chk") <(echo "$before")
		tap_check "$name: ca.chk holds a new checkpoint (the rename happened)" $((1 - $?))
	else
		tap_is "$(sha256sum <"$D/logs/ca.chk")" "$before" "$name: ca.chk is untouched"
	fi
	tap_is "$(find "$D/logs" -name 'ca.chk.tmp.*' | wc -l)" 0 "$name: no temp file is left"
	for g in $gbefore; do [[ -e $D/logs/$g ]] || missing=$((missing + 1)); done
	tap_is "$missing" 0 "$name: no log generation was deleted"
	submit_n 2
	tap_is "$REFUSED" 0 "$name: the CA keeps issuing (a checkpoint failure is not sticky)"
	out=$(cs "$D" backup "$W/set-$RANDOM" 2>&1)
	tap_check "$name: the next backup works" $? "$out"
	restart_and_check "$name"
}

ckpt_case "ca.chk temp write ENOSPC" "write:*/logs/ca.chk.tmp.*:1:ENOSPC" kept
ckpt_case "ca.chk fsync EIO" "fsync:*/logs/ca.chk.tmp.*:1:EIO" kept
ckpt_case "ca.chk rename ENOSPC" "rename:*/logs/ca.chk:1:ENOSPC" kept
ckpt_case "ca.chk directory fsync EIO" "fsync:*/logs:1:EIO" renamed
# The second checkpoint of the session is TruncateLogs' (Prepare made the
# first): the backup fails there, and nothing is deleted.
ckpt_case "ca.chk at TruncateLogs ENOSPC" "write:*/logs/ca.chk.tmp.*:2:ENOSPC" truncate

# A background checkpoint (no client waiting) that fails is logged once,
# retried, and its success is logged too.
new_ca "write:*/logs/ca.chk.tmp.*:1+:ENOSPC"
sed -i 's/^checkpoint_interval_sec = .*/checkpoint_interval_sec = 1/' "$D/certsrv.conf"
daemon_stop "$D"
start_faulty || tap_bail "certsrvd did not restart"
arm
submit_n 2
wait_line "$D/daemon.log" 'checkpoint failed' 10
tap_check "background checkpoint ENOSPC: certsrvd logs the failure" $? "$(tail -3 "$D/daemon.log")"
submit_n 2
tap_is "$REFUSED" 0 "background checkpoint ENOSPC: the CA keeps issuing"
disarm
wait_line "$D/daemon.log" 'checkpoints work again' 10
tap_check "background checkpoint ENOSPC: recovery of checkpoints is logged" $? "$(tail -3 "$D/daemon.log")"
tap_is "$(grep -c 'checkpoint failed' "$D/daemon.log")" 1 "background checkpoint ENOSPC: logged once, not once per retry"
restart_and_check "background checkpoint ENOSPC"

# ------------------------------------------------------ backup streaming

# stream_case NAME RULE WHO — a full backup fails while streaming: no
# generation deleted, the daemon healthy, the next backup works, and no
# history recorded (a client that cannot store a file ends the session
# without closing it; docs/faults.md). WHO is "server" (the rule is in
# certsrvd) or "client" (in certsrv backup).
stream_case() {
	local name=$1 rule=$2 who=$3 out hist before set g missing=0
	if [[ $who == server ]]; then new_ca "$rule"; else new_ca ""; fi
	submit_n 3
	out=$(cs "$D" backup "$W/set-$RANDOM" 2>&1) || tap_bail "$name: first backup failed: $out"
	submit_n 2
	hist=$(state "d['backup']")
	before=$(gens)
	set="$W/set-$RANDOM"
	arm
	if [[ $who == server ]]; then
		out=$(cs "$D" backup "$set" 2>&1)
	else
		wrap "$REAL_CERTSRV" "$rule" "$D/arm" "$W/certsrv-faulty"
		CERTSRV="$W/certsrv-faulty"
		out=$(cs "$D" backup "$set" 2>&1)
		local st=$?
		CERTSRV=$REAL_CERTSRV
		(exit $st)
	fi
	tap_check "$name: certsrv backup fails with a message" $((1 - $?)) "$out"
	disarm
	if [[ $who == server ]]; then
		fired ""
	else
		grep -q "^faultfs: " <<<"$out"
	fi
	tap_check "$name: the fault was injected" $? "$out"
	tap_is "$(state "d['backup']['last_full']")" \
		"$(json_eval "d['last_full']" <<<"$hist")" "$name: no backup recorded"
	for g in $before; do [[ -e $D/logs/$g ]] || missing=$((missing + 1)); done
	tap_is "$missing" 0 "$name: no log generation was deleted"
	tap_is "$(state "d['backup']['in_progress']")" false "$name: the session is gone"
	out=$(cs "$D" backup "$W/set-$RANDOM" 2>&1)
	tap_check "$name: the next backup works" $? "$out"
	restart_and_check "$name"
}

stream_case "server: sendfile of ca.db EIO" "sendfile:*/db/ca.db:1:EIO" server
stream_case "server: sendfile of a log EIO" "sendfile:$LOG:1:EIO" server
stream_case "server: reading a log to check it EIO" "read:$LOG:1:EIO" server
stream_case "client: disk full writing the set" "write:*/DataBase/*:1+:ENOSPC" client
stream_case "client: fsync of a file of the set EIO" "fsync:*/DataBase/ca????????.log:1:EIO" client
stream_case "client: fsync of the set's directory EIO" "fsync:*/DataBase:1:EIO" client

# ------------------------------------------------------------ certsrv init
# init makes the layout durable: every directory it creates has its entry
# fsync'd in its parent, so a power cut after "initialized" cannot take a
# directory away. A failed fsync of the data directory (where ca/, db/,
# logs/... are made) fails init with the reason and leaves nothing behind,
# and init then works once the fault is gone.
DI=$(realpath "$TEST_TMP")/init-fault
mkdir -p "$DI"
wrap "$REAL_CERTSRV" "fsync:$DI:1:EIO" "$W" "$W/certsrv-init-faulty"  # armed: $W exists
out=$("$W/certsrv-init-faulty" --data-dir "$DI" init --subject "CN=Fault Root" 2>&1)
st=$?
[[ $st -ne 0 && $out == *"faultfs: fsync $DI -> "* && $out == *"cannot create"*"nput/output error"* ]]
tap_check "init: a failed fsync of a directory it made fails init with the reason" $? \
	"exit $st" "$out"
tap_is "$(ls -A "$DI" 2>&1)" "" "init: nothing is left behind after the failure"
out=$(cs "$DI" init --subject "CN=Fault Root" 2>&1)
tap_check "init: works once the fault is gone" $? "$out"

# ------------------------------------------------------ allocation failure

if ldd "$SWEEP" | grep -q libasan; then
	tap_skip "allocation-failure sweep" "the allocator cannot be replaced under AddressSanitizer"
else
	D=$(mk_ca) || tap_bail "certsrv init failed"
	daemon_start "$D" || tap_bail "certsrvd did not start"
	submit_n 2
	out=$(cs "$D" backup "$W/set-$RANDOM" 2>&1) || tap_bail "the first full backup failed: $out"
	"$SWEEP" backup "$D" | sed 's/^\(not \)\{0,1\}ok [0-9]* - /&oom: /' >"$W/sweep.tap"
	submit_n 1
	tap_is "$REFUSED" 0 "oom: the CA still issues after the sweep"
	out=$(cs "$D" backup "$W/set-$RANDOM" 2>&1)
	tap_check "oom: a backup with certsrv works after the sweep" $? "$out"
	daemon_stop "$D" || true
	"$SWEEP" restore "$D" | sed 's/^\(not \)\{0,1\}ok [0-9]* - /&oom: /' >>"$W/sweep.tap"
	# Renumber the sweep's results into this script's TAP stream.
	while IFS= read -r line; do
		if [[ $line =~ ^ok\ [0-9]+\ -\ (.*)$ ]]; then
			tap_ok "${BASH_REMATCH[1]}"
		elif [[ $line =~ ^not\ ok\ [0-9]+\ -\ (.*)$ ]]; then
			tap_fail "${BASH_REMATCH[1]}"
		elif [[ $line == \#* ]]; then
			echo "$line"
		fi
	done <"$W/sweep.tap"
	grep -q '^ok' "$W/sweep.tap"
	tap_check "oom: the sweep ran" $?
fi
tap_done
