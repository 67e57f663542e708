/* cli.h — private to the command-line front end: the command table entry
 * macro and small helpers shared by cmd_*.c (argument parsing, messages,
 * output files). Front ends use only public headers of libuplift. */
#ifndef UPLIFT_CLI_H
#define UPLIFT_CLI_H

#include <stdio.h>
#include <stdbool.h>
#include "uplift/uplift.h"

/* Each cmd_<name>.c has one line, at the start of a line, of the form
 *   UPL_COMMAND(name, "one-line help")
 * The Makefile collects those lines into the command table. */
#define UPL_COMMAND(name, help) int cmd_##name(int argc, char **argv);

/* Exit codes: 0 ok, 1 failure (bad data, I/O), 2 misuse (bad arguments). */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* "uplift CMD: message" to stderr. */
void cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print the library error for a failed call and return CLI_FAIL (or CLI_USAGE for UPL_EMISUSE). */
int cli_fail(const char *cmd, int rc, upl_error *err);
/* --help handling: true if argv has -h/--help (usage then goes to stdout, exit 0). */
bool cli_wants_help(int argc, char **argv);
/* Print usage text to stdout (asked) or stderr (misuse) and return 0 or 2. */
int cli_usage(const char *usage, bool asked);

/* Minimal long-option parser: options are "--name value", "--name=value" or
 * "--flag". Positional arguments are collected in order. */
typedef struct cli_opt {
    const char *name;    /* without leading dashes, e.g. "income"; short alias below */
    char short_name;     /* 0 = none, e.g. 'o' */
    bool takes_value;
    const char *value;   /* set by cli_parse (last occurrence wins); "1" for flags */
    bool is_set;
} cli_opt;
/* Returns 0, or 2 after printing "uplift CMD: unknown option ..." */
int cli_parse(const char *cmd, int argc, char **argv, cli_opt *opts, size_t n_opts,
              const char **positional, size_t max_positional, size_t *n_positional);
const char *cli_get(const cli_opt *opts, size_t n_opts, const char *name);
bool cli_has(const cli_opt *opts, size_t n_opts, const char *name);
/* Parse an integer/double option strictly, with an error naming the option. */
int cli_int(const char *cmd, const char *opt, const char *text, long long lo, long long hi, long long *out);
int cli_double(const char *cmd, const char *opt, const char *text, double *out);

/* Read options shared by every command that reads data files: --encoding,
 * --delimiter, --schema, --strict-schema, --missing, --threads. The options
 * must be present in the command's cli_opt table (values may be unset). */
typedef struct cli_read_opts {
    upl_read_options o;
    upl_schema_field *schema;
    size_t n_schema;
    char *missing_buf;
    const char **missing;
} cli_read_opts;
int cli_read_opts_parse(const char *cmd, cli_opt *opts, size_t n, cli_read_opts *r);
void cli_read_opts_free(cli_read_opts *r);

/* Open an output file ("-" or NULL = stdout). */
FILE *cli_open_out(const char *cmd, const char *path);
int cli_close_out(const char *cmd, FILE *f, const char *path);

/* Terminal display width of UTF-8 text (CJK characters count 2), and text
 * padded to a display width (left- or right-aligned) for tables that mix
 * Chinese and English. */
int cli_display_width(const char *s);
void cli_put_padded(FILE *f, const char *s, int width, bool is_right);
/* One "  label  value" line of a record view: column COL of row 0 of T,
 * the label padded to WIDTH display columns (empty when missing). */
void cli_field_line(const upl_table *t, const char *col, const char *label, int width);

/* The folder holding uplift's data files: $UPLIFT_ROOT, else a folder above the
 * executable with data/regions.csv, else "." (malloc'd). */
char *cli_find_root(void);

/* Whether stderr is a terminal (progress is shown only then). */
bool cli_stderr_is_tty(void);
/* Install the library log sink and progress display (stderr). */
void cli_install_log(const char *cmd, bool verbose);

#endif
