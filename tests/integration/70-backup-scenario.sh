#!/usr/bin/env bash
# 70-backup-scenario.sh — the documented 16-step backup (examples/
# backup-scenario.c, through dlopen'ed libcertadm) against a CA that keeps
# issuing: issuance never stops, and the set restores by hand (the store's
# recovery replays its logs onto its image) to hold every certificate that
# was acknowledged before the logs were listed. Then incrementals continue
# the chain with no gap, and truncation deletes exactly what I7 allows.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_binaries

SCEN="$B/backup-scenario"
REPLAY="$B/tests/replayset"
[[ -x $SCEN && -x $REPLAY ]] || tap_bail "backup-scenario or replayset missing (make builds them)"
W="$TEST_TMP/work"
mkdir -p "$W/csr"
for ((i = 0; i < 40; i++)); do
	gen_csr "$W/csr/$i.csr" "bk$i.example" "bk$i.example" || tap_bail "openssl cannot make CSRs"
done
D=$(mk_datadir)
ca_init "$D" >/dev/null 2>&1 || tap_bail "init failed"
daemon_start "$D" || tap_bail "certsrvd did not start"

now_ns() { date +%s%N; }

# client N — submit until the stop file appears; log "TIME_NS SERIAL" per ack.
client() {
	local n=$1 k=0 out
	while [[ ! -e $W/stop ]]; do
		out=$(timeout 10 "$CERTSRV" --data-dir "$D" submit "$W/csr/$(((n * 7 + k) % 40)).csr" 2>&1)
		[[ $out =~ serial\ ([0-9A-F]+) ]] && printf '%s %s\n' "$(now_ns)" "${BASH_REMATCH[1]}" >>"$W/acked.$n"
		k=$((k + 1))
	done
}
clients=()
for n in 1 2 3 4; do
	: >"$W/acked.$n"
	client "$n" &
	clients+=($!)
	bg_track $!
done
sleep 1

# ---- full backup under load
before=$(cat "$W"/acked.* | wc -l)
t_start=$(now_ns)
out=$("$SCEN" "$D" "$W/full" 2>&1)
st=$?
t_end=$(now_ns)
tap_check "backup-scenario (full) succeeds while 4 clients issue" "$st" "$out"
sleep 1
during=$(awk -v a="$t_start" -v b="$t_end" '$1 >= a && $1 <= b' "$W"/acked.* | wc -l)
after=$(cat "$W"/acked.* | wc -l)
((during > 0 && after > before))
tap_check "issuance went on during the backup ($during acknowledged while it ran)" $?
touch "$W/stop"
wait "${clients[@]}" 2>/dev/null

for f in DataBase/ca.db DataBase/certbkxp.dat Dynamic/certsrv.conf Dynamic/ca/ca.crt Dynamic/certenroll/ca.crt; do
	[[ -s $W/full/$f ]]
	tap_check "the set holds $f" $?
done
[[ ! -e $W/full/Dynamic/ca/ca.key ]]
tap_check "the set never holds the private key" $?
ls "$W/full/DataBase/"ca*.log >/dev/null 2>&1
tap_check "the set holds log generations" $?

out=$("$REPLAY" "$W/full" "$W/scratch-full" 2>&1)
tap_check "the set restores by hand (image + log replay)" $? "$out"
grep -v '^lsn' <<<"$out" | sort -n >"$W/restored.pairs"
cut -d' ' -f2 "$W/restored.pairs" | sort >"$W/restored.full"
# Every serial acknowledged before the backup began listing its logs must be
# in the set; acknowledgements before the backup started are a safe subset,
# and acknowledgements while it ran are checked by LSN below.
awk -v t="$t_start" '$1 < t {print $2}' "$W"/acked.* | sort >"$W/acked.before"
missing=$(comm -23 "$W/acked.before" "$W/restored.full" | wc -l)
tap_is "$missing" 0 "every certificate acknowledged before the backup is in the restored set ($(wc -l <"$W/acked.before") checked)"
# And the restored set is a prefix of the CA's history: every serial in it
# exists in the live CA.
cs "$D" view --json >"$W/view.json"
json_eval "'\n'.join(sorted(r['serial'] for r in d if r['serial']))" <"$W/view.json" | sort >"$W/live"
extra=$(comm -13 "$W/live" "$W/restored.full" | wc -l)
tap_is "$extra" 0 "the restored set holds nothing the CA does not"
# Request ids are given in commit order, so a consistent set is exactly the
# CA's certificates up to some request id: nothing missing in the middle.
k=$(tail -1 "$W/restored.pairs" | cut -d' ' -f1)
json_eval "'\n'.join('%d %s' % (r['request_id'], r['serial']) for r in sorted(d, key=lambda r: r['request_id']) if r['serial'] and r['request_id'] <= $k)" <"$W/view.json" >"$W/live.prefix"
cmp -s "$W/live.prefix" "$W/restored.pairs"
tap_check "the restored set is exactly the CA's certificates up to request $k (a consistent prefix)" $? "$(diff "$W/live.prefix" "$W/restored.pairs" | head -5)"
tap_is "$(sqlite3 "$W/scratch-full/db/ca.db" 'PRAGMA integrity_check')" ok "the restored database passes integrity_check"

# ---- incrementals continue the chain
last_gen() { ls "$1/DataBase/"ca*.log | sed 's/.*ca\([0-9A-F]*\)\.log/\1/' | sort | tail -1; }
first_gen() { ls "$1/DataBase/"ca*.log | sed 's/.*ca\([0-9A-F]*\)\.log/\1/' | sort | head -1; }
prev=$W/full
for i in 1 2; do
	for ((k = 0; k < 5; k++)); do cs "$D" submit "$W/csr/$k.csr" >/dev/null; done
	out=$("$SCEN" --incremental "$D" "$W/incr$i" 2>&1)
	tap_check "incremental backup $i succeeds" $? "$out"
	[[ ! -e $W/incr$i/DataBase/ca.db ]]
	tap_check "incremental $i holds no database image" $?
	tap_is "$((16#$(first_gen "$W/incr$i")))" "$((16#$(last_gen "$prev") + 1))" "incremental $i starts right after the previous set's last generation"
	prev=$W/incr$i
done

# ---- truncation: exactly the generations the backups covered and the
# checkpoint passed; the current one stays
gens_before=$(ls "$D/logs/"ca*.log | wc -l)
out=$("$SCEN" --truncate "$D" "$W/full2" 2>&1)
tap_check "a full backup with TruncateLogs succeeds" $? "$out"
remaining=$(ls "$D/logs/"ca*.log | sed 's/.*ca\([0-9A-F]*\)\.log/\1/' | sort)
covered_high=$(last_gen "$W/full2")
low_left=$(head -1 <<<"$remaining")
((16#$low_left > 16#$covered_high))
tap_check "every generation up to the set's last ($covered_high) was deleted; $(wc -l <<<"$remaining") of $((gens_before + 1)) remain" $? "$remaining"
out=$(cs "$D" status 2>&1)
[[ $out == *"logs truncated"* ]]
tap_check "status shows the last full backup with its logs truncated" $? "$out"
out=$("$SCEN" --incremental "$D" "$W/incr3" 2>&1)
tap_check "an incremental after the truncating full backup succeeds" $? "$out"
tap_is "$((16#$(first_gen "$W/incr3")))" "$((16#$covered_high + 1))" "and continues right after it"

daemon_stop "$D"
tap_is "$DAEMON_EXIT" 0 "certsrvd stops cleanly after the backups"
tap_done
