#!/usr/bin/env bash
# 86-mutilation.sh — the mutilation table of issue 4: damaged or wrong
# backup sets must be refused by `certsrv verify-backup` (exit 1, naming the
# bad file and why) and by `certsrv restore --force` before it touches the
# target data directory (a listing with modes, sizes and SHA-256 of every
# file of the target is the same before and after). Each row is run on sets
# with their manifest.json (the SHA-256 check names the file) and, where it
# applies, on the same sets without one (sets written by other software
# through the API: the files themselves must show the damage):
#   1 a flipped bit in the database image      6 a truncated log
#   2 a flipped bit in a log record            7 manifest.json edited
#   3 a flipped bit in a log header            8 certbkxp.dat missing (or damaged)
#   4 a missing generation in the middle       9 an incremental before its full
#   5 a log from another CA (lineage)         10 a registration left incomplete
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_binaries certsrv certsrvd libcertadm.so.1

W="$TEST_TMP/work"
mkdir -p "$W/good"
for ((i = 0; i < 4; i++)); do gen_csr "$W/$i.csr" "mu$i.example" "mu$i.example"; done

serials() { json_eval "'\n'.join(sorted(r['serial'] for r in d if r['serial']))" <<<"$(cs "$1" view --json)"; }
logname() { printf 'ca%08X.log' "$1"; }
gens_of() { find "$1/DataBase" -maxdepth 1 -name 'ca????????.log' -printf '%f\n' | sed -n 's/^ca\([0-9A-F]\{8\}\)\.log$/\1/p' | sort; }

# snapshot DIR — type, mode, size and path of everything in a data
# directory, and the SHA-256 of every file (not run/ nor daemon.log).
snapshot() {
	(
		cd "$1" || exit 1
		find . -path ./run -prune -o ! -name daemon.log -printf '%y %m %s %p\n' | LC_ALL=C sort
		find . -path ./run -prune -o -type f ! -name daemon.log -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
	)
}

