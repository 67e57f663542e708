/* cli_util.c — helpers shared by the subcommands: option parsing, messages,
 * output files, log and progress display on stderr. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"

void cli_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "uplift %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_fail(const char *cmd, int rc, upl_error *err) {
    if (err && err->code != UPL_OK) cli_error(cmd, "%s", upl_error_message(err));
    else cli_error(cmd, "%s", upl_errstr(rc));
    return rc == UPL_EMISUSE ? CLI_USAGE : CLI_FAIL;
}

bool cli_wants_help(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--")) break;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) return true;
    }
    return false;
}

int cli_usage(const char *usage, bool asked) {
    fputs(usage, asked ? stdout : stderr);
    return asked ? CLI_OK : CLI_USAGE;
}

static cli_opt *find_opt(cli_opt *opts, size_t n, const char *name, size_t len, char short_name) {
    for (size_t i = 0; i < n; i++) {
        if (short_name) {
            if (opts[i].short_name == short_name) return &opts[i];
        } else if (strlen(opts[i].name) == len && !strncmp(opts[i].name, name, len)) {
            return &opts[i];
        }
    }
    return NULL;
}

int cli_parse(const char *cmd, int argc, char **argv, cli_opt *opts, size_t n_opts,
              const char **positional, size_t max_positional, size_t *n_positional) {
    size_t np = 0;
    bool only_positional = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        cli_opt *o = NULL;
        const char *val = NULL;
        if (!only_positional && !strcmp(a, "--")) { only_positional = true; continue; }
        if (!only_positional && a[0] == '-' && a[1] == '-' && a[2]) {
            const char *eq = strchr(a + 2, '=');
            size_t len = eq ? (size_t)(eq - (a + 2)) : strlen(a + 2);
            o = find_opt(opts, n_opts, a + 2, len, 0);
            if (!o) {
                cli_error(cmd, "unknown option `%s`; see `uplift %s --help`", a, cmd);
                return CLI_USAGE;
            }
            if (eq) val = eq + 1;
        } else if (!only_positional && a[0] == '-' && a[1] && a[1] != '-' && !a[2]) {
            o = find_opt(opts, n_opts, NULL, 0, a[1]);
            if (!o) {
                cli_error(cmd, "unknown option `%s`; see `uplift %s --help`", a, cmd);
                return CLI_USAGE;
            }
        }
        if (!o) {
            if (np >= max_positional) {
                cli_error(cmd, "unexpected argument `%s`; see `uplift %s --help`", a, cmd);
                return CLI_USAGE;
            }
            positional[np++] = a;
            continue;
        }
        if (o->takes_value) {
            if (!val) {
                if (i + 1 >= argc) {
                    cli_error(cmd, "option --%s needs a value", o->name);
                    return CLI_USAGE;
                }
                val = argv[++i];
            }
        } else {
            if (val) {
                cli_error(cmd, "option --%s takes no value", o->name);
                return CLI_USAGE;
            }
            val = "1";
        }
        o->value = val;
        o->is_set = true;
    }
    if (n_positional) *n_positional = np;
    return CLI_OK;
}

const char *cli_get(const cli_opt *opts, size_t n_opts, const char *name) {
    for (size_t i = 0; i < n_opts; i++)
        if (!strcmp(opts[i].name, name)) return opts[i].is_set ? opts[i].value : NULL;
    return NULL;
}

bool cli_has(const cli_opt *opts, size_t n_opts, const char *name) {
    return cli_get(opts, n_opts, name) != NULL;
}

int cli_int(const char *cmd, const char *opt, const char *text, long long lo, long long hi, long long *out) {
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || end == text || *end || v < lo || v > hi) {
        cli_error(cmd, "--%s: expected an integer from %lld to %lld, found `%s`", opt, lo, hi, text);
        return CLI_USAGE;
    }
    *out = v;
    return CLI_OK;
}

int cli_double(const char *cmd, const char *opt, const char *text, double *out) {
    if (!upl_parse_f64(text, strlen(text), out)) {
        cli_error(cmd, "--%s: expected a number, found `%s`", opt, text);
        return CLI_USAGE;
    }
    return CLI_OK;
}

FILE *cli_open_out(const char *cmd, const char *path) {
    if (!path || !strcmp(path, "-")) return stdout;
    FILE *f = fopen(path, "w");
    if (!f) cli_error(cmd, "cannot write `%s`: %s", path, strerror(errno));
    return f;
}

int cli_close_out(const char *cmd, FILE *f, const char *path) {
    if (f == stdout) return fflush(stdout) == 0 ? CLI_OK : CLI_FAIL;
    if (fclose(f) != 0) {
        cli_error(cmd, "error writing `%s`: %s", path ? path : "output", strerror(errno));
        return CLI_FAIL;
    }
    return CLI_OK;
}

bool cli_stderr_is_tty(void) { return isatty(STDERR_FILENO) == 1; }

static const char *log_cmd = "";
static bool progress_shown = false;

static void log_sink(int level, const char *msg, void *ud) {
    (void)ud;
    static const char *names[] = { "error", "warning", "info", "debug" };
    if (progress_shown) { fputs("\r\033[K", stderr); progress_shown = false; }
    fprintf(stderr, "uplift %s: %s: %s\n", log_cmd, names[level < 0 ? 0 : level > 3 ? 3 : level], msg);
}

static void progress_sink(const char *what, uint64_t done, uint64_t total, void *ud) {
    (void)ud;
    if (total && done >= total) {
        fprintf(stderr, "\r\033[K");
        progress_shown = false;
        return;
    }
    if (total) fprintf(stderr, "\r%s: %llu / %llu (%.0f%%)", what, (unsigned long long)done,
                       (unsigned long long)total, 100.0 * (double)done / (double)total);
    else fprintf(stderr, "\r%s: %llu", what, (unsigned long long)done);
    progress_shown = true;
}

void cli_install_log(const char *cmd, bool verbose) {
    log_cmd = cmd;
    upl_log_set_sink(log_sink, NULL, verbose ? UPL_LOG_DEBUG : UPL_LOG_WARN);
    if (cli_stderr_is_tty()) upl_progress_set(progress_sink, NULL);
}

/* Display width of UTF-8 text in a terminal: East Asian wide characters
 * (CJK, Hangul, full-width forms) take two columns, others one. */
