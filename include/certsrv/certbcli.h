/*
 * certbcli.h — the Certificate Services backup and restore API of certsrv
 * (libcertadm).
 *
 * This is the installed, public header of libcertadm.so.1 (pkg-config
 * "libcertadm"). It declares the Windows certbcli.h backup and restore API
 * with the Windows names, types, constant values and semantics, so that
 * backup software written for Windows ports with little more than a
 * recompile:
 *
 *   - Every function that takes or returns strings exists twice: the "W"
 *     flavour (CertSrvBackupPrepareW, ...) takes and returns UTF-16 in host
 *     byte order (WCHAR = char16_t, so u"..." literals work), exactly as on
 *     Windows; the unsuffixed flavour (CertSrvBackupPrepare, ...) takes and
 *     returns UTF-8. On Windows the unsuffixed names are macros for the W
 *     names; here they are real exports, and dlsym() finds both spellings.
 *     Functions without strings (CertSrvBackupRead, ...Close,
 *     ...TruncateLogs, ...End, ...Free, CertSrvRestoreRegisterComplete,
 *     CertSrvRestoreEnd) exist once. CertSrvRestoreRegisterThroughFile is
 *     UTF-8 and CertSrvRestoreRegisterThroughFileW UTF-16 (on Windows the
 *     unsuffixed ThroughFile name is the only, UTF-16, export).
 *   - Every function has a function typedef (FNCERTSRVBACKUPPREPAREW for the
 *     W form, FNCERTSRVBACKUPPREPARE for the UTF-8 form, FNCERTSRVBACKUPREAD,
 *     ...), for callers that resolve the API with dlopen()/dlsym() as Windows
 *     callers do with LoadLibrary()/GetProcAddress():
 *         FNCERTSRVBACKUPPREPAREW *pfn =
 *             (FNCERTSRVBACKUPPREPAREW *)dlsym(h, "CertSrvBackupPrepareW");
 *   - Calling convention: the platform's native C ABI (CERTBCLI_CALL is
 *     empty); there is no __stdcall on Linux.
 *
 * Guarantees of the library behind this header:
 *   - It never logs or prints, never installs signal handlers (SIGPIPE is
 *     avoided per call), keeps no hidden global state, and is thread-safe
 *     for different handles. One handle must be used by one thread at a
 *     time.
 *   - Every function returns an HRESULT with the Windows value for the
 *     situation (table below); CertSrvGetErrorMessage() turns any HRESULT
 *     into an English sentence.
 *   - Every buffer the library returns is freed with CertSrvBackupFree(),
 *     which accepts NULL. Output pointers are set (to NULL / 0 / FALSE) on
 *     entry, so they hold no stale value after a failure.
 *   - The library exports only CertSrv* symbols.
 *
 * Lists ("wszz" / "szz" outputs): strings one after another, each ended by
 * a NUL unit, then one more NUL unit. Entries of GetDatabaseNames,
 * GetBackupLogs and RestoreGetDatabaseLocations start with a one-unit
 * CSBFT_* tag (one WCHAR in the W flavour, one byte in the UTF-8 flavour;
 * the raw tag value, so CSBFT_LOG_DIR is the single unit 0x82 in both);
 * entries of GetDynamicFileList are untagged. *pcbSize is the size in BYTES
 * of the whole buffer, both final NUL units included. An empty list is a
 * buffer of two NUL units (4 bytes W, 2 bytes UTF-8). The caller strips the
 * tag before passing a name to CertSrvBackupOpenFile (as on Windows).
 *
 * Server names (pwszServerName / pszServerName): NULL, "", "localhost" or
 * this host's name -> the default data directory ($CERTSRV_DATA_DIR, else
 * /var/lib/certsrv); a path ("/...", "./...", "../...") -> the certsrvd
 * instance of that data directory; "unix:PATH" -> that socket. Remote
 * "host[:port]" names are reserved (TLS, later) and fail with E_INVALIDARG.
 * CertSrvRestorePrepare works on the data directory itself, so it needs a
 * name that designates one ("unix:PATH" fails with E_INVALIDARG).
 *
 * Call order of a backup session (DESIGN section 5; the server enforces it):
 *   CertSrvBackupPrepare
 *     [CertSrvRestoreGetDatabaseLocations]            (any time in the session)
 *     CertSrvBackupGetDatabaseNames                    (FULL sessions only)
 *       { OpenFile, Read..., Close } for each database
 *     CertSrvBackupGetBackupLogs                       (no database file may be
 *       { OpenFile, Read..., Close } for each log        opened after this)
 *     [CertSrvBackupTruncateLogs]                      (every listed file read
 *                                                       to its end, none open)
 *     [CertSrvBackupGetDynamicFileList]                (copy those files yourself)
 *   CertSrvBackupEnd                                   (always, after a
 *                                                       successful Prepare)
 * A call out of this order fails with E_UNEXPECTED; GetDatabaseNames in a
 * LOGS_ONLY session fails with 0xC8000209. One file is open at a time. Only
 * a session that read every listed file to its end and closed it is
 * recorded as a backup: a file counts at Close, so software that cannot
 * store a file should end the session without closing it.
 *
 * Call order of a restore (DESIGN section 6; done while certsrvd is stopped,
 * entirely on the data directory: no restore call talks to the daemon):
 *   [CertSrvServerControl(CSCONTROL_SHUTDOWN)]        (stop a running CA)
 *   CertSrvRestorePrepare(CSRESTORE_TYPE_FULL)         (0: continue an
 *                                                       earlier registration)
 *     copy the database to DATADIR/db/ca.db and the set's logs to a staging
 *     directory (DATADIR/restore/logs/ by convention)
 *     CertSrvRestoreRegister(full: crstmap 1)  -> CertSrvRestoreRegisterComplete
 *     { copy an incremental's logs;
 *       CertSrvRestoreRegister(crstmap 0)      -> CertSrvRestoreRegisterComplete }
 *   CertSrvRestoreEnd                                  (always, after a
 *                                                       successful Prepare)
 *   start certsrvd: it recovers from the registration, then removes it.
 * The registration is the file DATADIR/restore/restore.env, replaced
 * atomically at every Register, RegisterComplete and End. From the first
 * Register on, certsrvd refuses to start (with a message naming what is
 * missing) until every registration was completed with S_OK and
 * CertSrvRestoreEnd was called. A registration completed with a failure
 * status keeps the CA from starting until a new restore
 * (CSRESTORE_TYPE_FULL) replaces it. One restore per data directory at a
 * time: the file is replaced whole, the last writer wins.
 *
 * HRESULTs the library returns (internal code -> HRESULT, one table in
 * lib/hresult.c):
 *   S_OK                          0x00000000  success
 *   E_INVALIDARG                  0x80070057  bad argument, NULL or stale
 *                                             handle, invalid UTF-8/UTF-16,
 *                                             remote server name, malformed
 *                                             protocol message
 *   E_POINTER                     0x80004003  a required pointer is NULL
 *   E_OUTOFMEMORY                 0x8007000E  allocation failed
 *   E_ACCESSDENIED                0x80070005  caller lacks the backup role
 *   E_UNEXPECTED                  0x8000FFFF  call out of the documented order
 *   E_FAIL                        0x80004005  any other failure
 *   HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND)
 *                                 0x80070002  OpenFile of a name the session
 *                                             did not list
 *   HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND)
 *                                 0x80070003  RestorePrepare of a data
 *                                             directory that does not exist
 *   HRESULT_FROM_WIN32(ERROR_SHARING_VIOLATION)
 *                                 0x80070020  RestorePrepare while certsrvd
 *                                             runs on that data directory
 *                                             (certutil's "file in use")
 *   HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE)
 *                                 0x800706BA  certsrvd is not running
 *   HRESULT_FROM_WIN32(RPC_S_CALL_FAILED)
 *                                 0x800706BE  the connection broke mid-call
 *                                             (server stopped or killed)
 *   0xC80001F9  JET_errBackupInProgress       another backup session runs
 *   0xC8000230  JET_errMissingFullBackup      LOGS_ONLY without a prior full;
 *                                             an incremental RestoreRegister
 *                                             without a full registration
 *   0xC8000209  JET_errInvalidBackupSequence  call invalid for this session type
 *   0xC8000210  JET_errMissingLogFile         the log chain has a gap
 *   0xC8000212  JET_errBadLogSignature        a log of another lineage
 * and, for system errors on the server or in the library,
 *   HRESULT_FROM_WIN32() of ERROR_PATH_NOT_FOUND (3), ERROR_TOO_MANY_OPEN_FILES
 *   (4), ERROR_WRITE_PROTECT (19), ERROR_SHARING_VIOLATION (32),
 *   ERROR_NOT_SUPPORTED (50: the server does
 *   not know the request), ERROR_FILE_EXISTS (80), ERROR_DISK_FULL (112),
 *   ERROR_BUSY (170), ERROR_ALREADY_EXISTS (183), ERROR_FILENAME_EXCED_RANGE
 *   (206), ERROR_FILE_TOO_LARGE (223: a size limit), ERROR_SHUTDOWN_IN_PROGRESS
 *   (1115), ERROR_IO_DEVICE (1117), ERROR_NOT_FOUND (1168), ERROR_FILE_CORRUPT
 *   (1392: stored data failed its checks), ERROR_TIMEOUT (1460),
 *   ERROR_BAD_CONFIGURATION (1610), ERROR_INVALID_STATE (5023); and
 *   NTE_BAD_SIGNATURE 0x80090006. Anything else is E_FAIL.
 */
