/*
 * hresult.c — internal error code -> HRESULT, and HRESULT -> sentence.
 *
 * The mapping is one table (hr_map) documented in hresult.h; the sentences
 * are a second table keyed by HRESULT. Both are constant data; lookups are
 * linear (a few dozen entries, only on the error path). Thread-safe.
 */
#include <errno.h>
#include <stddef.h>

#include "common/errors.h"
#include "hresult.h"

/* Win32 codes used below (winerror.h values). */
#define W32_PATH_NOT_FOUND 3
#define W32_TOO_MANY_OPEN_FILES 4
#define W32_WRITE_PROTECT 19
#define W32_SHARING_VIOLATION 32
#define W32_NOT_SUPPORTED 50
#define W32_FILE_EXISTS 80
#define W32_DISK_FULL 112
#define W32_BUSY 170
#define W32_ALREADY_EXISTS 183
#define W32_FILENAME_EXCED_RANGE 206
#define W32_FILE_TOO_LARGE 223
#define W32_SHUTDOWN_IN_PROGRESS 1115
#define W32_IO_DEVICE 1117
#define W32_NOT_FOUND 1168
#define W32_FILE_CORRUPT 1392
#define W32_TIMEOUT 1460
#define W32_BAD_CONFIGURATION 1610
#define W32_INVALID_STATE 5023

#define HR_NTE_BAD_SIGNATURE ((HRESULT)0x80090006u)

struct hr_map_entry {
	int code;
	HRESULT hr;
};

static const struct hr_map_entry hr_map[] = {
	{ 0, S_OK },
	{ CS_E_OFFLINE, HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE) },
	{ -ECONNREFUSED, HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE) },
	{ -ECONNRESET, HRESULT_FROM_WIN32(RPC_S_CALL_FAILED) },
	{ -EPIPE, HRESULT_FROM_WIN32(RPC_S_CALL_FAILED) },
	{ -ENOTCONN, HRESULT_FROM_WIN32(RPC_S_CALL_FAILED) },
	{ -ECONNABORTED, HRESULT_FROM_WIN32(RPC_S_CALL_FAILED) },
	{ CS_E_DENIED, E_ACCESSDENIED },
	{ CS_E_PROFILE_DENIED, E_ACCESSDENIED },
	{ CS_E_POLICY, E_ACCESSDENIED },
	{ -EACCES, E_ACCESSDENIED },
	{ -EPERM, E_ACCESSDENIED },
	{ CS_E_INVALID, E_INVALIDARG },
	{ CS_E_PROTO, E_INVALIDARG },
	{ CS_E_BADCSR, E_INVALIDARG },
	{ -EINVAL, E_INVALIDARG },
	{ -ENOMEM, E_OUTOFMEMORY },
	{ CS_E_NOTFOUND, HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND) },
	{ -ENOENT, HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND) },
	{ -ENOTDIR, HRESULT_FROM_WIN32(W32_PATH_NOT_FOUND) },
	{ -EMFILE, HRESULT_FROM_WIN32(W32_TOO_MANY_OPEN_FILES) },
	{ -ENFILE, HRESULT_FROM_WIN32(W32_TOO_MANY_OPEN_FILES) },
	{ -EROFS, HRESULT_FROM_WIN32(W32_WRITE_PROTECT) },
	{ -ETXTBSY, HRESULT_FROM_WIN32(W32_SHARING_VIOLATION) },
	{ CS_E_UNKNOWN_TYPE, HRESULT_FROM_WIN32(W32_NOT_SUPPORTED) },
	{ -ENOTSUP, HRESULT_FROM_WIN32(W32_NOT_SUPPORTED) },
	{ -EOPNOTSUPP, HRESULT_FROM_WIN32(W32_NOT_SUPPORTED) },
	{ -EEXIST, HRESULT_FROM_WIN32(W32_FILE_EXISTS) },
	{ -ENOSPC, HRESULT_FROM_WIN32(W32_DISK_FULL) },
	{ -EDQUOT, HRESULT_FROM_WIN32(W32_DISK_FULL) },
	{ CS_E_BUSY, HRESULT_FROM_WIN32(W32_BUSY) },
	{ -EBUSY, HRESULT_FROM_WIN32(W32_BUSY) },
	{ CS_E_EXISTS, HRESULT_FROM_WIN32(W32_ALREADY_EXISTS) },
	{ -ENAMETOOLONG, HRESULT_FROM_WIN32(W32_FILENAME_EXCED_RANGE) },
	{ CS_E_TOOBIG, HRESULT_FROM_WIN32(W32_FILE_TOO_LARGE) },
	{ -EFBIG, HRESULT_FROM_WIN32(W32_FILE_TOO_LARGE) },
	{ CS_E_SHUTDOWN, HRESULT_FROM_WIN32(W32_SHUTDOWN_IN_PROGRESS) },
	{ CS_E_FAILED_STATE, HRESULT_FROM_WIN32(W32_IO_DEVICE) },
	{ -EIO, HRESULT_FROM_WIN32(W32_IO_DEVICE) },
	{ CS_E_PROFILE, HRESULT_FROM_WIN32(W32_NOT_FOUND) },
	{ CS_E_CORRUPT, HRESULT_FROM_WIN32(W32_FILE_CORRUPT) },
	{ -ETIMEDOUT, HRESULT_FROM_WIN32(W32_TIMEOUT) },
	{ CS_E_CONFIG, HRESULT_FROM_WIN32(W32_BAD_CONFIGURATION) },
	{ CS_E_STATE, HRESULT_FROM_WIN32(W32_INVALID_STATE) },
	{ CS_E_SEQUENCE, E_UNEXPECTED },
	{ CS_E_BACKUP_IN_PROGRESS, CERTSRV_E_JET_BACKUP_IN_PROGRESS },
	{ CS_E_BACKUP_SEQUENCE, CERTSRV_E_JET_INVALID_BACKUP_SEQUENCE },
	{ CS_E_GAP, CERTSRV_E_JET_MISSING_LOG_FILE },
	{ CS_E_LINEAGE, CERTSRV_E_JET_BAD_LOG_SIGNATURE },
	{ CS_E_MISSING_FULL, CERTSRV_E_JET_MISSING_FULL_BACKUP },
	{ CS_E_BADSIG, HR_NTE_BAD_SIGNATURE },
	{ CS_E_INTERNAL, E_FAIL },
};

