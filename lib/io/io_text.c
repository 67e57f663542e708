/* io_text.c — bytes to trusted UTF-8 text: reading files, strict UTF-8
 * validation, iconv decoding (GB18030/GBK and others), and the identifier
 * checks readers apply to ID columns (GB 11643-1999 check character,
 * Excel-mangled forms; RELIABILITY.md §4.2 and §5 items 1 and 3). */
#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif
#include "uplift/io.h"
#include "reader_int.h"

int upl__read_file(const char *path, uint64_t max_bytes, char **out, size_t *len, upl_error *err) {
    int rc = UPL_OK;
    char *buf = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return upl_error_at(err, errno == ENOENT ? UPL_ENOTFOUND : UPL_EIO, path, 0, 0, NULL,
                            "cannot open: %s", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) { rc = upl_error_at(err, UPL_EIO, path, 0, 0, NULL, "cannot stat: %s", strerror(errno)); goto fail; }
    if (!S_ISREG(st.st_mode)) { rc = upl_error_at(err, UPL_EIO, path, 0, 0, NULL, "not a regular file"); goto fail; }
    size_t size = (size_t)st.st_size;
    if (max_bytes && (uint64_t)st.st_size > max_bytes) {
        rc = upl_error_at(err, UPL_ELIMIT, path, 0, 0, NULL,
                          "file is %llu bytes, more than the limit of %llu (文件超过大小上限)",
                          (unsigned long long)st.st_size, (unsigned long long)max_bytes);
        goto fail;
    }
    buf = upl_malloc(size + UPL_IO_PAD);
    if (!buf) { rc = upl_error_at(err, UPL_ENOMEM, path, 0, 0, NULL, "out of memory reading %zu bytes", size); goto fail; }
    size_t got = 0;
    while (got < size) {
        ssize_t r = read(fd, buf + got, size - got > ((size_t)1 << 30) ? ((size_t)1 << 30) : size - got);
        if (r < 0) {
            if (errno == EINTR) continue;
            rc = upl_error_at(err, UPL_EIO, path, 0, 0, NULL, "read failed: %s", strerror(errno));
            goto fail;
        }
        if (r == 0) break;
        got += (size_t)r;
    }
    memset(buf + got, 0, UPL_IO_PAD);
    *out = buf;
    *len = got;
    buf = NULL;
fail:
    upl_free(buf);
    close(fd);
    return rc;
}

int upl__map_file(const char *path, uint64_t max_bytes, char **out, size_t *len, size_t *map_len, upl_error *err) {
    int rc = UPL_OK;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return upl_error_at(err, errno == ENOENT ? UPL_ENOTFOUND : UPL_EIO, path, 0, 0, NULL,
                            "cannot open: %s", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
        close(fd);   /* pipes, devices, empty files: plain read */
        *map_len = 0;
        return upl__read_file(path, max_bytes, out, len, err);
    }
    if (max_bytes && (uint64_t)st.st_size > max_bytes) {
        rc = upl_error_at(err, UPL_ELIMIT, path, 0, 0, NULL,
                          "file is %llu bytes, more than the limit of %llu (文件超过大小上限)",
                          (unsigned long long)st.st_size, (unsigned long long)max_bytes);
        goto fail;
    }
    size_t size = (size_t)st.st_size, page = (size_t)sysconf(_SC_PAGESIZE);
    size_t total = (size + UPL_IO_PAD + page - 1) / page * page;
    /* Reserve zero pages for the file plus padding, then map the file over
     * the front: bytes after the end of the file read as zero. */
    void *base = mmap(NULL, total, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) { rc = upl_error_at(err, UPL_ENOMEM, path, 0, 0, NULL, "cannot map %zu bytes", size); goto fail; }
    void *m = mmap(base, size, PROT_READ, MAP_PRIVATE | MAP_FIXED | MAP_POPULATE, fd, 0);
    if (m == MAP_FAILED) {
        munmap(base, total);
        rc = upl_error_at(err, UPL_EIO, path, 0, 0, NULL, "cannot map: %s", strerror(errno));
        goto fail;
    }
    madvise(base, size, MADV_SEQUENTIAL);
    *out = base;
    *len = size;
    *map_len = total;
fail:
    close(fd);
    return rc;
}

void upl__unmap_file(char *buf, size_t map_len) {
    if (!buf) return;
    if (map_len) munmap(buf, map_len);
    else upl_free(buf);
}

