/*
 * certadm.c — the exported CertSrv* entry points of libcertadm (contracts in
 * include/certsrv/certbcli.h).
 *
 * This file is the API edge and nothing else: it sets output parameters to
 * a defined value on entry, checks arguments (a NULL or foreign handle is
 * E_INVALIDARG, a NULL required pointer E_POINTER), converts UTF-16
 * arguments to UTF-8 and checks UTF-8 ones (the W and UTF-8 entry points
 * then share one implementation: backup.c for backup sessions, restore.c
 * for restore sessions, control.c for CertSrvServerControl), and maps every
 * internal code to an HRESULT through hresult_from_code() — the one table. Only the functions marked
 * CERTBCLI_API are visible outside the library (built with
 * -fvisibility=hidden and the version script lib/libcertadm.sym).
 */
#include <stdlib.h>
#include <string.h>

#include "backup.h"
#include "certsrv/certbcli.h"
#include "common/errors.h"
#include "control.h"
#include "hresult.h"
#include "lists.h"
#include "restore.h"
#include "session.h"
#include "strconv.h"

/* An optional UTF-16 string (a server name: NULL = the default server; a
 * path: NULL = none) as UTF-8; NULL stays NULL. *out is malloc'd (caller
 * frees). */
static int edge_opt_utf8(const WCHAR *w, char **out)
{
	*out = NULL;
	if (w == NULL)
		return 0;
	return strconv_utf16_to_utf8(w, out);
}

/* 0 if s is NULL or valid UTF-8, else CS_E_INVALID (or CS_E_TOOBIG...). */
static int edge_utf8_ok(const char *s)
{
	return s == NULL ? 0 : strconv_utf8_check(s, strlen(s));
}

/* ------------------------------------------------------------ IsServerOnline */

static HRESULT edge_is_online(const char *server, BOOL *pf)
{
	int r;

	if (pf == NULL)
		return E_POINTER;
	*pf = FALSE;
	r = backup_ping(server);
	if (r == 0)
		*pf = TRUE;
	return hresult_from_code(r);
}

CERTBCLI_API HRESULT CERTBCLI_CALL
CertSrvIsServerOnline(const char *pszServerName, BOOL *pfServerOnline)
{
	return edge_is_online(pszServerName, pfServerOnline);
}

CERTBCLI_API HRESULT CERTBCLI_CALL
CertSrvIsServerOnlineW(const WCHAR *pwszServerName, BOOL *pfServerOnline)
{
	char *server = NULL;
	HRESULT hr;
	int r;

	if (pfServerOnline == NULL)
		return E_POINTER;
	*pfServerOnline = FALSE;
	r = edge_opt_utf8(pwszServerName, &server);
	if (r < 0) {
		hr = hresult_from_code(r);
		goto out;
	}
	hr = edge_is_online(server, pfServerOnline);
out:
	free(server);
	return hr;
}

/* ---------------------------------------------------------------- Prepare */

static HRESULT edge_prepare(const char *server, ULONG grbit, ULONG flags,
			    HCSBC *phbc)
{
	struct session *s = NULL;
	int r;

	r = backup_prepare(server, grbit, flags, &s);
	*phbc = s;
	return hresult_from_code(r);
}

CERTBCLI_API HRESULT CERTBCLI_CALL
CertSrvBackupPrepare(const char *pszServerName, ULONG grbitJet,
		     ULONG dwBackupFlags, HCSBC *phbc)
{
	if (phbc == NULL)
		return E_POINTER;
	*phbc = NULL;
	return edge_prepare(pszServerName, grbitJet, dwBackupFlags, phbc);
}

CERTBCLI_API HRESULT CERTBCLI_CALL
CertSrvBackupPrepareW(const WCHAR *pwszServerName, ULONG grbitJet,
		      ULONG dwBackupFlags, HCSBC *phbc)
{
	char *server = NULL;
	HRESULT hr;
	int r;

	if (phbc == NULL)
		return E_POINTER;
	*phbc = NULL;
	r = edge_opt_utf8(pwszServerName, &server);
	if (r < 0) {
		hr = hresult_from_code(r);
		goto out;
	}
	hr = edge_prepare(server, grbitJet, dwBackupFlags, phbc);
out:
	free(server);
	return hr;
}

