# mk/lint.mk — sanitizers and analysers beyond `make check` (issue 5, item 5).
#
#   make lint            cppcheck + clang-tidy over src/ lib/ examples/ tests/
#                        (scripts/run-analysers; configs: .clang-tidy,
#                        tests/.clang-tidy, .cppcheck/); per tool a planted
#                        double free must be found, then the tree must be
#                        clean; "N passed, N failed"
#   make check-valgrind  every unit test under valgrind memcheck, on the plain
#                        build (scripts/run-valgrind); memory errors and
#                        definite, indirect and possible leaks fail
#   make check-tsan      SANITIZE=thread build in build-tsan/ (or TSAN_B=...),
#                        then the daemon's concurrency tests under TSan
#                        (scripts/run-tsan; suppressions: tests/tsan.supp)
#
# None of these is part of `all` or `make check`: they cost minutes (see
# docs/analysis.md) and .ci/run runs them.

TSAN_B ?= build-tsan

.PHONY: lint check-valgrind check-tsan

lint:
	@B=$(B) scripts/run-analysers

check-valgrind: all
	@B=$(B) scripts/run-valgrind

check-tsan:
	@$(MAKE) --no-print-directory SANITIZE=thread B=$(TSAN_B) all
	@B=$(TSAN_B) scripts/run-tsan