/* Strict UTF-8 (Unicode table 3-7 / RFC 3629): ASCII runs are skipped 16
 * bytes at a time (SSE2), CJK three-byte sequences take a short path. The
 * reference: the vector check below only ever decides "all valid", and
 * every position it reports comes from here. */
size_t upl__utf8_invalid_at_scalar(const char *str, size_t len) {
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        if (c < 0x80) {   /* ASCII run: 16 bytes at a time, then byte by byte */
#ifdef __SSE2__
            while (i + 16 <= len && !_mm_movemask_epi8(_mm_loadu_si128((const __m128i *)(const void *)(s + i)))) i += 16;
#endif
            while (i < len && s[i] < 0x80) i++;
            continue;
        }
        /* Three-byte sequences without extra range rules (E1-EC, EE-EF): all of CJK. */
        if (c >= 0xE1 && c <= 0xEF && c != 0xED) {
            if (i + 2 >= len || (s[i + 1] & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80) return i;
            i += 3;
            continue;
        }
        size_t n;
        unsigned lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) n = 1;
        else if (c == 0xE0) { n = 2; lo = 0xA0; }
        else if (c == 0xED) { n = 2; hi = 0x9F; }
        else if (c == 0xF0) { n = 3; lo = 0x90; }
        else if (c >= 0xF1 && c <= 0xF3) n = 3;
        else if (c == 0xF4) { n = 3; hi = 0x8F; }
        else return i;
        if (i + n >= len) return i;
        if (s[i + 1] < lo || s[i + 1] > hi) return i;
        for (size_t k = 2; k <= n; k++) if ((s[i + k] & 0xC0) != 0x80) return i;
        i += n + 1;
    }
    return len;
}

#if defined(__x86_64__) && defined(__GNUC__)
/* AVX2 check, the "lookup" algorithm of Keiser and Lemire ("Validating
 * UTF-8 in less than one instruction per byte", Software: Practice and
 * Experience 51(5), 2021; as in simdjson and simdutf). Each byte is
 * classified together with the byte before it by three 16-entry table
 * lookups (high nibble of the previous byte, its low nibble, high nibble
 * of this byte); the AND of the three is non-zero exactly for the bad
 * two-byte patterns (too short, too long, overlong, surrogate, above
 * U+10FFFF, stray continuation), and a third or fourth continuation byte
 * is checked against the lead two or three bytes back. The file is checked
 * in segments that start where a character starts; a segment that fails
 * is handed to the scalar check from its start, which finds the exact
 * offset (everything before it is valid, so the answer is the same as a
 * scalar check of the whole text). */
enum {
    U8_TOO_SHORT = 1 << 0, U8_TOO_LONG = 1 << 1, U8_OVERLONG_3 = 1 << 2, U8_TOO_LARGE = 1 << 3,
    U8_SURROGATE = 1 << 4, U8_OVERLONG_2 = 1 << 5, U8_TOO_LARGE_1000 = 1 << 6, U8_OVERLONG_4 = 1 << 6,
    U8_TWO_CONTS = 1 << 7, U8_CARRY = U8_TOO_SHORT | U8_TOO_LONG | U8_TWO_CONTS
};
#define U8_T16(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p) \
    _mm256_setr_epi8((char)(a), (char)(b), (char)(c), (char)(d), (char)(e), (char)(f), (char)(g), (char)(h), \
                     (char)(i), (char)(j), (char)(k), (char)(l), (char)(m), (char)(n), (char)(o), (char)(p), \
                     (char)(a), (char)(b), (char)(c), (char)(d), (char)(e), (char)(f), (char)(g), (char)(h), \
                     (char)(i), (char)(j), (char)(k), (char)(l), (char)(m), (char)(n), (char)(o), (char)(p))
/* The 32 bytes ending n bytes before the end of `in` (n = 1..3), taking the
 * first n from the end of `prev`. */
#define U8_PREV(in, prev, n) _mm256_alignr_epi8((in), _mm256_permute2x128_si256((prev), (in), 0x21), 16 - (n))

typedef struct u8v { __m256i err, prev, prev_incomplete; } u8v;

