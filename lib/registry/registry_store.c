/* registry_store.c — opening a registry (back-end choice, key file,
 * migrations), the small SQL helpers every registry_*.c uses, the field
 * encryption and blind index, and the read-back queries.
 *
 * Field encryption (RELIABILITY.md §4.3 (b)): XChaCha20-Poly1305 with a
 * random 192-bit nonce per value and the field name as associated data, so
 * a ciphertext moved to another column fails to decrypt. The blind index is
 * keyed BLAKE2b-128 of the 18-character person ID: equal IDs give equal
 * indexes only for holders of the key. Three subkeys are derived from the
 * key file's master key with crypto_kdf (ids 1 AEAD, 2 blind index, 3 audit
 * chain, 4 key check); the database stores only a keyed check value so a
 * wrong key file is refused instead of writing undecryptable data. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>
#include "registry_int.h"

/* ---- small string buffer --------------------------------------------------- */
void upl_sbuf_add(upl_sbuf *b, const char *s, size_t n) {
    if (b->failed) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1) cap *= 2;
        char *p = upl_realloc(b->s, cap);
        if (!p) { b->failed = true; return; }
        b->s = p; b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = 0;
}
void upl_sbuf_str(upl_sbuf *b, const char *s) { upl_sbuf_add(b, s, strlen(s)); }
void upl_sbuf_json(upl_sbuf *b, const char *s) {
    upl_sbuf_add(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\') { esc[0] = '\\'; esc[1] = (char)*p; upl_sbuf_add(b, esc, 2); }
        else if (*p < 0x20) { snprintf(esc, sizeof esc, "\\u%04x", *p); upl_sbuf_add(b, esc, 6); }
        else upl_sbuf_add(b, (const char *)p, 1);
    }
    upl_sbuf_add(b, "\"", 1);
}
void upl_sbuf_fmt(upl_sbuf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char tmp[256];
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) { b->failed = true; return; }
    if ((size_t)n < sizeof tmp) { upl_sbuf_add(b, tmp, (size_t)n); return; }
    char *big = upl_malloc((size_t)n + 1);
    if (!big) { b->failed = true; return; }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    upl_sbuf_add(b, big, (size_t)n);
    upl_free(big);
}
void upl_sbuf_free(upl_sbuf *b) { upl_free(b->s); memset(b, 0, sizeof *b); }

