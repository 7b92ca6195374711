#!/usr/bin/env bash
# 40-bad-input.sh — bad input and hostile peers: malformed, truncated and
# forged CSRs, unknown and forbidden profiles, garbage and oversized protocol
# frames, an unknown message type, clients that vanish mid-request, idle
# connections, peers without the needed role, bad configuration. Each must
# get a clear error while the daemon stays up and loses nothing.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_binaries

D=$(mk_datadir)
W="$TEST_TMP/work"
mkdir -p "$W"
chmod 0755 "$W"
ca_init "$D" >/dev/null 2>&1 || tap_bail "certsrv init failed"
SOCK="$D/run/certsrvd.sock"

# A group that exists and that "nobody" is not in, for a restricted profile.
RESTRICT_GROUP=users
getent group "$RESTRICT_GROUP" >/dev/null || RESTRICT_GROUP=root

# --- configuration errors are refused at start, with the key named
cp "$D/certsrv.conf" "$W/certsrv.conf.orig"
printf '\n[store]\ncirculr_logging = true\n' >>"$D/certsrv.conf"
out=$(timeout 15 "$CERTSRVD" --data-dir "$D" </dev/null 2>&1)
st=$?
if [[ $st -ne 0 && $st -ne 124 && $out == *circulr_logging* ]]; then
	tap_ok "certsrvd refuses an unknown configuration key and names it"
else
	tap_fail "certsrvd refuses an unknown configuration key and names it" "exit $st" "$out"
fi
cp "$W/certsrv.conf.orig" "$D/certsrv.conf"
printf '\n[profile tls-client]\nenroll_groups = no-such-group-%s\n' "$$" >>"$D/certsrv.conf"
out=$(timeout 15 "$CERTSRVD" --data-dir "$D" </dev/null 2>&1)
st=$?
if [[ $st -ne 0 && $st -ne 124 && $out == *no-such-group* ]]; then
	tap_ok "certsrvd refuses an unknown group name and names it"
else
	tap_fail "certsrvd refuses an unknown group name and names it" "exit $st" "$out"
fi

# --- the configuration used for the rest of the test
cp "$W/certsrv.conf.orig" "$D/certsrv.conf"
python3 - "$D/certsrv.conf" <<'EOF'
import re, sys
p = sys.argv[1]
s = open(p).read()
s = re.sub(r'(?m)^[;#]?[ \t]*socket_group[ \t]*=.*$', 'socket_group = nogroup', s)
s = re.sub(r'(?m)^[;#]?[ \t]*enroll[ \t]*=.*$', 'enroll = nogroup', s)
open(p, 'w').write(s)
EOF
printf '\n[profile tls-client]\nenroll_groups = %s\n' "$RESTRICT_GROUP" >>"$D/certsrv.conf"
grep -q '^socket_group = nogroup' "$D/certsrv.conf" || printf '\n[access]\nsocket_group = nogroup\nenroll = nogroup\n' >>"$D/certsrv.conf"
# "nobody" must be able to reach the socket: traverse the data directory.
chmod o+x "$D"

if daemon_start "$D" 2>"$W/start.err"; then
	tap_ok "certsrvd starts with socket_group/enroll/enroll_groups configured"
else
	tap_fail "certsrvd starts with socket_group/enroll/enroll_groups configured" "$(cat "$W/start.err")" "$(cat "$D/certsrv.conf")"
	tap_done
fi

# Baseline: one issued certificate that must survive everything below.
gen_csr "$W/base.csr" base.example base.example
submit "$D" "$W/base.csr" -o "$W/base.pem"
BASE_SERIAL=$SERIAL
[[ $DISPOSITION == issued ]] || tap_bail "cannot issue the baseline certificate: $SUBMIT_OUT"

# still_fine DESC — the daemon answers and the baseline certificate is intact.
still_fine() {
	local o
	if ! o=$(cs "$D" status 2>&1); then
		tap_fail "daemon still answers after $1" "$o" "$(tail -5 "$D/daemon.log")"
		return
	fi
	if cmp -s <(cs "$D" getcert "$BASE_SERIAL" 2>/dev/null | openssl x509 -outform DER 2>/dev/null) <(to_der "$W/base.pem"); then
		tap_ok "daemon still answers and the issued certificate is intact after $1"
	else
		tap_fail "daemon still answers and the issued certificate is intact after $1" "getcert $BASE_SERIAL differs or failed"
	fi
}

