/* snapshot.c — the columnar snapshot file (.upl): writers (whole table and
 * streaming) and the memory-mapped reader.
 *
 * Layout (little-endian; docs/decisions/0003-snapshot-format.md):
 *
 *   [0, 64)   header: magic(8) version(u32) endian mark 0x01020304(u32)
 *             n_rows(u64) n_cols(u64) dir_offset(u64) dir_length(u64)
 *             dir_hash(u64) header_hash(u64, XXH64 of bytes 0..55)
 *   [64, dir_offset)  for each column, four blocks back to back, each padded
 *             with zeros to a multiple of 64 bytes:
 *               0 validity  ceil(n/64) u64 words, bit set = present
 *               1 values    f64/i64: 8n; cat: int32 n; bool: u8 n;
 *                           str: u64 offsets, n+1
 *               2 aux       str: the bytes; cat: u64 label offsets, k+1
 *               3 labels    cat: label bytes
 *             (unused blocks have length 0)
 *   [dir_offset, end)  directory: per column a 96-byte entry
 *             type(u32) flags(u32) name_off(u64) name_len(u64) n_dict(u64)
 *             len[4](u64) hash[4](u64)
 *             then the names, each NUL-terminated.
 *
 * A block's checksum covers its padding (seeded with column and block
 * number, so swapped blocks are caught too); the directory and header have
 * their own. Offsets are not stored: the reader recomputes them from the
 * lengths and requires the blocks to tile the file exactly, so every byte of
 * a valid file lies under exactly one checksum and the file size is fixed by
 * its contents (a truncated or extended file is rejected). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "uplift/io.h"
#include "snapshot_int.h"

#define HDR_SIZE 64
#define ALIGN 64
#define ENTRY_SIZE 96
#define N_BLOCKS 4
#define ENDIAN_MARK 0x01020304u
#define DIR_SEED 0x55504c4449520001ULL  /* "UPLDIR" */
#define STAGE_ROWS 8192
#define SPOOL_BUF (256u * 1024u)
#define COPY_BUF (1u << 20)

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define HOST_BIG_ENDIAN 1
#else
#define HOST_BIG_ENDIAN 0
#endif

static const char *const block_names[N_BLOCKS] = { "validity", "values", "aux", "labels" };

static uint64_t block_seed(size_t col, int blk) { return ((uint64_t)col << 8) | (uint64_t)blk; }
static uint64_t pad64(uint64_t n) { return (n + (ALIGN - 1)) & ~(uint64_t)(ALIGN - 1); }

static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

/* ======================================================================
 * Output: a buffered file descriptor.
 * ====================================================================== */
typedef struct sink {
    int fd;
    uint8_t *buf;
    size_t n, cap;
    uint64_t pos;          /* bytes accepted so far (file offset of next byte) */
    const char *path;      /* for messages */
    bool has_hash;         /* spools: hash what is written (the block's checksum) */
    upl__xxh64_state h;
} sink;

static int sink_init(sink *s, int fd, size_t cap, const char *path, upl_error *err) {
    memset(s, 0, sizeof *s);
    s->fd = fd;
    s->path = path;
    s->cap = cap;
    s->buf = upl_malloc(cap);
    if (!s->buf) return upl_error_set(err, UPL_ENOMEM, "out of memory for a write buffer");
    return UPL_OK;
}

static int write_all(int fd, const void *p, size_t len, const char *path, upl_error *err) {
    const uint8_t *b = p;
    while (len) {
        ssize_t w = write(fd, b, len);
        if (w < 0) {
            if (errno == EINTR) continue;
            return upl_error_at(err, UPL_EIO, path, 0, 0, NULL, "write failed: %s", strerror(errno));
        }
        b += w;
        len -= (size_t)w;
    }
    return UPL_OK;
}

static int sink_flush(sink *s, upl_error *err) {
    int rc = UPL_OK;
    if (s->n) rc = write_all(s->fd, s->buf, s->n, s->path, err);
    s->n = 0;
    return rc;
}

static int sink_write(sink *s, const void *p, size_t len, upl_error *err) {
    s->pos += len;
    if (s->has_hash) upl__xxh64_update(&s->h, p, len);
    if (len >= s->cap) {
        int rc = sink_flush(s, err);
        if (rc) return rc;
        return write_all(s->fd, p, len, s->path, err);
    }
    if (s->n + len > s->cap) {
        int rc = sink_flush(s, err);
        if (rc) return rc;
    }
    memcpy(s->buf + s->n, p, len);
    s->n += len;
    return UPL_OK;
}

static void sink_free(sink *s) {
    upl_free(s->buf);
    s->buf = NULL;
}

/* A block being written to the output: hashes what passes through. */
typedef struct block_out {
    sink *out;
    upl__xxh64_state h;
    uint64_t len;
} block_out;

static void block_begin(block_out *b, sink *out, uint64_t seed) {
    b->out = out;
    b->len = 0;
    upl__xxh64_init(&b->h, seed);
}

static int block_write(void *ctx, const void *p, size_t len, upl_error *err) {
    block_out *b = ctx;
    upl__xxh64_update(&b->h, p, len);
    b->len += len;
    return sink_write(b->out, p, len, err);
}

/* Pad with zeros to the next 64-byte boundary; returns the checksum. */
static int block_end(block_out *b, uint64_t *hash, upl_error *err) {
    static const uint8_t zeros[ALIGN];
    size_t pad = (size_t)(pad64(b->len) - b->len);
    if (pad) {
        upl__xxh64_update(&b->h, zeros, pad);
        int rc = sink_write(b->out, zeros, pad, err);
        if (rc) return rc;
    }
    *hash = upl__xxh64_digest(&b->h);
    return UPL_OK;
}

typedef int (*emit_fn)(void *ctx, const void *p, size_t len, upl_error *err);

/* ======================================================================
 * Normalised array producers: the bytes of one column's arrays for rows
 * [0, n), with missing slots set to their canonical value.
 * ====================================================================== */
typedef struct bitacc {      /* validity bits not yet a whole word */
    uint64_t word;
    unsigned n_bits;
} bitacc;