/* ------------------------------------------------------------------ lists */

/*
 * The common body of every list call. have_out says whether the caller's
 * list pointer is non-NULL (the caller stores *list into it); pcb may be
 * NULL. On success *list is the caller's to free with CertSrvBackupFree.
 */
static HRESULT edge_list(HCSBC hbc, uint16_t type, enum lists_tags tags,
			 enum lists_flavour flavour, int have_out, void **list,
			 DWORD *pcb)
{
	struct session *s;
	uint32_t cb = 0;
	int r;

	*list = NULL;
	if (pcb != NULL)
		*pcb = 0;
	s = session_from_handle(hbc, SESSION_BACKUP);
	if (s == NULL)
		return E_INVALIDARG;
	if (!have_out || pcb == NULL)
		return E_POINTER;
	r = backup_list(s, type, tags, flavour, list, &cb);
	if (r == 0)
		*pcb = cb;
	return hresult_from_code(r);
}

CERTBCLI_API HRESULT CERTBCLI_CALL
CertSrvBackupGetDatabaseNames(HCSBC hbc, char **ppszzAttachmentInformation,
			      DWORD *pcbSize)
{
	void *list;
	HRESULT hr;

	hr = edge_list(hbc, PROTO_BACKUP_DATABASE_NAMES, LISTS_TAGGED, LISTS_UTF8,
		       ppszzAttachmentInformation != NULL, &list, pcbSize);
	if (ppszzAttachmentInformation != NULL)
		*ppszzAttachmentInformation = list;
	return hr;
}

CERTBCLI_API HRESULT CERTBCLI_CALL
CertSrvBackupGetDatabaseNamesW(HCSBC hbc, WCHAR **ppwszzAttachmentInformation,
			       DWORD *pcbSize)
{
	void *list;
	HRESULT hr;

	hr = edge_list(hbc, PROTO_BACKUP_DATABASE_NAMES, LISTS_TAGGED, LISTS_UTF16,
		       ppwszzAttachmentInformation != NULL, &list, pcbSize);
	if (ppwszzAttachmentInformation != NULL)
		*ppwszzAttachmentInformation = list;
	return hr;
}

CERTBCLI_API HRESULT CERTBCLI_CALL
CertSrvBackupGetBackupLogs(HCSBC hbc, char **ppszzBackupLogFiles,
			   DWORD *pcbSize)
{
	void *list;
	HRESULT hr;

	hr = edge_list(hbc, PROTO_BACKUP_LOGS, LISTS_TAGGED, LISTS_UTF8,
		       ppszzBackupLogFiles != NULL, &list, pcbSize);
	if (ppszzBackupLogFiles != NULL)
		*ppszzBackupLogFiles = list;
	return hr;
}

CERTBCLI_API HRESULT CERTBCLI_CALL
CertSrvBackupGetBackupLogsW(HCSBC hbc, WCHAR **ppwszzBackupLogFiles,
			    DWORD *pcbSize)
{
	void *list;
	HRESULT hr;

	hr = edge_list(hbc, PROTO_BACKUP_LOGS, LISTS_TAGGED, LISTS_UTF16,
		       ppwszzBackupLogFiles != NULL, &list, pcbSize);
	if (ppwszzBackupLogFiles != NULL)
		*ppwszzBackupLogFiles = list;
	return hr;
}

CERTBCLI_API HRESULT CERTBCLI_CALL
CertSrvBackupGetDynamicFileList(HCSBC hbc, char **ppszzFileList,
				DWORD *pcbSize)
{
	void *list;
	HRESULT hr;

	hr = edge_list(hbc, PROTO_BACKUP_DYNAMIC_FILES, LISTS_UNTAGGED, LISTS_UTF8,
		       ppszzFileList != NULL, &list, pcbSize);
	if (ppszzFileList != NULL)
		*ppszzFileList = list;
	return hr;
}

