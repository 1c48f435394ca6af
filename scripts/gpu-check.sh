#!/usr/bin/env bash
# The one command for a GPU machine (docs/design.md, section 9). Runs the GPU check (io.jsae.cuda.GpuCheck):
# the conformance kit and the half-precision input check on the real cuda backend, ground-truth recovery, the
# step time per precision against its floor and, where python3 has a CUDA torch, the PyTorch baseline; a short
# table last. Ends within 8 minutes (JSAE_CHECK_BUDGET_S, default 470 s, for everything including a kernel
# rebuild); everything it prints also goes to ./gpu-check.log. Exit status: GpuCheck's (0 pass, 1 a check
# failed, 3 no usable GPU / kernels, 4 error), 124 when the budget ran out.
#
#   bash scripts/gpu-check.sh [GpuCheck options: --quick, --steps N, --repeats N, --precisions FP32,BF16, ...]
#
# Where it runs from:
#   - the bundle of scripts/gpu-bundle.sh (runtime/bin/java, lib/*.jar, native/): needs no Java, Maven or network;
#   - a repository checkout built with `mvn -B -q install -DskipTests` (java on the PATH, Maven offline for the
#     class path).
# If the prebuilt libjsae_cuda.so cannot run here (it does not load, the driver is older than the CUDA runtime it
# was linked with, or it has no code for this GPU) and a GPU and nvcc are present, it rebuilds the kernels with
# that nvcc for this GPU's architecture (JSAE_CUDA_ARCHS overrides, e.g. "90a") into ./rebuilt and runs again with
# -Djsae.cuda.library. JSAE_REBUILD=1 rebuilds first without trying the prebuilt library.
# cuBLAS is opened at run time (libcublas.so.13/.12/.11, or the file JSAE_CUBLAS names): the toolkit's lib64
# and any pip nvidia/cublas/lib folder are added to LD_LIBRARY_PATH.
set -uo pipefail

budget=${JSAE_CHECK_BUDGET_S:-470}
start=$(date +%s)
log="$PWD/gpu-check.log"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$PWD

left() { echo $((budget - ($(date +%s) - start))); }