static int emit_validity(const upl_column *c, size_t n, bitacc *acc, emit_fn emit, void *ctx,
                         upl_error *err) {
    uint64_t stage[256];
    size_t ns = 0;
    for (size_t row = 0; row < n;) {
        /* take up to 64 - n_bits bits from the column */
        unsigned room = 64 - acc->n_bits;
        size_t take = n - row < room ? n - row : room;
        uint64_t bits;
        size_t w = row >> 6, sh = row & 63;
        bits = c->valid[w] >> sh;
        if (sh && sh + take > 64) bits |= c->valid[w + 1] << (64 - sh);
        if (take < 64) bits &= (1ULL << take) - 1;
        acc->word |= bits << acc->n_bits;
        acc->n_bits += (unsigned)take;
        row += take;
        if (acc->n_bits == 64) {
            stage[ns++] = acc->word;
            acc->word = 0;
            acc->n_bits = 0;
            if (ns == 256) {
                int rc = emit(ctx, stage, sizeof stage, err);
                if (rc) return rc;
                ns = 0;
            }
        }
    }
    return ns ? emit(ctx, stage, ns * 8, err) : UPL_OK;
}

static int flush_validity(bitacc *acc, emit_fn emit, void *ctx, upl_error *err) {
    if (!acc->n_bits) return UPL_OK;
    uint64_t w = acc->word;
    acc->word = 0;
    acc->n_bits = 0;
    return emit(ctx, &w, 8, err);
}

/* Values (or string offsets, starting after `*str_base`; the leading 0 is the
 * caller's). remap: chunk code -> output code for CAT (NULL = identity). */
static int emit_values(const upl_column *c, size_t n, const int32_t *remap, uint64_t *str_base,
                       uint8_t *stage, emit_fn emit, void *ctx, upl_error *err) {
    const int32_t n_dict = c->type == UPL_CAT ? upl_dict_size(c->dict) : 0;
    for (size_t r0 = 0; r0 < n; r0 += STAGE_ROWS) {
        size_t m = n - r0 < STAGE_ROWS ? n - r0 : STAGE_ROWS;   /* STAGE_ROWS is a multiple of 64 */
        size_t bytes = 0;
        switch (c->type) {
        case UPL_F64:
        case UPL_I64: {
            /* copy, then overwrite the missing slots with the canonical value */
            const uint64_t missing = c->type == UPL_F64 ? 0x7FF8000000000000ULL : 0;   /* quiet NaN */
            uint64_t *d = (uint64_t *)(void *)stage;
            memcpy(d, (const uint64_t *)c->v.raw + r0, m * 8);
            for (size_t i = 0; i < m; i += 64) {
                uint64_t w = c->valid[(r0 + i) >> 6];
                if (w == ~0ULL) continue;
                size_t lim = m - i < 64 ? m - i : 64;
                for (size_t j = 0; j < lim; j++)
                    if (!((w >> j) & 1)) d[i + j] = missing;
            }
            bytes = m * 8;
            break;
        }
        case UPL_CAT: {
            int32_t *d = (int32_t *)(void *)stage;
            for (size_t i = 0; i < m; i++) {
                int32_t v = -1;
                if (upl_col_is_valid(c, r0 + i)) {
                    v = c->v.cat[r0 + i];
                    if (v < 0 || v >= n_dict)
                        return upl_error_at(err, UPL_EMISUSE, NULL, 0, 0, c->name,
                                            "row %zu: category code %d outside the dictionary", r0 + i, (int)v);
                    if (remap) v = remap[v];
                }
                d[i] = v;
            }
            bytes = m * 4;
            break;
        }
        case UPL_BOOL:
            for (size_t i = 0; i < m; i++)
                stage[i] = upl_col_is_valid(c, r0 + i) ? (c->v.b[r0 + i] != 0) : 0;
            bytes = m;
            break;
        case UPL_STR: {
            uint64_t *d = (uint64_t *)(void *)stage;
            for (size_t i = 0; i < m; i++) {
                if (upl_col_is_valid(c, r0 + i)) *str_base += c->str_off[r0 + i + 1] - c->str_off[r0 + i];
                d[i] = *str_base;
            }
            bytes = m * 8;
            break;
        }
        }
        int rc = emit(ctx, stage, bytes, err);
        if (rc) return rc;
    }
    return UPL_OK;
}

static int emit_strings(const upl_column *c, size_t n, emit_fn emit, void *ctx, upl_error *err) {
    /* runs of valid rows are contiguous in str_data: emit them in one go */
    size_t row = 0;
    while (row < n) {
        if (!upl_col_is_valid(c, row)) { row++; continue; }
        size_t end = row + 1;
        while (end < n && upl_col_is_valid(c, end)) end++;
        uint64_t a = c->str_off[row], b = c->str_off[end];
        /* missing rows inside [row, end) do not exist by construction */
        if (b > a) {
            int rc = emit(ctx, c->str_data + a, (size_t)(b - a), err);
            if (rc) return rc;
        }
        row = end;
    }
    return UPL_OK;
}

/* Dictionary blocks: offsets (k+1) then labels. */
static int emit_dict_offsets(const upl_dict *d, emit_fn emit, void *ctx, upl_error *err) {
    int32_t k = d ? upl_dict_size(d) : 0;
    uint64_t off = 0;
    int rc = emit(ctx, &off, 8, err);
    for (int32_t i = 0; rc == UPL_OK && i < k; i++) {
        off += upl_dict_label_len(d, i);
        rc = emit(ctx, &off, 8, err);
    }
    return rc;
}

static int emit_dict_labels(const upl_dict *d, emit_fn emit, void *ctx, upl_error *err) {
    int32_t k = d ? upl_dict_size(d) : 0;
    int rc = UPL_OK;
    for (int32_t i = 0; rc == UPL_OK && i < k; i++) {
        size_t len = upl_dict_label_len(d, i);
        if (len) rc = emit(ctx, upl_dict_label(d, i), len, err);
    }
    return rc;
}

/* ======================================================================
 * Directory and header.
 * ====================================================================== */
typedef struct col_meta {
    const char *name;
    upl_type type;
    uint32_t flags;
    uint64_t n_dict;
    uint64_t len[N_BLOCKS];
    uint64_t hash[N_BLOCKS];
} col_meta;

#define FLAG_TEXT_KEPT 1u