/* ---- time ---------------------------------------------------------------- */
void upl_reg_now(char *buf) {
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
int upl_reg_today(void) {
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

/* ---- SQL helpers ------------------------------------------------------------ */
int upl_db_bindv(upl_db *db, upl_stmt *st, const char *spec, va_list ap) {
    const upl_db_vt *vt = db->vt;
    int i = 1, rc = UPL_OK;
    for (const char *p = spec; *p && rc == UPL_OK; p++, i++) {
        switch (*p) {
        case 's': { const char *s = va_arg(ap, const char *); rc = vt->bind_text(st, i, s, (size_t)-1); break; }
        case 'S': { const char *s = va_arg(ap, const char *); size_t n = va_arg(ap, size_t);
                    rc = vt->bind_text(st, i, s, n); break; }
        case 'z': { const char *s = va_arg(ap, const char *);
                    rc = (s && *s) ? vt->bind_text(st, i, s, (size_t)-1) : vt->bind_null(st, i); break; }
        case 'i': rc = vt->bind_i64(st, i, va_arg(ap, int64_t)); break;
        case 'd': rc = vt->bind_f64(st, i, va_arg(ap, double)); break;
        case 'n': rc = vt->bind_null(st, i); break;
        default: rc = UPL_EMISUSE; break;
        }
    }
    return rc;
}

static int prep_bind(upl_db *db, const char *sql, upl_stmt **st, upl_error *err, const char *spec,
                     va_list ap) {
    int rc = db->vt->prepare(db, sql, st, err);
    if (rc) return rc;
    rc = upl_db_bindv(db, *st, spec, ap);
    if (rc) {
        db->vt->finalize(*st);
        *st = NULL;
        return upl_error_set(err, rc, "cannot bind parameters: %s", upl_errstr(rc));
    }
    return UPL_OK;
}

int upl_db_run(upl_db *db, const char *sql, upl_error *err, const char *spec, ...) {
    upl_stmt *st = NULL;
    va_list ap;
    va_start(ap, spec);
    int rc = prep_bind(db, sql, &st, err, spec, ap);
    va_end(ap);
    if (rc) return rc;
    bool row;
    rc = db->vt->step(st, &row, err);
    db->vt->finalize(st);
    return rc;
}

int upl_db_query_i64(upl_db *db, const char *sql, int64_t *out, bool *found, upl_error *err,
                     const char *spec, ...) {
    upl_stmt *st = NULL;
    va_list ap;
    va_start(ap, spec);
    int rc = prep_bind(db, sql, &st, err, spec, ap);
    va_end(ap);
    if (rc) return rc;
    bool row = false;
    rc = db->vt->step(st, &row, err);
    *found = false;
    if (rc == UPL_OK && row && !db->vt->col_is_null(st, 0)) {
        *out = db->vt->col_i64(st, 0);
        *found = true;
    }
    db->vt->finalize(st);
    return rc;
}

int upl_db_query_text(upl_db *db, const char *sql, char **out, upl_error *err, const char *spec, ...) {
    upl_stmt *st = NULL;
    va_list ap;
    *out = NULL;
    va_start(ap, spec);
    int rc = prep_bind(db, sql, &st, err, spec, ap);
    va_end(ap);
    if (rc) return rc;
    bool row = false;
    rc = db->vt->step(st, &row, err);
    if (rc == UPL_OK && row) {
        size_t n;
        const char *s = db->vt->col_text(st, 0, &n);
        if (s) {
            *out = upl_strndup(s, n);
            if (!*out) rc = upl_error_set(err, UPL_ENOMEM, "out of memory");
        }
    }
    db->vt->finalize(st);
    return rc;
}

static bool in_list(const char *list, const char *name) {
    size_t n = strlen(name);
    for (const char *p = list; p && *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && !strncmp(p, name, n)) return true;
        if (!e) break;
        p = e + 1;
    }
    return false;
}

int upl_db_to_table(upl_db *db, upl_stmt *st, const char *i64_cols, upl_table **out, upl_error *err) {
    int rc;
    upl_table *t = upl_table_new();
    upl_column **cols = NULL;
    bool row = false;
    *out = NULL;
    UPL_FAIL_IF(!t, err, UPL_ENOMEM, "out of memory");
    UPL_TRY(db->vt->step(st, &row, err));
    int nc = db->vt->n_cols(st);
    cols = upl_calloc((size_t)(nc > 0 ? nc : 1), sizeof *cols);
    UPL_FAIL_IF(!cols, err, UPL_ENOMEM, "out of memory");
    for (int i = 0; i < nc; i++) {
        const char *name = db->vt->col_name(st, i);
        UPL_TRY(upl_table_add_column(t, name, in_list(i64_cols, name) ? UPL_I64 : UPL_STR, &cols[i], err));
    }
    while (row) {
        for (int i = 0; i < nc; i++) {
            if (db->vt->col_is_null(st, i)) rc = upl_col_push_null(cols[i]);
            else if (cols[i]->type == UPL_I64) rc = upl_col_push_i64(cols[i], db->vt->col_i64(st, i));
            else {
                size_t n;
                const char *s = db->vt->col_text(st, i, &n);
                rc = upl_col_push_str(cols[i], s ? s : "", n);
            }
            UPL_FAIL_IF(rc != UPL_OK, err, rc, "out of memory");
        }
        UPL_TRY(db->vt->step(st, &row, err));
    }
    upl_free(cols);
    *out = t;
    return UPL_OK;
fail:
    upl_free(cols);
    upl_table_free(t);
    return rc;
}

/* ---- crypto ------------------------------------------------------------------ */
static const char kdf_ctx[crypto_kdf_CONTEXTBYTES + 1] = "upliftrg";

int upl_reg_encrypt(const upl_registry *r, const char *context, const char *plain, size_t len,
                    char **out, upl_error *err) {
    size_t raw_len = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + len + crypto_aead_xchacha20poly1305_ietf_ABYTES;
    unsigned char *raw = upl_malloc(raw_len);
    *out = NULL;
    if (!raw) return upl_error_set(err, UPL_ENOMEM, "out of memory");
    randombytes_buf(raw, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
    unsigned long long clen = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(raw + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, &clen,
                                               (const unsigned char *)plain, len,
                                               (const unsigned char *)context, strlen(context), NULL,
                                               raw, r->key_aead);
    size_t b64_len = sodium_base64_ENCODED_LEN(raw_len, sodium_base64_VARIANT_ORIGINAL);
    char *b64 = upl_malloc(b64_len);
    if (!b64) { upl_free(raw); return upl_error_set(err, UPL_ENOMEM, "out of memory"); }
    sodium_bin2base64(b64, b64_len, raw, raw_len, sodium_base64_VARIANT_ORIGINAL);
    upl_free(raw);
    *out = b64;
    return UPL_OK;
}

size_t upl_reg_encrypted_size(size_t len) {
    return sodium_base64_ENCODED_LEN(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + len +
                                     crypto_aead_xchacha20poly1305_ietf_ABYTES, sodium_base64_VARIANT_ORIGINAL);
}

/* The same ciphertext format as upl_reg_encrypt, without allocation: the
 * nonce comes from the caller's pool (upl_reg_nonce), the text goes into
 * out (upl_reg_encrypted_size(len) bytes). Plaintexts this path sees are
 * short (IDs, phones, accounts); longer ones are refused. */
int upl_reg_encrypt_into(const upl_registry *r, const char *context, const char *plain, size_t len,
                         const unsigned char *nonce, char *out, size_t out_cap) {
    unsigned char raw[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + 256 + crypto_aead_xchacha20poly1305_ietf_ABYTES];
    size_t raw_len = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + len + crypto_aead_xchacha20poly1305_ietf_ABYTES;
    if (len > 256 || out_cap < upl_reg_encrypted_size(len)) return UPL_EMISUSE;
    memcpy(raw, nonce, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
    unsigned long long clen = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(raw + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, &clen,
                                               (const unsigned char *)plain, len,
                                               (const unsigned char *)context, strlen(context), NULL,
                                               raw, r->key_aead);
    sodium_bin2base64(out, out_cap, raw, raw_len, sodium_base64_VARIANT_ORIGINAL);
    return UPL_OK;
}

/* Random nonces fetched from the system CSPRNG a pool at a time: one
 * getrandom call per 170 values instead of one per value. */
const unsigned char *upl_reg_nonce(upl_nonce_pool *p) {
    enum { NB = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES };
    if (p->off + NB > sizeof p->buf) {
        randombytes_buf(p->buf, sizeof p->buf);
        p->off = 0;
    }
    const unsigned char *n = p->buf + p->off;
    p->off += NB;
    return n;
}

int upl_reg_decrypt(const upl_registry *r, const char *context, const char *b64, char **out,
                    size_t *len, upl_error *err) {
    size_t cap = strlen(b64), bin_len = 0;
    unsigned char *bin = upl_malloc(cap + 1);
    char *plain = NULL;
    int rc;
    *out = NULL;
    UPL_FAIL_IF(!bin, err, UPL_ENOMEM, "out of memory");
    UPL_FAIL_IF(sodium_base642bin(bin, cap + 1, b64, cap, NULL, &bin_len, NULL,
                                  sodium_base64_VARIANT_ORIGINAL) != 0 ||
                bin_len < crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + crypto_aead_xchacha20poly1305_ietf_ABYTES,
                err, UPL_ECORRUPT, "encrypted %s value is damaged", context);
    plain = upl_malloc(bin_len + 1);
    UPL_FAIL_IF(!plain, err, UPL_ENOMEM, "out of memory");
    unsigned long long plen = 0;
    UPL_FAIL_IF(crypto_aead_xchacha20poly1305_ietf_decrypt(
                    (unsigned char *)plain, &plen, NULL, bin + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
                    bin_len - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, (const unsigned char *)context,
                    strlen(context), bin, r->key_aead) != 0,
                err, UPL_ECORRUPT, "encrypted %s value fails authentication (wrong key or tampered)", context);
    plain[plen] = 0;
    if (len) *len = (size_t)plen;
    upl_free(bin);
    *out = plain;
    return UPL_OK;
fail:
    upl_free(bin);
    upl_free(plain);
    return rc;
}

void upl_reg_blind(const upl_registry *r, const char *person18, char *buf) {
    unsigned char h[16];
    crypto_generichash(h, sizeof h, (const unsigned char *)person18, strlen(person18), r->key_blind,
                       sizeof r->key_blind);
    sodium_bin2hex(buf, 33, h, sizeof h);
}

char *upl_reg_mask_digits(const char *s) {
    size_t n = strlen(s);
    char *m = upl_malloc(n + 1);
    if (!m) return NULL;
    for (size_t i = 0; i < n; i++) m[i] = (n <= 7 || i < 3 || i + 4 >= n) ? s[i] : '*';
    if (n <= 7) for (size_t i = 0; i + 2 < n; i++) m[i] = '*';
    m[n] = 0;
    return m;
}

int upl_reg_sha256_file(const char *path, char *buf, upl_error *err) {
    FILE *f = fopen(path, "rb");
    if (!f) return upl_error_at(err, errno == ENOENT ? UPL_ENOTFOUND : UPL_EIO, path, 0, 0, NULL,
                                "cannot open: %s", strerror(errno));
    crypto_hash_sha256_state stt;
    crypto_hash_sha256_init(&stt);
    unsigned char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) crypto_hash_sha256_update(&stt, chunk, n);
    int bad = ferror(f);
    fclose(f);
    if (bad) return upl_error_at(err, UPL_EIO, path, 0, 0, NULL, "read error");
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&stt, h);
    sodium_bin2hex(buf, 65, h, sizeof h);
    return UPL_OK;
}

int upl_reg_load_key(upl_registry *r, const char *path, bool create, upl_error *err) {
    unsigned char master[UPL_KEY_BYTES];
    char hex[2 * UPL_KEY_BYTES + 2];
    int rc = UPL_OK;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && create) {
        randombytes_buf(master, sizeof master);
        sodium_bin2hex(hex, sizeof hex, master, sizeof master);
        size_t hl = strlen(hex);
        hex[hl++] = '\n';
        int wfd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (wfd < 0) return upl_error_at(err, UPL_EIO, path, 0, 0, NULL, "cannot create key file: %s", strerror(errno));
        bool ok = write(wfd, hex, hl) == (ssize_t)hl && fsync(wfd) == 0;
        ok = (close(wfd) == 0) && ok;
        if (!ok) { unlink(path); return upl_error_at(err, UPL_EIO, path, 0, 0, NULL, "cannot write key file"); }
        r->key_created = upl_strdup(path);
        if (!r->key_created) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto done; }
    } else {
        if (fd < 0)
            return upl_error_at(err, errno == ENOENT ? UPL_ENOTFOUND : UPL_EIO, path, 0, 0, NULL,
                                "cannot open key file: %s (give --key-file or set UPLIFT_KEY_FILE)",
                                strerror(errno));
        struct stat sb;
        if (fstat(fd, &sb) == 0 && (sb.st_mode & 077)) {
            close(fd);
            return upl_error_at(err, UPL_EAUTH, path, 0, 0, NULL,
                                "key file is readable by group or others; run chmod 600");
        }
        ssize_t n = read(fd, hex, sizeof hex - 1);
        close(fd);
        size_t bin_len = 0;
        if (n < 2 * UPL_KEY_BYTES) return upl_error_at(err, UPL_ECORRUPT, path, 0, 0, NULL, "key file is too short");
        hex[n] = 0;
        if (sodium_hex2bin(master, sizeof master, hex, (size_t)n, "\n\r ", &bin_len, NULL) != 0 ||
            bin_len != UPL_KEY_BYTES)
            return upl_error_at(err, UPL_ECORRUPT, path, 0, 0, NULL, "key file must hold 64 hex digits");
    }
    crypto_kdf_derive_from_key(r->key_aead, UPL_KEY_BYTES, 1, kdf_ctx, master);
    crypto_kdf_derive_from_key(r->key_blind, UPL_KEY_BYTES, 2, kdf_ctx, master);
    crypto_kdf_derive_from_key(r->key_audit, UPL_KEY_BYTES, 3, kdf_ctx, master);
