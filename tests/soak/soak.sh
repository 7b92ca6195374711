#!/usr/bin/env bash
# tests/soak/soak.sh — the soak test behind `make soak` (docs/soak.md).
#
# Builds a CA database of SOAK_CERTS certificates (tests/soakfill, the
# benchmarks' bulk path), starts certsrvd on it, and for SOAK_MINUTES runs
# SOAK_CLIENTS issuing clients (`certsrv submit` in a loop) plus a full
# backup SOAK_FULL_SEC seconds after the previous one ended, with
# incrementals every SOAK_INCR_SEC in between (`certsrv backup`, which truncates the logs). It prints a table over
# time — certsrvd's RSS and open descriptors (/proc/PID), WAL size, redo log
# volume, issuance rate, backups — then a table of every backup, and checks:
#   1. RSS bounded: the peak of the second half exceeds the peak of the first
#      half by at most SOAK_RSS_SLACK_MB (default 16);
#   2. descriptors bounded while running (at most baseline + 4 per possible
#      connection) and back to the baseline (the fewest seen before the
#      load) once clients and backups stopped;
#   3. WAL: after every full backup it fell below SOAK_WAL_SMALL_MB (default
#      16) within SOAK_WAL_WINDOW_SEC (default 75; checkpoints run at least
#      every 60 s), and never exceeded SOAK_WAL_MAX_MB (default 512);
#   4. log volume bounded: the second half's peak is at most the first
#      half's plus one log file (16 MiB);
#   5. every submit and every backup succeeded;
#   6. the last backup chain (full + its incrementals) passes
#      `certsrv verify-backup` (with its trial restore);
#   7. certsrvd stops cleanly.
# Each check is a TAP line; the last line is the verdict, and the exit
# status is non-zero on any failure. Everything lives under a temporary
# directory removed at the end (KEEP_TMP=1 keeps it). Every loop is bounded
# in time; the daemon is stopped by PID. Timing never decides a check.
#
# Knobs (environment): SOAK_MINUTES (10; SOAK_SECONDS overrides it),
# SOAK_CERTS (1000000), SOAK_CLIENTS (4), SOAK_FULL_SEC (60), SOAK_INCR_SEC
# (15), SOAK_SAMPLE_SEC (table row interval, 30), the thresholds above.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"
require_binaries certsrv certsrvd tests/soakfill

num() { [[ $1 =~ ^[0-9]+$ ]] && printf '%s' "$1" || printf '%s' "$2"; }
MINUTES=$(num "${SOAK_MINUTES:-10}" 10)
DURATION=$(num "${SOAK_SECONDS:-$((MINUTES * 60))}" 600)
((DURATION > 86400)) && DURATION=86400
((DURATION < 10)) && DURATION=10
CERTS=$(num "${SOAK_CERTS:-1000000}" 1000000)
CLIENTS=$(num "${SOAK_CLIENTS:-4}" 4)
((CLIENTS < 1)) && CLIENTS=1
((CLIENTS > 32)) && CLIENTS=32
FULL_SEC=$(num "${SOAK_FULL_SEC:-60}" 60)
INCR_SEC=$(num "${SOAK_INCR_SEC:-15}" 15)
SAMPLE_SEC=$(num "${SOAK_SAMPLE_SEC:-30}" 30)
((SAMPLE_SEC < 1)) && SAMPLE_SEC=1
export SOAK_RSS_SLACK_MB=$(num "${SOAK_RSS_SLACK_MB:-16}" 16)
export SOAK_WAL_SMALL_MB=$(num "${SOAK_WAL_SMALL_MB:-16}" 16)
export SOAK_WAL_WINDOW_SEC=$(num "${SOAK_WAL_WINDOW_SEC:-75}" 75)
export SOAK_WAL_MAX_MB=$(num "${SOAK_WAL_MAX_MB:-512}" 512)
BACKUP_TIMEOUT=600

D=$(mk_datadir)
W="$TEST_TMP/work"
BK="$TEST_TMP/backups"
mkdir -p "$W/csr" "$BK"

echo "# soak: $CERTS certificates, $DURATION s, $CLIENTS clients, full backup ${FULL_SEC} s after the previous one ended, incrementals every ${INCR_SEC} s"
echo "# machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(uname -sr); $(date -u '+%Y-%m-%d %H:%M UTC')"

# --- 1. a CA with one real certificate, then the bulk fill (daemon stopped)
ca_init "$D" >/dev/null 2>&1 || tap_bail "certsrv init failed"
for ((i = 0; i < 32; i++)); do
	gen_csr "$W/csr/$i.csr" "soak$i.example" "soak$i.example" || tap_bail "openssl cannot make CSRs"
