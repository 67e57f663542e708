/* main.c — the `uplift` command: looks up the subcommand in the table built
 * from the UPL_COMMAND(...) lines of cli/cmd_*.c and runs it. */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include "cli.h"

#include "commands.inc"
#undef UPL_COMMAND

typedef struct command {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} command;

#define UPL_COMMAND(name, help) { #name, cmd_##name, help },
static const command commands[] = {
#include "commands.inc"
};
#undef UPL_COMMAND
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void print_usage(FILE *f) {
    fprintf(f, "uplift %s — targeted poverty alleviation and rural revitalization analytics\n"
               "精准扶贫与乡村振兴信息系统\n\n"
               "usage: uplift <command> [options]\n"
               "       uplift help <command>     (same as uplift <command> --help)\n\n"
               "commands:\n", UPL_VERSION_STRING);
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
    fprintf(f, "\nStart with `uplift demo`. Documentation: README.md and docs/.\n");
}

static const command *find(const char *name) {
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0) return &commands[i];
    return NULL;
}

int main(int argc, char **argv) {
    int rc;
    if (argc < 2) {
        print_usage(stderr);
        return CLI_USAGE;
    }
    const char *name = argv[1];
    if (!strcmp(name, "-h") || !strcmp(name, "--help")) {
        print_usage(stdout);
        rc = CLI_OK;
    } else if (!strcmp(name, "--version") || !strcmp(name, "version")) {
        printf("uplift %s\n", UPL_VERSION_STRING);
        rc = CLI_OK;
    } else if (!strcmp(name, "help")) {
        if (argc < 3) {
            print_usage(stdout);
            rc = CLI_OK;
        } else {
            const command *c = find(argv[2]);
            if (!c) {
                fprintf(stderr, "uplift: unknown command `%s`; run `uplift --help` for the list\n", argv[2]);
                return CLI_USAGE;
            }
            char *args[] = { argv[2], (char *)"--help", NULL };
            rc = c->fn(2, args);
        }
    } else {
        const command *c = find(name);
        if (!c) {
            fprintf(stderr, "uplift: unknown command `%s`; run `uplift --help` for the list\n", name);
            return CLI_USAGE;
        }
        rc = c->fn(argc - 1, argv + 1);
    }
    if (fclose(stdout) != 0 && rc == CLI_OK) {
        perror("uplift: writing standard output");
        rc = CLI_FAIL;
    }
    return rc;
}
