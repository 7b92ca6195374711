/*
 * hresult.h — the ONE table that maps certsrv's internal error codes (0, a
 * negative errno, or a CS_E_* code of src/common/errors.h) to the Windows
 * HRESULTs libcertadm returns, and the English sentence for each HRESULT.
 *
 * The table (internal code -> HRESULT):
 *
 *   0                          S_OK                                 0x00000000
 *   CS_E_OFFLINE, -ECONNREFUSED
 *                              HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE) 0x800706BA
 *   -ECONNRESET, -EPIPE, -ENOTCONN, -ECONNABORTED
 *                              HRESULT_FROM_WIN32(RPC_S_CALL_FAILED)  0x800706BE
 *   CS_E_DENIED, CS_E_PROFILE_DENIED, CS_E_POLICY, -EACCES, -EPERM
 *                              E_ACCESSDENIED                       0x80070005
 *   CS_E_INVALID, CS_E_PROTO, CS_E_BADCSR, -EINVAL
 *                              E_INVALIDARG                         0x80070057
 *   -ENOMEM                    E_OUTOFMEMORY                        0x8007000E
 *   CS_E_NOTFOUND, -ENOENT     HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND) 0x80070002
 *   -ENOTDIR                   HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND) 0x80070003
 *   -EMFILE, -ENFILE           HRESULT_FROM_WIN32(ERROR_TOO_MANY_OPEN_FILES) 0x80070004
 *   -EROFS                     HRESULT_FROM_WIN32(ERROR_WRITE_PROTECT)  0x80070013
 *   -ETXTBSY                   HRESULT_FROM_WIN32(ERROR_SHARING_VIOLATION) 0x80070020
 *                              (a restore while certsrvd runs: certutil's
 *                              "file in use")
 *   CS_E_UNKNOWN_TYPE, -ENOTSUP, -EOPNOTSUPP
 *                              HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED)  0x80070032
 *   -EEXIST                    HRESULT_FROM_WIN32(ERROR_FILE_EXISTS)    0x80070050
 *   -ENOSPC, -EDQUOT           HRESULT_FROM_WIN32(ERROR_DISK_FULL)      0x80070070
 *   CS_E_BUSY, -EBUSY          HRESULT_FROM_WIN32(ERROR_BUSY)           0x800700AA
 *   CS_E_EXISTS                HRESULT_FROM_WIN32(ERROR_ALREADY_EXISTS) 0x800700B7
 *   -ENAMETOOLONG              HRESULT_FROM_WIN32(ERROR_FILENAME_EXCED_RANGE) 0x800700CE
 *   CS_E_TOOBIG, -EFBIG        HRESULT_FROM_WIN32(ERROR_FILE_TOO_LARGE) 0x800700DF
 *   CS_E_SHUTDOWN              HRESULT_FROM_WIN32(ERROR_SHUTDOWN_IN_PROGRESS) 0x8007045B
 *   CS_E_FAILED_STATE, -EIO    HRESULT_FROM_WIN32(ERROR_IO_DEVICE)      0x8007045D
 *   CS_E_PROFILE               HRESULT_FROM_WIN32(ERROR_NOT_FOUND)      0x80070490
 *   CS_E_CORRUPT               HRESULT_FROM_WIN32(ERROR_FILE_CORRUPT)   0x80070570
 *   -ETIMEDOUT                 HRESULT_FROM_WIN32(ERROR_TIMEOUT)        0x800705B4
 *   CS_E_CONFIG                HRESULT_FROM_WIN32(ERROR_BAD_CONFIGURATION) 0x8007064A
 *   CS_E_STATE                 HRESULT_FROM_WIN32(ERROR_INVALID_STATE)  0x8007139F
 *   CS_E_SEQUENCE              E_UNEXPECTED                         0x8000FFFF
 *   CS_E_BACKUP_IN_PROGRESS    JET_errBackupInProgress (-505)       0xC80001F9
 *   CS_E_BACKUP_SEQUENCE       JET_errInvalidBackupSequence (-521)  0xC8000209
 *   CS_E_GAP                   JET_errMissingLogFile (-528)         0xC8000210
 *   CS_E_LINEAGE               JET_errBadLogSignature (-530)        0xC8000212
 *   CS_E_MISSING_FULL          JET_errMissingFullBackup (-560)      0xC8000230
 *   CS_E_BADSIG                NTE_BAD_SIGNATURE                    0x80090006
 *   CS_E_INTERNAL, CS_E_BASE, any other negative code, any positive code
 *                              E_FAIL                               0x80004005
 *
 * Guarantees: pure functions of their argument; no state; every string is
 * static.
 */
#ifndef CERTSRV_LIB_HRESULT_H
#define CERTSRV_LIB_HRESULT_H

#include "certsrv/certbcli.h"

/* The HRESULT of an internal code (the table above). */
HRESULT hresult_from_code(int code);

/* A static English sentence for any HRESULT; never NULL. */
const char *hresult_message(HRESULT hr);

#endif