done:
    sodium_memzero(master, sizeof master);
    sodium_memzero(hex, sizeof hex);
    return rc;
}

/* The keyed check value proves the key file belongs to this registry. */
static int check_key(upl_registry *r, upl_error *err) {
    int rc;
    unsigned char master_check[16];
    char hex[33];
    char *stored = NULL;
    crypto_generichash(master_check, sizeof master_check, (const unsigned char *)"uplift key check", 16,
                       r->key_audit, sizeof r->key_audit);
    sodium_bin2hex(hex, sizeof hex, master_check, sizeof master_check);
    UPL_TRY(upl_db_query_text(r->db, "SELECT value FROM upl_meta WHERE key = 'key_check'", &stored, err, ""));
    if (!stored) {
        UPL_TRY(r->db->vt->begin(r->db, err));
        rc = upl_db_query_text(r->db, "SELECT value FROM upl_meta WHERE key = 'key_check'", &stored, err, "");
        if (rc == UPL_OK && !stored)
            rc = upl_db_run(r->db, "INSERT INTO upl_meta (key, value) VALUES ('key_check', ?)", err, "s", hex);
        if (rc == UPL_OK) rc = r->db->vt->commit(r->db, err);
        if (rc != UPL_OK) { r->db->vt->rollback(r->db); goto fail; }
    }
    if (stored && strcmp(stored, hex) != 0) {
        rc = upl_error_set(err, UPL_EAUTH, "the key file does not belong to this registry "
                                           "(IDs could not be decrypted or matched)");
        goto fail;
    }
    rc = UPL_OK;
fail:
    upl_free(stored);
    return rc;
}

