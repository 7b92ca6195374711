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

ITER=$(count_knob "${ITER:-}" 5 100)
CLIENTS=4
NCSR=50

D=$(mk_ca) || tap_bail "certsrv init failed"
W=$(mk_workdir 0755 csr)
mk_csrs "$W/csr" host "$NCSR"

total_acked=0
for ((it = 1; it <= ITER; it++)); do
	if ! daemon_start "$D" 2>"$W/start.err"; then
		tap_fail "iteration $it: certsrvd starts" "$(cat "$W/start.err")"
		break
	fi
	tap_ok "iteration $it: certsrvd starts"

	pids=()
	for ((c = 0; c < CLIENTS; c++)); do
		: >"$W/acked.$it.$c"
		submit_until "$D" "$W/stop.$it" "$W/acked.$it.$c" $((c * 13)) "${CSRS[@]}" &
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

	cs "$D" view --json >"$W/view.$it.json" 2>"$W/view.err" || tap_diag "$(head -c 500 "$W/view.err")"
	cat "$W"/acked.*.* >"$W/acked.all" 2>/dev/null
	tap_acked "iteration $it" "$W/view.$it.json" "$W/acked.all"
	tap_serials_unique "iteration $it" "$W/view.$it.json"
	tap_lsn_forward "iteration $it" "$(cs "$D" status --json 2>&1)"

	# A new submit after recovery still works.
	out=$(cs "$D" submit "$W/csr/0.csr" 2>&1)
	parse_request_line "$out"
	if [[ $DISPOSITION == issued ]]; then
		printf '%s %s\n' "$SERIAL" "$REQ_ID" >>"$W/acked.$it.post"
		tap_ok "iteration $it: submit works after recovery"
	else
		tap_fail "iteration $it: submit works after recovery" "$out"
	fi

	tap_clean_stop "$D" "iteration $it"
	# On a copy of the database, so the checks cannot touch the store. The
	# log chain: contiguous generations and LSNs, from LSN 1 to the LSN the
	# database says it holds.
	tap_integrity "$D" "iteration $it"
	tap_log_chain "$D" "iteration $it" 1
done

if ((total_acked > 0)); then
	tap_ok "clients saw $total_acked acknowledged issues across $ITER kills"
else
	tap_fail "clients saw acknowledged issues before the kills" "no submit succeeded: the test proved nothing"
fi

tap_done