HRESULT hresult_from_code(int code)
{
	size_t i;

	for (i = 0; i < sizeof(hr_map) / sizeof(hr_map[0]); i++) {
		if (hr_map[i].code == code)
			return hr_map[i].hr;
	}
	return E_FAIL;
}

struct hr_text {
	HRESULT hr;
	const char *text;
};

static const struct hr_text hr_texts[] = {
	{ S_OK, "The operation completed successfully." },
	{ S_FALSE, "The operation completed successfully (S_FALSE)." },
	{ E_UNEXPECTED, "The call is out of the documented order of the backup "
			"or restore session (E_UNEXPECTED)." },
	{ E_POINTER, "A required pointer argument is NULL (E_POINTER)." },
	{ E_FAIL, "Unspecified failure (E_FAIL)." },
	{ E_ACCESSDENIED, "Access is denied: the caller lacks the role or "
			  "permission needed (E_ACCESSDENIED)." },
	{ E_OUTOFMEMORY, "Not enough memory to complete the operation "
			 "(E_OUTOFMEMORY)." },
	{ E_INVALIDARG, "An argument is invalid: a NULL or stale handle, a "
			"malformed string, an unsupported server name, or a "
			"malformed message (E_INVALIDARG)." },
	{ HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND),
	  "The file was not found, or it is not one this backup session "
	  "listed (ERROR_FILE_NOT_FOUND)." },
	{ HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE),
	  "The certificate server is not running or cannot be reached "
	  "(RPC_S_SERVER_UNAVAILABLE)." },
	{ HRESULT_FROM_WIN32(RPC_S_CALL_FAILED),
	  "The connection to the certificate server was lost during the call "
	  "(RPC_S_CALL_FAILED)." },
	{ HRESULT_FROM_WIN32(W32_PATH_NOT_FOUND),
	  "The path was not found (ERROR_PATH_NOT_FOUND)." },
	{ HRESULT_FROM_WIN32(W32_TOO_MANY_OPEN_FILES),
	  "Too many open files (ERROR_TOO_MANY_OPEN_FILES)." },
	{ HRESULT_FROM_WIN32(W32_WRITE_PROTECT),
	  "The file system is read-only (ERROR_WRITE_PROTECT)." },
	{ HRESULT_FROM_WIN32(W32_SHARING_VIOLATION),
	  "The files are in use: the certificate server is running; stop it "
	  "(CertSrvServerControl CSCONTROL_SHUTDOWN) before a restore "
	  "(ERROR_SHARING_VIOLATION)." },
	{ HRESULT_FROM_WIN32(W32_NOT_SUPPORTED),
	  "The request is not supported by this server (ERROR_NOT_SUPPORTED)." },
	{ HRESULT_FROM_WIN32(W32_FILE_EXISTS),
	  "The file exists (ERROR_FILE_EXISTS)." },
	{ HRESULT_FROM_WIN32(W32_DISK_FULL),
	  "There is not enough space on the disk (ERROR_DISK_FULL)." },
	{ HRESULT_FROM_WIN32(W32_BUSY),
	  "The resource is in use; try again later (ERROR_BUSY)." },
	{ HRESULT_FROM_WIN32(W32_ALREADY_EXISTS),
	  "The object already exists (ERROR_ALREADY_EXISTS)." },
	{ HRESULT_FROM_WIN32(W32_FILENAME_EXCED_RANGE),
	  "A path is too long (ERROR_FILENAME_EXCED_RANGE)." },
	{ HRESULT_FROM_WIN32(W32_FILE_TOO_LARGE),
	  "The data exceeds a size limit (ERROR_FILE_TOO_LARGE)." },
	{ HRESULT_FROM_WIN32(W32_SHUTDOWN_IN_PROGRESS),
	  "The certificate server is shutting down "
	  "(ERROR_SHUTDOWN_IN_PROGRESS)." },
	{ HRESULT_FROM_WIN32(W32_IO_DEVICE),
	  "An I/O error occurred on the server (ERROR_IO_DEVICE)." },
	{ HRESULT_FROM_WIN32(W32_NOT_FOUND),
	  "The requested object was not found (ERROR_NOT_FOUND)." },
	{ HRESULT_FROM_WIN32(W32_FILE_CORRUPT),
	  "Stored data failed its integrity checks (ERROR_FILE_CORRUPT)." },
	{ HRESULT_FROM_WIN32(W32_TIMEOUT),
	  "The operation timed out (ERROR_TIMEOUT)." },
	{ HRESULT_FROM_WIN32(W32_BAD_CONFIGURATION),
	  "The server configuration is invalid (ERROR_BAD_CONFIGURATION)." },
	{ HRESULT_FROM_WIN32(W32_INVALID_STATE),
	  "The object is not in a state that allows the operation "
	  "(ERROR_INVALID_STATE)." },
	{ CERTSRV_E_JET_BACKUP_IN_PROGRESS,
	  "Another backup of this CA is in progress "
	  "(JET_errBackupInProgress)." },
	{ CERTSRV_E_JET_INVALID_BACKUP_SEQUENCE,
	  "The call is not valid in this kind of backup session, e.g. "
	  "GetDatabaseNames in a logs-only session "
	  "(JET_errInvalidBackupSequence)." },
	{ CERTSRV_E_JET_MISSING_LOG_FILE,
	  "A log generation is missing: the log chain has a gap "
	  "(JET_errMissingLogFile)." },
	{ CERTSRV_E_JET_BAD_LOG_SIGNATURE,
	  "A log belongs to another database lineage "
	  "(JET_errBadLogSignature)." },
	{ CERTSRV_E_JET_MISSING_FULL_BACKUP,
	  "The database missed a previous full backup before an incremental "
	  "backup (JET_errMissingFullBackup)." },
	{ HR_NTE_BAD_SIGNATURE,
	  "A signature does not verify (NTE_BAD_SIGNATURE)." },
};

const char *hresult_message(HRESULT hr)
{
	size_t i;

	for (i = 0; i < sizeof(hr_texts) / sizeof(hr_texts[0]); i++) {
		if (hr_texts[i].hr == hr)
			return hr_texts[i].text;
	}
	return SUCCEEDED(hr) ? "The operation succeeded with an unknown status."
			     : "Unknown error: this HRESULT is not one certsrv "
			       "returns.";
}
