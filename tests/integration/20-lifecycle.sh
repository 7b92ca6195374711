#!/usr/bin/env bash
# 20-lifecycle.sh — a CA's life through the CLI and a real certsrvd: submit
# (PEM, DER, stdin), getcert by id and serial spellings, revoke/unrevoke,
# CRLs, view and status JSON, the pending sub-ca path, one daemon per data
# directory, clean shutdown and restart.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_binaries

D=$(mk_datadir)
W="$TEST_TMP/work"
mkdir -p "$W"
ca_init "$D" >/dev/null 2>&1 || tap_bail "certsrv init failed"

if daemon_start "$D" 2>"$W/start.err"; then
	tap_ok "certsrvd starts and answers status"
else
	tap_fail "certsrvd starts and answers status" "$(cat "$W/start.err")"
	tap_done
fi
if grep -qF "certsrvd: ready on $D/run/certsrvd.sock" "$D/daemon.log"; then
	tap_ok "certsrvd prints its ready line"
else
	tap_fail "certsrvd prints its ready line" "$(cat "$D/daemon.log")"
fi
tap_is "$(file_mode "$D/run/certsrvd.sock" 2>&1)" 660 "socket has mode 0660"

# ---- status before any request
sj=$(cs "$D" status --json 2>&1)
tap_is "$(json_eval 'd["subject"]' <<<"$sj" 2>&1)" "CN=Test Root $$" "status --json shows the CA subject"
tap_is "$(json_eval 'sum(d["counts"].values())' <<<"$sj" 2>&1)" 0 "status --json counts are all 0 on a new CA"
out=$(cs "$D" status 2>&1)
if [[ $? -eq 0 && $out == *"Test Root $$"* ]]; then tap_ok "status (text) shows the subject"; else tap_fail "status (text) shows the subject" "$out"; fi

# ---- submit PEM with -o
gen_csr "$W/a.csr" a.example a.example
submit "$D" "$W/a.csr" -o "$W/a.pem"
if [[ $SUBMIT_STATUS -eq 0 && $DISPOSITION == issued && -n $SERIAL ]]; then
	tap_ok "submit PEM CSR: request N: issued, serial S"
else
	tap_fail "submit PEM CSR: request N: issued, serial S" "exit $SUBMIT_STATUS" "$SUBMIT_OUT"
fi
A_ID=$REQ_ID A_SERIAL=$SERIAL
if [[ $A_SERIAL =~ ^[0-9A-F]+$ ]]; then tap_ok "serial is printed as uppercase hex"; else tap_fail "serial is printed as uppercase hex" "$A_SERIAL"; fi
tap_is "$(cert_pubkey "$W/a.pem" 2>&1)" "$(csr_pubkey "$W/a.csr")" "submit -o: certificate public key matches the CSR"
cert_serial=$(openssl x509 -in "$W/a.pem" -noout -serial 2>&1 | cut -d= -f2)
tap_is "$(norm_serial "$cert_serial")" "$(norm_serial "$A_SERIAL")" "submit -o: certificate serial is the printed serial"
tap_run "issued certificate verifies against the CA (openssl -x509_strict)" \
	openssl verify -x509_strict -purpose sslserver -CAfile "$D/ca/ca.crt" "$W/a.pem"
atext=$(openssl x509 -in "$W/a.pem" -noout -text 2>&1)
if grep -q 'DNS:a.example' <<<"$atext" && grep -q 'TLS Web Server Authentication' <<<"$atext" && ! grep -q 'CA:TRUE' <<<"$atext"; then
	tap_ok "tls-server certificate: SAN kept, serverAuth EKU, not a CA"
else
	tap_fail "tls-server certificate: SAN kept, serverAuth EKU, not a CA" "$atext"
fi

# ---- submit DER
gen_csr "$W/b.csr" b.example b.example
openssl req -in "$W/b.csr" -outform DER -out "$W/b.der"
submit "$D" "$W/b.der" -o "$W/b.pem"
if [[ $SUBMIT_STATUS -eq 0 && $DISPOSITION == issued ]]; then tap_ok "submit DER CSR is issued"; else tap_fail "submit DER CSR is issued" "$SUBMIT_OUT"; fi
B_SERIAL=$SERIAL
tap_is "$(cert_pubkey "$W/b.pem" 2>&1)" "$(csr_pubkey "$W/b.der" DER)" "DER submit: certificate public key matches the CSR"

