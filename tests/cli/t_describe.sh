# uplift describe: formats, encodings, per-column summaries, bad input (exit 1).
D=tests/data/io
case_run "describe csv" 0 "~income +f64 +1 +1200 +6600.25 +12000.5" "!" -- "$UPLIFT" describe $D/human_numbers.csv
case_run "describe counts rejects" 0 "~rows read 读取行数: 8 +loaded 载入: 3 +rejected 拒收: 5" "!" -- "$UPLIFT" describe $D/human_numbers.csv
case_run "describe gbk" 0 "~encoding 编码: GB18030" "!" -- "$UPLIFT" describe $D/gbk.csv
case_run "describe bom" 0 "~UTF-8 \(BOM\)" "!" -- "$UPLIFT" describe $D/bom.csv
case_run "describe leading zeros kept" 0 "~area +str .*kept as text" "!" -- "$UPLIFT" describe $D/leading_zeros.csv
case_run "describe dta exact" 0 "=describe_labelled_dta.csv" "!" -- "$UPLIFT" describe $D/labelled.dta --format csv
case_run "describe sav" 0 "~sex +cat +1 .* 2$" "!" -- "$UPLIFT" describe $D/labelled.sav
case_run "describe legacy gbk dta" 0 "~encoding 编码: GB18030" "!" -- "$UPLIFT" describe $D/legacy_gbk.dta
case_run "describe json" 0 '~"rows_loaded":2' "!" -- "$UPLIFT" describe $D/gbk.csv --format json
case_run "describe missing tokens" 0 "~income +f64 +3 " "!" -- "$UPLIFT" describe $D/missing.csv --missing NA,-99
case_run "describe truncated dta" 1 "!" "~truncated.dta: truncated or corrupt" -- "$UPLIFT" describe $D/truncated.dta
case_run "describe unterminated" 1 "!" "~unterminated.csv:3:2: .*never closed" -- "$UPLIFT" describe $D/unterminated.csv
case_run "describe duplicate header" 1 "!" "~dup_header.csv:1:3: column .income.: duplicate" -- "$UPLIFT" describe $D/dup_header.csv
case_run "describe fullwidth comma" 1 "!" "~full-width commas" -- "$UPLIFT" describe $D/fullwidth_comma.csv
case_run "describe utf-8 forced" 1 "!" "~gbk.csv:1: byte 0 .* not valid UTF-8" -- "$UPLIFT" describe $D/gbk.csv --encoding utf-8
case_run "describe no file" 1 "!" "~cannot open" -- "$UPLIFT" describe $D/no-such-file.csv
case_run "describe no args" 2 "!" "~uplift describe: expected one FILE" -- "$UPLIFT" describe
case_run "describe bad format" 2 "!" "~--format" -- "$UPLIFT" describe $D/gbk.csv --format xml
case_run "describe bad schema" 2 "!" "~unknown type .money." -- "$UPLIFT" describe $D/gbk.csv --schema income:money
case_run "describe required column" 1 "!" "~column .village.: required column is missing" -- "$UPLIFT" describe $D/bom.csv --schema village:str:required
