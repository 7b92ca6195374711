#!/usr/bin/env bash
# 85-restore-cli.sh — `certsrv restore`, `certsrv verify-backup` and
# `certsrv init --from-backup` against a real certsrvd:
#  - round trip: a full backup and two incrementals taken under a light load,
#    the database destroyed, `restore FULL INCR1 INCR2 --no-roll-forward`:
#    every certificate acknowledged before the last incremental started is
#    back, and the logical dump (requests, certificates, crls) equals the
#    original's and that of a second road (a later full backup restored into
#    a new data directory made by `init --from-backup --key`);
#  - a brand-new data directory on another path, made by restore itself: the
#    CA issues certificates that verify against the original CA certificate;
#  - roll-forward: only the database lost, `restore FULL` with the live logs
#    kept brings back the last acknowledged certificate;
#  - refusals (daemon running, existing database without --force, bad
#    options), --stop, the point-in-time options in the registration;
#  - verify-backup exits 0 on good sets, with and without a manifest.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_binaries certsrv certsrvd libcertadm.so.1 backup-scenario

W="$TEST_TMP/work"
mkdir -p "$W"
for ((i = 0; i < 12; i++)); do gen_csr "$W/$i.csr" "rc$i.example" "rc$i.example"; done

serials() { json_eval "'\n'.join(sorted(r['serial'] for r in d if r['serial']))" <<<"$(cs "$1" view --json)"; }
# dump DIR — the logical content of the CA's database (stopped daemon), sorted.
dump() {
	local t
	for t in requests certificates crls; do sqlite3 "$1/db/ca.db" ".dump $t"; done | LC_ALL=C sort
}
# missing WANT HAVE — lines of file WANT not in file HAVE
missing() { LC_ALL=C comm -23 <(LC_ALL=C sort -u "$1") <(LC_ALL=C sort -u "$2"); }
mf() { json_eval "$2" <"$1/manifest.json"; }

D=$(mk_datadir)
ca_init "$D" >/dev/null 2>&1 || tap_bail "init failed"
cp "$D/ca/ca.crt" "$W/orig-ca.crt"
daemon_start "$D" || tap_bail "certsrvd did not start"

# ---- a light load while the full backup and the first incremental run
load() {
	local i=0 out
	while [[ ! -e $W/stop-load ]]; do
		if out=$(cs "$D" submit "$W/$((i % 8)).csr" 2>&1); then
			parse_request_line "$out"
			[[ -n $SERIAL ]] && echo "$SERIAL" >>"$W/acked"
		fi
		i=$((i + 1))
		sleep 0.02
	done
}
: >"$W/acked"
load &
LOAD=$!
bg_track "$LOAD"
sleep 0.5
cs "$D" backup "$W/full" >"$W/full.out" 2>&1 || tap_bail "full backup failed: $(cat "$W/full.out")"
sleep 0.5
cs "$D" backup --incremental "$W/incr1" >"$W/incr1.out" 2>&1 || tap_bail "incremental 1 failed: $(cat "$W/incr1.out")"
sleep 0.5
touch "$W/stop-load"
wait "$LOAD"
for ((i = 8; i < 10; i++)); do
	submit "$D" "$W/$i.csr" >/dev/null && echo "$SERIAL" >>"$W/acked"
done
cp "$W/acked" "$W/acked-before-incr2"
cs "$D" backup --incremental "$W/incr2" >"$W/incr2.out" 2>&1 || tap_bail "incremental 2 failed: $(cat "$W/incr2.out")"
cs "$D" backup "$W/full2" >"$W/full2.out" 2>&1 || tap_bail "second full backup failed: $(cat "$W/full2.out")"
n_acked=$(wc -l <"$W/acked-before-incr2")
((n_acked >= 10))
tap_check "the load acknowledged certificates during the backups ($n_acked)" $?

out=$(cs "$D" verify-backup "$W/full" "$W/incr1" "$W/incr2" 2>&1)
st=$?
[[ $st -eq 0 && $out == *"would restore"* && $out == *"trial restore"* && $out == *"certificates"* ]]
tap_check "verify-backup FULL INCR1 INCR2 exits 0 after a trial restore" $? "exit $st" "$out"
out=$(cs "$D" verify-backup "$W/full2" 2>&1)
tap_check "verify-backup FULL2 exits 0" $? "$out"

# ---- refusals while the daemon runs, and for an existing database
out=$(cs "$D" restore "$W/full" "$W/incr1" "$W/incr2" --force 2>&1)
st=$?
[[ $st -eq 1 && $out == *"certsrvd is running; stop it or use --stop"* ]]
tap_check "restore refuses while certsrvd runs" $? "exit $st" "$out"
cs "$D" status >/dev/null 2>&1
tap_check "... and the daemon keeps running" $?
out=$(cs "$D" restore "$W/full" --until yesterday 2>&1)
tap_is "$?" 2 "restore --until with a bad time is a usage error"
out=$(cs "$D" restore "$W/full" --until 2025-01-01T00:00:00Z --until-lsn 5 2>&1)
tap_is "$?" 2 "--until and --until-lsn exclude each other"

