/* io.h — reading and writing tables.
 *
 * One entry point reads any supported file; the format is detected from the
 * first bytes (Stata .dta, SPSS .sav/.zsav, uplift snapshot .upl, else
 * delimited text). The contract, for every reader:
 *   - nothing is lost: every data row is either loaded into the table or
 *     written to the rejects file with its raw text and reasons;
 *   - a broken file (unterminated quote at end of file, a required column
 *     missing, undecodable bytes, a truncated binary file) is a file-level
 *     error before anything is returned;
 *   - missing is never zero; numbers are parsed exactly (correctly rounded)
 *     and strictly; text with leading zeros stays text byte for byte.
 *
 * Rejects file (CSV, UTF-8): file,line,record,column,field,code,message,raw
 *   line = physical line where the record starts; record = 1-based data
 *   record number; column = 1-based field index (0 = whole row); raw = the
 *   record's original text (decoded to UTF-8). */
#ifndef UPLIFT_IO_H
#define UPLIFT_IO_H

#include <stdio.h>
#include "defs.h"
#include "error.h"
#include "table.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum upl_format {
    UPL_FMT_AUTO = 0,
    UPL_FMT_CSV = 1,      /* delimited text: comma, tab, semicolon, pipe */
    UPL_FMT_DTA = 2,      /* Stata */
    UPL_FMT_SAV = 3,      /* SPSS */
    UPL_FMT_SNAPSHOT = 4  /* uplift .upl */
} upl_format;
UPL_EXPORT const char *upl_format_name(upl_format f);
/* Detect from the first bytes of the file (and, for CSV vs nothing, content). */
UPL_EXPORT int upl_format_detect(const char *path, upl_format *out, upl_error *err) UPL_MUST_CHECK;

/* Reject reason codes (stable names appear in rejects files and summaries). */
enum upl_reject_code {
    UPL_REJ_FIELD_COUNT = 1,    /* wrong number of fields */
    UPL_REJ_BAD_NUMBER = 2,     /* not a number in the accepted grammar */
    UPL_REJ_BAD_INTEGER = 3,
    UPL_REJ_BAD_BOOL = 4,
    UPL_REJ_BAD_DATE = 5,
    UPL_REJ_ID_EXCEL_MANGLED = 6, /* 1.10105E+17 or zeroed tail in an ID column */
    UPL_REJ_CONTROL_CHAR = 7,   /* NUL or control character inside a field */
    UPL_REJ_STRAY_QUOTE = 8,    /* quote inside an unquoted field / after a closing quote */
    UPL_REJ_FIELD_TOO_LONG = 9,
    UPL_REJ_REQUIRED_MISSING = 10, /* a required field is empty */
    UPL_REJ_OUT_OF_RANGE = 11,
    UPL_REJ_OTHER = 12,
    UPL_REJ_COUNT_ = 13
};
UPL_EXPORT const char *upl_reject_code_name(int code); /* "FIELD_COUNT", ... */

/* Explicit column type for a column named `name` (schema entry). */
typedef struct upl_schema_field {
    const char *name;
    upl_type type;
    bool is_required;     /* column must exist (file-level error otherwise) */
    bool is_not_null;     /* an empty value rejects the row */
    bool is_id;           /* identifier text: Excel-mangled forms are rejected */
} upl_schema_field;

/* Parse a schema written as text: entries separated by commas or line
 * breaks, each `name:type[:flag...]`; type is f64, i64, bool, cat, str or
 * id (= str with is_id); flags are required, notnull, id. Blank entries and
 * lines starting with # are skipped. "@path" reads the text from a file.
 * Free *out with upl_schema_free. Errors (UPL_EPARSE) name the entry. */
UPL_EXPORT int upl_schema_parse(const char *spec, upl_schema_field **out, size_t *n_out,
                                upl_error *err) UPL_MUST_CHECK;
UPL_EXPORT void upl_schema_free(upl_schema_field *fields, size_t n); /* NULL is a no-op */

