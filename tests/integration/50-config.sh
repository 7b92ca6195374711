#!/usr/bin/env bash
# 50-config.sh — the certsrv.conf knobs do what docs/config.md says:
# CRL and AIA URLs in issued certificates, the CRL period, profile overrides
# and new profiles, the log file size (generations roll), and circular
# logging (checkpointed generations are deleted; without it they are kept).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_binaries

W="$TEST_TMP/work"
mkdir -p "$W"
for ((i = 0; i < 40; i++)); do
	gen_csr "$W/$i.csr" "cfg$i.example" "cfg$i.example" || tap_bail "openssl cannot make CSRs"
done

# submit_many DIR N -- N submits, 4 at a time, cycling through the CSRs;
# every refusal is kept in $W/submit.err. Sets SUBMITTED to the successes.
submit_many() {
	: >"$W/submit.err"
	SUBMITTED=$(seq 0 $(($2 - 1)) | xargs -P 4 -I{} sh -c \
		'"$0" --data-dir "$1" submit "$2/$(({} % 40)).csr" 2>>"$2/submit.err"' \
		"$CERTSRV" "$1" "$W" | grep -c 'issued, serial')
}

days_valid() { # PEM -> whole days between notBefore and notAfter
	local nb na
	nb=$(date -d "$(openssl x509 -in "$1" -noout -startdate | cut -d= -f2)" +%s)
	na=$(date -d "$(openssl x509 -in "$1" -noout -enddate | cut -d= -f2)" +%s)
	echo $(((na - nb) / 86400))
}

# ---- URLs, CRL period, profiles
D=$(mk_datadir)
ca_init "$D" >/dev/null 2>&1 || tap_bail "init failed"
cat >"$D/certsrv.conf" <<'CONF'
[ca]
crl_period_hours = 24
crl_url = http://pki.example.test/ca.crl
aia_url = http://pki.example.test/ca.crt

[profile tls-server]
max_validity_days = 30
default_validity_days = 30

[profile tls-client]
policy = pend

[profile web-short]
base = tls-server
default_validity_days = 7
max_validity_days = 7
CONF
daemon_start "$D" || tap_bail "certsrvd did not start with the test config"

submit "$D" "$W/0.csr" -o "$W/0.pem"
text=$(openssl x509 -in "$W/0.pem" -noout -text 2>&1)
[[ $text == *"URI:http://pki.example.test/ca.crl"* ]]
tap_check "crl_url is the certificate's CRL distribution point" $? "$text"
[[ $text == *"CA Issuers - URI:http://pki.example.test/ca.crt"* ]]
tap_check "aia_url is the certificate's caIssuers access" $? "$text"
tap_is "$(days_valid "$W/0.pem")" 30 "a tls-server override caps validity at 30 days"

submit "$D" "$W/1.csr" --profile web-short -o "$W/1.pem"
tap_is "$DISPOSITION" issued "a new profile based on tls-server issues"
tap_is "$(days_valid "$W/1.pem")" 7 "the new profile's default validity applies"

submit "$D" "$W/2.csr" --profile tls-client
tap_is "$DISPOSITION" pending "policy = pend makes tls-client requests wait for an officer"

cs "$D" crl publish >/dev/null
openssl crl -inform DER -in "$D/certenroll/ca.crl" -out "$W/crl.pem" 2>/dev/null
lu=$(date -d "$(openssl crl -in "$W/crl.pem" -noout -lastupdate | cut -d= -f2)" +%s)
nu=$(date -d "$(openssl crl -in "$W/crl.pem" -noout -nextupdate | cut -d= -f2)" +%s)
tap_is "$((nu - lu))" 86400 "crl_period_hours = 24 sets nextUpdate one day after thisUpdate"
daemon_stop "$D"

# ---- small log files roll; without circular logging every generation stays
D=$(mk_datadir)
ca_init "$D" >/dev/null 2>&1 || tap_bail "init failed"
sed -i 's/^log_file_size_kb = .*/log_file_size_kb = 64/' "$D/certsrv.conf"
sed -i 's/^checkpoint_interval_sec = .*/checkpoint_interval_sec = 1/' "$D/certsrv.conf"
daemon_start "$D" || tap_bail "certsrvd did not start"
submit_many "$D" 120
sleep 2
sj=$(cs "$D" status --json)
gens=$(json_eval "d['log']['generations']" <<<"$sj")
first=$(json_eval "d['log']['first_generation']" <<<"$sj")
((gens > 1))
tap_check "64 KiB log files roll into several generations ($gens)" $? "$sj"
tap_is "$first" 1 "without circular logging generation 1 is kept"
daemon_stop "$D"
out=$("$B/tests/logcheck" "$D" 2>&1)
tap_check "the rolled generations form one unbroken chain" $? "$out"

# ---- circular logging deletes checkpointed generations
D=$(mk_datadir)
ca_init "$D" >/dev/null 2>&1 || tap_bail "init failed"
sed -i 's/^log_file_size_kb = .*/log_file_size_kb = 64/' "$D/certsrv.conf"
sed -i 's/^checkpoint_interval_sec = .*/checkpoint_interval_sec = 1/' "$D/certsrv.conf"
sed -i 's/^circular_logging = .*/circular_logging = true/' "$D/certsrv.conf"
daemon_start "$D" || tap_bail "certsrvd did not start with circular logging"
submit_many "$D" 120
first=1
for ((k = 0; k < 50 && first == 1; k++)); do
	sleep 0.2
	first=$(json_eval "d['log']['first_generation']" <<<"$(cs "$D" status --json)")
done
((first > 1))
tap_check "circular logging deleted checkpointed generations (first is now $first)" $?
tap_is "$(json_eval "d['log']['circular']" <<<"$(cs "$D" status --json)")" true "status reports circular logging"
daemon_kill9 "$D"
daemon_start "$D" || tap_bail "certsrvd did not restart after circular deletion"
n=$(json_eval "d['counts']['issued']" <<<"$(cs "$D" status --json)")
tap_is "$SUBMITTED" 120 "all 120 submits were acknowledged"
[[ -s $W/submit.err ]] && tap_diag "refusals:" "$(head -5 "$W/submit.err")"
tap_is "$n" "$SUBMITTED" "after a kill and restart every acknowledged certificate is there"
daemon_stop "$D"
tap_done