# copy NAME [strip] — fresh copies of the good sets in $W/NAME/{full,incr1,incr2};
# with "strip", without their manifest.json.
copy() {
	rm -rf "${W:?}/$1"
	mkdir -p "$W/$1"
	cp -a "$W/good/." "$W/$1/"
	[[ ${2:-} == strip ]] && rm -f "$W/$1"/*/manifest.json
	return 0
}

# flip FILE OFFSET — invert one bit of the byte at OFFSET.
flip() {
	python3 - "$1" "$2" <<'PY'
import sys
p, off = sys.argv[1], int(sys.argv[2])
b = bytearray(open(p, "rb").read())
b[off] ^= 0x10
open(p, "wb").write(b)
PY
}

# row LABEL FILE WHY SETS... — verify-backup and restore --force both fail
# naming FILE with WHY, and the target's snapshot does not change.
row() {
	local label=$1 file=$2 why=$3 out st before after
	shift 3
	out=$(cs "$T" verify-backup "$@" 2>&1)
	st=$?
	[[ $st -eq 1 && $out == *"certsrv: verify-backup: $file: "* && $out == *"$why"* ]]
	tap_check "$label: verify-backup fails naming the file and why" $? "exit $st" "want: $file: ...$why" "$out"
	before=$(snapshot "$T")
	out=$(cs "$T" restore "$@" --force 2>&1)
	st=$?
	after=$(snapshot "$T")
	[[ $st -eq 1 && $out == *"certsrv: restore: $file: "* && $out == *"$why"* && $out == *"nothing was changed"* ]]
	tap_check "$label: restore refuses with the same reason" $? "exit $st" "want: $file: ...$why" "$out"
	[[ -n $before && $before == "$after" ]]
	tap_check "$label: nothing in the target data directory was written" $? \
		"$(diff <(echo "$before") <(echo "$after") | head -10)"
}

# ---- the CA, its sets, and another CA
T=$(mk_datadir)
ca_init "$T" >/dev/null 2>&1 || tap_bail "init failed"
# small log generations, so that an incremental spans several of them
sed -i 's/^log_file_size_kb = .*/log_file_size_kb = 64/' "$T/certsrv.conf"
daemon_start "$T" || tap_bail "certsrvd did not start"
for ((i = 0; i < 4; i++)); do submit "$T" "$W/$i.csr" >/dev/null; done
cs "$T" backup "$W/good/full" >/dev/null 2>&1 || tap_bail "full backup failed"
for ((i = 0; i < 200; i++)); do cs "$T" submit "$W/$((i % 4)).csr" >/dev/null || tap_bail "submit failed"; done
cs "$T" backup --incremental "$W/good/incr1" >/dev/null 2>&1 || tap_bail "incremental 1 failed"
for ((i = 0; i < 3; i++)); do submit "$T" "$W/$i.csr" >/dev/null; done
cs "$T" backup --incremental "$W/good/incr2" >/dev/null 2>&1 || tap_bail "incremental 2 failed"
serials "$T" >"$W/all"
daemon_stop "$T"
mapfile -t G1 < <(gens_of "$W/good/incr1")
((${#G1[@]} >= 3)) || tap_bail "incremental 1 holds ${#G1[@]} generations, 3 needed"
[[ $(gens_of "$W/good/full") == 00000001 ]] || tap_bail "the full set does not hold exactly generation 1"
F1="DataBase/$(logname 1)"
I1MID="DataBase/ca${G1[1]}.log"
I2LOG="DataBase/ca$(gens_of "$W/good/incr2" | tail -1).log"

E=$(mk_datadir)
ca_init "$E" --subject "CN=Another CA $$" >/dev/null 2>&1 || tap_bail "init of the other CA failed"
daemon_start "$E" || tap_bail "the other certsrvd did not start"
submit "$E" "$W/0.csr" >/dev/null
cs "$E" backup "$W/other" >/dev/null 2>&1 || tap_bail "the other CA's backup failed"
daemon_stop "$E"

out=$(cs "$T" verify-backup "$W/good/full" "$W/good/incr1" "$W/good/incr2" 2>&1)
tap_check "0. the good sets verify (exit 0)" $? "$out"
copy bare strip
out=$(cs "$T" verify-backup "$W/bare/full" "$W/bare/incr1" "$W/bare/incr2" 2>&1)
tap_check "0. ... and so do they without their manifests" $? "$out"

# ---- 1. a flipped bit in the database image (the type byte of page 3)
ps=$(python3 -c 'import sys; b=open(sys.argv[1],"rb").read(18); v=int.from_bytes(b[16:18],"big"); print(65536 if v==1 else v)' "$W/good/full/DataBase/ca.db")
copy r1
flip "$W/r1/full/DataBase/ca.db" $((2 * ps))
row "1. image bit flip" "$W/r1/full/DataBase/ca.db" "SHA-256 differs" "$W/r1/full" "$W/r1/incr1" "$W/r1/incr2"
copy r1b strip
flip "$W/r1b/full/DataBase/ca.db" $((2 * ps))
row "1. image bit flip, no manifest" "$W/r1b/full/DataBase/ca.db" "damaged" "$W/r1b/full" "$W/r1b/incr1" "$W/r1b/incr2"
# a bad backup never stops a running CA, even with --stop
daemon_start "$T" || tap_bail "certsrvd did not start"
out=$(cs "$T" restore "$W/r1/full" "$W/r1/incr1" "$W/r1/incr2" --force --stop 2>&1)
st=$?
cs "$T" status >/dev/null 2>&1
tap_check "1. restore --stop with a bad set refuses and leaves the daemon running" $? "exit $st" "$out"
daemon_stop "$T"

# ---- 2. a flipped bit in a log record (the payload of the first record)
copy r2
flip "$W/r2/full/$F1" 100
row "2. log record bit flip" "$W/r2/full/$F1" "SHA-256 differs" "$W/r2/full" "$W/r2/incr1" "$W/r2/incr2"
copy r2b strip
flip "$W/r2b/full/$F1" 100
row "2. log record bit flip, no manifest" "$W/r2b/full/$F1" "fails its checks and valid records follow it" "$W/r2b/full" "$W/r2b/incr1" "$W/r2b/incr2"
copy r2c strip
sz=$(stat -c %s "$W/r2c/incr2/$I2LOG")
flip "$W/r2c/incr2/$I2LOG" $((sz - 2))
row "2. bit flip in the crc of the last record, no manifest" "$W/r2c/incr2/$I2LOG" "fails its crc32c" "$W/r2c/full" "$W/r2c/incr1" "$W/r2c/incr2"

# ---- 3. a flipped bit in a log header (inside the lineage id)
copy r3
flip "$W/r3/incr1/$I1MID" 40
row "3. log header bit flip" "$W/r3/incr1/$I1MID" "SHA-256 differs" "$W/r3/full" "$W/r3/incr1" "$W/r3/incr2"
copy r3b strip
flip "$W/r3b/incr1/$I1MID" 40
row "3. log header bit flip, no manifest" "$W/r3b/incr1/$I1MID" "not a valid log header" "$W/r3b/full" "$W/r3b/incr1" "$W/r3b/incr2"

# ---- 4. a missing generation in the middle
copy r4
rm "$W/r4/incr1/$I1MID"
row "4. missing generation" "$W/r4/incr1/$I1MID" "listed in manifest.json but missing" "$W/r4/full" "$W/r4/incr1" "$W/r4/incr2"
copy r4b strip
rm "$W/r4b/incr1/$I1MID"
row "4. missing generation, no manifest" "$W/r4b/incr1/$I1MID" "missing: the set holds generations" "$W/r4b/full" "$W/r4b/incr1" "$W/r4b/incr2"
copy r4c
row "4. missing incremental between the sets" "$W/r4c/incr2/DataBase/$(logname 2)" \
	"missing: the previous set ends at generation 00000001" "$W/r4c/full" "$W/r4c/incr2"

# ---- 5. a log from another CA (another lineage)
copy r5
cp "$W/other/$F1" "$W/r5/full/$F1"
row "5. log of another CA" "$W/r5/full/$F1" "changed after the backup" "$W/r5/full" "$W/r5/incr1" "$W/r5/incr2"
copy r5b strip
cp "$W/other/$F1" "$W/r5b/full/$F1"
row "5. log of another CA, no manifest" "$W/r5b/full/$F1" "a log of another CA or of another history: lineage" "$W/r5b/full" "$W/r5b/incr1" "$W/r5b/incr2"
copy r5c
cp -a "$W/other/manifest.json" "$W/r5c/incr2/manifest.json"
row "5. a manifest of another CA" "$W/r5c/incr2/manifest.json" "a backup of another CA: key id" "$W/r5c/full" "$W/r5c/incr1" "$W/r5c/incr2"

# ---- 6. a truncated log
copy r6
truncate -s -7 "$W/r6/incr2/$I2LOG"
row "6. truncated log" "$W/r6/incr2/$I2LOG" "manifest.json says" "$W/r6/full" "$W/r6/incr1" "$W/r6/incr2"
copy r6b strip
truncate -s -7 "$W/r6b/incr2/$I2LOG"
row "6. truncated log, no manifest" "$W/r6b/incr2/$I2LOG" "truncated:" "$W/r6b/full" "$W/r6b/incr1" "$W/r6b/incr2"

# ---- 7. manifest.json edited
copy r7
python3 - "$W/r7/incr1/manifest.json" <<'PY'
import json, sys
p = sys.argv[1]
d = json.load(open(p))
d["created"] = "2000-01-01T00:00:00Z"
open(p, "w").write(json.dumps(d, indent=2, sort_keys=True) + "\n")
PY
row "7. manifest edited" "$W/r7/incr1/manifest.json" "its own checksum (manifest_sha256) does not match" "$W/r7/full" "$W/r7/incr1" "$W/r7/incr2"
copy r7b
python3 - "$W/r7b/incr1/manifest.json" <<'PY'
import hashlib, json, sys
p = sys.argv[1]
d = json.load(open(p))
d["files"][0]["sha256"] = "0" * 64
d.pop("manifest_sha256")
canon = json.dumps(d, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
d["manifest_sha256"] = hashlib.sha256(canon.encode()).hexdigest()
open(p, "w").write(json.dumps(d, indent=2, sort_keys=True) + "\n")
PY
first=$(json_eval 'd["files"][0]["path"]' <"$W/r7b/incr1/manifest.json")
row "7. manifest edited with a fresh self checksum" "$W/r7b/incr1/$first" "SHA-256 differs" "$W/r7b/full" "$W/r7b/incr1" "$W/r7b/incr2"

# ---- 8. certbkxp.dat missing
copy r8
rm "$W/r8/full/DataBase/certbkxp.dat"
row "8. certbkxp.dat missing" "$W/r8/full/DataBase/certbkxp.dat" "listed in manifest.json but missing" "$W/r8/full" "$W/r8/incr1" "$W/r8/incr2"
copy r8b strip
rm "$W/r8b/full/DataBase/certbkxp.dat"
row "8. certbkxp.dat missing, no manifest" "$W/r8b/full/DataBase/certbkxp.dat" "missing: a full set needs the restore map" "$W/r8b/full" "$W/r8b/incr1" "$W/r8b/incr2"
copy r8c strip
truncate -s -1 "$W/r8c/full/DataBase/certbkxp.dat"
row "8. certbkxp.dat cut short, no manifest" "$W/r8c/full/DataBase/certbkxp.dat" "not a locations list" "$W/r8c/full" "$W/r8c/incr1" "$W/r8c/incr2"

# ---- 9. an incremental before its full
copy r9
row "9. incremental before its full" "$W/r9/incr1" "an incremental set (no database image) cannot come first" \
	"$W/r9/incr1" "$W/r9/full" "$W/r9/incr2"
# ... and a registration written that way keeps certsrvd down
cat >"$T/restore/restore.env" <<ENV
[restore]
format = 1
ended = 1
roll_forward = 1
until_time = 0
until_lsn = 0

[registration 1]
checkpoint = $T/logs
log_path = $T/logs
backup_log_path = $T/restore/logs
map_from =
map_to =
gen_low = $((16#${G1[0]}))
gen_high = $((16#${G1[-1]}))
complete = 1
status = 0
ENV
before=$(snapshot "$T")
out=$(timeout 20 "$CERTSRVD" --data-dir "$T" 2>&1)
st=$?
after=$(snapshot "$T")
[[ $st -ne 0 && $out == *"not a full backup"* && $out == *"certsrv restore"* ]]
tap_check "9. certsrvd refuses a registration whose first set is an incremental, and says what to do" $? "exit $st" "$out"
[[ $before == "$after" ]]
tap_check "9. ... and writes nothing" $? "$(diff <(echo "$before") <(echo "$after") | head)"
rm -f "$T/restore/restore.env"

# ---- 10. a registration left incomplete
out=$(cs "$T" restore "$W/good/full" "$W/good/incr1" "$W/good/incr2" --force 2>&1)
tap_check "10. a good restore registers" $? "$out"
# as if `certsrv restore` had died between Register and RegisterComplete
python3 - "$T/restore/restore.env" <<'PY'
import sys
p = sys.argv[1]
lines = open(p).read().split("\n")
last = max(i for i, l in enumerate(lines) if l.startswith("complete = "))
lines[last] = "complete = 0"
open(p, "w").write("\n".join(lines))
PY
before=$(snapshot "$T")
out=$(timeout 20 "$CERTSRVD" --data-dir "$T" 2>&1)
st=$?
after=$(snapshot "$T")
[[ $st -ne 0 && $out == *"incomplete"* && $out == *"never completed"* && $out == *"certsrv restore"* ]]
tap_check "10. certsrvd refuses to start on an incomplete registration and says what to do" $? "exit $st" "$out"
[[ $before == "$after" ]]
tap_check "10. ... and writes nothing" $? "$(diff <(echo "$before") <(echo "$after") | head)"
sed -i 's/^ended = 1/ended = 0/; s/^complete = 0/complete = 1/' "$T/restore/restore.env"
out=$(timeout 20 "$CERTSRVD" --data-dir "$T" 2>&1)
st=$?
[[ $st -ne 0 && $out == *"never ended"* ]]
tap_check "10. ... also when CertSrvRestoreEnd was never called" $? "exit $st" "$out"
out=$(cs "$T" restore "$W/good/full" "$W/good/incr1" "$W/good/incr2" --force 2>&1)
tap_check "10. running certsrv restore again replaces the broken registration" $? "$out"
daemon_start "$T" || tap_bail "certsrvd did not carry out the repaired restore"
cmp -s <(serials "$T") "$W/all"
tap_check "10. ... and the CA comes back with every certificate" $?
daemon_stop "$T"
tap_done
