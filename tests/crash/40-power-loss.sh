#!/usr/bin/env bash
# 40-power-loss.sh — durability under simulated power loss (issue 5 item 2,
# DESIGN §4 I1/I2; docs/power-loss.md). certsrvd runs with
# build/tests/libpowerloss.so preloaded, which journals every write, sync,
# truncation, create, rename and unlink of ca.db, ca.db-wal and logs/*;
# three clients issue and one issues and revokes; the daemon is SIGKILLed
# at a random moment; tests/powerloss/powercut then drops, keeps or tears
# every write not yet synced (and every directory change not yet followed
# by a directory fsync), as a power cut could. After a normal restart:
# every acknowledged serial and revocation is present, serials are unique,
# the log chain runs from LSN 1 to the database's applied LSN without a gap,
# and after a clean stop PRAGMA integrity_check is ok. Every odd iteration
# the power fails a second time, during the recovery from the first cut
# (the shim kills certsrvd at its Nth journaled operation of start-up), and
# powercut cuts what the recovery had not synced before the checks run.
#
# Last, a negative self-test of the oracle: powercut is told to also drop
# the last *synced* log record (a state no power cut can produce) after
# sequential, fully acknowledged submits; the oracle must report that
# serial missing — otherwise the test above could not see a loss either.
#
# ITER=N iterations (default 3, at most 500); SEED=S replays a run (printed).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"
require_binaries certsrv certsrvd tests/logcheck tests/powercut tests/libpowerloss.so

ITER=$(count_knob "${ITER:-}" 3 500)
seed_random
CLIENTS=3
NCSR=40
SHIM="$B/tests/libpowerloss.so"

D=$(mk_ca) || tap_bail "certsrv init failed"
D=$(realpath "$D")
W=$(mk_workdir 0755 csr)
mk_csrs "$W/csr" pl "$NCSR"

# set_conf KEY VALUE — change one [store] key of certsrv.conf.
set_conf() {
	sed -i "s/^$1 *=.*/$1 = $2/" "$D/certsrv.conf"
}
# Frequent checkpoints (WAL sync, ca.db writes and sync, WAL truncation,
# ca.chk replaced) and small generations (new files, directory fsyncs).
set_conf checkpoint_interval_sec 1
set_conf log_file_size_kb 64

# start_shimmed JOURNALDIR [KILL_NS] — certsrvd under the power-loss shim;
# with KILL_NS=N, once it is ready, it SIGKILLs itself right after its Nth
# create/rename/unlink in logs/, before the directory fsync (a window random
# kills rarely hit).
start_shimmed() {
	local j=$1 kill_ns=${2:-} rc
	mkdir -p "$j"
	daemon_start_env "$D" LD_PRELOAD="$(shim_preload "$SHIM")" POWERLOSS_JOURNAL="$j" POWERLOSS_DIR="$D"
	rc=$?
	[[ $rc -eq 0 && -n $kill_ns ]] && printf '%s\n' "$kill_ns" >"$j/kill-ns"
	return $rc
}

# revoker IT — issue, then revoke what was issued; "SERIAL" per acked revoke.
revoker() {
	local it=$1 k=0 out s re='request ([0-9]+): issued, serial ([0-9A-F]+)'
	: >"$W/revoked.$it"
	: >"$W/acked.$it.r"
	while [[ ! -e $W/stop.$it ]]; do
		out=$(timeout 10 "$CERTSRV" --data-dir "$D" submit "$W/csr/$((k % NCSR)).csr" 2>&1)
		k=$((k + 1))
		[[ $? -eq 0 && $out =~ $re ]] || continue
		s=${BASH_REMATCH[2]}
		printf '%s %s\n' "$s" "${BASH_REMATCH[1]}" >>"$W/acked.$it.r"
		out=$(timeout 10 "$CERTSRV" --data-dir "$D" revoke "$s" --reason keyCompromise 2>&1)
		[[ $? -eq 0 && $out == "revoked $s"* ]] && printf '%s\n' "$s" >>"$W/revoked.$it"
	done
}

