#!/usr/bin/env bash
# 10-init.sh — `certsrv init`: the files and modes of DESIGN section 3, refusal
# to overwrite an existing CA, every key type, usage errors (exit 2).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_binaries certsrv

# tree_sums DIR — sha256 + mode of every file under DIR, sorted.
tree_sums() {
	local f
	(cd "$1" && find . -type f ! -name daemon.log | sort | while IFS= read -r f; do
		printf '%s %s %s\n' "$(stat -c %a "$f")" "$f" "$(sha256sum <"$f" | cut -c1-64)"
	done)
}

# ---- default init
D=$(mk_datadir)
out=$(ca_init "$D" 2>&1)
st=$?
tap_check "init exits 0" $st "$out"
want="initialized CA \"CN=Test Root $$\" in $D (key ec-p256)"
tap_is "$out" "$want" "init prints the documented line"

for f in certsrv.conf ca/ca.crt ca/ca.key db/ca.db logs/ca00000001.log logs/ca.chk; do
	if [[ -f $D/$f && -s $D/$f ]]; then tap_ok "init created $f"; else tap_fail "init created $f" "$(cd "$D" && find . | sort)"; fi
done
for d in ca db logs certenroll restore run; do
	if [[ -d $D/$d ]]; then tap_ok "init created directory $d/"; else tap_fail "init created directory $d/" "$(cd "$D" && find . | sort)"; fi
done

tap_is "$(file_mode "$D/ca/ca.key" 2>/dev/null)" 600 "ca/ca.key has mode 0600"
tap_is "$(stat -c %U "$D/ca/ca.key" 2>/dev/null)" "$(id -un)" "ca/ca.key is owned by the user who ran init"
ww=$(find "$D" -perm -o+w ! -type l 2>/dev/null)
tap_is "$ww" "" "nothing in the data directory is world-writable"
# certenroll/ca.crt is the AIA copy of ca/ca.crt
if [[ -f $D/certenroll/ca.crt ]] && cmp -s <(to_der "$D/ca/ca.crt" 2>/dev/null) <(to_der "$D/certenroll/ca.crt" 2>/dev/null); then
	tap_ok "certenroll/ca.crt is a copy of the CA certificate"
else
	tap_fail "certenroll/ca.crt is a copy of the CA certificate" "$(ls -l "$D/certenroll" 2>&1)"
fi

subj=$(openssl x509 -in "$D/ca/ca.crt" -noout -subject -nameopt RFC2253 2>&1)
tap_is "$subj" "subject=CN=Test Root $$" "CA certificate has the requested subject"
iss=$(openssl x509 -in "$D/ca/ca.crt" -noout -issuer -nameopt RFC2253 2>&1)
tap_is "$iss" "issuer=CN=Test Root $$" "CA certificate is self-issued"
tap_run "CA certificate verifies as a self-signed root (openssl -x509_strict)" \
	openssl verify -x509_strict -CAfile "$D/ca/ca.crt" "$D/ca/ca.crt"
keypub=$(openssl pkey -in "$D/ca/ca.key" -pubout -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1)
tap_is "$keypub" "$(cert_pubkey "$D/ca/ca.crt")" "ca/ca.key is the key of ca/ca.crt"
text=$(openssl x509 -in "$D/ca/ca.crt" -noout -text 2>&1)
if grep -q 'Certificate Sign' <<<"$text" && grep -q 'CRL Sign' <<<"$text"; then
	tap_ok "CA key usage has keyCertSign and cRLSign"
else
	tap_fail "CA key usage has keyCertSign and cRLSign" "$text"
fi
dbcopy="$TEST_TMP/dbcopy.db"
cp "$D/db/ca.db" "$dbcopy"
tap_is "$(sqlite3 "$dbcopy" 'PRAGMA integrity_check' 2>&1)" ok "db/ca.db passes PRAGMA integrity_check"
tap_is "$(sqlite3 "$dbcopy" 'PRAGMA journal_mode' 2>&1)" wal "db/ca.db is in WAL mode"
if grep -qE '^\[store\]' "$D/certsrv.conf" && grep -qE '^[;#]?[[:space:]]*circular_logging' "$D/certsrv.conf"; then
	tap_ok "certsrv.conf lists the [store] keys"
else
	tap_fail "certsrv.conf lists the [store] keys" "$(cat "$D/certsrv.conf")"
fi

# ---- refuses to init twice; existing files untouched
before=$(tree_sums "$D")
out=$(ca_init "$D" --subject "CN=Intruder" 2>&1)
st=$?
tap_check "second init on the same directory fails" $((st == 0)) "$out"
if [[ $out == "certsrv: init: "* ]]; then tap_ok "second init says why (certsrv: init: ...)"; else tap_fail "second init says why (certsrv: init: ...)" "$out"; fi
tap_is "$(tree_sums "$D")" "$before" "second init leaves every file untouched"
out=$(ca_init "$D" --key-type rsa2048 2>&1)
tap_is "$(tree_sums "$D")" "$before" "second init with another key type leaves every file untouched"