# ---- submit from stdin
gen_csr "$W/c.csr" c.example c.example
SUBMIT_OUT=$(cs "$D" submit - <"$W/c.csr" 2>&1)
SUBMIT_STATUS=$?
parse_request_line "$SUBMIT_OUT"
if [[ $SUBMIT_STATUS -eq 0 && $DISPOSITION == issued ]]; then tap_ok "submit - reads the CSR from stdin"; else tap_fail "submit - reads the CSR from stdin" "$SUBMIT_OUT"; fi
C_SERIAL=$SERIAL

# ---- a CSR asking for CA:TRUE gets a leaf anyway
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/evil.key" \
	-subj "/CN=evil.example" -addext "subjectAltName=DNS:evil.example" \
	-addext "basicConstraints=critical,CA:TRUE" -out "$W/evil.csr" 2>/dev/null
submit "$D" "$W/evil.csr" -o "$W/evil.pem"
if [[ $SUBMIT_STATUS -ne 0 ]] || ! openssl x509 -in "$W/evil.pem" -noout -text 2>/dev/null | grep -q 'CA:TRUE'; then
	tap_ok "a CSR asking for CA:TRUE never gets a CA certificate ($DISPOSITION)"
else
	tap_fail "a CSR asking for CA:TRUE never gets a CA certificate" "$(openssl x509 -in "$W/evil.pem" -noout -text)"
fi