#ifndef CERTSRV_CERTBCLI_H
#define CERTSRV_CERTBCLI_H

#include <stdint.h>
#include <uchar.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- macros */

#ifndef CERTBCLI_API
#define CERTBCLI_API __attribute__((visibility("default")))
#endif
#ifndef CERTBCLI_CALL
#define CERTBCLI_CALL
#endif

/* ----------------------------------------------------------------- types */

typedef int32_t HRESULT;
typedef int BOOL;
typedef unsigned char BYTE;
typedef uint32_t DWORD;
typedef uint32_t ULONG;
typedef int32_t LONG;
typedef char16_t WCHAR; /* one UTF-16 code unit, host byte order */
#ifndef VOID
#define VOID void
#endif
#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif

/* A 64-bit signed integer with its 32-bit halves, as on Windows. The halves
 * are laid out in host byte order, so LowPart/HighPart always alias the
 * low/high 32 bits of QuadPart. */
typedef union _LARGE_INTEGER {
	struct {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		LONG HighPart;
		DWORD LowPart;
#else
		DWORD LowPart;
		LONG HighPart;
#endif
	};
	struct {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		LONG HighPart;
		DWORD LowPart;
#else
		DWORD LowPart;
		LONG HighPart;
#endif
	} u;
	int64_t QuadPart;
} LARGE_INTEGER;

/* A backup (or restore) session handle; opaque. NULL is never valid. */
typedef void *HCSBC;

/* A file-type tag: the first unit of a list entry (CSBFT_* values). */
typedef WCHAR CSBFT;

/* Restore map element (used by the restore family, CertSrvRestoreRegister).
 * CSEDB_RSTMAPW holds UTF-16 strings, CSEDB_RSTMAP UTF-8 ones. */
typedef struct tagCSEDB_RSTMAPW {
	WCHAR *pwszDatabaseName;    /* the database path at backup time */
	WCHAR *pwszNewDatabaseName; /* where the database is restored */
} CSEDB_RSTMAPW;

typedef struct tagCSEDB_RSTMAP {
	char *pszDatabaseName;
	char *pszNewDatabaseName;
} CSEDB_RSTMAP;

