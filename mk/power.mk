# mk/power.mk — power-loss and database-fault test tooling (docs/power-loss.md):
#   $(B)/tests/libpowerloss.so  LD_PRELOAD shim: SQLite VFS wrapper (testvfs.c,
#                               journal + TESTVFS_FAIL faults on ca.db/-wal) and
#                               the redo-log/checkpoint journal (logshim.c)
#   $(B)/tests/powercut         turns a SIGKILLed data directory into a legal
#                               power-cut state from the journal
# tests/crash/40-power-loss.sh and tests/crash/45-db-fault.sh use them.
#   make torture-power [ITER=N] [SEED=S]   the long power-loss loop (default 30);
# `make torture` (mk/kill.mk) runs it too.

POWER_SO_SRC := tests/powerloss/testvfs.c tests/powerloss/logshim.c tests/powerloss/pjournal.c

# Built without sanitizers (like libfaultfs.so): an ASan daemon gets the ASan
# runtime first in LD_PRELOAD (see the scripts).
$(B)/tests/libpowerloss.so: $(POWER_SO_SRC) tests/powerloss/pjournal.h
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) -std=c11 -O2 -g -Wall -Wextra -Werror -Wshadow -Wformat=2 \
		-Wmissing-prototypes $(PKG_CFLAGS) -fPIC -shared -o $@ $(POWER_SO_SRC) \
		-lsqlite3 -ldl -lpthread

$(B)/tests/powercut: tests/powerloss/powercut.c tests/powerloss/pjournal.c tests/powerloss/pjournal.h
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.c,$^) -lpthread

EXTRA_ALL += $(B)/tests/libpowerloss.so $(B)/tests/powercut

.PHONY: torture-power
torture-power: all
	@ITER=$(or $(ITER),30) TEST_TIME_LIMIT=86400 B=$(B) scripts/run-tests crash/40-power-loss

torture: torture-power
