/* bench_measure.c — poverty and inequality measures by province x urban on
 * BENCH_PERSONS synthetic persons (default 10,000,000), uplift beside
 * pandas/numpy (Debian python3-pandas) and DuckDB SQL (npm @duckdb/node-api)
 * doing the same work on the same file in the same run.
 *
 * Workload ("all measures"): by province x urban (31 x 2 groups), weighted
 * mean, FGT0/1/2 and Watts (line 4000), Theil, MLD, Gini and the weighted
 * median. "Additive" = mean, FGT0/1/2, Watts (one pass, no sort).
 *
 * Timed:
 *   - in process: upl_read_table of the CSV; upl_snapshot_open of the .upl;
 *     upl_measure_compute (all / additive) with 1 and 2 threads;
 *   - end to end as processes (fork + wait4, so each has its own peak RSS):
 *     `uplift measure` on the CSV and on the snapshot, the pandas script, the
 *     DuckDB script; the peers also print their read and compute times.
 * The peers' results are compared with uplift's (relative difference).
 *
 * Input: seeded generator below (BENCH_DIR, default /tmp/uplift-bench); the
 * snapshot is made once with `uplift convert`. Timings: best of BENCH_REPEAT
 * (default 2), warm page cache. BENCH_PEERS=0 runs uplift alone (for sizes
 * where the peers do not fit in memory). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "uplift/io.h"
#include "uplift/measure.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next(void) { /* xorshift64* */
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 2685821657736338717ull;
}
static double unif(void) { return ((double)(next() >> 11) + 0.5) / 9007199254740992.0; }

static const char *const provinces[31] = {"北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江",
                                          "上海", "江苏", "浙江", "安徽", "福建", "江西", "山东", "河南",
                                          "湖北", "湖南", "广东", "广西", "海南", "重庆", "四川", "贵州",
                                          "云南", "西藏", "陕西", "甘肃", "青海", "宁夏", "新疆"};

static int generate(const char *path, long persons) {
    FILE *f = fopen(path, "w");
    if (!f) { fprintf(stderr, "bench_measure: cannot write %s: %s\n", path, strerror(errno)); return 1; }
    static char buf[1 << 20];
    setvbuf(f, buf, _IOFBF, sizeof buf);
    fputs("province,urban,income,weight\n", f);
    for (long i = 0; i < persons; i++) {
        int p = (int)(next() % 31), u = (int)(next() & 1);
        double zn = sqrt(-2 * log(unif())) * cos(2 * M_PI * unif()); /* Box-Muller */
        double inc = exp(8.7 + 0.45 * u + 0.02 * (p - 15) + 0.75 * zn);
        fprintf(f, "%s,%d,%.2f,%.3f\n", provinces[p], u, inc < 1 ? 1.0 : inc, 50.0 + (double)(next() % 400000) / 1000.0);
    }
    if (fclose(f) != 0) { fprintf(stderr, "bench_measure: error writing %s\n", path); return 1; }
    return 0;
}

/* Run a shell command as a child; wall time and the child's own peak RSS. */
static int run_child(const char *cmd, double *secs, long *maxrss_kb) {
    double t0 = now();
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) return -1;
    *secs = now() - t0;
    *maxrss_kb = ru.ru_maxrss;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int best_child(const char *cmd, int repeat, double *secs, long *rss) {
    *secs = 1e300;
    *rss = 0;
    for (int i = 0; i < repeat; i++) {
        double t;
        long r;
        if (run_child(cmd, &t, &r) != 0) return -1;
        if (t < *secs) *secs = t;
        if (r > *rss) *rss = r;
    }
    return 0;
}

/* Run a peer once (its stdout to `log`) and read its "read=<s>" and
 * "compute=<s>" lines. */
static int run_peer(const char *cmd, const char *log, double *secs, long *rss, double *read_s, double *compute_s) {
    char full[4096];
    snprintf(full, sizeof full, "%s > '%s'", cmd, log);
    *read_s = *compute_s = -1;
    if (run_child(full, secs, rss) != 0) return -1;
    FILE *p = fopen(log, "r");
    if (!p) return -1;
    char line[256];
    while (fgets(line, sizeof line, p)) {
        if (!strncmp(line, "read=", 5)) *read_s = atof(line + 5);
        if (!strncmp(line, "compute=", 8)) *compute_s = atof(line + 8);
    }
    fclose(p);
    return *read_s >= 0 && *compute_s >= 0 ? 0 : -1;
}

