#!/usr/bin/env bash
# 95-security.sh — the security matrix of docs/SECURITY.md, against a real
# certsrvd through raw frames (tests/helpers/rawframe.c), the CLI and
# libcertadm:
#   1. modes of the data directory, key and socket after init (even under
#      umask 000) and after start; a peer outside socket_group cannot connect;
#   2. every request type tried by a peer holding each role, no role, and
#      root: the allowed/denied table below (one TAP result per cell), the
#      roles taken from the kernel's group list of the peer;
#   3. path tricks: backup OpenFile, restore registration, backup and restore
#      directories holding symbolic links, getcert/view arguments;
#   4. malformed and oversized frames at every header field and every field
#      of every request type, split and trailing bytes; after each case the
#      daemon still serves, and at the end nothing acknowledged is lost.
# Peers other than root run as "nobody" with setpriv and chosen groups; the
# role groups are system groups nobody is not a member of in /etc/group.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_binaries
RAW="$B/tests/rawframe"
[[ -x $RAW ]] || tap_bail "$RAW missing (make builds it)"

W=$(mk_workdir 0755)

# Role groups: present, and without "nobody" as a listed member.
G_ENROLL=lp G_OFFICER=fax G_BACKUP=tape G_AUDITOR=games G_NONE=floppy
G_SOCK=nogroup
for g in $G_ENROLL $G_OFFICER $G_BACKUP $G_AUDITOR $G_NONE $G_SOCK; do
	getent group "$g" >/dev/null || tap_bail "group $g missing on this machine"
	[[ ",$(getent group "$g" | cut -d: -f4)," != *,nobody,* ]] ||
		tap_bail "nobody is a member of $g in the group database"
done
require_nobody "security matrix"

# as GROUP SUPPLEMENTARY CMD... — run CMD as nobody with that primary group
# and supplementary groups (comma list; "-" for none).
as() { as_peer nobody "$@"; }