daemon_stop "$D"
dump "$D" >"$W/dump-orig"
cp -a "$D/db" "$W/db-before"
out=$(cs "$D" restore "$W/full" "$W/incr1" "$W/incr2" 2>&1)
st=$?
[[ $st -eq 1 && $out == *"this replaces the CA's database"*"--force"* ]]
tap_check "restore over an existing database needs --force" $? "exit $st" "$out"
[[ ! -e $D/restore/restore.env ]] && cmp -s "$D/db/ca.db" "$W/db-before/ca.db"
tap_check "... and changed nothing" $?

# ---- road 1: the database is destroyed; full + 2 incrementals, no roll-forward
rm -f "$D/db/ca.db" "$D/db/ca.db-wal" "$D/db/ca.db-shm"
out=$(cs "$D" restore "$W/full" "$W/incr1" "$W/incr2" --no-roll-forward 2>&1)
st=$?
[[ $st -eq 0 && $out == *"start certsrvd to carry out the restore"* && $out == *"incremental"*"incr2"* ]]
tap_check "restore FULL INCR1 INCR2 --no-roll-forward registers the restore" $? "exit $st" "$out"
grep -q '^roll_forward = 0' "$D/restore/restore.env" && grep -q '^ended = 1' "$D/restore/restore.env" &&
	[[ $(grep -c '^complete = 1' "$D/restore/restore.env") == 3 ]]
tap_check "the registration is complete, ended, with roll-forward off" $? "$(cat "$D/restore/restore.env")"
daemon_start "$D" || tap_bail "certsrvd did not carry out the restore"
serials "$D" >"$W/restored1"
miss=$(missing "$W/acked-before-incr2" "$W/restored1")
[[ -z $miss ]]
tap_check "every certificate acknowledged before the last incremental started is back" $? "missing: $miss"
daemon_stop "$D"
dump "$D" >"$W/dump-road1"
cmp -s "$W/dump-orig" "$W/dump-road1"
tap_check "the restored database's dump equals the original's" $? "$(diff "$W/dump-orig" "$W/dump-road1" | head -5)"

# ---- road 2: the later full backup into a new data directory
N=$(mk_datadir)
out=$(cs "$N" init --from-backup "$W/full2" 2>&1)
st=$?
[[ $st -eq 0 && $out == *"key backup is a separate feature"* && $out == *"ca/ca.key"* && ! -e $N/ca/ca.key ]]
tap_check "init --from-backup without --key says that the key is missing and why" $? "exit $st" "$out"
rm -rf "$N" && mkdir "$N"
out=$(cs "$N" init --from-backup "$W/full2" --key "$W/0.csr.key" 2>&1)
st=$?
[[ $st -eq 1 && $out == *"not the private key of the CA certificate"* && -z $(ls -A "$N") ]]
tap_check "init --from-backup refuses a key that is not the CA's, creating nothing" $? "exit $st" "$out"
out=$(cs "$N" init --from-backup "$W/full2" --key "$D/ca/ca.key" 2>&1)
st=$?
[[ $st -eq 0 && -f $N/certsrv.conf && -f $N/certenroll/ca.crt && ! -e $N/db/ca.db ]] &&
	cmp -s "$N/ca/ca.crt" "$W/orig-ca.crt" && [[ $(file_mode "$N/ca/ca.key") == 600 ]]
tap_check "init --from-backup --key recreates config, CA certificate and key, without a database" $? "exit $st" "$out"
out=$(cs "$N" restore "$W/full2" --no-roll-forward 2>&1)
tap_check "restore FULL2 into it" $? "$out"
daemon_start "$N" || tap_bail "certsrvd did not restore FULL2"
daemon_stop "$N"
dump "$N" >"$W/dump-road2"
cmp -s "$W/dump-road1" "$W/dump-road2"
tap_check "two roads (full + incrementals, later full) give identical dumps" $? "$(diff "$W/dump-road1" "$W/dump-road2" | head -5)"

