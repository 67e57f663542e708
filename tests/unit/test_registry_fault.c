/* test_registry_fault.c — the registry under injected failures, after
 * SQLite's own method (RELIABILITY.md §1):
 *   - allocation failures: SQLite's allocator is routed through upl_malloc
 *     (sqlite3_config(SQLITE_CONFIG_MALLOC)), and upl_alloc_fail_after()
 *     fails the N-th allocation of an import (reader, profile-free import,
 *     SQLite), once and continuously;
 *   - I/O failures: a shim VFS fails the N-th write, truncate or sync, once
 *     and continuously, through the commit and the close;
 *   - crashes: a child importing is SIGKILLed at random moments (SQLite and
 *     PostgreSQL).
 * After every failure the registry is reopened and must pass
 * upl_registry_check() (PRAGMA integrity_check, foreign_key_check, and
 * every household wave with exactly its declared members) and hold the
 * import entirely or not at all.
 *
 * The loops visit every injection point up to a limit and then every k-th,
 * so the suite stays within its CI budget (also under ASan); the counts
 * visited are printed. */
#include <limits.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <sqlite3.h>
#include "test_registry_util.h"

/* ---- SQLite allocator through upl_malloc --------------------------------- */
static void *sq_malloc(int n) {
    size_t *p = upl_malloc((size_t)n + 16);
    if (!p) return NULL;
    p[0] = (size_t)n;
    return (char *)p + 16;
}
static void sq_free(void *p) { if (p) upl_free((char *)p - 16); }
static void *sq_realloc(void *p, int n) {
    if (!p) return sq_malloc(n);
    size_t *q = upl_realloc((char *)p - 16, (size_t)n + 16);
    if (!q) return NULL;
    q[0] = (size_t)n;
    return (char *)q + 16;
}
static int sq_size(void *p) { return p ? (int)((size_t *)((char *)p - 16))[0] : 0; }
static int sq_roundup(int n) { return (n + 7) & ~7; }
static int sq_init(void *a) { (void)a; return SQLITE_OK; }
static void sq_shutdown(void *a) { (void)a; }
static const sqlite3_mem_methods counting_mem = { sq_malloc, sq_free, sq_realloc, sq_size, sq_roundup,
                                                  sq_init, sq_shutdown, NULL };

static void route_sqlite_malloc(void) {
    ck_assert_int_eq(sqlite3_shutdown(), SQLITE_OK);
    ck_assert_int_eq(sqlite3_config(SQLITE_CONFIG_MALLOC, &counting_mem), SQLITE_OK);
    /* Lookaside would hide allocations behind a pre-allocated pool. */
    ck_assert_int_eq(sqlite3_config(SQLITE_CONFIG_LOOKASIDE, 0, 0), SQLITE_OK);
    ck_assert_int_eq(sqlite3_initialize(), SQLITE_OK);
}

/* ---- fault-injecting VFS ----------------------------------------------------- */
typedef struct shim_file {
    sqlite3_file base;
    sqlite3_file *real;
} shim_file;

static sqlite3_vfs *real_vfs;
static sqlite3_vfs shim_vfs;
static long io_count, io_fail_at;
static bool io_continuous, io_failed;

static bool io_should_fail(void) {
    if (io_fail_at <= 0) return false;
    io_count++;
    if (io_count == io_fail_at || (io_continuous && io_count > io_fail_at)) { io_failed = true; return true; }
    return false;
}

