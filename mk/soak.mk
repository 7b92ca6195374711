# mk/soak.mk — the soak test (docs/soak.md): builds $(B)/tests/soakfill
# (part of `all`) and runs `make soak`, which make check does not run.
#
#   make soak [SOAK_MINUTES=10] [SOAK_CERTS=1000000] [SOAK_CLIENTS=4]
#
# SOAK_* variables given on the command line or in the environment reach
# tests/soak/soak.sh, which documents them all.

SOAK_FILL := $(B)/tests/soakfill

$(SOAK_FILL): tests/soak/soakfill.c $(BENCH_LIB) $(STORE_A) $(CA_A) $(COMMON_A)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) -Ibench $(LDFLAGS) -o $@ $^ $(LIBS)

EXTRA_ALL += $(SOAK_FILL)

# Only what the soak runs, so a half-edited test elsewhere cannot stop it.
.PHONY: soak
soak: $(B)/certsrvd $(B)/certsrv $(SOAK_FILL)
	@B=$(B) tests/soak/soak.sh