/* ------------------------------------------------------------- constants */

#define szBACKUPANNOTATION "Cert Server Backup Interface"
#define wszBACKUPANNOTATION u"Cert Server Backup Interface"
#define szRESTOREANNOTATION "Cert Server Restore Interface"
#define wszRESTOREANNOTATION u"Cert Server Restore Interface"

/* dwBackupFlags of CertSrvBackupPrepare */
#define CSBACKUP_TYPE_FULL 0x00000001
#define CSBACKUP_TYPE_LOGS_ONLY 0x00000002
#define CSBACKUP_TYPE_MASK 0x00000003
/* Setting the "current log #" to this disables incremental backup (no API
 * takes it; kept for source compatibility). */
#define CSBACKUP_DISABLE_INCREMENTAL 0xFFFFFFFFu

/* dwRestoreFlags of CertSrvRestorePrepare */
#define CSRESTORE_TYPE_FULL 0x00000001
#define CSRESTORE_TYPE_ONLINE 0x00000002
#define CSRESTORE_TYPE_CATCHUP 0x00000004
#define CSRESTORE_TYPE_MASK 0x00000005

/* dwControlFlags of CertSrvServerControl */
#define CSCONTROL_SHUTDOWN 0x00000001
#define CSCONTROL_SUSPEND 0x00000002
#define CSCONTROL_RESTART 0x00000003

/* CSBFT_* list-entry tags: a type code in the low nibble ORed with "where it
 * goes" bits. */
#define CSBFT_DIRECTORY 0x80
#define CSBFT_DATABASE_DIRECTORY 0x40
#define CSBFT_LOG_DIRECTORY 0x20
#define CSBFT_LOG ((CSBFT)(0x01 | CSBFT_LOG_DIRECTORY))                 /* '!' */
#define CSBFT_LOG_DIR ((CSBFT)(0x02 | CSBFT_DIRECTORY))                 /* 0x82 */
#define CSBFT_CHECKPOINT_DIR ((CSBFT)(0x03 | CSBFT_DIRECTORY))          /* 0x83 */
#define CSBFT_CERTSERVER_DATABASE ((CSBFT)(0x04 | CSBFT_DATABASE_DIRECTORY)) /* 'D' */
#define CSBFT_PATCH_FILE ((CSBFT)(0x05 | CSBFT_LOG_DIRECTORY))          /* '%' */
#define CSBFT_UNKNOWN ((CSBFT)0x0f)

/* ---------------------------------------------------------------- HRESULT */

#ifndef SUCCEEDED
#define SUCCEEDED(hr) (((HRESULT)(hr)) >= 0)
#endif
#ifndef FAILED
#define FAILED(hr) (((HRESULT)(hr)) < 0)
#endif
#ifndef FACILITY_WIN32
#define FACILITY_WIN32 7
#endif
#ifndef HRESULT_FROM_WIN32
#define HRESULT_FROM_WIN32(x)                                                 \
	((HRESULT)(x) <= 0 ? (HRESULT)(x)                                     \
			   : (HRESULT)(((uint32_t)(x) & 0x0000FFFFu) |        \
				       ((uint32_t)FACILITY_WIN32 << 16) |     \
				       0x80000000u))
#endif

#ifndef S_OK
#define S_OK ((HRESULT)0x00000000)
#endif
#ifndef S_FALSE
#define S_FALSE ((HRESULT)0x00000001)
#endif
#ifndef E_UNEXPECTED
#define E_UNEXPECTED ((HRESULT)0x8000FFFFu)
#endif
#ifndef E_POINTER
#define E_POINTER ((HRESULT)0x80004003u)
#endif
#ifndef E_FAIL
#define E_FAIL ((HRESULT)0x80004005u)
#endif
#ifndef E_ACCESSDENIED
#define E_ACCESSDENIED ((HRESULT)0x80070005u)
#endif
#ifndef E_OUTOFMEMORY
#define E_OUTOFMEMORY ((HRESULT)0x8007000Eu)
#endif
#ifndef E_INVALIDARG
#define E_INVALIDARG ((HRESULT)0x80070057u)
#endif

/* Win32 error codes used with HRESULT_FROM_WIN32(). */
#ifndef ERROR_FILE_NOT_FOUND
#define ERROR_FILE_NOT_FOUND 2L
#endif
#ifndef ERROR_PATH_NOT_FOUND
#define ERROR_PATH_NOT_FOUND 3L
#endif
#ifndef ERROR_SHARING_VIOLATION
#define ERROR_SHARING_VIOLATION 32L /* HRESULT 0x80070020 */
#endif
#ifndef ERROR_TIMEOUT
#define ERROR_TIMEOUT 1460L /* HRESULT 0x800705B4 */
#endif
#ifndef RPC_S_SERVER_UNAVAILABLE
#define RPC_S_SERVER_UNAVAILABLE 1722L /* HRESULT 0x800706BA */
#endif
#ifndef RPC_S_CALL_FAILED
#define RPC_S_CALL_FAILED 1726L /* HRESULT 0x800706BE */
#endif

/* ESE (JET) errors as HRESULTs: 0xC8000000 | -JET_err. */
#define CERTSRV_E_JET_BACKUP_IN_PROGRESS ((HRESULT)0xC80001F9u)     /* -505 */
#define CERTSRV_E_JET_INVALID_BACKUP_SEQUENCE ((HRESULT)0xC8000209u) /* -521 */
#define CERTSRV_E_JET_MISSING_LOG_FILE ((HRESULT)0xC8000210u)       /* -528 */
#define CERTSRV_E_JET_BAD_LOG_SIGNATURE ((HRESULT)0xC8000212u)      /* -530 */
#define CERTSRV_E_JET_MISSING_FULL_BACKUP ((HRESULT)0xC8000230u)    /* -560 */