# ---- a brand-new data directory on another path, made by restore itself
M="$TEST_TMP/elsewhere/new machine/ca"
out=$(cs "$M" restore "$W/full" "$W/incr1" "$W/incr2" 2>&1)
st=$?
[[ $st -eq 0 && -d $M/logs && -d $M/run && -f $M/certsrv.conf && $out == *"ca/ca.key is missing"* && $out == *"cannot start"* ]]
tap_check "restore into a new path creates the data directory and says the key is missing" $? "exit $st" "$out"
install -m 600 "$D/ca/ca.key" "$M/ca/ca.key"
daemon_start "$M" || tap_bail "certsrvd did not restore into the new path"
serials "$M" >"$W/restored-m"
[[ -z $(missing "$W/acked-before-incr2" "$W/restored-m") ]]
tap_check "... every acknowledged certificate is there" $?
submit "$M" "$W/10.csr" -o "$W/m-cert.pem" >/dev/null
out=$(openssl verify -CAfile "$W/orig-ca.crt" "$W/m-cert.pem" 2>&1)
tap_check "... and the CA issues certificates that verify against the original CA certificate" $? "$SUBMIT_OUT" "$out"
daemon_stop "$M"

# ---- roll-forward: only the database is lost, the live logs are kept
daemon_start "$D" || tap_bail "certsrvd did not restart"
for ((i = 0; i < 3; i++)); do submit "$D" "$W/$i.csr" >/dev/null; done
cs "$D" backup "$W/full3" >/dev/null 2>&1 || tap_bail "third full backup failed"
for ((i = 3; i < 6; i++)); do submit "$D" "$W/$i.csr" >/dev/null; done
LAST=$SERIAL
serials "$D" >"$W/before-loss"
daemon_kill9 "$D"
rm -f "$D/db/ca.db" "$D/db/ca.db-wal" "$D/db/ca.db-shm"
out=$(cs "$D" restore "$W/full3" 2>&1)
tap_check "restore FULL3 after the database alone was lost (no --force needed)" $? "$out"
daemon_start "$D" || tap_bail "certsrvd did not roll forward"
out=$(cs "$D" getcert "$LAST" 2>&1)
tap_check "roll-forward brought back the last acknowledged certificate ($LAST)" $? "$out"
cmp -s <(serials "$D") "$W/before-loss"
tap_check "... and every other one" $?

# ---- --stop: a running daemon is stopped through CertSrvServerControl
pid=$(daemon_pid "$D")
out=$(cs "$D" restore "$W/full3" --force --stop 2>&1)
st=$?
wait_exit "$pid" 10 && DAEMON_PID[$D]=""
[[ $st -eq 0 && -z ${DAEMON_PID[$D]} && $out == *"stopped certsrvd"* ]]
tap_check "restore --stop stops the running daemon, then registers the restore" $? "exit $st" "$out"
daemon_start "$D" || tap_bail "certsrvd did not carry out the restore after --stop"
out=$(cs "$D" getcert "$LAST" 2>&1)
tap_check "... which rolls forward to the last acknowledged certificate again" $? "$out"

# ---- point-in-time options are written into the registration
cs "$D" backup "$W/full4" >/dev/null 2>&1 || tap_bail "fourth full backup failed"
submit "$D" "$W/7.csr" >/dev/null
daemon_stop "$D"
lsn=$(mf "$W/full4" 'd["lsn_high"]')
out=$(cs "$D" restore "$W/full4" --force --until-lsn "$lsn" 2>&1)
st=$?
grep -q "^until_lsn = $lsn\$" "$D/restore/restore.env" && grep -q '^roll_forward = 1' "$D/restore/restore.env"
tap_check "--until-lsn is in the registration (inclusive, documented)" $? "exit $st" "$out" "$(cat "$D/restore/restore.env" 2>&1)"
daemon_start "$D" || tap_bail "certsrvd did not carry out the point-in-time restore"
got=$(cs "$D" status --json | json_eval 'd["log"]["applied_lsn"]')
tap_is "$got" "$lsn" "the restored CA stands at the target LSN"

# ---- a set written by other software through the W API (no manifest, UTF-16 map)
"$B/backup-scenario" "$D" "$W/scen" >/dev/null 2>&1 || tap_bail "backup-scenario failed"
out=$(cs "$D" verify-backup "$W/scen" 2>&1)
st=$?
[[ $st -eq 0 && $out == *"no manifest: checked from the files themselves"* && $out == *"UTF-16"* ]]
tap_check "verify-backup exits 0 on a backup-scenario set and says no manifest was checked" $? "exit $st" "$out"
submit "$D" "$W/11.csr" >/dev/null
LAST=$SERIAL
pid=$(daemon_pid "$D")
out=$(cs "$D" restore "$W/scen" --force --stop 2>&1)
st=$?
wait_exit "$pid" 10 && DAEMON_PID[$D]=""
[[ $st -eq 0 && $out == *"no manifest"* ]]
tap_check "restore of that set (UTF-16 restore map, no manifest) registers" $? "exit $st" "$out"
daemon_start "$D" || tap_bail "certsrvd did not restore the backup-scenario set"
out=$(cs "$D" getcert "$LAST" 2>&1)
tap_check "... and rolls forward to the last acknowledged certificate" $? "$out"
daemon_stop "$D"
tap_done
