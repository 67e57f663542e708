/* bench_import.c — `uplift import` beside the floors of its two stores.
 *
 * Data: a seeded county export of BENCH_HOUSEHOLDS households (default
 * 1,000,000; 1 to 6 members each, 3.5 on average, so 3.5 M person rows),
 * one row per person with the household columns repeated, valid and unique
 * GB 11643 ID numbers, 300 households per village. Written once to
 * BENCH_DIR (default /tmp/uplift-bench).
 *
 * Runs, each on a fresh database, same CSV:
 *   1. uplift import into SQLite (full validation, encryption, blind index,
 *      conflict lookups, audit; WAL, synchronous=FULL, one transaction);
 *   2. SQLite's floor: the sqlite3 shell's `.import` of the same CSV into one
 *      table of text columns (no validation, no indexes), WAL, synchronous=FULL;
 *   3. PostgreSQL's floor: COPY of the same CSV into one table of text
 *      columns (through libpq, streaming the file), when BENCH_PG_URI is set;
 *   4. uplift import into PostgreSQL, when BENCH_PG_URI is set, on the first
 *      BENCH_PG_HOUSEHOLDS households (default: all).
 * BENCH_NEXT_WAVE=1 adds, on each store, the next wave of the same
 * households (wave 2020, a third of the incomes changed: every household
 * registered, no stored wave) and then that wave again corrected (another
 * third changed: every stored wave read and diffed, a third audited).
 * Both uplift runs load an empty registry, so they take the bulk path
 * (registry_import.c, defer_indexes: indexes and, on PostgreSQL, foreign
 * keys rebuilt once inside the transaction). Prints rows/s, CPU seconds and
 * the ratio to the floor. BENCH_KEEP_CSV=1 keeps the generated CSV. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <libpq-fe.h>
#include "uplift/registry.h"
/* The check mode decrypts stored values with the registry's own key. */
#include "../lib/registry/registry_int.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
/* CPU seconds (user + system) of this process or of its waited-for children. */
static double cpu_s(int who) {
    struct rusage ru;
    getrusage(who, &ru);
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_sec +
           1e-6 * (double)ru.ru_stime.tv_usec;
}
static double last_cpu;

static const char *env_or(const char *n, const char *d) { const char *v = getenv(n); return v && *v ? v : d; }

static const char header[] =
    "household_code,area_code,village,head_name,household_size,poverty_attribute,main_poverty_cause,"
    "other_poverty_causes,income_net,income_net_per_capita,person_code,name,sex,id_number,relation_to_head,"
    "health_status,labor_skill,receives_dibao\n";

/* Address codes of real counties (GB/T 2260) for the IDs. */
static const char *const addr[50] = {
    "110101", "110102", "110105", "110106", "110107", "110108", "120101", "130102", "140105", "150102",
    "210102", "220102", "230102", "310101", "320102", "320106", "330102", "340102", "350102", "360102",
    "370102", "410102", "420102", "430102", "440103", "440524", "450102", "460105", "500101", "510104",
    "520102", "530102", "540102", "610102", "620102", "630102", "640104", "650102", "130104", "140106",
    "210103", "220104", "230103", "320104", "330105", "340103", "350103", "360103", "370103", "410103"
};
static const char *const causes[] = { "因病", "因残", "因学", "缺技术", "缺资金", "缺劳力", "因灾" };

static void make_id(unsigned long p, int member, char out[19]) {
    static const int w[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
    static const char cc[] = "10X98765432";
    /* (address, date, sequence) is a bijection of p: sequence = p % 1000,
     * address = (p / 1000) % 50, day = p / 50000 after a base date that
     * depends on the member's place (heads born before children). */
    unsigned seq = (unsigned)(p % 1000), a = (unsigned)((p / 1000) % 50);
    long day = (long)(p / 50000);
    int by = member == 0 ? 1950 : member == 1 ? 1953 : 1985;
    /* civil date of by-01-01 + day */
    static const int md[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int y = by, m = 1, d = 1;
    while (day > 0) {
        int lim = md[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100) || y % 400 == 0));
        if (d < lim) d++; else { d = 1; if (++m > 12) { m = 1; y++; } }
        day--;
    }
    char d17[32];
    snprintf(d17, sizeof d17, "%s%04u%02u%02u%03u", addr[a], (unsigned)y % 10000u, (unsigned)m % 100u,
             (unsigned)d % 100u, seq);
    int s = 0;
    for (int i = 0; i < 17; i++) s += (d17[i] - '0') * w[i];
    memcpy(out, d17, 17);
    out[17] = cc[s % 11];
    out[18] = 0;
}

