#!/usr/bin/env python3
# tests/fuzz/gen_proto_corpus.py — writes the seed corpora of the two
# protocol harnesses, framed as in docs/protocol.md:
#  - tests/fuzz/corpus/client/: byte streams a server could send back to the
#    backup call sequence of tests/fuzz/fuzz_client.c. First byte: the
#    harness's mode (flavour, read size, IsServerOnline, backup type); then
#    reply frames with request ids 1, 2, ... in the order the calls make
#    their requests;
#  - tests/fuzz/corpus/server/: request streams for tests/fuzz/fuzz_server.c,
#    every request type with its fields, well-formed and malformed.
# Deterministic; run it from the repository root to regenerate the seeds.
import os
import struct

OUT = "tests/fuzz/corpus/client"
SOUT = "tests/fuzz/corpus/server"
OK, ERR = 0x8000, 0x8001
PT_STATUS, PT_MESSAGE, PT_LIST, PT_SIZE, PT_DATA = 10, 11, 17, 19, 21
PT_CSR, PT_PROFILE, PT_REQUEST_ID, PT_SERIAL, PT_REASON, PT_DATE = 1, 2, 3, 4, 5, 6
PT_FILTER, PT_FLAGS, PT_GRBIT, PT_PATH, PT_LENGTH = 12, 15, 16, 18, 20
(PING, STATUS, SUBMIT, ISSUE, DENY, REVOKE, UNREVOKE, CRL, VIEW, GETCERT,
 SHUTDOWN) = range(1, 12)
(B_PREPARE, B_NAMES, B_OPEN, B_READ, B_CLOSE, B_LOGS, B_TRUNCATE, B_DYNAMIC,
 B_END, R_LOCATIONS) = range(20, 30)


def field(tag, value):
    return struct.pack(">HI", tag, len(value)) + value


def frame(rid, typ, *fields):
    payload = b"".join(fields)
    return struct.pack(">IHHII", 0x43535256, 1, typ, rid, len(payload)) + payload


def lst(*entries):
    return field(PT_LIST, b"".join(bytes([t]) + p.encode() + b"\0" for t, p in entries))


def u64(tag, v):
    return field(tag, struct.pack(">Q", v))


def err(rid, code, msg):
    return frame(rid, ERR, field(PT_STATUS, struct.pack(">I", code & 0xFFFFFFFF)),
                 field(PT_MESSAGE, msg.encode()))


DB = "/var/lib/certsrv/db/ca.db"
LOG = "/var/lib/certsrv/logs/ca00000001.log"


def full_backup(data=b"SQLite format 3\0" + bytes(84), logdata=b"LOGDATA"):
    """Prepare, names, open+read+read(0)+close, logs, open+read+read(0)+close,
    dynamic, locations, truncate, end: 4096-byte reads."""
    f = [frame(1, OK), frame(2, OK, lst((0x44, DB))),
         frame(3, OK, u64(PT_SIZE, len(data))), frame(4, OK, field(PT_DATA, data)),
         frame(5, OK, field(PT_DATA, b"")), frame(6, OK),
         frame(7, OK, lst((0x21, LOG))),
         frame(8, OK, u64(PT_SIZE, len(logdata))), frame(9, OK, field(PT_DATA, logdata)),
         frame(10, OK, field(PT_DATA, b"")), frame(11, OK),
         frame(12, OK, lst((0, "/var/lib/certsrv/certsrv.conf"), (0, "/var/lib/certsrv/ca/ca.crt"))),
         frame(13, OK, lst((0x44, DB), (0x82, "/var/lib/certsrv/logs"), (0x83, "/var/lib/certsrv/logs"))),
         frame(14, OK), frame(15, OK)]
    return b"".join(f)


def write(name, mode, stream):
    with open(os.path.join(OUT, name), "wb") as fh:
        fh.write(bytes([mode]) + stream)


os.makedirs(OUT, exist_ok=True)
write("full-utf8", 0x02, full_backup())
write("full-utf16-online", 0x0B, frame(1, OK) + full_backup()[len(frame(1, OK)):])
write("logs-only-small-reads", 0x10, b"".join([
    frame(1, OK), err(2, -20025, "GetDatabaseNames is for full backups"),
    frame(3, OK, lst((0x21, LOG))), frame(4, OK, u64(PT_SIZE, 40)),
    frame(5, OK, field(PT_DATA, b"A" * 16)), frame(6, OK, field(PT_DATA, b"B" * 16)),
    frame(7, OK, field(PT_DATA, b"C" * 8)), frame(8, OK, field(PT_DATA, b"")),
    frame(9, OK), frame(10, OK, lst()), frame(11, OK, lst((0x44, DB))),
    frame(12, OK), frame(13, OK)]))
write("prepare-refused", 0x02, err(1, -20023, "a backup is already in progress"))
write("error-without-message", 0x03, frame(1, ERR, field(PT_STATUS, struct.pack(">I", 0xFFFFB1E0))))
write("error-positive-status", 0x02, frame(1, OK) + frame(2, ERR, field(PT_STATUS, struct.pack(">I", 5))))
write("wrong-request-id", 0x02, frame(1, OK) + frame(7, OK, lst((0x44, DB))))
write("read-longer-than-asked", 0x00, frame(1, OK) + frame(2, OK, lst((0x44, DB))) +
      frame(3, OK, u64(PT_SIZE, 64)) + frame(4, OK, field(PT_DATA, b"x" * 64)))
