# Every subcommand prints usage on --help (stdout, exit 0) and through
# `uplift help CMD`; unknown commands and options are misuse (exit 2).
case_run "no arguments" 2 "!" "~usage: uplift" -- "$UPLIFT"
case_run "--help" 0 "~usage: uplift" "!" -- "$UPLIFT" --help
case_run "--version" 0 "~^uplift [0-9]" "!" -- "$UPLIFT" --version
case_run "unknown command" 2 "!" "~unknown command .frobnicate." -- "$UPLIFT" frobnicate
for c in $("$UPLIFT" --help | sed -n 's/^  \([a-z]*\) .*/\1/p'); do
    case_run "$c --help" 0 "~[Uu]sage: uplift $c" "!" -- "$UPLIFT" "$c" --help
    case_run "help $c" 0 "~[Uu]sage: uplift $c" "!" -- "$UPLIFT" help "$c"
    case_run "$c --no-such-option" 2 "" "~uplift $c: " -- "$UPLIFT" "$c" --no-such-option
done
