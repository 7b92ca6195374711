#!/usr/bin/env bash
# 30-kill-loop.sh — the kill loop (issue 5, item 1; DESIGN sections 4-6).
#
# Each iteration runs a mixed workload against a real certsrvd — three
# clients issuing, one officer revoking (certificateHold too), unrevoking and
# publishing CRLs, one backup client taking full and incremental backups
# (`certsrv backup`, and backup-scenario through the W API) — with
# checkpoints every second and 64 KiB log generations, and kills the daemon
# with SIGKILL at a random moment. After the restart it checks that:
#  - every serial a client saw acknowledged is there, with its request id;
#  - every acknowledged revocation is there with its reason (an unrevoke
#    acknowledged is there too; an operation cut by the kill may or may not
#    be), serials are unique, the CRL number never goes back, the applied
#    LSN never goes back;
#  - the chain of the last complete backup (full + incrementals) still
#    verifies and the live logs continue it (a backup cut by the kill
#    truncated nothing a restore needs), and the next incremental works;
#  - after a clean stop: PRAGMA integrity_check is ok and the log
#    generations and LSNs are contiguous up to the applied LSN (logcheck);
#  - that chain restores (no roll-forward) into a scratch data directory
#    made by `init --from-backup`, to exactly what the CA held when the last
#    backup was taken — with certsrvd SIGKILLed during that restore
#    recovery at a random durability point first (LD_PRELOAD libkillat.so);
#  - it restores with roll-forward through the live logs to exactly what
#    the CA holds now — with certsrvd SIGKILLed at a random moment during
#    that recovery first.
# Then, once, a kill right after an incremental's TruncateLogs deleted a
# generation (before End): the backup must already be in the server's
# history, the next incremental continues after it, the chain through the
# cut set restores everything, and a roll-forward restore of the chain
# without it is refused (a gap) instead of silently stopping short.
# Finally a restore crash-point sweep: a no-roll-forward restore is killed
# at every durability point of its recovery in turn (before the call), and
# each time the next start finishes it to the same certificates, an intact
# log chain and a working CA (KILL_LOOP_LONG=1: also right after each call).
# Durability points and the shim: tests/crash/killat.c; docs/torture.md.
#
# Randomness is seeded: the seed is printed ("# SEED=N"); replay a failure
# with SEED=N (thread timing still varies). ITER (default 2, at most 1000)
# iterations; `make torture ITER=N` runs a long loop.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"
require_binaries certsrv certsrvd backup-scenario tests/logcheck tests/libkillat.so

ITER=$(count_knob "${ITER:-}" 2 1000)
seed_random
KILLAT_PRELOAD=$(shim_preload "$B/tests/libkillat.so")
ISSUERS=3
NCSR=24

D=$(mk_ca) || tap_bail "certsrv init failed"
W=$(mk_workdir 0755 csr sets)
# Checkpoints every second, a new log generation every 64 KiB.
sed -i 's/^checkpoint_interval_sec = .*/checkpoint_interval_sec = 1/;
	s/^log_file_size_kb = .*/log_file_size_kb = 64/' "$D/certsrv.conf"
mk_csrs "$W/csr" kl "$NCSR"
: >"$W/acked"
: >"$W/ops"
: >"$W/crls"
: >"$W/chain"
SETNO=0

# ---------------------------------------------------------------- checker
# (acknowledged serials and unique serials: tap_acked, tap_serials_unique)
cat >"$W/check.py" <<'EOF'
# check.py VIEW OPS CRLS STATUS — prints "CATEGORY<TAB>problem" lines.
import json, sys
view = json.load(open(sys.argv[1]))
have = {r["serial"]: r for r in view if r.get("serial")}
out = []
# Revocations: per serial the states it may be in. An acknowledged
# operation fixes the state; one cut by the kill adds its result.
maybe = {}
for line in open(sys.argv[2]):
    op, serial, reason, res = line.split()
    new = int(reason) if op == "revoke" else None
    cur = maybe.get(serial, {None})
    maybe[serial] = {new} if res == "ok" else cur | {new}
for serial, states in maybe.items():
    got = have[serial]["revoked_reason"] if serial in have else "absent"
    if got not in states:
        out.append("revoked\tserial %s: revoked_reason %s, expected one of %s"
                   % (serial, got, sorted(states, key=str)))