#define REAL(f) (((shim_file *)(f))->real)
static int s_close(sqlite3_file *f) { int rc = REAL(f)->pMethods->xClose(REAL(f)); return rc; }
static int s_read(sqlite3_file *f, void *b, int n, sqlite3_int64 o) { return REAL(f)->pMethods->xRead(REAL(f), b, n, o); }
static int s_write(sqlite3_file *f, const void *b, int n, sqlite3_int64 o) {
    if (io_should_fail()) return SQLITE_IOERR_WRITE;
    return REAL(f)->pMethods->xWrite(REAL(f), b, n, o);
}
static int s_truncate(sqlite3_file *f, sqlite3_int64 sz) {
    if (io_should_fail()) return SQLITE_IOERR_TRUNCATE;
    return REAL(f)->pMethods->xTruncate(REAL(f), sz);
}
static int s_sync(sqlite3_file *f, int flags) {
    if (io_should_fail()) return SQLITE_IOERR_FSYNC;
    return REAL(f)->pMethods->xSync(REAL(f), flags);
}
static int s_size(sqlite3_file *f, sqlite3_int64 *sz) { return REAL(f)->pMethods->xFileSize(REAL(f), sz); }
static int s_lock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xLock(REAL(f), l); }
static int s_unlock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xUnlock(REAL(f), l); }
static int s_reserved(sqlite3_file *f, int *out) { return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out); }
static int s_fcntl(sqlite3_file *f, int op, void *arg) { return REAL(f)->pMethods->xFileControl(REAL(f), op, arg); }
static int s_sector(sqlite3_file *f) { return REAL(f)->pMethods->xSectorSize(REAL(f)); }
static int s_devchar(sqlite3_file *f) { return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f)); }
static int s_shmmap(sqlite3_file *f, int pg, int sz, int ext, void volatile **pp) {
    return REAL(f)->pMethods->xShmMap(REAL(f), pg, sz, ext, pp);
}
static int s_shmlock(sqlite3_file *f, int off, int n, int flags) { return REAL(f)->pMethods->xShmLock(REAL(f), off, n, flags); }
static void s_shmbarrier(sqlite3_file *f) { REAL(f)->pMethods->xShmBarrier(REAL(f)); }
static int s_shmunmap(sqlite3_file *f, int del) { return REAL(f)->pMethods->xShmUnmap(REAL(f), del); }
static int s_fetch(sqlite3_file *f, sqlite3_int64 o, int n, void **pp) { return REAL(f)->pMethods->xFetch(REAL(f), o, n, pp); }
static int s_unfetch(sqlite3_file *f, sqlite3_int64 o, void *p) { return REAL(f)->pMethods->xUnfetch(REAL(f), o, p); }

static const sqlite3_io_methods shim_io = {
    3, s_close, s_read, s_write, s_truncate, s_sync, s_size, s_lock, s_unlock, s_reserved, s_fcntl,
    s_sector, s_devchar, s_shmmap, s_shmlock, s_shmbarrier, s_shmunmap, s_fetch, s_unfetch
};

static int shim_open(sqlite3_vfs *v, const char *name, sqlite3_file *f, int flags, int *out_flags) {
    (void)v;
    shim_file *p = (shim_file *)f;
    p->real = (sqlite3_file *)(p + 1);
    int rc = real_vfs->xOpen(real_vfs, name, p->real, flags, out_flags);
    p->base.pMethods = (rc == SQLITE_OK && p->real->pMethods) ? &shim_io : NULL;
    return rc;
}

static void install_shim(void) {
    real_vfs = sqlite3_vfs_find(NULL);
    ck_assert_ptr_nonnull(real_vfs);
    ck_assert_int_ge(real_vfs->iVersion, 1);
    shim_vfs = *real_vfs;
    shim_vfs.zName = "upl_faultshim";
    shim_vfs.szOsFile = (int)sizeof(shim_file) + real_vfs->szOsFile;
    shim_vfs.xOpen = shim_open;
    shim_vfs.pNext = NULL;
    ck_assert_int_eq(sqlite3_vfs_register(&shim_vfs, 1), SQLITE_OK);
}

/* ---- shared workload ------------------------------------------------------------ */
static void copy_file(const char *from, const char *to) {
    size_t n;
    char *d = unit_read_file(from, &n);
    ck_assert_ptr_nonnull(d);
    ck_assert_int_eq(unit_write_file(to, d, n), 0);
    free(d);
}

typedef struct workload {
    char *base_db, *key, *csv, *db;
    int n_households;
} workload;

/* A migrated, empty base registry (copied before every run) and an input. */
static void workload_init(workload *w, const char *tag, int n_households) {
    char name[64];
    upl_registry *r = reg_open_fresh(BACKEND_SQLITE, tag, &w->base_db, &w->key);
    upl_registry_close(r);
    snprintf(name, sizeof name, "%s.csv", tag);
    w->csv = unit_tmp_path(name);
    reg_write_synthetic(w->csv, "110105001001", "F", n_households, 1);
    snprintf(name, sizeof name, "%s-run.db", tag);
    w->db = unit_tmp_path(name);
    w->n_households = n_households;
}

