/* bench_csv.c — CSV -> table throughput of libuplift's reader beside the
 * floor on the same file (`cat > /dev/null`, `wc -l`) and the peers (pandas
 * read_csv, DuckDB read_csv through @duckdb/node-api), run side by side.
 *
 * The input is a person-level file shaped like a county export (REGISTRY_FIELDS.md):
 * ID number and codes as text, categories, integers, money with two
 * decimals, weights, flags. It comes from `uplift synth` when BENCH_CSV names
 * such a file, else from the seeded generator below (same seed, same bytes).
 * Rows: BENCH_PERSONS (default 10,000,000). The file is kept in
 * BENCH_DIR (default /tmp/uplift-bench) for reuse.
 *
 * Each timing is the best of BENCH_REPEAT runs (default 3) with a warm page
 * cache, so every tool reads the same bytes from memory; MB = 10^6 bytes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "uplift/io.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* CPU seconds (user + system) of this process or of its waited-for children. */
static double cpu_seconds(int who) {
    struct rusage ru;
    getrusage(who, &ru);
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
           (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
}

static uint64_t rng = 0x853c49e6748fea9bull;
static uint64_t next(void) {   /* xorshift64* */
    rng ^= rng >> 12; rng ^= rng << 25; rng ^= rng >> 27;
    return rng * 2685821657736338717ull;
}

static char id_check(const char *s) {
    static const int w[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
    int sum = 0;
    for (int i = 0; i < 17; i++) sum += (s[i] - '0') * w[i];
    return "10X98765432"[sum % 11];
}

static int generate(const char *path, long persons) {
    FILE *f = fopen(path, "w");
    if (!f) { fprintf(stderr, "bench_csv: cannot write %s: %s\n", path, strerror(errno)); return 1; }
    static char buf[1 << 20];
    setvbuf(f, buf, _IOFBF, sizeof buf);
    static const char *const school[] = { "文盲或半文盲", "小学", "初中", "高中", "大专及以上" };
    static const char *const health[] = { "健康", "长期慢性病", "患有大病", "残疾" };
    fputs("id_number,household_id,area_code,sex,birth_date,age,schooling,health,income,weight,is_poor\n", f);
    long hh = 0;
    int left = 0;
    unsigned county = 0;
    for (long i = 0; i < persons; i++) {
        if (left == 0) { hh++; left = 1 + (int)(next() % 6); county = 110101 + (unsigned)(next() % 3000) * 7; }
        left--;
        uint64_t r = next();
        int year = 1930 + (int)(r % 90), mon = 1 + (int)((r >> 8) % 12), day = 1 + (int)((r >> 12) % 28);
        char id[19];
        snprintf(id, sizeof id, "%06u%04d%02d%02d%03d", county % 1000000, year, mon, day, (int)((r >> 20) % 1000));
        id[17] = id_check(id);
        id[18] = '\0';
        double income = (double)((r >> 30) % 5000000) / 100.0;
        fprintf(f, "%s,%010ld,%06u%03d%03d,%s,%04d-%02d-%02d,%d,%s,%s,%.2f,%.3f,%s\n", id, hh, county % 1000000,
                (int)((r >> 40) % 100), (int)((r >> 47) % 1000), (r >> 57) & 1 ? "男" : "女", year, mon, day,
                2024 - year, school[(r >> 50) % 5], health[(r >> 53) % 4], income,
                50.0 + (double)((r >> 33) % 400000) / 1000.0, income < 4000 ? "true" : "false");
    }
    if (fclose(f) != 0) { fprintf(stderr, "bench_csv: error writing %s\n", path); return 1; }
    return 0;
}

static double time_cmd(const char *cmd, int repeat, double *cpu) {
    double best = 1e300;
    *cpu = 1e300;
    for (int i = 0; i < repeat; i++) {
        double c0 = cpu_seconds(RUSAGE_CHILDREN), t0 = now();
        int rc = system(cmd);
        double t = now() - t0, c = cpu_seconds(RUSAGE_CHILDREN) - c0;
        if (rc != 0) return -1;
        if (t < best) best = t;
        if (c < *cpu) *cpu = c;
    }
    return best;
}

/* Peer scripts print "seconds=<read time>" on their last line. */
static double time_peer(const char *cmd, int repeat, double *cpu) {
    double best = 1e300;
    *cpu = 1e300;
    for (int i = 0; i < repeat; i++) {
        double c0 = cpu_seconds(RUSAGE_CHILDREN);
        FILE *p = popen(cmd, "r");
        if (!p) return -1;
        char line[256];
        double t = -1;
        while (fgets(line, sizeof line, p)) if (!strncmp(line, "seconds=", 8)) t = atof(line + 8);
        if (pclose(p) != 0 || t < 0) return -1;
        double c = cpu_seconds(RUSAGE_CHILDREN) - c0;
        if (t < best) best = t;
        if (c < *cpu) *cpu = c;
    }
    return best;
}

static double time_uplift(const char *path, int threads, int repeat, upl_read_summary *s, double *cpu) {
    double best = 1e300;
    *cpu = 1e300;
    for (int i = 0; i < repeat; i++) {
        upl_read_options o;
        upl_read_options_init(&o);
        o.n_threads = threads;
        o.is_rejects_disabled = true;
        upl_table *t = NULL;
        upl_error e = { 0 };
        double c0 = cpu_seconds(RUSAGE_SELF), t0 = now();
        int rc = upl_read_table(path, &o, &t, s, &e);
        double dt = now() - t0, c = cpu_seconds(RUSAGE_SELF) - c0;
        if (c < *cpu) *cpu = c;
        if (rc) { fprintf(stderr, "bench_csv: %s\n", upl_error_message(&e)); upl_error_clear(&e); return -1; }
        upl_table_free(t);
        if (dt < best) best = dt;
    }
    return best;
}

static void row(const char *name, double sec, double cpu, double bytes, double rows, double ref) {
    if (sec < 0) { printf("| %-34s | %9s | %9s | %9s | %12s | %10s | %8s |\n", name, "n/a", "-", "-", "-", "-", "-"); return; }
    printf("| %-34s | %9.3f | %9.0f | %9.3f | %12.0f | %10.0f | %8.2f |\n", name, sec, bytes / sec / 1e6, cpu,
           rows / sec, bytes / cpu / 1e6, sec / ref);
}

int main(void) {
    const char *env = getenv("BENCH_PERSONS");
    long persons = env ? atol(env) : 10000000L;
    const char *rep_env = getenv("BENCH_REPEAT");
    int repeat = rep_env ? atoi(rep_env) : 3;
    if (repeat < 1) repeat = 1;
    const char *dir = getenv("BENCH_DIR");
    if (!dir) dir = "/tmp/uplift-bench";
    char path[4096], cmd[8192];
    const char *given = getenv("BENCH_CSV");
    if (given) snprintf(path, sizeof path, "%s", given);
    else {
        mkdir(dir, 0755);
        snprintf(path, sizeof path, "%s/persons_%ld.csv", dir, persons);
        struct stat st;
        if (stat(path, &st) != 0) {
            fprintf(stderr, "bench_csv: generating %ld persons into %s\n", persons, path);
            if (generate(path, persons)) return 1;
        }
    }
    struct stat st;
    if (stat(path, &st) != 0) { fprintf(stderr, "bench_csv: %s: %s\n", path, strerror(errno)); return 1; }
    double bytes = (double)st.st_size;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);

    double c_cat, c_wc, c_up1, c_upn, c_pd = 0, c_dk;
    snprintf(cmd, sizeof cmd, "cat '%s' > /dev/null", path);
    time_cmd(cmd, 1, &c_cat);   /* warm the page cache */
    double t_cat = time_cmd(cmd, repeat, &c_cat);
    snprintf(cmd, sizeof cmd, "wc -l '%s' > /dev/null", path);
    double t_wc = time_cmd(cmd, repeat, &c_wc);
    upl_read_summary s1, s2;
    double t_up1 = time_uplift(path, 1, repeat, &s1, &c_up1);
    double t_upn = time_uplift(path, (int)cpus, repeat, &s2, &c_upn);
    double rows = (double)s2.rows_read;
    const char *root = getenv("UPLIFT_ROOT");
    if (!root) root = ".";
    /* Debian's python3-pandas lives in /usr/bin/python3 (a pyenv python3 on PATH may lack it). */
    const char *py = getenv("BENCH_PYTHON");
    if (!py) py = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
    /* Columns the peers must read as text (leading zeros), as uplift infers. */
    const char *text = getenv("BENCH_TEXT_COLUMNS");
    if (!text) text = given ? "household_code,person_code,id_number,household_id,area_code" : "id_number,household_id,area_code";
    snprintf(cmd, sizeof cmd, "%s '%s/bench/peers/csv_pandas.py' '%s' '%s' 2>/dev/null", py, root, path, text);
    double t_pd = getenv("BENCH_NO_PANDAS") ? -1 : time_peer(cmd, repeat, &c_pd);
    snprintf(cmd, sizeof cmd, "cd '%s' && node bench/peers/csv_duckdb.mjs '%s' %ld '%s' 2>/dev/null", root, path, cpus, text);
    double t_dk = time_peer(cmd, repeat, &c_dk);
    double load[3] = { 0, 0, 0 };
    if (getloadavg(load, 3) < 1) load[0] = -1;

    printf("CSV -> table: %s, %.0f MB, %.0f rows, %ld cores, load average %.1f (best of %d, warm cache)\n\n",
           path, bytes / 1e6, rows, cpus, load[0], repeat);
    printf("| %-34s | %9s | %9s | %9s | %12s | %10s | %8s |\n", "reader", "seconds", "MB/s", "CPU s", "rows/s",
           "MB/CPU-s", "x uplift");
    printf("|------------------------------------|-----------|-----------|-----------|--------------|------------|----------|\n");
    row("cat > /dev/null (floor)", t_cat, c_cat, bytes, rows, t_upn);
    row("wc -l (floor)", t_wc, c_wc, bytes, rows, t_upn);
    char name[64];
    row("uplift upl_read_table, 1 thread", t_up1, c_up1, bytes, rows, t_upn);
    snprintf(name, sizeof name, "uplift upl_read_table, %ld threads", cpus);
    row(name, t_upn, c_upn, bytes, rows, t_upn);
    snprintf(name, sizeof name, "DuckDB read_csv, %ld threads", cpus);
    row(name, t_dk, c_dk, bytes, rows, t_upn);
    row("pandas read_csv (C engine)", t_pd, c_pd, bytes, rows, t_upn);
    printf("\nseconds: best wall time of the read itself (the peers time it inside their script);\n"
           "CPU s: user+system CPU of the best run (peers: the whole process, start-up included).\n");
    return 0;
}
