// Runtime of the host CUDA emulation: worker pool, fibers, block scheduler, warp collectives, memory registry.
// See jsae_emulation.h for what kernels may use.
//
// Shape of a launch: the caller posts a job to a lazily created pool of worker threads and waits. Each worker
// claims blocks one at a time. For a block it prepares one fiber per CUDA thread (stacks are mmap'd once per
// worker, 64 KiB plus a guard page each, reused) and switches into fiber 0. A fiber runs until it blocks (at
// __syncthreads or a warp operation), exits or faults; blocking switches straight to the next ready fiber in
// round-robin order, so a barrier costs about one switch per thread. The worker's own stack is the scheduler:
// control comes back to it only when no fiber is ready (block finished, or deadlock) or a fiber faulted.
// Fibers never move between OS threads, so thread_local state (the built-in indices, shared arrays) is the
// block's own.
#include "jsae_emulation.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdarg>
#include <exception>
#include <map>
#include <mutex>
#include <new>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <sys/mman.h>
#include <unistd.h>

// Under -fsanitize=thread the switches are announced to TSan (one TSan fiber per fiber slot), so a native
// test can look for races between blocks; switches synchronize, so races inside a block go unseen.
#if defined(__SANITIZE_THREAD__)
#define JSAE_EMU_TSAN 1
#include <sanitizer/tsan_interface.h>
#else
#define JSAE_EMU_TSAN 0
#endif

#if defined(__x86_64__) && !defined(JSAE_EMU_FORCE_UCONTEXT)
#define JSAE_EMU_ASM_SWITCH 1
#else
#define JSAE_EMU_ASM_SWITCH 0
#include <ucontext.h>
#endif

__thread uint3 threadIdx;
__thread uint3 blockIdx;
__thread uint3 blockDim;
__thread uint3 gridDim;

namespace jsae_emu {
namespace detail {
__thread unsigned long long block_epoch;
}
}  // namespace jsae_emu

// ---------------------------------------------------------------------------------------------------------
// Context switch
// ---------------------------------------------------------------------------------------------------------
#if JSAE_EMU_ASM_SWITCH
extern "C" {
// Saves the callee-saved registers, MXCSR and the x87 control word on the current stack, stores the stack
// pointer in *save_sp, loads load_sp and restores the same from there.
void jsae_emu_ctx_swap(void** save_sp, void* load_sp) __attribute__((visibility("hidden")));
// First code a new context runs: calls r13(r12), which never returns.
void jsae_emu_ctx_start() __attribute__((visibility("hidden")));
}
__asm__(
    ".pushsection .text\n"
    ".p2align 4\n"
    ".globl jsae_emu_ctx_swap\n"
    ".hidden jsae_emu_ctx_swap\n"
    ".type jsae_emu_ctx_swap, @function\n"
    "jsae_emu_ctx_swap:\n"
    "  pushq %rbp\n"
    "  pushq %rbx\n"
    "  pushq %r12\n"
    "  pushq %r13\n"
    "  pushq %r14\n"
    "  pushq %r15\n"
    "  subq $8, %rsp\n"
    "  stmxcsr (%rsp)\n"
    "  fnstcw 4(%rsp)\n"
    "  movq %rsp, (%rdi)\n"
    "  movq %rsi, %rsp\n"
    "  ldmxcsr (%rsp)\n"
    "  fldcw 4(%rsp)\n"
    "  addq $8, %rsp\n"
    "  popq %r15\n"
    "  popq %r14\n"
    "  popq %r13\n"
    "  popq %r12\n"
    "  popq %rbx\n"
    "  popq %rbp\n"
    "  ret\n"
    ".size jsae_emu_ctx_swap, .-jsae_emu_ctx_swap\n"
    ".p2align 4\n"
    ".globl jsae_emu_ctx_start\n"
    ".hidden jsae_emu_ctx_start\n"
    ".type jsae_emu_ctx_start, @function\n"
    "jsae_emu_ctx_start:\n"
    "  .cfi_startproc\n"
    "  .cfi_undefined rip\n"
    "  movq %r12, %rdi\n"
    "  callq *%r13\n"
    "  ud2\n"
    "  .cfi_endproc\n"
    ".size jsae_emu_ctx_start, .-jsae_emu_ctx_start\n"
    ".popsection\n");
#endif