int cli_display_width(const char *s) {
    int w = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t cp;
        int n;
        if (*p < 0x80) { cp = *p; n = 1; }
        else if ((*p >> 5) == 6) { cp = *p & 0x1f; n = 2; }
        else if ((*p >> 4) == 14) { cp = *p & 0x0f; n = 3; }
        else { cp = *p & 0x07; n = 4; }
        for (int i = 1; i < n; i++) {
            if ((p[i] & 0xc0) != 0x80) { n = i; break; }
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        p += n;
        bool wide = (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) ||
                    (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
                    (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
                    (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x20000 && cp <= 0x3fffd);
        w += wide ? 2 : 1;
    }
    return w;
}

void cli_put_padded(FILE *f, const char *s, int width, bool is_right) {
    int pad = width - cli_display_width(s);
    if (is_right) for (int i = 0; i < pad; i++) fputc(' ', f);
    fputs(s, f);
    if (!is_right) for (int i = 0; i < pad; i++) fputc(' ', f);
}

void cli_field_line(const upl_table *t, const char *col, const char *label, int width) {
    upl_column *c = upl_table_find(t, col);
    char *buf = NULL;
    size_t cap = 0, len = 0;
    if (c && upl_col_is_valid(c, 0)) upl_col_format(c, 0, &buf, &cap, &len);
    fputs("  ", stdout);
    cli_put_padded(stdout, label, width, false);
    printf(" %.*s\n", (int)len, buf ? buf : "");
    upl_free(buf);
}

/* ---- read options shared by the commands that read data files ---- */
int cli_read_opts_parse(const char *cmd, cli_opt *opts, size_t n, cli_read_opts *r) {
    upl_read_options_init(&r->o);
    const char *v;
    if ((v = cli_get(opts, n, "encoding"))) r->o.encoding = v;
    if ((v = cli_get(opts, n, "delimiter"))) {
        if (!strcmp(v, "tab") || !strcmp(v, "\\t") || !strcmp(v, "\t")) r->o.delimiter = '\t';
        else if (strlen(v) == 1 && strchr(",;|", v[0])) r->o.delimiter = v[0];
        else { cli_error(cmd, "--delimiter: expected , ; | or tab, found `%s`", v); return CLI_USAGE; }
    }
    if ((v = cli_get(opts, n, "schema"))) {
        upl_error e = { 0 };
        if (upl_schema_parse(v, &r->schema, &r->n_schema, &e)) {
            cli_error(cmd, "--schema: %s", upl_error_message(&e));
            upl_error_clear(&e);
            return CLI_USAGE;
        }
        r->o.schema = r->schema;
        r->o.n_schema = r->n_schema;
    }
    r->o.is_schema_strict = cli_has(opts, n, "strict-schema");
    if (r->o.is_schema_strict && !r->schema) { cli_error(cmd, "--strict-schema needs --schema"); return CLI_USAGE; }
    if ((v = cli_get(opts, n, "missing"))) {
        size_t k = 1;
        for (const char *p = v; *p; p++) k += *p == ',';
        r->missing_buf = strdup(v);
        r->missing = calloc(k, sizeof *r->missing);
        if (!r->missing_buf || !r->missing) { cli_error(cmd, "out of memory"); return CLI_FAIL; }
        size_t m = 0;
        char *save = NULL;
        for (char *t = strtok_r(r->missing_buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) r->missing[m++] = t;
        r->o.missing_tokens = r->missing;
        r->o.n_missing_tokens = m;
    }
    if ((v = cli_get(opts, n, "threads"))) {
        long long t;
        if (cli_int(cmd, "threads", v, 1, 256, &t)) return CLI_USAGE;
        r->o.n_threads = (int)t;
    }
    return CLI_OK;
}

void cli_read_opts_free(cli_read_opts *r) {
    upl_schema_free(r->schema, r->n_schema);
    free(r->missing_buf);
    free(r->missing);
}

/* The folder holding uplift's data files (data/regions.csv, node_modules/):
 * $UPLIFT_ROOT, else the first of the folders above the executable that has
 * data/regions.csv, else the current folder. Returns a malloc'd path. */
char *cli_find_root(void) {
    const char *env = getenv("UPLIFT_ROOT");
    if (env && *env) return strdup(env);
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        for (int up = 0; up < 5; up++) {
            char *slash = strrchr(exe, '/');
            if (!slash) break;
            *slash = 0;
            char probe[PATH_MAX + 32];
            snprintf(probe, sizeof probe, "%s/data/regions.csv", exe);
            if (access(probe, R_OK) == 0) return strdup(exe);
        }
    }
    return strdup(".");
}
