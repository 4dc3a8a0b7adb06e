# tidemark: plain Makefile, no configure.
#
#   make            build/tidemarkd (optimized, with debug info)
#   make dev        same with -Werror
#   make asan       build/asan/tidemarkd with AddressSanitizer + UBSan
#   make test-unit  C unit tests (under ASan+UBSan)
#   make test       unit tests, then the integration suite against the ASan broker
#   make fuzz       libFuzzer target for the request decoder (clang)
#   make gen SCHEMAS=../shared/kafka-protocol   regenerate src/proto/gen/

CC ?= cc
CSTD := -std=c11 -D_GNU_SOURCE
WARN := -Wall -Wextra -Wno-unused-parameter -Wshadow -Wstrict-prototypes -Wvla
CFLAGS ?= -O2 -g
ALL_CFLAGS := $(CSTD) $(WARN) -Isrc -MMD -MP $(CFLAGS) $(EXTRA_CFLAGS)
LDLIBS := -lpthread -lz -lsnappy -llz4 -lzstd
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

SRCS := $(shell find src -name '*.c' -not -path 'src/cli/*' | sort)
LIB_SRCS := $(filter-out src/main.c,$(SRCS))
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
PYTHON ?= /usr/bin/python3
SCHEMAS ?= ../shared/kafka-protocol

OBJ := build/obj
AOBJ := build/asan/obj

.PHONY: all dev asan test test-unit test-integration fuzz fuzz-smoke warnings gen clean bench
all: build/tidemarkd

build/tidemarkd: $(SRCS:%.c=$(OBJ)/%.o)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

# V=1 shows the full compiler command lines
Q := $(if $(V),,@)

$(OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

dev:
	$(MAKE) EXTRA_CFLAGS=-Werror all

asan: build/asan/tidemarkd

build/asan/tidemarkd: $(SRCS:%.c=$(AOBJ)/%.o)
	@$(if $(Q),echo "  LD asan $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN) -o $@ $^ $(LDLIBS)

$(AOBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC asan $<")
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN) -O1 -c -o $@ $<

build/asan/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(LIB_SRCS:%.c=$(AOBJ)/%.o)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD asan $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN) -O1 -Itests/unit -o $@ $(filter %.c %.o,$^) $(LDLIBS)

UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=build/asan/tests/%)

test-unit: $(UNIT_BINS)
	@pass=0; fail=0; for t in $(UNIT_BINS); do \
	  if timeout 120 $$t; then pass=$$((pass+1)); else echo "FAILED: $$t"; fail=$$((fail+1)); fi; \
	done; echo "unit: $$pass passed, $$fail failed"; [ $$fail -eq 0 ]

test-integration: build/asan/tidemarkd build/tidemarkd
	TIDEMARK_BIN=$(CURDIR)/build/asan/tidemarkd $(PYTHON) -m pytest -q -p no:cacheprovider tests/integration

# one after the other: the timing-sensitive group tests get the CPU, and the
# output does not interleave
test:
	$(MAKE) test-unit
	$(MAKE) test-integration

fuzz: build/fuzz/fuzz_request
build/fuzz/fuzz_request: tests/fuzz/fuzz_request.c $(LIB_SRCS)
	@mkdir -p $(dir $@)
	clang $(CSTD) -Isrc -g -O1 -fsanitize=fuzzer,address,undefined -o $@ $^ $(LDLIBS)

# fuzz-smoke: a short libFuzzer run (FUZZ_SECONDS) on a scratch copy of the seed corpus
FUZZ_SECONDS ?= 20
fuzz-smoke: build/fuzz/fuzz_request
	rm -rf build/fuzz/corpus && cp -r tests/fuzz/corpus build/fuzz/corpus
	build/fuzz/fuzz_request -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 build/fuzz/corpus 2>&1 | tail -12

# warnings: the broker must build warning-free under gcc and clang
warnings:
	$(MAKE) CC=gcc OBJ=build/werror-gcc EXTRA_CFLAGS=-Werror build/werror-gcc/tidemarkd
	$(MAKE) CC=clang OBJ=build/werror-clang EXTRA_CFLAGS=-Werror build/werror-clang/tidemarkd

build/werror-%/tidemarkd: $(SRCS:%.c=$(OBJ)/%.o)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

gen:
	$(PYTHON) tools/gen_messages.py $(SCHEMAS) src/proto/gen

# bench: full benchmark (a few minutes), prints the table; bench-smoke: the
# same at ~1/100 scale for CI, failing only on a functional failure.
.PHONY: bench-smoke
bench: build/tidemarkd
	$(MAKE) -C bench run

bench-smoke: build/tidemarkd
	$(MAKE) -C bench smoke

# crash-test: kill -9 the broker CRASH_CYCLES times under acks=all produce and
# commitSync consume (tests/integration/crash_loop.py); prints
# "crash-test: N cycles, 0 lost records, 0 lost commits". CI runs 3 cycles
# (test_52_crash_loop.py). TIDEMARK_BIN=build/asan/tidemarkd to run under ASan.
CRASH_CYCLES ?= 50
.PHONY: crash-test
crash-test: build/tidemarkd
	TIDEMARK_BIN=$${TIDEMARK_BIN:-$(CURDIR)/build/tidemarkd} $(PYTHON) tests/integration/crash_loop.py --cycles $(CRASH_CYCLES)

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
