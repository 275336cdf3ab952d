#!/usr/bin/env bash
# Builds the project (tests skipped) and runs one benchmark harness: benchmarks/run.sh CLASS [ARGS...]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mvn -B -q -DskipTests package
# The CLI's packaged runtime (circuits/target/lib) holds every module and dependency of this build.
cp="benchmarks/target/classes:circuits/target/circuitscope.jar:circuits/target/lib/*"
cls="$1"; shift
# Same OpenMP and allocator settings as the launcher (see ./circuitscope).
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
# Two intra-op threads, as RESULTS.md reports and Surefire sets, whatever cores PyTorch would pick by itself.
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}"
export THP_MEM_ALLOC_ENABLE="${THP_MEM_ALLOC_ENABLE:-1}"
exec java -Xmx8g -Dai.djl.offline=true -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "$cp" "io.circuitscope.benchmarks.$cls" "$@"
