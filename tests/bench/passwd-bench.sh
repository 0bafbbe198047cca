#!/bin/bash
# passwd-bench: the cost of one sign-in's Argon2id hash at the default
# parameters (auth.argon2_iterations, auth.argon2_memory_kib; target about
# 100 ms on the build host) and nearby ones, beside SHA-256 measured in
# the same run. `make bench BENCH=passwd` [N runs, default 9].
set -euo pipefail
exec "${abs_top_builddir:-.}/tests/bench/bench-passwd" "${1:-9}"
