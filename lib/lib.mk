# lib/lib.mk — builds libcertadm (included from the top-level Makefile).
#
#   $(B)/libcertadm.so.1   the shared library (soname libcertadm.so.1): lib/*.c
#                          compiled with -fvisibility=hidden, plus the needed
#                          objects of $(B)/libcommon.a (restorereg.o needs
#                          libinih: DT_NEEDED); the version script
#                          lib/libcertadm.sym exports only CertSrv*.
#   $(B)/libcertadm.so     symlink for linking with -lcertadm.
#   $(B)/libcertadm.pc     pkg-config file for the build tree.
#   $(B)/tests/test_certadm  the library's unit test: linked against the
#                          shared library (rpath $ORIGIN/..) and, to test the
#                          internal modules, their objects (all but the
#                          entry points of certadm.c, so no CertSrv* symbol
#                          is defined twice).
#   $(B)/tests/test_certadm_restore  the restore half's unit test, linked the
#                          same way. Both also link the test-only fake
#                          certsrvd listener tests/unit/fakesrv.c.

LIB_SRC     := $(wildcard lib/*.c)
LIB_OBJ     := $(call obj,$(LIB_SRC))
LIB_INT_OBJ := $(call obj,$(filter-out lib/certadm.c,$(LIB_SRC)))
LIBCERTADM  := $(B)/libcertadm.so.1
LIB_LIBS    := $(shell pkg-config --libs inih)

# A shared library must not leave symbols undefined (the ASan runtime is the
# exception: the executable provides it).
ifneq ($(SANITIZE),1)
LIB_LDFLAGS := -Wl,--no-undefined
endif

$(LIB_OBJ): CFLAGS += -fvisibility=hidden

$(LIBCERTADM): $(LIB_OBJ) $(COMMON_A) lib/libcertadm.sym
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) $(LIB_LDFLAGS) -shared -Wl,-soname,libcertadm.so.1 \
		-Wl,--version-script=lib/libcertadm.sym -o $@ $(LIB_OBJ) $(COMMON_A) \
		$(LIB_LIBS)

$(B)/libcertadm.so: $(LIBCERTADM)
	@echo "  LN      $@"
	@ln -sfn libcertadm.so.1 $@

$(B)/libcertadm.pc: lib/lib.mk
	@mkdir -p $(dir $@)
	@echo "  GEN     $@"
	@printf '%s\n' \
		'Name: libcertadm' \
		'Description: Certificate Services backup API (certbcli.h) for certsrv' \
		'Version: 1.0.0' \
		'Cflags: -I$(CURDIR)/include' \
		'Libs: -L$(abspath $(B)) -lcertadm' >$@

all: $(B)/libcertadm.so $(B)/libcertadm.pc

# An explicit rule: GNU make prefers it to the generic $(B)/tests/test_% rule.
$(B)/tests/test_certadm: tests/unit/test_certadm.c $(LIB_INT_OBJ) $(COMMON_A) \
			 $(B)/libcertadm.so $(call obj,tests/unit/fakesrv.c)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) -Ilib $(LDFLAGS) -o $@ tests/unit/test_certadm.c \
		$(call obj,tests/unit/fakesrv.c) \
		$(LIB_INT_OBJ) $(COMMON_A) $(LIB_LIBS) -L$(B) -lcertadm \
		-Wl,-rpath,'$$ORIGIN/..' -lcmocka -ldl -lpthread

$(B)/tests/test_certadm_restore: tests/unit/test_certadm_restore.c $(LIB_INT_OBJ) \
				 $(COMMON_A) $(B)/libcertadm.so \
				 $(call obj,tests/unit/fakesrv.c)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) -Ilib $(LDFLAGS) -o $@ tests/unit/test_certadm_restore.c \
		$(call obj,tests/unit/fakesrv.c) \
		$(LIB_INT_OBJ) $(COMMON_A) $(LIB_LIBS) -L$(B) -lcertadm \
		-Wl,-rpath,'$$ORIGIN/..' -lcmocka -ldl -lpthread