static int write_directory_and_header(sink *out, int fd, uint64_t n_rows, const col_meta *m,
                                      size_t n_cols, const char *path, upl_error *err) {
    int rc = UPL_OK;
    uint64_t names_bytes = 0;
    for (size_t i = 0; i < n_cols; i++) names_bytes += strlen(m[i].name) + 1;
    size_t dir_len = (size_t)(ENTRY_SIZE * n_cols + names_bytes);
    uint8_t *dir = upl_calloc(1, dir_len ? dir_len : 1);
    if (!dir) return upl_error_set(err, UPL_ENOMEM, "out of memory for the snapshot directory");
    uint64_t name_off = 0;
    uint8_t *names = dir + ENTRY_SIZE * n_cols;
    for (size_t i = 0; i < n_cols; i++) {
        uint8_t *e = dir + ENTRY_SIZE * i;
        size_t nl = strlen(m[i].name);
        put32(e, (uint32_t)m[i].type);
        put32(e + 4, m[i].flags);
        put64(e + 8, name_off);
        put64(e + 16, nl);
        put64(e + 24, m[i].n_dict);
        for (int b = 0; b < N_BLOCKS; b++) {
            put64(e + 32 + 8 * b, m[i].len[b]);
            put64(e + 64 + 8 * b, m[i].hash[b]);
        }
        memcpy(names + name_off, m[i].name, nl + 1);
        name_off += nl + 1;
    }
    uint64_t dir_off = out->pos;
    uint64_t dir_hash = upl__xxh64(dir, dir_len, DIR_SEED);
    UPL_TRY(sink_write(out, dir, dir_len, err));
    UPL_TRY(sink_flush(out, err));

    uint8_t h[HDR_SIZE];
    memset(h, 0, sizeof h);
    memcpy(h, UPL_SNAPSHOT_MAGIC, 8);
    put32(h + 8, UPL_SNAPSHOT_VERSION);
    put32(h + 12, ENDIAN_MARK);
    put64(h + 16, n_rows);
    put64(h + 24, n_cols);
    put64(h + 32, dir_off);
    put64(h + 40, dir_len);
    put64(h + 48, dir_hash);
    put64(h + 56, upl__xxh64(h, 56, 0));
    if (pwrite(fd, h, HDR_SIZE, 0) != HDR_SIZE) {
        rc = upl_error_at(err, UPL_EIO, path, 0, 0, NULL, "writing the header failed: %s", strerror(errno));
        goto fail;
    }
fail:
    upl_free(dir);
    return rc;
}

/* Create "<path>.tmp-<pid>-<n>" beside path (mode 0666 less the umask, like
 * any file the user writes): *fd_out and *tmp_out (free it). */
static int open_temp_beside(const char *path, char **tmp_out, int *fd_out, upl_error *err) {
    static unsigned counter;
    for (int attempt = 0; attempt < 100; attempt++) {
        unsigned n = __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
        char *tmp = upl_asprintf("%s.tmp-%ld-%u", path, (long)getpid(), n);
        if (!tmp) return upl_error_set(err, UPL_ENOMEM, "out of memory");
        int fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0) {
            *tmp_out = tmp;
            *fd_out = fd;
            return UPL_OK;
        }
        int e = errno;
        upl_free(tmp);
        if (e != EEXIST)
            return upl_error_at(err, UPL_EIO, path, 0, 0, NULL, "cannot create a file beside it: %s", strerror(e));
    }
    return upl_error_at(err, UPL_EIO, path, 0, 0, NULL, "cannot create a temporary file beside it");
}

/* Temporary spool files are unlinked at once: nothing to clean up after a crash. */
static int open_spool(const char *path, int *fd_out, upl_error *err) {
    char *tmp = NULL;
    int rc = open_temp_beside(path, &tmp, fd_out, err);
    if (rc) return rc;
    unlink(tmp);
    upl_free(tmp);
    return UPL_OK;
}

static int finish_file(int fd, const char *tmp, const char *path, upl_error *err) {
    /* No fsync: a torn file after a crash fails its checksums on open, and
     * fsync of a multi-GB snapshot would cost seconds on every write. */
    if (0) {
        int e = errno;
        close(fd);
        return upl_error_at(err, UPL_EIO, path, 0, 0, NULL, "fsync failed: %s", strerror(e));
    }
    if (close(fd) != 0)
        return upl_error_at(err, UPL_EIO, path, 0, 0, NULL, "close failed: %s", strerror(errno));
    if (rename(tmp, path) != 0)
        return upl_error_at(err, UPL_EIO, path, 0, 0, NULL, "cannot rename the finished file into place: %s",
                            strerror(errno));
    return UPL_OK;
}

/* ======================================================================
 * Whole-table writer.
 * ====================================================================== */
int upl_snapshot_write(const upl_table *t, const char *path, upl_error *err) {
    int rc = UPL_OK, fd = -1;
    char *tmp = NULL;
    sink out = {0};
    col_meta *m = NULL;
    uint8_t *stage = NULL;
    size_t n_cols = upl_table_n_cols(t);
    if (!t || !path) return upl_error_set(err, UPL_EMISUSE, "upl_snapshot_write: NULL argument");
    if (HOST_BIG_ENDIAN) return upl_error_set(err, UPL_EUNSUPPORTED, "snapshots are written on little-endian hosts only");
    UPL_TRY(upl_table_validate(t, err));
    size_t n = upl_table_n_rows(t);

    UPL_TRY(open_temp_beside(path, &tmp, &fd, err));
    UPL_TRY(sink_init(&out, fd, COPY_BUF, path, err));
    stage = upl_malloc(STAGE_ROWS * 8);
    m = upl_calloc(n_cols ? n_cols : 1, sizeof *m);
    UPL_FAIL_IF(!stage || !m, err, UPL_ENOMEM, "out of memory");
    {
        static const uint8_t zeros[HDR_SIZE];
        UPL_TRY(sink_write(&out, zeros, HDR_SIZE, err));
    }
    for (size_t i = 0; i < n_cols; i++) {
        const upl_column *c = upl_table_column(t, i);
        block_out b;
        bitacc acc = {0, 0};
        uint64_t base = 0;
        m[i].name = c->name;
        m[i].type = c->type;
        m[i].flags = c->is_text_kept ? FLAG_TEXT_KEPT : 0;
        m[i].n_dict = c->type == UPL_CAT ? (uint64_t)upl_dict_size(c->dict) : 0;

        block_begin(&b, &out, block_seed(i, 0));
        UPL_TRY(emit_validity(c, n, &acc, block_write, &b, err));
        UPL_TRY(flush_validity(&acc, block_write, &b, err));
        m[i].len[0] = b.len;
        UPL_TRY(block_end(&b, &m[i].hash[0], err));

        block_begin(&b, &out, block_seed(i, 1));
        if (c->type == UPL_STR) UPL_TRY(block_write(&b, &base, 8, err));
        UPL_TRY(emit_values(c, n, NULL, &base, stage, block_write, &b, err));
        m[i].len[1] = b.len;
        UPL_TRY(block_end(&b, &m[i].hash[1], err));

        block_begin(&b, &out, block_seed(i, 2));
        if (c->type == UPL_STR) UPL_TRY(emit_strings(c, n, block_write, &b, err));
        if (c->type == UPL_CAT) UPL_TRY(emit_dict_offsets(c->dict, block_write, &b, err));
        m[i].len[2] = b.len;
        UPL_TRY(block_end(&b, &m[i].hash[2], err));

        block_begin(&b, &out, block_seed(i, 3));
        if (c->type == UPL_CAT) UPL_TRY(emit_dict_labels(c->dict, block_write, &b, err));
        m[i].len[3] = b.len;
        UPL_TRY(block_end(&b, &m[i].hash[3], err));
    }
    UPL_TRY(write_directory_and_header(&out, fd, n_cols ? n : 0, m, n_cols, path, err));
    rc = finish_file(fd, tmp, path, err);
    fd = -1;
    if (rc) unlink(tmp);
fail:
    if (fd >= 0) { close(fd); unlink(tmp); }
    sink_free(&out);
    upl_free(stage);
    upl_free(m);
    upl_free(tmp);
    return rc;
}