done
daemon_start "$D" || tap_bail "certsrvd did not start"
cs "$D" submit "$W/csr/0.csr" >/dev/null 2>&1 || tap_bail "the first submit failed"
daemon_stop "$D" || tap_bail "certsrvd did not stop"
t0=$SECONDS
"$B/tests/soakfill" "$D/db/ca.db" "$CERTS" || tap_bail "bulk fill failed"
echo "# bulk fill: $((SECONDS - t0)) s"
daemon_start "$D" || tap_bail "certsrvd did not start on the filled database"
PID=$(daemon_pid "$D")
# Baseline: the fewest descriptors over a quiet second (daemon_start's last
# status connection may still be closing).
BASE_FDS=100000
for ((i = 0; i < 10; i++)); do
	n=$(find "/proc/$PID/fd" -mindepth 1 -maxdepth 1 | wc -l)
	((n < BASE_FDS)) && BASE_FDS=$n
	sleep 0.1
done

# --- 2. load: issuing clients and the backup schedule
client() {
	local n=$1 k=0 out
	while [[ ! -e $W/stop ]]; do
		if out=$(timeout 30 "$CERTSRV" --data-dir "$D" submit "$W/csr/$(((n * 7 + k) % 32)).csr" 2>&1); then
			echo >>"$W/ok.$n"
		else
			printf '%s\n' "$out" >>"$W/fail.$n"
		fi
		k=$((k + 1))
	done
}

# backup KIND DIR — one backup; appends "kind start end status bytes dir".
backup() {
	local kind=$1 dir=$2 s e st opt=()
	[[ $kind == incr ]] && opt=(--incremental)
	s=$(date +%s.%N)
	timeout "$BACKUP_TIMEOUT" "$CERTSRV" --data-dir "$D" backup "$dir" "${opt[@]}" >"$dir.out" 2>&1
	st=$?
	e=$(date +%s.%N)
	printf '%s %s %s %s %s %s\n' "$kind" "$s" "$e" "$st" \
		"$(du -sb "$dir" 2>/dev/null | cut -f1)" "$dir" >>"$W/backups.tsv"
	return $st
}

# A chain is a full set and the incrementals after it; a new complete full
# replaces the previous chain, so disk use stays bounded.
backup_loop() {
	local chain=0 prev="" next_full=$SECONDS incr=0 next_incr
	while [[ ! -e $W/stop ]]; do
		if ((SECONDS >= next_full)); then
			mkdir -p "$BK/chain.$((chain + 1))"
			if backup full "$BK/chain.$((chain + 1))/full"; then
				chain=$((chain + 1))
				[[ -n $prev ]] && rm -rf "$prev"
				prev="$BK/chain.$chain"
				incr=0
			else
				rm -rf "$BK/chain.$((chain + 1))"
			fi
			# Counted from the end of the full: a paced full of a large
			# database can take most of a minute, and incrementals must
			# still run between fulls.
			next_full=$((SECONDS + FULL_SEC))
			next_incr=$((SECONDS + INCR_SEC))
		elif ((chain > 0 && SECONDS >= next_incr && next_full - SECONDS > INCR_SEC / 2)); then
			incr=$((incr + 1))
			backup incr "$BK/chain.$chain/incr.$(printf '%03d' "$incr")" ||
				rm -rf "$BK/chain.$chain/incr.$(printf '%03d' "$incr")"
			next_incr=$((SECONDS + INCR_SEC))
		fi
		sleep 0.5
	done
}

: >"$W/backups.tsv"
START=$(date +%s.%N)
echo "$START" >"$W/start"
pids=()
for ((c = 0; c < CLIENTS; c++)); do
	: >"$W/ok.$c"
	client "$c" &
	pids+=($!)
	bg_track $!
done
backup_loop &
BPID=$!
bg_track $BPID