CERTBCLI_API HRESULT CERTBCLI_CALL
CertSrvBackupGetDynamicFileListW(HCSBC hbc, WCHAR **ppwszzFileList,
				 DWORD *pcbSize)
{
	void *list;
	HRESULT hr;

	hr = edge_list(hbc, PROTO_BACKUP_DYNAMIC_FILES, LISTS_UNTAGGED,
		       LISTS_UTF16, ppwszzFileList != NULL, &list, pcbSize);
	if (ppwszzFileList != NULL)
		*ppwszzFileList = list;
	return hr;
}

/* RestoreGetDatabaseLocations: asked of the server with a backup handle,
 * built locally with a restore handle (the server is offline then). */
static HRESULT edge_locations(HCSBC hbc, enum lists_flavour flavour,
			      int have_out, void **list, DWORD *pcb)
{
	struct session *s;
	uint32_t cb = 0;
	int r;

	s = session_from_handle(hbc, SESSION_RESTORE);
	if (s == NULL)
		return edge_list(hbc, PROTO_RESTORE_LOCATIONS, LISTS_TAGGED, flavour,
				 have_out, list, pcb);
	*list = NULL;
	if (pcb != NULL)
		*pcb = 0;
	if (!have_out || pcb == NULL)
		return E_POINTER;
	r = restore_locations(session_restore_ctx(s), flavour, list, &cb);
	if (r == 0)
		*pcb = cb;
	return hresult_from_code(r);
}

CERTBCLI_API HRESULT CERTBCLI_CALL
CertSrvRestoreGetDatabaseLocations(HCSBC hbc, char **ppszzDatabaseLocationList,
				   DWORD *pcbSize)
{
	void *list;
	HRESULT hr;

	hr = edge_locations(hbc, LISTS_UTF8, ppszzDatabaseLocationList != NULL,
			    &list, pcbSize);
	if (ppszzDatabaseLocationList != NULL)
		*ppszzDatabaseLocationList = list;
	return hr;
}

CERTBCLI_API HRESULT CERTBCLI_CALL
CertSrvRestoreGetDatabaseLocationsW(HCSBC hbc, WCHAR **ppwszzDatabaseLocationList,
				    DWORD *pcbSize)
{
	void *list;
	HRESULT hr;

	hr = edge_locations(hbc, LISTS_UTF16, ppwszzDatabaseLocationList != NULL,
			    &list, pcbSize);
	if (ppwszzDatabaseLocationList != NULL)
		*ppwszzDatabaseLocationList = list;
	return hr;
}

/* --------------------------------------------------------------- OpenFile */

/* The common head of OpenFile: zero the size, check the handle and the
 * pointers. NULL session means "return *hr". */
static struct session *edge_open_check(HCSBC hbc, const void *name,
				       LARGE_INTEGER *pli, HRESULT *hr)
{
	struct session *s;

	if (pli != NULL)
		pli->QuadPart = 0;
	s = session_from_handle(hbc, SESSION_BACKUP);
	if (s == NULL) {
		*hr = E_INVALIDARG;
		return NULL;
	}
	if (name == NULL || pli == NULL) {
		*hr = E_POINTER;
		return NULL;
	}
	return s;
}

/* path is valid UTF-8 here. */
static HRESULT edge_open(struct session *s, const char *path, DWORD hint,
			 LARGE_INTEGER *pli)
{
	int64_t size = 0;
	int r;

	r = backup_open(s, path, hint, &size);
	if (r == 0)
		pli->QuadPart = size;
	return hresult_from_code(r);
}

CERTBCLI_API HRESULT CERTBCLI_CALL
CertSrvBackupOpenFile(HCSBC hbc, const char *pszAttachmentName,
		      DWORD cbReadHintSize, LARGE_INTEGER *pliFileSize)
{
	struct session *s;
	HRESULT hr = S_OK;
	int r;

	s = edge_open_check(hbc, pszAttachmentName, pliFileSize, &hr);
	if (s == NULL)
		return hr;
	r = strconv_utf8_check(pszAttachmentName, strlen(pszAttachmentName));
	if (r < 0)
		return hresult_from_code(r);
	return edge_open(s, pszAttachmentName, cbReadHintSize, pliFileSize);
}