void upl_registry_options_init(upl_registry_options *opt) {
    memset(opt, 0, sizeof *opt);
}

static bool is_pg_uri(const char *u) {
    return !strncmp(u, "postgresql://", 13) || !strncmp(u, "postgres://", 11);
}

int upl_registry_open(const char *uri, const upl_registry_options *opt_in, upl_registry **out,
                      upl_error *err) {
    int rc;
    upl_registry_options defaults;
    char *key_path = NULL;
    upl_registry *r = NULL;
    if (!opt_in) { upl_registry_options_init(&defaults); opt_in = &defaults; }
    *out = NULL;
    UPL_FAIL_IF(!uri || !*uri, err, UPL_EMISUSE, "no registry given (--db PATH or postgresql://...)");
    UPL_FAIL_IF(sodium_init() < 0, err, UPL_EUNSUPPORTED, "libsodium failed to initialise");
    r = upl_calloc(1, sizeof *r);
    UPL_FAIL_IF(!r, err, UPL_ENOMEM, "out of memory");
    r->uri = upl_strdup(uri);
    UPL_FAIL_IF(!r->uri, err, UPL_ENOMEM, "out of memory");
    const char *env = getenv("UPLIFT_KEY_FILE");
    bool pg = is_pg_uri(uri);
    const char *file = !strncmp(uri, "sqlite:", 7) ? uri + 7 : uri;
    if (opt_in->key_file) key_path = upl_strdup(opt_in->key_file);
    else if (env && *env) key_path = upl_strdup(env);
    else if (!pg) key_path = upl_asprintf("%s.key", file);
    else {
        rc = upl_error_set(err, UPL_EMISUSE, "a PostgreSQL registry needs a key file: give --key-file "
                                             "or set UPLIFT_KEY_FILE");
        goto fail;
    }
    UPL_FAIL_IF(!key_path, err, UPL_ENOMEM, "out of memory");
    if (pg) UPL_TRY(upl_pg_open(uri, &r->db, err));
    else UPL_TRY(upl_sqlite_open(file, &r->db, err));
    UPL_TRY(upl_reg_migrate(r, opt_in->no_migrate, err));
    {
        /* A new key only for a registry that has none yet: creating one for
         * an existing registry would only produce a second, useless key. */
        char *stored = NULL;
        UPL_TRY(upl_db_query_text(r->db, "SELECT value FROM upl_meta WHERE key = 'key_check'", &stored, err, ""));
        bool has_key = stored != NULL;
        upl_free(stored);
        UPL_TRY(upl_reg_load_key(r, key_path, opt_in->create_key && !has_key, err));
    }
    UPL_TRY(check_key(r, err));
    UPL_TRY(upl_registry_act_local(r, "local", err));
    upl_free(key_path);
    *out = r;
    return UPL_OK;
fail:
    upl_free(key_path);
    upl_registry_close(r);
    return rc;
}