/* variant 0: the first wave; 1: the same households with every third
 * household's income changed (the next wave, for the non-first path);
 * 2: variant 1 corrected (another third's income changed: the same wave
 * re-imported, every stored wave read and diffed, a third audited). */
static unsigned long write_csv_v(const char *path, long n_households, int variant) {
    FILE *f = fopen(path, "w");
    if (!f) { perror(path); exit(1); }
    setvbuf(f, NULL, _IOFBF, 1 << 20);
    fputs(header, f);
    unsigned long p = 0;
    static const int sizes[4] = { 1, 3, 4, 6 };   /* mean 3.5 */
    for (long h = 0; h < n_households; h++) {
        int size = sizes[h % 4];
        long vi = h / 300;
        char area[16];
        snprintf(area, sizeof area, "110105%03ld%03ld", (vi / 20) % 1000 + 1, vi % 20 + 1);
        long inc = 3000 + (h * 7919) % 12000 + (variant && h % 3 == 0 ? 250 : 0) + (variant == 2 && h % 3 == 1 ? 100 : 0);
        for (int m = 0; m < size; m++, p++) {
            char id[19];
            make_id(p, m, id);
            int male = (id[16] - '0') % 2;
            fprintf(f, "H%08ld,%s,村%ld,户主%ld,%d,一般贫困户,%s,%s,%ld.%02ld,%ld.%02ld,P%08ld%02d,成员%lu,%s,%s,%s,%s,%s,%s\n",
                    h, area, vi % 20 + 1, h, size, causes[h % 7], (h % 3) ? "" : "缺技术、缺资金", inc, h % 100,
                    inc / size, h % 100, h, m, p, male ? "男" : "女", id,
                    m == 0 ? "户主" : m == 1 ? "配偶" : "之子", (h % 5) ? "健康" : "长期慢性病",
                    m < 2 ? "普通劳动力" : "无劳动力", (h % 9) ? "否" : "是");
        }
    }
    if (fclose(f) != 0) { perror(path); exit(1); }
    return p;
}

static unsigned long write_csv(const char *path, long n_households) { return write_csv_v(path, n_households, 0); }

static void rm_db(const char *p) {
    char b[600];
    remove(p);
    snprintf(b, sizeof b, "%s-wal", p); remove(b);
    snprintf(b, sizeof b, "%s-shm", p); remove(b);
}

static int bench_wave = 2019;
static double run_uplift(const char *uri, const char *key, const char *csv, upl_import_summary *s) {
    upl_registry_options o;
    upl_registry_options_init(&o);
    o.key_file = key;
    o.create_key = true;
    upl_registry *r = NULL;
    upl_error err = {0};
    if (upl_registry_open(uri, &o, &r, &err)) { fprintf(stderr, "open %s: %s\n", uri, upl_error_message(&err)); exit(1); }
    upl_import_options io;
    upl_import_options_init(&io);
    io.wave = bench_wave;
    io.today = 20210101;
    double t0 = now(), c0 = cpu_s(RUSAGE_SELF);
    if (upl_registry_import(r, csv, &io, s, &err)) { fprintf(stderr, "import: %s\n", upl_error_message(&err)); exit(1); }
    double t = now() - t0;
    last_cpu = cpu_s(RUSAGE_SELF) - c0;
    upl_registry_close(r);
    return t;
}

static double run_sqlite_shell(const char *db, const char *csv) {
    char cmd[2048];
    rm_db(db);
    snprintf(cmd, sizeof cmd, "sqlite3 '%s' 'PRAGMA journal_mode=WAL;' 'PRAGMA synchronous=FULL;' '.mode csv' "
                              "'.import %s t' >/dev/null", db, csv);
    double t0 = now(), c0 = cpu_s(RUSAGE_CHILDREN);
    if (system(cmd) != 0) { fprintf(stderr, "sqlite3 .import failed\n"); return -1; }
    last_cpu = cpu_s(RUSAGE_CHILDREN) - c0;
    return now() - t0;
}