CERTBCLI_API HRESULT CERTBCLI_CALL
CertSrvBackupOpenFileW(HCSBC hbc, const WCHAR *pwszAttachmentName,
		       DWORD cbReadHintSize, LARGE_INTEGER *pliFileSize)
{
	struct session *s;
	char *path = NULL;
	HRESULT hr = S_OK;
	int r;

	s = edge_open_check(hbc, pwszAttachmentName, pliFileSize, &hr);
	if (s == NULL)
		goto out;
	r = strconv_utf16_to_utf8(pwszAttachmentName, &path);
	if (r < 0) {
		hr = hresult_from_code(r);
		goto out;
	}
	hr = edge_open(s, path, cbReadHintSize, pliFileSize);
out:
	free(path);
	return hr;
}

/* ---------------------------------------------------------------- restore */

static HRESULT edge_restore_prepare(const char *server, ULONG flags, HCSBC *phbc)
{
	struct restore_ctx *ctx = NULL;
	struct session *s = NULL;
	int r;

	r = restore_prepare(server, flags, &ctx);
	if (r == 0)
		r = session_new_restore(ctx, &s); /* owns ctx, also on failure */
	*phbc = s;
	return hresult_from_code(r);
}

CERTBCLI_API HRESULT CERTBCLI_CALL
CertSrvRestorePrepare(const char *pszServerName, ULONG dwRestoreFlags,
		      HCSBC *phbc)
{
	if (phbc == NULL)
		return E_POINTER;
	*phbc = NULL;
	return edge_restore_prepare(pszServerName, dwRestoreFlags, phbc);
}

CERTBCLI_API HRESULT CERTBCLI_CALL
CertSrvRestorePrepareW(const WCHAR *pwszServerName, ULONG dwRestoreFlags,
		       HCSBC *phbc)
{
	char *server = NULL;
	HRESULT hr;
	int r;

	if (phbc == NULL)
		return E_POINTER;
	*phbc = NULL;
	r = edge_opt_utf8(pwszServerName, &server);
	if (r < 0) {
		hr = hresult_from_code(r);
		goto out;
	}
	hr = edge_restore_prepare(server, dwRestoreFlags, phbc);
out:
	free(server);
	return hr;
}

/* The common body of the four Register entry points, UTF-8 strings. Only
 * rgrstmap[0] is read, and only when crstmap is 1. */
static HRESULT edge_register(HCSBC hbc, const char *chk, const char *log,
			     const CSEDB_RSTMAP *map, LONG cmap, const char *bkl,
			     ULONG lo, ULONG hi)
{
	struct restore_reg_args a;
	struct session *s;
	int r;

	s = session_from_handle(hbc, SESSION_RESTORE);
	if (s == NULL)
		return E_INVALIDARG;
	memset(&a, 0, sizeof(a));
	a.checkpoint = chk;
	a.log_path = log;
	a.backup_log_path = bkl;
	a.nmap = cmap;
	a.have_map = map != NULL;
	if (cmap == 1 && map != NULL) {
		a.map_from = map[0].pszDatabaseName;
		a.map_to = map[0].pszNewDatabaseName;
	}
	a.gen_low = lo;
	a.gen_high = hi;
	r = edge_utf8_ok(chk);
	if (r == 0)
		r = edge_utf8_ok(log);
	if (r == 0)
		r = edge_utf8_ok(bkl);
	if (r == 0)
		r = edge_utf8_ok(a.map_from);
	if (r == 0)
		r = edge_utf8_ok(a.map_to);
	if (r == 0)
		r = restore_register(session_restore_ctx(s), &a);
	return hresult_from_code(r);
}

