/* io_schema.c — explicit schemas written as text (`name:type[:flag...]`),
 * shared by the command line and anything else that takes a schema from
 * people rather than code. */
#include <errno.h>
#include <string.h>
#include "uplift/io.h"
#include "reader_int.h"

void upl_schema_free(upl_schema_field *fields, size_t n) {
    if (!fields) return;
    for (size_t i = 0; i < n; i++) upl_free((char *)(uintptr_t)fields[i].name);
    upl_free(fields);
}

static char *trim(char *s) {
    while (*s == ' ' || *s == '\t' || *s == '\r') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) s[--n] = '\0';
    return s;
}

int upl_schema_parse(const char *spec, upl_schema_field **out, size_t *n_out, upl_error *err) {
    int rc = UPL_OK;
    char *text = NULL;
    upl_schema_field *f = NULL;
    size_t n = 0, cap = 0;
    if (!spec || !out || !n_out) return upl_error_set(err, UPL_EMISUSE, "upl_schema_parse: invalid arguments");
    if (spec[0] == '@') {
        size_t len;
        UPL_TRY(upl__read_file(spec + 1, 1u << 24, &text, &len, err));
    } else {
        text = upl_strdup(spec);
        UPL_FAIL_IF(!text, err, UPL_ENOMEM, "out of memory");
    }
    char *save = NULL;
    for (char *tokn = strtok_r(text, ",\n", &save); tokn; tokn = strtok_r(NULL, ",\n", &save)) {
        char *e = trim(tokn);
        if (!*e || *e == '#') continue;
        char *colon = strchr(e, ':');   /* the first ':' ends the name */
        UPL_FAIL_IF(!colon, err, UPL_EPARSE, "schema entry `%s`: expected name:type (e.g. income:f64)", e);
        *colon = '\0';
        char *name = trim(e), *rest = colon + 1;
        UPL_FAIL_IF(!*name, err, UPL_EPARSE, "schema entry `:%s`: empty column name", rest);
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 8;
            upl_schema_field *nf = upl_reallocarray(f, nc, sizeof *nf);
            UPL_FAIL_IF(!nf, err, UPL_ENOMEM, "out of memory");
            f = nf;
            cap = nc;
        }
        upl_schema_field *sf = &f[n];
        memset(sf, 0, sizeof *sf);
        sf->name = upl_strdup(name);
        UPL_FAIL_IF(!sf->name, err, UPL_ENOMEM, "out of memory");
        n++;
        char *save2 = NULL;
        char *type = strtok_r(rest, ":", &save2);
        type = type ? trim(type) : NULL;
        UPL_FAIL_IF(!type || !*type, err, UPL_EPARSE, "schema entry `%s`: missing type", name);
        if (!strcmp(type, "id")) { sf->type = UPL_STR; sf->is_id = true; }
        else if (upl_type_parse(type, &sf->type) != UPL_OK)
            UPL_FAIL_IF(true, err, UPL_EPARSE, "schema entry `%s`: unknown type `%s` (use f64, i64, bool, cat, str or id)", name, type);
        for (char *fl = strtok_r(NULL, ":", &save2); fl; fl = strtok_r(NULL, ":", &save2)) {
            fl = trim(fl);
            if (!strcmp(fl, "required")) sf->is_required = true;
            else if (!strcmp(fl, "notnull")) sf->is_not_null = true;
            else if (!strcmp(fl, "id")) sf->is_id = true;
            else UPL_FAIL_IF(true, err, UPL_EPARSE, "schema entry `%s`: unknown flag `%s` (use required, notnull, id)", name, fl);
        }
        for (size_t k = 0; k + 1 < n; k++)
            UPL_FAIL_IF(!strcmp(f[k].name, sf->name), err, UPL_EPARSE, "schema: column `%s` given twice", name);
    }
    *out = f;
    *n_out = n;
    f = NULL;
    n = 0;
fail:
    upl_schema_free(f, n);
    upl_free(text);
    return rc;
}