namespace jsae_emu {
namespace {

using entry_fn = void (*)(void*);

// A fresh TSan fiber per run: an exited or abandoned fiber never unwinds its TSan shadow stack.
inline void renew_tsan_fiber(void*& tsan) {
#if JSAE_EMU_TSAN
    if (tsan != nullptr) __tsan_destroy_fiber(tsan);
    tsan = __tsan_create_fiber(0);
#else
    (void) tsan;
#endif
}

#if JSAE_EMU_ASM_SWITCH
struct context {
    void* sp = nullptr;
    void* tsan = nullptr;
};

unsigned long long current_fpu_state() {
    unsigned int mxcsr = __builtin_ia32_stmxcsr();
    unsigned short cw = 0;
    __asm__ volatile("fnstcw %0" : "=m"(cw));
    return mxcsr | (static_cast<unsigned long long>(cw) << 32);
}

// Lays out a frame that jsae_emu_ctx_swap "returns" into: FPU state, r15, r14, r13 = fn, r12 = arg, rbx,
// rbp, return address = jsae_emu_ctx_start. After the ret the stack pointer is 16-byte aligned, so the call
// in jsae_emu_ctx_start enters fn with the ABI's alignment.
void ctx_make(context* c, char* stack_lo, std::size_t size, entry_fn fn, void* arg, unsigned long long fpu) {
    std::uintptr_t top = (reinterpret_cast<std::uintptr_t>(stack_lo) + size) & ~static_cast<std::uintptr_t>(15);
    auto* sp = reinterpret_cast<unsigned long long*>(top - 80);
    sp[0] = fpu;
    sp[1] = 0;
    sp[2] = 0;
    sp[3] = reinterpret_cast<unsigned long long>(fn);
    sp[4] = reinterpret_cast<unsigned long long>(arg);
    sp[5] = 0;
    sp[6] = 0;
    sp[7] = reinterpret_cast<unsigned long long>(&jsae_emu_ctx_start);
    sp[8] = 0;
    sp[9] = 0;
    c->sp = sp;
    renew_tsan_fiber(c->tsan);
}

inline void ctx_swap(context* from, context* to) {
#if JSAE_EMU_TSAN
    __tsan_switch_to_fiber(to->tsan, 0);
#endif
    jsae_emu_ctx_swap(&from->sp, to->sp);
}

#else  // ucontext fallback

struct context {
    ucontext_t uc;
    entry_fn fn = nullptr;
    void* arg = nullptr;
    void* tsan = nullptr;
};

unsigned long long current_fpu_state() { return 0; }

void uc_entry(unsigned int hi, unsigned int lo) {
    auto* c = reinterpret_cast<context*>(
        static_cast<std::uintptr_t>((static_cast<unsigned long long>(hi) << 32) | lo));
    c->fn(c->arg);
}

void ctx_make(context* c, char* stack_lo, std::size_t size, entry_fn fn, void* arg, unsigned long long) {
    getcontext(&c->uc);
    c->uc.uc_stack.ss_sp = stack_lo;
    c->uc.uc_stack.ss_size = size;
    c->uc.uc_link = nullptr;
    c->fn = fn;
    c->arg = arg;
    unsigned long long v = static_cast<unsigned long long>(reinterpret_cast<std::uintptr_t>(c));
    makecontext(&c->uc, reinterpret_cast<void (*)()>(&uc_entry), 2, static_cast<unsigned int>(v >> 32),
                static_cast<unsigned int>(v & 0xffffffffu));
    renew_tsan_fiber(c->tsan);
}

inline void ctx_swap(context* from, context* to) {
#if JSAE_EMU_TSAN
    __tsan_switch_to_fiber(to->tsan, 0);
#endif
    swapcontext(&from->uc, &to->uc);
}
#endif

// ---------------------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------------------
std::size_t page_bytes() {
    static const std::size_t p = [] {
        long v = sysconf(_SC_PAGESIZE);
        return v > 0 ? static_cast<std::size_t>(v) : static_cast<std::size_t>(4096);
    }();
    return p;
}

long env_long(const char* name, long lo, long hi, long fallback) {
    const char* s = std::getenv(name);
    if (s == nullptr || *s == '\0') return fallback;
    char* end = nullptr;
    errno = 0;
    long v = std::strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) return fallback;
    return v;
}

// Stack of one fiber: JSAE_EMU_STACK_KB (default 64), rounded up to whole pages.
std::size_t stack_bytes() {
    static const std::size_t s = [] {
        std::size_t b = static_cast<std::size_t>(env_long("JSAE_EMU_STACK_KB", 16, 65536, 64)) * 1024;
        std::size_t p = page_bytes();
        return (b + p - 1) / p * p;
    }();
    return s;
}

constexpr unsigned kMaxBlockThreads = 1024;
constexpr std::size_t kMaxDynamicSmem = 227 * 1024;  // per block on sm_90

// ---------------------------------------------------------------------------------------------------------
// Workers, fibers and launches
// ---------------------------------------------------------------------------------------------------------
enum : unsigned char { F_READY, F_RUNNING, F_BARRIER, F_WARP, F_DONE, F_FAULT };

struct fiber {
    context ctx;
    char* stack_lo = nullptr;
    uint3 tid{0, 0, 0};
    unsigned char state = F_DONE;
    unsigned char wkind = 0;
    bool in_body = false;    // inside the kernel body (its frames are live)
    bool needs_make = true;  // the context must be (re)made before the next run
    int warg = 0;
    int wwidth = 32;
    unsigned wmask = 0;
    unsigned long long wval = 0;
    unsigned long long wres = 0;
};

struct launch_state {
    const char* name = "";
    dim3 grid;
    dim3 block;
    std::size_t smem = 0;
    const std::function<void()>* body = nullptr;
    int nthreads = 0;
    std::atomic<bool> failed{false};
    std::mutex mu;
    std::string error;
};

struct worker {
    std::vector<fiber> fibers;
    context sched;
    launch_state* L = nullptr;
    int n = 0;            // threads of the running block
    int cur = -1;         // running fiber
    int ready = 0;        // fibers in F_READY
    int done = 0;         // fibers that exited
    int bar_arrived = 0;  // fibers waiting at the block barrier
    int bar_acc = 0;
    int bar_result = 0;
    int first_exited = -1;
    bool in_fibers = false;
    bool abort = false;
    unsigned waiting[32] = {};  // per warp: lanes waiting in a warp operation
    unsigned exited[32] = {};   // per warp: lanes that exited
    unsigned live[32] = {};     // per warp: lanes that exist
    unsigned char* dsmem = nullptr;
    std::size_t dsmem_cap = 0;
    uint3* tid_tls = nullptr;
    char pending[600] = {};
};

__thread worker* tls_worker = nullptr;

const char* const kKindNames[detail::WARP_KIND_COUNT] = {
    "__syncwarp()",        "__shfl_sync()",       "__shfl_up_sync()",    "__shfl_down_sync()",
    "__shfl_xor_sync()",   "__ballot_sync()/__any_sync()/__all_sync()", "__reduce_add_sync()",
    "__reduce_min_sync()", "__reduce_max_sync()", "__reduce_min_sync()", "__reduce_max_sync()",
    "__reduce_and_sync()", "__reduce_or_sync()",  "__reduce_xor_sync()"};

const char* kind_name(int k) { return k >= 0 && k < detail::WARP_KIND_COUNT ? kKindNames[k] : "warp operation"; }

// fiber >= 0: that fiber of the running block; -1: the running block; -2: the launch as a whole.
void record_error(worker* w, int fiber_index, const char* what) {
    launch_state* L = w->L;
    if (L == nullptr) return;
    char buf[1600];
    if (fiber_index >= 0) {
        const uint3& t = w->fibers[static_cast<std::size_t>(fiber_index)].tid;
        std::snprintf(buf, sizeof buf, "kernel '%s' block (%u,%u,%u) thread (%u,%u,%u): %s", L->name, blockIdx.x,
                      blockIdx.y, blockIdx.z, t.x, t.y, t.z, what);
    } else if (fiber_index == -1) {
        std::snprintf(buf, sizeof buf, "kernel '%s' block (%u,%u,%u): %s", L->name, blockIdx.x, blockIdx.y,
                      blockIdx.z, what);
    } else {
        std::snprintf(buf, sizeof buf, "kernel '%s': %s", L->name, what);
    }
    {
        std::lock_guard<std::mutex> g(L->mu);
        if (L->error.empty()) {
            try {
                L->error = buf;
            } catch (...) {
            }
        }
    }
    L->failed.store(true, std::memory_order_relaxed);
}

// Records what for the running fiber and leaves it for good; the scheduler abandons the block.
[[noreturn]] void fault_fiber(worker* w, const char* what) {
    record_error(w, w->cur, what);
    w->abort = true;
    fiber& f = w->fibers[static_cast<std::size_t>(w->cur)];
    f.state = F_FAULT;
    ctx_swap(&f.ctx, &w->sched);
    __builtin_unreachable();
}

[[noreturn]] __attribute__((format(printf, 2, 3))) void faultf(worker* w, const char* fmt, ...) {
    char what[1024];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    fault_fiber(w, what);
}

// The worker of the calling fiber; outside a launch, throws (host code called a device built-in).
worker* need_fiber(const char* what) {
    worker* w = tls_worker;
    if (w == nullptr || !w->in_fibers) {
        throw std::runtime_error(std::string(what) + " called outside a kernel launch");
    }
    return w;
}

// The running fiber has just left F_RUNNING: run the next ready fiber (round robin), or go back to the
// scheduler when none is. Returns when this fiber is resumed.
void switch_away(worker* w) {
    fiber* F = w->fibers.data();
    fiber& me = F[w->cur];
    if (w->ready > 0) {
        int n = w->n;
        int j = w->cur;
        do {
            if (++j == n) j = 0;
        } while (F[j].state != F_READY);
        F[j].state = F_RUNNING;
        --w->ready;
        w->cur = j;
        *w->tid_tls = F[j].tid;
        ctx_swap(&me.ctx, &F[j].ctx);
    } else {
        ctx_swap(&me.ctx, &w->sched);
    }
}

// The running fiber returned from the kernel body. Returns when the fiber is resumed for a later block.
void finish_thread(worker* w) {
    fiber* F = w->fibers.data();
    int me = w->cur;
    int lane = me & 31;
    int warp = me >> 5;
    if (w->bar_arrived > 0) {
        faultf(w,
               "barrier not reached by every thread: this thread exited while %d other thread(s) of the block "
               "wait at __syncthreads()",
               w->bar_arrived);
    }
    unsigned wt = w->waiting[warp];
    while (wt != 0) {
        int l = __builtin_ctz(wt);
        wt &= wt - 1;
        const fiber& o = F[warp * 32 + l];
        if ((o.wmask >> lane) & 1u) {
            faultf(w, "this thread (lane %d) exited while lane %d of its warp waits for it in %s with mask 0x%08x",
                   lane, l, kind_name(o.wkind), o.wmask);
        }
    }
    F[me].state = F_DONE;
    F[me].in_body = false;
    ++w->done;
    w->exited[warp] |= 1u << lane;
    if (w->first_exited < 0) w->first_exited = me;
    switch_away(w);
}

// A fiber runs the body once per block, for as many blocks as its slot is used: after finishing it waits in
// finish_thread until the next block resumes it. A fiber left inside the body (fault, abandoned block) is
// made afresh instead.
void fiber_entry(void* arg) {
    worker* w = static_cast<worker*>(arg);
    for (;;) {
        w->fibers[static_cast<std::size_t>(w->cur)].in_body = true;
        bool threw = false;
        try {
            (*w->L->body)();
        } catch (const std::exception& e) {
            std::snprintf(w->pending, sizeof w->pending, "kernel threw an exception: %s", e.what());
            threw = true;
        } catch (...) {
            std::snprintf(w->pending, sizeof w->pending, "kernel threw an exception of unknown type");
            threw = true;
        }
        if (threw) fault_fiber(w, w->pending);  // outside the handler, so no exception stays "caught"
        finish_thread(w);
    }
}

int block_barrier(worker* w, int kind, int pred, const char* name) {
    if (w->first_exited >= 0) {
        const uint3& t = w->fibers[static_cast<std::size_t>(w->first_exited)].tid;
        faultf(w, "barrier not reached by every thread: %s called after thread (%u,%u,%u) of the block exited", name,
               t.x, t.y, t.z);
    }
    w->bar_acc += pred != 0;
    if (++w->bar_arrived == w->n) {
        w->bar_result = w->bar_acc;
        w->bar_arrived = 0;
        w->bar_acc = 0;
        fiber* F = w->fibers.data();
        int n = w->n;
        for (int i = 0; i < n; ++i) {
            if (F[i].state == F_BARRIER) F[i].state = F_READY;
        }
        w->ready += n - 1;
    } else {
        w->fibers[static_cast<std::size_t>(w->cur)].state = F_BARRIER;
        switch_away(w);
    }
    // Stable until every thread has read it: the next barrier completes only when all have arrived there.
    int c = w->bar_result;
    switch (kind) {
        case 1:
            return c == w->n;
        case 2:
            return c > 0;
        default:
            return c;
    }
}

// Computes every lane's result of a complete warp operation; lanes of mask all wait in it.
void complete_warp_op(fiber* base, int kind, unsigned mask) {
    switch (kind) {
        case detail::WARP_SYNC:
            return;
        case detail::WARP_SHFL_IDX:
        case detail::WARP_SHFL_UP:
        case detail::WARP_SHFL_DOWN:
        case detail::WARP_SHFL_XOR: {
            // PTX shfl.sync: c = ((32 - width) << 8) | clamp, clamp 0 for up and 0x1f otherwise.
            for (unsigned m = mask; m != 0; m &= m - 1) {
                int l = __builtin_ctz(m);
                fiber& f = base[l];
                int seg = (32 - f.wwidth) & 31;
                int b = f.warg & 31;
                int min_lane = l & seg;
                int j;
                bool in_range;
                if (kind == detail::WARP_SHFL_UP) {
                    j = l - b;
                    in_range = j >= min_lane;
                } else {
                    int max_lane = min_lane | (31 & ~seg);
                    if (kind == detail::WARP_SHFL_DOWN) {
                        j = l + b;
                    } else if (kind == detail::WARP_SHFL_XOR) {
                        j = l ^ b;
                    } else {
                        j = min_lane | (b & ~seg);
                    }
                    in_range = j <= max_lane;
                }
                if (!in_range) j = l;
                // A source lane outside the mask is undefined in CUDA: all-ones bytes (NaN, -1) make it show.
                f.wres = ((mask >> j) & 1u) ? base[j].wval : ~0ull;
            }
            return;
        }
        default:
            break;
    }
    unsigned long long r = 0;
    bool first = true;
    for (unsigned m = mask; m != 0; m &= m - 1) {
        int l = __builtin_ctz(m);
        unsigned long long v = base[l].wval;
        unsigned u = static_cast<unsigned>(v);
        int s = static_cast<int>(u);
        switch (kind) {
            case detail::WARP_VOTE:
                if (v != 0) r |= 1ull << l;
                break;
            case detail::WARP_REDUCE_ADD:
                r = static_cast<unsigned>(static_cast<unsigned>(r) + u);
                break;
            case detail::WARP_REDUCE_MIN_U:
                r = first ? u : std::min(static_cast<unsigned>(r), u);
                break;
            case detail::WARP_REDUCE_MAX_U:
                r = first ? u : std::max(static_cast<unsigned>(r), u);
                break;
            case detail::WARP_REDUCE_MIN_I:
                r = static_cast<unsigned>(first ? s : std::min(static_cast<int>(static_cast<unsigned>(r)), s));
                break;
            case detail::WARP_REDUCE_MAX_I:
                r = static_cast<unsigned>(first ? s : std::max(static_cast<int>(static_cast<unsigned>(r)), s));
                break;
            case detail::WARP_REDUCE_AND:
                r = first ? u : (static_cast<unsigned>(r) & u);
                break;
            case detail::WARP_REDUCE_OR:
                r = static_cast<unsigned>(r) | u;
                break;
            case detail::WARP_REDUCE_XOR:
                r = static_cast<unsigned>(r) ^ u;
                break;
            default:
                break;
        }
        first = false;
    }
    for (unsigned m = mask; m != 0; m &= m - 1) base[__builtin_ctz(m)].wres = r;
}

const char* describe_lane(const worker* w, int index, char* buf, std::size_t n) {
    const fiber& f = w->fibers[static_cast<std::size_t>(index)];
    switch (f.state) {
        case F_BARRIER:
            return "waiting at __syncthreads()";
        case F_WARP:
            std::snprintf(buf, n, "waiting in %s with mask 0x%08x", kind_name(f.wkind), f.wmask);
            return buf;
        case F_DONE:
            return "exited";
        default:
            return "not blocked";
    }
}

// Control came back to the scheduler with fibers left and none ready.
void diagnose_deadlock(worker* w) {
    const fiber* F = w->fibers.data();
    int n = w->n;
    int blame = -1;
    for (int i = 0; i < n && blame < 0; ++i) {
        if (F[i].state == F_WARP) blame = i;
    }
    char what[1024];
    if (blame < 0) {
        for (int i = 0; i < n && blame < 0; ++i) {
            if (F[i].state != F_DONE) blame = i;
        }
        std::snprintf(what, sizeof what, "deadlock: %d of %d threads wait at __syncthreads() and no thread can proceed",
                      w->bar_arrived, n);
        record_error(w, blame, what);
        return;
    }
    const fiber& f = F[blame];
    int warp = blame >> 5;
    unsigned missing = f.wmask & ~w->waiting[warp];
    char lane_state[160] = "";
    char lane_text[256];
    if (missing != 0) {
        int l = __builtin_ctz(missing);
        std::snprintf(lane_text, sizeof lane_text, "lane %d, which is %s", l,
                      describe_lane(w, warp * 32 + l, lane_state, sizeof lane_state));
    } else {
        std::snprintf(lane_text, sizeof lane_text, "lanes that disagree on the mask");
    }
    if (w->bar_arrived > 0) {
        std::snprintf(what, sizeof what,
                      "barrier not reached by every thread: %d of %d threads wait at __syncthreads() while this "
                      "thread waits in %s (mask 0x%08x) for %s",
                      w->bar_arrived, n, kind_name(f.wkind), f.wmask, lane_text);
    } else {
        std::snprintf(what, sizeof what, "deadlock: this thread waits in %s (mask 0x%08x) for %s", kind_name(f.wkind),
                      f.wmask, lane_text);
    }
    record_error(w, blame, what);
}

// Each guard page splits a mapping in two; past this many the process's map count (vm.max_map_count, shared
// with the JVM) matters more than catching a stack overflow, so later stacks go without.
constexpr long kGuardPageBudget = 8192;
std::atomic<long> g_guard_pages{0};

bool grow_fibers(worker* w, std::size_t need) {
    std::size_t have = w->fibers.size();
    if (have >= need) return true;
    std::size_t want = (need + 31) / 32 * 32;
    std::size_t k = want - have;
    std::size_t page = page_bytes();
    std::size_t slot = stack_bytes() + page;
    int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
#ifdef MAP_STACK
    flags |= MAP_STACK;
#endif
    void* m = mmap(nullptr, k * slot, PROT_READ | PROT_WRITE, flags, -1, 0);
    if (m == MAP_FAILED) return false;
    try {
        w->fibers.resize(want);
    } catch (...) {
        munmap(m, k * slot);
        return false;
    }
    // The elements moved (a ucontext_t points into itself): make every context afresh.
    for (fiber& f : w->fibers) f.needs_make = true;
    char* base = static_cast<char*>(m);
    for (std::size_t i = 0; i < k; ++i) {
        char* s = base + i * slot;
        if (g_guard_pages.fetch_add(1, std::memory_order_relaxed) < kGuardPageBudget) {
            mprotect(s, page, PROT_NONE);  // if this fails (too many mappings) the stack still works
        }
        w->fibers[have + i].stack_lo = s + page;
    }
    return true;  // stacks live as long as the worker
}

bool grow_dsmem(worker* w, std::size_t need) {
    if (need == 0) need = 128;  // always a base address, so an empty region reports as such
    if (w->dsmem_cap >= need) return true;
    std::size_t cap = (need + 127) / 128 * 128;
    void* p = std::aligned_alloc(128, cap);
    if (p == nullptr) return false;
    std::free(w->dsmem);
    w->dsmem = static_cast<unsigned char*>(p);
    w->dsmem_cap = cap;
    return true;
}

void run_block(worker* w, launch_state* L, unsigned long long b) {
    unsigned long long gx = L->grid.x, gy = L->grid.y;
    blockIdx.x = static_cast<unsigned>(b % gx);
    blockIdx.y = static_cast<unsigned>((b / gx) % gy);
    blockIdx.z = static_cast<unsigned>(b / (gx * gy));
    ++detail::block_epoch;
    if (L->smem != 0) std::memset(w->dsmem, 0xFF, L->smem);

    int n = L->nthreads;
    w->n = n;
    fiber* F = w->fibers.data();
    unsigned bx = L->block.x;
    unsigned bxy = L->block.x * L->block.y;
    std::size_t ss = stack_bytes();
    unsigned long long fpu = current_fpu_state();
    for (int i = 0; i < n; ++i) {
        unsigned u = static_cast<unsigned>(i);
        F[i].state = F_READY;
        F[i].tid = uint3{u % bx, (u % bxy) / bx, u / bxy};
        if (F[i].needs_make) {
            ctx_make(&F[i].ctx, F[i].stack_lo, ss, &fiber_entry, w, fpu);
            F[i].needs_make = false;
            F[i].in_body = false;
        }
    }
    int warps = (n + 31) / 32;
    for (int k = 0; k < warps; ++k) {
        int lanes = std::min(32, n - 32 * k);
        w->waiting[k] = 0;
        w->exited[k] = 0;
        w->live[k] = lanes == 32 ? ~0u : ((1u << lanes) - 1u);
    }
    w->bar_arrived = 0;
    w->bar_acc = 0;
    w->bar_result = 0;
    w->done = 0;
    w->first_exited = -1;
    w->abort = false;

    w->cur = 0;
    F[0].state = F_RUNNING;
    w->ready = n - 1;
    *w->tid_tls = F[0].tid;
    w->in_fibers = true;
#if JSAE_EMU_TSAN
    w->sched.tsan = __tsan_get_current_fiber();
#endif
    ctx_swap(&w->sched, &F[0].ctx);
    w->in_fibers = false;
    if (!w->abort && w->done != n) diagnose_deadlock(w);
    for (int i = 0; i < n; ++i) {
        if (F[i].in_body) F[i].needs_make = true;  // abandoned mid-kernel
    }
}

// ---------------------------------------------------------------------------------------------------------
// Pool
// ---------------------------------------------------------------------------------------------------------
struct job {
    void (*run)(job*, worker*) = nullptr;
    std::atomic<unsigned long long> next{0};
    unsigned long long count = 0;
    std::atomic<int> active{0};
    std::atomic<bool> crashed{false};  // a worker caught an unexpected exception
};

struct launch_job : job {
    launch_state* L = nullptr;
};

struct pfor_job : job {
    long long n = 0;
    const std::function<void(long long, long long)>* body = nullptr;
    std::atomic<bool> failed{false};
    std::mutex mu;
    std::exception_ptr error;
};

struct pool {
    std::mutex mu;
    std::condition_variable wake;
    std::condition_variable finished;
    unsigned long long gen = 0;
    job* cur = nullptr;
    int nthreads = 0;
    std::mutex submit;  // one job at a time
};

void worker_main(pool* P) {
    worker w;
    w.tid_tls = &threadIdx;
    tls_worker = &w;
    unsigned long long seen = 0;
    for (;;) {
        job* J;
        {
            std::unique_lock<std::mutex> lk(P->mu);
            P->wake.wait(lk, [&] { return P->gen != seen; });
            seen = P->gen;
            J = P->cur;
        }
        try {
            J->run(J, &w);
        } catch (...) {
            J->crashed.store(true, std::memory_order_relaxed);
        }
        if (J->active.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            std::lock_guard<std::mutex> lk(P->mu);
            P->finished.notify_all();
        }
    }
}

pool* make_pool() {
    pool* P = new pool;
    long hw = static_cast<long>(std::thread::hardware_concurrency());
    if (hw <= 0) hw = 1;
    long n = env_long("JSAE_EMU_THREADS", 1, 1024, hw);
    for (long i = 0; i < n; ++i) {
        try {
            std::thread(worker_main, P).detach();
            ++P->nthreads;
        } catch (...) {
            break;
        }
    }
    return P;
}

pool& the_pool() {
    static pool* p = make_pool();  // lazy: no thread starts before the first launch
    return *p;
}

void run_job(job* J) {
    pool& P = the_pool();
    if (P.nthreads == 0) {  // no thread could be started: run on the caller
        static thread_local worker* fallback = nullptr;
        if (fallback == nullptr) {
            fallback = new worker;
            fallback->tid_tls = &threadIdx;
        }
        worker* saved = tls_worker;
        tls_worker = fallback;
        try {
            J->run(J, fallback);
        } catch (...) {
            J->crashed.store(true, std::memory_order_relaxed);
        }
        tls_worker = saved;
        return;
    }
    std::lock_guard<std::mutex> s(P.submit);
    {
        std::lock_guard<std::mutex> lk(P.mu);
        J->active.store(P.nthreads, std::memory_order_relaxed);
        P.cur = J;
        ++P.gen;
    }
    P.wake.notify_all();
    std::unique_lock<std::mutex> lk(P.mu);
    P.finished.wait(lk, [&] { return J->active.load(std::memory_order_acquire) == 0; });
}

void run_launch(job* j, worker* w) {
    auto* J = static_cast<launch_job*>(j);
    launch_state* L = J->L;
    w->L = L;
    blockDim = L->block;
    gridDim = L->grid;
    if (!grow_fibers(w, static_cast<std::size_t>(L->nthreads))) {
        record_error(w, -2, "could not map fiber stacks");
    } else if (!grow_dsmem(w, L->smem)) {
        record_error(w, -2, "could not allocate dynamic shared memory");
    } else {
        while (!L->failed.load(std::memory_order_relaxed)) {
            unsigned long long b = J->next.fetch_add(1, std::memory_order_relaxed);
            if (b >= J->count) break;
            run_block(w, L, b);
        }
    }
    w->L = nullptr;
}

void run_pfor(job* j, worker*) {
    auto* J = static_cast<pfor_job*>(j);
    long long chunks = static_cast<long long>(J->count);
    long long q = J->n / chunks;
    long long r = J->n % chunks;
    for (;;) {
        long long c = static_cast<long long>(J->next.fetch_add(1, std::memory_order_relaxed));
        if (c >= chunks) break;
        if (J->failed.load(std::memory_order_relaxed)) continue;
        long long begin = c * q + std::min(c, r);
        long long end = begin + q + (c < r ? 1 : 0);
        try {
            (*J->body)(begin, end);
        } catch (...) {
            std::lock_guard<std::mutex> g(J->mu);
            if (!J->error) J->error = std::current_exception();
            J->failed.store(true, std::memory_order_relaxed);
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Last error
// ---------------------------------------------------------------------------------------------------------
std::mutex& error_mutex() {
    static std::mutex* m = new std::mutex;
    return *m;
}
std::string& global_error() {
    static std::string* s = new std::string;
    return *s;
}
thread_local std::string tls_error;
thread_local std::string tls_error_copy;
thread_local bool tls_launched = false;

void set_last_error(const char* e) {
    try {
        tls_error = e;
        tls_launched = true;
        std::lock_guard<std::mutex> g(error_mutex());
        global_error() = e;
    } catch (...) {
    }
}

// ---------------------------------------------------------------------------------------------------------
// Registry
// ---------------------------------------------------------------------------------------------------------
struct region {
    std::size_t bytes;
    bool owned;  // from device_malloc
};

struct registry {
    std::shared_mutex mu;
    std::map<std::uintptr_t, region> regions;
    std::atomic<unsigned long long> gen{1};
    std::size_t in_use = 0;
};

registry& reg() {
    static registry* r = new registry;
    return *r;
}

struct cache_entry {
    unsigned long long gen;
    std::uintptr_t lo;
    std::uintptr_t hi;
};
__thread cache_entry lookup_cache[4];
__thread unsigned lookup_cache_next;

std::string type_from_pretty(const char* pretty) {
    std::string s = pretty != nullptr ? pretty : "";
    std::size_t at = s.find("T = ");
    if (at == std::string::npos) return "?";
    at += 4;
    std::size_t end = s.find_first_of(";]", at);
    return s.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------------------
int launch(const char* kernel_name, dim3 grid, dim3 block, std::size_t dynamic_smem_bytes,
           const std::function<void()>& body) {
    const char* name = kernel_name != nullptr ? kernel_name : "(unnamed)";
    char why[700];
    why[0] = '\0';
    unsigned long long nthreads = static_cast<unsigned long long>(block.x) * block.y * block.z;
    if (grid.x == 0 || grid.y == 0 || grid.z == 0 || block.x == 0 || block.y == 0 || block.z == 0) {
        std::snprintf(why, sizeof why, "kernel '%s': invalid configuration: grid (%u,%u,%u) block (%u,%u,%u) has a zero dimension",
                      name, grid.x, grid.y, grid.z, block.x, block.y, block.z);
    } else if (block.x > 1024 || block.y > 1024 || block.z > 64 || nthreads > kMaxBlockThreads) {
        std::snprintf(why, sizeof why, "kernel '%s': invalid configuration: block (%u,%u,%u) exceeds (1024,1024,64) or 1024 threads",
                      name, block.x, block.y, block.z);
    } else if (grid.x > 0x7fffffffu || grid.y > 65535 || grid.z > 65535) {
        std::snprintf(why, sizeof why, "kernel '%s': invalid configuration: grid (%u,%u,%u) exceeds (2^31-1,65535,65535)",
                      name, grid.x, grid.y, grid.z);
    } else if (dynamic_smem_bytes > kMaxDynamicSmem) {
        std::snprintf(why, sizeof why, "kernel '%s': invalid configuration: %zu bytes of dynamic shared memory exceed %zu",
                      name, dynamic_smem_bytes, kMaxDynamicSmem);
    } else if (!body) {
        std::snprintf(why, sizeof why, "kernel '%s': empty kernel body", name);
    } else if (tls_worker != nullptr) {
        std::snprintf(why, sizeof why, "kernel '%s': launch from inside a kernel or a parallel_for body is not supported",
                      name);
    }
    if (why[0] != '\0') {
        set_last_error(why);
        return 1;
    }
    try {
        launch_state L;
        L.name = name;
        L.grid = grid;
        L.block = block;
        L.smem = dynamic_smem_bytes;
        L.body = &body;
        L.nthreads = static_cast<int>(nthreads);
        launch_job J;
        J.run = &run_launch;
        J.count = static_cast<unsigned long long>(grid.x) * grid.y * grid.z;
        J.L = &L;
        run_job(&J);
        if (J.crashed.load() && !L.failed.load()) {
            set_last_error((std::string("kernel '") + name + "': internal error in a worker").c_str());
            return 2;
        }
        if (L.failed.load()) {
            set_last_error(L.error.empty() ? "kernel failed" : L.error.c_str());
            return 2;
        }
        set_last_error("");
        return 0;
    } catch (const std::exception& e) {
        std::snprintf(why, sizeof why, "kernel '%s': launch failed: %s", name, e.what());
    } catch (...) {
        std::snprintf(why, sizeof why, "kernel '%s': launch failed", name);
    }
    set_last_error(why);
    return 2;
}

const char* last_error() {
    if (tls_launched) return tls_error.c_str();
    try {
        std::lock_guard<std::mutex> g(error_mutex());
        tls_error_copy = global_error();
    } catch (...) {
    }
    return tls_error_copy.c_str();
}

void* device_malloc(std::size_t bytes) {
    if (bytes > static_cast<std::size_t>(-1) - 256) return nullptr;
    // 64 bytes of tail padding, so one-past-the-end of an allocation never starts another.
    std::size_t total = (bytes + 64 + 63) / 64 * 64;
    void* p = std::aligned_alloc(64, total);
    if (p == nullptr) return nullptr;
    std::memset(p, 0xFF, bytes);
    registry& r = reg();
    try {
        std::unique_lock<std::shared_mutex> g(r.mu);
        r.regions[reinterpret_cast<std::uintptr_t>(p)] = region{bytes, true};
        r.in_use += bytes;
        r.gen.fetch_add(1, std::memory_order_release);
    } catch (...) {
        std::free(p);
        return nullptr;
    }
    return p;
}

void device_free(void* p) {
    if (p == nullptr) return;
    registry& r = reg();
    bool owned = false;
    {
        std::unique_lock<std::shared_mutex> g(r.mu);
        auto it = r.regions.find(reinterpret_cast<std::uintptr_t>(p));
        if (it == r.regions.end() || !it->second.owned) return;
        r.in_use -= it->second.bytes;
        r.regions.erase(it);
        r.gen.fetch_add(1, std::memory_order_release);
        owned = true;
    }
    if (owned) std::free(p);
}

std::size_t device_bytes_in_use() {
    registry& r = reg();
    std::shared_lock<std::shared_mutex> g(r.mu);
    return r.in_use;
}

void register_memory(const void* p, std::size_t bytes) {
    if (p == nullptr) return;
    registry& r = reg();
    std::unique_lock<std::shared_mutex> g(r.mu);
    auto it = r.regions.find(reinterpret_cast<std::uintptr_t>(p));
    if (it != r.regions.end() && it->second.owned) return;
    r.regions[reinterpret_cast<std::uintptr_t>(p)] = region{bytes, false};
    r.gen.fetch_add(1, std::memory_order_release);
}

void unregister_memory(const void* p) {
    registry& r = reg();
    std::unique_lock<std::shared_mutex> g(r.mu);
    auto it = r.regions.find(reinterpret_cast<std::uintptr_t>(p));
    if (it == r.regions.end() || it->second.owned) return;
    r.regions.erase(it);
    r.gen.fetch_add(1, std::memory_order_release);
}

void parallel_for(long long n, const std::function<void(long long, long long)>& body) {
    if (n <= 0) return;
    if (tls_worker != nullptr) {
        body(0, n);
        return;
    }
    pool& P = the_pool();
    long long chunks = std::min<long long>(n, static_cast<long long>(std::max(1, P.nthreads)) * 8);
    pfor_job J;
    J.run = &run_pfor;
    J.count = static_cast<unsigned long long>(chunks);
    J.n = n;
    J.body = &body;
    run_job(&J);
    if (J.error) std::rethrow_exception(J.error);
    if (J.crashed.load()) throw std::runtime_error("parallel_for: internal error in a worker");
}

int worker_count() { return std::max(1, the_pool().nthreads); }

namespace detail {

bounds lookup(const void* p) {
    std::uintptr_t a = reinterpret_cast<std::uintptr_t>(p);
    registry& r = reg();
    unsigned long long g = r.gen.load(std::memory_order_acquire);
    for (const cache_entry& c : lookup_cache) {
        if (c.gen == g && c.lo <= a && a <= c.hi) {
            return bounds{reinterpret_cast<const char*>(c.lo), reinterpret_cast<const char*>(c.hi)};
        }
    }
    std::uintptr_t lo = 0, hi = 0;
    {
        std::shared_lock<std::shared_mutex> lk(r.mu);
        auto it = r.regions.upper_bound(a);
        if (it == r.regions.begin()) return bounds{nullptr, nullptr};
        --it;
        if (a > it->first + it->second.bytes) return bounds{nullptr, nullptr};
        lo = it->first;
        hi = it->first + it->second.bytes;
    }
    lookup_cache[lookup_cache_next++ & 3u] = cache_entry{g, lo, hi};
    return bounds{reinterpret_cast<const char*>(lo), reinterpret_cast<const char*>(hi)};
}

void fail(const char* msg) {
    worker* w = tls_worker;
    if (w != nullptr && w->in_fibers) fault_fiber(w, msg);
    throw std::runtime_error(msg);
}

void global_fault(const void* p, long long index, std::size_t elem_size, const char* lo, const char* hi,
                  const char* type_pretty) {
    char what[1024];
    std::string ty = type_from_pretty(type_pretty);
    if (lo == nullptr && hi == nullptr) {
        if (p == nullptr) {
            std::snprintf(what, sizeof what, "null pointer dereference: element %lld of a null dptr<%s>", index,
                          ty.c_str());
        } else {
            std::snprintf(what, sizeof what,
                          "dptr<%s> %p (index %lld) is not a device allocation (not from device_malloc or "
                          "register_memory: host, stack or freed memory?)",
                          ty.c_str(), p, index);
        }
    } else {
        std::size_t size = static_cast<std::size_t>(hi - lo);
        std::uintptr_t a = reinterpret_cast<std::uintptr_t>(p) +
                           static_cast<std::uintptr_t>(index) * static_cast<std::uintptr_t>(elem_size);
        long long byte_off = static_cast<long long>(a - reinterpret_cast<std::uintptr_t>(lo));
        long long elem_off = byte_off / static_cast<long long>(elem_size);
        const char* kind = "shared array";
        worker* w = tls_worker;
        if (w != nullptr && lo == reinterpret_cast<const char*>(w->dsmem)) {
            kind = "dynamic shared memory region";
        } else {
            registry& r = reg();
            std::shared_lock<std::shared_mutex> lk(r.mu);
            auto it = r.regions.find(reinterpret_cast<std::uintptr_t>(lo));
            if (it != r.regions.end()) kind = it->second.owned ? "device allocation" : "registered host buffer";
        }
        std::snprintf(what, sizeof what,
                      "index %lld out of bounds: element offset %lld (bytes %lld..%lld) of dptr<%s> in a %s of %zu "
                      "bytes (%zu elements of %zu bytes) at %p",
                      index, elem_off, byte_off, byte_off + static_cast<long long>(elem_size), ty.c_str(), kind, size,
                      size / elem_size, elem_size, static_cast<const void*>(lo));
    }
    ty.clear();
    ty.shrink_to_fit();  // the fiber never comes back to free it
    fail(what);
}

void shared_fault(long long index, std::size_t count, std::size_t elem_size, const char* type_pretty) {
    char what[512];
    {
        std::string ty = type_from_pretty(type_pretty);
        std::snprintf(what, sizeof what,
                      "shared array index %lld out of range [0, %zu) (JSAE_SHARED(%s, ..., %zu), %zu bytes)", index,
                      count, ty.c_str(), count, count * elem_size);
    }
    fail(what);
}

void syncthreads() { block_barrier(need_fiber("__syncthreads()"), 0, 0, "__syncthreads()"); }

int syncthreads_reduce(int kind, int pred) {
    static const char* const names[] = {"__syncthreads_count()", "__syncthreads_and()", "__syncthreads_or()"};
    const char* name = names[kind >= 0 && kind <= 2 ? kind : 0];
    return block_barrier(need_fiber(name), kind, pred, name);
}

unsigned long long warp_op(int kind, unsigned mask, unsigned long long value, int arg, int width) {
    worker* w = need_fiber(kind_name(kind));
    int me = w->cur;
    int lane = me & 31;
    int warp = me >> 5;
    const char* name = kind_name(kind);
    if (kind >= WARP_SHFL_IDX && kind <= WARP_SHFL_XOR && (width < 1 || width > 32 || (width & (width - 1)) != 0)) {
        faultf(w, "%s: width %d is not a power of two in [1, 32]", name, width);
    }
    if (((mask >> lane) & 1u) == 0) {
        faultf(w, "%s: the calling lane %d is not in mask 0x%08x", name, lane, mask);
    }
    unsigned absent = mask & ~w->live[warp];
    if (absent != 0) {
        faultf(w, "%s: mask 0x%08x names lane %d of warp %d, which does not exist (the block has %d threads)", name,
               mask, __builtin_ctz(absent), warp, w->n);
    }
    unsigned gone = mask & w->exited[warp];
    if (gone != 0) {
        faultf(w, "%s: mask 0x%08x names lane %d, which has exited", name, mask, __builtin_ctz(gone));
    }
    fiber* base = &w->fibers[static_cast<std::size_t>(warp) * 32];
    fiber& f = base[lane];
    f.wkind = static_cast<unsigned char>(kind);
    f.wmask = mask;
    f.warg = arg;
    f.wwidth = width;
    f.wval = value;
    unsigned& waiting = w->waiting[warp];
    waiting |= 1u << lane;
    if ((waiting & mask) != mask) {
        f.state = F_WARP;
        switch_away(w);
        return f.wres;
    }
    for (unsigned m = mask; m != 0; m &= m - 1) {
        int l = __builtin_ctz(m);
        if (base[l].wmask != mask || base[l].wkind != kind) {
            faultf(w,
                   "lanes of warp %d disagree: lane %d is in %s with mask 0x%08x, lane %d waits in %s with mask "
                   "0x%08x",
                   warp, lane, name, mask, l, kind_name(base[l].wkind), base[l].wmask);
        }
    }
    complete_warp_op(base, kind, mask);
    waiting &= ~mask;
    int released = 0;
    for (unsigned m = mask & ~(1u << lane); m != 0; m &= m - 1) {
        base[__builtin_ctz(m)].state = F_READY;
        ++released;
    }
    w->ready += released;
    return f.wres;
}

unsigned active_mask() {
    worker* w = need_fiber("__activemask()");
    int warp = w->cur >> 5;
    return w->live[warp] & ~w->exited[warp];
}

void* dynamic_smem_base(std::size_t* bytes) {
    worker* w = tls_worker;
    if (w == nullptr || !w->in_fibers || w->L == nullptr) {
        *bytes = 0;
        return nullptr;
    }
    *bytes = w->L->smem;
    return w->dsmem;
}

namespace {
struct bench_state {
    context main;
    context other;
};
void bench_entry(void* arg) {
    auto* s = static_cast<bench_state*>(arg);
    for (;;) ctx_swap(&s->other, &s->main);
}
}  // namespace

double measure_switch_ns(long long round_trips) {
    std::size_t size = stack_bytes();
    void* m = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED || round_trips <= 0) return -1.0;
    bench_state s;
#if JSAE_EMU_TSAN
    s.main.tsan = __tsan_get_current_fiber();
#endif
    ctx_make(&s.other, static_cast<char*>(m), size, &bench_entry, &s, current_fpu_state());
    ctx_swap(&s.main, &s.other);  // start it
    auto t0 = std::chrono::steady_clock::now();
    for (long long i = 0; i < round_trips; ++i) ctx_swap(&s.main, &s.other);
    auto t1 = std::chrono::steady_clock::now();
    munmap(m, size);  // the other context is left suspended for good
#if JSAE_EMU_TSAN
    __tsan_destroy_fiber(s.other.tsan);
#endif
    return std::chrono::duration<double, std::nano>(t1 - t0).count() / (2.0 * static_cast<double>(round_trips));
}

}  // namespace detail
}  // namespace jsae_emu