# ---- a non-empty directory is refused, its content kept
N=$(mk_datadir)
echo precious >"$N/notes.txt"
out=$(ca_init "$N" 2>&1)
st=$?
tap_check "init refuses a non-empty directory" $((st == 0)) "$out"
tap_is "$(cat "$N/notes.txt")" precious "init left the existing file alone"

# ---- CERTSRV_DATA_DIR is the default data directory
E=$(mk_datadir)
out=$(CERTSRV_DATA_DIR="$E" timeout "$CLI_TIMEOUT" "$CERTSRV" init --subject "CN=Env Root" 2>&1)
st=$?
if [[ $st -eq 0 && -f $E/ca/ca.crt ]]; then tap_ok "init honours CERTSRV_DATA_DIR"; else tap_fail "init honours CERTSRV_DATA_DIR" "$out"; fi

# ---- every key type
check_keytype() {
	local kt=$1 want_alg=$2 want_detail=$3
	local d t o s
	d=$(mk_datadir)
	o=$(ca_init "$d" --key-type "$kt" 2>&1)
	s=$?
	if [[ $s -ne 0 ]]; then
		tap_fail "init --key-type $kt" "exit $s" "$o"
		return
	fi
	t=$(openssl x509 -in "$d/ca/ca.crt" -noout -text 2>&1)
	if grep -q 'CA:TRUE' <<<"$t"; then
		tap_ok "init --key-type $kt: CA certificate has CA:TRUE"
	else
		tap_fail "init --key-type $kt: CA certificate has CA:TRUE" "$t"
	fi
	if grep -q "Public Key Algorithm: $want_alg" <<<"$t" && grep -q -- "$want_detail" <<<"$t"; then
		tap_ok "init --key-type $kt: key is $want_alg $want_detail"
	else
		tap_fail "init --key-type $kt: key is $want_alg $want_detail" "$(grep -A3 'Public Key Algorithm' <<<"$t" | head -4)"
	fi
	tap_is "$(file_mode "$d/ca/ca.key")" 600 "init --key-type $kt: key mode 0600"
	o=$(openssl verify -x509_strict -CAfile "$d/ca/ca.crt" "$d/ca/ca.crt" 2>&1)
	tap_check "init --key-type $kt: self-signature verifies" $? "$o"
}
check_keytype ec-p256 id-ecPublicKey "NIST CURVE: P-256"
check_keytype ec-p384 id-ecPublicKey "NIST CURVE: P-384"
check_keytype rsa2048 rsaEncryption "(2048 bit)"
check_keytype rsa3072 rsaEncryption "(3072 bit)"
check_keytype rsa4096 rsaEncryption "(4096 bit)"
check_keytype ed25519 ED25519 "ED25519 Public-Key"

# ---- --validity-days
V=$(mk_datadir)
out=$(ca_init "$V" --validity-days 30 2>&1)
st=$?
if [[ $st -eq 0 ]]; then
	nb=$(date -d "$(openssl x509 -in "$V/ca/ca.crt" -noout -startdate | cut -d= -f2)" +%s)
	na=$(date -d "$(openssl x509 -in "$V/ca/ca.crt" -noout -enddate | cut -d= -f2)" +%s)
	days=$(((na - nb + 43200) / 86400))
	tap_is "$days" 30 "--validity-days 30 gives a 30-day CA certificate"
else
	tap_fail "--validity-days 30 gives a 30-day CA certificate" "$out"
fi

# ---- usage errors: exit 2, nothing created
usage_err() {
	local desc=$1 d o s
	shift
	d=$(mk_datadir)
	o=$(cs "$d" init "$@" 2>&1)
	s=$?
	tap_is "$s" 2 "$desc exits 2"
	if [[ -z $(ls -A "$d") ]]; then tap_ok "$desc creates nothing"; else tap_fail "$desc creates nothing" "$(cd "$d" && find . | sort)"; fi
	if [[ $o == certsrv:* ]]; then tap_ok "$desc prints a certsrv: error"; else tap_fail "$desc prints a certsrv: error" "$o"; fi
}
usage_err "init --key-type dsa1024" --subject "CN=X" --key-type dsa1024
usage_err "init without --subject" --key-type ec-p256
usage_err "init --validity-days abc" --subject "CN=X" --validity-days abc
usage_err "init with an unknown option" --subject "CN=X" --frobnicate

tap_done
