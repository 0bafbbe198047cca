# The `ask` tests (docs/ask.md): PostgreSQL, and the scripted LLM sandbox
# for the processor.
check_PROGRAMS += tests/ask/ask-direct
tests_ask_ask_direct_SOURCES = tests/ask/ask-direct.c
tests_ask_ask_direct_CFLAGS = $(AM_CFLAGS) $(PQ_CFLAGS)
tests_ask_ask_direct_LDADD = $(PQ_LIBS)
TESTS += tests/ask/ask-hostile.sh tests/ask/ask-exec.sh tests/ask/benign.sh tests/ask/ask-llm.sh \
	tests/ask/ask-replica.sh tests/ask/ask-api.sh
EXTRA_DIST += tests/ask/ask-lib.sh tests/ask/fixture.sql \
	tests/ask/hostile.txt tests/ask/ask-hostile.sh tests/ask/ask-exec.sh \
	tests/ask/benign.txt tests/ask/benign.sh tests/ask/ask-llm.sh \
	tests/ask/ask-replica.sh tests/ask/ask-api.sh