static double run_pg_copy(const char *uri, const char *csv) {
    PGconn *c = PQconnectdb(uri);
    if (PQstatus(c) != CONNECTION_OK) { fprintf(stderr, "%s", PQerrorMessage(c)); PQfinish(c); return -1; }
    PQclear(PQexec(c, "DROP TABLE IF EXISTS bench_copy"));
    PQclear(PQexec(c, "CREATE TABLE bench_copy (household_code text, area_code text, village text, head_name text,"
                      " household_size text, poverty_attribute text, main_poverty_cause text, other_poverty_causes text,"
                      " income_net text, income_net_per_capita text, person_code text, name text, sex text,"
                      " id_number text, relation_to_head text, health_status text, labor_skill text, receives_dibao text)"));
    FILE *f = fopen(csv, "rb");
    if (!f) { PQfinish(c); return -1; }
    double t0 = now();
    PGresult *res = PQexec(c, "COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)");
    if (PQresultStatus(res) != PGRES_COPY_IN) { fprintf(stderr, "%s", PQerrorMessage(c)); PQclear(res); fclose(f); PQfinish(c); return -1; }
    PQclear(res);
    static char buf[1 << 20];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) if (PQputCopyData(c, buf, (int)n) != 1) break;
    PQputCopyEnd(c, NULL);
    res = PQgetResult(c);
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    double t = now() - t0;
    fclose(f);
    PQclear(PQexec(c, "DROP TABLE bench_copy"));
    PQfinish(c);
    return ok ? t : -1;
}

static char *pg_schema_uri(const char *base, const char *schema) {
    PGconn *c = PQconnectdb(base);
    if (PQstatus(c) != CONNECTION_OK) { PQfinish(c); return NULL; }
    char sql[128];
    snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE", schema);
    PQclear(PQexec(c, sql));
    snprintf(sql, sizeof sql, "CREATE SCHEMA %s", schema);
    PQclear(PQexec(c, sql));
    PQfinish(c);
    char *u = malloc(strlen(base) + 64);
    sprintf(u, "%s%soptions=-csearch_path%%3D%s", base, strchr(base, '?') ? "&" : "?", schema);
    return u;
}

/* ---- check mode: the registry's contents, for differential runs --------------------
 * `bench_import check DIR URI OUT` imports three files written into DIR
 * into a fresh registry URI (a SQLite path, or a PostgreSQL URI whose
 * search_path schema is recreated) and writes to OUT the import summaries,
 * the rejects and warnings files and every row of the tables an import
 * writes, ordered by key, with encrypted values decrypted (their nonces
 * differ between runs) and wall-clock times replaced by "-". Two builds
 * must write identical OUT files. The files:
 *   A: 10,000 households (wave 2019) with deliberate faults: invalid and
 *      spreadsheet-damaged IDs, size and head-count mismatches, differing
 *      and identical duplicate rows, an empty household code, bad money
 *      and dates, a row the reader refuses, one person in two households
 *      (same area and two areas), normalised and 15-digit IDs, phones,
 *      bank accounts, unknown code labels, sex mismatches;
 *   B: wave 2020, the same households with changed values plus 300 new
 *      ones (bulk path with existing households: audit diffs);
 *   C: wave 2020 again, 120 households (60 existing, 60 new) into the
 *      now larger registry: the ordinary (non-bulk) path;
 *   D: wave 2021 (a wave no household has: registered households written
 *      in batches), households 0-2999 with changed incomes and causes,
 *      a member added in every fifth household (h % 5 == 3) and the last
 *      member gone from another fifth (h % 5 == 4, size > 1);
 *   E: wave 2021 again, households 0-2999 (the stored waves read and
 *      diffed a batch at a time, audited per household): other incomes,
 *      the member added in D gone again where h is even, the same members
 *      removed. (C is the one-by-one path's diff: no preload.) */
static const char check_header[] =
    "household_code,area_code,village,head_name,household_size,household_phone,bank_account,poverty_attribute,"
    "main_poverty_cause,other_poverty_causes,income_net,cultivated_land_mu,person_code,name,sex,id_number,"
    "birth_date,person_phone,relation_to_head,health_status,labor_skill,receives_dibao\n";