/* The W entry points: convert, then edge_register(). */
static HRESULT edge_register_w(HCSBC hbc, const WCHAR *chk, const WCHAR *log,
			       const CSEDB_RSTMAPW *map, LONG cmap,
			       const WCHAR *bkl, ULONG lo, ULONG hi)
{
	char *c8 = NULL, *l8 = NULL, *b8 = NULL, *from8 = NULL, *to8 = NULL;
	CSEDB_RSTMAP m8 = { NULL, NULL };
	int use_map = cmap == 1 && map != NULL;
	HRESULT hr;
	int r;

	if (session_from_handle(hbc, SESSION_RESTORE) == NULL)
		return E_INVALIDARG;
	r = edge_opt_utf8(chk, &c8);
	if (r == 0)
		r = edge_opt_utf8(log, &l8);
	if (r == 0)
		r = edge_opt_utf8(bkl, &b8);
	if (r == 0 && use_map)
		r = edge_opt_utf8(map[0].pwszDatabaseName, &from8);
	if (r == 0 && use_map)
		r = edge_opt_utf8(map[0].pwszNewDatabaseName, &to8);
	if (r < 0) {
		hr = hresult_from_code(r);
		goto out;
	}
	m8.pszDatabaseName = from8;
	m8.pszNewDatabaseName = to8;
	hr = edge_register(hbc, c8, l8, use_map ? &m8 : NULL, cmap, b8, lo, hi);
out:
	free(c8);
	free(l8);
	free(b8);
	free(from8);
	free(to8);
	return hr;
}

CERTBCLI_API HRESULT CERTBCLI_CALL
CertSrvRestoreRegister(HCSBC hbc, const char *pszCheckPointFilePath,
		       const char *pszLogPath, CSEDB_RSTMAP rgrstmap[],
		       LONG crstmap, const char *pszBackupLogPath,
		       ULONG genLow, ULONG genHigh)
{
	return edge_register(hbc, pszCheckPointFilePath, pszLogPath, rgrstmap,
			     crstmap, pszBackupLogPath, genLow, genHigh);
}

CERTBCLI_API HRESULT CERTBCLI_CALL
CertSrvRestoreRegisterW(HCSBC hbc, const WCHAR *pwszCheckPointFilePath,
			const WCHAR *pwszLogPath, CSEDB_RSTMAPW rgrstmap[],
			LONG crstmap, const WCHAR *pwszBackupLogPath,
			ULONG genLow, ULONG genHigh)
{
	return edge_register_w(hbc, pwszCheckPointFilePath, pwszLogPath, rgrstmap,
			       crstmap, pwszBackupLogPath, genLow, genHigh);
}

CERTBCLI_API HRESULT CERTBCLI_CALL
CertSrvRestoreRegisterThroughFile(HCSBC hbc, const char *pszCheckPointFilePath,
				  const char *pszLogPath, CSEDB_RSTMAP rgrstmap[],
				  LONG crstmap, const char *pszBackupLogPath,
				  ULONG genLow, ULONG genHigh)
{
	return edge_register(hbc, pszCheckPointFilePath, pszLogPath, rgrstmap,
			     crstmap, pszBackupLogPath, genLow, genHigh);
}

CERTBCLI_API HRESULT CERTBCLI_CALL
CertSrvRestoreRegisterThroughFileW(HCSBC hbc, const WCHAR *pwszCheckPointFilePath,
				   const WCHAR *pwszLogPath,
				   CSEDB_RSTMAPW rgrstmap[], LONG crstmap,
				   const WCHAR *pwszBackupLogPath, ULONG genLow,
				   ULONG genHigh)
{
	return edge_register_w(hbc, pwszCheckPointFilePath, pwszLogPath, rgrstmap,
			       crstmap, pwszBackupLogPath, genLow, genHigh);
}

CERTBCLI_API HRESULT CERTBCLI_CALL
CertSrvRestoreRegisterComplete(HCSBC hbc, HRESULT hrRestoreState)
{
	struct session *s;

	s = session_from_handle(hbc, SESSION_RESTORE);
	if (s == NULL)
		return E_INVALIDARG;
	return hresult_from_code(restore_complete(session_restore_ctx(s),
						  hrRestoreState));
}

CERTBCLI_API HRESULT CERTBCLI_CALL CertSrvRestoreEnd(HCSBC hbc)
{
	struct session *s;
	int r;

	s = session_from_handle(hbc, SESSION_RESTORE);
	if (s == NULL)
		return E_INVALIDARG;
	r = restore_end(session_restore_ctx(s));
	session_free(s);
	return hresult_from_code(r);
}