typedef struct upl_read_options {
    upl_format format;          /* UPL_FMT_AUTO to detect */
    const char *encoding;       /* NULL/"auto": strict UTF-8, then GB18030; or "utf-8", "gb18030", "gbk", ... */
    char delimiter;             /* 0 = sniff from the header line */
    const upl_schema_field *schema; size_t n_schema; /* explicit types; other columns inferred */
    bool is_schema_strict;      /* true: columns not in the schema are dropped (warned) */
    const char *const *missing_tokens; size_t n_missing_tokens; /* extra tokens that mean missing ("NA", "-99"...) */
    const char *rejects_path;   /* rejects CSV; NULL = "<input>.rejects.csv" (written only when
                                   there are rejects); a given path is always written */
    size_t max_field_bytes;     /* 0 = 1 MiB */
    size_t max_columns;         /* 0 = 10000 */
    uint64_t max_file_bytes;    /* 0 = unlimited */
    size_t infer_rows;          /* rows sampled for type inference (0 = all rows; the CSV reader infers over the whole file) */
    int n_threads;              /* parser threads, 0 = all cores */
    bool is_rejects_disabled;   /* true: count rejects but write no rejects file (describe) */
    bool has_label_codes;       /* .dta/.sav: beside each labelled column `x` (UPL_CAT, labels)
                                   also load `x__code` with the numeric codes (default true) */
} upl_read_options;
/* Defaults: auto format, auto encoding, sniffed delimiter, no schema. */
UPL_EXPORT void upl_read_options_init(upl_read_options *opt);

typedef struct upl_read_summary {
    upl_format format;
    char encoding[32];          /* detected or given, e.g. "UTF-8", "GB18030" */
    char delimiter;
    bool had_bom;
    uint64_t bytes;
    uint64_t rows_read;         /* data records seen */
    uint64_t rows_loaded;
    uint64_t rows_rejected;
    uint64_t rejects_by_code[UPL_REJ_COUNT_];
    uint64_t n_warnings;        /* e.g. unknown columns dropped */
} upl_read_summary;

/* Read a whole file into a new table (free with upl_table_free). summary
 * may be NULL. On error nothing is returned and *out is NULL. */
UPL_EXPORT int upl_read_table(const char *path, const upl_read_options *opt, upl_table **out,
                              upl_read_summary *summary, upl_error *err) UPL_MUST_CHECK;
/* Print a summary for people (English and Chinese) to f. */
UPL_EXPORT void upl_read_summary_print(const upl_read_summary *s, FILE *f);

/* ---- Strict scalars (shared by every reader and the registry) ------------- */
/* Parse a decimal number exactly (correctly rounded, strtod semantics) and
 * strictly: optional sign, digits, optional fraction, optional exponent.
 * Rejects thousands separators, currency, units (万), spaces, hex, inf/nan. */
UPL_EXPORT bool upl_parse_f64(const char *s, size_t len, double *out);
UPL_EXPORT bool upl_parse_i64(const char *s, size_t len, int64_t *out);

/* ---- Snapshot (.upl) ---------------------------------------------------------
 * Columnar file: a 64-byte header (magic, version, endianness mark, rows,
 * columns, directory place and checksum), then per column four blocks
 * (validity bitmap, values or string offsets, string bytes or dictionary
 * offsets, dictionary bytes), each starting on a 64-byte boundary so mapped
 * arrays suit vector loads, then a directory (types, names, block lengths and
 * XXH64 checksums). Every byte of the file, padding included, is covered by
 * a checksum; the layout is in docs/decisions/0003-snapshot-format.md.
 * A corrupt or truncated snapshot is UPL_ECORRUPT (message names the column
 * and block), never trusted. Missing values are stored as NaN (f64), 0
 * (i64, bool), -1 (cat) and "" (str), so equal tables give equal bytes. */
#define UPL_SNAPSHOT_MAGIC "\x89UPL\r\n\x1a\n" /* first 8 bytes of every .upl */
#define UPL_SNAPSHOT_VERSION 1
/* Write a whole table (written to a temporary file beside `path`, renamed
 * into place when complete, so a reader never sees half a file). */