__attribute__((target("avx2"))) static inline void u8v_block(u8v *st, __m256i in) {
    if (!_mm256_movemask_epi8(in)) {   /* all ASCII: only a sequence left open before it is an error */
        st->err = _mm256_or_si256(st->err, st->prev_incomplete);
        st->prev = in;
        st->prev_incomplete = _mm256_setzero_si256();
        return;
    }
    const __m256i lo4 = _mm256_set1_epi8(0x0F);
    const __m256i b1h = U8_T16(U8_TOO_LONG, U8_TOO_LONG, U8_TOO_LONG, U8_TOO_LONG,
                               U8_TOO_LONG, U8_TOO_LONG, U8_TOO_LONG, U8_TOO_LONG,
                               U8_TWO_CONTS, U8_TWO_CONTS, U8_TWO_CONTS, U8_TWO_CONTS,
                               U8_TOO_SHORT | U8_OVERLONG_2, U8_TOO_SHORT,
                               U8_TOO_SHORT | U8_OVERLONG_3 | U8_SURROGATE,
                               U8_TOO_SHORT | U8_TOO_LARGE | U8_TOO_LARGE_1000 | U8_OVERLONG_4);
    const __m256i b1l = U8_T16(U8_CARRY | U8_OVERLONG_3 | U8_OVERLONG_2 | U8_OVERLONG_4, U8_CARRY | U8_OVERLONG_2,
                               U8_CARRY, U8_CARRY, U8_CARRY | U8_TOO_LARGE,
                               U8_CARRY | U8_TOO_LARGE | U8_TOO_LARGE_1000, U8_CARRY | U8_TOO_LARGE | U8_TOO_LARGE_1000,
                               U8_CARRY | U8_TOO_LARGE | U8_TOO_LARGE_1000, U8_CARRY | U8_TOO_LARGE | U8_TOO_LARGE_1000,
                               U8_CARRY | U8_TOO_LARGE | U8_TOO_LARGE_1000, U8_CARRY | U8_TOO_LARGE | U8_TOO_LARGE_1000,
                               U8_CARRY | U8_TOO_LARGE | U8_TOO_LARGE_1000, U8_CARRY | U8_TOO_LARGE | U8_TOO_LARGE_1000,
                               U8_CARRY | U8_TOO_LARGE | U8_TOO_LARGE_1000 | U8_SURROGATE,
                               U8_CARRY | U8_TOO_LARGE | U8_TOO_LARGE_1000, U8_CARRY | U8_TOO_LARGE | U8_TOO_LARGE_1000);
    const __m256i b2h = U8_T16(U8_TOO_SHORT, U8_TOO_SHORT, U8_TOO_SHORT, U8_TOO_SHORT,
                               U8_TOO_SHORT, U8_TOO_SHORT, U8_TOO_SHORT, U8_TOO_SHORT,
                               U8_TOO_LONG | U8_OVERLONG_2 | U8_TWO_CONTS | U8_OVERLONG_3 | U8_TOO_LARGE_1000 | U8_OVERLONG_4,
                               U8_TOO_LONG | U8_OVERLONG_2 | U8_TWO_CONTS | U8_OVERLONG_3 | U8_TOO_LARGE,
                               U8_TOO_LONG | U8_OVERLONG_2 | U8_TWO_CONTS | U8_SURROGATE | U8_TOO_LARGE,
                               U8_TOO_LONG | U8_OVERLONG_2 | U8_TWO_CONTS | U8_SURROGATE | U8_TOO_LARGE,
                               U8_TOO_SHORT, U8_TOO_SHORT, U8_TOO_SHORT, U8_TOO_SHORT);
    __m256i prev1 = U8_PREV(in, st->prev, 1);
    __m256i sc = _mm256_and_si256(
        _mm256_and_si256(_mm256_shuffle_epi8(b1h, _mm256_and_si256(_mm256_srli_epi16(prev1, 4), lo4)),
                         _mm256_shuffle_epi8(b1l, _mm256_and_si256(prev1, lo4))),
        _mm256_shuffle_epi8(b2h, _mm256_and_si256(_mm256_srli_epi16(in, 4), lo4)));
    /* A byte two after a lead >= E0 or three after a lead >= F0 must be a
     * continuation: exactly the bytes sc marks TWO_CONTS (0x80) there. */
    __m256i prev2 = U8_PREV(in, st->prev, 2), prev3 = U8_PREV(in, st->prev, 3);
    __m256i must23 = _mm256_or_si256(_mm256_subs_epu8(prev2, _mm256_set1_epi8((char)(0xE0 - 0x80))),
                                     _mm256_subs_epu8(prev3, _mm256_set1_epi8((char)(0xF0 - 0x80))));
    __m256i must23_80 = _mm256_and_si256(must23, _mm256_set1_epi8((char)0x80));
    st->err = _mm256_or_si256(st->err, _mm256_xor_si256(must23_80, sc));
    /* Open at the end of the block: a lead in the last byte (>= C0), last two (>= E0) or last three (>= F0). */
    const __m256i max = _mm256_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                         -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                         (char)(0xF0 - 1), (char)(0xE0 - 1), (char)(0xC0 - 1));
    st->prev_incomplete = _mm256_subs_epu8(in, max);
    st->prev = in;
}