/* ======================================================================
 * Streaming writer.
 * ====================================================================== */
enum { SP_VALID = 0, SP_VALUES = 1, SP_DATA = 2, N_SPOOLS = 3 };

typedef struct wcol {
    char *name;
    upl_type type;
    bool is_text_kept;
    sink sp[N_SPOOLS];
    bitacc acc;
    uint64_t str_total;
    upl_dict *dict;          /* CAT: the output dictionary */
    int32_t *remap;
    size_t remap_cap;
} wcol;

struct upl_snapshot_writer {
    char *path;
    size_t n_cols;
    wcol *cols;
    uint64_t n_rows;
    uint8_t *stage;
    bool has_failed;
};

static int spool_emit(void *ctx, const void *p, size_t len, upl_error *err) {
    return sink_write(ctx, p, len, err);
}

static void writer_free(upl_snapshot_writer *w) {
    if (!w) return;
    for (size_t i = 0; w->cols && i < w->n_cols; i++) {
        wcol *c = &w->cols[i];
        for (int s = 0; s < N_SPOOLS; s++) {
            if (c->sp[s].fd >= 0) close(c->sp[s].fd);
            sink_free(&c->sp[s]);
        }
        upl_free(c->name);
        upl_dict_free(c->dict);
        upl_free(c->remap);
    }
    upl_free(w->cols);
    upl_free(w->stage);
    upl_free(w->path);
    upl_free(w);
}

void upl_snapshot_writer_abort(upl_snapshot_writer *w) { writer_free(w); }

uint64_t upl_snapshot_writer_rows(const upl_snapshot_writer *w) { return w ? w->n_rows : 0; }

int upl_snapshot_writer_open(const char *path, const upl_table *schema, upl_snapshot_writer **out,
                             upl_error *err) {
    int rc = UPL_OK;
    upl_snapshot_writer *w = NULL;
    if (out) *out = NULL;
    if (!path || !schema || !out) return upl_error_set(err, UPL_EMISUSE, "upl_snapshot_writer_open: NULL argument");
    if (HOST_BIG_ENDIAN) return upl_error_set(err, UPL_EUNSUPPORTED, "snapshots are written on little-endian hosts only");
    w = upl_calloc(1, sizeof *w);
    UPL_FAIL_IF(!w, err, UPL_ENOMEM, "out of memory");
    w->path = upl_strdup(path);
    size_t n_cols = upl_table_n_cols(schema);
    w->cols = upl_calloc(n_cols ? n_cols : 1, sizeof *w->cols);
    w->stage = upl_malloc(STAGE_ROWS * 8);
    UPL_FAIL_IF(!w->path || !w->cols || !w->stage, err, UPL_ENOMEM, "out of memory");
    w->n_cols = n_cols;
    for (size_t i = 0; i < w->n_cols; i++)
        for (int s = 0; s < N_SPOOLS; s++) w->cols[i].sp[s].fd = -1;
    for (size_t i = 0; i < w->n_cols; i++) {
        const upl_column *sc = upl_table_column(schema, i);
        wcol *c = &w->cols[i];
        c->name = upl_strdup(sc->name);
        UPL_FAIL_IF(!c->name, err, UPL_ENOMEM, "out of memory");
        c->type = sc->type;
        c->is_text_kept = sc->is_text_kept;
        if (c->type == UPL_CAT) {
            c->dict = upl_dict_new();
            UPL_FAIL_IF(!c->dict, err, UPL_ENOMEM, "out of memory");
        }
        int n_sp = c->type == UPL_STR ? 3 : 2;
        for (int s = 0; s < n_sp; s++) {
            int fd = -1;
            UPL_TRY(open_spool(path, &fd, err));
            UPL_TRY(sink_init(&c->sp[s], fd, SPOOL_BUF, path, err));
            c->sp[s].fd = fd;
            c->sp[s].has_hash = true;   /* spool s becomes block s of the column */
            upl__xxh64_init(&c->sp[s].h, block_seed(i, s));
        }
        if (c->type == UPL_STR) {
            uint64_t zero = 0;
            UPL_TRY(sink_write(&c->sp[SP_VALUES], &zero, 8, err));
        }
    }
    *out = w;
    return UPL_OK;
fail:
    writer_free(w);
    return rc;
}

