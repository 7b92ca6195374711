#!/usr/bin/env bash
# 75-backup-api.sh — the backup API's contract against a real certsrvd,
# through libcertadm (tests/helpers/backup_api.c): call order and its error
# codes, path tricks, list formats, W vs UTF-8, and the sessions that must
# fail: logs-only without a full backup, with circular logging, without the
# backup role, with the server offline; a client killed mid-read; a session
# aborted because the paused WAL outgrew backup_max_wal_mb.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_binaries

API="$B/tests/backup_api"
[[ -x $API ]] || tap_bail "$API missing (make builds it)"
W="$TEST_TMP/work"
mkdir -p "$W"
chmod 0755 "$W"
for ((i = 0; i < 40; i++)); do gen_csr "$W/$i.csr" "api$i.example" "api$i.example"; done

# relay PROGRAM-TAP: re-number a sub-program's TAP lines as ours
relay() {
	local line
	while IFS= read -r line; do
		case $line in
		"ok "*) tap_ok "${line#ok * - }" ;;
		"not ok "*) tap_fail "${line#not ok * - }" ;;
		esac
	done
}

D=$(mk_datadir)
ca_init "$D" >/dev/null 2>&1 || tap_bail "init failed"

# ---- offline first: no daemon yet
out=$("$API" prepare "$D" full 2>&1)
[[ $out == "hr 0x800706BA"* ]]
tap_check "Prepare with the server offline fails with 0x800706BA" $? "$out"

daemon_start "$D" || tap_bail "certsrvd did not start"
for ((i = 0; i < 5; i++)); do cs "$D" submit "$W/$i.csr" >/dev/null; done

out=$("$API" prepare "$D" incr 2>&1)
[[ $out == "hr 0xC8000230"* ]]
tap_check "a logs-only backup without a prior full fails with 0xC8000230" $? "$out"

relay < <("$API" order "$D")
relay < <("$API" flavours "$D")

# ---- a client killed in the middle of a read
full_before=$(json_eval "d['backup']['last_full']" <<<"$(cs "$D" status --json)")
"$API" hang "$D" >"$W/hang.out" 2>&1 &
hang_pid=$!
bg_track "$hang_pid"
for ((k = 0; k < 100; k++)); do grep -q reading "$W/hang.out" && break; sleep 0.1; done
kill -KILL "$hang_pid"
wait "$hang_pid" 2>/dev/null
for ((k = 0; k < 50; k++)); do
	[[ $(json_eval "d['backup']['in_progress']" <<<"$(cs "$D" status --json)") == false ]] && break
	sleep 0.1
done
tap_is "$(json_eval "d['backup']['in_progress']" <<<"$(cs "$D" status --json)")" false \
	"a client killed mid-read ends its session"
tap_is "$(json_eval "d['backup']['last_full']" <<<"$(cs "$D" status --json)")" "$full_before" \
	"the killed session left no trace in the backup history"
out=$(cs "$D" submit "$W/9.csr" 2>&1)
tap_check "the CA issues after the killed backup" $? "$out"
out=$("$B/backup-scenario" "$D" "$W/after-kill" 2>&1)
tap_check "the next backup works after the killed one" $? "$out"
daemon_stop "$D"

# ---- circular logging: no incremental backups
C=$(mk_datadir)
ca_init "$C" >/dev/null 2>&1 || tap_bail "init failed"
sed -i 's/^circular_logging = .*/circular_logging = true/' "$C/certsrv.conf"
daemon_start "$C" || tap_bail "certsrvd did not start with circular logging"
out=$("$B/backup-scenario" "$C" "$W/circ-full" 2>&1)
tap_check "a full backup works with circular logging" $? "$out"
out=$("$API" prepare "$C" incr 2>&1)
[[ $out == "hr 0xC8000209"* ]]
tap_check "a logs-only backup with circular logging fails with 0xC8000209" $? "$out"
daemon_stop "$C"