/* Whether s[0, len) is strict UTF-8 on its own (complete at both ends). */
__attribute__((target("avx2"))) static bool u8v_valid(const unsigned char *s, size_t len) {
    u8v st = { _mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256() };
    size_t i = 0;
    for (; i + 64 <= len; i += 64) {
        u8v_block(&st, _mm256_loadu_si256((const __m256i *)(const void *)(s + i)));
        u8v_block(&st, _mm256_loadu_si256((const __m256i *)(const void *)(s + i + 32)));
    }
    for (; i + 32 <= len; i += 32) u8v_block(&st, _mm256_loadu_si256((const __m256i *)(const void *)(s + i)));
    if (i < len) {   /* the tail, zero-filled to a full block (zeros are ASCII) */
        unsigned char tail[32] = { 0 };
        memcpy(tail, s + i, len - i);
        u8v_block(&st, _mm256_loadu_si256((const __m256i *)(const void *)tail));
    }
    st.err = _mm256_or_si256(st.err, st.prev_incomplete);
    return _mm256_testz_si256(st.err, st.err);
}

#define U8_SEGMENT ((size_t)1 << 16)

__attribute__((target("avx2"))) size_t upl__utf8_invalid_at_avx2(const char *str, size_t len) {
    const unsigned char *s = (const unsigned char *)str;
    size_t a = 0;
    while (a < len) {
        size_t z = len - a > U8_SEGMENT ? a + U8_SEGMENT : len;
        /* End the segment where a character starts (at most 3 steps; a
         * longer run of continuation bytes is an error the next segment
         * reports from its first byte). */
        for (int k = 0; k < 3 && z < len && (s[z] & 0xC0) == 0x80; k++) z++;
        if (!u8v_valid(s + a, z - a)) return a + upl__utf8_invalid_at_scalar(str + a, len - a);
        a = z;
    }
    return len;
}

bool upl__utf8_avx2_available(void) {
    static int have = -1;   /* benign race: every thread computes the same value */
    if (have < 0) have = __builtin_cpu_supports("avx2") ? 1 : 0;
    return have == 1;
}
#else
size_t upl__utf8_invalid_at_avx2(const char *str, size_t len) { return upl__utf8_invalid_at_scalar(str, len); }
bool upl__utf8_avx2_available(void) { return false; }
#endif

size_t upl__utf8_invalid_at(const char *str, size_t len) {
    if (len >= 64 && upl__utf8_avx2_available()) return upl__utf8_invalid_at_avx2(str, len);
    return upl__utf8_invalid_at_scalar(str, len);
}

uint64_t upl__line_of_offset(const char *s, size_t off) {
    uint64_t line = 1;
    for (size_t i = 0; i < off; i++) {
        if (s[i] == '\n') line++;
        else if (s[i] == '\r' && (i + 1 >= off || s[i + 1] != '\n')) line++;
    }
    return line;
}

bool upl__encoding_is_auto(const char *enc) {
    return !enc || !*enc || !strcasecmp(enc, "auto");
}

bool upl__encoding_is_utf8(const char *enc) {
    return enc && (!strcasecmp(enc, "utf-8") || !strcasecmp(enc, "utf8"));
}