# ---- getcert by id and by every serial spelling
cs "$D" getcert "$A_ID" >"$W/g_id.pem" 2>"$W/g.err"
tap_check "getcert by request id" $? "$(cat "$W/g.err")"
lower=${A_SERIAL,,}
colons=$A_SERIAL
((${#colons} % 2)) && colons="0$colons"
colons=$(sed 's/../&:/g; s/:$//' <<<"${colons,,}")
i=0
for spelling in "$A_SERIAL" "$lower" "$colons" "000$A_SERIAL" "00:${colons}"; do
	i=$((i + 1))
	cs "$D" getcert "$spelling" >"$W/g_s$i.pem" 2>"$W/g.err"
	st=$?
	if [[ $st -eq 0 ]] && cmp -s "$W/g_id.pem" "$W/g_s$i.pem"; then
		tap_ok "getcert $spelling gives the same bytes as getcert by id"
	else
		tap_fail "getcert $spelling gives the same bytes as getcert by id" "exit $st" "$(cat "$W/g.err")"
	fi
done
if cmp -s <(to_der "$W/g_id.pem" 2>/dev/null) <(to_der "$W/a.pem" 2>/dev/null); then
	tap_ok "getcert returns the certificate that submit -o wrote"
else
	tap_fail "getcert returns the certificate that submit -o wrote"
fi
cs "$D" getcert "$B_SERIAL" -o "$W/g_o.pem" >/dev/null 2>&1
if cmp -s <(to_der "$W/g_o.pem" 2>/dev/null) <(to_der "$W/b.pem" 2>/dev/null); then tap_ok "getcert -o writes the certificate"; else tap_fail "getcert -o writes the certificate"; fi
out=$(cs "$D" getcert 0123456789ABCDEF0123456789ABCDEF 2>&1)
tap_is "$?" 1 "getcert of an unknown serial exits 1"
out=$(cs "$D" getcert 'xyz!' 2>&1)
st=$?
if [[ $st -eq 1 || $st -eq 2 ]]; then tap_ok "getcert of a malformed serial fails ($st)"; else tap_fail "getcert of a malformed serial fails" "exit $st" "$out"; fi

# ---- revoke / unrevoke
out=$(cs "$D" revoke "$A_SERIAL" --reason keyCompromise 2>&1)
st=$?
tap_check "revoke --reason keyCompromise" $st "$out"
tap_is "$out" "revoked $A_SERIAL (keyCompromise)" "revoke prints the documented line"
out=$(cs "$D" revoke "$A_SERIAL" --reason keyCompromise 2>&1)
tap_is "$?" 1 "revoking a revoked certificate again exits 1"
out=$(cs "$D" unrevoke "$A_SERIAL" 2>&1)
st=$?
tap_is "$st" 1 "unrevoke of a keyCompromise revocation exits 1"
if [[ $out == "certsrv: unrevoke: "* ]]; then tap_ok "unrevoke refusal says why"; else tap_fail "unrevoke refusal says why" "$out"; fi

out=$(cs "$D" revoke "$colons" --reason keyCompromise 2>&1)
tap_is "$?" 1 "revoke with a lowercase/colon spelling of a revoked serial exits 1"

out=$(cs "$D" revoke "$B_SERIAL" --reason certificateHold 2>&1)
tap_check "revoke --reason certificateHold" $? "$out"
out=$(cs "$D" unrevoke "${B_SERIAL,,}" 2>&1)
st=$?
tap_check "unrevoke from certificateHold" $st "$out"
tap_is "$out" "unrevoked $B_SERIAL" "unrevoke prints the documented line"
vj=$(cs "$D" view --json 2>&1)
tap_is "$(json_eval "[r['disposition'] for r in d if r['serial']=='$B_SERIAL']" <<<"$vj" 2>&1)" "[20]" "after unrevoke the certificate is issued again"
out=$(cs "$D" unrevoke "$B_SERIAL" 2>&1)
tap_is "$?" 1 "unrevoke of a certificate that is not revoked exits 1"

# numeric reason + explicit dates
date_iso=2024-01-02T03:04:05Z
date_epoch=$(date -u -d 2024-01-02T03:04:05Z +%s)
out=$(cs "$D" revoke "$C_SERIAL" --reason 4 --date "$date_iso" 2>&1)
tap_check "revoke --reason 4 --date $date_iso" $? "$out"
vj=$(cs "$D" view --revoked --json 2>&1)
row=$(json_eval "[r for r in d if r['serial']=='$C_SERIAL'][0]" <<<"$vj" 2>&1)
tap_is "$(json_eval 'd["revoked_at"]' <<<"$row" 2>&1)" "$date_epoch" "view shows the revocation date given with --date"
reason=$(json_eval 'd["revoked_reason"]' <<<"$row" 2>&1)
if [[ $reason == 4 || $reason == superseded ]]; then tap_ok "view shows the revocation reason (superseded)"; else tap_fail "view shows the revocation reason (superseded)" "$row"; fi

gen_csr "$W/d.csr" d.example d.example
submit "$D" "$W/d.csr"
D_SERIAL=$SERIAL
out=$(cs "$D" revoke "$D_SERIAL" --reason cessationOfOperation --date "$date_epoch" 2>&1)
tap_check "revoke --date as seconds since the epoch" $? "$out"
out=$(cs "$D" revoke "$D_SERIAL" --reason noSuchReason 2>&1)
tap_is "$?" 2 "revoke with an unknown reason name exits 2"
out=$(cs "$D" revoke "$D_SERIAL" --date yesterday 2>&1)
tap_is "$?" 2 "revoke with a malformed date exits 2"
out=$(cs "$D" revoke 0123456789ABCDEF0123456789ABCDEF 2>&1)
tap_is "$?" 1 "revoke of an unknown serial exits 1"

# ---- CRLs
n_revoked=$(cs "$D" view --revoked --json 2>/dev/null | json_eval 'len(d)' 2>&1)
out1=$(cs "$D" crl publish 2>&1)
st=$?
tap_check "crl publish" $st "$out1"
re='^published CRL number ([0-9]+) with ([0-9]+) entries$'
n1="" n2=""
if [[ $out1 =~ $re ]]; then
	n1=${BASH_REMATCH[1]}
	tap_is "${BASH_REMATCH[2]}" "$n_revoked" "CRL has one entry per revoked certificate"
else
	tap_fail "CRL has one entry per revoked certificate" "$out1"
fi
crltext=$(openssl crl -inform DER -in "$D/certenroll/ca.crl" -noout -text 2>&1)
tap_check "certenroll/ca.crl is a DER CRL" $? "$crltext"
if grep -q "Serial Number: 0*${A_SERIAL#"${A_SERIAL%%[!0]*}"}" <<<"$crltext" && ! grep -q "Serial Number: 0*${B_SERIAL#"${B_SERIAL%%[!0]*}"}" <<<"$crltext"; then
	tap_ok "CRL lists the revoked serial and not the unrevoked one"
else
	tap_fail "CRL lists the revoked serial and not the unrevoked one" "$crltext"
fi
tap_run "CRL signature verifies with the CA key" \
	openssl crl -inform DER -in "$D/certenroll/ca.crl" -noout -CAfile "$D/ca/ca.crt"
out2=$(cs "$D" crl publish 2>&1)
[[ $out2 =~ $re ]] && n2=${BASH_REMATCH[1]}
if [[ -n $n1 && -n $n2 ]] && ((n2 > n1)); then tap_ok "second crl publish has a larger CRL number ($n1 -> $n2)"; else tap_fail "second crl publish has a larger CRL number" "$out1" "$out2"; fi
crlnum=$(openssl crl -inform DER -in "$D/certenroll/ca.crl" -noout -crlnumber 2>&1 | cut -d= -f2)
tap_is "$((${crlnum:-0}))" "${n2:-?}" "certenroll/ca.crl carries the latest CRL number"

# ---- sub-ca: pends, then issue; deny of an issued request fails
gen_csr "$W/sub.csr" "Sub CA"
submit "$D" "$W/sub.csr" --profile sub-ca
SUB_ID=$REQ_ID
if [[ $SUBMIT_STATUS -eq 0 && $DISPOSITION == pending ]]; then tap_ok "sub-ca request pends"; else tap_fail "sub-ca request pends" "$SUBMIT_OUT"; fi
tap_is "$SUBMIT_OUT" "request $SUB_ID: pending" "pending submit prints the documented line"
out=$(cs "$D" getcert "$SUB_ID" 2>&1)
tap_is "$?" 1 "getcert of a pending request exits 1"
out=$(cs "$D" issue "$SUB_ID" 2>&1)
st=$?
parse_request_line "$out"
if [[ $st -eq 0 && $DISPOSITION == issued && -n $SERIAL ]]; then tap_ok "issue ID issues the pending request"; else tap_fail "issue ID issues the pending request" "$out"; fi
cs "$D" getcert "$SUB_ID" >"$W/sub.pem" 2>/dev/null
if openssl x509 -in "$W/sub.pem" -noout -text 2>/dev/null | grep -q 'CA:TRUE'; then tap_ok "sub-ca certificate has CA:TRUE"; else tap_fail "sub-ca certificate has CA:TRUE"; fi
tap_run "sub-ca certificate verifies against the root" openssl verify -x509_strict -CAfile "$D/ca/ca.crt" "$W/sub.pem"
out=$(cs "$D" deny "$SUB_ID" 2>&1)
tap_is "$?" 1 "deny of an issued request exits 1"
out=$(cs "$D" issue "$SUB_ID" 2>&1)
tap_is "$?" 1 "issue of an already issued request exits 1"

gen_csr "$W/sub2.csr" "Sub CA 2"
submit "$D" "$W/sub2.csr" --profile sub-ca
SUB2_ID=$REQ_ID
out=$(cs "$D" deny "$SUB2_ID" 2>&1)
st=$?
tap_check "deny of a pending request" $st "$out"
tap_is "$out" "request $SUB2_ID: denied" "deny prints the documented line"
out=$(cs "$D" deny "$SUB2_ID" 2>&1)
tap_is "$?" 1 "deny of a denied request exits 1"
out=$(cs "$D" deny 999999 2>&1)
tap_is "$?" 1 "deny of an unknown request exits 1"
out=$(cs "$D" issue 999999 2>&1)
tap_is "$?" 1 "issue of an unknown request exits 1"
gen_csr "$W/sub3.csr" "Sub CA 3"
submit "$D" "$W/sub3.csr" --profile sub-ca
SUB3_ID=$REQ_ID
cs "$D" deny "$SUB3_ID" >/dev/null 2>&1
out=$(cs "$D" issue "$SUB3_ID" 2>&1)
parse_request_line "$out"
tap_is "$DISPOSITION" issued "issue resubmits a denied request"
gen_csr "$W/sub4.csr" "Sub CA 4"
submit "$D" "$W/sub4.csr" --profile sub-ca
SUB4_ID=$REQ_ID

# tls-client profile
gen_csr "$W/cl.csr" "client user"
submit "$D" "$W/cl.csr" --profile tls-client -o "$W/cl.pem"
if [[ $DISPOSITION == issued ]] && openssl x509 -in "$W/cl.pem" -noout -text 2>/dev/null | grep -q 'TLS Web Client Authentication'; then
	tap_ok "tls-client profile gives a clientAuth certificate"
else
	tap_fail "tls-client profile gives a clientAuth certificate" "$SUBMIT_OUT"
fi

# ---- view and status
vj=$(cs "$D" view --json 2>&1)
tap_is "$(json_eval 'isinstance(d, list)' <<<"$vj" 2>&1)" true "view --json is a JSON array"
fields='request_id disposition disposition_name profile requester subject submitted_at resolved_at serial not_before not_after revoked_at revoked_reason'
missing=$(json_eval "sorted(set('$fields'.split()) - set().union(*[r.keys() for r in d]))" <<<"$vj" 2>&1)
tap_is "$missing" "[]" "view --json rows carry every documented field"
tap_is "$(json_eval "[r['disposition_name'] for r in d if r['request_id']==$SUB4_ID]" <<<"$vj" 2>&1)" '["pending"]' "view shows the pending request as pending"
tap_is "$(json_eval "[r['serial'] for r in d if r['request_id']==$SUB4_ID]" <<<"$vj" 2>&1)" '[null]' "a pending request has serial null"
tap_is "$(json_eval "[r['profile'] for r in d if r['request_id']==$A_ID]" <<<"$vj" 2>&1)" '["tls-server"]' "default profile is tls-server"
tap_is "$(json_eval "[r['subject'] for r in d if r['request_id']==$A_ID]" <<<"$vj" 2>&1)" '["CN=a.example"]' "view shows the subject"
declare -A VCOUNT
bad_filter=""
total=0
for f in issued revoked pending denied failed; do
	fj=$(cs "$D" view --$f --json 2>&1)
	VCOUNT[$f]=$(json_eval 'len(d)' <<<"$fj" 2>&1)
	total=$((total + ${VCOUNT[$f]:-0}))
	names=$(json_eval "sorted(set(r['disposition_name'] for r in d))" <<<"$fj" 2>&1)
	[[ $names == "[]" || $names == "[\"$f\"]" ]] || bad_filter+="--$f gave $names; "
done
tap_is "$bad_filter" "" "view --issued/--revoked/--pending/--denied/--failed each return only their disposition"
tap_is "$total" "$(json_eval 'len(d)' <<<"$vj" 2>&1)" "the filters partition view's rows"
tap_is "${VCOUNT[pending]}" 1 "exactly one request is pending"
tap_is "${VCOUNT[revoked]}" 3 "three certificates are revoked"
out=$(cs "$D" view --issued 2>&1)
if [[ $? -eq 0 && $out == *"$B_SERIAL"* ]]; then tap_ok "view (table) lists the serials"; else tap_fail "view (table) lists the serials" "$out"; fi
out=$(cs "$D" view --issued --revoked 2>&1)
st=$?
if [[ $st -eq 0 || $st -eq 2 ]]; then tap_ok "view with two filters is accepted or a usage error ($st)"; else tap_fail "view with two filters is accepted or a usage error" "exit $st" "$out"; fi

sj=$(cs "$D" status --json 2>&1)
counts_ok=1
for f in issued revoked pending denied failed; do
	c=$(json_eval "d['counts']['$f']" <<<"$sj" 2>&1)
	[[ $c == "${VCOUNT[$f]}" ]] || {
		counts_ok=0
		tap_diag "counts.$f = $c, view --$f has ${VCOUNT[$f]}"
	}
done
tap_check "status --json counts agree with view" $((1 - counts_ok)) "$sj"
tap_is "$(json_eval "d['crl']['number']" <<<"$sj" 2>&1)" "${n2:-?}" "status --json shows the last CRL number"
tap_is "$(json_eval "all(isinstance(d['log'][k], int) for k in ('first_generation','current_generation','next_lsn','applied_lsn','checkpoint_lsn'))" <<<"$sj" 2>&1)" true "status --json log fields are integers"
if [[ $(json_eval "'next_lsn' in d['log']" <<<"$sj" 2>&1) == true ]]; then
	tap_is "$(json_eval "d['log']['next_lsn'] == d['log']['applied_lsn'] + 1" <<<"$sj" 2>&1)" true "status --json: next_lsn = applied_lsn + 1"
else
	tap_skip "status --json: next_lsn = applied_lsn + 1" "no next_lsn (reported above)"
fi
tap_is "$(json_eval "d['key_type']" <<<"$sj" 2>&1)" ec-p256 "status --json shows the key type"

# ---- one daemon per data directory
out=$(timeout 15 "$CERTSRVD" --data-dir "$D" </dev/null 2>&1)
st=$?
tap_is "$st" 1 "a second certsrvd on the same data directory exits 1"
if [[ -n $out ]]; then tap_ok "the second certsrvd says why"; else tap_fail "the second certsrvd says why" "(no output)"; fi
tap_run "the first certsrvd still answers" cs "$D" status

# ---- clean shutdown and restart
cs "$D" view --json >"$W/view-before.json" 2>&1
cs "$D" getcert "$A_SERIAL" >"$W/a-before.pem" 2>&1
daemon_stop "$D"
st=$?
if [[ $st -eq 0 && $DAEMON_EXIT == 0 ]]; then tap_ok "SIGTERM: certsrvd exits 0"; else tap_fail "SIGTERM: certsrvd exits 0" "daemon_stop $st, exit status $DAEMON_EXIT" "$(tail -5 "$D/daemon.log")"; fi
out=$(cs "$D" status 2>&1)
tap_is "$?" 3 "status with the daemon stopped exits 3"
if [[ -e $D/run/certsrvd.sock ]] && timeout 5 python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' "$D/run/certsrvd.sock" 2>/dev/null; then
	tap_fail "nothing listens on the socket after shutdown"
else
	tap_ok "nothing listens on the socket after shutdown"
fi
cp "$D/db/ca.db" "$W/ca-stopped.db"
tap_is "$(sqlite3 "$W/ca-stopped.db" 'PRAGMA integrity_check' 2>&1)" ok "database is intact after clean shutdown"

if daemon_start "$D" 2>"$W/start.err"; then tap_ok "certsrvd restarts"; else tap_fail "certsrvd restarts" "$(cat "$W/start.err")"; fi
cs "$D" view --json >"$W/view-after.json" 2>&1
if cmp -s <(json_eval 'sorted(d, key=lambda r: r["request_id"])' <"$W/view-before.json" 2>&1) \
	<(json_eval 'sorted(d, key=lambda r: r["request_id"])' <"$W/view-after.json" 2>&1); then
	tap_ok "after restart view --json shows exactly the same requests"
else
	tap_fail "after restart view --json shows exactly the same requests" "$(diff <(json_eval 'd' <"$W/view-before.json") <(json_eval 'd' <"$W/view-after.json") | head -20)"
fi
cs "$D" getcert "$A_SERIAL" >"$W/a-after.pem" 2>&1
if cmp -s "$W/a-before.pem" "$W/a-after.pem"; then tap_ok "after restart getcert returns the same certificate"; else tap_fail "after restart getcert returns the same certificate"; fi
gen_csr "$W/e.csr" e.example e.example
submit "$D" "$W/e.csr"
tap_is "$DISPOSITION" issued "after restart submit still issues"
sj2=$(cs "$D" status --json 2>&1)
tap_is "$(json_eval "d['crl']['number']" <<<"$sj2" 2>&1)" "${n2:-?}" "after restart the CRL number is kept"
out=$(cs "$D" crl publish 2>&1)
n3=""
[[ $out =~ $re ]] && n3=${BASH_REMATCH[1]}
if [[ -n $n3 && -n $n2 ]] && ((n3 > n2)); then tap_ok "after restart the CRL number keeps increasing"; else tap_fail "after restart the CRL number keeps increasing" "$out"; fi

# ---- shutdown command
pid=$(daemon_pid "$D")
out=$(cs "$D" shutdown 2>&1)
st=$?
tap_is "$out" "certsrvd is stopping" "shutdown prints 'certsrvd is stopping'"
if wait_exit "$pid" 10; then
	tap_is "$DAEMON_EXIT" 0 "certsrvd exits 0 after the shutdown command"
	DAEMON_PID[$D]=""
else
	tap_fail "certsrvd exits 0 after the shutdown command" "still running 10 s later"
fi

tap_done