static void workload_free(workload *w) { free(w->base_db); free(w->key); free(w->csv); free(w->db); }

static void fresh_db(const workload *w) {
    char p[512];
    snprintf(p, sizeof p, "%s-wal", w->db); remove(p);
    snprintf(p, sizeof p, "%s-shm", w->db); remove(p);
    snprintf(p, sizeof p, "%s-journal", w->db); remove(p);
    copy_file(w->base_db, w->db);
}

/* Reopen and check: integrity, and the import wholly present or wholly absent. */
static int verify_all_or_nothing(const workload *w, const char *uri) {
    upl_registry *r = reg_reopen(uri ? uri : w->db, w->key);
    upl_error err = {0};
    int rc = upl_registry_check(r, &err);
    ck_assert_msg(rc == UPL_OK, "registry check after failure: %s", upl_error_message(&err));
    int64_t hh = reg_stat(r, "households"), imports = reg_stat(r, "imports");
    ck_assert_msg((hh == 0 && imports == 0) || (hh == w->n_households && imports == 1),
                  "half-imported: %lld households, %lld imports", (long long)hh, (long long)imports);
    upl_registry_close(r);
    return hh == w->n_households;
}

static int run_import(upl_registry *r, const char *csv) {
    upl_import_options o;
    upl_import_options_init(&o);
    o.wave = 2023;
    o.today = 20240101;
    upl_import_summary s;
    upl_error err = {0};
    int rc = upl_registry_import(r, csv, &o, &s, &err);
    upl_error_clear(&err);
    return rc;
}

/* Every injection point up to `dense`, then every `stride`-th. */
static long next_point(long n, long dense, long stride) { return n < dense ? n + 1 : n + stride; }

/* ---- allocation failures --------------------------------------------------------- */
START_TEST(test_alloc_failures) {
    bool continuous = _i == 1;
    route_sqlite_malloc();
    workload w;
    workload_init(&w, continuous ? "oomc" : "oom1", 6);
    /* How many allocations one import makes. */
    fresh_db(&w);
    upl_registry *r = reg_reopen(w.db, w.key);
    upl_alloc_fail_after(LONG_MAX, false);      /* armed far away: counts without failing */
    ck_assert_int_eq(run_import(r, w.csv), UPL_OK);
    long total = upl_alloc_count();
    upl_alloc_fail_after(0, false);
    upl_registry_close(r);
    ck_assert_int_gt(total, 100);
    long points = 0, failures = 0, completed_anyway = 0;
    for (long n = 1;; n = next_point(n, 400, 11)) {
        fresh_db(&w);
        r = reg_reopen(w.db, w.key);
        upl_alloc_fail_after(n, continuous);
        int rc = run_import(r, w.csv);
        bool injected = upl_alloc_failed();
        upl_alloc_fail_after(0, false);
        upl_registry_close(r);
        points++;
        bool complete = verify_all_or_nothing(&w, NULL) != 0;
        if (!injected) {
            ck_assert_int_eq(rc, UPL_OK);
            ck_assert(complete);
            break;
        }
        failures++;
        if (rc == UPL_OK) {           /* SQLite recovered from the failure by itself */
            ck_assert(complete);
            completed_anyway++;
        } else {
            ck_assert_msg(!complete, "import reported %d but committed", rc);
        }
        ck_assert_msg(n < 50 * total, "allocation loop does not terminate");
    }
    fprintf(stderr, "registry fault: allocation failures (%s): %ld of ~%ld points injected, %ld recovered, "
                    "0 violations\n", continuous ? "continuous" : "once", failures, total, completed_anyway);
    workload_free(&w);
}
END_TEST