#define N_MEAS 9
static const char *const meas_names[N_MEAS] = {"mean", "fgt0", "fgt1", "fgt2", "watts", "theil", "mld", "gini", "median"};

typedef struct grp_vals { char key[64]; double v[N_MEAS]; } grp_vals;

/* Worst relative difference between a peer's CSV and uplift's values. */
static double compare(const char *path, const grp_vals *ref, int n_ref) {
    FILE *f = fopen(path, "r");
    if (!f) return NAN;
    char line[1024];
    double worst = 0;
    int matched = 0;
    if (!fgets(line, sizeof line, f)) { fclose(f); return NAN; }
    while (fgets(line, sizeof line, f)) {
        char *save = NULL, *tok = strtok_r(line, ",\n", &save);
        if (!tok) continue;
        char key[64];
        char *u = strtok_r(NULL, ",\n", &save);
        if (!u) continue;
        snprintf(key, sizeof key, "%s|%s", tok, u);
        const grp_vals *g = NULL;
        for (int k = 0; k < n_ref; k++)
            if (!strcmp(ref[k].key, key)) g = &ref[k];
        if (!g) continue;
        matched++;
        for (int m = 0; m < N_MEAS; m++) {
            char *t = strtok_r(NULL, ",\n", &save);
            if (!t) break;
            double x = atof(t), d = fabs(x - g->v[m]) / fmax(fabs(g->v[m]), 1e-300);
            if (d > worst) worst = d;
        }
    }
    fclose(f);
    return matched == n_ref ? worst : NAN;
}

static long self_rss_kb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