# ------------------------------------------------------------------ modes
# mode_table DIR WHEN — every entry with the mode DESIGN section 3 and
# docs/SECURITY.md give it; nothing group- or world-writable.
mode_table() {
	local dir=$1 when=$2 rel want got bad
	for rel in ".:755" "ca:700" "ca/ca.key:600" "ca/ca.crt:644" \
		"db:750" "logs:750" "restore:700" "run:755" "certenroll:755" \
		"certsrv.conf:640"; do
		want=${rel##*:}
		rel=${rel%:*}
		got=$(file_mode "$dir/$rel" 2>&1)
		tap_is "$got" "$want" "$when: mode of $rel"
	done
	bad=$(find "$dir" -perm /022 ! -name daemon.log ! -type s ! -type l -printf '%m %p\n' 2>&1)
	tap_is "$bad" "" "$when: nothing in the data directory is group- or world-writable"
}

D="$TEST_TMP/ca-sec"
(umask 000 && ca_init "$D" >/dev/null 2>&1) || tap_bail "init failed"
mode_table "$D" "after init under umask 000"
# A group with a listed member (e.g. ssl-cert:postgres) joins the officer
# groups, to show that a peer which dropped it gets no role from it.
M_GROUP="" M_USER=""
IFS=: read -r M_GROUP _ _ M_USER < <(getent group | awk -F: '$4 != "" && $1 != "root" { print; exit }')
M_USER=${M_USER%%,*}
id "$M_USER" >/dev/null 2>&1 || M_GROUP="" M_USER=""
cat >>"$D/certsrv.conf" <<CONF

[access]
socket_group = $G_SOCK
enroll = $G_ENROLL
officer = $G_OFFICER${M_GROUP:+, $M_GROUP}
backup = $G_BACKUP
auditor = $G_AUDITOR
CONF
SOCK="$D/run/certsrvd.sock"
(umask 000 && daemon_start "$D") || tap_bail "certsrvd did not start"
mode_table "$D" "after start under umask 000"
tap_is "$(stat -c '%a %G' "$SOCK")" "660 $G_SOCK" "the socket is 0660, group socket_group"
tap_is "$(stat -c '%a' "$D/db/ca.db")" 644 "ca.db keeps its mode (inside the 0750 db/)"

# reach DESC GROUP SUPP WANT — one connection attempt: WANT is "OK" (a ping
# answered) or "CONNECT EACCES" (the kernel refused).
reach() {
	local out
	out=$(as "$2" "$3" "$RAW" "$SOCK" frame 1 1 end send recv 2>&1)
	[[ $out == "$4"* ]]
	tap_check "$1: $out" $? "want: $4"
}
reach "a peer outside socket_group cannot connect" "$G_NONE" - "CONNECT EACCES"
reach "a peer with a role group but outside socket_group cannot connect" "$G_OFFICER" - "CONNECT EACCES"
reach "a peer in socket_group (supplementary) may connect and ping" "$G_NONE" "$G_SOCK" "OK id=1"

# ------------------------------------------------------------- role matrix
# Each request type with a harmless probe (fields as rawframe steps) and the
# answer a peer allowed to make it gets; a denied peer gets ERR DENIED.
# Columns: enroll officer backup auditor none admin (root). Y allowed, N not.
NOSERIAL=7F0123456789ABCDEF0123456789ABCD
MATRIX=(
	"1|ping|-|OK|Y Y Y Y Y Y"
	"2|status|-|OK|N Y Y Y N Y"
	"3|submit (no CSR)|-|ERR status=PROTO|Y Y N N N Y"
	"4|issue|u64 3 999999|ERR status=NOTFOUND|N Y N N N Y"
	"5|deny|u64 3 999999|ERR status=NOTFOUND|N Y N N N Y"
	"6|revoke|str 4 $NOSERIAL|ERR status=NOTFOUND|N Y N N N Y"
	"7|unrevoke|str 4 $NOSERIAL|ERR status=NOTFOUND|N Y N N N Y"
	"8|crl publish|-|OK|N Y N N N Y"
	"9|view|-|OK|N Y N Y N Y"
	"10|getcert|str 4 $NOSERIAL|ERR status=NOTFOUND|Y Y N Y N Y"
	"11|shutdown|-|(admin: last)|N N N N N -"
	"20|backup prepare (no flags)|-|ERR status=INVALID|N N Y N N Y"
	"21|backup database names|-|ERR status=SEQUENCE|N N Y N N Y"
	"22|backup open|str 18 /x|ERR status=SEQUENCE|N N Y N N Y"
	"23|backup read|u32 20 1|ERR status=SEQUENCE|N N Y N N Y"
	"24|backup close|-|ERR status=SEQUENCE|N N Y N N Y"
	"25|backup logs|-|ERR status=SEQUENCE|N N Y N N Y"
	"26|backup truncate|-|ERR status=SEQUENCE|N N Y N N Y"
	"27|backup dynamic files|-|ERR status=SEQUENCE|N N Y N N Y"
	"28|backup end|-|ERR status=SEQUENCE|N N Y N N Y"
	"29|restore locations|-|ERR status=SEQUENCE|N N Y N N Y"
)
PEERS=(enroll officer backup auditor none admin)
declare -A PEER_GROUP=([enroll]=$G_ENROLL [officer]=$G_OFFICER [backup]=$G_BACKUP
	[auditor]=$G_AUDITOR [none]=$G_NONE)

# ask PEER STEP... — rawframe as that peer (admin: root); prints its output.
ask() {
	local p=$1
	shift
	if [[ $p == admin ]]; then
		timeout "$CLI_TIMEOUT" "$RAW" "$SOCK" "$@" 2>&1
	else
		as "${PEER_GROUP[$p]}" "$G_SOCK" "$RAW" "$SOCK" "$@" 2>&1
	fi
}

for row in "${MATRIX[@]}"; do
	IFS='|' read -r type name probe allowed cells <<<"$row"
	read -ra cell <<<"$cells"
	for i in "${!PEERS[@]}"; do
		peer=${PEERS[$i]}
		[[ ${cell[$i]} == - ]] && continue
		if [[ ${cell[$i]} == Y ]]; then want="$allowed"; else want="ERR status=DENIED"; fi
		set --
		# shellcheck disable=SC2086 # the probe is a list of rawframe steps
		[[ $probe == - ]] || set -- $probe
		out=$(ask "$peer" frame "$type" 77 "$@" end send recv)
		if [[ $want == OK ]]; then
			[[ $out == "OK id=77"* ]]
		else
			[[ $out == "${want/ERR /ERR id=77 } "* ]]
		fi
		tap_check "matrix: $peer ${name} (type $type) -> ${cell[$i]}: $out" $? "want: $want"
	done
done

# The roles come from the peer's groups as the kernel reports them, primary
# and supplementary (docs/config.md), not from the group database: a group
# added to the process grants its role, one dropped from it grants nothing.
out=$(as "$G_NONE" "$G_SOCK,$G_OFFICER" "$RAW" "$SOCK" frame 9 1 end send recv 2>&1)
[[ $out == "OK id=1"* ]]
tap_check "a supplementary group of the peer grants its role (officer: view): $out" $?
if [[ -n $M_GROUP ]]; then
	out=$(as_peer "$M_USER" "$(id -g "$M_USER")" "$G_SOCK" "$RAW" "$SOCK" frame 9 1 end send recv 2>&1)
	[[ $out == "ERR id=1 status=DENIED "* ]]
	tap_check "a group the peer dropped ($M_USER without $M_GROUP, an officer group) grants nothing: $out" $?
else
	tap_skip "a group dropped by the peer grants nothing" "no group with listed members here"
fi

# enroll (own): the certificate of one's own request, not another's.
gen_csr "$W/own.csr" own.example own.example
chmod 0644 "$W/own.csr" "$W/own.csr.key"
out=$(as "$G_ENROLL" "$G_SOCK" "$CERTSRV" --data-dir "$D" submit "$W/own.csr" 2>&1)
parse_request_line "$out"
OWN_SERIAL=$SERIAL
[[ -n $OWN_SERIAL ]] || tap_bail "the enroll peer cannot submit: $out"
submit "$D" "$W/own.csr"
ROOT_SERIAL=$SERIAL
[[ -n $ROOT_SERIAL ]] || tap_bail "root cannot submit: $SUBMIT_OUT"
out=$(ask enroll frame 10 1 str 4 "$OWN_SERIAL" end send recv)
[[ $out == "OK id=1 8="* ]]
tap_check "matrix: enroll getcert of its own certificate -> Y: $out" $?
out=$(ask enroll frame 10 1 str 4 "$ROOT_SERIAL" end send recv)
[[ $out == "ERR id=1 status=DENIED "* ]]
tap_check "matrix: enroll getcert of another user's certificate -> N: $out" $?
out=$(ask auditor frame 10 1 str 4 "$ROOT_SERIAL" end send recv)
[[ $out == "OK id=1 8="* ]]
tap_check "matrix: auditor getcert of anyone's certificate -> Y: $out" $?

ACKED=("$OWN_SERIAL" "$ROOT_SERIAL")

# alive DESC — a fresh connection still gets its ping answered.
alive() {
	local out
	out=$("$RAW" "$SOCK" frame 1 4242 end send recv 2>&1)
	[[ $out == "OK id=4242"* ]]
	tap_check "the daemon still serves after: $1" $? "$out" "$(tail -3 "$D/daemon.log")"
}

# ------------------------------------------------- backup OpenFile tricks
# A backup peer's session lists ca.db; OpenFile of anything but the listed
# path, byte for byte, is refused (DESIGN section 5) and the session stays
# usable. Links planted in db/ and logs/ (by root, for the test) change
# nothing: they are never listed.
ln -s ../ca/ca.key "$D/logs/evil.log"
ln -s /etc/shadow "$D/db/shadow.db"
ln -s "$D/ca/ca.key" "$D/db/key.db"
DB="$D/db/ca.db"
LONG="$D/db/$(printf 'x%.0s' $(seq 1 5000))"
TRICKS=(
	"$D/db/../db/ca.db" "$D/db//ca.db" "$D//db/ca.db" "$D/db/./ca.db"
	"$D/db/ca.db/" "db/ca.db" "ca.db" "$D/ca/ca.key" "$D/db/../ca/ca.key"
	"/etc/shadow" "/etc/passwd" "$DB/../../ca/ca.key" "../../../../etc/shadow"
	"$D/logs/evil.log" "$D/db/shadow.db" "$D/db/key.db" "$D/certsrv.conf"
	"$D/ca/ca.crt" "$D/logs/ca00000001.log" "$D/logs" "/"
)
steps=(frame 20 1 u32 15 1 end send recv frame 21 2 end send recv)
for i in "${!TRICKS[@]}"; do
	steps+=(frame 22 $((100 + i)) str 18 "${TRICKS[$i]}" end send recv)
done
# embedded NUL: the listed path, a NUL, then the key's path
nul=$(printf '%s' "$DB" | od -An -tx1 | tr -d ' \n')00$(printf '%s' "$D/ca/ca.key" | od -An -tx1 | tr -d ' \n')
steps+=(frame 22 200 hex 18 "$nul" end send recv)
steps+=(frame 22 201 str 18 "" end send recv)
steps+=(frame 22 204 str 18 "$LONG" end send recv)
steps+=(frame 22 202 fill 18 70000 end send recv)
steps+=(frame 22 203 end send recv)
steps+=(frame 22 300 str 18 "$DB" end send recv frame 23 301 u32 20 4096 end send recv)
steps+=(frame 24 302 end send recv frame 28 303 end send recv)
mapfile -t lines < <(ask backup "${steps[@]}")
[[ ${lines[0]} == "OK id=1"* && ${lines[1]} == "OK id=2 17="* ]]
tap_check "backup peer: Prepare(FULL) and GetDatabaseNames" $? "${lines[@]:0:2}"
for i in "${!TRICKS[@]}"; do
	l=${lines[$((2 + i))]}
	[[ $l == "ERR id=$((100 + i)) status=NOTFOUND "* ]]
	tap_check "OpenFile ${TRICKS[$i]:0:80}: refused: ${l:0:160}" $?
done
n=$((2 + ${#TRICKS[@]}))
for what in "an embedded NUL after the listed path" "an empty path" "a 5000-byte path" \
	"a 70000-byte path" "no path field"; do
	l=${lines[$n]}
	[[ $l == "ERR id=2"[0-9][0-9]" status=INVALID "* || $l == "ERR id=2"[0-9][0-9]" status=NOTFOUND "* ]]
	tap_check "OpenFile with $what: refused: ${l:0:120}" $?
	n=$((n + 1))
done
[[ ${lines[$n]} == "OK id=300 19=8 size=$(stat -c %s "$DB")" && ${lines[$((n + 1))]} == "OK id=301 21=4096" ]]
tap_check "after every refusal the listed ca.db still opens and reads" $? "${lines[@]:$n:2}"
[[ ${lines[$((n + 2))]} == "OK id=302" && ${lines[$((n + 3))]} == "OK id=303" ]]
tap_check "the session closes and ends normally" $? "${lines[@]:$((n + 2))}"
rm -f "$D/logs/evil.log" "$D/db/shadow.db" "$D/db/key.db"
alive "OpenFile path tricks"

# A listed log generation swapped for a symbolic link to the key (or for
# another file) after GetBackupLogs checked it is refused, never streamed.
GEN1="$D/logs/ca00000001.log"
mapfile -t lines < <(ask admin frame 20 1 u32 15 1 end send recv frame 25 2 end send recv \
	sh "mv '$GEN1' '$W/gen1.keep' && ln -s ../ca/ca.key '$GEN1'" \
	frame 22 3 str 18 "$GEN1" end send recv frame 23 4 u32 20 4096 end send recv \
	sh "rm '$GEN1' && cp -p '$W/gen1.keep' '$GEN1'" \
	frame 22 5 str 18 "$GEN1" end send recv \
	sh "rm '$GEN1' && mv '$W/gen1.keep' '$GEN1'" \
	frame 28 6 end send recv)
[[ ${lines[1]} == "OK id=2 17="* ]]
tap_check "GetBackupLogs lists the closed generation" $? "${lines[1]}"
[[ ${lines[2]} == "ERR id=3 status=CORRUPT "* && ${lines[3]} == "ERR id=4 status=SEQUENCE "* ]]
tap_check "a listed log replaced by a link to ca.key is refused, nothing read: ${lines[2]:0:140}" $? "${lines[@]:2:2}"
[[ ${lines[4]} == "ERR id=5 status=CORRUPT "* ]]
tap_check "a listed log replaced by a copy (another inode) is refused: ${lines[4]:0:140}" $? "${lines[4]}"
alive "a swapped log generation"
out=$(cs "$D" backup "$W/after-swap" 2>&1)
tap_check "a full backup works after the swapped-log session" $? "$out"
if grep -rqF -- "$(sed -n 2p "$D/ca/ca.key")" "$W/after-swap"; then
	tap_fail "the backup set holds no byte of the private key"
else
	tap_ok "the backup set holds no byte of the private key"
fi


# ------------------------------------------------------ malformed frames
# frame_case DESC WANT STEP... — one connection; its reply lines, joined
# with " ; ", must match the glob WANT; then a fresh connection is served.
frame_case() {
	local desc=$1 want=$2 out
	shift 2
	out=$("$RAW" "$SOCK" "$@" 2>&1 | cut -c1-100 | paste -sd';' | sed 's/;/ ; /g')
	# shellcheck disable=SC2053 # WANT is a glob on purpose
	[[ $out == $want ]]
	tap_check "frame: $desc: $out" $? "want: $want"
	alive "$desc"
}
PING2=(frame 1 2 end send recv)
M=0x43535256
CLOSE="ERR id=0 status=PROTO * ; EOF"
frame_case "bad magic" "$CLOSE" hdr 0x12345678 1 1 1 0 send recv recv
frame_case "magic with its bytes swapped" "$CLOSE" hdr 0x56525343 1 1 1 0 send recv recv
frame_case "version 0" "$CLOSE" hdr $M 0 1 1 0 send recv recv
frame_case "version 2" "$CLOSE" hdr $M 2 1 1 0 send recv recv
frame_case "version 0xFFFF" "$CLOSE" hdr $M 0xFFFF 1 1 0 send recv recv
for t in 0 12 19 30 0x7FFF 0x8000 0x8001 0xFFFF; do
	frame_case "type $t: unknown, the connection stays open" \
		"ERR id=1 status=UNKNOWN_TYPE * ; OK id=2" frame $t 1 end send recv "${PING2[@]}"
done
frame_case "request id 0 is echoed" "OK id=0" frame 1 0 end send recv
frame_case "request id 0xFFFFFFFF is echoed" "OK id=4294967295" frame 1 0xFFFFFFFF end send recv
frame_case "payload length 0 on a request that needs fields" \
	"ERR id=1 status=PROTO * ; OK id=2" frame 3 1 end send recv "${PING2[@]}"
frame_case "payload of exactly the maximum (16 MiB) junk CSR" \
	"ERR id=1 status=* ; OK id=2" frame 3 1 fill 1 16777210 end send recv "${PING2[@]}"
frame_case "payload length maximum + 1" "ERR id=0 status=TOOBIG * ; EOF" \
	hdr $M 1 3 1 16777217 send recv recv
frame_case "payload length 0xFFFFFFFF" "ERR id=0 status=TOOBIG * ; EOF" \
	hdr $M 1 3 1 0xFFFFFFFF send recv recv
frame_case "payload length larger than what is sent, then end of input" "EOF" \
	frame 9 1 u32 12 0 end 100 send shut recv
frame_case "payload length smaller than its field" "$CLOSE" \
	frame 9 1 u32 12 0 end 5 send recv recv
frame_case "payload length cutting at a field boundary (the rest is not a header)" \
	"ERR id=1 status=NOTFOUND * ; EOF" \
	frame 6 1 str 4 $NOSERIAL u32 5 1 end 38 send shut recv recv
frame_case "a payload ending in half a field header" "$CLOSE" \
	frame 9 1 u32 12 0 raw 000c00 end send recv recv
frame_case "a truncated header, then end of input" "EOF" raw 4353525600 send shut recv
frame_case "a truncated payload, then end of input" "EOF" \
	frame 3 1 fill 1 100 end 300 send shut recv
frame_case "garbage after a valid frame" "OK id=1 ; $CLOSE" \
	frame 1 1 end raw "$(printf 'de%.0s' $(seq 1 32))" send recv recv recv
frame_case "two frames in one write" "OK id=1 ; OK id=2" frame 1 1 end frame 1 2 end send recv recv
frame_case "an unknown field tag is ignored" "OK id=1" frame 1 1 u32 999 5 end send recv

# a real CSR, its frame written 1 byte and then 7 bytes at a time
gen_csr "$W/split.csr" split.example split.example
CSRHEX=$(openssl req -in "$W/split.csr" -outform DER | od -An -tx1 | tr -d ' \n')
for piece in 1 7; do
	out=$("$RAW" "$SOCK" frame 3 1 hex 1 "$CSRHEX" end split $piece recv 2>&1)
	[[ $out =~ ^OK\ id=1\ .*serial=([0-9A-F]+) ]]
	tap_check "frame: a SUBMIT written in $piece-byte pieces is issued: ${out:0:100}" $? "$out"
	ACKED+=("${BASH_REMATCH[1]}")
done

# Every length-prefixed field of every request type: claiming bytes beyond
# the frame (the frame is malformed: error, closed), empty, 1 MiB, and for
# integers 3 bytes wide and 9 bytes wide. Context: other fields the request
# needs, and steps that open a backup session for the backup requests.
PREP="frame 20 90 u32 15 1 end send recv frame 21 91 end send recv"
OPENDB="$PREP frame 22 92 str 18 $DB end send recv"
FIELDS=(
	"3|1|bytes|-|-" "3|2|str|-|str 1 x" "4|3|int|-|-" "5|3|int|-|-"
	"6|4|str|-|-" "6|5|int|-|str 4 $NOSERIAL" "6|6|int|-|str 4 $NOSERIAL"
	"7|4|str|-|-" "9|12|int|-|-" "10|3|int|-|-" "10|4|str|-|-"
	"20|15|int|-|-" "20|16|int|-|u32 15 1" "22|18|str|$PREP|-" "23|20|int|$OPENDB|-"
)
for f in "${FIELDS[@]}"; do
	IFS='|' read -r t tag kind pre other <<<"$f"
	pre_steps=() other_steps=()
	[[ $pre != - ]] && read -ra pre_steps <<<"$pre"
	[[ $other != - ]] && read -ra other_steps <<<"$other"
	np=$(("${#pre_steps[@]}" > 0 ? ("${#pre_steps[@]}" / 8) : 0))
	skip=""
	for ((k = 0; k < np; k++)); do skip+="OK * ; "; done
	frame_case "type $t field $tag beyond the frame" "${skip}$CLOSE" \
		"${pre_steps[@]}" frame "$t" 1 "${other_steps[@]}" field "$tag" 1000 raw 0102 end send recv recv
	cases=("empty|field $tag 0" "1 MiB|fill $tag 1048576")
	[[ $kind == int ]] && cases+=("3 bytes wide|hex $tag 010203" "9 bytes wide|hex $tag 010203040506070809")
	[[ $kind == str ]] && cases+=("with a NUL byte|hex $tag 41004142")
	for c in "${cases[@]}"; do
		read -ra fs <<<"${c#*|}"
		frame_case "type $t field $tag ${c%%|*}: an error, the connection stays open" \
			"${skip}ERR id=1 status=* ; OK id=2" \
			"${pre_steps[@]}" frame "$t" 1 "${other_steps[@]}" "${fs[@]}" end send recv "${PING2[@]}"
	done
done

# Values out of range in well-formed fields.
VALUES=(
	"issue request id 0|frame 4 1 u64 3 0"
	"issue request id 2^63|frame 4 1 u64 3 0x8000000000000000"
	"deny request id 2^64-1|frame 5 1 u64 3 0xFFFFFFFFFFFFFFFF"
	"revoke reason 7 (unused)|frame 6 1 str 4 $NOSERIAL u32 5 7"
	"revoke reason 8 (removeFromCRL)|frame 6 1 str 4 $NOSERIAL u32 5 8"
	"revoke reason 0xFFFFFFFF|frame 6 1 str 4 $NOSERIAL u32 5 0xFFFFFFFF"
	"revoke date 2^64-1|frame 6 1 str 4 $NOSERIAL u64 6 0xFFFFFFFFFFFFFFFF"
	"revoke serial of 129 hex digits|frame 6 1 str 4 $(printf '7%.0s' $(seq 1 129))"
	"revoke serial that is not hex|frame 6 1 str 4 ../../etc"
	"view filter 6|frame 9 1 u32 12 6"
	"view filter 0xFFFFFFFF|frame 9 1 u32 12 0xFFFFFFFF"
	"getcert request id 2^64-1|frame 10 1 u64 3 0xFFFFFFFFFFFFFFFF"
	"getcert serial with a path in it|frame 10 1 str 4 ../../ca/ca.key"
	"getcert serial with '%s%n'|frame 10 1 str 4 %s%n%s%n"
	"submit profile '../../etc/passwd'|frame 3 1 str 1 x str 2 ../../etc/passwd"
	"backup prepare flags 0|frame 20 1 u32 15 0"
	"backup prepare flags 3|frame 20 1 u32 15 3"
	"backup prepare flags 0xFFFFFFFF|frame 20 1 u32 15 0xFFFFFFFF"
	"backup prepare grbit 1|frame 20 1 u32 15 1 u32 16 1"
	"backup read length 0|$OPENDB frame 23 1 u32 20 0"
	"backup read length 4 MiB + 1|$OPENDB frame 23 1 u32 20 4194305"
	"backup read length 0xFFFFFFFF|$OPENDB frame 23 1 u32 20 0xFFFFFFFF"
)
for v in "${VALUES[@]}"; do
	read -ra vs <<<"${v#*|}"
	skip=""
	[[ ${v#*|} == "$OPENDB"* ]] && skip="OK * ; OK * ; OK * ; "
	frame_case "${v%%|*}: refused" "${skip}ERR id=1 status=* ; OK id=2" \
		"${vs[@]}" end send recv "${PING2[@]}"
done


# ------------------------------------ backup and restore directories
# A backup set from elsewhere is not trusted: symbolic links inside it are
# never followed out of it, and restore writes nothing outside the data
# directory. A target of `certsrv backup --force` whose DataBase/ or Dynamic/
# is a link to elsewhere: the link goes, what it pointed to stays.
R=$(mk_ca) || tap_bail "init failed"
daemon_start "$R" || tap_bail "certsrvd did not start on $R"
submit "$R" "$W/own.csr"
cs "$R" backup "$W/rset" >/dev/null 2>&1 || tap_bail "backup of $R failed"
mkdir -p "$W/outside"
echo keep >"$W/outside/ca.db"
echo keep >"$W/outside/manifest.json"
snap_outside() { find "$W/outside" -printf '%p %s %T@\n' | sort | sha256sum; }
before=$(snap_outside)
for sub in DataBase Dynamic; do
	mkdir -p "$W/t-$sub"
	ln -s "$W/outside" "$W/t-$sub/$sub"
	out=$(cs "$R" backup "$W/t-$sub" --force 2>&1)
	st=$?
	[[ $st -eq 0 && ! -L $W/t-$sub/$sub && $(snap_outside) == "$before" ]]
	tap_check "backup --force into a target whose $sub is a link elsewhere: the link is replaced, nothing outside touched" $? "exit $st" "$out"
done
daemon_stop "$R"
cp "$W/outside/ca.db" "$W/outside.db.keep"
cp "$W/rset/DataBase/ca.db" "$W/outside/real.db"
before=$(snap_outside)
conf_before=$(sha256sum <"$R/certsrv.conf")
db_before=$(sha256sum <"$R/db/ca.db")
# restore_trick DESC FILE TARGET [nomanifest] — a copy of the set with FILE
# replaced by a link to TARGET must be refused, the data directory unchanged.
restore_trick() {
	local desc=$1 f=$2 t=$3 set="$W/trick.$RANDOM" out st
	cp -a "$W/rset" "$set"
	[[ ${4:-} == nomanifest ]] && rm -f "$set/manifest.json"
	rm -f "$set/$f"
	ln -s "$t" "$set/$f"
	out=$(cs "$R" restore "$set" --force 2>&1)
	st=$?
	[[ $st -ne 0 && $out == *"not a regular file"* && ! -e $R/restore/restore.env &&
		$(sha256sum <"$R/db/ca.db") == "$db_before" && $(snap_outside) == "$before" ]]
	tap_check "restore refuses a set whose $desc (exit $st): $(tail -n 2 <<<"$out" | head -n 1)" $? "$out"
}
LOG1=$(cd "$W/rset" && find DataBase -name 'ca*.log' | sort | head -n 1)
restore_trick "DataBase/ca.db is a link to /etc/passwd" DataBase/ca.db /etc/passwd
restore_trick "DataBase/ca.db is a link to a valid image outside it" DataBase/ca.db "$W/outside/real.db"
restore_trick "DataBase/ca.db is a link outside it (no manifest)" DataBase/ca.db "$W/outside/real.db" nomanifest
cp "$W/rset/$LOG1" "$W/outside/log.copy"
before=$(snap_outside)
restore_trick "$LOG1 is a link outside it (no manifest)" "$LOG1" "$W/outside/log.copy" nomanifest
restore_trick "certbkxp.dat is a link outside it (no manifest)" DataBase/certbkxp.dat /etc/passwd nomanifest
# Dynamic files that are links are skipped, never copied into the data dir.
set="$W/trick.dyn"
cp -a "$W/rset" "$set"
rm -f "$set/manifest.json" "$set/Dynamic/certsrv.conf"
ln -s /etc/shadow "$set/Dynamic/certsrv.conf"
out=$(cs "$R" restore "$set" --force 2>&1)
st=$?
[[ $(sha256sum <"$R/certsrv.conf") == "$conf_before" ]]
tap_check "restore never copies a Dynamic/ link's target (/etc/shadow) into the data directory (exit $st)" $? "$out"
rm -f "$R/restore/restore.env"
rm -rf "$R/restore/logs"

# Restore registration through libcertadm: the restore map must name
# DATADIR/db/ca.db (a link elsewhere, ../ and paths outside are refused);
# relative paths are refused; nothing is written outside the data dir.
LIBC="$B/libcertadm.so.1"
mkdir -p "$W/elsewhere"
ln -s "$W/elsewhere" "$R/dblink"
# An ASan-built library needs the ASan runtime loaded first (python3 is not
# built with it); leaks of the interpreter itself are not ours to report.
PY_ENV=()
if asan_rt=$(asan_runtime "$LIBC") && [[ -n $asan_rt ]]; then
	PY_ENV=(env LD_PRELOAD="$asan_rt" ASAN_OPTIONS=detect_leaks=0)
fi
reg() {
	"${PY_ENV[@]}" python3 - "$LIBC" "$R" "$@" <<'PY'
import ctypes, sys
lib = ctypes.CDLL(sys.argv[1])
class MAP(ctypes.Structure):
    _fields_ = [("f", ctypes.c_char_p), ("t", ctypes.c_char_p)]
h = ctypes.c_void_p()
hr = lib.CertSrvRestorePrepare(sys.argv[2].encode(), 1, ctypes.byref(h)) & 0xFFFFFFFF
if hr:
    print("prepare 0x%08X" % hr); sys.exit(1)
a = [x.encode() if x != "-" else None for x in sys.argv[3:7]]
m = MAP(b"/old/db/ca.db", a[2])
hr = lib.CertSrvRestoreRegister(h, a[0], a[1], ctypes.byref(m), 1, a[3], 1, 1) & 0xFFFFFFFF
print("0x%08X" % hr)
lib.CertSrvRestoreEnd(h)
PY
}
REGS=(
	"map to a directory outside|- - $W/elsewhere/ca.db -"
	"map through a link in the data dir to outside|- - $R/dblink/ca.db -"
	"map with ../ leaving the data dir|- - $R/db/../../$(basename "$W")/ca.db -"
	"map to the key|- - $R/ca/ca.key -"
	"relative map|- - db/ca.db -"
	"relative checkpoint path|logs - $R/db/ca.db -"
	"relative log path|- logs $R/db/ca.db -"
	"relative backup-log path|- - $R/db/ca.db restore/logs"
)
for r in "${REGS[@]}"; do
	read -ra a <<<"${r#*|}"
	out=$(reg "${a[@]}" 2>&1)
	[[ $out == 0x80070057 && ! -e $R/restore/restore.env && -z $(ls -A "$W/elsewhere") ]]
	tap_check "RestoreRegister, ${r%%|*}: E_INVALIDARG, nothing written ($out)" $? "$out"
done
rm -f "$R/dblink"

# ------------------------------------------------------------- the end
# Nothing acknowledged was lost: every serial issued during the test is
# there; the admin may shut the daemon down (the last matrix cell).
for s in "${ACKED[@]}"; do
	out=$(cs "$D" getcert "$s" 2>&1)
	[[ $out == *"BEGIN CERTIFICATE"* ]]
	tap_check "acknowledged serial $s is still there" $? "$out"
done
out=$("$RAW" "$SOCK" frame 11 5 end send recv 2>&1)
[[ $out == "OK id=5" ]]
tap_check "matrix: admin shutdown (type 11) -> Y: $out" $?
wait_exit "$(daemon_pid "$D")" 10 && DAEMON_PID[$D]=""
tap_is "${DAEMON_EXIT:-?}" 0 "certsrvd stopped cleanly after the admin's shutdown"
tap_integrity "$D" "after the admin's shutdown"
tap_log_chain "$D" "after the admin's shutdown"

tap_done
