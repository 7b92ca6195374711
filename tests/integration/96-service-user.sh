#!/usr/bin/env bash
# 96-service-user.sh — certsrvd running as a service user, not root (the
# way a packaged CA runs): "nobody" owns the data directory, initialises the
# CA and runs the daemon.
#   1. The daemon's own user may do everything, root too; another user with
#      access to the socket but no role is refused by name, one without
#      access cannot connect; the socket belongs to the service user.
#   2. Root backs the CA up and restores it into the service user's data
#      directory with `certsrv restore`: everything the restore placed there
#      (restore/, restore.env, the staged logs, the database image, the
#      dynamic files and directories) belongs to the service user, and the
#      daemon, started as that user again, carries the restore out with
#      every acknowledged certificate back.
#   3. A registration the service user cannot read stops the daemon with the
#      reason (Permission denied), not a generic I/O error.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_binaries certsrv certsrvd
require_nobody "certsrvd as a service user"

SVC=nobody SVC_GROUP=nogroup OTHER=daemon
getent passwd "$OTHER" >/dev/null || tap_bail "user $OTHER missing on this machine"
W=$(mk_workdir 0755 csr)
mk_csrs "$W/csr" svc 6
chmod 0644 "$W"/csr/*

# svc CMD... — run CMD as the service user (no supplementary groups).
svc() { as_peer "$SVC" "$SVC_GROUP" - "$@"; }
# owners DIR REL... — "REL user:group" for each entry that exists.
owners() {
	local dir=$1 rel
	shift
	for rel in "$@"; do
		[[ -e $dir/$rel ]] && printf '%s %s\n' "$rel" "$(stat -c %U:%G "$dir/$rel")"
	done
}

mkdir -p "$TEST_TMP/svc" && chown "$SVC:$SVC_GROUP" "$TEST_TMP/svc"
D="$TEST_TMP/svc/ca"
out=$(svc "$CERTSRV" --data-dir "$D" init --subject "CN=Service User Root $$" 2>&1)
tap_check "the service user initialises a CA in its own directory" $? "$out"
bad=$(find "$D" ! -user "$SVC" -printf '%u %p\n' 2>&1)
tap_is "$bad" "" "everything init made belongs to the service user"

daemon_start_env "$D" setpriv --reuid="$SVC" --regid="$SVC_GROUP" --clear-groups 2>"$W/start.err"
tap_check "certsrvd starts as the service user" $? "$(cat "$W/start.err")"
pid=$(daemon_pid "$D")
tap_is "$(stat -c %U "/proc/$pid" 2>&1)" "$SVC" "the daemon process runs as $SVC"
tap_is "$(stat -c '%U:%G %a' "$D/run/certsrvd.sock" 2>&1)" "$SVC:$SVC_GROUP 660" \
	"the socket belongs to the service user, mode 0660"

# ------------------------------------------------------- who may do what
: >"$W/acked"
# record OUT — remember an issued serial and its request id.
record() {
	parse_request_line "$1"
	[[ $DISPOSITION == issued ]] && printf '%s %s\n' "$SERIAL" "$REQ_ID" >>"$W/acked"
}
out=$(svc "$CERTSRV" --data-dir "$D" submit "$W/csr/0.csr" 2>&1)
tap_check "the daemon's own user submits" $? "$out"
record "$out"
first=$SERIAL
out=$(svc "$CERTSRV" --data-dir "$D" revoke "$first" --reason superseded 2>&1)
tap_check "the daemon's own user revokes" $? "$out"
out=$(svc "$CERTSRV" --data-dir "$D" crl publish 2>&1)
tap_check "the daemon's own user publishes a CRL" $? "$out"
tap_is "$(stat -c %U "$D/certenroll/ca.crl" 2>&1)" "$SVC" "the CRL belongs to the service user"
out=$(cs "$D" submit "$W/csr/1.csr" 2>&1)
tap_check "root submits" $? "$out"
record "$out"
out=$(as_peer "$OTHER" "$OTHER" "$SVC_GROUP" "$CERTSRV" --data-dir "$D" submit "$W/csr/2.csr" 2>&1)
st=$?
[[ $st -ne 0 && $out == *"access denied"*"$OTHER"*"role"* ]]
tap_check "another user on the socket but without a role is refused by name" $? \
	"exit $st" "$out"
out=$(as_peer "$OTHER" "$OTHER" - "$CERTSRV" --data-dir "$D" status 2>&1)
st=$?
[[ $st -ne 0 && $out == *"ermission denied"* ]]
tap_check "a user outside the socket's group cannot connect" $? "exit $st" "$out"

# ----------------------------------------------- backup and restore by root
out=$(cs "$D" backup "$W/full" 2>&1)
tap_check "root backs up the service user's CA" $? "$out"
for k in 3 4; do
	out=$(svc "$CERTSRV" --data-dir "$D" submit "$W/csr/$k.csr" 2>&1)
	tap_check "submit $k after the backup" $? "$out"
	record "$out"
done
daemon_stop "$D"
tap_check "certsrvd (as the service user) stops cleanly" $?

# The restore replaces the database and rewrites a dynamic file, as after
# losing them: the live logs roll the image forward.
rm -f "$D/db/ca.db" "$D/db/ca.db-wal" "$D/db/ca.db-shm" "$D/certenroll/ca.crt"
rmdir "$D/certenroll" 2>/dev/null || mv "$D/certenroll" "$W/certenroll.old"
out=$(cs "$D" restore "$W/full" --force 2>&1)
tap_check "root registers the restore (certsrv restore)" $? "$out"
# (daemon.log is this test's own file, written by root.)
bad=$(find "$D" ! -user "$SVC" ! -name daemon.log -printf '%u %p\n' 2>&1)
tap_is "$bad" "" "everything in the data directory belongs to the service user after the restore"
tap_is "$(owners "$D" restore restore/restore.env restore/logs db/ca.db certenroll certenroll/ca.crt |
	awk '{print $2}' | sort -u)" "$SVC:$SVC_GROUP" "restore/, restore.env, the logs, ca.db, certenroll/ are $SVC:$SVC_GROUP"

daemon_start_env "$D" setpriv --reuid="$SVC" --regid="$SVC_GROUP" --clear-groups 2>"$W/start.err"
tap_check "certsrvd, as the service user, carries the restore out" $? "$(cat "$W/start.err")"
grep -q 'restored: image at LSN' "$D/daemon.log"
tap_check "the daemon log says the restore was carried out" $? "$(tail -5 "$D/daemon.log")"
svc "$CERTSRV" --data-dir "$D" view --json >"$W/view.json" 2>&1
echo "$first" >"$W/revoked"
tap_acked "after the restore" "$W/view.json" "$W/acked" "$W/revoked"
out=$(svc "$CERTSRV" --data-dir "$D" submit "$W/csr/5.csr" 2>&1)
tap_check "the restored CA issues" $? "$out"
daemon_stop "$D"

# ------------------------------------- a registration it cannot read
printf '[restore]\nformat = 1\n' >"$D/restore/restore.env"
chown root:root "$D/restore/restore.env"
chmod 0600 "$D/restore/restore.env"
out=$(as_peer "$SVC" "$SVC_GROUP" - "$CERTSRVD" --data-dir "$D" 2>&1)
st=$?
[[ $st -ne 0 && $out == *"restore.env is unreadable (Permission denied)"* ]]
tap_check "an unreadable registration stops certsrvd with the reason" $? "exit $st" "$out"

tap_done
