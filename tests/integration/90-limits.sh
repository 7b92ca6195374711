#!/usr/bin/env bash
# 90-limits.sh — connection caps and receive deadlines (docs/config.md
# [limits]): a flood of connections from one uid and slow clients cannot
# starve another peer's issuance.
#
# With max_connections = 40, max_connections_per_uid = 16 and lowered
# receive deadlines (first message 2 s, message 3 s):
#  - root opens 500 connections that each send PING and stay: 16 get a slot,
#    484 are refused with a CS_E_BUSY error naming the per-uid cap, and the
#    root CLI gets the same sentence;
#  - meanwhile "nobody" (setpriv) submits CSRs: every one is issued;
#  - a silent client, one that sends half a header, and one that announces
#    a 1 MiB payload and trickles it byte by byte are cut off with an error
#    reply naming the deadline; an idle client that behaves is not;
#  - two more uids fill the total cap: the last refusals name max_connections;
#  - once everything is released the daemon's descriptor count is back to
#    its baseline.
# Timing decides nothing: every wait is a generous upper bound.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_binaries certsrv certsrvd tests/flood

require_nobody "connection limits"
# Peers of more uids, in the socket's group (each bounds its own waits).
as_uid() { PEER_TIMEOUT=300 as_peer "$1" nogroup - "${@:2}"; }

FLOOD="$B/tests/flood"
W=$(mk_workdir 0777)
D=$(mk_ca) || tap_bail "init failed"
cat >>"$D/certsrv.conf" <<'CONF'

[access]
socket_group = nogroup
enroll = nogroup

