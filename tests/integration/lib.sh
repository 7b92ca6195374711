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
# tap_done prints the plan "1..N" last and exits 1 if anything failed. The
# checks shared by the crash tests (tap_acked, tap_serials_unique,
# tap_lsn_forward, tap_clean_stop, tap_integrity, tap_log_chain,
# tap_certs_back) also record exactly one result each.
#
# Sections: TAP; processes; CA helpers (data directories, the daemon, the
# CLI, CSRs); setup (mk_ca, mk_workdir, mk_csrs, knobs, preload shims, a load
# client); checks after a crash; peers as other users (as_peer,
# require_nobody).
#
# The daemon_* functions, tap_*, mk_csrs and seed_random must be called in
# the main shell (not inside $(...)), since they record state in shell
# variables; mk_datadir, mk_ca and mk_workdir print a path and are meant for
# $(...).

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

# wait_line FILE PATTERN SECONDS — wait (polling every 0.1 s, at most
# SECONDS) until FILE has a line matching the grep PATTERN; 1 if it has
# not by then. No TAP result.
wait_line() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
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
daemon_start() { daemon_start_env "$1"; }

# daemon_start_env DIR [VAR=VALUE...] — daemon_start with VAR=VALUE in the
# environment of certsrvd only (through env(1), which execs it: the recorded
# PID is the daemon's); the CLI calls that wait for it do not get them.
# E.g. a fault-injection shim: LD_PRELOAD="$(shim_preload "$SHIM")".
daemon_start_env() {
	local dir=$1 pid i
	shift
	local -a pre=()
	[[ $# -gt 0 ]] && pre=(env "$@")
	"${pre[@]}" "$CERTSRVD" --data-dir "$dir" </dev/null >>"$dir/daemon.log" 2>&1 &
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
	_daemon_kill "$dir" "$pid"
	return 1
}

# daemon_kill9 DIR — SIGKILL by PID and reap it.
daemon_kill9() {
	local dir=$1 pid
	pid=${DAEMON_PID[$dir]:-}
	[[ -n $pid ]] || return 2
	_daemon_kill "$dir" "$pid"
	return 0
}

# _daemon_kill DIR PID — SIGKILL, reap, set DAEMON_EXIT, forget the PID.
_daemon_kill() {
	kill -KILL "$2" 2>/dev/null
	wait "$2" 2>/dev/null
	DAEMON_EXIT=$?
	DAEMON_PID[$1]=""
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

# ---------------------------------------------------------------- setup

# mk_ca — a new data directory under $TEST_TMP holding a CA (ca_init with
# its defaults, output discarded); prints its path, returns 1 if init
# failed. Safe inside $(...):  D=$(mk_ca) || tap_bail "certsrv init failed"
mk_ca() {
	local d
	d=$(mk_datadir) || return 1
	ca_init "$d" >/dev/null 2>&1 || return 1
	printf '%s\n' "$d"
}

# mk_workdir MODE [SUBDIR...] — creates the scratch directory
# $TEST_TMP/work with mode MODE (and the given subdirectories) and prints
# its path:  W=$(mk_workdir 0755 csr)
mk_workdir() {
	local w="$TEST_TMP/work" sub
	mkdir -p "$w" || return 1
	chmod "$1" "$w" || return 1
	shift
	for sub in "$@"; do mkdir -p "$w/$sub" || return 1; done
	printf '%s\n' "$w"
}

# mk_csrs DIR PREFIX N [FIRST] — N CSRs DIR/K.csr, K = FIRST (default 0)
# .. FIRST+N-1, each with CN and DNS name PREFIXK.example (gen_csr; keys in
# DIR/K.csr.key); sets CSRS to their paths, in order. No TAP result;
# tap_bail if openssl cannot make them.
CSRS=()
mk_csrs() {
	local dir=$1 prefix=$2 n=$3 first=${4:-0} k
	CSRS=()
	for ((k = first; k < first + n; k++)); do
		gen_csr "$dir/$k.csr" "$prefix$k.example" "$prefix$k.example" ||
			tap_bail "openssl cannot make CSRs"
		CSRS+=("$dir/$k.csr")
	done
}

# count_knob VALUE DEFAULT MAX — prints VALUE (an environment knob such as
# ITER) if it is a number, else DEFAULT; clamped to 1..MAX.
count_knob() {
	local v=$1
	[[ $v =~ ^[0-9]+$ ]] || v=$2
	((v > $3)) && v=$3
	((v < 1)) && v=1
	printf '%s\n' "$v"
}

# seed_random — reads SEED from the environment (a random one if unset or
# not a number), seeds $RANDOM with it and prints the diagnostic
# "# SEED=N ITER=N (replay with SEED=N ITER=N)" ($ITER as set by the
# caller). Sets SEED; must run in the main shell.
seed_random() {
	SEED=${SEED:-}
	[[ $SEED =~ ^[0-9]+$ ]] || SEED=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
	[[ $SEED =~ ^[0-9]+$ ]] || SEED=1
	RANDOM=$SEED
	tap_diag "SEED=$SEED ITER=${ITER:-} (replay with SEED=$SEED ITER=${ITER:-})"
}

# asan_runtime BIN — the path of the AddressSanitizer runtime BIN is linked
# with; nothing for a build without ASan.
asan_runtime() { ldd "$1" 2>/dev/null | awk '/libasan/ { print $3; exit }'; }

# shim_preload SHIM [BIN] — the LD_PRELOAD list that loads SHIM into BIN
# (default $CERTSRVD): an ASan build needs its runtime first in the list.
shim_preload() {
	local asan
	asan=$(asan_runtime "${2:-$CERTSRVD}")
	printf '%s\n' "${asan:+$asan:}$1"
}

# submit_until DIR STOP RECORD FIRST CSR... — a load client (run it in the
# background): submits the CSRs in turn, starting with the FIRST-th
# (0-based, taken modulo their count), over and over, until the file STOP
# exists; appends "SERIAL REQUEST_ID" to RECORD for every issue the CLI
# acknowledged (a submit cut by a kill may fail: it is not recorded). Each
# submit is bounded by 10 s. No TAP result.
submit_until() {
	local dir=$1 stop=$2 rec=$3 k=$4 out re='request ([0-9]+): issued, serial ([0-9A-F]+)'
	shift 4
	local -a csrs=("$@")
	while [[ ! -e $stop ]]; do
		out=$(timeout 10 "$CERTSRV" --data-dir "$dir" submit "${csrs[k % ${#csrs[@]}]}" 2>&1)
		if [[ $? -eq 0 && $out =~ $re ]]; then
			printf '%s %s\n' "${BASH_REMATCH[2]}" "${BASH_REMATCH[1]}" >>"$rec"
		fi
		k=$((k + 1))
	done
}

# ------------------------------------------------ checks after a crash
# The checks the crash and fault tests make once the daemon was killed (or
# faulted) and restarted. Each emits exactly one TAP result whose
# description starts with LABEL (e.g. "iteration 3") followed by ": ", or
# has no prefix when LABEL is empty.

_label() { printf '%s%s\n' "${1:+$1: }" "$2"; }

# acked_problems VIEW_JSON ACKED [REVOKED] — the oracle. VIEW_JSON is the
# output of `certsrv view --json`, ACKED has "SERIAL REQUEST_ID" lines (the
# issues clients saw acknowledged), REVOKED one SERIAL per acknowledged
# revocation. Prints one line per acknowledged change that is not in the
# view ("serial S (request R) missing", "serial S belongs to request X, not
# R", "revocation of S missing"); nothing when nothing was lost. Non-zero
# (with python's message) if a file cannot be read.
acked_problems() {
	python3 - "$1" "$2" "${3:-/dev/null}" <<'PYEOF'
import json, sys
rows = json.load(open(sys.argv[1]))
have = {r["serial"]: r for r in rows if r.get("serial")}
bad = []
for line in open(sys.argv[2]):
    serial, rid = line.split()
    if serial not in have:
        bad.append("serial %s (request %s) missing" % (serial, rid))
    elif have[serial]["request_id"] != int(rid):
        bad.append("serial %s belongs to request %s, not %s" % (serial, have[serial]["request_id"], rid))
for line in open(sys.argv[3]):
    serial = line.strip()
    if serial and (serial not in have or have[serial]["disposition"] != 21):
        bad.append("revocation of %s missing" % serial)
print("\n".join(bad))
PYEOF
}

# tap_acked LABEL VIEW_JSON ACKED [REVOKED] — one result: every acknowledged
# serial (and revocation) of the files is in VIEW_JSON (acked_problems);
# the problems are the diagnostics.
tap_acked() {
	local label=$1 view=$2 acked=$3 revoked=${4:-} out st what
	out=$(acked_problems "$view" "$acked" "$revoked" 2>&1)
	st=$?
	what="all $(wc -l <"$acked") acknowledged serials"
	[[ -n $revoked ]] && what+=" and $(wc -l <"$revoked") revocations"
	if [[ $st -eq 0 && -z $out ]]; then
		tap_ok "$(_label "$label" "$what are present")"
	else
		tap_fail "$(_label "$label" "every acknowledged serial${revoked:+ and revocation} is present")" "$out"
	fi
}

# tap_serials_unique LABEL VIEW_JSON — one result: no serial number appears
# twice in VIEW_JSON (`certsrv view --json`).
tap_serials_unique() {
	local dups
	dups=$(json_eval 'len([r["serial"] for r in d if r["serial"]]) - len(set(r["serial"] for r in d if r["serial"]))' <"$2" 2>&1)
	tap_is "$dups" 0 "$(_label "$1" "serial numbers are unique")"
}

# tap_lsn_forward LABEL STATUS_JSON — one result: the applied LSN in
# STATUS_JSON (the text of `certsrv status --json`) is a number not below
# $LAST_APPLIED_LSN (0 at first); if so LAST_APPLIED_LSN is set to it.
LAST_APPLIED_LSN=0
tap_lsn_forward() {
	local lsn prev=$LAST_APPLIED_LSN
	lsn=$(json_eval "d['log']['applied_lsn']" <<<"$2" 2>&1)
	if [[ $lsn =~ ^[0-9]+$ ]] && ((lsn >= prev)); then
		LAST_APPLIED_LSN=$lsn
		tap_ok "$(_label "$1" "applied LSN did not go back ($prev -> $lsn)")"
	else
		tap_fail "$(_label "$1" "applied LSN did not go back")" "before $prev, now $lsn"
	fi
}

# tap_clean_stop DIR LABEL — stops the daemon of DIR (daemon_stop); one
# result: it exited by itself with status 0. Sets DAEMON_EXIT.
tap_clean_stop() {
	if daemon_stop "$1" && [[ $DAEMON_EXIT == 0 ]]; then
		tap_ok "$(_label "$2" "clean stop (exit 0)")"
	else
		tap_fail "$(_label "$2" "clean stop (exit 0)")" "exit ${DAEMON_EXIT:-?}" "$(tail -n 10 "$1/daemon.log")"
	fi
}

# db_copy DIR — copies DIR/db/ca.db (and its -wal) to $TEST_TMP/check.db
# and prints that path, so that a check cannot touch the store itself.
db_copy() {
	local c="$TEST_TMP/check.db"
	rm -f "$c" "$c-wal" "$c-shm"
	cp "$1/db/ca.db" "$c" || return 1
	if [[ -f $1/db/ca.db-wal ]]; then cp "$1/db/ca.db-wal" "$c-wal" || return 1; fi
	printf '%s\n' "$c"
}

# tap_integrity DIR LABEL — one result: PRAGMA integrity_check says ok on a
# copy of DIR's database (db_copy). Run it with the daemon stopped.
tap_integrity() {
	local c
	if ! c=$(db_copy "$1"); then
		tap_fail "$(_label "$2" "PRAGMA integrity_check is ok")" "cannot copy $1/db/ca.db"
		return 0
	fi
	tap_is "$(sqlite3 "$c" 'PRAGMA integrity_check' 2>&1)" ok "$(_label "$2" "PRAGMA integrity_check is ok")"
}

# tap_log_chain DIR LABEL [FIRST_LSN] — one result: tests/logcheck finds
# DIR's log generations and LSNs contiguous, and the last LSN is the
# database's applied_lsn (read from a copy, db_copy); with FIRST_LSN the
# chain must also begin there. Run it with the daemon stopped.
tap_log_chain() {
	local dir=$1 label=$2 first=${3:-[0-9]+} chain applied c
	chain=$("$B/tests/logcheck" "$dir" 2>&1)
	applied="(cannot copy $dir/db/ca.db)"
	c=$(db_copy "$dir") && applied=$(sqlite3 "$c" "SELECT value FROM meta WHERE key = 'applied_lsn'" 2>&1)
	if [[ $chain =~ lsn\ ($first)\.\.([0-9]+) && ${BASH_REMATCH[2]} == "$applied" ]]; then
		tap_ok "$(_label "$label" "log chain contiguous (${BASH_REMATCH[0]}), ends at the applied LSN $applied")"
	else
		tap_fail "$(_label "$label" "log chain contiguous up to the applied LSN")" "$chain" "applied_lsn $applied"
	fi
}

# tap_certs_back DIR LABEL SERIAL... — one result: `certsrv getcert` finds
# every SERIAL (the certificates acknowledged before a crash or fault); the
# missing ones are the diagnostics.
tap_certs_back() {
	local dir=$1 label=$2 s
	shift 2
	local -a lost=()
	for s in "$@"; do
		cs "$dir" getcert "$s" >/dev/null 2>&1 || lost+=("$s")
	done
	tap_is "${lost[*]}" "" "$(_label "$label" "all $# acknowledged certificates are back")"
}

# ------------------------------------------------ peers as other users

# as_peer USER GROUP SUPP CMD... — runs CMD through setpriv as USER with
# primary group GROUP and supplementary groups SUPP (a comma list; "-" for
# none), bounded by $PEER_TIMEOUT seconds (default $CLI_TIMEOUT). No TAP
# result; returns CMD's status.
as_peer() {
	local user=$1 group=$2 supp=$3
	shift 3
	local -a groups=(--clear-groups)
	[[ $supp == - ]] || groups=(--groups="$supp")
	timeout "${PEER_TIMEOUT:-$CLI_TIMEOUT}" setpriv --reuid="$user" --regid="$group" "${groups[@]}" "$@"
}

# require_nobody WHAT [DATADIR] — unless setpriv can run a command as
# nobody:nogroup (and, with DATADIR, nobody can reach DATADIR/run), records
# one skipped result for WHAT and ends the script there (tap_done).
require_nobody() {
	if ! as_peer nobody nogroup - true 2>/dev/null; then
		tap_skip "$1" "setpriv cannot switch to nobody here"
		tap_done
	fi
	if [[ -n ${2:-} ]] && ! as_peer nobody nogroup - test -x "$2/run" 2>/dev/null; then
		tap_skip "$1" "nobody cannot reach $2/run"
		tap_done
	fi
}