void upl_registry_close(upl_registry *r) {
    if (!r) return;
    if (r->db) r->db->vt->close(r->db);
    sodium_memzero(r->key_aead, sizeof r->key_aead);
    sodium_memzero(r->key_blind, sizeof r->key_blind);
    sodium_memzero(r->key_audit, sizeof r->key_audit);
    upl_free(r->uri);
    upl_free(r->key_created);
    upl_free(r->actor);
    upl_free(r->scope);
    upl_free(r);
}

const char *upl_registry_backend(const upl_registry *r) { return r->db->vt->name; }
const char *upl_registry_key_created(const upl_registry *r) { return r->key_created; }
int upl_registry_schema_version(const upl_registry *r) { return r->schema_version; }

/* ---- checks and read-back ------------------------------------------------- */
int upl_registry_check(upl_registry *r, upl_error *err) {
    int rc;
    char *res = NULL;
    int64_t bad = 0;
    bool found = false;
    if (!strcmp(r->db->vt->name, "sqlite")) {
        UPL_TRY(upl_db_query_text(r->db, "PRAGMA integrity_check", &res, err, ""));
        UPL_FAIL_IF(!res || strcmp(res, "ok") != 0, err, UPL_ECORRUPT, "integrity_check: %s",
                    res ? res : "(no answer)");
        upl_free(res); res = NULL;
        UPL_TRY(upl_db_query_i64(r->db, "SELECT COUNT(*) FROM pragma_foreign_key_check", &bad, &found, err, ""));
        UPL_FAIL_IF(bad != 0, err, UPL_ECORRUPT, "foreign_key_check: %lld violations", (long long)bad);
    }
    /* No household is half-imported: members of each household-wave match
     * its declared size, and every wave has at least its head. */
    UPL_TRY(upl_db_query_i64(r->db,
        "SELECT COUNT(*) FROM household_wave w WHERE w.household_size <>"
        " (SELECT COUNT(*) FROM member_wave m WHERE m.household_id = w.household_id AND m.wave = w.wave)",
        &bad, &found, err, ""));
    UPL_FAIL_IF(bad != 0, err, UPL_ECORRUPT,
                "%lld household waves whose member rows disagree with the declared size", (long long)bad);
    rc = UPL_OK;
fail:
    upl_free(res);
    return rc;
}

