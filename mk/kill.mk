# mk/kill.mk — the kill loop (issue 5, item 1): builds the test-only
# LD_PRELOAD shim $(B)/tests/libkillat.so (SIGKILL at the Nth durability
# point, tests/crash/killat.c) for tests/crash/30-kill-loop.sh, and the
# `torture` target: the kill loops with ITER=N iterations (default 20),
#   make torture [ITER=N] [SEED=S] [B=build-dir]
# runs tests/crash/30-kill-loop.sh and tests/crash/10-kill9.sh through
# scripts/run-tests (TAP counted, last line "N passed, N failed").

$(B)/tests/libkillat.so: tests/crash/killat.c
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) -std=c11 -O2 -g -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes \
		-fPIC -shared -o $@ $< -ldl

EXTRA_ALL += $(B)/tests/libkillat.so

.PHONY: torture
torture: all
	@ITER=$(or $(ITER),20) KILL_LOOP_LONG=1 TEST_TIME_LIMIT=86400 B=$(B) scripts/run-tests crash/30-kill-loop
	@ITER=$(or $(ITER),20) TEST_TIME_LIMIT=86400 B=$(B) scripts/run-tests crash/10-kill9
