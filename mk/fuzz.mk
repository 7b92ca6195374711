# mk/fuzz.mk — fuzzing rules (included by the top-level Makefile).
#
#   make fuzz [FUZZ_TIME=60] [FUZZ=name...]
#       builds every tests/fuzz/fuzz_*.c harness (or those named in FUZZ,
#       without the fuzz_ prefix) with clang libFuzzer + ASan/UBSan into
#       build-fuzz/ and runs each for FUZZ_TIME seconds, one after the other,
#       through scripts/run-fuzzers (exit status non-zero on any crash, leak
#       or timeout; the inputs are left in build-fuzz/artifacts/NAME/).
#
# The replay programs $(B)/tests/fuzz_NAME-replay (built by `all`, run by
# `make check` on tests/fuzz/corpus/NAME/ and tests/fuzz/crashes/NAME/) come
# from the generic rule of the Makefile, except those below: the manifest
# and certbkxp.dat readers also need two objects of the CLI, and the client
# harness links libcertadm's objects instead of the daemon's.

FUZZ_TIME ?= 60
FUZZ ?=

# The backup-set readers of the CLI (manifest, certbkxp.dat, the streaming
# log check), with the daemon's objects as usual.
FUZZ_CLI_A   := $(B)/libfuzzcli.a
FUZZ_CLI_OBJ := $(call obj,src/cli/manifest.c src/cli/locations.c)
FUZZ_CLI_BIN := $(patsubst %,$(B)/tests/fuzz_%-replay,manifest locations logscan)
# libcertadm's objects, without the daemon's (lib/backup.c and
# src/daemon/backup.c share function names; a client never has both).
FUZZ_LIB_A   := $(B)/libfuzzcertadm.a
FUZZ_LIB_BIN := $(B)/tests/fuzz_client-replay

$(FUZZ_CLI_A): $(FUZZ_CLI_OBJ)
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	@rm -f $@
	@ar rcs $@ $^
$(FUZZ_LIB_A): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	@rm -f $@
	@ar rcs $@ $^

$(FUZZ_CLI_BIN): $(B)/tests/fuzz_%-replay: tests/fuzz/fuzz_%.c tests/fuzz/replay_main.c \
		$(FUZZ_CLI_A) $(DAEMON_LIB_OBJ) $(STORE_A) $(CA_A) $(COMMON_A)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)
$(FUZZ_LIB_BIN): $(B)/tests/fuzz_%-replay: tests/fuzz/fuzz_%.c tests/fuzz/replay_main.c \
		$(FUZZ_LIB_A) $(COMMON_A)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

.PHONY: fuzz
fuzz:
	@FUZZ_SECONDS=$(FUZZ_TIME) scripts/run-fuzzers $(FUZZ)