static void check_id15(unsigned long p, char out[16]) {
    /* 15-digit legacy number: address, YYMMDD, 3-digit sequence */
    snprintf(out, 16, "%s%02lu%02lu%02lu%03lu", addr[p % 50], 40 + (p / 7) % 50, 1 + p % 12, 1 + p % 28, p % 1000);
}

static void write_check_file(const char *path, long first, long n, int variant) {
    FILE *f = fopen(path, "w");
    if (!f) { perror(path); exit(1); }
    fputs(check_header, f);
    static const int sizes[4] = { 1, 3, 4, 6 };
    for (long h = first; h < first + n; h++) {
        int size = sizes[h % 4];
        /* D and E: a member added (born or married in) or the last one gone */
        bool added = (variant == 3 && h % 5 == 3) || (variant == 4 && h % 5 == 3 && h % 2);
        if (added) size++;
        if (variant >= 3 && h % 5 == 4 && size > 1) size--;
        long vi = h / 300;
        char area[16];
        /* every 97th household lives in a second county (two-area conflicts) */
        snprintf(area, sizeof area, "%s%03ld%03ld", h % 97 == 5 ? "110106" : "110105", (vi / 20) % 1000 + 1, vi % 20 + 1);
        long inc = 3000 + (h * 7919) % 12000 + variant * 137 * (h % 3);
        int declared = size;
        long fault = variant == 0 ? h % 211 : -1;   /* faults only in file A */
        if (fault == 3) declared = size + 1;        /* SIZE_MISMATCH */
        int rows = size;
        if (fault == 7 || fault == 8) rows = size + 1;   /* a repeated member row: 7 identical, 8 differing */
        if (fault == 7 || fault == 8) declared = size;
        if (variant == 1 && h % 13 == 0) inc += 1000;
        for (int m = 0; m < rows; m++) {
            int mm = m < size ? m : 0;   /* the repeated row repeats the head */
            unsigned long p = (unsigned long)h * 6 + (unsigned long)mm;
            char id[40];
            make_id(p, mm, id);
            if (fault == 11 && mm == 1) id[17] = id[17] == '0' ? '1' : '0';           /* bad check digit */
            if (fault == 13 && mm == 0) snprintf(id, sizeof id, "1.10105195E+17");   /* spreadsheet damage */
            if (fault == 17 && mm == 0) { char t[40]; snprintf(t, sizeof t, " %.6s %.8s %.4s", id, id + 6, id + 14);
                                          snprintf(id, sizeof id, "%s", t); }        /* normalised */
            if (fault == 19 && mm == 2) check_id15(p, id);                            /* legacy 15 */
            if (fault == 23 && mm == 1) make_id(((unsigned long)h - 1) * 6 + 0, 0, id); /* head of h-1: conflict */
            if (h % 97 == 5 && mm == 1) make_id(((unsigned long)h + 40) * 6 + 0, 0, id); /* two areas */
            if (variant == 2 && h % 2 == 0 && mm == 0) make_id(((unsigned long)h + 3) * 6 + 1, 1, id);
            if (added && mm == size - 1) make_id(5000000ul + (unsigned long)h, 2, id);   /* a new person */
            int male = (id[16] - '0') % 2;
            const char *sex = male ? "男" : "女";
            if (fault == 29 && mm == 0) sex = male ? "女" : "男";                      /* SEX_MISMATCH warning */
            const char *rel = mm == 0 ? "户主" : mm == 1 ? "配偶" : "之子";
            if (fault == 31 && mm == 1) rel = "户主";                                  /* HEAD_COUNT */
            char money[32];
            snprintf(money, sizeof money, "%ld.%02ld", inc, h % 100);
            if (fault == 37) snprintf(money, sizeof money, "1,234.5");                 /* BAD_VALUE */
            char birth[16] = "";
            if (h % 5 == 1) snprintf(birth, sizeof birth, "%.4s-%.2s-%.2s", id + 6, id + 10, id + 12);
            if (fault == 41 && mm == 0) snprintf(birth, sizeof birth, "1901-01-01");   /* DATE_MISMATCH */
            const char *code = fault == 43 ? "" : NULL;                               /* empty household code */
            const char *cause = fault == 47 ? "因懒" : causes[(h + variant) % 7];     /* unknown label */
            char name[32];
            snprintf(name, sizeof name, "成员%lu%s", p, (fault == 8 && m == rows - 1) ? "乙" : "");
            fprintf(f, "%s%s%08ld,%s,村%ld,户主%ld,%d,%s,%s,一般贫困户,%s,%s,%s,%s,P%08ld%02d,%s,%s,%s,%s,%s,%s,%s,%s,%s\n",
                    code ? code : "H", code ? "" : "", code ? 0L : h, area, vi % 20 + 1, h, declared,
                    h % 4 == 0 ? "13800138000" : "", h % 6 == 0 ? "6222020200112233445" : "", cause,
                    (h % 3) ? "" : "缺技术、缺资金", money, h % 8 ? "" : "2.5", h, mm, name, sex, id, birth,
                    h % 5 == 2 ? "13912345678" : "", rel, (h % 5) ? "健康" : "长期慢性病",
                    mm < 2 ? "普通劳动力" : "无劳动力", (h % 9) ? "否" : "是");
            if (fault == 53 && m == 0) fputs("H_extra,1,2\n", f);   /* the reader refuses a short row */
        }
    }
    if (fclose(f) != 0) { perror(path); exit(1); }
}

