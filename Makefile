# uplift — plain Makefile, no configure step.
#
#   make                 library + CLI            (build/)
#   make test            unit, golden, CLI and layering tests
#   make demo            install what is missing, build, run `uplift demo`
#   make SANITIZE=address,undefined test    (build-san/)
#   make fuzz            libFuzzer harnesses (clang)
#   make bench           benchmarks (see bench/README.md)
#
# Parallel development: MODULES and CMDS narrow what is built, e.g.
#   make BUILD=build/h-measure MODULES="core io measure" CMDS="measure" unit
# Every lib/<module>/*.c is compiled; every tests/unit/test_<module>*.c is a
# Check suite; every cli/cmd_*.c registers itself with UPL_COMMAND(...).

CC       ?= cc
SANITIZE ?=
ifeq ($(SANITIZE),)
BUILD    ?= build
OPT      ?= -O2
else
BUILD    ?= build-san
OPT      ?= -O1 -g -fno-omit-frame-pointer -fsanitize=$(SANITIZE) -fno-sanitize-recover=all
endif

ALL_MODULES := $(notdir $(patsubst %/,%,$(wildcard lib/*/)))
MODULES  ?= $(ALL_MODULES)
ALL_CMDS := $(patsubst cli/cmd_%.c,%,$(wildcard cli/cmd_*.c))
CMDS     ?= $(ALL_CMDS)

# Debian packages, found with pkg-config (scripts/install-deps installs them).
PKGS     := sqlite3 libpq yaml-0.1 jansson xlsxwriter libsodium
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lreadstat
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null)

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wno-unused-parameter -Wvla -Wformat=2
CFLAGS   ?=
CPPFLAGS += -Iinclude -D_GNU_SOURCE
ALLCFLAGS = -std=c11 $(OPT) $(WARN) -fno-strict-aliasing -fPIC -pthread -fvisibility=hidden $(PKG_CFLAGS) $(CFLAGS)
LDLIBS   += $(PKG_LIBS) -lm -pthread
LDFLAGS  += $(if $(SANITIZE),-fsanitize=$(SANITIZE),)

LIB_SRC  := $(foreach m,$(MODULES),$(wildcard lib/$(m)/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_SRC  := cli/main.c $(foreach c,$(CMDS),cli/cmd_$(c).c) $(filter-out cli/main.c cli/cmd_%.c,$(wildcard cli/*.c))
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(foreach m,$(MODULES),$(wildcard tests/unit/test_$(m).c tests/unit/test_$(m)_*.c))
UNIT_OBJ := $(UNIT_SRC:%.c=$(BUILD)/%.o) $(BUILD)/tests/unit/unit_main.o $(BUILD)/tests/unit/unit_util.o

LIBA     := $(BUILD)/libuplift.a
LIBSO    := $(BUILD)/libuplift.so
UPLIFT   := $(BUILD)/uplift
UNIT     := $(BUILD)/run-unit

.PHONY: replay FORCE bench-build all test unit cli-test layering exports demo fuzz bench clean deps check-deps
all: $(UPLIFT)

$(BUILD)/%.o: %.c $(wildcard include/uplift/*.h) $(wildcard lib/*/*.h) | $(BUILD)/.dirs
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALLCFLAGS) -c $< -o $@

$(BUILD)/tests/%.o: tests/%.c $(wildcard include/uplift/*.h) $(wildcard tests/unit/*.h) | $(BUILD)/.dirs
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALLCFLAGS) $(CHECK_CFLAGS) -Wno-missing-prototypes -c $< -o $@

$(BUILD)/.dirs:
	@mkdir -p $(BUILD)
	@touch $@

$(LIBA): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# The shared library exists to check the exported ABI (tools/check-exports).
$(LIBSO): $(LIB_OBJ)
	$(CC) -shared $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The command table is generated from the UPL_COMMAND(...) line in each cmd_*.c.
# Regenerated on every run (FORCE) but replaced only when it changes, so a
# different MODULES/CMDS selection never links against a stale list.
$(BUILD)/cli/commands.inc: $(foreach c,$(CMDS),cli/cmd_$(c).c) FORCE | $(BUILD)/.dirs
	@mkdir -p $(dir $@)
	@grep -h '^UPL_COMMAND(' $(foreach c,$(CMDS),cli/cmd_$(c).c) /dev/null | sort > $@.tmp; \
	  cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

$(BUILD)/cli/main.o: cli/main.c $(BUILD)/cli/commands.inc
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -I$(BUILD)/cli $(ALLCFLAGS) -c $< -o $@

$(UPLIFT): $(CLI_OBJ) $(LIBA)
	$(CC) $(ALLCFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJ) $(LIBA) $(LDLIBS)

# Unit-test runner: one Check suite per tests/unit/test_<name>.c (suite_<name>()).
$(BUILD)/tests/unit/suites.inc: $(UNIT_SRC) FORCE | $(BUILD)/.dirs
	@mkdir -p $(dir $@)
	@for f in $(UNIT_SRC); do b=$$(basename $$f .c); echo "UPL_SUITE(suite_$${b#test_})"; done > $@.tmp; \
	  cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

$(BUILD)/tests/unit/unit_main.o: tests/unit/unit_main.c $(BUILD)/tests/unit/suites.inc
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -I$(BUILD)/tests/unit $(ALLCFLAGS) $(CHECK_CFLAGS) -c $< -o $@

$(UNIT): $(UNIT_OBJ) $(LIBA)
	$(CC) $(ALLCFLAGS) $(LDFLAGS) -o $@ $(UNIT_OBJ) $(LIBA) $(CHECK_LIBS) $(LDLIBS)

check-deps:
	@scripts/install-deps --check >/dev/null 2>&1 || scripts/install-deps

unit: $(UNIT)
	UPL_TEST_DATA=tests/data UPLIFT=$(UPLIFT) $(UNIT)

cli-test: $(UPLIFT)
	tests/cli/run.sh $(UPLIFT)

layering:
	tools/check-layering

exports: $(LIBSO)
	tools/check-exports $(LIBSO)

# Everything a newcomer needs; the last line is the overall "N passed, N failed".
test: check-deps
	@$(MAKE) --no-print-directory $(UPLIFT) $(UNIT) $(LIBSO) replay
	@tests/run-all.sh $(BUILD)

demo: check-deps
	@$(MAKE) --no-print-directory $(UPLIFT)
	$(UPLIFT) demo --out demo-output

FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
# Replay binaries: the harnesses with a plain main, built by the normal
# compiler (and sanitizers), run over the committed corpora by make test.
REPLAY_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/replay/%)
$(BUILD)/replay/%: tests/fuzz/%.c tests/fuzz/replay_main.c $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALLCFLAGS) -Wno-missing-prototypes $(LDFLAGS) -o $@ $< tests/fuzz/replay_main.c $(LIBA) $(LDLIBS)
replay: $(REPLAY_BIN)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/%)
FUZZ_SECONDS ?= 30
build-fuzz/lib.a: $(wildcard lib/*/*.c)
	@mkdir -p build-fuzz
	$(MAKE) --no-print-directory BUILD=build-fuzz/obj CC=clang \
	  OPT="-O1 -g -fsanitize=fuzzer-no-link,address,undefined" build-fuzz/obj/libuplift.a
	cp build-fuzz/obj/libuplift.a $@
build-fuzz/%: tests/fuzz/%.c build-fuzz/lib.a
	clang $(CPPFLAGS) -std=c11 -O1 -g -fsanitize=fuzzer,address,undefined $(PKG_CFLAGS) $< build-fuzz/lib.a $(LDLIBS) -o $@
fuzz: $(FUZZ_BIN)
	@for f in $(FUZZ_BIN); do n=$$(basename $$f); mkdir -p build-fuzz/corpus-$$n; \
	  echo "== $$n ($(FUZZ_SECONDS)s)"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) build-fuzz/corpus-$$n tests/fuzz/corpus/$$n || exit 1; done

BENCH_SRC := $(wildcard bench/bench_*.c)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
$(BUILD)/bench/%: bench/%.c $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALLCFLAGS) -Wno-missing-prototypes $(LDFLAGS) -o $@ $< $(LIBA) $(LDLIBS)
bench-build: $(BENCH_BIN) $(UPLIFT)

# Benchmarks print tables of throughput and ratios against peers; BENCH_PERSONS sets the size.
bench:
	@scripts/install-deps --bench
	@$(MAKE) --no-print-directory bench-build
	bench/run.sh $(BUILD)

deps:
	scripts/install-deps

clean:
	rm -rf build build-san build-fuzz

FORCE:
