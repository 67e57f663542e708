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
 * bytes at a time (SSE2), CJK three-byte sequences take a short path. */
size_t upl__utf8_invalid_at(const char *str, size_t len) {
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
