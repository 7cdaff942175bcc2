#pragma once
#include <QElapsedTimer>
#include <QObject>
#include <QTimer>
#include <vector>

namespace ui {

/// Measures how late the GUI thread's event loop runs: a precise timer with a short interval
/// records, at each tick, how much later than its interval it fired. A tick delayed by a long
/// paint or a flood of queued signals shows up as a stall of that length.
class ResponsivenessProbe : public QObject {
    Q_OBJECT
public:
    /// 5 ms: finer than a 60 Hz frame (16.7 ms), so any stall a user could see is caught.
    static constexpr int kIntervalMs = 5;

    struct Stats {
        int ticks = 0;
        double maxStallMs = 0;    ///< the longest lateness of one tick
        double p50Ms = 0;
        double p99Ms = 0;
        int over16Ms = 0;         ///< ticks later than one 60 Hz frame
        int over50Ms = 0;         ///< ticks later than the issue's budget
        double seconds = 0;       ///< measured span
        /// The longest CPU time the GUI thread itself spent between two ticks: the part of a stall
        /// that is our own work (painting, slots). A stall much longer than this was the thread
        /// waiting for a core (another process or the training threads had them). -1: unknown.
        double maxBusyMs = -1;
        struct Stall {
            double atSeconds;  ///< since start()
            double lateMs;
            double busyMs;     ///< GUI thread CPU time during that interval (-1: unknown)
        };
        std::vector<Stall> worst;  ///< up to 5, longest first
    };

    explicit ResponsivenessProbe(QObject *parent = nullptr);
    void start();
    void stop();
    bool isRunning() const { return m_timer.isActive(); }
    Stats stats() const;

private:
    void tick();

    QTimer m_timer;
    QElapsedTimer m_clock;
    qint64 m_lastNs = -1;
    std::vector<float> m_latenessMs;
    std::vector<float> m_atSeconds;
    std::vector<float> m_busyMs;
    qint64 m_lastCpuNs = -1;
};

} // namespace ui
