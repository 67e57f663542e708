/* reader_int.h — private to lib/io readers (csv_reader.c, stat_reader.c,
 * io_read.c, io_rejects.c, io_text.c): shared helpers for decoding text,
 * collecting rejected rows and writing the rejects file. */
#ifndef UPLIFT_READER_INT_H
#define UPLIFT_READER_INT_H

#include "uplift/io.h"

/* Bytes of zero padding after every file buffer, so vector loads near the
 * end never leave the allocation. */
#define UPL_IO_PAD 64

/* Read a whole file into a new buffer with UPL_IO_PAD zero bytes after it
 * (free with upl_free). max_bytes 0 = unlimited (else UPL_ELIMIT). */
int upl__read_file(const char *path, uint64_t max_bytes, char **out, size_t *len, upl_error *err);

/* Map a whole file read-only, followed by at least UPL_IO_PAD zero bytes
 * (*map_len > 0), or read it like upl__read_file (*map_len = 0). Release
 * with upl__unmap_file. */
int upl__map_file(const char *path, uint64_t max_bytes, char **out, size_t *len, size_t *map_len, upl_error *err);
void upl__unmap_file(char *buf, size_t map_len);

/* Offset of the first byte that is not strict UTF-8 (no overlongs, no
 * surrogates, nothing above U+10FFFF), or len when all valid. */
size_t upl__utf8_invalid_at(const char *s, size_t len);
/* The two ways it is computed (for tests): byte by byte, and AVX2 (call
 * only when upl__utf8_avx2_available(); else it is the scalar one). */
size_t upl__utf8_invalid_at_scalar(const char *s, size_t len);
size_t upl__utf8_invalid_at_avx2(const char *s, size_t len);
bool upl__utf8_avx2_available(void);
/* 1-based physical line of byte offset off (LF, CRLF and lone CR each end a line). */
uint64_t upl__line_of_offset(const char *s, size_t off);
/* Convert len bytes from `encoding` to UTF-8 with iconv into a new padded
 * buffer. On an undecodable byte: UPL_EENCODING naming file, line and byte. */
int upl__iconv_to_utf8(const char *path, const char *encoding, const char *in, size_t len,
                       char **out, size_t *out_len, upl_error *err);
/* Canonical name for an encoding option ("utf-8" -> "UTF-8", "gbk" -> "GBK"...);
 * true when it means UTF-8. */
bool upl__encoding_is_utf8(const char *enc);
/* True for encoding == NULL, "" or "auto". */
bool upl__encoding_is_auto(const char *enc);

/* Grammar check only (no conversion), as upl_parse_f64 accepts. */
bool upl__is_f64_text(const char *s, size_t len);

/* GB 11643-1999 check character test for an 18-character ID (ISO 7064 MOD 11-2). */
bool upl__id_check_ok(const char *s, size_t len);
/* Whether a column name means a personal ID number (身份证号...): such a
 * column stays text and Excel-mangled values are rejected. */
bool upl__name_is_person_id(const char *name);
/* Whether a column name means an identifier or code that must stay text
 * (household_id, area_code, 户编号, phone...). */
bool upl__name_is_code(const char *name);
/* ID_EXCEL_MANGLED test: scientific notation (1.10105E+17) or 18 digits
 * ending in 000 that fail the check character. */
bool upl__id_is_excel_mangled(const char *s, size_t len);

/* ---- Rejects ---------------------------------------------------------------- */
typedef struct upl_reject {
    uint64_t record;      /* 1-based data record number */
    uint64_t line;        /* 1-based physical line where the record starts */
    uint32_t column;      /* 1-based field index, 0 = whole row */
    uint16_t code;        /* enum upl_reject_code */
    const char *raw;      /* record text (borrowed from the decoded buffer) */
    size_t raw_len;
    const char *value;    /* offending field text (borrowed), or NULL */
    size_t value_len;
    const char *detail;   /* static extra text for the message, or NULL */
} upl_reject;

typedef struct upl_reject_list {
    upl_reject *items;
    size_t n, cap;
} upl_reject_list;

int upl__reject_push(upl_reject_list *l, const upl_reject *r);
void upl__reject_list_free(upl_reject_list *l);
/* Sort by record, then column (stable). */
void upl__reject_list_sort(upl_reject_list *l);
/* Count rows per code into the summary (rows_rejected, rejects_by_code). */
void upl__reject_count(const upl_reject_list *l, upl_read_summary *s);
/* Write the rejects CSV. col_names[i] names field i+1 (may be NULL). */
int upl__rejects_write(const char *path, const char *input_path, const upl_reject_list *l,
                       char *const *col_names, size_t n_cols, upl_error *err);
/* The bilingual message for a reject. Caller frees. */
char *upl__reject_message(const upl_reject *r);

/* Readers. */
int upl__csv_read(const char *path, const upl_read_options *opt, upl_table **out,
                  upl_read_summary *summary, upl_error *err);
int upl__stat_read(const char *path, upl_format fmt, const upl_read_options *opt, upl_table **out,
                   upl_read_summary *summary, upl_error *err);
/* Rejects path to use: opt->rejects_path, or "<path>.rejects.csv" (caller frees). */
char *upl__rejects_path(const char *path, const upl_read_options *opt);

#endif