/* ------------------------------------------------------------- functions */

/*
 * CertSrvIsServerOnline — is certsrvd running for this server name?
 *   pszServerName: a server name (see above); NULL = the default.
 *   pfServerOnline: receives TRUE when the server answers.
 * Returns S_OK with TRUE when certsrvd answers a ping (certsrvd has no
 * paused state, so FALSE is never returned with S_OK); 0x800706BA when
 * nobody listens at the socket (*pfServerOnline = FALSE); E_POINTER if
 * pfServerOnline is NULL; E_INVALIDARG for a remote or malformed name.
 * Returns quickly; allocates nothing; needs no role.
 */
typedef HRESULT(CERTBCLI_CALL FNCERTSRVISSERVERONLINEW)(const WCHAR *pwszServerName,
						       BOOL *pfServerOnline);
typedef HRESULT(CERTBCLI_CALL FNCERTSRVISSERVERONLINE)(const char *pszServerName,
						      BOOL *pfServerOnline);
CERTBCLI_API HRESULT CERTBCLI_CALL
CertSrvIsServerOnlineW(const WCHAR *pwszServerName, BOOL *pfServerOnline);
CERTBCLI_API HRESULT CERTBCLI_CALL
CertSrvIsServerOnline(const char *pszServerName, BOOL *pfServerOnline);

/*
 * CertSrvBackupPrepare — start a backup session.
 *   pszServerName: a server name (see above).
 *   grbitJet: passed to the server; must be 0.
 *   dwBackupFlags: CSBACKUP_TYPE_FULL (database + logs) or
 *     CSBACKUP_TYPE_LOGS_ONLY (the logs since the last backup: incremental).
 *   phbc: receives the session handle (NULL on failure).
 * The handle owns one connection to certsrvd; the session lives as long as
 * that connection. Every successful Prepare must be balanced by
 * CertSrvBackupEnd, which frees the handle. Prepare checkpoints the database
 * and pauses checkpoints until the session ends, so do not keep a session
 * open longer than needed.
 * Errors: E_POINTER (phbc NULL); 0x800706BA (server not running);
 * E_ACCESSDENIED (no backup role); 0xC80001F9 (another session runs);
 * 0xC8000230 (LOGS_ONLY without a completed full backup, or the log
 * generation after the last backup no longer exists); 0xC8000209 (LOGS_ONLY
 * while circular logging is on: generations are deleted at checkpoints);
 * E_INVALIDARG (bad flags or name).
 */
typedef HRESULT(CERTBCLI_CALL FNCERTSRVBACKUPPREPAREW)(const WCHAR *pwszServerName,
						      ULONG grbitJet,
						      ULONG dwBackupFlags,
						      HCSBC *phbc);
typedef HRESULT(CERTBCLI_CALL FNCERTSRVBACKUPPREPARE)(const char *pszServerName,
						     ULONG grbitJet,
						     ULONG dwBackupFlags,
						     HCSBC *phbc);
CERTBCLI_API HRESULT CERTBCLI_CALL
CertSrvBackupPrepareW(const WCHAR *pwszServerName, ULONG grbitJet,
		      ULONG dwBackupFlags, HCSBC *phbc);
CERTBCLI_API HRESULT CERTBCLI_CALL
CertSrvBackupPrepare(const char *pszServerName, ULONG grbitJet,
		     ULONG dwBackupFlags, HCSBC *phbc);

/*
 * CertSrvBackupGetDatabaseNames — the database files to back up.
 *   hbc: a session from CertSrvBackupPrepare(CSBACKUP_TYPE_FULL).
 *   ppwszzAttachmentInformation / ppszzAttachmentInformation: receives a
 *     list (see above) of CSBFT_CERTSERVER_DATABASE ('D') + absolute path
 *     entries; allocated by the library, free it with CertSrvBackupFree.
 *   pcbSize: receives the size of that buffer in bytes.
 * Errors: E_INVALIDARG (hbc NULL or not a backup handle); E_POINTER (an
 * output pointer NULL); 0xC8000209 (LOGS_ONLY session); E_UNEXPECTED (out of
 * order: e.g. after GetBackupLogs); E_OUTOFMEMORY.
 */
typedef HRESULT(CERTBCLI_CALL FNCERTSRVBACKUPGETDATABASENAMESW)(
	HCSBC hbc, WCHAR **ppwszzAttachmentInformation, DWORD *pcbSize);
typedef HRESULT(CERTBCLI_CALL FNCERTSRVBACKUPGETDATABASENAMES)(
	HCSBC hbc, char **ppszzAttachmentInformation, DWORD *pcbSize);
CERTBCLI_API HRESULT CERTBCLI_CALL
CertSrvBackupGetDatabaseNamesW(HCSBC hbc, WCHAR **ppwszzAttachmentInformation,
			       DWORD *pcbSize);
CERTBCLI_API HRESULT CERTBCLI_CALL
CertSrvBackupGetDatabaseNames(HCSBC hbc, char **ppszzAttachmentInformation,
			      DWORD *pcbSize);

/*
 * CertSrvBackupOpenFile — open one listed file for reading.
 *   hbc: the session.
 *   pszAttachmentName: an entry of GetDatabaseNames or GetBackupLogs with
 *     its tag removed (the first unit of the entry skipped). Anything the
 *     session did not list is refused, whatever the path says.
 *   cbReadHintSize: the size of the reads the library makes to the server.
 *     Only the value of the first successful OpenFile of a session counts;
 *     0 = the library's default (1 MiB); otherwise rounded up to a power
 *     of two and clamped to 64 KiB .. 4 MiB.
 *   pliFileSize: receives the file size in bytes.
 * One file can be open at a time; close it with CertSrvBackupClose.
 * Allocates nothing.
 * Errors: E_INVALIDARG (hbc NULL, name not valid UTF-8/UTF-16); E_POINTER
 * (pszAttachmentName or pliFileSize NULL); 0x80070002 (any name the
 * session did not list — the CA key, "../" spellings, other files);
 * E_UNEXPECTED (a file is already open, or a database file after
 * GetBackupLogs).
 */