/* Scope filter: area_code LIKE prefix || '%' with the prefix bound. Codes are
 * digits only (checked on the way in), so LIKE wildcards cannot occur. */
int upl_reg_area_prefix(const upl_registry *r, const char *area, const char **prefix, upl_error *err) {
    *prefix = r->scope;
    if (!area || !*area) return UPL_OK;
    for (const char *q = area; *q; q++)
        if (*q < '0' || *q > '9' || q - area >= 12)
            return upl_error_set(err, UPL_EMISUSE, "area `%s` must be an area-code prefix (up to 12 digits)", area);
    /* The narrower of the scope and the requested prefix; disjoint is refused. */
    if (strncmp(area, r->scope, strlen(r->scope)) != 0 && strncmp(r->scope, area, strlen(area)) != 0)
        return upl_error_set(err, UPL_EAUTH, "area %s is outside your scope", area);
    if (strlen(area) > strlen(r->scope)) *prefix = area;
    return UPL_OK;
}

int upl_registry_members(upl_registry *r, int wave, const char *area, upl_table **out, upl_error *err) {
    int rc;
    upl_stmt *st = NULL;
    const char *prefix;
    *out = NULL;
    UPL_TRY(upl_reg_area_prefix(r, area, &prefix, err));
    UPL_TRY(r->db->vt->prepare(r->db,
        "SELECT h.household_code, h.area_code, h.head_name, w.wave, w.household_size,"
        " w.poverty_attribute, w.main_poverty_cause, w.other_poverty_causes, w.exit_status,"
        " w.household_type, w.monitoring_category, w.income_net, w.income_net_per_capita,"
        " m.person_code, m.name, m.sex, m.id_masked, m.birth_date, mw.relation_to_head,"
        " mw.education_level, mw.school_status, mw.health_status, mw.labor_skill, mw.work_months,"
        " mw.receives_dibao"
        " FROM member_wave mw JOIN member m ON m.id = mw.member_id"
        " JOIN household h ON h.id = mw.household_id"
        " JOIN household_wave w ON w.household_id = mw.household_id AND w.wave = mw.wave"
        " WHERE mw.wave = ? AND h.area_code LIKE ?"
        " ORDER BY h.household_code, mw.relation_to_head <> '户主', m.id", &st, err));
    char *like = upl_asprintf("%s%%", prefix);
    UPL_FAIL_IF(!like, err, UPL_ENOMEM, "out of memory");
    rc = r->db->vt->bind_i64(st, 1, wave);
    if (!rc) rc = r->db->vt->bind_text(st, 2, like, (size_t)-1);
    upl_free(like);
    UPL_FAIL_IF(rc, err, rc, "bind failed");
    UPL_TRY(upl_db_to_table(r->db, st, "wave,household_size,income_net,income_net_per_capita,work_months,receives_dibao",
                            out, err));
fail:
    if (st) r->db->vt->finalize(st);
    return rc;
}

