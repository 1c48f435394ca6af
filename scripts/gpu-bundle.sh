#!/usr/bin/env bash
# Builds target/jsae-gpu-check.tar.gz: everything a rented Linux x86-64 GPU machine needs to run the GPU check
# (scripts/gpu-check.sh) without Java, Maven or network; at most 60 MiB, or this script fails.
#
#   bash scripts/gpu-bundle.sh [--no-build]
#
# Contents (one folder, jsae-gpu-check/):
#   runtime/   a Java runtime made with jlink: the modules jdeps says the jars need, plus java.base, jdk.unsupported,
#              java.logging, java.management
#   lib/       jsae-core and its test jar (the conformance kit, the synthetic data), jsae-cuda-kernels (with the
#              prebuilt libjsae_cuda.so and its JNI glue) and a jar of its test classes (GpuCheck, the kit's cuda
#              test), javacpp, jackson, slf4j, the JUnit platform; no libtorch, OpenBLAS or bytedeco cuda jars
#   native/    the kernel sources and build.sh, to rebuild libjsae_cuda.so with the machine's nvcc
#   scripts/   gpu-check.sh (the one command to run there) and torch_step.py (the PyTorch baseline)
#   BUNDLE.txt commit, date, runtime, modules, jars
# On the GPU machine:  tar xzf jsae-gpu-check.tar.gz && cd jsae-gpu-check && bash scripts/gpu-check.sh
#
# --no-build uses the build already in the tree; otherwise this runs
# `mvn -B -q -pl cuda-kernels -am install -DskipTests` first (offline when ~/.m2 allows). nvcc must be on the
# PATH for the build to carry prebuilt device kernels; without it the bundle still works where the GPU machine
# has nvcc (gpu-check.sh rebuilds them there). JLINK_JDK names the JDK whose jlink and jmods to use (default:
# JAVA_HOME, else the JDK of the java on the PATH); a JDK 17 gives the smallest runtime that runs the jars.
set -euo pipefail

MAX_BYTES=$((60 * 1024 * 1024))
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build=1
for a in "$@"; do
    case $a in
        --no-build) build=0 ;;
        -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
        *) echo "gpu-bundle: unknown argument $a" >&2; exit 2 ;;
    esac
done

say() { echo "gpu-bundle: $*"; }
die() { echo "gpu-bundle: $*" >&2; exit 1; }

# ---- the build ------------------------------------------------------------------------------------------------
if ((build)); then
    say "building core and cuda-kernels (mvn install -DskipTests)"
    if ! mvn -o -B -q -pl cuda-kernels -am install -DskipTests; then
        say "the offline build failed; trying with the network"
        mvn -B -q -pl cuda-kernels -am install -DskipTests || die "the Maven build failed"
    fi
fi
version=$(awk -F'[<>]' '/<version>/ { print $3; exit }' pom.xml)
core_jar=core/target/jsae-core-$version.jar
core_tests=core/target/jsae-core-$version-tests.jar
cuda_jar=cuda-kernels/target/jsae-cuda-kernels-$version.jar
test_classes=cuda-kernels/target/test-classes
for f in "$core_jar" "$core_tests" "$cuda_jar"; do
    [[ -f $f ]] || die "$f is missing: run without --no-build, or mvn -B -q install -DskipTests"
done
[[ -f $test_classes/io/jsae/cuda/GpuCheck.class ]] || die "$test_classes has no GpuCheck.class: build the module's tests"
platform=linux-x86_64
listing=$(unzip -l "$cuda_jar") || die "cannot list $cuda_jar"
if grep -q "io/jsae/cuda/$platform/libjsae_cuda.so" <<<"$listing"; then
    prebuilt="yes"
else
    prebuilt="no"
    say "WARNING: $cuda_jar carries no device kernels (no nvcc at build time); the GPU machine must rebuild them with nvcc"
fi
grep -q "io/jsae/cuda/$platform/libjniNativeCuda.so" <<<"$listing" \
    || die "$cuda_jar has no JNI glue for $platform (libjniNativeCuda.so): was it built with a C++ compiler?"

# ---- the jars -------------------------------------------------------------------------------------------------
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
stage=$tmp/jsae-gpu-check
mkdir -p "$stage/lib" "$stage/scripts"
cpfile=$tmp/classpath.txt
if ! mvn -o -B -q -pl cuda-kernels dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cpfile" \
        >"$tmp/mvn-cp.log" 2>&1; then
    say "the offline dependency:build-classpath failed; trying with the network"
    mvn -B -q -pl cuda-kernels dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cpfile" \
        >"$tmp/mvn-cp.log" 2>&1 || { cat "$tmp/mvn-cp.log" >&2; die "cannot resolve the test class path of cuda-kernels"; }
