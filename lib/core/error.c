/* error.c — status code names and the upl_error context that carries a
 * message with its location (file:line:column, field) to the API boundary. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "uplift/error.h"

static const struct { const char *name, *text; } status_table[UPL_STATUS_COUNT_] = {
    [UPL_OK] = { "UPL_OK", "success" },
    [UPL_ENOMEM] = { "UPL_ENOMEM", "out of memory" },
    [UPL_EIO] = { "UPL_EIO", "input/output error" },
    [UPL_EPARSE] = { "UPL_EPARSE", "malformed input" },
    [UPL_ESCHEMA] = { "UPL_ESCHEMA", "columns missing, duplicated or of the wrong type" },
    [UPL_EPROFILE] = { "UPL_EPROFILE", "invalid profile or expression" },
    [UPL_EDB] = { "UPL_EDB", "registry database error" },
    [UPL_EMISUSE] = { "UPL_EMISUSE", "invalid arguments" },
    [UPL_EAUTH] = { "UPL_EAUTH", "not authorised" },
    [UPL_ENOTFOUND] = { "UPL_ENOTFOUND", "not found" },
    [UPL_ERANGE] = { "UPL_ERANGE", "value out of range" },
    [UPL_EENCODING] = { "UPL_EENCODING", "bytes not valid in the input encoding" },
    [UPL_ECORRUPT] = { "UPL_ECORRUPT", "corrupt or truncated file" },
    [UPL_EUNDEFINED] = { "UPL_EUNDEFINED", "statistic undefined for this input" },
    [UPL_ELIMIT] = { "UPL_ELIMIT", "size limit exceeded" },
    [UPL_EEXISTS] = { "UPL_EEXISTS", "already exists" },
    [UPL_ECONFLICT] = { "UPL_ECONFLICT", "conflicting records need review" },
    [UPL_EUNSUPPORTED] = { "UPL_EUNSUPPORTED", "not supported" },
};

const char *upl_errname(int rc) {
    if (rc < 0 || rc >= UPL_STATUS_COUNT_ || !status_table[rc].name) return "UPL_E?";
    return status_table[rc].name;
}

const char *upl_errstr(int rc) {
    if (rc < 0 || rc >= UPL_STATUS_COUNT_ || !status_table[rc].text) return "unknown error";
    return status_table[rc].text;
}

void upl_error_clear(upl_error *err) {
    if (!err) return;
    free(err->message);
    free(err->file);
    free(err->field);
    free(err->full);
    memset(err, 0, sizeof *err);
}

/* Error strings use plain malloc on purpose: reporting an allocation failure
 * must not itself be subject to injected allocation failures. */
UPL_PRINTF(1, 0) static char *vformat(const char *fmt, va_list ap) {
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) return NULL;
    char *s = malloc((size_t)n + 1);
    if (s) vsnprintf(s, (size_t)n + 1, fmt, ap);
    return s;
}

UPL_PRINTF(3, 0) int upl_error_vset(upl_error *err, int code, const char *fmt, va_list ap) {
    if (!err) return code;
    upl_error_clear(err);
    err->code = code;
    if (fmt) err->message = vformat(fmt, ap);
    return code;
}

int upl_error_set(upl_error *err, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    upl_error_vset(err, code, fmt, ap);
    va_end(ap);
    return code;
}

int upl_error_at(upl_error *err, int code, const char *file, uint64_t line, uint64_t column,
                 const char *field, const char *fmt, ...) {
    if (!err) return code;
    va_list ap;
    va_start(ap, fmt);
    upl_error_vset(err, code, fmt, ap);
    va_end(ap);
    err->file = file ? strdup(file) : NULL;
    err->field = field ? strdup(field) : NULL;
    err->line = line;
    err->column = column;
    return code;
}

const char *upl_error_message(upl_error *err) {
    if (!err) return "";
    if (err->code == UPL_OK && !err->message) return "no error";
    free(err->full);
    err->full = NULL;
    const char *msg = err->message ? err->message : upl_errstr(err->code);
    size_t cap = strlen(msg) + (err->file ? strlen(err->file) : 0) + (err->field ? strlen(err->field) : 0) + 96;
    char *s = malloc(cap);
    if (!s) return msg;
    size_t n = 0;
    if (err->file) {
        n += (size_t)snprintf(s + n, cap - n, "%s:", err->file);
        if (err->line) n += (size_t)snprintf(s + n, cap - n, "%llu:", (unsigned long long)err->line);
        if (err->line && err->column) n += (size_t)snprintf(s + n, cap - n, "%llu:", (unsigned long long)err->column);
        n += (size_t)snprintf(s + n, cap - n, " ");
    } else if (err->line) {
        /* no file: the location is a row of an in-memory table */
        n += (size_t)snprintf(s + n, cap - n, "row %llu: ", (unsigned long long)err->line);
    }
    if (err->field) n += (size_t)snprintf(s + n, cap - n, "column `%s`: ", err->field);
    snprintf(s + n, cap - n, "%s", msg);
    err->full = s;
    return s;
}

int upl_error_copy(upl_error *dst, const upl_error *src) {
    if (!dst) return src ? src->code : UPL_OK;
    upl_error_clear(dst);
    if (!src) return UPL_OK;
    dst->code = src->code;
    dst->message = src->message ? strdup(src->message) : NULL;
    dst->file = src->file ? strdup(src->file) : NULL;
    dst->field = src->field ? strdup(src->field) : NULL;
    dst->line = src->line;
    dst->column = src->column;
    return dst->code;
}