static const char *enc_context(const char *table, const char *col) {
    if (!strcmp(col, "id_enc")) return "member.id_number";
    if (!strcmp(col, "raw_enc")) return "quarantine.raw";
    if (!strcmp(table, "household") && !strcmp(col, "household_phone_enc")) return "household_phone";
    if (!strcmp(col, "bank_account_enc")) return "bank_account";
    if (!strcmp(col, "person_phone_enc")) return "person_phone";
    return NULL;
}

static void dump_table(upl_registry *r, const char *table, const char *order, FILE *out) {
    upl_db *db = r->db;
    upl_stmt *st = NULL;
    upl_error err = {0};
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT * FROM %s ORDER BY %s", table, order);
    if (db->vt->prepare(db, sql, &st, &err)) { fprintf(stderr, "%s\n", upl_error_message(&err)); exit(1); }
    bool row = false;
    if (db->vt->step(st, &row, &err)) { fprintf(stderr, "%s\n", upl_error_message(&err)); exit(1); }
    int nc = db->vt->n_cols(st);
    unsigned long n = 0;
    fprintf(out, "== %s\n", table);
    while (row) {
        for (int i = 0; i < nc; i++) {
            const char *name = db->vt->col_name(st, i);
            const char *v = db->vt->col_text(st, i, NULL);
            fprintf(out, "%s%s=", i ? "|" : "", name);
            if (!v) { fputs("NULL", out); continue; }
            if (!strcmp(name, "created_at") || !strcmp(name, "updated_at") || !strcmp(name, "at") ||
                !strcmp(name, "hash") || !strcmp(name, "prev_hash")) { fputs("-", out); continue; }
            const char *ctx = enc_context(table, name);
            if (ctx) {
                char *plain = NULL;
                if (upl_reg_decrypt(r, ctx, v, &plain, NULL, &err)) { fprintf(stderr, "%s\n", upl_error_message(&err)); exit(1); }
                fprintf(out, "dec(%s)", plain);
                upl_free(plain);
                continue;
            }
            fputs(v, out);
        }
        fputc('\n', out);
        n++;
        if (db->vt->step(st, &row, &err)) { fprintf(stderr, "%s\n", upl_error_message(&err)); exit(1); }
    }
    fprintf(out, "(%lu rows)\n", n);
    db->vt->finalize(st);
}

static void cat_file(const char *path, const char *label, FILE *out) {
    FILE *f = fopen(path, "rb");
    fprintf(out, "== %s\n", label);
    if (!f) { fputs("(none)\n", out); return; }
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, n, out);
    fclose(f);
}

