#!/usr/bin/env bash
# 80-restore-recovery.sh — certsrvd carrying out a registered restore
# (DESIGN section 6), with the registration written directly in the format
# of docs/formats.md / src/common/restorereg.h (the CertSrvRestore* calls
# and `certsrv restore` write the same file): refusal while incomplete,
# roll-forward to the last acknowledged certificate after the database is
# lost, restore without roll-forward (a new lineage), and a point-in-time
# restore that never reuses a CRL number or request id seen before.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_binaries

SCEN="$B/backup-scenario"
W="$TEST_TMP/work"
mkdir -p "$W"
for ((i = 0; i < 30; i++)); do gen_csr "$W/$i.csr" "rs$i.example" "rs$i.example"; done

serials() { json_eval "'\n'.join(sorted(r['serial'] for r in d if r['serial']))" <<<"$(cs "$1" view --json)"; }
gens_of() { ls "$1/DataBase/" | sed -n 's/^ca\([0-9A-F]\{8\}\)\.log$/\1/p' | sort; }

# register DIR SET ROLL [UNTIL_LSN] [UNTIL_TIME] — place the set's image and logs and
# write a complete registration, as the restore steps do.
register() {
	local dir=$1 set=$2 roll=$3 until=${4:-0} until_time=${5:-0} low high
	rm -f "$dir/db/ca.db" "$dir/db/ca.db-wal" "$dir/db/ca.db-shm"
	cp "$set/DataBase/ca.db" "$dir/db/ca.db"
	mkdir -p "$dir/restore/logs"
	cp "$set/DataBase/"ca*.log "$dir/restore/logs/"
	low=$(gens_of "$set" | head -1)
	high=$(gens_of "$set" | tail -1)
	cat >"$dir/restore/restore.env" <<ENV
[restore]
format = 1
ended = 1
roll_forward = $roll
until_time = $until_time
until_lsn = $until

[registration 1]
checkpoint = $dir/logs
log_path = $dir/logs
backup_log_path = $dir/restore/logs
map_from = $dir/db/ca.db
map_to = $dir/db/ca.db
gen_low = $((16#$low))
gen_high = $((16#$high))
complete = 1
status = 0
ENV
}

D=$(mk_datadir)
ca_init "$D" >/dev/null 2>&1 || tap_bail "init failed"
daemon_start "$D" || tap_bail "certsrvd did not start"
for ((i = 0; i < 10; i++)); do cs "$D" submit "$W/$i.csr" >/dev/null; done
"$SCEN" "$D" "$W/full" >/dev/null 2>&1 || tap_bail "backup failed"
for ((i = 10; i < 20; i++)); do cs "$D" submit "$W/$i.csr" >/dev/null; done
serials "$D" >"$W/all"
daemon_kill9 "$D"

# ---- an incomplete registration keeps the daemon down
register "$D" "$W/full" 1
sed -i 's/^complete = 1/complete = 0/' "$D/restore/restore.env"
out=$(timeout 20 "$CERTSRVD" --data-dir "$D" 2>&1)
st=$?
[[ $st -ne 0 && $out == *"incomplete"* && $out == *"CertSrvRestoreRegisterComplete"* ]]
tap_check "certsrvd refuses to start while a registration is incomplete, and says what to do" $? "exit $st" "$out"
[[ -f $D/restore/restore.env ]]
tap_check "the incomplete registration is left in place" $?

# ---- database lost, logs kept: restore the last full backup and roll forward
sed -i 's/^complete = 0/complete = 1/' "$D/restore/restore.env"
daemon_start "$D" || tap_bail "certsrvd did not carry out the restore"
grep -q 'restored: image at LSN' "$D/daemon.log"
tap_check "certsrvd carried out the registered restore" $? "$(tail -5 "$D/daemon.log")"
[[ ! -e $D/restore/restore.env && ! -e $D/restore/logs ]]
tap_check "the registration and the staged logs are gone after success" $?
cmp -s <(serials "$D") "$W/all"
tap_check "roll-forward brought back every certificate, including those after the backup ($(wc -l <"$W/all"))" $?
out=$(cs "$D" submit "$W/25.csr" 2>&1)
tap_check "the restored CA issues again" $? "$out"
daemon_stop "$D"
out=$("$B/tests/logcheck" "$D" 2>&1)
tap_check "the log chain stays unbroken after the roll-forward" $? "$out"

# ---- without roll-forward: exactly the backup's content, and a new lineage
E=$(mk_datadir)
ca_init "$E" >/dev/null 2>&1 || tap_bail "init failed"
daemon_start "$E" || tap_bail "certsrvd did not start"
for ((i = 0; i < 5; i++)); do cs "$E" submit "$W/$i.csr" >/dev/null; done
"$SCEN" "$E" "$W/efull" >/dev/null 2>&1 || tap_bail "backup failed"
serials "$E" >"$W/at-backup"
for ((i = 5; i < 10; i++)); do cs "$E" submit "$W/$i.csr" >/dev/null; done
cs "$E" crl publish >/dev/null
cs "$E" crl publish >/dev/null
serials "$E" >"$W/later"
daemon_stop "$E"
register "$E" "$W/efull" 0
daemon_start "$E" || tap_bail "certsrvd did not restore without roll-forward"
cmp -s <(serials "$E") "$W/at-backup"
tap_check "without roll-forward the CA is exactly as the backup holds it" $?
grep -q 'new lineage' "$E/daemon.log"
tap_check "a restore that stops early starts a new lineage" $?
out=$(cs "$E" crl publish 2>&1)
[[ $out == *"number 3 "* ]]
tap_check "the next CRL number continues after the ones published in the lost history (3)" $? "$out"
out=$(cs "$E" submit "$W/20.csr" 2>&1)
parse_request_line "$out"
((REQ_ID > 10))
tap_check "the next request id is past every id of the lost history ($REQ_ID)" $? "$out"
! grep -qx "$SERIAL" "$W/later"
tap_check "its serial is new" $?
out=$("$SCEN" --incremental "$E" "$W/e-incr" 2>&1)
[[ $out == *"0xC8000230"* ]]
tap_check "after the fork an incremental is refused (0xC8000230): the next generation belongs to the old history" $? "$out"
out=$("$SCEN" "$E" "$W/e-full2" 2>&1)
tap_check "a new full backup starts the new history's baseline" $? "$out"
daemon_kill9 "$E"
daemon_start "$E" || tap_bail "certsrvd did not restart on the new lineage"
out=$(cs "$E" getcert "$SERIAL" 2>&1)
tap_check "after a crash the new lineage recovers its own records" $? "$out"
daemon_stop "$E"

# ---- point in time: between two revocations
P=$(mk_datadir)
ca_init "$P" >/dev/null 2>&1 || tap_bail "init failed"
daemon_start "$P" || tap_bail "certsrvd did not start"
for ((i = 0; i < 4; i++)); do cs "$P" submit "$W/$i.csr" >/dev/null; done
"$SCEN" "$P" "$W/pfull" >/dev/null 2>&1 || tap_bail "backup failed"
mapfile -t S < <(serials "$P")
cs "$P" revoke "${S[0]}" --reason keyCompromise >/dev/null
sleep 1.2
target=$(date +%s)
sleep 1.2
cs "$P" revoke "${S[1]}" --reason superseded >/dev/null
cs "$P" crl publish >/dev/null
daemon_stop "$P"
register "$P" "$W/pfull" 1 0 "$target"
daemon_start "$P" || tap_bail "certsrvd did not carry out the point-in-time restore"
grep -q 'stopped at the point-in-time target' "$P/daemon.log"
tap_check "the replay stopped at the point-in-time target" $? "$(tail -3 "$P/daemon.log")"
out=$(cs "$P" crl publish 2>&1)
tap_check "a CRL can be published after the point-in-time restore" $? "$out"
openssl crl -inform DER -in "$P/certenroll/ca.crl" -noout -text >"$W/pcrl.txt" 2>&1
n0=$(grep -c "Serial Number: 0*${S[0]}" "$W/pcrl.txt")
n1=$(grep -c "Serial Number: 0*${S[1]}" "$W/pcrl.txt")
[[ $n0 == 1 && $n1 == 0 ]]
tap_check "the CRL shows exactly the revocation before the target" $? "$(grep 'Serial Number' "$W/pcrl.txt")"
grep -q 'X509v3 CRL Number:' -A1 "$W/pcrl.txt" && num=$(grep -A1 'X509v3 CRL Number:' "$W/pcrl.txt" | tail -1 | tr -d ' ')
[[ $num == 2 ]]
tap_check "its CRL number (2) is past the one published in the lost history (1)" $? "number $num"
daemon_stop "$P"
tap_done
