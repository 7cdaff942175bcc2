#include "workteam.h"

#include <chrono>
#include <utility>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace core {

namespace {
/// How long a thread polls before it sleeps: longer than the serial gap between two training
/// batches (Adam, ~20-30 us) and than the usual skew between two chunks, so back-to-back runs
/// hand over without a futex wake-up, which took ~40 us each way on this project's VM (twice
/// per batch: 4-6% of a 2-thread batch; docs/benchmarks.md).
constexpr auto kSpin = std::chrono::microseconds(200);
/// After a poll that ran out (the other side was not coming soon: the machine is busy, or
/// nothing follows), this many waits sleep at once: on a crowded machine a polling thread would
/// hold a core that the thread it waits for needs.
constexpr int kSleepsAfterMiss = 50;
} // namespace

template <typename Ready>
bool WorkTeam::spinUntil(Ready ready, int &sleepsLeft)
{
    if (sleepsLeft > 0) {
        --sleepsLeft;
        return ready();
    }
    const auto until = std::chrono::steady_clock::now() + kSpin;
    for (;;) {
        for (int i = 0; i < 64; ++i) {
            if (ready())
                return true;
#if defined(__SSE2__)
            _mm_pause();
#endif
        }
        if (std::chrono::steady_clock::now() >= until) {
            sleepsLeft = kSleepsAfterMiss;
            return ready();
        }
    }
}

WorkTeam::WorkTeam(int size, std::function<void(int member)> threadInit)
{
    for (int member = 1; member < size; ++member)
        m_threads.emplace_back([this, member, threadInit] { worker(member, threadInit); });
    // Wait for every threadInit: it may touch library-global state (LibTorch's thread count)
    // that must not change under the first tasks.
    std::unique_lock lock(m_mutex);
    m_done.wait(lock, [&] { return m_ready == int(m_threads.size()); });
}

WorkTeam::~WorkTeam()
{
    {
        std::lock_guard lock(m_mutex);
        m_quit = true;
    }
    m_wake.notify_all();
    for (auto &t : m_threads)
        t.join();
}

void WorkTeam::run(int tasks, const std::function<void(int, int)> &task)
{
    if (tasks <= 0)
        return;
    std::uint32_t gen;
    {
        std::lock_guard lock(m_mutex);
        gen = ++m_generation;
        m_tasks = tasks;
        m_task = &task;
        m_error = nullptr;
        m_finished.store(0);
        m_next.store(std::uint64_t(gen) << 32);
    }
    m_wake.notify_all();
    work(gen, 0);
    // Poll briefly, then sleep: on a busy machine the member still holding a task may need this core.
    spinUntil([&] { return m_finished.load() == tasks; }, m_callerSleeps);
    std::unique_lock lock(m_mutex);
    m_done.wait(lock, [&] { return m_finished.load() == tasks; });
    // Close this generation before the next run() publishes its task count: a member that read
    // m_next as (gen, t) just before the last task ended would otherwise see the NEXT run's larger
    // m_tasks, pass the bound check, win its CAS on the still-current (gen, t), and run a phantom
    // task t with the next run's function (counted too, so that run's m_finished overshoots and
    // its caller waits for ever; found as a hang in the work-team test). With the index at its
    // maximum, no claim of this generation can pass the bound, whatever m_tasks says later.
    m_next.store((std::uint64_t(gen) << 32) | 0xFFFFFFFFu);
    m_task = nullptr;
    if (m_error)
        std::rethrow_exception(std::exchange(m_error, nullptr));
}

void WorkTeam::work(std::uint32_t gen, int member)
{
    for (;;) {
        auto v = m_next.load();
        std::uint32_t t;
        do {
            t = std::uint32_t(v);
            if (std::uint32_t(v >> 32) != gen || t >= std::uint32_t(m_tasks.load()))
                return;
        } while (!m_next.compare_exchange_weak(v, v + 1));
        // Task t of generation gen is ours: run() cannot return (nor change m_task) before it is done.
        try {
            (*m_task)(int(t), member);
        } catch (...) {
            std::lock_guard lock(m_mutex);
            if (!m_error)
                m_error = std::current_exception();
        }
        if (m_finished.fetch_add(1) + 1 == m_tasks.load()) {
            std::lock_guard lock(m_mutex);
            m_done.notify_one();
        }
    }
}

void WorkTeam::worker(int member, const std::function<void(int)> &threadInit)
{
    if (threadInit)
        threadInit(member);
    {
        std::lock_guard lock(m_mutex);
        ++m_ready;
    }
    m_done.notify_all();
    std::uint32_t seen = 0;
    int sleeps = 0;
    for (;;) {
        std::uint32_t gen;
        // run() publishes the new generation in m_next's high half: take it without sleeping
        // when it comes within kSpin.
        if (spinUntil([&] { return std::uint32_t(m_next.load() >> 32) != seen; }, sleeps)) {
            gen = seen = std::uint32_t(m_next.load() >> 32);
            work(gen, member);
            continue;
        }
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [&] { return m_quit || m_generation != seen; });
            if (m_quit)
                return;
            gen = seen = m_generation;
        }
        work(gen, member);
    }
}

} // namespace core