status = json.load(open(sys.argv[4]))
crls = [int(x) for x in open(sys.argv[3]).read().split()]
if crls and (status.get("crl") or {}).get("number", 0) < max(crls):
    out.append("crl\tCRL number %s < acknowledged %d" % (status.get("crl"), max(crls)))
print("\n".join(out))
EOF

# content DIR — "serial request_id revoked_reason" of every certificate, sorted.
content() {
	cs "$1" view --json | json_eval "'\n'.join(sorted('%s %s %s' % (r['serial'], r['request_id'], r['revoked_reason']) for r in d if r['serial']))"
}
# set_gen_high SET — the last log generation a backup set holds (decimal).
set_gen_high() {
	local g
	g=$(find "$1/DataBase/" -maxdepth 1 -printf '%f\n' | sed -n 's/^ca\([0-9A-F]\{8\}\)\.log$/\1/p' | sort | tail -1)
	echo $((16#${g:-0}))
}

# ---------------------------------------------------------------- workload
# officer SEED — revokes (random reason, certificateHold included),
# unrevokes held certificates, publishes CRLs; logs "op serial reason ok|fail".
officer() {
	local -A st=()
	local s r op out res first=1 reasons=(0 1 3 4 5 6 6) re='published CRL number ([0-9]+)'
	RANDOM=$1
	while read -r s r; do st[$s]=$r; done < <(json_eval "'\n'.join('%s %s' % (r['serial'], r['revoked_reason'] if r['revoked_reason'] is not None else '-') for r in d if r['serial'])" <"$W/view.pre.json")
	while [[ ! -e $W/stop ]]; do
		while read -r s _; do [[ -n ${st[$s]:-} ]] || st[$s]=-; done <"$W/acked"
		mapfile -t free < <(for s in "${!st[@]}"; do [[ ${st[$s]} == - ]] && echo "$s"; done)
		mapfile -t held < <(for s in "${!st[@]}"; do [[ ${st[$s]} == 6 ]] && echo "$s"; done)
		op=$((RANDOM % 10))
		((first)) && op=0 # a revocation first: every iteration has one
		first=0
		if ((op < 5 && ${#free[@]} > 0)); then
			s=${free[RANDOM % ${#free[@]}]}
			r=${reasons[RANDOM % ${#reasons[@]}]}
			res=fail
			timeout 10 "$CERTSRV" --data-dir "$D" revoke "$s" --reason "$r" >/dev/null 2>&1 && res=ok
			echo "revoke $s $r $res" >>"$W/ops"
			[[ $res == ok ]] && st[$s]=$r || st[$s]=unknown
		elif ((op < 7 && ${#held[@]} > 0)); then
			s=${held[RANDOM % ${#held[@]}]}
			res=fail
			timeout 10 "$CERTSRV" --data-dir "$D" unrevoke "$s" >/dev/null 2>&1 && res=ok
			echo "unrevoke $s 0 $res" >>"$W/ops"
			[[ $res == ok ]] && st[$s]=- || st[$s]=unknown
		else
			out=$(timeout 10 "$CERTSRV" --data-dir "$D" crl publish 2>&1)
			[[ $out =~ $re ]] && echo "${BASH_REMATCH[1]}" >>"$W/crls"
		fi
		sleep 0.02
	done
}

# chain_add DIR KIND — a full set restarts the chain, an incremental extends it.
chain_add() {
	if [[ $2 == full ]]; then echo "$1" >"$W/chain"; else echo "$1" >>"$W/chain"; fi
}

# backup_one KIND — one backup into a new set directory; a complete one
# extends (incremental) or restarts (full) the chain in $W/chain. A set cut
# after it asked for its logs to be truncated (its DataBase/ is complete and
# the server may have recorded it) is noted in $W/pending: after the restart
# it joins the chain if the server's history holds it.
backup_one() {
	local kind=$1 dir st
	SETNO=$((SETNO + 1))
	dir="$W/sets/$SETNO.$kind"
	case $kind in
	full) cs "$D" backup "$dir" >"$dir.out" 2>&1 ;;
	incr) cs "$D" backup --incremental "$dir" >"$dir.out" 2>&1 ;;
	scen) timeout "$CLI_TIMEOUT" "$B/backup-scenario" --incremental --truncate "$D" "$dir" >"$dir.out" 2>&1 ;;
	esac
	st=$?
	if [[ $st -eq 0 ]]; then
		chain_add "$dir" "$kind"
	elif grep -Eq 'a restore needs it|(TruncateLogs|GetDynamicFileList|BackupEnd) failed' "$dir.out"; then
		echo "$dir $kind" >"$W/pending"
	fi
	return $st
}

# reconcile_pending STATUS_JSON — a cut set the server recorded (same
# generations as its last full or incremental backup) joins the chain.
reconcile_pending() {
	local dir kind low high rec
	[[ -s $W/pending ]] || return 0
	read -r dir kind <"$W/pending"
	rm -f "$W/pending"
	low=$(find "$dir/DataBase/" -maxdepth 1 -printf '%f\n' | sed -n 's/^ca\([0-9A-F]\{8\}\)\.log$/\1/p' | sort | head -1)
	high=$(set_gen_high "$dir")
	rec=$(json_eval "' '.join('%d-%d' % (b['gen_low'], b['gen_high']) for b in (d['backup']['last_full'], d['backup']['last_incremental']) if b)" <"$1")
	if [[ -n $low && " $rec " == *" $((16#$low))-$high "* ]]; then
		chain_add "$dir" "$kind"
		echo "# $dir (cut by the kill after TruncateLogs) was recorded by the server: it joins the chain"
	fi
}

backupper() {
	local kinds=(full incr incr scen)
	RANDOM=$1
	SETNO=$2
	while [[ ! -e $W/stop ]]; do
		backup_one "${kinds[RANDOM % 4]}"
		sleep "0.$((RANDOM % 3 + 1))"
	done
}

# ---------------------------------------------------------------- restores
# crash_start DIR K AFTER — certsrvd on DIR with libkillat: SIGKILL at the
# Kth durability point (AFTER=1: right after it); if it becomes ready
# first, it is SIGKILLed then. Sets CRASH_HOW.
crash_start() {
	local dir=$1 pid i
	KILLAT_N=$2 KILLAT_AFTER=$3 LD_PRELOAD="$KILLAT_PRELOAD" "$CERTSRVD" --data-dir "$dir" </dev/null >>"$dir/daemon.log" 2>&1 &
	pid=$!
	bg_track "$pid"
	CRASH_HOW="killed at durability point $2"
	for ((i = 0; i < 200; i++)); do
		_proc_alive "$pid" || break
		if timeout 5 "$CERTSRV" --data-dir "$dir" status >/dev/null 2>&1; then
			CRASH_HOW="ready before point $2, killed then"
			break
		fi
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

# random_kill_start DIR MS — certsrvd on DIR, SIGKILLed after MS ms.
random_kill_start() {
	local dir=$1 pid
	"$CERTSRVD" --data-dir "$dir" </dev/null >>"$dir/daemon.log" 2>&1 &
	pid=$!
	bg_track "$pid"
	sleep "$(printf '0.%03d' "$2")"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

# scratch_from_chain LOGS_FROM [restore options] — a new data directory
# ($SCRATCH) with the chain of $W/chain (or $CHAIN_FILE) registered for
# restore; the live logs of LOGS_FROM are copied in first unless it is empty.
scratch_from_chain() {
	local from=$1
	shift
	local -a sets
	mapfile -t sets <"${CHAIN_FILE:-$W/chain}"
	SCRATCH=$(mk_datadir)
	# The CA certificate and configuration from the first full set (always
	# complete): a set cut by a kill may lack some of its dynamic files.
	cs "$SCRATCH" init --from-backup "$W/sets/1.full" --key "$D/ca/ca.key" >"$SCRATCH.init" 2>&1 || return 1
	[[ -z $from ]] || cp "$from"/logs/ca*.log "$SCRATCH/logs/"
	cs "$SCRATCH" restore "${sets[@]}" "$@" >"$SCRATCH.restore" 2>&1
}

# ---------------------------------------------------------------- the loop
daemon_start "$D" || tap_bail "certsrvd did not start"
# Acknowledged revocations the checks can always see: one kept, one put on
# hold and released, one on hold.
for ((i = 0; i < 3; i++)); do
	submit "$D" "$W/csr/$i.csr" >/dev/null || tap_bail "submit failed: $SUBMIT_OUT"
	printf '%s %s\n' "$SERIAL" "$REQ_ID" >>"$W/acked"
	s0[i]=$SERIAL
done
# shellcheck disable=SC2015 # any failure in the chain bails out
cs "$D" revoke "${s0[0]}" --reason keyCompromise >/dev/null && echo "revoke ${s0[0]} 1 ok" >>"$W/ops" &&
	cs "$D" revoke "${s0[1]}" --reason certificateHold >/dev/null && echo "revoke ${s0[1]} 6 ok" >>"$W/ops" &&
	cs "$D" unrevoke "${s0[1]}" >/dev/null && echo "unrevoke ${s0[1]} 0 ok" >>"$W/ops" &&
	cs "$D" revoke "${s0[2]}" --reason certificateHold >/dev/null && echo "revoke ${s0[2]} 6 ok" >>"$W/ops" ||
	tap_bail "the first revocations failed"
backup_one full >/dev/null || tap_bail "the first full backup failed: $(cat "$W/sets/$SETNO.full.out")"
for ((it = 1; it <= ITER; it++)); do
	if [[ -z $(daemon_pid "$D") ]] && ! daemon_start "$D" 2>"$W/start.err"; then
		tap_fail "iteration $it: certsrvd starts" "$(cat "$W/start.err")"
		break
	fi
	cs "$D" view --json >"$W/view.pre.json"
	rm -f "$W/stop"
	pids=()
	for ((c = 0; c < ISSUERS; c++)); do
		submit_until "$D" "$W/stop" "$W/acked" $((c * 7)) "${CSRS[@]}" &
		pids+=($!)
	done
	officer $((SEED + it * 10 + 1)) &
	pids+=($!)
	backupper $((SEED + it * 10 + 2)) $((it * 1000)) &
	pids+=($!)
	for p in "${pids[@]}"; do bg_track "$p"; done
	ms=$((RANDOM % 1501 + 300))
	delay=$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))
	sleep "$delay"
	daemon_kill9 "$D" 2>/dev/null
	touch "$W/stop"
	wait "${pids[@]}" 2>/dev/null

	if ! daemon_start "$D" 2>"$W/start.err"; then
		tap_fail "iteration $it: restart after SIGKILL at ${delay}s" "$(cat "$W/start.err")" "$(tail -20 "$D/daemon.log")"
		break
	fi
	tap_ok "iteration $it: restart after SIGKILL at ${delay}s"

	# ---- acknowledged work
	cs "$D" view --json >"$W/view.json"
	cs "$D" status --json >"$W/status.json"
	tap_acked "iteration $it" "$W/view.json" "$W/acked"
	tap_serials_unique "iteration $it" "$W/view.json"
	problems=$(python3 "$W/check.py" "$W/view.json" "$W/ops" "$W/crls" "$W/status.json" 2>&1)
	for cat in revoked crl; do
		bad=$(grep "^$cat	" <<<"$problems")
		case $cat in
		revoked) desc="all $(grep -c ' ok$' "$W/ops") acknowledged (un)revocations hold, with their reasons" ;;
		crl) desc="the CRL number did not go back ($(sort -n "$W/crls" | tail -1) acknowledged)" ;;
		esac
		[[ -z $bad && ! $problems =~ Traceback ]]
		tap_check "iteration $it: $desc" $? "$bad" "$(grep -A5 Traceback <<<"$problems")"
	done
	tap_lsn_forward "iteration $it" "$(cat "$W/status.json")"

	# ---- the last complete backup chain survived the kill
	reconcile_pending "$W/status.json"
	mapfile -t chain <"$W/chain"
	out=$(cs "$D" verify-backup "${chain[@]}" --no-trial 2>&1)
	tap_check "iteration $it: the last complete backup chain (${#chain[@]} sets) verifies" $? "$out"
	high=$(set_gen_high "${chain[-1]}")
	first=$(json_eval "d['log']['first_generation']" <"$W/status.json")
	((first <= high + 1))
	tap_check "iteration $it: the live logs continue it (first live generation $first, chain ends at $high)" $? \
		"live logs: $(find "$D/logs" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort | tr '\n' ' ')" \
		"sets: $(find "$W/sets" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort | tr '\n' ' ')"

	# ---- the next backup works (no load: it holds exactly the current content)
	content "$D" >"$W/at-backup"
	SETNO=$((it * 1000 + 998))
	backup_one incr >/dev/null
	tap_check "iteration $it: the next incremental backup after the kill works" $? "$(tail -3 "$W/sets/$SETNO.incr.out")"
	out=$(cs "$D" submit "$W/csr/1.csr" 2>&1)
	parse_request_line "$out"
	[[ $DISPOSITION == issued ]] && printf '%s %s\n' "$SERIAL" "$REQ_ID" >>"$W/acked"
	tap_is "$DISPOSITION" issued "iteration $it: submit works after recovery"
	content "$D" >"$W/now"

	# ---- clean stop, integrity, log chain
	tap_clean_stop "$D" "iteration $it"
	tap_integrity "$D" "iteration $it"
	tap_log_chain "$D" "iteration $it"

	# ---- the chain restores (no roll-forward), killed once mid-recovery
	if scratch_from_chain "" --no-roll-forward; then
		S=$SCRATCH
		k=$((RANDOM % 16 + 1))
		crash_start "$S" "$k" 0 2>/dev/null
		if daemon_start "$S" 2>"$W/start.err"; then
			[[ ! -e $S/restore/restore.env ]] && cmp -s <(content "$S") "$W/at-backup"
			tap_check "iteration $it: the chain restores to the content at the last backup ($CRASH_HOW first)" $? \
				"$(diff <(content "$S") "$W/at-backup" | head -5)"
			daemon_stop "$S"
		else
			tap_fail "iteration $it: the chain restores after a kill during recovery ($CRASH_HOW)" "$(cat "$W/start.err")"
		fi
	else
		tap_fail "iteration $it: the chain is registered for restore" "$(cat "$SCRATCH.init" "$SCRATCH.restore")"
	fi

	# ---- roll-forward restore with the live logs, killed at a random moment
	if scratch_from_chain "$D"; then
		S=$SCRATCH
		ms=$((RANDOM % 120))
		random_kill_start "$S" "$ms" 2>/dev/null
		if daemon_start "$S" 2>"$W/start.err"; then
			[[ ! -e $S/restore/restore.env ]] && cmp -s <(content "$S") "$W/now"
			tap_check "iteration $it: roll-forward restore gives the CA's current content (SIGKILL ${ms} ms into recovery first)" $? \
				"$(diff <(content "$S") "$W/now" | head -5)"
			daemon_stop "$S"
		else
			tap_fail "iteration $it: roll-forward restore after a SIGKILL ${ms} ms into recovery" "$(cat "$W/start.err")"
		fi
	else
		tap_fail "iteration $it: the chain is registered for roll-forward restore" "$(cat "$SCRATCH.init" "$SCRATCH.restore")"
	fi
done

# ---------------------------------------------------------------- truncation
# A kill right after TruncateLogs deleted the first generation, before End:
# the server must have recorded the backup first, so the next incremental
# continues after it and the chain (with the cut set) restores.
KILLAT_MATCH='unlink *logs/ca*.log' KILLAT_N=1 KILLAT_AFTER=1 LD_PRELOAD="$KILLAT_PRELOAD" daemon_start "$D" 2>"$W/start.err" ||
	tap_bail "certsrvd did not start: $(cat "$W/start.err")"
pid=$(daemon_pid "$D")
for ((i = 3; i < 6; i++)); do
	out=$(cs "$D" submit "$W/csr/$i.csr" 2>&1) && parse_request_line "$out" && printf '%s %s\n' "$SERIAL" "$REQ_ID" >>"$W/acked"
done
content "$D" >"$W/at-cut"
cp "$W/chain" "$W/chain.before-cut"
SETNO=990000
backup_one incr >/dev/null
cut="$W/sets/$SETNO.incr"
wait_exit "$pid" 10 2>/dev/null && DAEMON_PID[$D]=""
[[ -z ${DAEMON_PID[$D]} && $DAEMON_EXIT == 137 && -s $W/pending ]] && grep -q 'a restore needs it' "$cut.out"
tap_check "a kill right after TruncateLogs deleted a generation cuts the backup; the CLI says the set is needed" $? \
	"daemon: ${DAEMON_EXIT:-running}" "$(cat "$cut.out")"
daemon_start "$D" 2>"$W/start.err" || tap_bail "certsrvd did not restart: $(cat "$W/start.err")"
cs "$D" status --json >"$W/status.json"
reconcile_pending "$W/status.json"
[[ $(tail -1 "$W/chain") == "$cut" ]]
tap_check "the server recorded the cut backup before deleting its generations" $? "$(json_eval "d['backup']" <"$W/status.json")"
SETNO=990001
backup_one incr >/dev/null
tap_check "the next incremental continues after the cut one" $? "$(tail -3 "$W/sets/$SETNO.incr.out")"
content "$D" >"$W/at-backup"
daemon_stop "$D"
# Without the cut set, rolling forward through the live logs would skip its
# generations: recovery must refuse, not stop silently before them.
if CHAIN_FILE="$W/chain.before-cut" scratch_from_chain "$D"; then
	out=$(timeout 30 "$CERTSRVD" --data-dir "$SCRATCH" 2>&1)
	st=$?
	[[ $st -ne 0 && $out == *"is in neither the backup sets"* && -e $SCRATCH/restore/restore.env ]]
	tap_check "a roll-forward restore of the chain without the cut set is refused (gap), not silently short" $? "exit $st" "$out"
else
	tap_fail "the chain without the cut set is registered" "$(cat "$SCRATCH.init" "$SCRATCH.restore")"
fi
if scratch_from_chain "" --no-roll-forward && daemon_start "$SCRATCH" 2>"$W/start.err"; then
	cmp -s <(content "$SCRATCH") "$W/at-backup"
	tap_check "the chain through the cut set restores every certificate" $? "$(diff <(content "$SCRATCH") "$W/at-backup" | head -5)"
	daemon_stop "$SCRATCH"
else
	tap_fail "the chain through the cut set restores" "$(cat "$SCRATCH.restore" "$W/start.err" 2>/dev/null | tail -5)"
fi

total=$(wc -l <"$W/acked")
((total > ITER * 3 && $(grep -c ' ok$' "$W/ops") > 0))
tap_check "the workload acknowledged work to check ($total serials, $(grep -c ' ok$' "$W/ops") revocations, $(find "$W/sets" -mindepth 1 -maxdepth 1 -type d | wc -l) backup sets)" $?

# ---------------------------------------------------------------- sweep
# Every durability point of a no-roll-forward restore recovery, in turn.
if scratch_from_chain "" --no-roll-forward; then
	P=$SCRATCH
	cp -a "$P" "$W/pristine"
	KILLAT_TRACE="$W/trace" LD_PRELOAD="$KILLAT_PRELOAD" daemon_start "$P" 2>"$W/start.err"
	content_ok=$(content "$P")
	daemon_stop "$P"
	ready_at=$(grep ' remove .*/restore/logs$' "$W/trace" 2>/dev/null | head -1 | cut -d' ' -f1)
	[[ -n $content_ok && $ready_at =~ ^[0-9]+$ ]]
	tap_check "the sweep found the restore's durability points ($ready_at up to the staged logs' removal)" $? "$(head -30 "$W/trace")"
	modes=(0)
	[[ ${KILL_LOOP_LONG:-0} == 1 ]] && modes=(0 1)
	fails=()
	for a in "${modes[@]}"; do
		for ((k = 1; k <= ${ready_at:-0}; k++)); do
			rm -rf "$P"
			cp -a "$W/pristine" "$P"
			crash_start "$P" "$k" "$a" 2>/dev/null
			if ! daemon_start "$P" 2>"$W/start.err"; then
				fails+=("point $k ($(sed -n "${k}p" "$W/trace")), after=$a: restart failed: $(tail -1 "$P/daemon.log")")
				continue
			fi
			got=$(content "$P")
			out=$(cs "$P" submit "$W/csr/2.csr" 2>&1)
			daemon_stop "$P"
			if [[ $got != "$content_ok" || -e $P/restore/restore.env || $out != *issued* ]]; then
				fails+=("point $k ($(sed -n "${k}p" "$W/trace")), after=$a: content or state differs; submit: $out")
			elif ! out=$("$B/tests/logcheck" "$P" 2>&1); then
				fails+=("point $k ($(sed -n "${k}p" "$W/trace")), after=$a: logcheck: $out")
			fi
		done
	done
	[[ ${#fails[@]} -eq 0 ]]
	tap_check "a restore killed at any of its ${ready_at:-0} durability points finishes at the next start, to the same content, and issues" $? "${fails[@]}"
else
	tap_fail "the sweep's restore is registered" "$(cat "$SCRATCH.init" "$SCRATCH.restore")"
fi

tap_done