typedef HRESULT(CERTBCLI_CALL FNCERTSRVBACKUPOPENFILEW)(HCSBC hbc,
						       const WCHAR *pwszAttachmentName,
						       DWORD cbReadHintSize,
						       LARGE_INTEGER *pliFileSize);
typedef HRESULT(CERTBCLI_CALL FNCERTSRVBACKUPOPENFILE)(HCSBC hbc,
						      const char *pszAttachmentName,
						      DWORD cbReadHintSize,
						      LARGE_INTEGER *pliFileSize);
CERTBCLI_API HRESULT CERTBCLI_CALL
CertSrvBackupOpenFileW(HCSBC hbc, const WCHAR *pwszAttachmentName,
		       DWORD cbReadHintSize, LARGE_INTEGER *pliFileSize);
CERTBCLI_API HRESULT CERTBCLI_CALL
CertSrvBackupOpenFile(HCSBC hbc, const char *pszAttachmentName,
		      DWORD cbReadHintSize, LARGE_INTEGER *pliFileSize);

/*
 * CertSrvBackupRead — read the open file sequentially.
 *   hbc: the session; pvBuffer/cbBuffer: the caller's buffer (any size > 0);
 *   pcbRead: receives the bytes stored.
 * Fills the whole buffer except at the end of the file; once the end is
 * reached, the next call succeeds with *pcbRead = 0. Loop until 0.
 * Allocates nothing. On failure the file position is undefined: end the
 * session and start again.
 * Errors: E_INVALIDARG (hbc NULL, cbBuffer 0); E_POINTER (pvBuffer or
 * pcbRead NULL); E_UNEXPECTED (no file open); 0x800706BE (connection lost).
 */
typedef HRESULT(CERTBCLI_CALL FNCERTSRVBACKUPREAD)(HCSBC hbc, VOID *pvBuffer,
						  DWORD cbBuffer, DWORD *pcbRead);
CERTBCLI_API HRESULT CERTBCLI_CALL
CertSrvBackupRead(HCSBC hbc, VOID *pvBuffer, DWORD cbBuffer, DWORD *pcbRead);

/*
 * CertSrvBackupClose — close the file opened by CertSrvBackupOpenFile.
 * Exactly one Close per successful OpenFile.
 * Errors: E_INVALIDARG (hbc NULL); E_UNEXPECTED (no file open).
 */
typedef HRESULT(CERTBCLI_CALL FNCERTSRVBACKUPCLOSE)(HCSBC hbc);
CERTBCLI_API HRESULT CERTBCLI_CALL CertSrvBackupClose(HCSBC hbc);

/*
 * CertSrvBackupGetBackupLogs — roll the log and list the log files of the
 * backup.
 *   ppwszzBackupLogFiles / ppszzBackupLogFiles: receives a list of
 *     CSBFT_LOG ('!') + absolute path entries, one per log generation (the
 *     generations a restore of this backup needs); allocated by the
 *     library, free it with CertSrvBackupFree.
 *   pcbSize: receives the size of that buffer in bytes.
 * Valid in FULL and LOGS_ONLY sessions, with no file open; after it, no
 * database file can be opened.
 * Errors: E_INVALIDARG (hbc NULL); E_POINTER (an output pointer NULL);
 * E_UNEXPECTED (a file is open, or called twice); 0xC8000210 / 0xC8000212
 * (the log chain is broken); E_OUTOFMEMORY.
 */
typedef HRESULT(CERTBCLI_CALL FNCERTSRVBACKUPGETBACKUPLOGSW)(HCSBC hbc,
							    WCHAR **ppwszzBackupLogFiles,
							    DWORD *pcbSize);
typedef HRESULT(CERTBCLI_CALL FNCERTSRVBACKUPGETBACKUPLOGS)(HCSBC hbc,
							   char **ppszzBackupLogFiles,
							   DWORD *pcbSize);
CERTBCLI_API HRESULT CERTBCLI_CALL
CertSrvBackupGetBackupLogsW(HCSBC hbc, WCHAR **ppwszzBackupLogFiles,
			    DWORD *pcbSize);
CERTBCLI_API HRESULT CERTBCLI_CALL
CertSrvBackupGetBackupLogs(HCSBC hbc, char **ppszzBackupLogFiles,
			   DWORD *pcbSize);

/*
 * CertSrvBackupTruncateLogs — delete the log generations this backup made
 * redundant (optional). Call it only after every file of GetDatabaseNames and
 * GetBackupLogs is safely stored: the server refuses (E_UNEXPECTED) unless
 * every listed file was read to its end and closed, and none is open.
 * Errors: E_INVALIDARG (hbc NULL); E_UNEXPECTED (see above).
 */
typedef HRESULT(CERTBCLI_CALL FNCERTSRVBACKUPTRUNCATELOGS)(HCSBC hbc);
CERTBCLI_API HRESULT CERTBCLI_CALL CertSrvBackupTruncateLogs(HCSBC hbc);

/*
 * CertSrvBackupGetDynamicFileList — files that are not in the database
 * backup but belong to the CA (configuration, CA certificate, published
 * CRLs); never the private key. Copy them by other means: they cannot be
 * opened with CertSrvBackupOpenFile.
 *   ppwszzFileList / ppszzFileList: receives a list of UNTAGGED absolute
 *     paths; allocated by the library, free it with CertSrvBackupFree.
 *   pcbSize: receives the size of that buffer in bytes.
 * Errors: E_INVALIDARG (hbc NULL); E_POINTER (an output pointer NULL);
 * E_OUTOFMEMORY.
 */