# --- 3. sampling: WAL every second, a table row every SAMPLE_SEC
size_of() { stat -c %s "$1" 2>/dev/null || echo 0; }
issued() { cat "$W"/ok.* | wc -l; }
printf '%6s %8s %5s %5s %8s %8s %9s %5s %9s %7s %8s %s\n' time RSS_MiB fds thr WAL_MiB WALmax logs_MiB gens issued rate/s backups last_backup
prev_issued=0 prev_t=0 walmax=0
END=$((SECONDS + DURATION))
next_sample=$((SECONDS + SAMPLE_SEC))
while ((SECONDS < END)); do
	sleep 1
	[[ -d /proc/$PID ]] || break
	now=$(date +%s.%N)
	wal=$(size_of "$D/db/ca.db-wal")
	echo "$now $wal" >>"$W/wal.tsv"
	((wal > walmax)) && walmax=$wal
	((SECONDS >= next_sample || SECONDS >= END)) || continue
	next_sample=$((next_sample + SAMPLE_SEC))
	rss=$(awk '/^VmRSS/ {print $2}' "/proc/$PID/status")
	thr=$(awk '/^Threads/ {print $2}' "/proc/$PID/status")
	fds=$(find "/proc/$PID/fd" -mindepth 1 -maxdepth 1 | wc -l)
	logs=0 gens=0
	for f in "$D"/logs/ca*.log; do
		[[ -e $f ]] || continue
		logs=$((logs + $(size_of "$f")))
		gens=$((gens + 1))
	done
	n=$(issued)
	t=$(awk -v a="$now" -v b="$START" 'BEGIN {printf "%.0f", a - b}')
	rate=$(awk -v n=$((n - prev_issued)) -v dt=$((t - prev_t)) 'BEGIN {printf "%.0f", (dt > 0 ? n / dt : 0)}')
	nb=$(awk '$4 == 0 {print $1}' "$W/backups.tsv" | sort | uniq -c | awk '{printf "%s%s=%s", (NR > 1 ? "," : ""), $2, $1}')
	last=$(tail -1 "$W/backups.tsv" | awk '{ if (NF) printf "%s %.1fs", $1, $3 - $2 }')
	echo "$now $rss $fds $thr $wal $walmax $logs $gens $n" >>"$W/samples.tsv"
	printf '%6s %8.1f %5s %5s %8.1f %8.1f %9.1f %5s %9s %7s %8s %s\n' "$t" \
		"$(awk -v k="$rss" 'BEGIN {print k / 1024}')" "$fds" "$thr" \
		"$(awk -v b="$wal" 'BEGIN {print b / 1048576}')" \
		"$(awk -v b="$walmax" 'BEGIN {print b / 1048576}')" \
		"$(awk -v b="$logs" 'BEGIN {print b / 1048576}')" "$gens" "$n" "$rate" "${nb:-none}" "${last:--}"
	prev_issued=$n prev_t=$t walmax=0
done
RUN_END=$(date +%s.%N)

