# shellcheck shell=bash
# tests/integration/lib.sh — helpers sourced by the TAP test scripts in
# tests/integration/ and tests/crash/.
#
# Invariants this file keeps:
#  - every daemon started with daemon_start is stopped by PID (never by name)
#    when the script exits, even on SIGTERM from run-tests' time limit;
#  - every temporary file lives under $TEST_TMP, removed at exit
#    (set KEEP_TMP=1 to keep it for debugging);
#  - $B (default "build", relative to the repository root) names the build
#    directory; $CERTSRV and $CERTSRVD are absolute paths into it;
#  - every CLI call made through cs() is bounded by a timeout.
#
# TAP: tap_ok / tap_fail / tap_is / tap_run / tap_skip record one result each;
# tap_done prints the plan "1..N" last and exits 1 if anything failed.
#
# daemon_start, mk_datadir and friends must be called in the main shell (not
# inside $(...)), since they record state in shell variables.

# Globals set here are read by the scripts that source this file.
# shellcheck disable=SC2034
set -u

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
B=${B:-build}
case $B in
/*) ;;
*) B="$REPO_ROOT/$B" ;;
esac
export B
CERTSRV="$B/certsrv"
CERTSRVD="$B/certsrvd"
CLI_TIMEOUT=${CLI_TIMEOUT:-30}

# A private scratch root; traversable by other users (tests run peers as
# "nobody"), everything secret inside it is protected by its own mode.
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/certsrv-test.XXXXXX")
chmod 0755 "$TEST_TMP"

declare -A DAEMON_PID=()
DAEMON_EXIT=""
_TAP_N=0
_TAP_FAILED=0
_BG_PIDS=()

# ---------------------------------------------------------------- TAP

tap_diag() {
	local line l
	for line in "$@"; do
		while IFS= read -r l || [[ -n $l ]]; do
			printf '# %s\n' "$l"
		done <<<"$line"
	done
}

tap_ok() {
	_TAP_N=$((_TAP_N + 1))
	printf 'ok %d - %s\n' "$_TAP_N" "$1"
}

# tap_fail DESC [DIAG...]
tap_fail() {
	_TAP_N=$((_TAP_N + 1))
	_TAP_FAILED=$((_TAP_FAILED + 1))
	printf 'not ok %d - %s\n' "$_TAP_N" "$1"
	shift
	[[ $# -gt 0 ]] && tap_diag "$@"
	return 0
}

# tap_check DESC COND_STATUS [DIAG...] — ok if COND_STATUS is 0.
tap_check() {
	local desc=$1 st=$2
	shift 2
	if [[ $st -eq 0 ]]; then tap_ok "$desc"; else tap_fail "$desc" "$@"; fi
}

# tap_is GOT WANT DESC
tap_is() {
	if [[ "$1" == "$2" ]]; then
		tap_ok "$3"
	else
		tap_fail "$3" "got:  '$1'" "want: '$2'"
	fi
}

# tap_run DESC CMD... — ok if CMD exits 0; its output is kept in $TAP_OUT.
TAP_OUT=""
tap_run() {
	local desc=$1 st
	shift
	TAP_OUT=$("$@" 2>&1)
	st=$?
	if [[ $st -eq 0 ]]; then
		tap_ok "$desc"
	else
		tap_fail "$desc" "command: $*" "exit status $st" "$TAP_OUT"
	fi
	return $st
}

tap_skip() {
	_TAP_N=$((_TAP_N + 1))
	printf 'ok %d - %s # SKIP %s\n' "$_TAP_N" "$1" "${2:-}"
}

tap_done() {
	printf '1..%d\n' "$_TAP_N"
	[[ $_TAP_FAILED -eq 0 ]] && exit 0
	exit 1
}

tap_bail() {
	printf 'Bail out! %s\n' "$*"
	exit 1
}

# require_binaries [certsrv certsrvd ...] — stop early when the build is missing.
require_binaries() {
	local f n
	[[ $# -gt 0 ]] || set -- certsrv certsrvd
	for n in "$@"; do
		f="$B/$n"
		[[ -x $f ]] || tap_bail "$f not built (run make)"
	done
}

# ---------------------------------------------------------------- processes

_proc_alive() {
	local pid=$1 stat
	[[ -r /proc/$pid/stat ]] || return 1
	stat=$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null) || return 1
	[[ $stat != Z && -n $stat ]]
}

# wait_exit PID SECONDS — wait for a child to exit; sets DAEMON_EXIT; 1 on timeout.
wait_exit() {
	local pid=$1 limit=$(($2 * 10)) i
	for ((i = 0; i < limit; i++)); do
		_proc_alive "$pid" || break
		sleep 0.1
	done
	if _proc_alive "$pid"; then
		return 1
	fi
	wait "$pid" 2>/dev/null
	DAEMON_EXIT=$?
	return 0
}

# bg_track PID — a background helper process to kill at exit.
bg_track() { _BG_PIDS+=("$1"); }

_cleanup() {
	local dir pid
	trap - EXIT INT TERM
	for pid in "${_BG_PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null
	done
	for dir in "${!DAEMON_PID[@]}"; do
		pid=${DAEMON_PID[$dir]}
		[[ -n $pid ]] || continue
		kill -TERM "$pid" 2>/dev/null
		if ! wait_exit "$pid" 10; then
			kill -KILL "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
		fi
	done
	if [[ ${KEEP_TMP:-0} == 1 ]]; then
		echo "# kept $TEST_TMP" >&2
	else
		rm -rf "$TEST_TMP"
	fi
}
trap '_cleanup' EXIT
trap '_cleanup; exit 130' INT
trap '_cleanup; exit 143' TERM

# ---------------------------------------------------------------- CA helpers

# mk_datadir — print the path of a new empty directory under $TEST_TMP
# (removed at exit). Safe to call inside $(...).
mk_datadir() {
	local d
	d=$(mktemp -d "$TEST_TMP/ca.XXXXXX") || return 1
	chmod 0755 "$d"
	printf '%s\n' "$d"
}

# cs DIR COMMAND ARGS... — the CLI on a data directory, time-bounded.
cs() {
	local dir=$1
	shift
	timeout "$CLI_TIMEOUT" "$CERTSRV" --data-dir "$dir" "$@"
}

# ca_init DIR [init options] — creates a CA "CN=Test Root $$" unless
# --subject is given.
ca_init() {
	local dir=$1
	shift
	local a have_subject=0
	for a in "$@"; do [[ $a == --subject ]] && have_subject=1; done
	if [[ $have_subject -eq 1 ]]; then
		cs "$dir" init "$@"
	else
		cs "$dir" init --subject "CN=Test Root $$" "$@"
	fi
}

# daemon_start DIR — start certsrvd in the background (output to
# DIR/daemon.log), wait up to 10 s for `certsrv status` to answer.
daemon_start() {
	local dir=$1 pid i
	"$CERTSRVD" --data-dir "$dir" </dev/null >>"$dir/daemon.log" 2>&1 &
	pid=$!
	DAEMON_PID[$dir]=$pid
	for ((i = 0; i < 100; i++)); do
		if ! _proc_alive "$pid"; then
			wait "$pid" 2>/dev/null
			DAEMON_EXIT=$?
			DAEMON_PID[$dir]=""
			echo "daemon_start: certsrvd exited with status $DAEMON_EXIT; log:" >&2
			tail -n 20 "$dir/daemon.log" >&2
			return 1
		fi
		if timeout 5 "$CERTSRV" --data-dir "$dir" status >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
	done
	echo "daemon_start: certsrvd (pid $pid) not answering status after 10 s; log:" >&2
	tail -n 20 "$dir/daemon.log" >&2
	return 1
}

daemon_pid() { printf '%s\n' "${DAEMON_PID[$1]:-}"; }

# daemon_stop DIR — SIGTERM by PID, wait up to 10 s, then SIGKILL.
# Returns 0 if it exited on its own (its status is in $DAEMON_EXIT), 1 if it
# had to be killed, 2 if no daemon was recorded for DIR.
daemon_stop() {
	local dir=$1 pid
	pid=${DAEMON_PID[$dir]:-}
	DAEMON_EXIT=""
	[[ -n $pid ]] || return 2
	kill -TERM "$pid" 2>/dev/null
	if wait_exit "$pid" 10; then
		DAEMON_PID[$dir]=""
		return 0
	fi
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	DAEMON_EXIT=$?
	DAEMON_PID[$dir]=""
	return 1
}

# daemon_kill9 DIR — SIGKILL by PID and reap it.
daemon_kill9() {
	local dir=$1 pid
	pid=${DAEMON_PID[$dir]:-}
	[[ -n $pid ]] || return 2
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	DAEMON_EXIT=$?
	DAEMON_PID[$dir]=""
	return 0
}

# gen_csr OUT CN [SAN] [keytype] — PEM CSR in OUT, key in OUT.key.
# keytype: ec-p256 (default), ec-p384, rsa2048, rsa3072, rsa4096, ed25519.
gen_csr() {
	local out=$1 cn=$2 san=${3:-} kt=${4:-ec-p256}
	local -a newkey addext=()
	case $kt in
	ec-p256) newkey=(-newkey ec -pkeyopt ec_paramgen_curve:P-256) ;;
	ec-p384) newkey=(-newkey ec -pkeyopt ec_paramgen_curve:P-384) ;;
	rsa2048) newkey=(-newkey rsa:2048) ;;
	rsa3072) newkey=(-newkey rsa:3072) ;;
	rsa4096) newkey=(-newkey rsa:4096) ;;
	ed25519) newkey=(-newkey ed25519) ;;
	*)
		echo "gen_csr: unknown key type $kt" >&2
		return 2
		;;
	esac
	[[ -n $san ]] && addext=(-addext "subjectAltName=DNS:$san")
	openssl req -new "${newkey[@]}" -nodes -keyout "$out.key" \
		-subj "/CN=$cn" "${addext[@]}" -out "$out" 2>/dev/null
}

# submit DIR CSR [submit options] — runs `certsrv submit`; sets SUBMIT_OUT,
# SUBMIT_STATUS, REQ_ID, SERIAL (empty when not issued) and DISPOSITION
# (issued|pending|...). Returns the CLI's exit status.
SUBMIT_OUT="" SUBMIT_STATUS=0 REQ_ID="" SERIAL="" DISPOSITION=""
submit() {
	local dir=$1 csr=$2
	shift 2
	SUBMIT_OUT=$(cs "$dir" submit "$csr" "$@" 2>&1)
	SUBMIT_STATUS=$?
	parse_request_line "$SUBMIT_OUT"
	return $SUBMIT_STATUS
}

# parse_request_line TEXT — "request ID: issued, serial SERIAL" / "request ID: pending".
parse_request_line() {
	local re='request ([0-9]+): ([a-z]+)(, serial ([0-9A-Fa-f]+))?'
	REQ_ID="" SERIAL="" DISPOSITION=""
	if [[ $1 =~ $re ]]; then
		REQ_ID=${BASH_REMATCH[1]}
		DISPOSITION=${BASH_REMATCH[2]}
		SERIAL=${BASH_REMATCH[4]}
	fi
}

# norm_serial HEX — uppercase, no colons, no leading zeros.
norm_serial() {
	local s=${1//:/}
	s=${s^^}
	s=${s#"${s%%[!0]*}"}
	printf '%s\n' "${s:-0}"
}

# json_eval PYEXPR — evaluate PYEXPR with d = the JSON document on stdin.
json_eval() {
	python3 -c 'import json,sys
d = json.load(sys.stdin)
r = eval(sys.argv[1])
print(json.dumps(r) if isinstance(r, (dict, list, bool)) or r is None else r)' "$1"
}

# file_mode PATH — octal permission bits, e.g. 600.
file_mode() { stat -c '%a' "$1"; }

# cert_pubkey FILE — SHA-256 of the DER SubjectPublicKeyInfo of a PEM cert.
cert_pubkey() { openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1; }
# csr_pubkey FILE — the same for a CSR (PEM or DER, given as -inform).
csr_pubkey() {
	local inform=${2:-PEM}
	openssl req -in "$1" -inform "$inform" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1
}

# to_der FILE [x509|crl|req] — the DER form of a PEM or DER object on stdout.
to_der() {
	local f=$1 kind=${2:-x509}
	if grep -q -- '-----BEGIN' "$f" 2>/dev/null; then
		openssl "$kind" -in "$f" -inform PEM -outform DER
	else
		openssl "$kind" -in "$f" -inform DER -outform DER
	fi
}