# ---- the WAL limit aborts a stalled full backup, and checkpoints resume
L=$(mk_datadir)
ca_init "$L" >/dev/null 2>&1 || tap_bail "init failed"
sed -i 's/^backup_max_wal_mb = .*/backup_max_wal_mb = 1/' "$L/certsrv.conf"
sed -i 's/^checkpoint_interval_sec = .*/checkpoint_interval_sec = 1/' "$L/certsrv.conf"
daemon_start "$L" || tap_bail "certsrvd did not start"
"$API" stall "$L" "$W/go" >"$W/stall.out" 2>&1 &
stall_pid=$!
bg_track "$stall_pid"
for ((k = 0; k < 100; k++)); do grep -q reading "$W/stall.out" && break; sleep 0.1; done
ck0=$(json_eval "d['log']['checkpoint_lsn']" <<<"$(cs "$L" status --json)")
seq 0 299 | xargs -P 4 -I{} sh -c '"$0" --data-dir "$1" submit "$2/$(({} % 40)).csr" >/dev/null 2>&1' "$CERTSRV" "$L" "$W"
sleep 2
ck1=$(json_eval "d['log']['checkpoint_lsn']" <<<"$(cs "$L" status --json)")
((ck1 > ck0))
tap_check "past backup_max_wal_mb checkpoints resume ($ck0 -> $ck1)" $?
touch "$W/go"
wait "$stall_pid" 2>/dev/null
out=$(cat "$W/stall.out")
[[ $out == *"read hr 0x"* && $out != *"read hr 0x00000000"* ]]
tap_check "the stalled backup's next read fails: it was aborted" $? "$out"
out=$("$B/backup-scenario" "$L" "$W/after-abort" 2>&1)
tap_check "a new backup works after the aborted one" $? "$out"
daemon_stop "$L"

# ---- a damaged log generation fails the backup instead of producing a set
# that cannot restore
G=$(mk_datadir)
ca_init "$G" >/dev/null 2>&1 || tap_bail "init failed"
sed -i 's/^log_file_size_kb = .*/log_file_size_kb = 64/' "$G/certsrv.conf"
daemon_start "$G" || tap_bail "certsrvd did not start"
"$B/backup-scenario" "$G" "$W/g-full" >/dev/null 2>&1 || tap_bail "the first full backup failed"
first=$(ls "$G/logs/" | grep -c '\.log$')
seq 0 119 | xargs -P 4 -I{} sh -c '"$0" --data-dir "$1" submit "$2/$(({} % 40)).csr" >/dev/null 2>&1' "$CERTSRV" "$G" "$W"
gens=$(ls "$G/logs/" | grep '\.log$' | sort)
(($(wc -l <<<"$gens") >= first + 1)) || tap_bail "the log did not roll: $gens (first $first)"
# flip one byte inside the first record of a closed generation the next
# incremental must hold
victim=$(sed -n "$((first + 0))p" <<<"$gens")
printf '\x5a' | dd of="$G/logs/$victim" bs=1 seek=100 conv=notrunc status=none
out=$("$B/backup-scenario" --incremental "$G" "$W/damaged" 2>&1)
st=$?
[[ $st -ne 0 && $out == *"CertSrvBackupGetBackupLogs failed"* ]]
tap_check "GetBackupLogs refuses a damaged log generation ($victim)" $? "$out"
tap_is "$(json_eval "d['backup']['last_incremental']" <<<"$(cs "$G" status --json)")" null \
	"the failed backup is not recorded"
daemon_stop "$G"

# ---- no backup role
R=$(mk_datadir)
ca_init "$R" >/dev/null 2>&1 || tap_bail "init failed"
printf '\n[access]\nsocket_group = nogroup\nenroll = nogroup\n' >>"$R/certsrv.conf"
daemon_start "$R" || tap_bail "certsrvd did not start"
if setpriv --reuid=nobody --regid=nogroup --clear-groups test -x "$R/run" 2>/dev/null; then
	out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$API" prepare "$R" full 2>&1)
	[[ $out == "hr 0x80070005"* ]]
	tap_check "a user without the backup role gets E_ACCESSDENIED" $? "$out"
else
	tap_skip "backup role" "nobody cannot reach $R/run"
fi
daemon_stop "$R"
tap_done
