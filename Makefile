# certsrv — GNU make build. All outputs go to build/ (or build-asan/ with SANITIZE=1,
# build-tsan/ with SANITIZE=thread).
#
#   make            build daemon, CLI, library, tests
#   make check      build and run every test; last line "N passed, N failed"
#   make demo       install missing packages, build, run the end-to-end demo
#   make bench      run the benchmark programs and print their tables

ifeq ($(SANITIZE),1)
B        ?= build-asan
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer
else ifeq ($(SANITIZE),thread)
B        ?= build-tsan
SANFLAGS := -fsanitize=thread -fno-omit-frame-pointer
else
B        ?= build
SANFLAGS :=
endif

CC       ?= gcc
PKGS     := sqlite3 openssl inih jansson libarchive
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN     := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wmissing-prototypes \
            -Wstrict-prototypes -Wvla
HARDEN   := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIC
OPT      ?= -O2 -g
CFLAGS   += -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) $(HARDEN) $(SANFLAGS) \
            -Iinclude -Isrc $(PKG_CFLAGS) -MMD -MP
LDFLAGS  += $(SANFLAGS) -Wl,-z,relro,-z,now
LIBS     := $(PKG_LIBS) -lpthread

COMMON_SRC := $(wildcard src/common/*.c)
STORE_SRC  := $(wildcard src/store/*.c)
CA_SRC     := $(wildcard src/ca/*.c)
DAEMON_SRC := $(wildcard src/daemon/*.c)
CLI_SRC    := $(wildcard src/cli/*.c)

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))

COMMON_A := $(B)/libcommon.a
STORE_A  := $(B)/libstore.a
CA_A     := $(B)/libca.a

UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BIN   := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))
FUZZ_SRC   := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN   := $(patsubst tests/fuzz/%.c,$(B)/tests/%-replay,$(FUZZ_SRC))
HELPER_SRC := $(wildcard tests/helpers/*.c)
HELPER_BIN := $(patsubst tests/helpers/%.c,$(B)/tests/%,$(HELPER_SRC))
BENCH_SRC  := $(filter-out bench/bulkfill.c bench/benchutil.c bench/apibackup.c,$(wildcard bench/*.c))
BENCH_LIB  := $(call obj,bench/bulkfill.c bench/benchutil.c)
BENCH_BIN  := $(patsubst bench/%.c,$(B)/bench/%,$(BENCH_SRC))

.PHONY: all check demo bench clean deps
all: $(B)/certsrvd $(B)/certsrv $(B)/backup-scenario $(UNIT_BIN) $(FUZZ_BIN) $(HELPER_BIN) $(BENCH_BIN) \
     $(B)/tests/libfaultfs.so

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -c $< -o $@

$(COMMON_A): $(call obj,$(COMMON_SRC))
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	@ar rcs $@ $^
$(STORE_A): $(call obj,$(STORE_SRC))
	@echo "  AR      $@"
	@ar rcs $@ $^
$(CA_A): $(call obj,$(CA_SRC))
	@echo "  AR      $@"
	@ar rcs $@ $^

$(B)/certsrvd: $(call obj,$(DAEMON_SRC)) $(STORE_A) $(CA_A) $(COMMON_A)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

# The CLI's backup and restore commands go through libcertadm, found next to
# the program through its run path.
$(B)/certsrv: $(call obj,$(CLI_SRC)) $(STORE_A) $(CA_A) $(COMMON_A) \
	      $(B)/libcertadm.so.1 $(B)/libcertadm.so
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $(filter-out $(B)/libcertadm.so%,$^) $(LIBS) \
		-L$(B) -lcertadm -Wl,-rpath,'$$ORIGIN'

# Unit tests link every internal archive, the daemon objects except main.o,
# and the test-only fake certsrvd listener (tests/unit/fakesrv.c).
DAEMON_LIB_OBJ := $(call obj,$(filter-out src/daemon/main.c,$(DAEMON_SRC)))
$(B)/tests/test_%: tests/unit/test_%.c $(DAEMON_LIB_OBJ) $(STORE_A) $(CA_A) $(COMMON_A) \
		   $(call obj,tests/unit/fakesrv.c)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS) -lcmocka

$(B)/tests/fuzz_%-replay: tests/fuzz/fuzz_%.c tests/fuzz/replay_main.c $(DAEMON_LIB_OBJ) $(STORE_A) $(CA_A) $(COMMON_A)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(B)/tests/%: tests/helpers/%.c $(STORE_A) $(CA_A) $(COMMON_A)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(B)/bench/%: bench/%.c $(BENCH_LIB) $(STORE_A) $(CA_A) $(COMMON_A)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS) -lm

# The backup benchmarks also call the backup API: explicit rules (preferred
# to the pattern above) that link libcertadm, found through the run path.
BENCH_API_LINK = @$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter-out $(B)/libcertadm.so,$^) \
		 $(LIBS) -lm -L$(B) -lcertadm -Wl,-rpath,'$$ORIGIN/..'
$(B)/bench/backup: bench/backup.c $(BENCH_LIB) $(call obj,bench/apibackup.c) $(STORE_A) $(CA_A) $(COMMON_A) $(B)/libcertadm.so
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(BENCH_API_LINK)
$(B)/bench/backup-impact: bench/backup-impact.c $(BENCH_LIB) $(call obj,bench/apibackup.c) $(STORE_A) $(CA_A) $(COMMON_A) $(B)/libcertadm.so
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(BENCH_API_LINK)

# The documented backup scenario: loads libcertadm.so.1 with dlopen, found
# next to the program through its run path (DT_RPATH, not DT_RUNPATH: an
# ASan build's dlopen is called from libasan, whose loader chain still
# reaches the program's DT_RPATH).
$(B)/backup-scenario: examples/backup-scenario.c
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -Wl,--disable-new-dtags,-rpath,'$$ORIGIN' -o $@ $< -ldl

# Test program of the backup API, linked with libcertadm as backup software is.
$(B)/tests/backup_api: tests/helpers/backup_api.c $(B)/libcertadm.so.1 $(B)/libcertadm.so
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< -L$(B) -lcertadm -Wl,-rpath,'$$ORIGIN/..'

# Test-only LD_PRELOAD shim that injects redo-log I/O failures.
$(B)/tests/libfaultfs.so: tests/faultfs/faultfs.c
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) -std=c11 -O2 -g -Wall -Wextra -Werror -fPIC -shared -o $@ $< -ldl

check: all
	@B=$(B) scripts/run-tests

demo:
	@scripts/install-deps --quiet
	@$(MAKE) --no-print-directory all
	@B=$(B) scripts/demo

bench: all
	@B=$(B) scripts/run-bench

deps:
	scripts/install-deps

clean:
	rm -rf build build-asan build-tsan

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)
include lib/lib.mk

# Test and tooling rules of their own live in mk/*.mk (torture, power loss,
# fault injection, analysers, soak); each may add programs to EXTRA_ALL,
# which `all` (and so `make check`) builds.
EXTRA_ALL :=
include $(sort $(wildcard mk/*.mk))
all: $(EXTRA_ALL)
