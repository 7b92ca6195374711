#!/usr/bin/env bash
# 60-backup-cli.sh — `certsrv backup` against a real certsrvd: the set of
# DESIGN section 10 (files, manifest.json with sizes, SHA-256s, self
# checksum, lineage, generations, LSNs, CA subject and key id), an image that
# passes SQLite's integrity check, truncation and --keep-log as
# `certsrv status` and the log directory show them, incrementals that
# continue the previous set, the refusals (non-empty target, incremental
# without a full backup, server offline), --force, the tar stream of -o -,
# and the progress line (only on a terminal or with --progress).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_binaries certsrv certsrvd libcertadm.so.1

W="$TEST_TMP/work"
mkdir -p "$W"
D=$(mk_datadir)
ca_init "$D" >/dev/null 2>&1 || tap_bail "certsrv init failed"
daemon_start "$D" 2>"$W/start.err" || tap_bail "certsrvd does not start: $(cat "$W/start.err")"

# issue N certificates (names prefixed by $2)
issue_some() {
	local n=$1 p=$2 i
	for ((i = 1; i <= n; i++)); do
		gen_csr "$W/$p$i.csr" "$p$i.example" "$p$i.example"
		submit "$D" "$W/$p$i.csr" >/dev/null || return 1
	done
}

# mf SET PYEXPR — a value of SET's manifest.json
mf() { json_eval "$2" <"$1/manifest.json"; }