# bad_submit DESC FILE [submit args] — submit must fail with certsrv: submit: ...
bad_submit() {
	local desc=$1 f=$2 o s
	shift 2
	o=$(cs "$D" submit "$f" "$@" 2>&1)
	s=$?
	if [[ $s -ne 0 && $s -ne 124 && $o == "certsrv: submit: "* ]]; then
		tap_ok "$desc: rejected (exit $s): ${o#certsrv: submit: }"
	else
		tap_fail "$desc: rejected with a clear message" "exit $s" "$o"
	fi
	still_fine "$desc"
}

# --- bad CSRs
printf -- '-----BEGIN CERTIFICATE REQUEST-----\nTUlJQmhqQ0NBUzBDQVFBd0dERVdNQlFHQTFVRUF3d05ZUzVsZUdGdGNHeGxMbU52\nbQ==\n-----END CERTIFICATE REQUEST-----\n' >"$W/malformed.pem"
bad_submit "malformed PEM CSR" "$W/malformed.pem"
head -c 700 /dev/urandom >"$W/garbage.bin"
bad_submit "random bytes as a CSR" "$W/garbage.bin"
: >"$W/empty.csr"
bad_submit "empty CSR file" "$W/empty.csr"

gen_csr "$W/t.csr" trunc.example trunc.example
openssl req -in "$W/t.csr" -outform DER -out "$W/t.der"
size=$(stat -c %s "$W/t.der")
head -c $((size / 2)) "$W/t.der" >"$W/truncated.der"
bad_submit "truncated DER CSR" "$W/truncated.der"
head -c $((size - 1)) "$W/t.der" >"$W/short1.der"
bad_submit "DER CSR missing its last byte" "$W/short1.der"
{
	cat "$W/t.der"
	printf 'X'
} >"$W/trailing.der"
bad_submit "DER CSR with a trailing byte" "$W/trailing.der"

# Forged: flip a bit in the last byte of the DER (inside the signature).
python3 - "$W/t.der" "$W/flipped.der" <<'EOF'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
b[-2] ^= 0x01
open(sys.argv[2], 'wb').write(bytes(b))
EOF
# (openssl 3.0 `req -verify` exits 0 either way: look at what it says)
if openssl req -in "$W/flipped.der" -inform DER -noout -verify 2>&1 | grep -qi 'verify OK'; then
	tap_fail "test setup: the flipped CSR must not verify with openssl"
else
	tap_ok "test setup: openssl rejects the flipped CSR signature"
fi
bad_submit "CSR with a flipped signature byte" "$W/flipped.der"
openssl req -in "$W/flipped.der" -inform DER -out "$W/flipped.pem" 2>/dev/null
bad_submit "PEM CSR with a flipped signature byte" "$W/flipped.pem"
bad_submit "a certificate instead of a CSR" "$W/base.pem"

# --- profiles
gen_csr "$W/p.csr" prof.example prof.example
bad_submit "unknown profile" "$W/p.csr" --profile no-such-profile
bad_submit "empty profile name" "$W/p.csr" --profile ""

# --- raw protocol abuse (python3, AF_UNIX)
cat >"$W/raw.py" <<'EOF'
# raw.py SOCKET CASE — one protocol abuse case; prints what happened.
# Exit 0 when the daemon behaved (error reply or closed connection).
import os, socket, struct, sys, time

MAGIC, VERSION = 0x43535256, 1
REPLY_OK, REPLY_ERR = 0x8000, 0x8001
path, case = sys.argv[1], sys.argv[2]

def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    return s

def hdr(typ, rid, length, magic=MAGIC, version=VERSION):
    return struct.pack('>IHHII', magic, version, typ, rid, length)

def read_reply(s):
    """Return (type, rid, payload) or None on EOF/reset."""
    buf = b''
    try:
        while len(buf) < 16:
            c = s.recv(16 - len(buf))
            if not c:
                return None
            buf += c
        magic, ver, typ, rid, ln = struct.unpack('>IHHII', buf)
        payload = b''
        while len(payload) < ln:
            c = s.recv(min(65536, ln - len(payload)))
            if not c:
                return None
            payload += c
        return typ, rid, payload
    except (ConnectionResetError, BrokenPipeError):
        return None

def message(payload):
    i, out = 0, ''
    while i + 6 <= len(payload):
        tag, ln = struct.unpack('>HI', payload[i:i+6])
        if tag == 11:
            out = payload[i+6:i+6+ln].decode('utf-8', 'replace')
        i += 6 + ln
    return out

def closed_or_error(s):
    r = read_reply(s)
    if r is None:
        print('connection closed'); return 0
    typ, rid, payload = r
    if typ == REPLY_ERR:
        print('error reply: %s' % message(payload)); return 0
    print('unexpected reply type 0x%x' % typ); return 1