# --- 4. stop the load, wait for the backup in flight, compare descriptors
touch "$W/stop"
wait "${pids[@]}" 2>/dev/null
wait "$BPID" 2>/dev/null
END_FDS=-1
for ((i = 0; i < 200; i++)); do
	END_FDS=$(find "/proc/$PID/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
	((END_FDS <= BASE_FDS)) && break
	sleep 0.1
done

# --- 5. the last chain restores
chain=$(find "$BK" -mindepth 1 -maxdepth 1 -name 'chain.*' | sort -t. -k2 -n | tail -1)
sets=()
if [[ -n $chain && -d $chain/full ]]; then
	sets=("$chain/full")
	for s in "$chain"/incr.*; do
		[[ -d $s ]] && sets+=("$s")
	done
fi
VERIFY_OUT=""
VERIFY_ST=1
if ((${#sets[@]} > 0)); then
	t0=$SECONDS
	VERIFY_OUT=$(timeout 1800 "$CERTSRV" verify-backup "${sets[@]}" 2>&1)
	VERIFY_ST=$?
	echo "# verify-backup of $(basename "$chain"): full + $((${#sets[@]} - 1)) incrementals, $((SECONDS - t0)) s"
fi
daemon_stop "$D"
STOP_EXIT=${DAEMON_EXIT:-?}

# --- 6. backups table and verdict
export W START RUN_END BASE_FDS END_FDS CLIENTS VERIFY_ST STOP_EXIT
export VERIFY_OUT
python3 - <<'EOF'
import glob, os

W = os.environ["W"]
start, run_end = float(os.environ["START"]), float(os.environ["RUN_END"])
mb = 1048576.0
samples = [list(map(float, l.split())) for l in open(W + "/samples.tsv") if l.strip()]
wal = [tuple(map(float, l.split())) for l in open(W + "/wal.tsv") if l.strip()]
backups = []
for l in open(W + "/backups.tsv"):
    f = l.split()
    if len(f) >= 5:
        backups.append((f[0], float(f[1]) - start, float(f[2]) - float(f[1]),
                        int(f[3]), int(f[4] or 0)))

print()
print("%-5s %9s %10s %9s %s" % ("kind", "start_s", "duration_s", "size_MB", "status"))
for kind, s, d, st, size in backups:
    print("%-5s %9.0f %10.1f %9.1f %s" % (kind, s, d, size / 1e6, "ok" if st == 0 else "exit %d" % st))
fulls = [b for b in backups if b[0] == "full" and b[3] == 0]
incrs = [b for b in backups if b[0] == "incr" and b[3] == 0]
if fulls:
    print("full backups: %d, %.1f..%.1f s; incrementals: %d, %s s" % (
        len(fulls), min(b[2] for b in fulls), max(b[2] for b in fulls), len(incrs),
        "%.1f..%.1f" % (min(b[2] for b in incrs), max(b[2] for b in incrs)) if incrs else "-"))
print()

n = 0
failed = 0
def check(ok, desc, *diag):
    global n, failed
    n += 1
    if not ok:
        failed += 1
    print("%s %d - %s" % ("ok" if ok else "not ok", n, desc))
    for d in diag:
        for line in str(d).splitlines():
            print("# " + line)

half = start + (run_end - start) / 2
first = [s for s in samples if s[0] < half]
second = [s for s in samples if s[0] >= half]
slack = float(os.environ["SOAK_RSS_SLACK_MB"])
if first and second:
    r1 = max(s[1] for s in first) / 1024
    r2 = max(s[1] for s in second) / 1024
    issued2 = second[-1][8] - first[-1][8]
    check(r2 - r1 <= slack, "RSS bounded: peak %.1f MiB in the second half vs %.1f MiB in the first (growth %.1f MiB <= %.0f MiB over %d issues)"
          % (r2, r1, r2 - r1, slack, issued2))
else:
    check(False, "RSS bounded", "too few samples: run longer or sample more often")

base, end_fds, clients = int(os.environ["BASE_FDS"]), int(os.environ["END_FDS"]), int(os.environ["CLIENTS"])
cap = base + 4 * (clients + 2)
peak = max((int(s[2]) for s in samples), default=0)
check(peak <= cap, "descriptors bounded while running: peak %d <= %d (baseline %d + 4 per connection)" % (peak, cap, base))
check(0 <= end_fds <= base, "descriptors back to the baseline after the load: %d, baseline %d" % (end_fds, base))

small = float(os.environ["SOAK_WAL_SMALL_MB"]) * mb
window = float(os.environ["SOAK_WAL_WINDOW_SEC"])
judged, bad = 0, []
for kind, s, d, st, size in fulls:
    e = start + s + d
    if e + window > run_end:
        continue
    judged += 1
    after = [w for t, w in wal if e < t <= e + window]
    if not after or min(after) > small:
        bad.append("full backup at %.0f s: WAL min %.1f MiB within %.0f s after its end"
                   % (s, (min(after) if after else -1) / mb, window))
check(judged > 0 and not bad, "WAL back under %.0f MiB within %.0f s after each of %d full backups judged"
      % (small / mb, window, judged), *(bad or (["no full backup ended early enough to judge"] if judged == 0 else [])))
walmax = max((w for t, w in wal), default=0)
wmax = float(os.environ["SOAK_WAL_MAX_MB"]) * mb
check(walmax <= wmax, "WAL never above %.0f MiB (peak %.1f MiB)" % (wmax / mb, walmax / mb))

if first and second:
    l1 = max(s[6] for s in first) / mb
    l2 = max(s[6] for s in second) / mb
    check(l2 <= l1 + 16, "log volume bounded: peak %.1f MiB in the second half vs %.1f MiB in the first" % (l2, l1))
else:
    check(False, "log volume bounded", "too few samples")

fails = []
for f in sorted(glob.glob(W + "/fail.*")):
    fails += open(f).read().splitlines()
issued = sum(1 for f in glob.glob(W + "/ok.*") for _ in open(f))
check(issued > 0 and not fails, "all %d submits issued (%d failed)" % (issued, len(fails)), *fails[:10])
bad_b = [b for b in backups if b[3] != 0]
check(fulls and not bad_b, "every backup succeeded: %d full, %d incremental" % (len(fulls), len(incrs)),
      *["%s at %.0f s: exit %d" % (b[0], b[1], b[3]) for b in bad_b])
vst = int(os.environ["VERIFY_ST"])
check(vst == 0, "the last backup chain passes verify-backup (trial restore)", os.environ.get("VERIFY_OUT", "")[-2000:])
check(os.environ["STOP_EXIT"] == "0", "certsrvd stopped cleanly (exit %s)" % os.environ["STOP_EXIT"])
print("1..%d" % n)
print("soak verdict: %s" % ("PASS" if failed == 0 else "FAIL (%d of %d checks)" % (failed, n)))
raise SystemExit(1 if failed else 0)
EOF
