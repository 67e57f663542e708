/* registry_idnum.c — resident ID numbers (居民身份证号码, GB 11643-1999).
 *
 * Normalisation first (RELIABILITY.md §5 item 4): full-width digits and X,
 * lower-case x, blanks of any kind (space, tab, NBSP, U+3000, zero-width
 * characters, BOM) and one leading apostrophe (Excel's "text" marker) are
 * removed or folded; anything else is an error, never guessed.
 *
 * Then Excel damage (item 3) is recognised and refused, never repaired: an
 * exponent form (1.10105E+17), a decimal tail ("…21.0"), or 18 digits
 * ending in "000" that fail the check (Excel keeps 15 significant digits).
 *
 * Then validation (§4.2): length 18 (or 15 legacy, or 20/22 for disability
 * certificates = the 18-character ID plus category 1–7 and grade 1–4, with
 * an optional "B<n>" reissue suffix [suffix layout from memory]); province
 * per GB/T 2260; a real birth date not in the future; the ISO 7064 MOD 11-2
 * check character with weights 2^(17-i) mod 11. 15-digit numbers become 18
 * by inserting "19" and computing the check (flagged). */
#include <string.h>
#include <stdio.h>
#include "uplift/registry.h"

static const int id_weights[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
static const char id_check_chars[11] = { '1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2' };

char upl_id_check_char(const char *d) {
    int s = 0;
    if (!d) return 0;
    for (int i = 0; i < 17; i++) {
        if (d[i] < '0' || d[i] > '9') return 0;
        s += (d[i] - '0') * id_weights[i];
    }
    return id_check_chars[s % 11];
}

/* GB/T 2260 province-level codes (incl. 71 Taiwan, 81 Hong Kong, 82 Macau). */
static bool province_ok(int p) {
    static const int codes[] = { 11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37,
                                 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64,
                                 65, 71, 81, 82 };
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (codes[i] == p) return true;
    return false;
}

static bool date_ok(int y, int m, int d) {
    static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (y < 1800 || m < 1 || m > 12 || d < 1) return false;
    int md = mdays[m - 1];
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) md = 29;
    return d <= md;
}

static int num(const char *s, int n) {
    int v = 0;
    for (int i = 0; i < n; i++) v = v * 10 + (s[i] - '0');
    return v;
}

/* Decode one UTF-8 code point; returns bytes used (0 on malformed). */
static size_t utf8_next(const unsigned char *s, size_t len, unsigned *cp) {
    if (len == 0) return 0;
    unsigned c = s[0];
    if (c < 0x80) { *cp = c; return 1; }
    if ((c & 0xE0) == 0xC0 && len >= 2 && (s[1] & 0xC0) == 0x80) {
        *cp = ((c & 0x1F) << 6) | (s[1] & 0x3F);
        return *cp >= 0x80 ? 2 : 0;
    }
    if ((c & 0xF0) == 0xE0 && len >= 3 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80) {
        *cp = ((c & 0x0F) << 12) | ((s[1] & 0x3F) << 6) | (s[2] & 0x3F);
        return *cp >= 0x800 ? 3 : 0;
    }
    if ((c & 0xF8) == 0xF0 && len >= 4 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80 &&
        (s[3] & 0xC0) == 0x80) {
        *cp = ((c & 0x07) << 18) | ((s[1] & 0x3F) << 12) | ((s[2] & 0x3F) << 6) | (s[3] & 0x3F);
        return *cp >= 0x10000 ? 4 : 0;
    }
    return 0;
}

static bool is_blank_cp(unsigned cp) {
    return cp == ' ' || cp == '\t' || cp == '\r' || cp == '\n' || cp == 0xA0 || cp == 0x3000 ||
           cp == 0x200B || cp == 0x200C || cp == 0x200D || cp == 0x2060 || cp == 0xFEFF ||
           cp == 0x202F || cp == 0x2007;
}

/* Excel's damage: exponent or decimal forms of a long number. */
static bool looks_numeric_float(const char *s, size_t n) {
    bool has_digit = false, has_mark = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') has_digit = true;
        else if (c == '.' || c == 'E' || c == 'e' || c == '+' || c == '-') has_mark = true;
        else return false;
    }
    return has_digit && has_mark;
}