s = conn()
try:
    if case == 'ping':
        s.sendall(hdr(1, 7, 0))
        r = read_reply(s)
        ok = r is not None and r[0] == REPLY_OK and r[1] == 7
        print('ping reply', r and hex(r[0])); sys.exit(0 if ok else 1)
    elif case == 'garbage':
        s.sendall(os.urandom(4096)); s.shutdown(socket.SHUT_WR)
        sys.exit(closed_or_error(s))
    elif case == 'oversized':
        s.sendall(hdr(1, 1, 0xFFFFFFFF)); sys.exit(closed_or_error(s))
    elif case == 'justover':
        s.sendall(hdr(3, 1, 16 * 1024 * 1024 + 1)); sys.exit(closed_or_error(s))
    elif case == 'badmagic':
        s.sendall(hdr(1, 1, 0, magic=0x12345678)); sys.exit(closed_or_error(s))
    elif case == 'badversion':
        s.sendall(hdr(1, 1, 0, version=99)); sys.exit(closed_or_error(s))
    elif case == 'unknowntype':
        s.sendall(hdr(999, 42, 0))
        r = read_reply(s)
        if r is None or r[0] != REPLY_ERR:
            print('want an error reply, got', r and hex(r[0])); sys.exit(1)
        print('error reply (id %d): %s' % (r[1], message(r[2])))
        if r[1] != 42:
            sys.exit(1)
        # docs/protocol.md: the connection stays open after an unknown type
        s.sendall(hdr(1, 43, 0))
        r = read_reply(s)
        ok = r is not None and r[0] == REPLY_OK and r[1] == 43
        print('; ping on the same connection:', 'ok' if ok else r)
        sys.exit(0 if ok else 1)
    elif case == 'badtlv':
        # SUBMIT whose one field claims more bytes than the payload holds
        payload = struct.pack('>HI', 1, 5000) + b'x' * 10
        s.sendall(hdr(3, 5, len(payload)) + payload); sys.exit(closed_or_error(s))
    elif case == 'midrequest':
        s.sendall(hdr(3, 1, 1000) + b'0123456789'); s.close()
        print('sent 26 of 1016 bytes and closed'); sys.exit(0)
    elif case == 'midheader':
        s.sendall(hdr(3, 1, 1000)[:7]); s.close()
        print('sent 7 header bytes and closed'); sys.exit(0)
    elif case == 'bigreal':
        # a well-formed SUBMIT carrying 8 MiB of junk as the CSR
        payload = struct.pack('>HI', 1, 8 << 20) + b'A' * (8 << 20)
        s.sendall(hdr(3, 9, len(payload)) + payload); sys.exit(closed_or_error(s))
    elif case == 'hold':
        # keep a connection open and idle while the caller works
        s.sendall(hdr(3, 1, 1000) + b'01234')
        time.sleep(float(sys.argv[3]) if len(sys.argv) > 3 else 5)
        sys.exit(0)
    else:
        print('unknown case', case); sys.exit(2)
except socket.timeout:
    print('no answer within 10 s'); sys.exit(1)
EOF

raw_case() {
	local desc=$1 case=$2 o s
	o=$(timeout 30 python3 "$W/raw.py" "$SOCK" "$case" 2>&1)
	s=$?
	tap_check "$desc ($o)" $s "exit $s"
	still_fine "$desc"
}
raw_case "raw ping gets an OK reply" ping
raw_case "4 KiB of garbage bytes" garbage
raw_case "header announcing a 4 GiB payload" oversized
raw_case "header announcing max payload + 1" justover
raw_case "header with a bad magic" badmagic
raw_case "header with an unknown version" badversion
raw_case "unknown message type gets an error reply, connection stays usable" unknowntype
raw_case "payload whose field overruns it" badtlv
raw_case "client disconnecting mid-request (1000 announced, 10 sent)" midrequest
raw_case "client disconnecting mid-header" midheader
raw_case "8 MiB SUBMIT of junk" bigreal

# Idle connections must not block others.
hold_pids=()
for i in $(seq 1 16); do
	python3 "$W/raw.py" "$SOCK" hold 20 >/dev/null 2>&1 &
	hold_pids+=($!)
	bg_track $!
