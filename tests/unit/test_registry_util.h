/* test_registry_util.h — helpers shared by the registry test suites:
 * opening a fresh registry on either back end (SQLite file, or a fresh
 * PostgreSQL schema under UPL_TEST_PG_URI), and a synthetic county export
 * with valid ID numbers. Header-only (static functions). */
#ifndef UPLIFT_TEST_REGISTRY_UTIL_H
#define UPLIFT_TEST_REGISTRY_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libpq-fe.h>
#include "unit_util.h"
#include "uplift/registry.h"

enum { BACKEND_SQLITE = 0, BACKEND_PG = 1 };

/* Import PATH (wave 0: the file's record_year column) with "today" fixed at
 * 2024-01-01, so age checks do not drift; the import must succeed. */
static __attribute__((unused)) upl_import_summary reg_import_ok(upl_registry *r, const char *path, int wave) {
    upl_import_options o;
    upl_import_options_init(&o);
    o.today = 20240101;
    o.wave = wave;
    upl_import_summary s;
    upl_error err = {0};
    int rc = upl_registry_import(r, path, &o, &s, &err);
    ck_assert_msg(rc == UPL_OK, "import %s: %s", path, upl_error_message(&err));
    upl_error_clear(&err);
    return s;
}

/* Whether the PostgreSQL variant can run; prints a visible skip line once
 * per test when it cannot. */
static __attribute__((unused)) bool reg_backend_available(int backend, const char *test) {
    if (backend != BACKEND_PG) return true;
    const char *uri = getenv("UPL_TEST_PG_URI");
    if (uri && *uri) return true;
    fprintf(stderr, "SKIP %s [postgresql]: UPL_TEST_PG_URI is not set (scripts/pg-test-server start)\n", test);
    return false;
}

/* A fresh registry URI: a new SQLite file, or a new schema in the test
 * PostgreSQL server reached through search_path. Caller frees. */
static __attribute__((unused)) char *reg_fresh_uri(int backend, const char *tag) {
    static int counter = 0;
    char name[96];
    snprintf(name, sizeof name, "%s_%ld_%d", tag, (long)getpid(), ++counter);
    if (backend == BACKEND_SQLITE) {
        char file[128];
        snprintf(file, sizeof file, "%s.db", name);
        return unit_tmp_path(file);
    }
    const char *base = getenv("UPL_TEST_PG_URI");
    PGconn *c = PQconnectdb(base);
    ck_assert_msg(PQstatus(c) == CONNECTION_OK, "cannot connect to %s: %s", base, PQerrorMessage(c));
    char sql[160];
    snprintf(sql, sizeof sql, "CREATE SCHEMA \"%s\"", name);
    PGresult *res = PQexec(c, sql);
    ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK, "%s", PQerrorMessage(c));
    PQclear(res);
    PQfinish(c);
    size_t n = strlen(base) + strlen(name) + 64;
    char *uri = malloc(n);
    ck_assert_ptr_nonnull(uri);
    snprintf(uri, n, "%s%soptions=-csearch_path%%3D%s", base, strchr(base, '?') ? "&" : "?", name);
    return uri;
}

/* Open a fresh registry with its own key file (created). */
static __attribute__((unused)) upl_registry *reg_open_fresh(int backend, const char *tag, char **uri_out,
                                                              char **key_out) {
    char *uri = reg_fresh_uri(backend, tag);
    char kname[128];
    static int kcounter = 0;
    snprintf(kname, sizeof kname, "%s_%ld_%d.key", tag, (long)getpid(), ++kcounter);
    char *key = unit_tmp_path(kname);
    upl_registry_options o;
    upl_registry_options_init(&o);
    o.key_file = key;
    o.create_key = true;
    upl_registry *r = NULL;
    upl_error err = {0};
    int rc = upl_registry_open(uri, &o, &r, &err);
    ck_assert_msg(rc == UPL_OK, "open %s: %s", uri, upl_error_message(&err));
    upl_error_clear(&err);
    if (uri_out) *uri_out = uri; else free(uri);
    if (key_out) *key_out = key; else free(key);
    return r;
}

static __attribute__((unused)) upl_registry *reg_reopen(const char *uri, const char *key) {
    upl_registry_options o;
    upl_registry_options_init(&o);
    o.key_file = key;
    upl_registry *r = NULL;
    upl_error err = {0};
    int rc = upl_registry_open(uri, &o, &r, &err);
    ck_assert_msg(rc == UPL_OK, "reopen %s: %s", uri, upl_error_message(&err));
    upl_error_clear(&err);
    return r;
}

/* Compute a valid 18-character ID from 17 digits. */
static __attribute__((unused)) void reg_make_id(const char *d17, char out[19]) {
    memcpy(out, d17, 17);
    out[17] = upl_id_check_char(d17);
    out[18] = 0;
}

/* Synthetic export: n households in village `area` (12 digits), household
 * h has 1 + h % 4 members; household codes "<prefix>%06d". Returns the
 * number of member rows written. IDs are valid and unique per (prefix, h). */
static __attribute__((unused)) size_t reg_write_synthetic(const char *path, const char *area, const char *prefix,
                                                          int n_households, int seed) {
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "household_code,area_code,household_size,main_poverty_cause,income_net,person_code,name,sex,"
               "id_number,relation_to_head,health_status\n");
    size_t rows = 0;
    for (int h = 0; h < n_households; h++) {
        int size = 1 + h % 4;
        for (int m = 0; m < size; m++) {
            char d17[32], id[19];
            /* address 110105; birth year by member, month/day and sequence from h and seed */
            int year = 1940 + m * 15 + (h % 7);
            int seq = (h * 4 + m + seed * 7919) % 1000;
            int month = 1 + (h / 250) % 12, day = 1 + (h / 3000) % 28;
            snprintf(d17, sizeof d17, "110105%04u%02u%02u%03u", (unsigned)year % 10000u, (unsigned)month % 100u,
                     (unsigned)day % 100u, (unsigned)seq % 1000u);
            reg_make_id(d17, id);
            int sex = ((id[16] - '0') % 2) ? 1 : 2;
            fprintf(f, "%s%06d,%s,%d,因病,%d.%02d,%s%06d_%d,成员%d,%s,%s,%s,健康\n", prefix, h, area, size,
                    5000 + h % 3000, h % 100, prefix, h, m, m, sex == 1 ? "男" : "女", id,
                    m == 0 ? "户主" : (m == 1 ? "配偶" : "之子"));
            rows++;
        }
    }
    ck_assert_int_eq(fclose(f), 0);
    return rows;
}

static __attribute__((unused)) int64_t reg_stat(upl_registry *r, const char *name) {
    upl_table *t = NULL;
    upl_error err = {0};
    int rc = upl_registry_stats(r, &t, &err);
    ck_assert_msg(rc == UPL_OK, "stats: %s", upl_error_message(&err));
    upl_column *c = upl_table_find(t, name);
    ck_assert_ptr_nonnull(c);
    int64_t v = c->v.i64[0];
    upl_table_free(t);
    return v;
}

#endif