UPL_EXPORT int upl_snapshot_write(const upl_table *t, const char *path, upl_error *err) UPL_MUST_CHECK;
/* Open read-only; columns borrow the mapping (is_borrowed; the table unmaps
 * it when freed with upl_table_free). verify: check every block's checksum
 * now (true), or only the header, directory and layout (false, faster; the
 * string offsets and category codes are still bounds-checked, so a damaged
 * file never makes a reader touch memory outside the mapping). */
UPL_EXPORT int upl_snapshot_open(const char *path, bool verify, upl_table **out, upl_error *err) UPL_MUST_CHECK;

/* Streaming writer: append chunks of rows (each a table with the schema's
 * column names and types, in the same order), then finish. Memory stays
 * bounded: chunks are spooled to unlinked temporary files beside `path` and
 * assembled column by column at finish. Category dictionaries may differ
 * between chunks; codes are remapped to one dictionary per column, holding
 * the labels in order of first use (so the file does not depend on chunking).
 * Not thread-safe; one writer per output. */
typedef struct upl_snapshot_writer upl_snapshot_writer;
/* schema: any table (rows ignored) giving column names, types and order. */
UPL_EXPORT int upl_snapshot_writer_open(const char *path, const upl_table *schema,
                                        upl_snapshot_writer **out, upl_error *err) UPL_MUST_CHECK;
/* Append all rows of chunk. A schema mismatch is UPL_ESCHEMA. After any
 * error the writer only accepts finish/abort. */
UPL_EXPORT int upl_snapshot_writer_append(upl_snapshot_writer *w, const upl_table *chunk,
                                          upl_error *err) UPL_MUST_CHECK;
/* Rows appended so far. */
UPL_EXPORT uint64_t upl_snapshot_writer_rows(const upl_snapshot_writer *w);
/* Assemble and rename into place; frees w whatever the outcome (on error the
 * partial file is removed). */
UPL_EXPORT int upl_snapshot_writer_finish(upl_snapshot_writer *w, upl_error *err) UPL_MUST_CHECK;
/* Discard: remove temporaries, free w. NULL is a no-op. */
UPL_EXPORT void upl_snapshot_writer_abort(upl_snapshot_writer *w);

/* ---- Writers ---------------------------------------------------------------- */
/* CSV, UTF-8, RFC 4180 quoting. Cells that start with = + - @ TAB CR and are
 * not numbers are prefixed with ' so spreadsheets do not run them. */
UPL_EXPORT int upl_write_csv(const upl_table *t, FILE *f, upl_error *err) UPL_MUST_CHECK;
UPL_EXPORT int upl_write_csv_path(const upl_table *t, const char *path, upl_error *err) UPL_MUST_CHECK;
/* JSON array of row objects (jansson); missing = null. */
UPL_EXPORT int upl_write_json(const upl_table *t, FILE *f, upl_error *err) UPL_MUST_CHECK;
/* Write one CSV field with quoting and formula neutralisation. */
UPL_EXPORT int upl_csv_put_field(FILE *f, const char *s, size_t len);
/* XLSX workbook (libxlsxwriter), one table per sheet; header row in bold,
 * numbers as numbers, booleans as booleans, text (STR and CAT) always as
 * strings so IDs such as area codes never become numbers; missing = empty
 * cell; non-finite doubles = empty. Sheet names (<= 31 chars, none of
 * []:*?/\) must be unique; NULL sheet = "Sheet1". */
UPL_EXPORT int upl_write_xlsx(const upl_table *t, const char *path, const char *sheet,
                              upl_error *err) UPL_MUST_CHECK;
UPL_EXPORT int upl_write_xlsx_sheets(const upl_table *const *tables, const char *const *sheets,
                                     size_t n, const char *path, upl_error *err) UPL_MUST_CHECK;

#ifdef __cplusplus
}
#endif
#endif