static void make_mask(const char *id, size_t n, char *out) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) out[k++] = (i < 6 || i + 4 >= n) ? id[i] : '*';
    out[k] = 0;
}

int upl_id_check(const char *text, size_t len, unsigned options, int today, upl_id_result *out) {
    char buf[64];
    size_t n = 0;
    bool changed = false, overflow = false, bad_char = false;
    const unsigned char *s = (const unsigned char *)text;
    memset(out, 0, sizeof *out);
    if (!text) len = 0;
    /* One leading apostrophe (ASCII or typographic) marks text in Excel. */
    size_t i = 0;
    while (i < len) {   /* leading blanks before the apostrophe */
        unsigned cp; size_t k = utf8_next(s + i, len - i, &cp);
        if (k == 0 || !is_blank_cp(cp)) break;
        i += k; changed = true;
    }
    if (i < len && s[i] == '\'') { i++; changed = true; }
    else if (len - i >= 3 && s[i] == 0xE2 && s[i + 1] == 0x80 && (s[i + 2] == 0x98 || s[i + 2] == 0x99)) {
        i += 3; changed = true;
    }
    while (i < len) {
        unsigned cp;
        size_t k = utf8_next(s + i, len - i, &cp);
        if (k == 0) { bad_char = true; break; }
        i += k;
        char c;
        if (is_blank_cp(cp)) { changed = true; continue; }
        if (cp >= 0xFF10 && cp <= 0xFF19) { c = (char)('0' + (cp - 0xFF10)); changed = true; }
        else if (cp == 0xFF38 || cp == 0xFF58) { c = 'X'; changed = true; }
        else if (cp == 'x') { c = 'X'; changed = true; }
        else if (cp == 0xFF0E) { c = '.'; changed = true; }
        else if (cp == 0xFF2B || cp == 0xFF45) { c = 'E'; changed = true; }
        else if (cp == 0xFF0B) { c = '+'; changed = true; }
        else if (cp < 0x80) c = (char)cp;
        else { bad_char = true; break; }
        if (n + 1 >= sizeof buf) { overflow = true; break; }
        buf[n++] = c;
    }
    buf[n] = 0;
    if (changed) out->flags |= UPL_IDF_NORMALISED;
    if (bad_char) return out->status = UPL_ID_BAD_CHAR;
    if (overflow) return out->status = UPL_ID_BAD_LENGTH;
    if (n == 0) return out->status = UPL_ID_EMPTY;
    if (looks_numeric_float(buf, n)) return out->status = UPL_ID_EXCEL_MANGLED;
    /* Allowed alphabet: digits, X only at position 18, and B in the 22-char suffix. */
    for (size_t j = 0; j < n; j++) {
        char c = buf[j];
        if (c >= '0' && c <= '9') continue;
        if (c == 'X' && j == 17) continue;
        if (c == 'X' && j == 14 && n == 15) continue;   /* judged below as a bad check */
        if (c == 'B' && n == 22 && j == 20) continue;
        return out->status = UPL_ID_BAD_CHAR;
    }
    char id18[19];
    if (n == 15) {
        for (size_t j = 0; j < 15; j++)
            if (buf[j] < '0' || buf[j] > '9') return out->status = UPL_ID_BAD_CHAR;
        if (!(options & UPL_ID_ALLOW_15)) return out->status = UPL_ID_LEGACY_REFUSED;
        memcpy(id18, buf, 6);
        id18[6] = '1'; id18[7] = '9';
        memcpy(id18 + 8, buf + 6, 9);
        id18[17] = upl_id_check_char(id18);
        id18[18] = 0;
        out->flags |= UPL_IDF_CONVERTED_15;
    } else if (n == 18 || n == 20 || n == 22) {
        memcpy(id18, buf, 18);
        id18[18] = 0;
        for (size_t j = 0; j < 17; j++)
            if (id18[j] < '0' || id18[j] > '9') return out->status = UPL_ID_BAD_CHAR;
    } else {
        return out->status = UPL_ID_BAD_LENGTH;
    }
    /* Excel's 15 significant digits: an 18-digit number whose tail was
     * zeroed and that fails the check. Judged before anything else so the
     * operator gets the right hint. */
    if (n == 18 && memcmp(id18 + 15, "000", 3) == 0 && upl_id_check_char(id18) != '0')
        return out->status = UPL_ID_EXCEL_MANGLED;
    out->province = num(id18, 2);
    out->birth_year = num(id18 + 6, 4);
    out->birth_month = num(id18 + 10, 2);
    out->birth_day = num(id18 + 12, 2);
    out->sex = ((id18[16] - '0') % 2) ? 1 : 2;
    memcpy(out->person, id18, 19);
    if (n == 15) memcpy(out->normalised, id18, 19);
    else memcpy(out->normalised, buf, n + 1);
    make_mask(out->normalised, strlen(out->normalised), out->masked);
    if (!province_ok(out->province)) return out->status = UPL_ID_BAD_PROVINCE;
    if (!date_ok(out->birth_year, out->birth_month, out->birth_day))
        return out->status = UPL_ID_BAD_DATE;
    if (today > 0 && out->birth_year * 10000 + out->birth_month * 100 + out->birth_day > today)
        return out->status = UPL_ID_BAD_DATE;
    if (upl_id_check_char(id18) != id18[17]) return out->status = UPL_ID_BAD_CHECK;
    if (n == 20 || n == 22) {
        out->flags |= UPL_IDF_DISABILITY;
        /* category 1..7 (视力 听力 言语 肢体 智力 精神 多重), grade 1..4 */
        if (buf[18] < '1' || buf[18] > '7' || buf[19] < '1' || buf[19] > '4')
            return out->status = UPL_ID_BAD_SUFFIX;
        if (n == 22 && (buf[20] != 'B' || buf[21] < '1' || buf[21] > '9'))
            return out->status = UPL_ID_BAD_SUFFIX;
    }
    return out->status = UPL_ID_OK;
}