int main(void) {
    long persons = getenv("BENCH_PERSONS") ? atol(getenv("BENCH_PERSONS")) : 10000000L;
    int repeat = getenv("BENCH_REPEAT") ? atoi(getenv("BENCH_REPEAT")) : 2;
    const char *dir = getenv("BENCH_DIR") ? getenv("BENCH_DIR") : "/tmp/uplift-bench";
    const char *uplift = getenv("UPLIFT") ? getenv("UPLIFT") : "build/uplift";
    const char *root = getenv("BENCH_ROOT") ? getenv("BENCH_ROOT") : ".";
    char csv[512], upl[512], cmd[2048], out_pd[512], out_dk[512];
    double z = 4000;
    mkdir(dir, 0755);
    snprintf(csv, sizeof csv, "%s/measure_%ld.csv", dir, persons);
    snprintf(upl, sizeof upl, "%s/measure_%ld.upl", dir, persons);
    snprintf(out_pd, sizeof out_pd, "%s/measure_pandas_out.csv", dir);
    snprintf(out_dk, sizeof out_dk, "%s/measure_duckdb_out.csv", dir);
    struct stat st;
    if (stat(csv, &st) != 0) {
        fprintf(stderr, "bench_measure: generating %ld persons into %s\n", persons, csv);
        if (generate(csv, persons)) return 1;
        stat(csv, &st);
    }
    double mb = (double)st.st_size / 1e6;
    if (stat(upl, &st) != 0) {
        snprintf(cmd, sizeof cmd, "'%s' convert '%s' '%s' >/dev/null", uplift, csv, upl);
        if (system(cmd) != 0) { fprintf(stderr, "bench_measure: `%s` failed\n", cmd); return 1; }
    }

    /* ---- in process ---- */
    upl_error err = {0};
    upl_table *t = NULL, *ts = NULL;
    upl_read_options ro;
    upl_read_options_init(&ro);
    ro.is_rejects_disabled = true;
    ro.n_threads = 2;
    double t0 = now();
    if (upl_read_table(csv, &ro, &t, NULL, &err)) { fprintf(stderr, "read: %s\n", upl_error_message(&err)); return 1; }
    double t_read = now() - t0;
    upl_table_free(t);
    t0 = now();
    if (upl_snapshot_open(upl, false, &ts, &err)) { fprintf(stderr, "snapshot: %s\n", upl_error_message(&err)); return 1; }
    double t_snap = now() - t0;
    const char *by[] = {"province", "urban"};
    upl_measure_input in;
    double *yb = NULL, *wb = NULL;
    upl_groupby *gb = NULL;
    t0 = now();
    if (upl_measure_table_input(ts, "income", "weight", by, 2, &in, &yb, &wb, &gb, &err)) {
        fprintf(stderr, "input: %s\n", upl_error_message(&err));
        return 1;
    }
    double t_prep = now() - t0;
    if (getenv("BENCH_VERBOSE")) fprintf(stderr, "prep %.3f s\n", t_prep);
    upl_measure_req req[N_MEAS];
    for (int m = 0; m < N_MEAS; m++)
        if (upl_measure_parse(meas_names[m], &req[m], &err)) return 1;
    double t_all[3] = {1e300, 1e300, 1e300}, t_add[3] = {1e300, 1e300, 1e300};
    int thr[3] = {1, 2, 0};
    upl_measure_result *res = NULL;
    for (int k = 0; k < 2; k++) {
        upl_measure_options o;
        upl_measure_options_init(&o);
        o.line = UPL_LINE_ABSOLUTE;
        o.z = z;
        o.n_threads = thr[k];
        for (int r = 0; r < repeat; r++) {
            upl_measure_result *x = NULL;
            t0 = now();
            if (upl_measure_compute(&in, req, N_MEAS, &o, &x, &err)) { fprintf(stderr, "%s\n", upl_error_message(&err)); return 1; }
            double dt = now() - t0;
            if (dt < t_all[k]) t_all[k] = dt;
            if (!res) res = x;
            else {
                for (size_t q = 0; q < (size_t)N_MEAS * (size_t)x->n_groups; q++)
                    if (x->stats[q].value != res->stats[q].value) { fprintf(stderr, "thread-count difference!\n"); return 1; }
                upl_measure_result_free(x);
            }
            t0 = now();
            if (upl_measure_compute(&in, req, 5, &o, &x, &err)) return 1;
            dt = now() - t0;
            if (dt < t_add[k]) t_add[k] = dt;
            upl_measure_result_free(x);
        }
    }
    long rss_inproc = self_rss_kb();
    int G = res->n_groups;
    grp_vals *ref = calloc((size_t)G, sizeof *ref);
    for (int g = 0; g < G; g++) {
        snprintf(ref[g].key, sizeof ref[g].key, "%s|%s", gb->labels[g][0], gb->labels[g][1]);
        for (int m = 0; m < N_MEAS; m++) ref[g].v[m] = upl_measure_result_get(res, (size_t)m, g)->value;
    }

    /* ---- processes ---- */
    const char *mlist = "mean,fgt0,fgt1,fgt2,watts,theil,mld,gini,median";
    double s_cli_csv, s_cli_upl, s_pd, s_dk, s_cli_upl_add;
    long r_cli_csv, r_cli_upl, r_pd, r_dk, r_cli_upl_add;
    snprintf(cmd, sizeof cmd, "'%s' measure '%s' --income income --weight weight --line %g --by province,urban "
             "--measures %s --threads 2 --format csv -o /dev/null", uplift, csv, z, mlist);
    if (best_child(cmd, repeat, &s_cli_csv, &r_cli_csv)) { fprintf(stderr, "failed: %s\n", cmd); return 1; }
    snprintf(cmd, sizeof cmd, "'%s' measure '%s' --income income --weight weight --line %g --by province,urban "
             "--measures %s --threads 2 --format csv -o /dev/null", uplift, upl, z, mlist);
    if (best_child(cmd, repeat, &s_cli_upl, &r_cli_upl)) { fprintf(stderr, "failed: %s\n", cmd); return 1; }
    snprintf(cmd, sizeof cmd, "'%s' measure '%s' --income income --weight weight --line %g --by province,urban "
             "--measures mean,fgt0,fgt1,fgt2,watts --threads 2 --format csv -o /dev/null", uplift, upl, z);
    if (best_child(cmd, repeat, &s_cli_upl_add, &r_cli_upl_add)) { fprintf(stderr, "failed: %s\n", cmd); return 1; }
    double pd_read = -1, pd_comp = -1, dk_read = -1, dk_comp = -1;
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s/bench/peers/measure_pandas.py' '%s' %g '%s'", root, csv, z, out_pd);
    char log[600];
    snprintf(log, sizeof log, "%s/measure_peer.log", dir);
    bool peers = !getenv("BENCH_PEERS") || atoi(getenv("BENCH_PEERS")) != 0; /* BENCH_PEERS=0: uplift only */
    int have_pd = peers && run_peer(cmd, log, &s_pd, &r_pd, &pd_read, &pd_comp) == 0;
    snprintf(cmd, sizeof cmd, "cd '%s' && node bench/peers/measure_duckdb.mjs '%s' %g '%s' 2", root, csv, z, out_dk);
    int have_dk = peers && run_peer(cmd, log, &s_dk, &r_dk, &dk_read, &dk_comp) == 0;
    double diff_pd = have_pd ? compare(out_pd, ref, G) : NAN, diff_dk = have_dk ? compare(out_dk, ref, G) : NAN;

    double bytes_add = (double)persons * (8 + 8 + 4); /* y, w, group id */
    printf("bench_measure: %ld persons, %.1f MB CSV, %d groups (province x urban), line %g, best of %d\n", persons, mb,
           G, z, repeat);
    printf("workload: weighted mean, FGT0/1/2, Watts, Theil, MLD, Gini, median by group\n\n");
    printf("in process (libuplift)                       seconds   Mrows/s\n");
    printf("  read CSV (upl_read_table, 2 threads)      %8.3f  %8.1f\n", t_read, persons / t_read / 1e6);
    printf("  open snapshot (mmap, no verify)           %8.3f\n", t_snap);
    printf("  columns -> arrays + group-by              %8.3f  %8.1f\n", t_prep, persons / t_prep / 1e6);
    printf("  all measures, 1 thread                    %8.3f  %8.1f\n", t_all[0], persons / t_all[0] / 1e6);
    printf("  all measures, 2 threads                   %8.3f  %8.1f\n", t_all[1], persons / t_all[1] / 1e6);
    printf("  additive only, 1 thread                   %8.3f  %8.1f   %.2f GB/s\n", t_add[0], persons / t_add[0] / 1e6,
           bytes_add / t_add[0] / 1e9);
    printf("  additive only, 2 threads                  %8.3f  %8.1f   %.2f GB/s\n", t_add[1], persons / t_add[1] / 1e6,
           bytes_add / t_add[1] / 1e9);
    printf("  (1 and 2 threads: identical results, checked)\n\n");
    printf("end to end, one process each                seconds  peak RSS MB   vs uplift\n");
    printf("  uplift measure FILE.csv (2 threads)       %8.3f  %10.0f\n", s_cli_csv, r_cli_csv / 1024.0);
    printf("  uplift measure FILE.upl (2 threads)       %8.3f  %10.0f\n", s_cli_upl, r_cli_upl / 1024.0);
    printf("  uplift measure FILE.upl additive only     %8.3f  %10.0f\n", s_cli_upl_add, r_cli_upl_add / 1024.0);
    if (have_pd)
        printf("  pandas/numpy (read_csv + compute)         %8.3f  %10.0f   %6.1fx slower (csv), %6.1fx (upl)\n", s_pd,
               r_pd / 1024.0, s_pd / s_cli_csv, s_pd / s_cli_upl);
    else printf("  pandas/numpy: %s\n", peers ? "not available (apt-get install python3-pandas)" : "not run (BENCH_PEERS=0)");
    if (have_dk)
        printf("  DuckDB SQL, 2 threads (read_csv + query)  %8.3f  %10.0f   %6.1fx slower (csv), %6.1fx (upl)\n", s_dk,
               r_dk / 1024.0, s_dk / s_cli_csv, s_dk / s_cli_upl);
    else printf("  DuckDB: %s\n", peers ? "not available (npm install in the repository root)" : "not run (BENCH_PEERS=0)");
    printf("\ncompute only (data already in memory)       seconds   vs uplift 2 threads\n");
    printf("  uplift upl_measure_compute, 2 threads     %8.3f\n", t_all[1]);
    if (have_pd) printf("  pandas/numpy                              %8.3f   %6.1fx slower (read_csv %.3f s)\n", pd_comp, pd_comp / t_all[1], pd_read);
    if (have_dk) printf("  DuckDB SQL, 2 threads                     %8.3f   %6.1fx slower (read_csv %.3f s)\n", dk_comp, dk_comp / t_all[1], dk_read);
    printf("\nagreement with uplift (worst relative difference over all groups and measures):\n");
    printf("  pandas %.2e   DuckDB %.2e\n", diff_pd, diff_dk);
    printf("peak RSS of this benchmark process (in-process part): %.0f MB\n", rss_inproc / 1024.0);
    upl_measure_result_free(res);
    free(ref);
    upl_free(yb);
    upl_free(wb);
    upl_groupby_free(gb);
    upl_table_free(ts);
    return 0;
}