# check_set SET — every listed file has its size and sha256 (by sha256sum),
# every file of DataBase/ and Dynamic/ is listed, the manifest's own checksum
# holds. Prints the problems; returns 0 if none.
check_set() {
	local set=$1 path size sum bad=0 listed got
	while read -r path size sum; do
		if [[ ! -f $set/$path ]]; then
			echo "missing: $path"
			bad=1
			continue
		fi
		got=$(sha256sum "$set/$path" | cut -d' ' -f1)
		[[ $got == "$sum" ]] || { echo "sha256 differs: $path"; bad=1; }
		[[ $(stat -c %s "$set/$path") == "$size" ]] || { echo "size differs: $path"; bad=1; }
	done < <(mf "$set" '"\n".join("%s %d %s" % (f["path"], f["size"], f["sha256"]) for f in d["files"])')
	listed=$(mf "$set" '"\n".join(sorted(f["path"] for f in d["files"]))')
	got=$(cd "$set" && find DataBase Dynamic -type f 2>/dev/null | LC_ALL=C sort)
	[[ $listed == "$(LC_ALL=C sort <<<"$got")" ]] || { echo "listed files differ from the set's files:"; diff <(echo "$listed") <(LC_ALL=C sort <<<"$got"); bad=1; }
	python3 - "$set/manifest.json" <<'PY' || bad=1
import hashlib, json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
want = d.pop("manifest_sha256")
canon = json.dumps(d, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
if hashlib.sha256(canon.encode("utf-8")).hexdigest() != want:
    print("manifest_sha256 does not match the canonical text")
    sys.exit(1)
PY
	return $bad
}

# log_gens SET — the generations of SET's log files, from their names
log_gens() { (cd "$1/DataBase" 2>/dev/null && find . -name 'ca????????.log' | sed 's|^\./ca\(........\)\.log$|\1|' | LC_ALL=C sort); }
hex_gen() { printf '%d' "0x$1"; }

# ---------------------------------------------------------------- full backup
issue_some 3 a || tap_bail "cannot issue certificates"
SUBJECT=$(cs "$D" status --json | json_eval 'd["subject"]')

FULL="$W/full"
out=$(cs "$D" backup "$FULL" 2>"$W/full.err")
st=$?
tap_is "$st" 0 "backup TARGET of a running CA exits 0"
[[ $st -eq 0 ]] || tap_diag "$(cat "$W/full.err")"
if [[ -f $FULL/DataBase/ca.db && -f $FULL/DataBase/certbkxp.dat && -f $FULL/manifest.json &&
	-f $FULL/Dynamic/ca/ca.crt && -f $FULL/Dynamic/certsrv.conf && -n $(log_gens "$FULL") ]]; then
	tap_ok "the set holds DataBase/ca.db, certbkxp.dat, the logs, Dynamic/ and manifest.json"
else
	tap_fail "the set holds DataBase/ca.db, certbkxp.dat, the logs, Dynamic/ and manifest.json" "$(cd "$FULL" 2>/dev/null && find . | sort)"
fi
if [[ -z $(find "$FULL" -name 'ca.key' 2>/dev/null) ]] && ! grep -rq 'PRIVATE KEY' "$FULL" 2>/dev/null; then
	tap_ok "the set holds no private key"
else
	tap_fail "the set holds no private key"
fi
last=$(tail -n 1 <<<"$out")
if [[ $last =~ ^full\ backup\ of\ .*:\ [0-9]+\ files,\ .*\ in\ .*logs\ truncated$ && $last == *"$SUBJECT"* ]]; then
	tap_ok "summary line: full backup of SUBJECT: N files, ..., logs truncated"
else
	tap_fail "summary line: full backup of SUBJECT: N files, ..., logs truncated" "$out"
fi
tap_is "$(grep -c ' bytes$' <<<"$out")" "$(mf "$FULL" 'len(d["files"])' 2>&1)" "one summary line per file"
tap_is "$(mf "$FULL" '"%s %s %s" % (d["format"], d["version"], d["type"])' 2>&1)" "certsrv-backup 1 full" \
	"manifest.json parses: format certsrv-backup, version 1, type full"
problems=$(check_set "$FULL" 2>&1)
tap_check "every file's size and sha256 match (sha256sum), every file is listed, manifest_sha256 holds" $? "$problems"
if [[ $(mf "$FULL" 'd["created"]') =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]]; then
	tap_ok "created is ISO 8601 UTC"
else
	tap_fail "created is ISO 8601 UTC" "$(mf "$FULL" 'd["created"]')"
fi
tap_is "$(mf "$FULL" 'd["subject"]' 2>&1)" "$SUBJECT" "manifest subject is the CA's"
ski=$(openssl x509 -in "$D/ca/ca.crt" -noout -ext subjectKeyIdentifier 2>/dev/null | tail -n 1 | tr -d ' :' | tr 'A-F' 'a-f')
tap_is "$(mf "$FULL" 'd["key_id"]' 2>&1)" "$ski" "manifest key_id is the SHA-1 of the CA's public key (its SKI)"

gens=$(log_gens "$FULL")
first=$(head -n 1 <<<"$gens")
lastg=$(tail -n 1 <<<"$gens")
tap_is "$(mf "$FULL" '"%d %d" % (d["gen_low"], d["gen_high"])' 2>&1)" "$(hex_gen "$first") $(hex_gen "$lastg")" \
	"gen_low/gen_high are the log files' generations"
tap_is "$(mf "$FULL" '" ".join(sorted(f["path"] for f in d["files"] if f["path"].endswith(".log")))' 2>&1)" \
	"$(for g in $gens; do printf 'DataBase/ca%s.log ' "$g"; done | sed 's/ $//')" \
	"the log files are the ones named in the manifest"
lineage=$(xxd -p -s 32 -l 16 "$FULL/DataBase/ca$first.log")
tap_is "$(mf "$FULL" 'd["lineage"]' 2>&1)" "$lineage" "lineage is bytes 32..47 of the first log's header"
lsn_low=$(od -An -t u8 -j 24 -N 8 "$FULL/DataBase/ca$first.log" | tr -d ' ')
tap_is "$(mf "$FULL" 'd["lsn_low"]' 2>&1)" "$lsn_low" "lsn_low is the first log's first LSN"
if [[ $(mf "$FULL" 'd["lsn_high"] >= d["lsn_low"]') == true ]]; then
	tap_ok "lsn_high >= lsn_low"
else
	tap_fail "lsn_high >= lsn_low" "$(cat "$FULL/manifest.json")"
fi
cp "$FULL/DataBase/ca.db" "$W/copy.db"
tap_is "$(sqlite3 "$W/copy.db" 'PRAGMA integrity_check' 2>&1)" ok "DataBase/ca.db (a copy) passes PRAGMA integrity_check"
tap_is "$(sqlite3 "$W/copy.db" 'SELECT count(*) FROM certificates' 2>&1)" 3 "the image holds the 3 certificates"

# ---- truncation as status and the log directory show it
st_out=$(cs "$D" status 2>&1)
if grep -q '^last full backup:.*logs truncated' <<<"$st_out"; then
	tap_ok "certsrv status shows the last full backup with \"logs truncated\""
else
	tap_fail "certsrv status shows the last full backup with \"logs truncated\"" "$st_out"
fi
remaining=$(for g in $gens; do [[ -e $D/logs/ca$g.log ]] && echo "$g"; done)
tap_is "$remaining" "" "the set's generations were truncated from DATADIR/logs"

# ---- --keep-log
issue_some 2 b || tap_bail "cannot issue certificates"
KEEP="$W/keep"
out=$(cs "$D" backup --keep-log "$KEEP" 2>&1)
tap_is "$?" 0 "backup --keep-log exits 0"
if [[ $(tail -n 1 <<<"$out") == *"logs kept" ]]; then tap_ok "summary says logs kept"; else tap_fail "summary says logs kept" "$out"; fi
kgens=$(log_gens "$KEEP")
missing=$(for g in $kgens; do [[ -e $D/logs/ca$g.log ]] || echo "$g"; done)
if [[ -n $kgens && -z $missing ]]; then
	tap_ok "with --keep-log the set's generations remain in DATADIR/logs"
else
	tap_fail "with --keep-log the set's generations remain in DATADIR/logs" "set: $kgens" "missing: $missing"
fi
st_out=$(cs "$D" status 2>&1)
if grep '^last full backup:' <<<"$st_out" | grep -vq 'logs truncated'; then
	tap_ok "status: the last full backup did not truncate"
else
	tap_fail "status: the last full backup did not truncate" "$st_out"
fi
problems=$(check_set "$KEEP" 2>&1)
tap_check "the --keep-log set checks out" $? "$problems"

# ---- incremental
issue_some 2 c || tap_bail "cannot issue certificates"
INC="$W/inc"
out=$(cs "$D" backup --incremental "$INC" 2>&1)
tap_is "$?" 0 "backup --incremental exits 0"
tap_is "$(mf "$INC" 'd["type"]' 2>&1)" incremental "manifest type is incremental"
tap_is "$(cd "$INC/DataBase" 2>/dev/null && find . -type f ! -name 'ca[0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F].log')" "" \
	"an incremental's DataBase/ holds only log files"
tap_is "$(mf "$INC" 'd["gen_low"]' 2>&1)" "$(($(mf "$KEEP" 'd["gen_high"]') + 1))" \
	"incremental gen_low = previous set's gen_high + 1"
tap_is "$(mf "$INC" 'd["lsn_low"]' 2>&1)" "$(($(mf "$KEEP" 'd["lsn_high"]') + 1))" \
	"incremental lsn_low = previous set's lsn_high + 1"
problems=$(check_set "$INC" 2>&1)
tap_check "the incremental set checks out" $? "$problems"
tap_is "$(mf "$INC" 'd["key_id"]' 2>&1)" "$ski" "the incremental's manifest names the CA key"
if grep -q '^last incremental:.*generations' <<<"$(cs "$D" status 2>&1)"; then
	tap_ok "status shows the last incremental"
else
	tap_fail "status shows the last incremental" "$(cs "$D" status 2>&1)"
fi

# ---- refusals and --force
before=$(sha256sum "$FULL/manifest.json")
out=$(cs "$D" backup "$FULL" 2>&1)
st=$?
if [[ $st -eq 1 && $out == *"not empty"* ]]; then
	tap_ok "a non-empty TARGET is refused (exit 1, says why)"
else
	tap_fail "a non-empty TARGET is refused (exit 1, says why)" "exit $st" "$out"
fi
tap_is "$(sha256sum "$FULL/manifest.json")" "$before" "the refused target is untouched"
out=$(cs "$D" backup --force "$FULL" 2>&1)
tap_is "$?" 0 "--force replaces an earlier backup set"
problems=$(check_set "$FULL" 2>&1)
tap_check "the replaced set checks out" $? "$problems"
tap_is "$(mf "$FULL" 'd["gen_low"] > '"$(mf "$INC" 'd["gen_high"]')")" true "the replaced set is the new backup"
mkdir -p "$W/foreign"
echo precious >"$W/foreign/notes.txt"
out=$(cs "$D" backup --force "$W/foreign" 2>&1)
st=$?
if [[ $st -eq 1 && -f $W/foreign/notes.txt && ! -e $W/foreign/manifest.json ]]; then
	tap_ok "--force refuses a target that holds other files"
else
	tap_fail "--force refuses a target that holds other files" "exit $st" "$out"
fi

D2=$(mk_datadir)
ca_init "$D2" --subject "CN=Fresh $$" >/dev/null 2>&1 || tap_bail "init D2 failed"
daemon_start "$D2" 2>/dev/null || tap_bail "certsrvd D2 does not start"
out=$(cs "$D2" backup --incremental "$W/inc2" 2>&1)
st=$?
if [[ $st -eq 1 && $out == *"0xC8000230"* && $out == "certsrv: backup: CertSrvBackupPrepare: "* ]]; then
	tap_ok "incremental without a prior full backup: exit 1 and the 0xC8000230 message"
else
	tap_fail "incremental without a prior full backup: exit 1 and the 0xC8000230 message" "exit $st" "$out"
fi
tap_is "$(ls "$W/inc2/manifest.json" 2>/dev/null)" "" "the failed backup left no manifest.json"

# ---- -o -: a tar stream
TAR="$W/set.tar"
cs "$D" backup -o - >"$TAR" 2>"$W/tar.err"
st=$?
tap_is "$st" 0 "backup -o - exits 0"
if [[ $(tail -n 1 "$W/tar.err") == "full backup of "* ]]; then
	tap_ok "with -o - the summary goes to stderr"
else
	tap_fail "with -o - the summary goes to stderr" "$(cat "$W/tar.err")"
fi
members=$(tar -tf "$TAR" 2>&1)
tap_is "$(tail -n 1 <<<"$members")" manifest.json "manifest.json is the tar stream's last member"
dirset=$( (cd "$FULL" && find DataBase Dynamic manifest.json -type f) | sed 's/ca[0-9A-F]\{8\}\.log$/LOG/' | LC_ALL=C sort -u)
tarset=$(sed 's/ca[0-9A-F]\{8\}\.log$/LOG/' <<<"$members" | LC_ALL=C sort -u)
tap_is "$tarset" "$dirset" "the tar members are the paths a directory backup produces"
mkdir -p "$W/untar"
tar -xf "$TAR" -C "$W/untar" 2>/dev/null
problems=$(check_set "$W/untar" 2>&1)
tap_check "the extracted tar matches its own manifest (sha256sum)" $? "$problems"
cp "$W/untar/DataBase/ca.db" "$W/copy2.db"
tap_is "$(sqlite3 "$W/copy2.db" 'PRAGMA integrity_check' 2>&1)" ok "the tar's ca.db passes PRAGMA integrity_check"

# ---- progress
cs "$D" backup --keep-log "$W/p1" >/dev/null 2>"$W/p1.err"
if ! grep -q 'ETA' "$W/p1.err"; then tap_ok "no progress line on a non-terminal"; else tap_fail "no progress line on a non-terminal" "$(cat "$W/p1.err")"; fi
cs "$D" backup --keep-log --progress "$W/p2" >/dev/null 2>"$W/p2.err"
if grep -q 'ETA' "$W/p2.err" && grep -q 'MiB/s' "$W/p2.err"; then tap_ok "--progress draws bytes, rate and ETA on stderr"; else tap_fail "--progress draws bytes, rate and ETA on stderr" "$(cat "$W/p2.err")"; fi
if command -v script >/dev/null; then
	script -qec "$CERTSRV --data-dir $D backup --keep-log $W/p3" /dev/null >"$W/p3.tty" 2>&1
	if grep -q 'ETA' "$W/p3.tty"; then tap_ok "progress line on a terminal"; else tap_fail "progress line on a terminal" "$(cat "$W/p3.tty")"; fi
	script -qec "$CERTSRV --data-dir $D backup -o -" /dev/null >"$W/p4.tty" 2>&1
	st=$?
	if [[ $st -eq 2 ]] && grep -q 'terminal' "$W/p4.tty"; then tap_ok "-o - to a terminal is refused (exit 2)"; else tap_fail "-o - to a terminal is refused (exit 2)" "exit $st" "$(head -c 300 "$W/p4.tty")"; fi
else
	tap_skip "progress line on a terminal" "no script(1)"
	tap_skip "-o - to a terminal is refused (exit 2)" "no script(1)"
fi

# ---- backup_max_rate_mb: the server paces the stream (a lower bound on
# the time, which load can only make longer; unpaced, this set takes a
# fraction of it)
daemon_stop "$D"
# ~1.5 MB of real certificate rows (the soak's bulk path), so the floor
# is well above what an unpaced backup takes
"$B/tests/soakfill" "$D/db/ca.db" 1500 >/dev/null || tap_bail "soakfill failed"
sed -i 's/^backup_max_rate_mb = .*/backup_max_rate_mb = 1/' "$D/certsrv.conf"
grep -q '^backup_max_rate_mb = 1$' "$D/certsrv.conf" || tap_bail "certsrv.conf has no backup_max_rate_mb key"
daemon_start "$D" || tap_bail "certsrvd does not start with backup_max_rate_mb = 1"
t0=$(date +%s%N)
out=$(cs "$D" backup --keep-log "$W/paced" 2>&1)
st=$?
t1=$(date +%s%N)
bytes=$(cat "$W/paced"/DataBase/* | wc -c)
elapsed_ms=$(((t1 - t0) / 1000000))
# bytes at 10^6 B/s, less the 0.1 s burst credit and a 0.1 s margin
floor_ms=$((bytes / 1000 - 200))
if [[ $st -eq 0 && $bytes -gt 1000000 && $elapsed_ms -ge $floor_ms ]]; then
	tap_ok "backup_max_rate_mb = 1: $bytes bytes took $elapsed_ms ms (>= $floor_ms)"
else
	tap_fail "backup_max_rate_mb = 1: $bytes bytes took $elapsed_ms ms (>= $floor_ms)" "exit $st" "$out"
fi
# backup_busy_rate_mb: held to the busy rate while a client keeps
# submitting (backup_max_rate_mb = 0: nothing else paces it)
daemon_stop "$D"
sed -i -e 's/^backup_max_rate_mb = .*/backup_max_rate_mb = 0/' \
	-e 's/^backup_busy_rate_mb = .*/backup_busy_rate_mb = 1/' "$D/certsrv.conf"
grep -q '^backup_busy_rate_mb = 1$' "$D/certsrv.conf" || tap_bail "certsrv.conf has no backup_busy_rate_mb key"
daemon_start "$D" || tap_bail "certsrvd does not start with backup_busy_rate_mb = 1"
gen_csr "$W/busy.csr" "busy.example" "busy.example"
submit_until "$D" "$W/busy.stop" "$W/busy.acked" 0 "$W/busy.csr" &
busy_pid=$!
sleep 0.5
t0=$(date +%s%N)
out=$(cs "$D" backup --keep-log "$W/busy" 2>&1)
st=$?
t1=$(date +%s%N)
touch "$W/busy.stop"
wait "$busy_pid"
bytes=$(cat "$W/busy"/DataBase/* | wc -c)
elapsed_ms=$(((t1 - t0) / 1000000))
floor_ms=$((bytes / 1000 - 200))
if [[ $st -eq 0 && $bytes -gt 1000000 && $elapsed_ms -ge $floor_ms && -s $W/busy.acked ]]; then
	tap_ok "backup_busy_rate_mb = 1 while submits run: $bytes bytes took $elapsed_ms ms (>= $floor_ms), $(wc -l <"$W/busy.acked") certificates issued meanwhile"
else
	tap_fail "backup_busy_rate_mb = 1 while submits run: $bytes bytes took $elapsed_ms ms (>= $floor_ms)" "exit $st" "$out"
fi
daemon_stop "$D"
sed -i 's/^backup_busy_rate_mb = .*/backup_busy_rate_mb = 30/' "$D/certsrv.conf"
daemon_start "$D" || tap_bail "certsrvd does not restart"
sed -i 's/^backup_max_rate_mb = .*/backup_max_rate_mb = x/' "$D/certsrv.conf"
daemon_stop "$D"
out=$("$CERTSRVD" --data-dir "$D" 2>&1)
st=$?
if [[ $st -ne 0 && $out == *backup_max_rate_mb* ]]; then tap_ok "a bad backup_max_rate_mb is refused at start"; else tap_fail "a bad backup_max_rate_mb is refused at start" "exit $st" "$out"; fi
sed -i 's/^backup_max_rate_mb = .*/backup_max_rate_mb = 0/' "$D/certsrv.conf"
daemon_start "$D" || tap_bail "certsrvd does not restart"

# ---- usage and offline
cs "$D" backup >/dev/null 2>&1
tap_is "$?" 2 "backup without a target is a usage error (exit 2)"
cs "$D" backup -o "$W/x.tar" >/dev/null 2>&1
tap_is "$?" 2 "-o takes only - (exit 2)"
daemon_stop "$D"
out=$(cs "$D" backup "$W/offline" 2>&1)
st=$?
if [[ $st -eq 3 && $out == *"0x800706BA"* ]]; then
	tap_ok "server offline: exit 3 and 0x800706BA"
else
	tap_fail "server offline: exit 3 and 0x800706BA" "exit $st" "$out"
fi
tap_done