/* ---------------------------------------------------------- ServerControl */

static HRESULT edge_control(const char *server, DWORD flags)
{
	int r;

	switch (flags) {
	case CSCONTROL_SHUTDOWN:
		r = control_shutdown(server, CONTROL_SHUTDOWN_WAIT_MS,
				     CONTROL_SHUTDOWN_POLL_MS);
		break;
	case CSCONTROL_SUSPEND:
	case CSCONTROL_RESTART:
		r = control_check_name(server); /* no action */
		break;
	default:
		r = CS_E_INVALID;
		break;
	}
	return hresult_from_code(r);
}

CERTBCLI_API HRESULT CERTBCLI_CALL
CertSrvServerControl(const char *pszServerName, DWORD dwControlFlags,
		     DWORD *pcbOut, BYTE **ppbOut)
{
	if (pcbOut != NULL)
		*pcbOut = 0;
	if (ppbOut != NULL)
		*ppbOut = NULL;
	return edge_control(pszServerName, dwControlFlags);
}

CERTBCLI_API HRESULT CERTBCLI_CALL
CertSrvServerControlW(const WCHAR *pwszServerName, DWORD dwControlFlags,
		      DWORD *pcbOut, BYTE **ppbOut)
{
	char *server = NULL;
	HRESULT hr;
	int r;

	if (pcbOut != NULL)
		*pcbOut = 0;
	if (ppbOut != NULL)
		*ppbOut = NULL;
	r = edge_opt_utf8(pwszServerName, &server);
	if (r < 0) {
		hr = hresult_from_code(r);
		goto out;
	}
	hr = edge_control(server, dwControlFlags);
out:
	free(server);
	return hr;
}

/* ------------------------------------------------------- string-free calls */

CERTBCLI_API HRESULT CERTBCLI_CALL
CertSrvBackupRead(HCSBC hbc, VOID *pvBuffer, DWORD cbBuffer, DWORD *pcbRead)
{
	struct session *s;
	uint32_t got = 0;
	int r;

	if (pcbRead != NULL)
		*pcbRead = 0;
	s = session_from_handle(hbc, SESSION_BACKUP);
	if (s == NULL)
		return E_INVALIDARG;
	if (pvBuffer == NULL || pcbRead == NULL)
		return E_POINTER;
	if (cbBuffer == 0)
		return E_INVALIDARG;
	r = backup_read(s, pvBuffer, cbBuffer, &got);
	if (r == 0)
		*pcbRead = got;
	return hresult_from_code(r);
}

/* A call that only needs the handle. */
static HRESULT edge_simple(HCSBC hbc, uint16_t type)
{
	struct session *s;

	s = session_from_handle(hbc, SESSION_BACKUP);
	if (s == NULL)
		return E_INVALIDARG;
	return hresult_from_code(backup_simple(s, type));
}

CERTBCLI_API HRESULT CERTBCLI_CALL CertSrvBackupClose(HCSBC hbc)
{
	return edge_simple(hbc, PROTO_BACKUP_CLOSE);
}

CERTBCLI_API HRESULT CERTBCLI_CALL CertSrvBackupTruncateLogs(HCSBC hbc)
{
	return edge_simple(hbc, PROTO_BACKUP_TRUNCATE);
}

CERTBCLI_API HRESULT CERTBCLI_CALL CertSrvBackupEnd(HCSBC hbc)
{
	struct session *s;

	s = session_from_handle(hbc, SESSION_BACKUP);
	if (s == NULL)
		return E_INVALIDARG;
	return hresult_from_code(backup_end(s));
}

CERTBCLI_API VOID CERTBCLI_CALL CertSrvBackupFree(VOID *pv)
{
	free(pv);
}

CERTBCLI_API const char *CERTBCLI_CALL CertSrvGetErrorMessage(HRESULT hr)
{
	return hresult_message(hr);
}