typedef HRESULT(CERTBCLI_CALL FNCERTSRVBACKUPGETDYNAMICFILELISTW)(HCSBC hbc,
								 WCHAR **ppwszzFileList,
								 DWORD *pcbSize);
typedef HRESULT(CERTBCLI_CALL FNCERTSRVBACKUPGETDYNAMICFILELIST)(HCSBC hbc,
								char **ppszzFileList,
								DWORD *pcbSize);
CERTBCLI_API HRESULT CERTBCLI_CALL
CertSrvBackupGetDynamicFileListW(HCSBC hbc, WCHAR **ppwszzFileList,
				 DWORD *pcbSize);
CERTBCLI_API HRESULT CERTBCLI_CALL
CertSrvBackupGetDynamicFileList(HCSBC hbc, char **ppszzFileList,
				DWORD *pcbSize);

/*
 * CertSrvBackupEnd — end the session and free the handle.
 * Always frees hbc and closes its connection, even when the server call
 * fails (the server then aborts the session); hbc must not be used again.
 * Only a session that read every listed file to its end and closed it is
 * recorded in the backup history; a session ended earlier, or with a file
 * still open, leaves no trace.
 * Errors: E_INVALIDARG (hbc NULL); the server's error, if any (the handle is
 * freed anyway).
 */
typedef HRESULT(CERTBCLI_CALL FNCERTSRVBACKUPEND)(HCSBC hbc);
CERTBCLI_API HRESULT CERTBCLI_CALL CertSrvBackupEnd(HCSBC hbc);

/*
 * CertSrvBackupFree — free a buffer returned by this library (the lists of
 * GetDatabaseNames, GetBackupLogs, GetDynamicFileList,
 * RestoreGetDatabaseLocations). NULL is accepted and ignored. Never pass
 * anything else (not an HCSBC: use CertSrvBackupEnd).
 */
typedef VOID(CERTBCLI_CALL FNCERTSRVBACKUPFREE)(VOID *pv);
CERTBCLI_API VOID CERTBCLI_CALL CertSrvBackupFree(VOID *pv);

/*
 * CertSrvRestoreGetDatabaseLocations — where the database, the logs and the
 * checkpoint live, for the restore map. Call it during the backup, with the
 * backup handle, and save the buffer byte for byte with the backup set
 * (DataBase/certbkxp.dat), as certutil does. With a restore handle (from
 * CertSrvRestorePrepare) the library builds the same list itself from the
 * data directory (its canonical absolute path), since the server is offline
 * during a restore: the locations of the TARGET of the restore.
 *   ppwszzDatabaseLocationList / ppszzDatabaseLocationList: receives a list
 *     of CSBFT_CERTSERVER_DATABASE ('D') + database path,
 *     CSBFT_LOG_DIR (0x82) + log directory and CSBFT_CHECKPOINT_DIR (0x83) +
 *     checkpoint directory; allocated by the library, free it with
 *     CertSrvBackupFree.
 *   pcbSize: receives the size of that buffer in bytes.
 * Errors: E_INVALIDARG (hbc NULL, or neither a backup nor a restore
 * handle); E_POINTER (an output pointer NULL); E_OUTOFMEMORY.
 */
typedef HRESULT(CERTBCLI_CALL FNCERTSRVRESTOREGETDATABASELOCATIONSW)(
	HCSBC hbc, WCHAR **ppwszzDatabaseLocationList, DWORD *pcbSize);
typedef HRESULT(CERTBCLI_CALL FNCERTSRVRESTOREGETDATABASELOCATIONS)(
	HCSBC hbc, char **ppszzDatabaseLocationList, DWORD *pcbSize);
CERTBCLI_API HRESULT CERTBCLI_CALL
CertSrvRestoreGetDatabaseLocationsW(HCSBC hbc, WCHAR **ppwszzDatabaseLocationList,
				    DWORD *pcbSize);
CERTBCLI_API HRESULT CERTBCLI_CALL
CertSrvRestoreGetDatabaseLocations(HCSBC hbc, char **ppszzDatabaseLocationList,
				   DWORD *pcbSize);

/*
 * CertSrvRestorePrepare — start a restore of the CA of a data directory.
 *   pszServerName: a server name that designates a data directory (see
 *     above); the CA there must be stopped.
 *   dwRestoreFlags: CSRESTORE_TYPE_FULL — a new restore: an existing
 *     registration (DATADIR/restore/restore.env) is replaced when the
 *     first CertSrvRestoreRegister of this session writes (until then it is
 *     left as it is); or 0 — continue the existing registration, e.g. to
 *     register incrementals in a later session (none existing is fine, but
 *     an incremental Register then fails with 0xC8000230). Any other bit,
 *     CSRESTORE_TYPE_ONLINE and CSRESTORE_TYPE_CATCHUP included (not
 *     supported, as on Windows), is E_INVALIDARG.
 *   phbc: receives the restore handle (NULL on failure). It holds no
 *     connection and no lock; only the restore calls and
 *     CertSrvRestoreGetDatabaseLocations accept it.
 * Needs write access to the data directory (file permissions; Windows needs
 * the restore privilege): DATADIR and, if present, DATADIR/restore must be
 * writable by the caller (access(W_OK|X_OK)). Every successful Prepare
 * must be balanced by CertSrvRestoreEnd, which frees the handle.
 * Errors: E_POINTER (phbc NULL); E_INVALIDARG (bad flags, a "unix:", remote
 * or malformed name); 0x80070003 ERROR_PATH_NOT_FOUND (the data directory
 * does not exist); 0x80070020 ERROR_SHARING_VIOLATION (certsrvd runs on
 * that data directory: it answers a ping, or holds run/certsrvd.lock while
 * starting or stopping — stop it first, e.g. with CertSrvServerControl);
 * E_ACCESSDENIED (no write access); 0x80070013 (read-only file system);
 * 0x80070570 ERROR_FILE_CORRUPT (flags 0 and the existing registration does
 * not parse); E_OUTOFMEMORY.
 */