fi
{ tr ':' '\n' <"$cpfile"; echo; } | sed '/^$/d' | while read -r jar; do
    case $jar in
        */org/bytedeco/pytorch/*|*/org/bytedeco/openblas/*|*/org/bytedeco/cuda/*) echo "drop $jar" ;;
        */io/jsae/*) ;;  # taken from the tree below, not from ~/.m2
        *) [[ -f $jar ]] || { echo "missing $jar" >&2; exit 1; }; cp "$jar" "$stage/lib/" ;;
    esac
done >"$tmp/dropped.txt"
cp "$core_jar" "$core_tests" "$cuda_jar" "$stage/lib/"
for needed in junit-platform-launcher junit-jupiter-engine junit-platform-engine javacpp jackson-databind slf4j-api; do
    compgen -G "$stage/lib/$needed-[0-9]*.jar" >/dev/null || die "the class path lacks $needed"
done
jar_cmd=$(command -v jar || true)
[[ -n $jar_cmd ]] || die "no 'jar' tool on the PATH (a JDK is needed)"
"$jar_cmd" --create --file "$stage/lib/jsae-cuda-kernels-$version-tests.jar" -C "$test_classes" .
# A logger for the backend's lines (which backend, why another was passed over), where ~/.m2 has one.
slf4j=$(compgen -G "$stage/lib/slf4j-api-*.jar" || true)
slf4j=${slf4j%%$'\n'*}
if [[ -n $slf4j ]]; then
    v=$(basename "$slf4j" .jar); v=${v#slf4j-api-}
    simple=$HOME/.m2/repository/org/slf4j/slf4j-simple/$v/slf4j-simple-$v.jar
    [[ -f $simple ]] && cp "$simple" "$stage/lib/"
fi
jars=$(ls "$stage/lib")
for forbidden in pytorch openblas 'cuda-[0-9]'; do
    if grep -q "^$forbidden" <<<"$jars"; then die "a $forbidden jar slipped into the bundle"; fi
done

# ---- the runtime ----------------------------------------------------------------------------------------------
jdk=${JLINK_JDK:-${JAVA_HOME:-}}
if [[ -z $jdk ]]; then
    jdk=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
fi
[[ -x $jdk/bin/jlink && -x $jdk/bin/jdeps ]] || die "no jlink/jdeps in $jdk (set JLINK_JDK to a JDK)"
jdk_version=$("$jdk/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
((jdk_version >= 17)) || die "the JDK in $jdk is $jdk_version; jlink needs 17 or newer to run these jars"
if [[ ! -d $jdk/jmods ]]; then
    say "note: $jdk has no jmods folder; jlink links from the run-time image if this JDK allows it"
fi
# jdeps reads the classes, not the module descriptors: jsae-core's module-info requires org.bytedeco.pytorch,
# which the bundle leaves out (only the CPU backend needs it), so each jar is unpacked without module-info and
# META-INF (its multi-release variants included) and the folders are analysed as plain class folders.
mkdir -p "$tmp/jdeps"
for j in "$stage"/lib/*.jar; do
    d=$tmp/jdeps/$(basename "$j" .jar)
    mkdir -p "$d"
    rc=0
    unzip -qq -o "$j" -x 'module-info.class' 'META-INF/*' -d "$d" >/dev/null 2>&1 || rc=$?
    ((rc == 0 || rc == 11)) || die "cannot unpack $j (unzip exit $rc)"  # 11: nothing left to unpack
done
cp_all=$(ls -d "$tmp"/jdeps/* | paste -sd: -)
modules=$("$jdk/bin/jdeps" --ignore-missing-deps --print-module-deps --class-path "$cp_all" "$tmp"/jdeps/* \
    2>"$tmp/jdeps.err" | tail -1) || { cat "$tmp/jdeps.err" >&2; die "jdeps failed"; }
[[ $modules == *java.base* ]] || { cat "$tmp/jdeps.err" >&2; die "jdeps printed no module list: $modules"; }
modules=$(echo "$modules,java.base,jdk.unsupported,java.logging,java.management" | tr ',' '\n' | sed '/^$/d' | sort -u | paste -sd, -)
if ((jdk_version >= 21)); then compress=zip-9; else compress=2; fi
say "jlink from $jdk (Java $jdk_version): $modules"
"$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages --compress="$compress" \
    --output "$stage/runtime"
"$stage/runtime/bin/java" -version >/dev/null 2>&1 || die "the jlink'd runtime does not start"

# ---- kernel sources and scripts ----------------------------------------------------------------------------------
cp -r cuda-kernels/src/main/native "$stage/native"
cp scripts/gpu-check.sh scripts/torch_step.py "$stage/scripts/"
chmod +x "$stage/scripts/gpu-check.sh" "$stage/native/build.sh"

commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
changes=$(git status --porcelain --untracked-files=no 2>/dev/null || true)
dirty=${changes:+ (with uncommitted changes)}
{
    echo "jsae GPU check bundle"
    echo "built:    $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -n)"
    echo "commit:   $commit$dirty"
    echo "runtime:  $("$stage/runtime/bin/java" -version 2>&1 | head -1); modules $modules"
    echo "kernels:  prebuilt libjsae_cuda.so in the cuda-kernels jar: $prebuilt; nvcc here: $(command -v nvcc >/dev/null && nvcc --version | tail -2 | head -1 || echo none)"
    echo "run:      tar xzf jsae-gpu-check.tar.gz && cd jsae-gpu-check && bash scripts/gpu-check.sh"
    echo "jars:"
    (cd "$stage/lib" && ls -1 | sed 's/^/  /')
    echo "left out (the check needs no libtorch):"
    sed 's|^drop .*/|  |' "$tmp/dropped.txt"
} >"$stage/BUNDLE.txt"

mkdir -p target
out=target/jsae-gpu-check.tar.gz
tar -C "$tmp" -czf "$out.part" jsae-gpu-check
size=$(stat -c %s "$out.part")
if ((size > MAX_BYTES)); then
    rm -f "$out.part"
    die "the bundle is $((size / 1024 / 1024)) MiB, over the 60 MiB limit"
fi
mv "$out.part" "$out"
say "$out: $(awk -v s="$size" 'BEGIN { printf "%.1f MiB", s / 1048576 }') (runtime $(du -sh "$stage/runtime" | cut -f1), lib $(du -sh "$stage/lib" | cut -f1), native $(du -sh "$stage/native" | cut -f1) unpacked)"