int upl_snapshot_writer_append(upl_snapshot_writer *w, const upl_table *chunk, upl_error *err) {
    int rc = UPL_OK;
    if (!w || !chunk) return upl_error_set(err, UPL_EMISUSE, "upl_snapshot_writer_append: NULL argument");
    if (w->has_failed) return upl_error_set(err, UPL_EMISUSE, "snapshot writer: append after an error");
    if (upl_table_n_cols(chunk) != w->n_cols) {
        rc = upl_error_at(err, UPL_ESCHEMA, w->path, 0, 0, NULL, "chunk has %zu columns, the snapshot %zu",
                          upl_table_n_cols(chunk), w->n_cols);
        goto fail;
    }
    UPL_TRY(upl_table_validate(chunk, err));
    size_t n = upl_table_n_rows(chunk);
    for (size_t i = 0; i < w->n_cols; i++) {
        const upl_column *c = upl_table_column(chunk, i);
        if (strcmp(c->name, w->cols[i].name) != 0 || c->type != w->cols[i].type) {
            rc = upl_error_at(err, UPL_ESCHEMA, w->path, 0, i + 1, w->cols[i].name,
                              "chunk column %zu is `%s` (%s), expected `%s` (%s)", i + 1, c->name,
                              upl_type_name(c->type), w->cols[i].name, upl_type_name(w->cols[i].type));
            goto fail;
        }
    }
    for (size_t i = 0; i < w->n_cols; i++) {
        const upl_column *c = upl_table_column(chunk, i);
        wcol *wc = &w->cols[i];
        const int32_t *remap = NULL;
        if (c->type == UPL_CAT) {
            int32_t k = upl_dict_size(c->dict);
            if ((size_t)k > wc->remap_cap) {
                int32_t *r = upl_reallocarray(wc->remap, (size_t)k, sizeof *r);
                UPL_FAIL_IF(!r, err, UPL_ENOMEM, "out of memory");
                wc->remap = r;
                wc->remap_cap = (size_t)k;
            }
            /* Intern labels in order of first use, so the output dictionary
             * does not depend on how rows were cut into chunks or on labels a
             * chunk's dictionary holds but never uses. */
            for (int32_t j = 0; j < k; j++) wc->remap[j] = -1;
            for (size_t r = 0; r < n; r++) {
                if (!upl_col_is_valid(c, r)) continue;
                int32_t v = c->v.cat[r], code;
                if (v < 0 || v >= k) {
                    rc = upl_error_at(err, UPL_EMISUSE, w->path, 0, 0, c->name,
                                      "row %zu: category code %d outside the dictionary", r, (int)v);
                    goto fail;
                }
                if (wc->remap[v] >= 0) continue;
                rc = upl_dict_intern(wc->dict, upl_dict_label(c->dict, v), upl_dict_label_len(c->dict, v), &code);
                UPL_FAIL_IF(rc != UPL_OK, err, UPL_ENOMEM, "out of memory");
                wc->remap[v] = code;
            }
            remap = wc->remap;
        }
        UPL_TRY(emit_validity(c, n, &wc->acc, spool_emit, &wc->sp[SP_VALID], err));
        UPL_TRY(emit_values(c, n, remap, &wc->str_total, w->stage, spool_emit, &wc->sp[SP_VALUES], err));
        if (c->type == UPL_STR) UPL_TRY(emit_strings(c, n, spool_emit, &wc->sp[SP_DATA], err));
    }
    w->n_rows += n;
    return UPL_OK;
fail:
    w->has_failed = true;
    return rc;
}

/* Copy a spool into the output as one block: the checksum was taken as the
 * spool was written, so the bytes move file to file inside the kernel
 * (copy_file_range), with a read/write fallback. */
static int copy_spool(sink *sp, sink *out, uint8_t *buf, uint64_t *len, uint64_t *hash, upl_error *err) {
    static const uint8_t zeros[ALIGN];
    int rc = sink_flush(sp, err);
    if (rc) return rc;
    uint64_t total = sp->pos;
    size_t pad = (size_t)(pad64(total) - total);
    upl__xxh64_update(&sp->h, zeros, pad);
    *hash = upl__xxh64_digest(&sp->h);
    *len = total;
    if ((rc = sink_flush(out, err))) return rc;
    off_t in_off = 0;
    bool use_read = false;
    while ((uint64_t)in_off < total) {
        size_t want = total - (uint64_t)in_off < ((size_t)1 << 30) ? (size_t)(total - (uint64_t)in_off) : (size_t)1 << 30;
        if (!use_read) {
            ssize_t k = copy_file_range(sp->fd, &in_off, out->fd, NULL, want, 0);
            if (k > 0) continue;
            if (k < 0 && errno == EINTR) continue;
            if (k < 0 && errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP)
                return upl_error_at(err, UPL_EIO, out->path, 0, 0, NULL, "copying a spool file failed: %s", strerror(errno));
            use_read = true;   /* not supported here, or (k == 0) nothing copied: read and write */
            continue;
        }
        if (want > COPY_BUF) want = COPY_BUF;
        ssize_t got = pread(sp->fd, buf, want, in_off);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0)
            return upl_error_at(err, UPL_EIO, sp->path, 0, 0, NULL, "reading a spool file failed: %s",
                                got < 0 ? strerror(errno) : "unexpected end");
        if ((rc = write_all(out->fd, buf, (size_t)got, out->path, err))) return rc;
        in_off += got;
    }
    out->pos += total;
    return pad ? sink_write(out, zeros, pad, err) : UPL_OK;
}