typedef HRESULT(CERTBCLI_CALL FNCERTSRVRESTOREPREPAREW)(const WCHAR *pwszServerName,
						       ULONG dwRestoreFlags,
						       HCSBC *phbc);
typedef HRESULT(CERTBCLI_CALL FNCERTSRVRESTOREPREPARE)(const char *pszServerName,
						      ULONG dwRestoreFlags,
						      HCSBC *phbc);
CERTBCLI_API HRESULT CERTBCLI_CALL
CertSrvRestorePrepareW(const WCHAR *pwszServerName, ULONG dwRestoreFlags,
		       HCSBC *phbc);
CERTBCLI_API HRESULT CERTBCLI_CALL
CertSrvRestorePrepare(const char *pszServerName, ULONG dwRestoreFlags,
		      HCSBC *phbc);

/*
 * CertSrvRestoreRegister — register one restored backup set for recovery
 * at the next start of certsrvd, and interlock: until
 * CertSrvRestoreRegisterComplete, the CA does not start and no other
 * Register succeeds. The registration is written at once (atomically) to
 * DATADIR/restore/restore.env, with "not completed".
 *   hbc: a restore handle.
 *   pszCheckPointFilePath, pszLogPath: recorded as given (NULL or "" =
 *     none); absolute paths.
 *   rgrstmap, crstmap: the restore map. crstmap 1 = a FULL backup: it must
 *     be the first registration of the restore. rgrstmap[0].pszDatabaseName
 *     is the database path at backup time (recorded as given);
 *     rgrstmap[0].pszNewDatabaseName must designate DATADIR/db/ca.db (the
 *     real path of its directory equals that of DATADIR/db, its file name
 *     is ca.db; recorded as the canonical DATADIR/db/ca.db): certsrv cannot
 *     relocate or rename the database, so any other target is E_INVALIDARG.
 *     Copy the database image there before registering. crstmap 0 = an
 *     INCREMENTAL (rgrstmap is ignored, NULL by convention); a full
 *     registration must exist first. Incrementals may be registered in any
 *     order; recovery sorts and checks the generations.
 *   pszBackupLogPath: the directory the set's logs were copied to (NULL or
 *     "" = none); absolute.
 *   genLow, genHigh: the lowest and highest log generation of the set
 *     (1 <= genLow <= genHigh).
 * Paths may not contain a newline, ';' or '#' nor end with a space (the
 * registration file's limits): such paths are E_INVALIDARG.
 * Errors: E_INVALIDARG (hbc not a restore handle; crstmap not 0 or 1;
 * crstmap 1 with rgrstmap NULL or a NULL/relative name in it; a relative
 * path; genLow 0 or above genHigh; invalid UTF-8/UTF-16; the map target is
 * not DATADIR/db/ca.db); E_UNEXPECTED (the previous registration is not
 * completed, or a full registration that is not the first);
 * 0xC8000230 JET_errMissingFullBackup (an incremental before any full
 * registration: nothing is written); 0x800700DF (more than 64
 * registrations); E_ACCESSDENIED / 0x80070070 / ... (writing the file
 * failed: the registration is then not recorded); E_OUTOFMEMORY.
 */
typedef HRESULT(CERTBCLI_CALL FNCERTSRVRESTOREREGISTERW)(
	HCSBC hbc, const WCHAR *pwszCheckPointFilePath, const WCHAR *pwszLogPath,
	CSEDB_RSTMAPW rgrstmap[], LONG crstmap, const WCHAR *pwszBackupLogPath,
	ULONG genLow, ULONG genHigh);
typedef HRESULT(CERTBCLI_CALL FNCERTSRVRESTOREREGISTER)(
	HCSBC hbc, const char *pszCheckPointFilePath, const char *pszLogPath,
	CSEDB_RSTMAP rgrstmap[], LONG crstmap, const char *pszBackupLogPath,
	ULONG genLow, ULONG genHigh);
CERTBCLI_API HRESULT CERTBCLI_CALL
CertSrvRestoreRegisterW(HCSBC hbc, const WCHAR *pwszCheckPointFilePath,
			const WCHAR *pwszLogPath, CSEDB_RSTMAPW rgrstmap[],
			LONG crstmap, const WCHAR *pwszBackupLogPath,
			ULONG genLow, ULONG genHigh);
CERTBCLI_API HRESULT CERTBCLI_CALL
CertSrvRestoreRegister(HCSBC hbc, const char *pszCheckPointFilePath,
		       const char *pszLogPath, CSEDB_RSTMAP rgrstmap[],
		       LONG crstmap, const char *pszBackupLogPath,
		       ULONG genLow, ULONG genHigh);

/*
 * CertSrvRestoreRegisterThroughFile — identical to CertSrvRestoreRegister
 * here, arguments, file and errors included. (On Windows it differs only in
 * the privilege it needs; on Linux both need write access to the data
 * directory, checked by CertSrvRestorePrepare and by the write itself.)
 * CertSrvRestoreRegisterThroughFile takes UTF-8,
 * CertSrvRestoreRegisterThroughFileW UTF-16. Windows headers declare no
 * typedef for it; FNCERTSRVRESTOREREGISTERTHROUGHFILE[W] are certsrv's.
 */
typedef HRESULT(CERTBCLI_CALL FNCERTSRVRESTOREREGISTERTHROUGHFILEW)(
	HCSBC hbc, const WCHAR *pwszCheckPointFilePath, const WCHAR *pwszLogPath,
	CSEDB_RSTMAPW rgrstmap[], LONG crstmap, const WCHAR *pwszBackupLogPath,
	ULONG genLow, ULONG genHigh);
