#!/usr/bin/env bash
# 45-roles.sh — roles granted through groups (docs/config.md): a user whose
# group holds every role may do every role's work, but is still not an
# administrator: shutdown stays with root and the daemon's user, and a
# profile restricted to other groups stays closed to it.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_binaries

require_nobody "group roles"
W=$(mk_workdir 0755)
D=$(mk_ca) || tap_bail "init failed"
cat >>"$D/certsrv.conf" <<'CONF'

[access]
socket_group = nogroup
enroll = nogroup
officer = nogroup
backup = nogroup
auditor = nogroup

[profile tls-client]
enroll_groups = root
CONF
require_nobody "group roles" "$D"
daemon_start "$D" || tap_bail "certsrvd did not start"
gen_csr "$W/a.csr" "roles.example" "roles.example"
chmod 0644 "$W/a.csr"
nb() { as_peer nobody nogroup - "$CERTSRV" --data-dir "$D" "$@"; }

out=$(nb submit "$W/a.csr" 2>&1)
tap_check "enroll through the group: submit works" $? "$out"
parse_request_line "$out"
out=$(nb revoke "$SERIAL" --reason superseded 2>&1)
tap_check "officer through the group: revoke works" $? "$out"
out=$(nb view --revoked 2>&1)
tap_check "auditor through the group: view works" $? "$out"
out=$(nb status 2>&1)
tap_check "status works" $? "$out"
out=$(nb submit "$W/a.csr" --profile tls-client 2>&1)
st=$?
[[ $st -eq 1 && $out == *"may not use profile"* ]]
tap_check "every role is still not enough for a profile restricted to root's group" $? "exit $st" "$out"
out=$(nb shutdown 2>&1)
st=$?
[[ $st -eq 1 && $out == *"access denied"* ]]
tap_check "every role is still not enough to shut the daemon down" $? "exit $st" "$out"
out=$(cs "$D" status 2>&1)
tap_check "the daemon is still running" $? "$out"
out=$(cs "$D" submit "$W/a.csr" --profile tls-client 2>&1)
tap_check "root may use the restricted profile" $? "$out"
tap_clean_stop "$D" ""
tap_done
