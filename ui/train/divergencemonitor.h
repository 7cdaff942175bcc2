#pragma once
#include <QString>

namespace core {
struct EpochStats;
}

namespace ui {

/// Watches a run's losses and epochs and says, once, when it is diverging: a non-finite loss,
/// the smoothed loss far above where the run started, or test accuracy at chance after an epoch.
/// Plain C++ (no QObject): fed by the Train tab, tested on its own.
class DivergenceMonitor {
public:
    /// The loss's starting level is the lowest of this many first batches of the run: a loss that
    /// explodes within them (learning rate 1: thousands by the third batch) must not raise the
    /// level it is measured against (issue 16 item 4).
    static constexpr int kStartBatches = 10;
    /// Weight of the newest batch in the smoothed loss: ~20 batches, so one spike is no alarm.
    static constexpr double kSmoothing = 0.05;
    /// "Far above its start": this many times the start AND at least kRiseMin above it (a trained
    /// model starting at 0.02 may wobble to 0.07 without diverging).
    static constexpr double kRiseFactor = 3.0;
    static constexpr double kRiseMin = 1.0;
    /// Test accuracy at or below this after an epoch is chance (10 classes; 11.35% is "all 1s").
    static constexpr double kChanceAccuracy = 0.2;

    /// Forgets everything: a new run starts.
    void reset();
    /// One batch's loss. Returns the reason (plain words) the first time the run is found
    /// diverging, else an empty string.
    QString addLoss(double loss);
    /// A finished epoch; same return as addLoss().
    QString addEpoch(const core::EpochStats &stats);
    bool diverged() const { return m_diverged; }
    /// The smoothed loss so far (-1 before the first finite batch).
    double smoothedLoss() const { return m_smoothed; }

private:
    QString flag(const QString &reason);

    int m_batches = 0;
    double m_startMin = -1;
    double m_start = -1;
    double m_smoothed = -1;
    bool m_diverged = false;
};

} // namespace ui