typedef HRESULT(CERTBCLI_CALL FNCERTSRVRESTOREREGISTERTHROUGHFILE)(
	HCSBC hbc, const char *pszCheckPointFilePath, const char *pszLogPath,
	CSEDB_RSTMAP rgrstmap[], LONG crstmap, const char *pszBackupLogPath,
	ULONG genLow, ULONG genHigh);
CERTBCLI_API HRESULT CERTBCLI_CALL
CertSrvRestoreRegisterThroughFileW(HCSBC hbc, const WCHAR *pwszCheckPointFilePath,
				   const WCHAR *pwszLogPath,
				   CSEDB_RSTMAPW rgrstmap[], LONG crstmap,
				   const WCHAR *pwszBackupLogPath, ULONG genLow,
				   ULONG genHigh);
CERTBCLI_API HRESULT CERTBCLI_CALL
CertSrvRestoreRegisterThroughFile(HCSBC hbc, const char *pszCheckPointFilePath,
				  const char *pszLogPath, CSEDB_RSTMAP rgrstmap[],
				  LONG crstmap, const char *pszBackupLogPath,
				  ULONG genLow, ULONG genHigh);

/*
 * CertSrvRestoreRegisterComplete — complete the last registration.
 *   hbc: a restore handle.
 *   hrRestoreState: S_OK if the files of that set were copied completely;
 *     any other value is recorded as the registration's failure, and
 *     certsrvd then refuses to start until a new restore replaces the
 *     registration.
 * The status is written at once (atomically).
 * Errors: E_INVALIDARG (hbc not a restore handle); E_UNEXPECTED (no
 * registration, or the last one is already completed); the error of the
 * write (the registration then stays pending).
 */
typedef HRESULT(CERTBCLI_CALL FNCERTSRVRESTOREREGISTERCOMPLETE)(HCSBC hbc,
							       HRESULT hrRestoreState);
CERTBCLI_API HRESULT CERTBCLI_CALL
CertSrvRestoreRegisterComplete(HCSBC hbc, HRESULT hrRestoreState);

/*
 * CertSrvRestoreEnd — end the restore session and free the handle.
 * If the restore holds at least one registration, marks it ended (written
 * at once); with none, writes nothing (an existing registration is left as
 * it was). Always frees hbc, even when the write fails; hbc must not be
 * used again. If a registration is incomplete or failed, the file keeps
 * saying so and certsrvd refuses to start with a message that says which.
 * Called by root for a data directory that belongs to another user (the
 * user certsrvd runs as), it then gives that user what the restore placed
 * inside the data directory: DATADIR/restore, restore.env, and the
 * registered database image and logs that lie inside the data directory
 * (paths are followed without symbolic links; a file with other hard links
 * is refused with E_ACCESSDENIED, the registration still ended). Registered
 * files elsewhere stay as they are: certsrvd must be able to read them.
 * After the CA has recovered, take a new FULL backup: sets from before the
 * restore cannot be combined with sets from after it.
 * Errors: E_INVALIDARG (hbc not a restore handle; not freed then); the
 * error of the write or of giving a file to the data directory's owner
 * (the handle is freed anyway).
 */
typedef HRESULT(CERTBCLI_CALL FNCERTSRVRESTOREEND)(HCSBC hbc);
CERTBCLI_API HRESULT CERTBCLI_CALL CertSrvRestoreEnd(HCSBC hbc);

/*
 * CertSrvServerControl — control the server.
 *   pszServerName: a server name (see above).
 *   dwControlFlags: CSCONTROL_SHUTDOWN — stop certsrvd cleanly (a
 *     PROTO_SHUTDOWN request; the daemon finishes the requests in flight,
 *     checkpoints and exits), then wait until it has stopped: no longer
 *     answering a ping and, for a data-directory name, no longer holding
 *     run/certsrvd.lock; polled every 50 ms, at most 30 s. So a restore can
 *     start as soon as this returns S_OK. Needs root or the daemon's user.
 *     CSCONTROL_SUSPEND, CSCONTROL_RESTART — S_OK, no action (as the
 *     [MS-CSRA] wire side does).
 *   pcbOut, ppbOut: optional (may be NULL); set to 0 and NULL: nothing is
 *     ever returned.
 * Errors: E_INVALIDARG (any other flag; a remote or malformed name);
 * 0x800706BA (SHUTDOWN and certsrvd is not running); E_ACCESSDENIED (the
 * caller may not stop the daemon); 0x800705B4 ERROR_TIMEOUT (it still
 * runs after 30 s); 0x800706BE (the connection broke before the reply).
 */
typedef HRESULT(CERTBCLI_CALL FNCERTSRVSERVERCONTROLW)(const WCHAR *pwszServerName,
						      DWORD dwControlFlags,
						      DWORD *pcbOut, BYTE **ppbOut);
typedef HRESULT(CERTBCLI_CALL FNCERTSRVSERVERCONTROL)(const char *pszServerName,
						     DWORD dwControlFlags,
						     DWORD *pcbOut, BYTE **ppbOut);
CERTBCLI_API HRESULT CERTBCLI_CALL
CertSrvServerControlW(const WCHAR *pwszServerName, DWORD dwControlFlags,
		      DWORD *pcbOut, BYTE **ppbOut);
CERTBCLI_API HRESULT CERTBCLI_CALL
CertSrvServerControl(const char *pszServerName, DWORD dwControlFlags,
		     DWORD *pcbOut, BYTE **ppbOut);

/*
 * CertSrvGetErrorMessage — an English sentence for an HRESULT (certsrv
 * extension; not in the Windows API). Never NULL: unknown values get a
 * generic sentence. The string is static: do not free it.
 */
typedef const char *(CERTBCLI_CALL FNCERTSRVGETERRORMESSAGE)(HRESULT hr);
CERTBCLI_API const char *CERTBCLI_CALL CertSrvGetErrorMessage(HRESULT hr);

#ifdef __cplusplus
}
#endif

#endif /* CERTSRV_CERTBCLI_H */
