#!/usr/bin/env bash
# 30-validators.sh — certificates and CRLs issued by certsrvd validate with the
# three independent validators: OpenSSL (verify -x509_strict, -crl_check),
# GnuTLS certtool (--verify, --verify-crl) and NSS (vfychain, with the CRL
# imported by crlutil). Done for an ec-p256 and an rsa2048 CA (and ed25519
# with OpenSSL and GnuTLS), with P-256 and RSA leaf keys, one leaf revoked.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_binaries
for t in openssl certtool certutil crlutil vfychain; do
	command -v "$t" >/dev/null || tap_bail "$t not installed (scripts/install-deps)"
done

# expect_fail DESC PATTERN CMD... — ok if CMD fails and its output matches PATTERN.
expect_fail() {
	local desc=$1 pat=$2 o s
	shift 2
	o=$("$@" 2>&1)
	s=$?
	if [[ $s -ne 0 ]] && grep -qiE -- "$pat" <<<"$o"; then
		tap_ok "$desc"
	else
		tap_fail "$desc" "command: $*" "exit $s (want non-zero and /$pat/)" "$o"
	fi
}

validate_ca() {
	local kt=$1 with_nss=$2
	local D W CA CRL_DER CRL_PEM DB out st
	D=$(mk_datadir)
	W="$TEST_TMP/w-$kt"
	mkdir -p "$W"
	if ! ca_init "$D" --key-type "$kt" >"$W/init.out" 2>&1; then
		tap_fail "[$kt] init" "$(cat "$W/init.out")"
		return
	fi
	if ! daemon_start "$D" 2>"$W/start.err"; then
		tap_fail "[$kt] certsrvd starts" "$(cat "$W/start.err")"
		return
	fi
	CA="$D/ca/ca.crt"

	# Leaves: P-256 and RSA keys (tls-server), a client, one to revoke.
	gen_csr "$W/good.csr" good.example good.example ec-p256
	gen_csr "$W/rsa.csr" rsa.example rsa.example rsa2048
	gen_csr "$W/client.csr" "client one" "" ec-p256
	gen_csr "$W/bad.csr" bad.example bad.example ec-p256
	local n
	for n in good rsa; do
		submit "$D" "$W/$n.csr" -o "$W/$n.pem"
		[[ $DISPOSITION == issued ]] || tap_diag "submit $n: $SUBMIT_OUT"
	done
	submit "$D" "$W/client.csr" --profile tls-client -o "$W/client.pem"
	[[ $DISPOSITION == issued ]] || tap_diag "submit client: $SUBMIT_OUT"
	submit "$D" "$W/bad.csr" -o "$W/bad.pem"
	local BAD_SERIAL=$SERIAL
	out=$(cs "$D" revoke "$BAD_SERIAL" --reason keyCompromise 2>&1)
	tap_check "[$kt] revoke one leaf" $? "$out"
	out=$(cs "$D" crl publish 2>&1)
	tap_check "[$kt] crl publish" $? "$out"
	CRL_DER="$D/certenroll/ca.crl"
	CRL_PEM="$W/crl.pem"
	openssl crl -inform DER -in "$CRL_DER" -out "$CRL_PEM" 2>/dev/null

	# --- OpenSSL
	tap_run "[$kt] openssl: CA certificate is a valid strict root" openssl verify -x509_strict -CAfile "$CA" "$CA"
	tap_run "[$kt] openssl: P-256 leaf verifies (-x509_strict -purpose sslserver)" \
		openssl verify -x509_strict -purpose sslserver -CAfile "$CA" "$W/good.pem"
	tap_run "[$kt] openssl: RSA leaf verifies (-x509_strict -purpose sslserver)" \
		openssl verify -x509_strict -purpose sslserver -CAfile "$CA" "$W/rsa.pem"
	tap_run "[$kt] openssl: client leaf verifies (-purpose sslclient)" \
		openssl verify -x509_strict -purpose sslclient -CAfile "$CA" "$W/client.pem"
	tap_run "[$kt] openssl: good leaves pass -crl_check" \
		openssl verify -x509_strict -crl_check -CAfile "$CA" -CRLfile "$CRL_PEM" "$W/good.pem" "$W/rsa.pem" "$W/client.pem"
	expect_fail "[$kt] openssl: revoked leaf fails -crl_check with 'certificate revoked'" "certificate revoked" \
		openssl verify -x509_strict -crl_check -CAfile "$CA" -CRLfile "$CRL_PEM" "$W/bad.pem"
	tap_run "[$kt] openssl: CRL signature verifies" openssl crl -in "$CRL_PEM" -noout -CAfile "$CA"
	local lu nu
	lu=$(date -d "$(openssl crl -in "$CRL_PEM" -noout -lastupdate | cut -d= -f2)" +%s 2>/dev/null)
	nu=$(date -d "$(openssl crl -in "$CRL_PEM" -noout -nextupdate | cut -d= -f2)" +%s 2>/dev/null)
	tap_is "$(((${nu:-0} - ${lu:-0}) / 3600))" 168 "[$kt] CRL nextUpdate is thisUpdate + crl_period_hours (168)"

	# --- GnuTLS
	for n in good rsa client; do
		tap_run "[$kt] certtool --verify: $n leaf" \
			certtool --verify --load-ca-certificate "$CA" --infile "$W/$n.pem"
	done
	tap_run "[$kt] certtool --verify-crl: CRL" \
		certtool --verify-crl --load-ca-certificate "$CA" --infile "$CRL_PEM"
	tap_run "[$kt] certtool --verify with the CRL: good leaf passes" \
		certtool --verify --load-ca-certificate "$CA" --load-crl "$CRL_PEM" --infile "$W/good.pem"
	expect_fail "[$kt] certtool --verify with the CRL: revoked leaf fails" "revoked" \
		certtool --verify --load-ca-certificate "$CA" --load-crl "$CRL_PEM" --infile "$W/bad.pem"

	# --- sub-CA chain: the sub-CA's key signs a leaf, the chain validates
	gen_csr "$W/sub.csr" "Sub CA $kt" "" ec-p256
	submit "$D" "$W/sub.csr" --profile sub-ca
	out=$(cs "$D" issue "$REQ_ID" 2>&1)
	cs "$D" getcert "$REQ_ID" >"$W/sub.pem" 2>/dev/null
	gen_csr "$W/leaf2.csr" leaf2.example leaf2.example
	printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
		"extendedKeyUsage=serverAuth" "subjectAltName=DNS:leaf2.example" \
		"subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid" >"$W/leaf2.ext"
	openssl x509 -req -in "$W/leaf2.csr" -CA "$W/sub.pem" -CAkey "$W/sub.csr.key" -CAcreateserial \
		-days 30 -extfile "$W/leaf2.ext" -out "$W/leaf2.pem" 2>/dev/null
	tap_run "[$kt] openssl: leaf under the issued sub-CA verifies (-x509_strict)" \
		openssl verify -x509_strict -purpose sslserver -CAfile "$CA" -untrusted "$W/sub.pem" "$W/leaf2.pem"
	cat "$W/leaf2.pem" "$W/sub.pem" >"$W/chain2.pem"
	tap_run "[$kt] certtool --verify: leaf under the issued sub-CA" \
		certtool --verify --load-ca-certificate "$CA" --infile "$W/chain2.pem"

	# --- NSS
	if [[ $with_nss == 1 ]]; then
		DB="$W/nssdb"
		mkdir -p "$DB"
		certutil -N -d "sql:$DB" --empty-password >/dev/null 2>&1
		tap_run "[$kt] certutil imports the CA certificate as a trusted root" \
			certutil -A -d "sql:$DB" -n root -t CT,C,C -i "$CA"
		tap_run "[$kt] vfychain: P-256 leaf (SSL server)" vfychain -d "sql:$DB" -pp -u 1 -a "$W/good.pem"
		tap_run "[$kt] vfychain: RSA leaf (SSL server)" vfychain -d "sql:$DB" -pp -u 1 -a "$W/rsa.pem"
		tap_run "[$kt] vfychain: client leaf (SSL client)" vfychain -d "sql:$DB" -pp -u 0 -a "$W/client.pem"
		tap_run "[$kt] vfychain: leaf under the issued sub-CA" \
			vfychain -d "sql:$DB" -pp -u 1 -a "$W/leaf2.pem" -a "$W/sub.pem"
		tap_run "[$kt] vfychain: the leaf to be checked as revoked passes before the CRL is imported" \
			vfychain -d "sql:$DB" -pp -u 1 -a "$W/bad.pem"
		tap_run "[$kt] crlutil imports certenroll/ca.crl (DER)" crlutil -I -d "sql:$DB" -i "$CRL_DER"
		local -a rev=(-g leaf -h testLocalInfoFirst -m crl -s forbidFetching -s failIfNoInfo)
		tap_run "[$kt] vfychain with CRL checking: good leaf passes" \
			vfychain -d "sql:$DB" -pp -u 1 "${rev[@]}" -a "$W/good.pem"
		expect_fail "[$kt] vfychain with CRL checking: revoked leaf fails" "revoked|-8180" \
			vfychain -d "sql:$DB" -pp -u 1 "${rev[@]}" -a "$W/bad.pem"
	fi

	daemon_stop "$D" >/dev/null
}

validate_ca ec-p256 1
validate_ca rsa2048 1
validate_ca ed25519 0

tap_done