/* Every export has exactly the type of its FN typedef. */
#define EDGE_SAME_TYPE(fn, fntype)                                            \
	_Static_assert(__builtin_types_compatible_p(__typeof__(fn), fntype),  \
		       #fn " does not match " #fntype)

EDGE_SAME_TYPE(CertSrvIsServerOnline, FNCERTSRVISSERVERONLINE);
EDGE_SAME_TYPE(CertSrvIsServerOnlineW, FNCERTSRVISSERVERONLINEW);
EDGE_SAME_TYPE(CertSrvBackupPrepare, FNCERTSRVBACKUPPREPARE);
EDGE_SAME_TYPE(CertSrvBackupPrepareW, FNCERTSRVBACKUPPREPAREW);
EDGE_SAME_TYPE(CertSrvBackupGetDatabaseNames, FNCERTSRVBACKUPGETDATABASENAMES);
EDGE_SAME_TYPE(CertSrvBackupGetDatabaseNamesW, FNCERTSRVBACKUPGETDATABASENAMESW);
EDGE_SAME_TYPE(CertSrvBackupOpenFile, FNCERTSRVBACKUPOPENFILE);
EDGE_SAME_TYPE(CertSrvBackupOpenFileW, FNCERTSRVBACKUPOPENFILEW);
EDGE_SAME_TYPE(CertSrvBackupRead, FNCERTSRVBACKUPREAD);
EDGE_SAME_TYPE(CertSrvBackupClose, FNCERTSRVBACKUPCLOSE);
EDGE_SAME_TYPE(CertSrvBackupGetBackupLogs, FNCERTSRVBACKUPGETBACKUPLOGS);
EDGE_SAME_TYPE(CertSrvBackupGetBackupLogsW, FNCERTSRVBACKUPGETBACKUPLOGSW);
EDGE_SAME_TYPE(CertSrvBackupTruncateLogs, FNCERTSRVBACKUPTRUNCATELOGS);
EDGE_SAME_TYPE(CertSrvBackupGetDynamicFileList, FNCERTSRVBACKUPGETDYNAMICFILELIST);
EDGE_SAME_TYPE(CertSrvBackupGetDynamicFileListW, FNCERTSRVBACKUPGETDYNAMICFILELISTW);
EDGE_SAME_TYPE(CertSrvBackupEnd, FNCERTSRVBACKUPEND);
EDGE_SAME_TYPE(CertSrvBackupFree, FNCERTSRVBACKUPFREE);
EDGE_SAME_TYPE(CertSrvRestoreGetDatabaseLocations, FNCERTSRVRESTOREGETDATABASELOCATIONS);
EDGE_SAME_TYPE(CertSrvRestoreGetDatabaseLocationsW, FNCERTSRVRESTOREGETDATABASELOCATIONSW);
EDGE_SAME_TYPE(CertSrvRestorePrepare, FNCERTSRVRESTOREPREPARE);
EDGE_SAME_TYPE(CertSrvRestorePrepareW, FNCERTSRVRESTOREPREPAREW);
EDGE_SAME_TYPE(CertSrvRestoreRegister, FNCERTSRVRESTOREREGISTER);
EDGE_SAME_TYPE(CertSrvRestoreRegisterW, FNCERTSRVRESTOREREGISTERW);
EDGE_SAME_TYPE(CertSrvRestoreRegisterThroughFile, FNCERTSRVRESTOREREGISTERTHROUGHFILE);
EDGE_SAME_TYPE(CertSrvRestoreRegisterThroughFileW, FNCERTSRVRESTOREREGISTERTHROUGHFILEW);
EDGE_SAME_TYPE(CertSrvRestoreRegisterComplete, FNCERTSRVRESTOREREGISTERCOMPLETE);
EDGE_SAME_TYPE(CertSrvRestoreEnd, FNCERTSRVRESTOREEND);
EDGE_SAME_TYPE(CertSrvServerControl, FNCERTSRVSERVERCONTROL);
EDGE_SAME_TYPE(CertSrvServerControlW, FNCERTSRVSERVERCONTROLW);
EDGE_SAME_TYPE(CertSrvGetErrorMessage, FNCERTSRVGETERRORMESSAGE);
