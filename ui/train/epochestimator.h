#pragma once
#include "core/types.h"
#include <QFutureWatcher>
#include <QHash>
#include <QObject>
#include <QTimer>
#include <memory>

namespace core {
struct RunControl;
}

namespace ui {

/// "About N s per epoch on this machine" for the Train tab: times a few training batches of the
/// network (core::measureTrainingSpeed) on a pool thread, a moment after the last edit, and
/// remembers the speed of each network and setting so that undo shows it at once. It measures
/// only while allowed (not during a run, whose speed it would both disturb and misjudge).
class EpochEstimator : public QObject {
    Q_OBJECT
public:
    explicit EpochEstimator(QObject *parent = nullptr);
    ~EpochEstimator() override;

    /// Estimate for `config` (its network, batch size, threads, augmentation, training images).
    void request(const core::TrainConfig &config);
    /// Measuring is allowed (the default) or not (a run is going on).
    void setAllowed(bool allowed);
    /// The speed measured for config in images per second, or 0 when not (yet) known.
    double knownSpeed(const core::TrainConfig &config) const;
    /// Training images of an epoch under config: 60,000 (or the limit) minus the held-out ones.
    static int epochImages(const core::TrainConfig &config);
    /// Measurements finished (tests).
    int measurements() const { return m_measurements; }
    /// The quiet time after the last request before measuring (700 ms by default; a waiting
    /// request restarts with it). Tests shorten it rather than wait it out.
    void setDelay(int milliseconds);

Q_SIGNALS:
    /// A sentence for the editor: the estimate, "measuring…", or why there is none.
    void estimateChanged(const QString &text);

private:
    static QString key(const core::TrainConfig &config);
    void start();
    void onFinished();
    void announce();

    core::TrainConfig m_config;
    bool m_hasConfig = false;
    bool m_allowed = true;
    bool m_pending = false;
    QTimer m_delay;
    QFutureWatcher<double> m_watcher;
    QString m_measuring;   ///< key being measured
    std::shared_ptr<core::RunControl> m_control;
    QHash<QString, double> m_speeds;  ///< key -> images per second (0 = could not measure)
    int m_measurements = 0;
};

} // namespace ui