# check_store LABEL — the checks after a restart; the daemon is running
# and is stopped by them.
check_store() {
	local label=$1
	cat "$W"/acked.*.* >"$W/acked.all" 2>/dev/null
	cat "$W"/revoked.* >"$W/revoked.all" 2>/dev/null
	cs "$D" view --json >"$W/view.json" 2>"$W/view.err" || tap_diag "$(head -c 300 "$W/view.err")"
	tap_acked "$label" "$W/view.json" "$W/acked.all" "$W/revoked.all"
	tap_serials_unique "$label" "$W/view.json"
	tap_lsn_forward "$label" "$(cs "$D" status --json 2>&1)"
	tap_clean_stop "$D" "$label"
	tap_integrity "$D" "$label"
	tap_log_chain "$D" "$label"
}

# recovery_cut IT — a second power cut, during the recovery from the first:
# certsrvd starts under the shim and SIGKILLs itself right after its Nth
# journaled write, sync, truncation or name change (N random in 1..40: the
# recovery's replay, its checkpoint, the new ca.chk; a start that gets
# through all of them before the Nth is cut right after it is ready), and
# powercut keeps, drops or tears what the recovery had not synced. One TAP
# result; 1 if the test cannot go on.
recovery_cut() {
	local it=$1 n=$((RANDOM % 40 + 1)) when cut
	mkdir -p "$W/j.$it.r"
	if daemon_start_env "$D" LD_PRELOAD="$(shim_preload "$SHIM")" POWERLOSS_JOURNAL="$W/j.$it.r" \
		POWERLOSS_DIR="$D" POWERLOSS_KILL_AT="$n" 2>"$W/start.err"; then
		daemon_kill9 "$D"
		when="right after it was ready (its start journaled fewer than $n records)"
	elif [[ $DAEMON_EXIT == 137 ]]; then
		when="during start-up, at journal record $n"
		recovery_kills=$((recovery_kills + 1))
	else
		tap_fail "iteration $it: certsrvd under the shim dies only by the planted kill" \
			"exit status ${DAEMON_EXIT:-?}" "$(cat "$W/start.err")"
		return 1
	fi
	if ! cut=$("$B/tests/powercut" --journal "$W/j.$it.r/journal" --data-dir "$D" \
		--seed "$((SEED * 1000 + 500 + it))" 2>&1); then
		tap_fail "iteration $it: powercut during recovery" "$cut"
		return 1
	fi
	tap_ok "iteration $it: second power cut $when ($cut)"
	[[ $when == during* && $cut =~ kept\ ([0-9]+),\ torn\ ([0-9]+),\ dropped\ ([0-9]+) ]] &&
		recovery_unsynced=$((recovery_unsynced + BASH_REMATCH[1] + BASH_REMATCH[2] + BASH_REMATCH[3]))
	rm -rf "$W/j.$it.r"
	return 0
}