[limits]
max_connections = 40
max_connections_per_uid = 16
first_message_timeout_sec = 2
message_timeout_sec = 3
CONF
require_nobody "connection limits" "$D"
daemon_start "$D" || tap_bail "certsrvd did not start"
PID=$(daemon_pid "$D")
SOCK="$D/run/certsrvd.sock"
fd_count() { find "/proc/$PID/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
BASE_FDS=$(fd_count)

mk_csrs "$W" limits 8 1
chmod 0644 "$W"/*.csr

# --- 1. a flood from root holds its 16 slots, the rest is refused
"$FLOOD" "$SOCK" hold 500 "$W/stop" 120 >"$W/flood.root" 2>&1 &
bg_track $!
wait_line "$W/flood.root" '^holding' 60
out=$(cat "$W/flood.root")
tap_is "$(head -1 "$W/flood.root")" "accepted 16 refused 484 failed 0" \
	"a flood of 500 connections from one uid: 16 get a slot, 484 are refused"
[[ $out == *"refusal: -20016 too many connections from uid 0 (max_connections_per_uid = 16)"* ]]
tap_check "refused flood connections get CS_E_BUSY naming the per-uid cap" $? "$out"
out=$(cs "$D" status 2>&1)
st=$?
[[ $st -ne 0 && $out == *"too many connections from uid 0"* ]]
tap_check "the flooding uid's CLI is refused with the same sentence" $? "exit $st" "$out"

# --- 2. slow clients (uid 2001), while the flood holds root's slots
as_uid 2001 "$FLOOD" "$SOCK" silent 60 >"$W/slow.silent" 2>&1 &
bg_track $!
as_uid 2001 "$FLOOD" "$SOCK" half-header 60 >"$W/slow.half" 2>&1 &
bg_track $!
as_uid 2001 "$FLOOD" "$SOCK" trickle 60 >"$W/slow.trickle" 2>&1 &
bg_track $!
as_uid 2001 "$FLOOD" "$SOCK" idle-ping 6 >"$W/slow.idle" 2>&1 &
bg_track $!

# --- 3. issuance by another uid goes on
ok=0
for i in 1 2 3 4 5 6 7 8; do
	out=$(as_peer nobody nogroup - "$CERTSRV" --data-dir "$D" submit "$W/$i.csr" 2>&1)
	parse_request_line "$out"
	if [[ $DISPOSITION == issued ]]; then
		ok=$((ok + 1))
	else
		tap_diag "submit $i: $out"
	fi
done
tap_is "$ok" 8 "during the flood and the slow clients, another uid's 8 submits are all issued"

wait_line "$W/slow.silent" '^\(closed\|still\)' 70
tap_is "$(cat "$W/slow.silent")" \
	"closed: -110 no complete request within 2 s of connecting (first_message_timeout_sec)" \
	"a client that sends nothing is cut off with the first-message deadline"
wait_line "$W/slow.half" '^\(closed\|still\)' 70
tap_is "$(cat "$W/slow.half")" \
	"closed: -110 no complete request within 2 s of connecting (first_message_timeout_sec)" \
	"a client that sends half a header and stalls is cut off"
wait_line "$W/slow.trickle" '^\(closed\|still\)' 70
tap_is "$(cat "$W/slow.trickle")" \
	"closed: -110 a message must arrive complete within 3 s of its first byte (message_timeout_sec)" \
	"a client trickling a 1 MiB payload byte by byte is cut off with the message deadline"
wait_line "$W/slow.idle" 'second ping' 30
tap_is "$(cat "$W/slow.idle")" "second ping ok" \
	"a client idle for 6 s between two messages is not cut off (idle_timeout_sec)"

# --- 4. the total cap: uids 2002 and 2003 take the remaining 24 slots
as_uid 2002 "$FLOOD" "$SOCK" hold 30 "$W/stop" 120 >"$W/flood.2002" 2>&1 &
bg_track $!
wait_line "$W/flood.2002" '^holding' 60
as_uid 2003 "$FLOOD" "$SOCK" hold 30 "$W/stop" 120 >"$W/flood.2003" 2>&1 &
bg_track $!
wait_line "$W/flood.2003" '^holding' 60
tap_is "$(head -1 "$W/flood.2002")" "accepted 16 refused 14 failed 0" \
	"a second uid also gets its 16 slots"
out=$(cat "$W/flood.2003")
[[ $out == "accepted 8 refused 22 failed 0"* &&
	$out == *"refusal: -20016 too many connections (max_connections = 40)"* ]]
tap_check "a third uid gets the 8 slots left, then refusals naming max_connections" $? "$out"

# --- 5. release: every slot and descriptor comes back
touch "$W/stop"
wait_line "$W/flood.root" '^released' 30
wait_line "$W/flood.2003" '^released' 30
for ((i = 0; i < 100; i++)); do
	(($(fd_count) <= BASE_FDS)) && break
	sleep 0.1
done
tap_is "$(fd_count)" "$BASE_FDS" "after the flood the daemon's descriptor count is back to its baseline"
out=$(cs "$D" status 2>&1)
tap_check "root is served again after its connections closed" $? "$out"
tap_clean_stop "$D" ""

# --- 6. [limits] values are checked at start
D2=$(mk_ca) || tap_bail "init failed"
cp "$D2/certsrv.conf" "$W/conf.orig"
# start_with LINES — certsrvd on D2 with LINES appended; its exit status and
# log in $START_OUT (it is stopped by PID if it starts).
start_with() {
	cp "$W/conf.orig" "$D2/certsrv.conf"
	printf '\n[limits]\n%s\n' "$1" >>"$D2/certsrv.conf"
	if daemon_start "$D2" 2>"$W/start.err"; then
		daemon_stop "$D2"
		START_OUT="started"
	else
		START_OUT=$(cat "$W/start.err")
	fi
}
start_with "max_connections = 0"
[[ $START_OUT == *"[limits] max_connections: must be 1..1024"* ]]
tap_check "max_connections = 0 is refused at start" $? "$START_OUT"
start_with $'max_connections = 8\nmax_connections_per_uid = 9'
tap_is "$START_OUT" started "a per-uid cap above the total is accepted (it means the total)"
start_with "idle_timeout_sec = soon"
[[ $START_OUT == *"[limits] idle_timeout_sec: must be 1..86400"* ]]
tap_check "a timeout that is not a number is refused at start" $? "$START_OUT"
tap_done