const char *upl_id_status_name(int st) {
    static const char *names[UPL_ID_STATUS_COUNT_] = {
        "ID_OK", "ID_EMPTY", "ID_EXCEL_MANGLED", "ID_BAD_CHAR", "ID_BAD_LENGTH",
        "ID_BAD_CHECK", "ID_BAD_DATE", "ID_BAD_PROVINCE", "ID_BAD_SUFFIX", "ID_LEGACY_REFUSED"
    };
    return (st >= 0 && st < UPL_ID_STATUS_COUNT_) ? names[st] : "ID_UNKNOWN";
}

const char *upl_id_status_message(int st) {
    switch (st) {
    case UPL_ID_OK: return "valid / 有效";
    case UPL_ID_EMPTY: return "ID number is empty / 证件号码为空";
    case UPL_ID_EXCEL_MANGLED:
        return "ID number was damaged by a spreadsheet (exponent form or zeroed last digits); "
               "format the column as Text and re-export / 证件号码被表格软件改写（科学计数法或末位变0），"
               "请将该列设为文本格式后重新导出";
    case UPL_ID_BAD_CHAR: return "ID number contains characters other than digits and a final X / 证件号码含有非法字符";
    case UPL_ID_BAD_LENGTH: return "ID number must have 18 characters (15 legacy, 20/22 disability certificate) / 证件号码位数错误";
    case UPL_ID_BAD_CHECK: return "ID number check character does not match (GB 11643 MOD 11-2) / 证件号码校验位错误";
    case UPL_ID_BAD_DATE: return "birth date inside the ID number does not exist or is in the future / 证件号码中的出生日期无效";
    case UPL_ID_BAD_PROVINCE: return "ID number does not start with a province code (GB/T 2260) / 证件号码省级行政区划代码无效";
    case UPL_ID_BAD_SUFFIX: return "disability certificate number: category 1-7 and grade 1-4 expected after the ID / 残疾人证号类别或等级无效";
    case UPL_ID_LEGACY_REFUSED: return "15-digit legacy ID number not accepted by policy / 不接受15位旧身份证号";
    default: return "unknown ID verdict";
    }
}