static int check_mode(const char *dir, const char *uri_in, const char *out_path) {
    char a[512], b[512], c[512], d[512], e[512], key[512];
    mkdir(dir, 0700);
    snprintf(a, sizeof a, "%s/check_a.csv", dir);
    snprintf(b, sizeof b, "%s/check_b.csv", dir);
    snprintf(c, sizeof c, "%s/check_c.csv", dir);
    snprintf(d, sizeof d, "%s/check_d.csv", dir);
    snprintf(e, sizeof e, "%s/check_e.csv", dir);
    snprintf(key, sizeof key, "%s/check.key", dir);
    write_check_file(a, 0, 10000, 0);
    write_check_file(b, 0, 10300, 1);
    write_check_file(c, 10240, 120, 2);
    write_check_file(d, 0, 3000, 3);
    write_check_file(e, 0, 3000, 4);
    /* A fixed key: the blind index (compared in clear) is the same in every run. */
    remove(key);
    int kfd = open(key, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    FILE *kf = kfd >= 0 ? fdopen(kfd, "w") : NULL;
    if (!kf) { perror(key); return 1; }
    fputs("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n", kf);
    fclose(kf);
    char *uri = NULL;
    if (!strncmp(uri_in, "postgresql://", 13)) uri = pg_schema_uri(uri_in, "bench_check");
    else { rm_db(uri_in); uri = strdup(uri_in); }
    upl_registry_options o;
    upl_registry_options_init(&o);
    o.key_file = key;
    upl_registry *r = NULL;
    upl_error err = {0};
    if (upl_registry_open(uri, &o, &r, &err)) { fprintf(stderr, "open: %s\n", upl_error_message(&err)); return 1; }
    FILE *out = fopen(out_path, "w");
    if (!out) { perror(out_path); return 1; }
    const char *files[5] = { a, b, c, d, e };
    const int waves[5] = { 2019, 2020, 2020, 2021, 2021 };
    for (int i = 0; i < 5; i++) {
        upl_import_options io;
        upl_import_options_init(&io);
        io.wave = waves[i];
        io.today = 20210101;
        upl_import_summary s;
        char rej[600], warn[600];
        snprintf(rej, sizeof rej, "%s.rejects.csv", files[i]);
        snprintf(warn, sizeof warn, "%s.warnings.csv", files[i]);
        remove(rej); remove(warn);
        double t0 = now();
        if (upl_registry_import(r, files[i], &io, &s, &err)) { fprintf(stderr, "import: %s\n", upl_error_message(&err)); return 1; }
        fprintf(stderr, "check: file %c imported in %.2f s\n", 'A' + i, now() - t0);
        fprintf(out, "== import %c\n", 'A' + i);
        upl_import_summary_print(&s, out);
        cat_file(rej, "rejects", out);
        cat_file(warn, "warnings", out);
    }
    dump_table(r, "import_file", "id", out);
    dump_table(r, "household", "id", out);
    dump_table(r, "household_wave", "household_id, wave", out);
    dump_table(r, "member", "id", out);
    dump_table(r, "member_wave", "member_id, wave", out);
    dump_table(r, "quarantine", "id", out);
    dump_table(r, "conflict", "id", out);
    dump_table(r, "audit_log", "seq", out);
    if (upl_registry_check(r, &err)) fprintf(out, "registry check failed: %s\n", upl_error_message(&err));
    else fputs("registry check ok\n", out);
    fclose(out);
    upl_registry_close(r);
    free(uri);
    return 0;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 5 && !strcmp(argv[1], "check")) return check_mode(argv[2], argv[3], argv[4]);
    long n_hh = atol(env_or("BENCH_HOUSEHOLDS", "1000000"));
    const char *dir = env_or("BENCH_DIR", "/tmp/uplift-bench");
    mkdir(dir, 0700);
    char csv[512], db[512], key[512], shell_db[512];
    snprintf(csv, sizeof csv, "%s/registry_%ld.csv", dir, n_hh);
    snprintf(db, sizeof db, "%s/registry.db", dir);
    snprintf(key, sizeof key, "%s/registry.key", dir);
    snprintf(shell_db, sizeof shell_db, "%s/sqlite_import.db", dir);
    double t0 = now();
    unsigned long rows = write_csv(csv, n_hh);
    struct stat sb;
    stat(csv, &sb);
    printf("data: %ld households, %lu person rows, %.0f MB CSV (generated in %.1f s)\n", n_hh, rows,
           (double)sb.st_size / 1e6, now() - t0);
    printf("%-44s %10s %8s %12s %10s\n", "run", "seconds", "cpu s", "rows/s", "vs floor");
    rm_db(db); remove(key);
    upl_import_summary s;
    double t_up = run_uplift(db, key, csv, &s);
    double c_up = last_cpu;
    if (s.rows_accepted != rows) fprintf(stderr, "warning: %llu of %lu rows accepted\n", (unsigned long long)s.rows_accepted, rows);
    double t_sh = run_sqlite_shell(shell_db, csv);
    printf("%-44s %10.2f %8.1f %12.0f %10s\n", "sqlite3 .import (floor, no validation)", t_sh, last_cpu, rows / t_sh, "1.00");
    printf("%-44s %10.2f %8.1f %12.0f %10.2f\n", "uplift import -> SQLite (full validation)", t_up, c_up, rows / t_up, t_sh / t_up);
    /* BENCH_NEXT_WAVE=1: the next wave of the same households into the
     * registry just loaded (every household already registered: written one
     * at a time with its audit diff). */
    char csv2[600], csv3[600];
    snprintf(csv2, sizeof csv2, "%s/registry_%ld_next.csv", dir, n_hh);
    snprintf(csv3, sizeof csv3, "%s/registry_%ld_next_corrected.csv", dir, n_hh);
    bool next_wave = getenv("BENCH_NEXT_WAVE") && *getenv("BENCH_NEXT_WAVE");
    if (next_wave) {
        write_csv_v(csv2, n_hh, 1);
        write_csv_v(csv3, n_hh, 2);
        bench_wave = 2020;
        double t2 = run_uplift(db, key, csv2, &s);
        printf("%-44s %10.2f %8.1f %12.0f %10.2f\n", "  next wave -> SQLite (all registered)", t2, last_cpu, rows / t2, t_sh / t2);
        t2 = run_uplift(db, key, csv3, &s);
        bench_wave = 2019;
        printf("%-44s %10.2f %8.1f %12.0f %10.2f\n", "  same wave corrected -> SQLite (diffed)", t2, last_cpu, rows / t2,
               t_sh / t2);
    }
    rm_db(db); rm_db(shell_db);
    const char *pg = getenv("BENCH_PG_URI");
    if (pg && *pg) {
        double t_copy = run_pg_copy(pg, csv);
        printf("%-44s %10.2f %8s %12.0f %10s\n", "PostgreSQL COPY (floor, no validation)", t_copy, "server", rows / t_copy, "1.00");
        long pg_hh = atol(env_or("BENCH_PG_HOUSEHOLDS", "0"));
        const char *pcsv = csv;
        char small[512];
        unsigned long prows = rows;
        if (pg_hh > 0 && pg_hh < n_hh) {
            snprintf(small, sizeof small, "%s/registry_pg_%ld.csv", dir, pg_hh);
            prows = write_csv(small, pg_hh);
            pcsv = small;
        }
        char *uri = pg_schema_uri(pg, "bench_import");
        char pkey[600];
        snprintf(pkey, sizeof pkey, "%s/registry_pg.key", dir);
        remove(pkey);
        double t_pg = run_uplift(uri, pkey, pcsv, &s);
        char label[80];
        snprintf(label, sizeof label, "uplift import -> PostgreSQL (%lu rows)", prows);
        printf("%-44s %10.2f %8.1f %12.0f %10.2f\n", label, t_pg, last_cpu, prows / t_pg, (prows / t_pg) / (rows / t_copy));
        if (next_wave && pcsv == csv) {
            bench_wave = 2020;
            double t2 = run_uplift(uri, pkey, csv2, &s);
            printf("%-44s %10.2f %8.1f %12.0f %10.2f\n", "  next wave -> PostgreSQL (all registered)", t2, last_cpu,
                   prows / t2, (prows / t2) / (rows / t_copy));
            t2 = run_uplift(uri, pkey, csv3, &s);
            bench_wave = 2019;
            printf("%-44s %10.2f %8.1f %12.0f %10.2f\n", "  same wave corrected -> PostgreSQL (diffed)", t2, last_cpu,
                   prows / t2, (prows / t2) / (rows / t_copy));
        }
        free(uri);
    } else {
        printf("(PostgreSQL runs skipped: set BENCH_PG_URI, e.g. from scripts/pg-test-server start --durable)\n");
    }
    if (!getenv("BENCH_KEEP_CSV")) { remove(csv); remove(csv2); remove(csv3); }
    return 0;
}
