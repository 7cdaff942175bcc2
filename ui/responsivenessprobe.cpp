#include "responsivenessprobe.h"
#include <algorithm>
#if defined(Q_OS_UNIX)
#include <time.h>
#endif

namespace ui {

namespace {

/// CPU time consumed by the calling thread, in ns; -1 where the platform cannot tell.
qint64 threadCpuNs()
{
#if defined(CLOCK_THREAD_CPUTIME_ID)
    timespec ts{};
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0)
        return qint64(ts.tv_sec) * 1000000000 + ts.tv_nsec;
#endif
    return -1;
}

} // namespace

ResponsivenessProbe::ResponsivenessProbe(QObject *parent) : QObject(parent)
{
    m_timer.setTimerType(Qt::PreciseTimer);
    m_timer.setInterval(kIntervalMs);
    connect(&m_timer, &QTimer::timeout, this, &ResponsivenessProbe::tick);
}

void ResponsivenessProbe::start()
{
    m_latenessMs.clear();
    m_atSeconds.clear();
    m_busyMs.clear();
    m_lastCpuNs = threadCpuNs();
    m_latenessMs.reserve(1 << 16);
    m_lastNs = -1;
    m_clock.start();
    m_timer.start();
}

void ResponsivenessProbe::stop()
{
    m_timer.stop();
}

void ResponsivenessProbe::tick()
{
    const qint64 now = m_clock.nsecsElapsed();
    const qint64 cpu = threadCpuNs();
    if (m_lastNs >= 0) {
        const double late = double(now - m_lastNs) / 1e6 - kIntervalMs;
        m_latenessMs.push_back(float(std::max(0.0, late)));
        m_atSeconds.push_back(float(double(now) / 1e9));
        m_busyMs.push_back(cpu >= 0 && m_lastCpuNs >= 0 ? float(double(cpu - m_lastCpuNs) / 1e6) : -1.0f);
    }
    m_lastNs = now;
    m_lastCpuNs = cpu;
}

ResponsivenessProbe::Stats ResponsivenessProbe::stats() const
{
    Stats s;
    s.ticks = int(m_latenessMs.size());
    s.seconds = m_clock.isValid() ? double(m_clock.nsecsElapsed()) / 1e9 : 0;
    if (m_latenessMs.empty())
        return s;
    std::vector<std::size_t> order(m_latenessMs.size());
    for (std::size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    const std::size_t top = std::min<std::size_t>(5, order.size());
    std::partial_sort(order.begin(), order.begin() + top, order.end(),
                      [this](std::size_t a, std::size_t b) { return m_latenessMs[a] > m_latenessMs[b]; });
    for (std::size_t i = 0; i < top; ++i)
        s.worst.push_back({m_atSeconds[order[i]], m_latenessMs[order[i]], m_busyMs[order[i]]});
    s.maxBusyMs = *std::max_element(m_busyMs.begin(), m_busyMs.end());
    std::vector<float> sorted = m_latenessMs;
    std::sort(sorted.begin(), sorted.end());
    s.maxStallMs = sorted.back();
    s.p50Ms = sorted[sorted.size() / 2];
    s.p99Ms = sorted[std::min(sorted.size() - 1, sorted.size() * 99 / 100)];
    s.over16Ms = int(std::count_if(sorted.begin(), sorted.end(), [](float v) { return v > 16.7f; }));
    s.over50Ms = int(std::count_if(sorted.begin(), sorted.end(), [](float v) { return v > 50.0f; }));
    return s;
}

} // namespace ui