int upl_snapshot_writer_finish(upl_snapshot_writer *w, upl_error *err) {
    int rc = UPL_OK, fd = -1;
    char *tmp = NULL;
    uint8_t *buf = NULL;
    col_meta *m = NULL;
    sink out = {0};
    if (!w) return upl_error_set(err, UPL_EMISUSE, "upl_snapshot_writer_finish: NULL writer");
    UPL_FAIL_IF(w->has_failed, err, UPL_EMISUSE, "snapshot writer: finish after an error; `%s` not written", w->path);
    buf = upl_malloc(COPY_BUF);
    m = upl_calloc(w->n_cols ? w->n_cols : 1, sizeof *m);
    UPL_FAIL_IF(!buf || !m, err, UPL_ENOMEM, "out of memory");
    UPL_TRY(open_temp_beside(w->path, &tmp, &fd, err));
    UPL_TRY(sink_init(&out, fd, COPY_BUF, w->path, err));
    {
        static const uint8_t zeros[HDR_SIZE];
        UPL_TRY(sink_write(&out, zeros, HDR_SIZE, err));
    }
    for (size_t i = 0; i < w->n_cols; i++) {
        wcol *c = &w->cols[i];
        block_out b;
        UPL_TRY(flush_validity(&c->acc, spool_emit, &c->sp[SP_VALID], err));
        m[i].name = c->name;
        m[i].type = c->type;
        m[i].flags = c->is_text_kept ? FLAG_TEXT_KEPT : 0;
        m[i].n_dict = c->type == UPL_CAT ? (uint64_t)upl_dict_size(c->dict) : 0;
        for (int blk = 0; blk < N_BLOCKS; blk++) {
            if (blk < 2 || (blk == 2 && c->type == UPL_STR)) {
                UPL_TRY(copy_spool(&c->sp[blk], &out, buf, &m[i].len[blk], &m[i].hash[blk], err));
                continue;
            }
            block_begin(&b, &out, block_seed(i, blk));
            if (blk == 2 && c->type == UPL_CAT) UPL_TRY(emit_dict_offsets(c->dict, block_write, &b, err));
            if (blk == 3 && c->type == UPL_CAT) UPL_TRY(emit_dict_labels(c->dict, block_write, &b, err));
            m[i].len[blk] = b.len;
            UPL_TRY(block_end(&b, &m[i].hash[blk], err));
        }
        /* release this column's spools as soon as they are copied */
        for (int s = 0; s < N_SPOOLS; s++) {
            if (c->sp[s].fd >= 0) close(c->sp[s].fd);
            c->sp[s].fd = -1;
            sink_free(&c->sp[s]);
        }
    }
    UPL_TRY(write_directory_and_header(&out, fd, w->n_cols ? w->n_rows : 0, m, w->n_cols, w->path, err));
    rc = finish_file(fd, tmp, w->path, err);
    fd = -1;
    if (rc) unlink(tmp);
fail:
    if (fd >= 0) { close(fd); unlink(tmp); }
    sink_free(&out);
    upl_free(buf);
    upl_free(m);
    upl_free(tmp);
    writer_free(w);
    return rc;
}

/* ======================================================================
 * Reader.
 * ====================================================================== */
typedef struct snap_map {
    void *addr;
    size_t len;
} snap_map;

static void snap_release(void *p) {
    snap_map *m = p;
    if (!m) return;
    if (m->addr) munmap(m->addr, m->len);
    upl_free(m);
}

#define CORRUPT(field, ...) \
    do { rc = upl_error_at(err, UPL_ECORRUPT, path, 0, 0, (field), __VA_ARGS__); goto fail; } while (0)

/* Expected byte length of block 1 for n rows of type t; false if overflow. */
static bool values_len(upl_type t, uint64_t n, uint64_t *out) {
    uint64_t w = 0;
    switch (t) {
    case UPL_F64: case UPL_I64: w = 8; break;
    case UPL_CAT: w = 4; break;
    case UPL_BOOL: w = 1; break;
    case UPL_STR:
        if (n == UINT64_MAX) return false;
        n += 1;
        w = 8;
        break;
    default: return false;
    }
    if (n > UINT64_MAX / w) return false;
    *out = n * w;
    return true;
}

/* Whether offsets off[0..k] start at 0, never decrease and end at total. */
static bool offsets_ok(const uint8_t *p, uint64_t k, uint64_t total) {
    const uint64_t *off = (const uint64_t *)(const void *)p;   /* 64-byte aligned in the mapping */
    if (off[0] != 0 || off[k] != total) return false;
    uint64_t bad = 0;
    for (uint64_t i = 0; i < k; i++) bad |= off[i + 1] < off[i];
    return bad == 0;
}

/* Checksums of all blocks on the thread pool, for large files: result per
 * block in ok[] (1 = matches). Returns NULL when the layout cannot be
 * followed or memory is short: the caller then hashes as it goes, and its
 * own checks report the problem. */
typedef struct hash_job {
    const uint8_t *base;
    uint64_t *off, *len, *want;
    uint8_t *ok;
} hash_job;

static int hash_fn(void *ctx, size_t chunk, size_t b, size_t e) {
    hash_job *j = ctx;
    (void)chunk;
    for (size_t i = b; i < e; i++)
        j->ok[i] = upl__xxh64(j->base + j->off[i], (size_t)pad64(j->len[i]), block_seed(i / N_BLOCKS, (int)(i % N_BLOCKS))) == j->want[i];
    return UPL_OK;
}

static uint8_t *hash_all_parallel(const uint8_t *base, const uint8_t *dir, uint64_t n_cols, uint64_t dir_off) {
    size_t nb = (size_t)n_cols * N_BLOCKS;
    hash_job j = { base, upl_calloc(nb + 1, 8), upl_calloc(nb + 1, 8), upl_calloc(nb + 1, 8), upl_calloc(nb + 1, 1) };
    upl_pool *pool = NULL;
    bool done = false;
    if (j.off && j.len && j.want && j.ok) {
        uint64_t pos = HDR_SIZE;
        bool fits = true;
        for (size_t i = 0; i < nb && fits; i++) {
            const uint8_t *e = dir + ENTRY_SIZE * (i / N_BLOCKS);
            j.len[i] = get64(e + 32 + 8 * (i % N_BLOCKS));
            j.want[i] = get64(e + 64 + 8 * (i % N_BLOCKS));
            if (j.len[i] > dir_off - pos || pad64(j.len[i]) > dir_off - pos) fits = false;
            j.off[i] = pos;
            pos += fits ? pad64(j.len[i]) : 0;
        }
        if (fits && upl_pool_new(0, &pool) == UPL_OK && upl_pool_for_chunks(pool, nb, 1, hash_fn, &j) == UPL_OK)
            done = true;
    }
    upl_pool_free(pool);
    upl_free(j.off);
    upl_free(j.len);
    upl_free(j.want);
    if (!done) {
        upl_free(j.ok);
        return NULL;
    }
    return j.ok;
}

#define PARALLEL_VERIFY_BYTES ((size_t)64 << 20)

