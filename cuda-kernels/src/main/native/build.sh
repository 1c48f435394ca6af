#!/usr/bin/env bash
# Builds the CUDA core's kernel libraries from the sources in this folder.
#   build.sh OUT_DIR [emulated|device|all]   the libraries, into OUT_DIR
#   build.sh --test                          compiles and runs the emulation's self-test
# libjsae_cuda_emulated.so: g++ against emulation/jsae_emulation.h (needs only a C++17 compiler).
# libjsae_cuda.so: nvcc when it is on the PATH (or NVCC names it), cudart linked statically, for the
# architectures in JSAE_CUDA_ARCHS (default "80 86 89 90a") plus compute_90 PTX for newer GPUs. Without nvcc the
# device library is skipped with a note and the Java side reports the backend as not built.
# A library newer than every source is kept as it is.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
CXX=${CXX:-g++}
NVCC=${NVCC:-nvcc}

if [[ ${1:-} == --test ]]; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    "$CXX" -std=c++17 -O2 -pthread -DJSAE_EMULATION -I"$here" "$here/../../test/native/emulation_test.cpp" \
        "$here/emulation/jsae_emulation.cpp" -o "$tmp/emulation_test"
    "$tmp/emulation_test"
    exit
fi

out=${1:?usage: build.sh OUT_DIR [emulated|device|all] | build.sh --test}
what=${2:-all}
mkdir -p "$out"
sources=("$here"/*.h "$here"/*.cuh "$here"/*.cu "$here"/emulation/*)

up_to_date() {
    [[ -f $1 ]] || return 1
    local s
    for s in "${sources[@]}"; do
        [[ $s -nt $1 ]] && return 1
    done
    return 0
}

if [[ $what != device ]]; then
    lib="$out/libjsae_cuda_emulated.so"
    if up_to_date "$lib"; then
        echo "jsae: $lib is up to date"
    elif command -v "$CXX" >/dev/null; then
        echo "jsae: building $lib with $CXX"
        "$CXX" -std=c++17 -O2 -fPIC -shared -pthread -fvisibility=hidden -DJSAE_EMULATION -I"$here" \
            -x c++ "$here/jsae_sae.cu" -x none "$here/emulation/jsae_emulation.cpp" -o "$lib"
    else
        echo "jsae: no C++ compiler ($CXX): the emulated kernels are not built"
    fi
fi

if [[ $what != emulated ]]; then
    lib="$out/libjsae_cuda.so"
    if up_to_date "$lib"; then
        echo "jsae: $lib is up to date"
    elif command -v "$NVCC" >/dev/null; then
        gencode=()
        for a in ${JSAE_CUDA_ARCHS:-80 86 89 90a}; do
            gencode+=(-gencode "arch=compute_$a,code=sm_$a")
        done
        gencode+=(-gencode "arch=compute_90,code=compute_90")
        echo "jsae: building $lib with $("$NVCC" --version | tail -1) for sm ${JSAE_CUDA_ARCHS:-80 86 89 90a} + compute_90"
        "$NVCC" -std=c++17 -O3 -shared -Xcompiler -fPIC,-fvisibility=hidden -cudart static --threads 0 \
            "${gencode[@]}" -I"$here" "$here/jsae_sae.cu" -o "$lib"
    else
        echo "jsae: nvcc not found: the device kernels are not built (the cuda backend will say so)"
    fi
fi