int upl_registry_find_id(upl_registry *r, const char *id_number, upl_table **out, upl_error *err) {
    int rc;
    upl_stmt *st = NULL;
    upl_id_result id;
    char blind[33];
    *out = NULL;
    upl_id_check(id_number, strlen(id_number), UPL_ID_ALLOW_15, 0, &id);
    UPL_FAIL_IF(id.status != UPL_ID_OK, err, UPL_EPARSE, "%s", upl_id_status_message(id.status));
    upl_reg_blind(r, id.person, blind);
    UPL_TRY(r->db->vt->prepare(r->db,
        "SELECT h.household_code, h.area_code, m.person_code, m.name, m.id_masked"
        " FROM member m JOIN household h ON h.id = m.household_id"
        " WHERE m.id_blind = ? AND h.area_code LIKE ? ORDER BY h.household_code", &st, err));
    char *like = upl_asprintf("%s%%", r->scope);
    UPL_FAIL_IF(!like, err, UPL_ENOMEM, "out of memory");
    rc = r->db->vt->bind_text(st, 1, blind, (size_t)-1);
    if (!rc) rc = r->db->vt->bind_text(st, 2, like, (size_t)-1);
    upl_free(like);
    UPL_FAIL_IF(rc, err, rc, "bind failed");
    UPL_TRY(upl_db_to_table(r->db, st, "", out, err));
    /* Lookups by ID are audited (ASVS 16.3.2): who looked for whom. */
    UPL_TRY(r->db->vt->begin(r->db, err));
    rc = upl_reg_audit(r, "id.lookup", id.masked, NULL, NULL, err);
    if (!rc) rc = r->db->vt->commit(r->db, err);
    if (rc) r->db->vt->rollback(r->db);
fail:
    if (st) r->db->vt->finalize(st);
    if (rc) { upl_table_free(*out); *out = NULL; }
    return rc;
}

