#!/usr/bin/env bash
# 91-soak-smoke.sh — the soak test (tests/soak/soak.sh, `make soak`) in
# miniature, so make check keeps it working: 20,000 certificates, 30 s of
# issuance by 2 clients, a full backup every 10 s and incrementals every
# 3 s; the same checks (bounded RSS, descriptors back to their baseline,
# WAL back to small after each full backup, bounded logs, every submit and
# backup succeeded, the last chain verifies, clean stop). Costs about 40 s.
# The full-size run is `make soak` (docs/soak.md).
export SOAK_CERTS=20000 SOAK_SECONDS=30 SOAK_CLIENTS=2 SOAK_FULL_SEC=10 \
	SOAK_INCR_SEC=3 SOAK_SAMPLE_SEC=5 SOAK_WAL_WINDOW_SEC=12
# Under AddressSanitizer freed memory sits in its quarantine (256 MiB by
# default), so RSS says nothing about leaks there (LeakSanitizer does):
# only the plain build holds RSS to the default slack.
B=${B:-build}
if ldd "$B/certsrvd" 2>/dev/null | grep -q libasan; then
	export SOAK_RSS_SLACK_MB=512
fi
exec bash "$(dirname "${BASH_SOURCE[0]}")/../soak/soak.sh"
