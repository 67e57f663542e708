/* cli_registry.h — shared by the registry subcommands (import, case,
 * assist, audit, account): opening the registry from --db/--key-file and
 * acting as --user (password from --password-file or UPLIFT_PASSWORD).
 * Header-only: included by cmd_import.c, cmd_case.c, cmd_assist.c,
 * cmd_audit.c and cmd_account.c. */
#ifndef UPLIFT_CLI_REGISTRY_H
#define UPLIFT_CLI_REGISTRY_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"

/* The options every registry command takes; splice into a cli_opt array. */
#define CLI_REGISTRY_OPTS \
    { "db", 0, true, NULL, false }, \
    { "key-file", 0, true, NULL, false }, \
    { "user", 0, true, NULL, false }, \
    { "password-file", 0, true, NULL, false }

#define CLI_REGISTRY_USAGE \
    "  --db DB              registry: a SQLite file or postgresql://... (env UPLIFT_DB)\n" \
    "  --key-file FILE      key for ID encryption (env UPLIFT_KEY_FILE; default DB.key)\n" \
    "  --user NAME          act as this account (password: --password-file or env UPLIFT_PASSWORD);\n" \
    "                       without it you act as the local operator with full scope\n" \
    "  --password-file F    file whose first line is the password\n"

/* cli_registry_open: open and authenticate. create_key: create DB.key
 * (0600) if absent and say so on stderr. Returns CLI_OK, or an exit code
 * after printing the error.
 * cli_print_table: print a table as aligned text (or CSV when csv).
 * Static so that builds without the registry module never link them. */

static __attribute__((unused)) char *read_first_line(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, f);
    fclose(f);
    if (n < 0) { free(line); return NULL; }
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
    return line;
}

static __attribute__((unused)) int cli_registry_open(const char *cmd, const cli_opt *opts, size_t n_opts, bool create_key,
                      upl_registry **out) {
    upl_error err = {0};
    upl_registry_options ro;
    const char *db = cli_get(opts, n_opts, "db");
    if (!db) db = getenv("UPLIFT_DB");
    *out = NULL;
    if (!db || !*db) {
        cli_error(cmd, "no registry: give --db PATH (SQLite file) or --db postgresql://...");
        return CLI_USAGE;
    }
    upl_registry_options_init(&ro);
    ro.key_file = cli_get(opts, n_opts, "key-file");
    ro.create_key = create_key;
    int rc = upl_registry_open(db, &ro, out, &err);
    if (rc) {
        int code = cli_fail(cmd, rc, &err);
        upl_error_clear(&err);
        return code;
    }
    if (upl_registry_key_created(*out))
        cli_error(cmd, "created key file %s (mode 0600): keep it safe and back it up apart from the "
                       "database; without it ID numbers cannot be read or matched / 已创建密钥文件，请妥善备份",
                  upl_registry_key_created(*out));
    const char *user = cli_get(opts, n_opts, "user");
    if (user) {
        const char *pwf = cli_get(opts, n_opts, "password-file");
        char *pw = NULL;
        if (pwf) {
            pw = read_first_line(pwf);
            if (!pw) {
                cli_error(cmd, "cannot read password file `%s`: %s", pwf, strerror(errno));
                upl_registry_close(*out); *out = NULL;
                return CLI_USAGE;
            }
        } else if (getenv("UPLIFT_PASSWORD")) {
            pw = strdup(getenv("UPLIFT_PASSWORD"));
        }
        if (!pw) {
            cli_error(cmd, "--user needs a password: --password-file FILE or env UPLIFT_PASSWORD");
            upl_registry_close(*out); *out = NULL;
            return CLI_USAGE;
        }
        rc = upl_registry_login(*out, user, pw, &err);
        memset(pw, 0, strlen(pw));
        free(pw);
        if (rc) {
            int code = cli_fail(cmd, rc, &err);
            upl_error_clear(&err);
            upl_registry_close(*out); *out = NULL;
            return code;
        }
    } else {
        const char *who = getenv("USER");
        rc = upl_registry_act_local(*out, who ? who : "operator", &err);
        if (rc) {
            int code = cli_fail(cmd, rc, &err);
            upl_error_clear(&err);
            upl_registry_close(*out); *out = NULL;
            return code;
        }
    }
    return CLI_OK;
}

static __attribute__((unused)) int cli_print_table(const char *cmd, const upl_table *t, bool csv, FILE *f) {
    (void)cmd;
    size_t nc = upl_table_n_cols(t), nr = upl_table_n_rows(t);
    char *buf = NULL;
    size_t cap = 0, len = 0;
    if (csv) {
        for (size_t j = 0; j < nc; j++) {
            if (j) fputc(',', f);
            const char *nm = upl_table_column(t, j)->name;
            upl_csv_put_field(f, nm, strlen(nm));
        }
        fputc('\n', f);
        for (size_t i = 0; i < nr; i++) {
            for (size_t j = 0; j < nc; j++) {
                if (j) fputc(',', f);
                len = 0;
                upl_col_format(upl_table_column(t, j), i, &buf, &cap, &len);
                upl_csv_put_field(f, buf ? buf : "", len);
            }
            fputc('\n', f);
        }
        upl_free(buf);
        return CLI_OK;
    }
    /* Aligned text: widths in display columns (CJK characters count 2). */
    size_t *w = calloc(nc ? nc : 1, sizeof *w);
    if (!w) return CLI_FAIL;
    for (size_t j = 0; j < nc; j++) w[j] = strlen(upl_table_column(t, j)->name);
    for (size_t i = 0; i < nr; i++)
        for (size_t j = 0; j < nc; j++) {
            len = 0;
            upl_col_format(upl_table_column(t, j), i, &buf, &cap, &len);
            size_t dw = 0;
            for (size_t k = 0; k < len; k++) {
                unsigned char c = (unsigned char)buf[k];
                if (c < 0x80) dw++;
                else if (c >= 0xE0) dw += 2;
            }
            if (dw > w[j]) w[j] = dw;
        }
    for (size_t j = 0; j < nc; j++) fprintf(f, "%s%-*s", j ? "  " : "", (int)w[j], upl_table_column(t, j)->name);
    fputc('\n', f);
    for (size_t i = 0; i < nr; i++) {
        for (size_t j = 0; j < nc; j++) {
            len = 0;
            upl_col_format(upl_table_column(t, j), i, &buf, &cap, &len);
            size_t dw = 0;
            for (size_t k = 0; k < len; k++) {
                unsigned char c = (unsigned char)buf[k];
                if (c < 0x80) dw++;
                else if (c >= 0xE0) dw += 2;
            }
            fprintf(f, "%s%.*s", j ? "  " : "", (int)len, buf ? buf : "");
            if (j + 1 < nc) for (size_t k = dw; k < w[j]; k++) fputc(' ', f);
        }
        fputc('\n', f);
    }
    free(w);
    upl_free(buf);
    return CLI_OK;
}

#endif