total_acked=0
total_unsynced=0
recovery_kills=0
recovery_unsynced=0
for ((it = 1; it <= ITER; it++)); do
	# Every other iteration with circular logging: generations deleted
	# (unlink + directory fsync) while the clients run.
	set_conf circular_logging $((it % 2 == 0 ? 1 : 0))
	sed -i 's/^circular_logging = 1/circular_logging = true/; s/^circular_logging = 0/circular_logging = false/' "$D/certsrv.conf"
	# Every third iteration dies right after a name change in logs/ (the
	# first is the checkpoint's ca.chk rename about a second after start).
	kill_ns=""
	((it % 3 == 0)) && kill_ns=$((RANDOM % 3 + 1))
	if ! start_shimmed "$W/j.$it" "$kill_ns" 2>"$W/start.err"; then
		tap_fail "iteration $it: certsrvd starts under the power-loss shim" "$(cat "$W/start.err")"
		break
	fi
	pids=()
	for ((c = 0; c < CLIENTS; c++)); do
		: >"$W/acked.$it.$c"
		submit_until "$D" "$W/stop.$it" "$W/acked.$it.$c" $((c * 7)) "${CSRS[@]}" &
		pids+=($!)
		bg_track $!
	done
	revoker "$it" &
	pids+=($!)
	bg_track $!
	ms=$((RANDOM % 1501 + 300))
	delay=$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))
	if [[ -n $kill_ns ]]; then
		# Wait (at most 10 s) for the daemon to kill itself.
		if wait_exit "$(daemon_pid "$D")" 10; then
			DAEMON_PID[$D]=""
		else
			daemon_kill9 "$D"
		fi
		delay="namespace operation $kill_ns"
	else
		sleep "$delay"
		delay="${delay}s"
		daemon_kill9 "$D"
	fi
	touch "$W/stop.$it"
	wait "${pids[@]}" 2>/dev/null
	n_acked=$(cat "$W"/acked."$it".* | wc -l)
	total_acked=$((total_acked + n_acked))

	if ! cut=$("$B/tests/powercut" --journal "$W/j.$it/journal" --data-dir "$D" --seed "$((SEED * 1000 + it))" 2>&1); then
		tap_fail "iteration $it: powercut after kill -9 at $delay" "$cut"
		break
	fi
	tap_ok "iteration $it: power cut at $delay, $n_acked acknowledged ($cut)"
	[[ $cut =~ kept\ ([0-9]+),\ torn\ ([0-9]+),\ dropped\ ([0-9]+) ]] &&
		total_unsynced=$((total_unsynced + BASH_REMATCH[1] + BASH_REMATCH[2] + BASH_REMATCH[3]))

	# Every odd iteration, the power fails again during the recovery.
	if ((it % 2 == 1)) && ! recovery_cut "$it"; then
		break
	fi

	if ! daemon_start "$D" 2>"$W/start.err"; then
		tap_fail "iteration $it: certsrvd recovers after the power cut" "$(cat "$W/start.err")" "$(tail -20 "$D/daemon.log")"
		break
	fi
	tap_ok "iteration $it: certsrvd recovers after the power cut"
	tap_diag "$(grep 'store at LSN' "$D/daemon.log" | tail -1)"
	check_store "iteration $it"
	rm -rf "$W/j.$it"
done

if ((total_acked > 0 && total_unsynced > 0)); then
	tap_ok "clients saw $total_acked acknowledged issues; $total_unsynced unsynced writes were cut"
else
	tap_fail "the power cuts hit acknowledged work and unsynced writes" \
		"acknowledged $total_acked, unsynced writes $total_unsynced: the test proved nothing"
fi

if ((ITER < 2 || recovery_kills > 0 && recovery_unsynced > 0)); then
	tap_ok "$recovery_kills recoveries were cut short; $recovery_unsynced of their unsynced writes were cut"
else
	tap_fail "a power cut hit a recovery with unsynced writes" \
		"recoveries cut short $recovery_kills, their unsynced writes $recovery_unsynced: the test proved nothing"
fi

# ---- negative self-test: an illegal cut must be seen by the oracle ----
set_conf checkpoint_interval_sec 3600
neg=neg
if start_shimmed "$W/j.$neg" 2>"$W/start.err"; then
	: >"$W/acked.$neg.0"
	for ((k = 0; k < 3; k++)); do
		out=$(cs "$D" submit "$W/csr/$k.csr" 2>&1)
		parse_request_line "$out"
		[[ $DISPOSITION == issued ]] && printf '%s %s\n' "$SERIAL" "$REQ_ID" >>"$W/acked.$neg.0"
	done
	last=$(tail -1 "$W/acked.$neg.0" | cut -d' ' -f1)
	daemon_kill9 "$D"
	cut=$("$B/tests/powercut" --journal "$W/j.$neg/journal" --data-dir "$D" --seed "$SEED" --drop-all --drop-synced-log 2>&1)
	tap_check "self-test: powercut drops the last synced log record" $? "$cut"
	if daemon_start "$D" 2>"$W/start.err"; then
		cat "$W"/acked.*.* >"$W/acked.all"
		cs "$D" view --json >"$W/view.json" 2>&1
		missing=$(acked_problems "$W/view.json" "$W/acked.all" 2>&1)
		if [[ -n $last && $missing == "serial $last "*" missing" ]]; then
			tap_ok "self-test: the oracle reports the lost acknowledged serial ($missing)"
		else
			tap_fail "self-test: the oracle reports the lost acknowledged serial $last" "oracle said: ${missing:-nothing}"
		fi
		daemon_stop "$D"
	else
		tap_fail "self-test: certsrvd starts after the illegal cut" "$(cat "$W/start.err")"
	fi
else
	tap_fail "self-test: certsrvd starts under the shim" "$(cat "$W/start.err")"
fi

tap_done