/* ---- I/O failures ---------------------------------------------------------------- */
START_TEST(test_io_failures) {
    bool continuous = _i == 1;
    install_shim();
    workload w;
    workload_init(&w, continuous ? "ioc" : "io1", 40);
    long points = 0, failures = 0;
    for (long n = 1;; n = next_point(n, 300, 7)) {
        fresh_db(&w);
        upl_registry *r = reg_reopen(w.db, w.key);
        io_count = 0; io_failed = false; io_continuous = continuous; io_fail_at = n;
        int rc = run_import(r, w.csv);
        upl_registry_close(r);           /* the checkpoint at close is exposed too */
        bool injected = io_failed;
        io_fail_at = 0;
        points++;
        bool complete = verify_all_or_nothing(&w, NULL) != 0;
        if (!injected) {
            ck_assert_int_eq(rc, UPL_OK);
            ck_assert(complete);
            break;
        }
        failures++;
        if (rc != UPL_OK) ck_assert_msg(!complete, "import reported %d but committed", rc);
        ck_assert_msg(n < 100000, "I/O loop does not terminate");
    }
    fprintf(stderr, "registry fault: I/O failures (%s): %ld points injected, 0 violations\n",
            continuous ? "continuous" : "once", failures);
    sqlite3_vfs_unregister(&shim_vfs);
    workload_free(&w);
}
END_TEST

/* ---- SIGKILL of an importing process -------------------------------------------- */
static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void child_import(const char *uri, const char *key, const char *csv) {
    upl_registry_options o;
    upl_registry_options_init(&o);
    o.key_file = key;
    upl_registry *r = NULL;
    upl_error err = {0};
    if (upl_registry_open(uri, &o, &r, &err) != UPL_OK) _exit(3);
    int rc = run_import(r, csv);
    upl_registry_close(r);
    _exit(rc == UPL_OK ? 0 : 4);
}

START_TEST(test_sigkill) {
    int be = _i;
    if (!reg_backend_available(be, "sigkill")) return;
    workload w;
    workload_init(&w, be == BACKEND_SQLITE ? "kill" : "killpg", be == BACKEND_SQLITE ? 1500 : 200);
    char *pg_uri = NULL;
    /* One clean run to time the import. */
    const char *uri;
    if (be == BACKEND_SQLITE) { fresh_db(&w); uri = w.db; }
    else { pg_uri = reg_fresh_uri(BACKEND_PG, "killpg"); uri = pg_uri; }
    /* The PostgreSQL variant imports into schemas that get fresh names per run. */
    double t0 = now_s();
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) child_import(uri, w.key, w.csv);
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "clean import failed: %d", st);
    double dur = now_s() - t0;
    ck_assert(verify_all_or_nothing(&w, uri));
    free(pg_uri); pg_uri = NULL;
    unsigned seed = 20231129;
    int kills = 0, committed = 0, runs = be == BACKEND_SQLITE ? 24 : 12;
    for (int k = 0; k < runs; k++) {
        if (be == BACKEND_SQLITE) { fresh_db(&w); uri = w.db; }
        else { pg_uri = reg_fresh_uri(BACKEND_PG, "killpg"); uri = pg_uri; }
        /* Kill somewhere in [0, 1.1 x the clean duration]. */
        seed = seed * 1103515245u + 12345u;
        double at = dur * 1.1 * (double)((seed >> 8) % 10000) / 10000.0;
        pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) child_import(uri, w.key, w.csv);
        struct timespec ts = { (time_t)at, (long)((at - (double)(time_t)at) * 1e9) };
        nanosleep(&ts, NULL);
        if (kill(pid, SIGKILL) == 0) kills++;
        ck_assert_int_eq(waitpid(pid, &st, 0), pid);
        committed += verify_all_or_nothing(&w, uri);
        free(pg_uri); pg_uri = NULL;
    }
    fprintf(stderr, "registry fault: SIGKILL (%s): %d runs, %d killed, %d finished before the kill, "
                    "0 violations (import %.2f s)\n", be == BACKEND_SQLITE ? "sqlite" : "postgresql", runs, kills,
            committed, dur);
    workload_free(&w);
}
END_TEST

Suite *suite_registry_fault(void) {
    Suite *s = suite_create("registry_fault");
    TCase *tc = tcase_create("fault");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_alloc_failures, 0, 2);
    tcase_add_loop_test(tc, test_io_failures, 0, 2);
    tcase_add_loop_test(tc, test_sigkill, BACKEND_SQLITE, BACKEND_PG + 1);
    suite_add_tcase(s, tc);
    return s;
}