int upl_registry_conflicts(upl_registry *r, upl_table **out, upl_error *err) {
    int rc;
    upl_stmt *st = NULL;
    *out = NULL;
    /* A conflict is visible to an actor whose scope covers either side. */
    UPL_TRY(r->db->vt->prepare(r->db,
        "SELECT id, kind, id_masked, household_a, household_b, area_a, area_b, escalate_to, status"
        " FROM conflict WHERE (area_a LIKE ? OR area_b LIKE ?) ORDER BY id", &st, err));
    char *like = upl_asprintf("%s%%", r->scope);
    UPL_FAIL_IF(!like, err, UPL_ENOMEM, "out of memory");
    rc = r->db->vt->bind_text(st, 1, like, (size_t)-1);
    if (!rc) rc = r->db->vt->bind_text(st, 2, like, (size_t)-1);
    upl_free(like);
    UPL_FAIL_IF(rc, err, rc, "bind failed");
    UPL_TRY(upl_db_to_table(r->db, st, "id", out, err));
fail:
    if (st) r->db->vt->finalize(st);
    return rc;
}

int upl_registry_stats(upl_registry *r, upl_table **out, upl_error *err) {
    int rc;
    upl_stmt *st = NULL;
    *out = NULL;
    UPL_TRY(r->db->vt->prepare(r->db,
        "SELECT (SELECT COUNT(*) FROM household WHERE area_code LIKE ?1) AS households,"
        " (SELECT COUNT(*) FROM member m JOIN household h ON h.id = m.household_id"
        "  WHERE h.area_code LIKE ?1) AS members,"
        " (SELECT COUNT(DISTINCT wave) FROM household_wave) AS waves,"
        " (SELECT COUNT(*) FROM conflict WHERE status = 'open' AND (area_a LIKE ?1 OR area_b LIKE ?1)) AS conflicts,"
        " (SELECT COUNT(*) FROM quarantine WHERE status = 'open' AND area_code LIKE ?1) AS quarantined_rows,"
        " (SELECT COUNT(*) FROM import_file) AS imports,"
        " (SELECT COUNT(*) FROM audit_log) AS audit_rows", &st, err));
    char *like = upl_asprintf("%s%%", r->scope);
    UPL_FAIL_IF(!like, err, UPL_ENOMEM, "out of memory");
    rc = r->db->vt->bind_text(st, 1, like, (size_t)-1);
    upl_free(like);
    UPL_FAIL_IF(rc, err, rc, "bind failed");
    UPL_TRY(upl_db_to_table(r->db, st, "households,members,waves,conflicts,quarantined_rows,imports,audit_rows",
                            out, err));
fail:
    if (st) r->db->vt->finalize(st);
    return rc;
}
