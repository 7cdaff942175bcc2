#pragma once
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>
#include <atomic>

namespace core {

/// A persistent team of threads that share out numbered tasks dynamically: each member TAKES the
/// next task from one atomic counter until none is left. A member slowed down by another process
/// on its core simply takes fewer tasks, so a busy machine costs at most one task's time per
/// run() instead of stalling the whole team (what happens to an OpenMP team whose member is
/// descheduled). The caller of run() is member 0 and works too; members 1..size()-1 are threads
/// owned by the team. Between runs, and while the caller waits for the last task, a thread first
/// polls for a short bounded time (kSpin) and then sleeps: back-to-back runs (one per training
/// batch) hand over without a futex wake-up. A poll that runs out makes that thread sleep at once
/// for its next waits, so a crowded machine, where the awaited thread may not even be running,
/// loses little CPU to polling. One run() = one synchronisation. Not thread-safe: one thread
/// calls run().
class WorkTeam {
public:
    /// size members in all (the caller plus size-1 threads; size < 1 counts as 1). threadInit runs
    /// once on each new thread with its member index before any task.
    explicit WorkTeam(int size, std::function<void(int member)> threadInit = {});
    ~WorkTeam();
    WorkTeam(const WorkTeam &) = delete;
    WorkTeam &operator=(const WorkTeam &) = delete;

    int size() const { return int(m_threads.size()) + 1; }

    /// Runs task(t, member) for every t in [0, tasks) and returns when all have finished. Which
    /// member runs which task is not fixed: results must not depend on it. Rethrows the first
    /// exception a task threw (the remaining tasks still run).
    void run(int tasks, const std::function<void(int task, int member)> &task);

private:
    void worker(int member, const std::function<void(int)> &threadInit);
    /// Polls for up to kSpin until ready() holds; false if it still does not. sleepsLeft is the
    /// waiting thread's own count of waits that skip polling (set after a poll ran out).
    template <typename Ready> static bool spinUntil(Ready ready, int &sleepsLeft);
    /// Takes and runs tasks of generation gen until none is left.
    void work(std::uint32_t gen, int member);

    std::vector<std::thread> m_threads;
    std::mutex m_mutex;
    std::condition_variable m_wake;   ///< a new run() or shutdown
    std::condition_variable m_done;   ///< the last task of a run finished
    std::uint32_t m_generation = 0;   ///< guarded by m_mutex; bumped by each run()
    bool m_quit = false;
    int m_ready = 0;                  ///< threads past threadInit; guarded by m_mutex
    // High 32 bits: generation; low 32 bits: next task. One word, so a member that wakes late
    // can never take a task of a newer run with an older run's function; run() sets the index of a
    // finished generation to its maximum so no late claim of it can pass a newer m_tasks.
    std::atomic<std::uint64_t> m_next{0};
    std::atomic<int> m_finished{0};
    std::atomic<int> m_tasks{0};
    const std::function<void(int, int)> *m_task = nullptr;
    std::exception_ptr m_error;       ///< guarded by m_mutex
    int m_callerSleeps = 0;           ///< spinUntil's count for the thread calling run()
};

} // namespace core