static int open_mapped(const uint8_t *base, size_t size, const char *path, bool verify, upl_table *t,
                       upl_error *err) {
    int rc = UPL_OK;
    uint8_t *hashed = NULL;   /* per-block checksum results computed in parallel, or NULL */
    if (size < HDR_SIZE) CORRUPT(NULL, "file is %zu bytes, shorter than a snapshot header (truncated?)", size);
    if (memcmp(base, UPL_SNAPSHOT_MAGIC, 8) != 0) CORRUPT(NULL, "not an uplift snapshot (bad magic number)");
    if (upl__xxh64(base, 56, 0) != get64(base + 56)) CORRUPT(NULL, "header checksum mismatch");
    uint32_t version = get32(base + 8), mark = get32(base + 12);
    if (mark != ENDIAN_MARK) {
        rc = upl_error_at(err, mark == 0x04030201u ? UPL_EUNSUPPORTED : UPL_ECORRUPT, path, 0, 0, NULL,
                          "byte-order mark %08x: written on a host of the other endianness", (unsigned)mark);
        goto fail;
    }
    if (version != UPL_SNAPSHOT_VERSION) {
        rc = upl_error_at(err, UPL_EUNSUPPORTED, path, 0, 0, NULL,
                          "snapshot format version %u; this build reads version %d", (unsigned)version,
                          UPL_SNAPSHOT_VERSION);
        goto fail;
    }
    uint64_t n_rows = get64(base + 16), n_cols = get64(base + 24);
    uint64_t dir_off = get64(base + 32), dir_len = get64(base + 40);
    if (dir_off < HDR_SIZE || dir_off % ALIGN || dir_off > size || dir_len != size - dir_off)
        CORRUPT(NULL, "directory at %llu+%llu does not end the %zu-byte file (truncated or extended?)",
                (unsigned long long)dir_off, (unsigned long long)dir_len, size);
    if (n_cols > dir_len / ENTRY_SIZE) CORRUPT(NULL, "%llu columns do not fit the directory", (unsigned long long)n_cols);
    const uint8_t *dir = base + dir_off;
    if (upl__xxh64(dir, (size_t)dir_len, DIR_SEED) != get64(base + 48)) CORRUPT(NULL, "directory checksum mismatch");
    if (n_cols == 0 && n_rows != 0) CORRUPT(NULL, "%llu rows but no columns", (unsigned long long)n_rows);
    if (n_rows > (uint64_t)size * 8) CORRUPT(NULL, "row count %llu exceeds what the file can hold", (unsigned long long)n_rows);
    const uint8_t *names = dir + ENTRY_SIZE * n_cols;
    uint64_t names_len = dir_len - ENTRY_SIZE * n_cols;
    uint64_t pos = HDR_SIZE;
    uint64_t valid_len = ((n_rows + 63) / 64) * 8;
    if (verify && size >= PARALLEL_VERIFY_BYTES) hashed = hash_all_parallel(base, dir, n_cols, dir_off);

    for (uint64_t i = 0; i < n_cols; i++) {
        const uint8_t *e = dir + ENTRY_SIZE * i;
        uint32_t type = get32(e), flags = get32(e + 4);
        uint64_t name_off = get64(e + 8), name_len = get64(e + 16), n_dict = get64(e + 24);
        uint64_t len[N_BLOCKS], hash[N_BLOCKS], off[N_BLOCKS], want1;
        if (name_off >= names_len || name_len >= names_len - name_off || names[name_off + name_len] != 0 ||
            memchr(names + name_off, 0, (size_t)name_len))
            CORRUPT(NULL, "column %llu: name outside the directory", (unsigned long long)i + 1);
        const char *name = (const char *)names + name_off;
        if (type < UPL_F64 || type > UPL_STR) CORRUPT(name, "unknown column type %u", (unsigned)type);
        if (flags & ~FLAG_TEXT_KEPT) CORRUPT(name, "unknown flags %x", (unsigned)flags);
        if (n_dict && type != UPL_CAT) CORRUPT(name, "dictionary on a %s column", upl_type_name((upl_type)type));
        if (n_dict > INT32_MAX) CORRUPT(name, "dictionary of %llu labels", (unsigned long long)n_dict);
        for (int b = 0; b < N_BLOCKS; b++) {
            len[b] = get64(e + 32 + 8 * b);
            hash[b] = get64(e + 64 + 8 * b);
            if (len[b] > dir_off - pos || pad64(len[b]) > dir_off - pos)
                CORRUPT(name, "%s block (%llu bytes at %llu) runs past the data area", block_names[b],
                        (unsigned long long)len[b], (unsigned long long)pos);
            off[b] = pos;
            pos += pad64(len[b]);
        }
        if (!values_len((upl_type)type, n_rows, &want1)) CORRUPT(name, "row count overflows");
        if (len[0] != valid_len) CORRUPT(name, "validity block is %llu bytes, expected %llu", (unsigned long long)len[0], (unsigned long long)valid_len);
        if (len[1] != want1) CORRUPT(name, "values block is %llu bytes, expected %llu", (unsigned long long)len[1], (unsigned long long)want1);
        if (type == UPL_CAT) {
            if (len[2] != (n_dict + 1) * 8) CORRUPT(name, "dictionary offsets block has the wrong size");
        } else if (type != UPL_STR && len[2] != 0) {
            CORRUPT(name, "unexpected aux block");
        }
        if (type != UPL_CAT && len[3] != 0) CORRUPT(name, "unexpected labels block");
        if (verify) {
            for (int b = 0; b < N_BLOCKS; b++)
                if (hashed ? !hashed[i * N_BLOCKS + (uint64_t)b]
                           : upl__xxh64(base + off[b], (size_t)pad64(len[b]), block_seed((size_t)i, b)) != hash[b])
                    CORRUPT(name, "%s block checksum mismatch (bytes %llu..%llu)", block_names[b],
                            (unsigned long long)off[b], (unsigned long long)(off[b] + pad64(len[b])));
        }
        /* Bounds that keep readers inside the mapping, checked even without verify. */
        if (type == UPL_STR && !offsets_ok(base + off[1], n_rows, len[2]))
            CORRUPT(name, "string offsets are not increasing within the %llu data bytes", (unsigned long long)len[2]);
        if (type == UPL_CAT) {
            if (!offsets_ok(base + off[2], n_dict, len[3])) CORRUPT(name, "dictionary offsets are out of order");
            /* Branch-free: every code in [-1, n_dict), and -1 only on missing rows
             * (a missing row's slot is not read by definition; the checksum
             * pins it to exactly -1 when verifying). */
            const int32_t *codes = (const int32_t *)(const void *)(base + off[1]);
            const uint64_t *vb = (const uint64_t *)(const void *)(base + off[0]);
            uint64_t bad = 0;
            for (uint64_t w = 0; w < (n_rows + 63) / 64; w++) {
                uint64_t bits = vb[w], lim = n_rows - w * 64 < 64 ? n_rows - w * 64 : 64;
                const int32_t *cw = codes + w * 64;
                for (uint64_t j = 0; j < lim; j++)
                    bad |= ((uint64_t)((uint32_t)cw[j] + 1u) > n_dict) | ((uint64_t)(cw[j] == -1) & (bits >> j));
            }
            if (bad & 1) {
                for (uint64_t r = 0; r < n_rows; r++) {
                    bool ok = (vb[r >> 6] >> (r & 63)) & 1;
                    if ((uint64_t)((uint32_t)codes[r] + 1u) > n_dict || (ok && codes[r] == -1))
                        CORRUPT(name, "row %llu: category code %d outside the %llu-label dictionary",
                                (unsigned long long)r + 1, (int)codes[r], (unsigned long long)n_dict);
                }
            }
        }

        upl_column *c = NULL;
        rc = upl_table_add_column(t, name, (upl_type)type, &c, err);
        if (rc == UPL_ESCHEMA) CORRUPT(name, "duplicate column name");
        if (rc) goto fail;
        /* swap the fresh column's own arrays for views into the mapping */
        upl_free(c->valid);
        upl_free(c->v.raw);
        upl_free(c->str_off);
        upl_free(c->str_data);
        upl_free(c->name);
        c->valid = (uint64_t *)(void *)(base + off[0]);
        c->v.raw = type == UPL_STR ? NULL : (void *)(base + off[1]);
        c->str_off = type == UPL_STR ? (uint64_t *)(void *)(base + off[1]) : NULL;
        c->str_data = type == UPL_STR ? (char *)(base + off[2]) : NULL;
        c->str_bytes = c->str_capacity = type == UPL_STR ? (size_t)len[2] : 0;
        c->name = (char *)name;
        c->n_rows = c->capacity = (size_t)n_rows;
        c->is_text_kept = (flags & FLAG_TEXT_KEPT) != 0;
        c->is_borrowed = true;
        if (type == UPL_CAT) {
            const uint64_t *doff = (const uint64_t *)(const void *)(base + off[2]);
            const char *labels = (const char *)(base + off[3]);
            for (uint64_t j = 0; j < n_dict; j++) {
                int32_t code;
                if (upl_dict_intern(c->dict, labels + doff[j], (size_t)(doff[j + 1] - doff[j]), &code) != UPL_OK) {
                    rc = upl_error_set(err, UPL_ENOMEM, "out of memory building the dictionary of `%s`", name);
                    goto fail;
                }
                if ((uint64_t)code != j) CORRUPT(name, "dictionary label %llu repeats an earlier label", (unsigned long long)j + 1);
            }
        }
    }
    if (pos != dir_off)
        CORRUPT(NULL, "%llu bytes between the last block and the directory", (unsigned long long)(dir_off - pos));
fail:
    upl_free(hashed);
    return rc;
}