main() {
    echo "== jsae gpu-check: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -n), budget ${budget} s, log $log"

    # ---- where the runtime, the jars and the kernel sources are ----
    local java cp native torch_script
    if [[ -x $here/runtime/bin/java && -d $here/lib ]]; then
        java=$here/runtime/bin/java
        cp=$(ls "$here"/lib/*.jar | paste -sd: -)
        native=$here/native
        torch_script=$here/scripts/torch_step.py
        [[ -f $here/BUNDLE.txt ]] && sed -n '1,4p' "$here/BUNDLE.txt"
    elif [[ -f $here/cuda-kernels/pom.xml ]]; then
        echo "running from the repository checkout $here (no bundle runtime found)"
        java=${JAVA_HOME:+$JAVA_HOME/bin/}java
        command -v "$java" >/dev/null || { echo "gpu-check: no java on the PATH"; return 4; }
        local tc=$here/cuda-kernels/target
        if [[ ! -f $tc/test-classes/io/jsae/cuda/GpuCheck.class ]]; then
            echo "gpu-check: $tc/test-classes has no GpuCheck.class: run mvn -B -q install -DskipTests first"
            return 4
        fi
        local deps
        deps=$(mktemp)
        if ! (cd "$here" && mvn -o -B -q -pl cuda-kernels dependency:build-classpath -Dmdep.includeScope=test \
                -Dmdep.outputFile="$deps" >/dev/null 2>&1); then
            echo "gpu-check: mvn could not resolve the class path offline; build the bundle (scripts/gpu-bundle.sh) instead"
            rm -f "$deps"
            return 4
        fi
        cp=$tc/classes:$tc/test-classes:$( (tr ':' '\n' <"$deps"; echo) | grep -v -e '^$' -e /org/bytedeco/pytorch/ \
            -e /org/bytedeco/openblas/ -e /org/bytedeco/cuda/ | paste -sd: -)
        local api simple
        api=$(tr ':' '\n' <"$deps" | grep -m1 '/slf4j-api-' || true)
        simple=${api//slf4j-api/slf4j-simple}
        [[ -n $api && -f $simple ]] && cp=$cp:$simple
        rm -f "$deps"
        native=$here/cuda-kernels/src/main/native
        torch_script=$here/scripts/torch_step.py
    else
        echo "gpu-check: found neither a bundle (runtime/, lib/) nor a checkout (cuda-kernels/) above $here/scripts"
        return 4
    fi
    echo "java: $("$java" -version 2>&1 | head -1)"

    # ---- the GPU and the driver ----
    local have_gpu=0 cc=""
    if command -v nvidia-smi >/dev/null; then
        timeout 30 nvidia-smi --query-gpu=index,name,driver_version,memory.total,compute_cap,clocks.max.sm \
            --format=csv 2>&1 || true
        timeout 30 nvidia-smi 2>/dev/null | grep -m1 'CUDA Version' || true
        if timeout 30 nvidia-smi -L 2>/dev/null | grep -q '^GPU '; then
            have_gpu=1
            cc=$(timeout 30 nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d ' ')
        fi
    else
        echo "nvidia-smi: not found (no NVIDIA driver on this machine)"
    fi

    # ---- nvcc, cuBLAS ----
    local nvcc_bin=${NVCC:-$(command -v nvcc || true)}
    if [[ -z $nvcc_bin && -x /usr/local/cuda/bin/nvcc ]]; then nvcc_bin=/usr/local/cuda/bin/nvcc; fi
    local extra=()
    if [[ -n $nvcc_bin ]]; then
        echo "nvcc: $nvcc_bin, $("$nvcc_bin" --version 2>/dev/null | grep -m1 release)"
        local tk
        tk=$(cd "$(dirname "$(readlink -f "$nvcc_bin")")/.." && pwd)
        [[ -d $tk/lib64 ]] && extra+=("$tk/lib64")
        [[ -d $tk/targets/x86_64-linux/lib ]] && extra+=("$tk/targets/x86_64-linux/lib")
    else
        echo "nvcc: not found (the prebuilt kernels must run as they are)"
    fi
    [[ -d /usr/local/cuda/lib64 ]] && extra+=(/usr/local/cuda/lib64)
    local d
    if command -v python3 >/dev/null; then
        while read -r d; do [[ -n $d && -d $d ]] && extra+=("$d"); done < <(timeout 60 python3 - 2>/dev/null <<'EOF'
import glob, os, site, sys
roots = list(getattr(site, "getsitepackages", lambda: [])()) + [site.getusersitepackages()] + sys.path
seen = set()
for r in roots:
    for d in glob.glob(os.path.join(r, "nvidia", "cublas", "lib")):
        if d not in seen:
            seen.add(d)
            print(d)
EOF
)
    fi
    for d in /usr/local/lib/python3*/{dist,site}-packages/nvidia/cublas/lib "$HOME"/.local/lib/python3*/site-packages/nvidia/cublas/lib; do
        [[ -d $d ]] && extra+=("$d")
    done
    # torch (run by GpuCheck for the baseline) loads its own CUDA libraries: it gets the caller's LD_LIBRARY_PATH back.
    export JSAE_CHECK_LD_SET=1 JSAE_CHECK_ORIGINAL_LD_LIBRARY_PATH=${LD_LIBRARY_PATH-}
    if ((${#extra[@]})); then
        local joined
        joined=$(printf '%s\n' "${extra[@]}" | awk '!seen[$0]++' | paste -sd: -)
        export LD_LIBRARY_PATH=$joined${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
        echo "LD_LIBRARY_PATH += $joined"
    fi
    [[ -n ${JSAE_CUBLAS:-} ]] && echo "JSAE_CUBLAS=$JSAE_CUBLAS"

    local jvm=(-Xmx"${JSAE_CHECK_XMX:-3g}" -Dorg.bytedeco.javacpp.maxPhysicalBytes=0 -Dorg.bytedeco.javacpp.maxBytes=0
        -Dorg.bytedeco.javacpp.cachedir="$work/.jsae-javacpp-cache" -Djsae.check.torch-script="$torch_script"
        -Dorg.slf4j.simpleLogger.showThreadName=false)

    local rebuilt=$work/rebuilt/libjsae_cuda.so out rc
    out=$(mktemp)
    local tries=0 library_opt=()
    if [[ ${JSAE_REBUILD:-0} == 1 ]]; then
        rebuild "$nvcc_bin" "$native" "$cc" || return 3
        library_opt=(-Djsae.cuda.library="$rebuilt")
    fi
    while :; do
        tries=$((tries + 1))
        local t
        t=$(left)
        if ((t < 20)); then
            echo "gpu-check: out of time (${budget} s budget) before running the check"
            return 124
        fi
        echo "== GpuCheck (try $tries, ${t} s left)${library_opt:+ with ${library_opt[*]}}"
        timeout -k 10 "$((t - 5))" "$java" "${jvm[@]}" "${library_opt[@]}" -cp "$cp" io.jsae.cuda.GpuCheck \
            --budget-s "$((t - 15))" "$@" 2>&1 | tee "$out"
        rc=${PIPESTATUS[0]}
        if ((rc == 124 || rc == 137)); then
            echo "gpu-check: GpuCheck ran past the budget and was stopped (rc $rc)"
            return 124
        fi
        ((rc == 3)) || break
        # The backend cannot run here. Rebuilding helps when a GPU answers and the library or its code is at fault.
        if ((!have_gpu)); then
            echo "gpu-check: no usable NVIDIA GPU here (see the PROBE FAILED line above); nothing to check"
            break
        fi
        if grep -qi 'cublas' "$out"; then
            echo "gpu-check: cuBLAS is missing or failed: install the toolkit's libcublas or pip nvidia-cublas, put its"
            echo "           folder on LD_LIBRARY_PATH, or name the file in JSAE_CUBLAS"
            break
        fi
        if ((${#library_opt[@]})); then
            echo "gpu-check: the kernels rebuilt here do not run either; see the reason above"
            break
        fi
        if [[ -z $nvcc_bin ]]; then
            echo "gpu-check: the prebuilt kernels do not run here and there is no nvcc to rebuild them"
            break
        fi
        rebuild "$nvcc_bin" "$native" "$cc" || break
        library_opt=(-Djsae.cuda.library="$rebuilt")
    done
    rm -f "$out"
    return "$rc"
}

# Builds libjsae_cuda.so with the local nvcc for this GPU's architecture into ./rebuilt.
rebuild() {
    local nvcc_bin=$1 native=$2 cc=$3
    if [[ -z $nvcc_bin ]]; then
        echo "gpu-check: JSAE_REBUILD=1 but there is no nvcc"
        return 1
    fi
    local archs=${JSAE_CUDA_ARCHS:-}
    if [[ -z $archs && -n $cc ]]; then
        archs=${cc/./}
        [[ $archs == 90 ]] && archs=90a
    fi
    local t
    t=$(left)
    echo "== rebuilding the kernels with $nvcc_bin for sm ${archs:-80 86 89 90a} into $work/rebuilt (${t} s left)"
    rm -f "$work/rebuilt/libjsae_cuda.so"
    if ! JSAE_CUDA_ARCHS=${archs:-80 86 89 90a} NVCC=$nvcc_bin timeout -k 5 "$((t > 30 ? t - 20 : 10))" \
            bash "$native/build.sh" "$work/rebuilt" device; then
        echo "gpu-check: the rebuild failed"
        return 1
    fi
    [[ -f $work/rebuilt/libjsae_cuda.so ]] || { echo "gpu-check: the rebuild made no library"; return 1; }
}

main "$@" 2>&1 | tee "$log"
exit "${PIPESTATUS[0]}"
