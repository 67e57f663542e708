/* replay_main.c — runs a libFuzzer harness without libFuzzer: every file
 * named on the command line (or in a directory named there) is fed once to
 * LLVMFuzzerTestOneInput. `make test` uses it to replay the committed seed
 * corpora and past crashers (tests/fuzz/corpus/<harness>/), like SQLite's
 * fuzzcheck; under SANITIZE=address,undefined this is a regression fuzz. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); return 1; }
    size_t cap = 1 << 16, n = 0, r;
    uint8_t *buf = malloc(cap);
    if (!buf) { fclose(f); return 1; }
    while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb) { free(buf); fclose(f); return 1; }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    LLVMFuzzerTestOneInput(buf, n);
    free(buf);
    return 0;
}

int main(int argc, char **argv) {
    int bad = 0, count = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) { perror(argv[i]); bad = 1; continue; }
        if (!S_ISDIR(st.st_mode)) { bad |= run_file(argv[i]); count++; continue; }
        DIR *d = opendir(argv[i]);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.') continue;
            char p[4096];
            snprintf(p, sizeof p, "%s/%s", argv[i], e->d_name);
            bad |= run_file(p);
            count++;
        }
        if (d) closedir(d);
    }
    printf("replayed %d inputs\n", count);
    return bad;
}
