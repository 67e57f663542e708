/* cmd_account.c — `uplift account`: registry accounts, roles and scopes. */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "cli_registry.h"

UPL_COMMAND(account, "manage registry accounts: roles and area-code scopes")

static const char usage[] =
    "usage: uplift account add NAME --role ROLE [--scope PREFIX] --db DB\n"
    "       uplift account passwd NAME --db DB\n"
    "       uplift account disable NAME --db DB\n"
    "       uplift account list --db DB\n"
    "\n"
    "Roles: viewer (read, masked IDs), clerk (import, cases, measures), reviewer (township/county\n"
    "review and approval, conflicts, audit), admin (accounts). The scope is an area-code prefix of\n"
    "2, 4, 6, 9 or 12 digits (province, prefecture, county, township, village); every read and\n"
    "write of the account is limited to it. 账户角色与辖区（行政区划代码前缀）。\n"
    "\n"
    "The new password is read from --new-password-file or env UPLIFT_NEW_PASSWORD; without either,\n"
    "a random one is generated and printed once. Passwords need at least 8 characters.\n"
    "\n"
    "options:\n"
    CLI_REGISTRY_USAGE
    "  --role ROLE          viewer, clerk, reviewer or admin\n"
    "  --scope PREFIX       area-code prefix (default: the whole registry)\n"
    "  --new-password-file F  file whose first line is the new password\n";

static char *new_password(const cli_opt *opts, size_t n_opts, bool *generated) {
    const char *f = cli_get(opts, n_opts, "new-password-file");
    *generated = false;
    if (f) return read_first_line(f);
    const char *env = getenv("UPLIFT_NEW_PASSWORD");
    if (env) return strdup(env);
    /* 20 characters from a 32-letter alphabet: 100 bits from the CSPRNG. */
    static const char alpha[] = "abcdefghjkmnpqrstuvwxyz23456789";
    char *pw = malloc(21);
    if (!pw || sodium_init() < 0) { free(pw); return NULL; }
    for (int i = 0; i < 20; i++) pw[i] = alpha[randombytes_uniform(sizeof alpha - 1)];
    pw[20] = 0;
    *generated = true;
    return pw;
}

int cmd_account(int argc, char **argv) {
    cli_opt opts[] = {
        CLI_REGISTRY_OPTS,
        { "role", 0, true, NULL, false },
        { "scope", 0, true, NULL, false },
        { "new-password-file", 0, true, NULL, false },
        { "help", 'h', false, NULL, false },
    };
    size_t n_opts = sizeof opts / sizeof opts[0];
    const char *pos[3];
    size_t n_pos = 0;
    if (cli_wants_help(argc, argv)) return cli_usage(usage, true);
    int rc = cli_parse("account", argc, argv, opts, n_opts, pos, 3, &n_pos);
    if (rc) return rc;
    const char *sub = n_pos ? pos[0] : "";
    bool needs_name = !strcmp(sub, "add") || !strcmp(sub, "passwd") || !strcmp(sub, "disable");
    if (!(needs_name || !strcmp(sub, "list")) || (needs_name && n_pos != 2) || (!needs_name && n_pos != 1)) {
        cli_error("account", "expected add NAME, passwd NAME, disable NAME or list; see `uplift account --help`");
        return CLI_USAGE;
    }
    int role = 0;
    if (!strcmp(sub, "add")) {
        const char *r = cli_get(opts, n_opts, "role");
        if (!r || upl_role_parse(r, &role) != UPL_OK) {
            cli_error("account", "--role must be viewer, clerk, reviewer or admin");
            return CLI_USAGE;
        }
    }
    upl_registry *reg = NULL;
    rc = cli_registry_open("account", opts, n_opts, !strcmp(sub, "add"), &reg);
    if (rc) return rc;
    upl_error err = {0};
    int status = CLI_OK, r = UPL_OK;
    if (!strcmp(sub, "list")) {
        upl_table *t = NULL;
        r = upl_account_list(reg, &t, &err);
        if (!r) cli_print_table("account", t, false, stdout);
        upl_table_free(t);
    } else if (!strcmp(sub, "disable")) {
        r = upl_account_disable(reg, pos[1], &err);
        if (!r) printf("account %s disabled / 已停用\n", pos[1]);
    } else {
        bool generated = false;
        char *pw = new_password(opts, n_opts, &generated);
        if (!pw) {
            cli_error("account", "cannot read the new password");
            upl_registry_close(reg);
            return CLI_USAGE;
        }
        if (!strcmp(sub, "add")) {
            const char *scope = cli_get(opts, n_opts, "scope");
            r = upl_account_add(reg, pos[1], pw, role, scope ? scope : "", &err);
            if (!r) printf("account %s added: role %s, scope %s / 账户已创建\n", pos[1], upl_role_name(role),
                           scope && *scope ? scope : "(all)");
        } else {
            r = upl_account_set_password(reg, pos[1], pw, &err);
            if (!r) printf("password of %s changed / 密码已修改\n", pos[1]);
        }
        if (!r && generated) printf("initial password (shown once, change it at first use): %s\n", pw);
        memset(pw, 0, strlen(pw));
        free(pw);
    }
    if (r) status = cli_fail("account", r, &err);
    upl_error_clear(&err);
    upl_registry_close(reg);
    return status;
}
