/* fuzz_snapshot.c — libFuzzer harness for the .upl snapshot reader.
 *
 * Each input is written to a private temporary file and opened twice: with
 * verify (every checksum) and without (layout and bounds only). Either may
 * fail, but neither may crash, leak or read outside the mapping; when a
 * table opens, every value is touched so ASan sees any stray pointer.
 * Inputs whose last byte is odd are opened as given (checksums must catch
 * the damage); the others first have every checksum recomputed, so the
 * mutations reach the layout and bounds checks behind the checksums.
 * Seeds: tests/fuzz/corpus/fuzz_snapshot/ (small valid snapshots). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "uplift/uplift.h"
#include "../../lib/io/snapshot_int.h"

static char path[64];

static void touch(const upl_table *t) {
    volatile uint64_t sink = 0;
    for (size_t k = 0; k < upl_table_n_cols(t); k++) {
        const upl_column *c = upl_table_column(t, k);
        sink += strlen(c->name);
        for (size_t r = 0; r < c->n_rows; r++) {
            if (!upl_col_is_valid(c, r)) continue;
            size_t len;
            switch (c->type) {
            case UPL_F64: sink += (uint64_t)(c->v.f64[r] == c->v.f64[r]); break;
            case UPL_I64: sink += (uint64_t)c->v.i64[r]; break;
            case UPL_BOOL: sink += c->v.b[r]; break;
            case UPL_CAT: sink += strlen(upl_dict_label(c->dict, c->v.cat[r])); break;
            case UPL_STR: {
                const char *s = upl_col_str(c, r, &len);
                if (len) sink += (uint8_t)s[len - 1];
                break;
            }
            }
        }
    }
    (void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!path[0]) snprintf(path, sizeof path, "/tmp/fuzz_snapshot.%ld.upl", (long)getpid());
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy) return 0;
    if (size) memcpy(copy, data, size);
    if (size > 8 && !(data[size - 1] & 1)) upl__snapshot_fix_checksums(copy, size);
    FILE *f = fopen(path, "wb");
    if (!f) { free(copy); return 0; }
    if (size && fwrite(copy, 1, size, f) != size) { fclose(f); free(copy); return 0; }
    fclose(f);
    free(copy);
    for (int verify = 1; verify >= 0; verify--) {
        upl_table *t = NULL;
        upl_error e = {0};
        if (upl_snapshot_open(path, verify, &t, &e) == UPL_OK) {
            touch(t);
            upl_table_free(t);
        } else if (e.code != UPL_ECORRUPT && e.code != UPL_EUNSUPPORTED && e.code != UPL_ENOMEM) {
            fprintf(stderr, "unexpected status %s: %s\n", upl_errname(e.code), upl_error_message(&e));
            abort();
        }
        upl_error_clear(&e);
    }
    return 0;
}
