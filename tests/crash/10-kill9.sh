#!/usr/bin/env bash
# 10-kill9.sh — durability under kill -9 (DESIGN section 4, I1/I2): four
# clients submit CSRs in a loop; the daemon is killed with SIGKILL at a random
# moment; after restart every serial a client saw acknowledged must be in the
# database, serials stay unique, LSNs never go back, the log chain has no
# gap and ends at the database's applied LSN, and after a clean stop
# PRAGMA integrity_check is ok. Repeated ITER times (default 5, at most 100).
#
# Only serials the CLI printed count: a submit in flight at the kill may fail.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"
require_binaries

ITER=${ITER:-5}
[[ $ITER =~ ^[0-9]+$ ]] || ITER=5
((ITER > 100)) && ITER=100
((ITER < 1)) && ITER=1
CLIENTS=4
NCSR=50

D=$(mk_datadir)
W="$TEST_TMP/work"
mkdir -p "$W/csr"
ca_init "$D" >/dev/null 2>&1 || tap_bail "certsrv init failed"

for ((i = 0; i < NCSR; i++)); do
	gen_csr "$W/csr/$i.csr" "host$i.example" "host$i.example" || tap_bail "openssl cannot make CSRs"
done

# client N ITER — submit CSRs until the stop file appears; record
# "SERIAL REQUEST_ID" for every acknowledged issue.
client() {
	local n=$1 it=$2 k=0 out re='request ([0-9]+): issued, serial ([0-9A-F]+)'
	local rec="$W/acked.$it.$n"
	: >"$rec"
	while [[ ! -e $W/stop.$it ]]; do
		out=$(timeout 10 "$CERTSRV" --data-dir "$D" submit "$W/csr/$(((n * 13 + k) % NCSR)).csr" 2>&1)
		if [[ $? -eq 0 && $out =~ $re ]]; then
			printf '%s %s\n' "${BASH_REMATCH[2]}" "${BASH_REMATCH[1]}" >>"$rec"
		fi
		k=$((k + 1))
	done
}

prev_lsn=0
total_acked=0
for ((it = 1; it <= ITER; it++)); do
	if ! daemon_start "$D" 2>"$W/start.err"; then
		tap_fail "iteration $it: certsrvd starts" "$(cat "$W/start.err")"
		break
	fi
	tap_ok "iteration $it: certsrvd starts"

	pids=()
	for ((c = 0; c < CLIENTS; c++)); do
		client "$c" "$it" &
		pids+=($!)
		bg_track $!
	done
	ms=$((RANDOM % 1301 + 200))
	delay=$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))
	sleep "$delay"
	daemon_kill9 "$D"
	touch "$W/stop.$it"
	wait "${pids[@]}" 2>/dev/null

	n_acked=$(cat "$W"/acked."$it".* 2>/dev/null | wc -l)
	total_acked=$((total_acked + n_acked))

	if ! daemon_start "$D" 2>"$W/start.err"; then
		tap_fail "iteration $it: restart after kill -9 at ${delay}s" "$(cat "$W/start.err")" "$(tail -20 "$D/daemon.log")"
		break
	fi
	tap_ok "iteration $it: restart after kill -9 at ${delay}s"

	cs "$D" view --json >"$W/view.$it.json" 2>"$W/view.err"
	cat "$W"/acked.*.* >"$W/acked.all" 2>/dev/null
	missing=$(python3 - "$W/view.$it.json" "$W/acked.all" <<'EOF'
import json, sys
rows = json.load(open(sys.argv[1]))
have = {r["serial"]: r["request_id"] for r in rows if r.get("serial")}
bad = []
for line in open(sys.argv[2]):
    serial, rid = line.split()
    if serial not in have:
        bad.append("serial %s (request %s) missing" % (serial, rid))
    elif have[serial] != int(rid):
        bad.append("serial %s belongs to request %s, not %s" % (serial, have[serial], rid))
print("\n".join(bad))
EOF
	)
	st=$?
	if [[ $st -eq 0 && -z $missing ]]; then
		tap_ok "iteration $it: all $(wc -l <"$W/acked.all") acknowledged serials so far are present ($n_acked new)"
	else
		tap_fail "iteration $it: every acknowledged serial is present" "$missing" "$(head -c 500 "$W/view.err")"
	fi
	dups=$(json_eval 'len([r["serial"] for r in d if r["serial"]]) - len(set(r["serial"] for r in d if r["serial"]))' <"$W/view.$it.json" 2>&1)
	tap_is "$dups" 0 "iteration $it: serial numbers are unique"

	sj=$(cs "$D" status --json 2>&1)
	lsn=$(json_eval "d['log']['applied_lsn']" <<<"$sj" 2>&1)
	if [[ $lsn =~ ^[0-9]+$ ]] && ((lsn >= prev_lsn)); then
		tap_ok "iteration $it: applied LSN did not go back ($prev_lsn -> $lsn)"
		prev_lsn=$lsn
	else
		tap_fail "iteration $it: applied LSN did not go back" "before $prev_lsn, now $lsn"
	fi

	# A new submit after recovery still works.
	out=$(cs "$D" submit "$W/csr/0.csr" 2>&1)
	parse_request_line "$out"
	if [[ $DISPOSITION == issued ]]; then
		printf '%s %s\n' "$SERIAL" "$REQ_ID" >>"$W/acked.$it.post"
		tap_ok "iteration $it: submit works after recovery"
	else
		tap_fail "iteration $it: submit works after recovery" "$out"
	fi

	if daemon_stop "$D" && [[ $DAEMON_EXIT == 0 ]]; then
		tap_ok "iteration $it: clean stop (exit 0)"
	else
		tap_fail "iteration $it: clean stop (exit 0)" "exit ${DAEMON_EXIT:-?}" "$(tail -10 "$D/daemon.log")"
	fi
	# integrity_check on a copy, so the check itself cannot touch the store.
	rm -f "$W/check.db" "$W/check.db-wal"
	cp "$D/db/ca.db" "$W/check.db"
	[[ -f $D/db/ca.db-wal ]] && cp "$D/db/ca.db-wal" "$W/check.db-wal"
	tap_is "$(sqlite3 "$W/check.db" 'PRAGMA integrity_check' 2>&1)" ok "iteration $it: PRAGMA integrity_check is ok"
	# The log chain: contiguous generations and LSNs, ending at the LSN
	# the database says it holds.
	chain=$("$B/tests/logcheck" "$D" 2>&1)
	applied=$(sqlite3 "$W/check.db" "SELECT value FROM meta WHERE key = 'applied_lsn'" 2>&1)
	if [[ $chain =~ lsn\ 1\.\.([0-9]+) && ${BASH_REMATCH[1]} == "$applied" ]]; then
		tap_ok "iteration $it: log chain contiguous from LSN 1 to applied LSN $applied"
	else
		tap_fail "iteration $it: log chain contiguous up to the applied LSN" "$chain" "applied_lsn $applied"
	fi
done

if ((total_acked > 0)); then
	tap_ok "clients saw $total_acked acknowledged issues across $ITER kills"
else
	tap_fail "clients saw acknowledged issues before the kills" "no submit succeeded: the test proved nothing"
fi

tap_done
