# mk/fault.mk — fault-injection test tooling (docs/faults.md): the
# allocation-failure sweep of libcertadm, linked with the library as backup
# software is (the LD_PRELOAD shim tests/faultfs is built by the Makefile).
# tests/crash/50-faults.sh runs both; `make faults` runs only that script.

$(B)/tests/oom_sweep: tests/helpers/oom_sweep.c $(B)/libcertadm.so.1 $(B)/libcertadm.so
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< -L$(B) -lcertadm -Wl,-rpath,'$$ORIGIN/..'

EXTRA_ALL += $(B)/tests/oom_sweep $(B)/tests/libfaultfs.so

.PHONY: faults
faults: all
	@B=$(B) scripts/run-tests crash/50-faults