done
sleep 0.5
t0=$(date +%s)
out=$(cs "$D" status 2>&1)
st=$?
t1=$(date +%s)
tap_check "status answers while 16 clients hold half-sent requests ($((t1 - t0)) s)" $st "$out"
submit "$D" "$W/p.csr"
tap_is "$DISPOSITION" issued "submit works while 16 clients hold half-sent requests"
for p in "${hold_pids[@]}"; do kill "$p" 2>/dev/null; done
wait "${hold_pids[@]}" 2>/dev/null
still_fine "16 idle clients vanished"

# --- peers without the needed role (socket_group = nogroup, enroll = nogroup)
AS_NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
if ! "${AS_NOBODY[@]}" true 2>/dev/null; then
	tap_skip "peer roles" "setpriv cannot switch to nobody here"
elif ! "${AS_NOBODY[@]}" test -r "$W/p.csr" -a -x "$D/run" 2>/dev/null; then
	tap_skip "peer roles" "nobody cannot reach $D/run (TMPDIR=${TMPDIR:-/tmp} not traversable)"
else
	cp "$W/p.csr" "$W/nobody.csr"
	chmod 0644 "$W/nobody.csr" "$W/base.csr"
	nb() { timeout "$CLI_TIMEOUT" "${AS_NOBODY[@]}" "$CERTSRV" --data-dir "$D" "$@"; }
	denied_re='denied|not allowed|permission|not permitted|may not|another user|role|unauthori[sz]ed|forbidden'

	# nb_denied DESC CMD... — as nobody: exit 1 with an access-denied message
	nb_denied() {
		local desc=$1 o s
		shift
		o=$(nb "$@" 2>&1)
		s=$?
		if [[ $s -eq 1 ]] && grep -qiE "$denied_re" <<<"$o"; then
			tap_ok "nobody: $desc is refused: $o"
		else
			tap_fail "nobody: $desc is refused with exit 1 and an access-denied message" "exit $s" "$o"
		fi
	}
	nb_denied "revoke (officer role)" revoke "$BASE_SERIAL"
	nb_denied "unrevoke (officer role)" unrevoke "$BASE_SERIAL"
	nb_denied "crl publish (officer role)" crl publish
	nb_denied "view (auditor role)" view
	nb_denied "status (auditor role)" status
	nb_denied "shutdown" shutdown
	nb_denied "submit with a profile restricted to group $RESTRICT_GROUP" submit "$W/nobody.csr" --profile tls-client
	nb_denied "getcert of another user's certificate" getcert "$BASE_SERIAL"

	out=$(nb submit "$W/nobody.csr" 2>&1)
	st=$?
	parse_request_line "$out"
	if [[ $st -eq 0 && $DISPOSITION == issued ]]; then tap_ok "nobody (enroll role) may submit"; else tap_fail "nobody (enroll role) may submit" "exit $st" "$out"; fi
	NB_ID=$REQ_ID NB_SERIAL=$SERIAL
	out=$(nb getcert "$NB_SERIAL" 2>&1)
	tap_check "nobody may getcert its own certificate" $? "$out"
	nb_denied "revoke of its own certificate (officer role)" revoke "$NB_SERIAL"
	vj=$(cs "$D" view --json 2>&1)
	tap_is "$(json_eval "[r['requester'] for r in d if r['request_id']==${NB_ID:-0}]" <<<"$vj" 2>&1)" '["nobody"]' "view records nobody as the requester"
	tap_is "$(json_eval "[r['disposition'] for r in d if r['serial']=='$BASE_SERIAL']" <<<"$vj" 2>&1)" "[20]" "the refused revoke changed nothing"

	# a user outside socket_group cannot even connect
	if id daemon >/dev/null 2>&1; then
		out=$(timeout "$CLI_TIMEOUT" setpriv --reuid=daemon --regid=daemon --clear-groups "$CERTSRV" --data-dir "$D" submit "$W/nobody.csr" 2>&1)
		st=$?
		if [[ $st -ne 0 && $st -ne 124 && $out == certsrv:* ]]; then
			tap_ok "a user outside socket_group is refused (exit $st): $out"
		else
			tap_fail "a user outside socket_group is refused" "exit $st" "$out"
		fi
	fi
	still_fine "role checks"
fi

if daemon_stop "$D" && [[ $DAEMON_EXIT == 0 ]]; then
	tap_ok "certsrvd still stops cleanly (exit 0) after all of the above"
else
	tap_fail "certsrvd still stops cleanly (exit 0) after all of the above" "exit ${DAEMON_EXIT:-?}" "$(tail -20 "$D/daemon.log")"
fi
cp "$D/db/ca.db" "$W/final.db"
tap_is "$(sqlite3 "$W/final.db" 'PRAGMA integrity_check' 2>&1)" ok "database integrity_check is ok"

tap_done