int upl__iconv_to_utf8(const char *path, const char *encoding, const char *in, size_t len,
                       char **out, size_t *out_len, upl_error *err) {
    int rc = UPL_OK;
    char *buf = NULL;
    iconv_t cd = iconv_open("UTF-8", encoding);
    if (cd == (iconv_t)-1)
        return upl_error_at(err, UPL_EUNSUPPORTED, path, 0, 0, NULL,
                            "unknown encoding `%s` (try utf-8, gb18030, gbk, big5, latin1)", encoding);
    /* GB18030 -> UTF-8 grows at most 3/2 (2-byte GBK -> 3 bytes); other
     * single-byte encodings at most 3x. Grow if ever needed. */
    size_t cap = len + len / 2 + 16;
    buf = upl_malloc(cap + UPL_IO_PAD);
    if (!buf) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory decoding `%s`", path); goto fail; }
    char *ip = (char *)(uintptr_t)in, *op = buf;
    size_t il = len, ol = cap;
    while (il > 0) {
        size_t r = iconv(cd, &ip, &il, &op, &ol);
        if (r != (size_t)-1) break;
        if (errno == E2BIG) {
            size_t used = (size_t)(op - buf);
            size_t ncap = cap * 2;
            char *nb = upl_realloc(buf, ncap + UPL_IO_PAD);
            if (!nb) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory decoding `%s`", path); goto fail; }
            buf = nb;
            op = buf + used;
            ol = ncap - used;
            cap = ncap;
            continue;
        }
        size_t at = (size_t)(ip - in);
        rc = upl_error_at(err, UPL_EENCODING, path, upl__line_of_offset(in, at), 0, NULL,
                          "byte %zu (0x%02X) is not valid %s%s; the file is neither UTF-8 nor %s — give its "
                          "encoding with --encoding (无法解码的字节，请用 --encoding 指定文件编码)",
                          at, (unsigned char)in[at], encoding, errno == EINVAL ? " (incomplete character at the end)" : "",
                          encoding);
        goto fail;
    }
    *out_len = (size_t)(op - buf);
    memset(op, 0, UPL_IO_PAD);
    *out = buf;
    buf = NULL;
fail:
    upl_free(buf);
    iconv_close(cd);
    return rc;
}

/* ---- Identifiers ------------------------------------------------------------ */
bool upl__id_check_ok(const char *s, size_t len) {
    static const int w[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
    static const char map[12] = "10X98765432";
    if (len != 18) return false;
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        sum += (s[i] - '0') * w[i];
    }
    char c = s[17] == 'x' ? 'X' : s[17];
    return map[sum % 11] == c;
}

bool upl__id_is_excel_mangled(const char *s, size_t len) {
    bool has_e = false;
    for (size_t i = 0; i < len; i++) if (s[i] == 'e' || s[i] == 'E') has_e = true;
    if (has_e && upl__is_f64_text(s, len)) return true;
    if (len == 18) {
        for (size_t i = 0; i < 18; i++) if (s[i] < '0' || s[i] > '9') return false;
        if (s[15] == '0' && s[16] == '0' && s[17] == '0' && !upl__id_check_ok(s, len)) return true;
    }
    return false;
}

static bool contains(const char *hay, const char *needle) { return strstr(hay, needle) != NULL; }
static bool ends_with(const char *s, const char *suf) {
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcasecmp(s + a - b, suf);
}

bool upl__name_is_person_id(const char *name) {
    static const char *const exact[] = { "id_number", "idnumber", "id_no", "idno", "id_card", "idcard",
                                         "national_id", "head_id_number", "id_card_number", "sfzh", "aab004" };
    for (size_t i = 0; i < sizeof exact / sizeof *exact; i++) if (!strcasecmp(name, exact[i])) return true;
    if (ends_with(name, "_id_number") || ends_with(name, "_id_card")) return true;
    return contains(name, "身份证") || contains(name, "证件号") || contains(name, "公民身份号码");
}

bool upl__name_is_code(const char *name) {
    static const char *const exact[] = { "id", "code", "phone", "mobile", "tel", "telephone", "bank_account",
                                         "account", "postcode", "zip", "area_code", "village_code" };
    for (size_t i = 0; i < sizeof exact / sizeof *exact; i++) if (!strcasecmp(name, exact[i])) return true;
    static const char *const suffix[] = { "_id", "_code", "_no", "_phone", "_account" };
    for (size_t i = 0; i < sizeof suffix / sizeof *suffix; i++) if (ends_with(name, suffix[i])) return true;
    static const char *const zh[] = { "编号", "编码", "代码", "号码", "电话", "手机", "账号", "卡号", "邮编" };
    for (size_t i = 0; i < sizeof zh / sizeof *zh; i++) if (contains(name, zh[i])) return true;
    return false;
}