int upl_snapshot_open(const char *path, bool verify, upl_table **out, upl_error *err) {
    int rc = UPL_OK, fd = -1;
    upl_table *t = NULL;
    snap_map *m = NULL;
    if (out) *out = NULL;
    if (!path || !out) return upl_error_set(err, UPL_EMISUSE, "upl_snapshot_open: NULL argument");
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = upl_error_at(err, errno == ENOENT ? UPL_ENOTFOUND : UPL_EIO, path, 0, 0, NULL, "cannot open: %s",
                          strerror(errno));
        goto fail;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        rc = upl_error_at(err, UPL_EIO, path, 0, 0, NULL, "cannot stat: %s", strerror(errno));
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = upl_error_at(err, UPL_EIO, path, 0, 0, NULL, "not a regular file");
        goto fail;
    }
    if ((uint64_t)st.st_size < HDR_SIZE)
        CORRUPT(NULL, "file is %lld bytes, shorter than a snapshot header (truncated?)", (long long)st.st_size);
    if ((uint64_t)st.st_size > SIZE_MAX) CORRUPT(NULL, "file too large for this host");
    m = upl_calloc(1, sizeof *m);
    t = upl_table_new();
    UPL_FAIL_IF(!m || !t, err, UPL_ENOMEM, "out of memory");
    m->len = (size_t)st.st_size;
    m->addr = mmap(NULL, m->len, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m->addr == MAP_FAILED) {
        m->addr = NULL;
        rc = upl_error_at(err, UPL_EIO, path, 0, 0, NULL, "cannot map: %s", strerror(errno));
        goto fail;
    }
    if (verify) (void)madvise(m->addr, m->len, MADV_SEQUENTIAL);
    UPL_TRY(open_mapped(m->addr, m->len, path, verify, t, err));
    if (upl_table_set_meta(t, "source", path) != UPL_OK || upl_table_set_meta(t, "format", "upl") != UPL_OK) {
        rc = upl_error_set(err, UPL_ENOMEM, "out of memory");
        goto fail;
    }
    upl_table_set_backing(t, m, snap_release);
    m = NULL;
    close(fd);
    *out = t;
    return UPL_OK;
fail:
    if (fd >= 0) close(fd);
    upl_table_free(t);
    snap_release(m);
    return rc;
}

/* For the fuzzer and tests only: recompute every checksum of a (possibly
 * damaged) snapshot image in place, as far as its layout can be followed,
 * so that mutated files reach the structural checks behind the checksums. */
void upl__snapshot_fix_checksums(uint8_t *buf, size_t size) {
    if (size < HDR_SIZE) return;
    uint64_t n_cols = get64(buf + 24), dir_off = get64(buf + 32), dir_len = get64(buf + 40);
    if (dir_off <= size && dir_len <= size - dir_off && n_cols <= dir_len / ENTRY_SIZE) {
        uint8_t *dir = buf + dir_off;
        uint64_t pos = HDR_SIZE;
        for (uint64_t i = 0; i < n_cols; i++) {
            uint8_t *e = dir + ENTRY_SIZE * i;
            for (int b = 0; b < N_BLOCKS; b++) {
                uint64_t len = get64(e + 32 + 8 * b);
                if (len > size || pad64(len) > size - pos) return;
                put64(e + 64 + 8 * b, upl__xxh64(buf + pos, (size_t)pad64(len), block_seed((size_t)i, b)));
                pos += pad64(len);
            }
        }
        put64(buf + 48, upl__xxh64(dir, (size_t)dir_len, DIR_SEED));
    }
    put64(buf + 56, upl__xxh64(buf, 56, 0));
}