write("list-bad-utf8", 0x03, frame(1, OK) + frame(2, OK, field(PT_LIST, b"D/a\xff\xfe\0")))
write("list-untagged-in-tagged", 0x02, frame(1, OK) + frame(2, OK, lst((0, DB))))
write("size-negative", 0x02, frame(1, OK) + frame(2, OK, lst((0x44, DB))) +
      frame(3, OK, u64(PT_SIZE, 1 << 63)))
write("truncated-frame", 0x02, frame(1, OK) + frame(2, OK, lst((0x44, DB)))[:20])


def u32(tag, v):
    return field(tag, struct.pack(">I", v))


def req(*frames):
    return b"".join(frame(i + 1, t, *f) for i, (t, *f) in enumerate(frames))


def swrite(name, stream):
    with open(os.path.join(SOUT, name), "wb") as fh:
        fh.write(stream)


os.makedirs(SOUT, exist_ok=True)
CSR = open("tests/fuzz/corpus/csr/p256-san.der", "rb").read()
swrite("ping-status", req((PING,), (STATUS,)))
swrite("submit-issued", req((SUBMIT, field(PT_CSR, CSR), field(PT_PROFILE, b"tls-server")),
                            (GETCERT, u64(PT_REQUEST_ID, 1))))
swrite("submit-pending-issue-deny", req((SUBMIT, field(PT_CSR, CSR), field(PT_PROFILE, b"sub-ca")),
                                        (ISSUE, u64(PT_REQUEST_ID, 2)),
                                        (SUBMIT, field(PT_CSR, CSR), field(PT_PROFILE, b"sub-ca")),
                                        (DENY, u64(PT_REQUEST_ID, 3))))
swrite("submit-bad-profile", req((SUBMIT, field(PT_CSR, CSR), field(PT_PROFILE, b"no-such"))))
swrite("revoke-unrevoke", req((REVOKE, field(PT_SERIAL, b"0123456789ABCDEF0123456789ABCDEF"),
                               u32(PT_REASON, 6), u64(PT_DATE, 1700000000)),
                              (UNREVOKE, field(PT_SERIAL, b"01:23:45")),
                              (REVOKE, field(PT_SERIAL, b"zz"))))
swrite("crl-view-getcert", req((CRL,), (VIEW, u32(PT_FILTER, 0)), (VIEW, u32(PT_FILTER, 2)),
                               (VIEW, u32(PT_FILTER, 99)),
                               (GETCERT, field(PT_SERIAL, b"0123456789abcdef")),
                               (GETCERT,)))
swrite("backup-full", req((B_PREPARE, u32(PT_FLAGS, 1), u32(PT_GRBIT, 0)), (B_NAMES,),
                          (B_OPEN, field(PT_PATH, b"/var/lib/certsrv/db/ca.db")),
                          (B_READ, u32(PT_LENGTH, 65536)), (B_CLOSE,), (B_LOGS,),
                          (B_DYNAMIC,), (R_LOCATIONS,), (B_TRUNCATE,), (B_END,)))
# The harness's data directory when it holds its lock (fuzz_server.c); a
# fresh store at generation 1: GetBackupLogs closes ca00000001.log.
SD = b"/dev/shm/certsrv-fuzz-server"
swrite("backup-full-read", req((B_PREPARE, u32(PT_FLAGS, 1)), (B_NAMES,),
                               (B_OPEN, field(PT_PATH, SD + b"/db/ca.db")),
                               (B_READ, u32(PT_LENGTH, 4096)), (B_READ, u32(PT_LENGTH, 4194304)),
                               (B_READ, u32(PT_LENGTH, 1)), (B_CLOSE,), (B_LOGS,),
                               (B_OPEN, field(PT_PATH, SD + b"/logs/ca00000001.log")),
                               (B_READ, u32(PT_LENGTH, 100)), (B_READ, u32(PT_LENGTH, 65536)),
                               (B_READ, u32(PT_LENGTH, 1)), (B_CLOSE,), (B_TRUNCATE,), (B_END,)))
swrite("backup-logs-only", req((B_PREPARE, u32(PT_FLAGS, 2)), (B_LOGS,), (B_READ, u32(PT_LENGTH, 0)),
                               (B_END,)))
swrite("backup-out-of-order", req((B_READ, u32(PT_LENGTH, 16)), (B_OPEN, field(PT_PATH, b"../etc/passwd")),
                                  (B_PREPARE, u32(PT_FLAGS, 7), u32(PT_GRBIT, 1)), (B_END,)))
swrite("wrong-widths", req((ISSUE, u32(PT_REQUEST_ID, 1)), (VIEW, u64(PT_FILTER, 1)),
                           (REVOKE, field(PT_SERIAL, b"01"), u64(PT_REASON, 1)),
                           (B_PREPARE, u64(PT_FLAGS, 1))))
swrite("unknown-type-shutdown", req((99,), (0x8000,), (SHUTDOWN,), (PING,)))
swrite("truncated", req((PING,), (SUBMIT, field(PT_CSR, CSR)))[:-40])
