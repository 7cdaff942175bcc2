#include "ui/train/epochestimator.h"
#include "core/error.h"
#include "core/trainer.h"
#include <QtConcurrent/QtConcurrentRun>
#include <algorithm>
#include <cmath>

namespace ui {

namespace {
// Quiet time after the last edit before measuring: a spin box held down or typing measures once.
constexpr int kDelayMs = 700;
constexpr int kMnistTrainImages = 60000;
} // namespace

EpochEstimator::EpochEstimator(QObject *parent) : QObject(parent)
{
    m_delay.setSingleShot(true);
    m_delay.setInterval(kDelayMs);
    connect(&m_delay, &QTimer::timeout, this, &EpochEstimator::start);
    connect(&m_watcher, &QFutureWatcher<double>::finished, this, &EpochEstimator::onFinished);
}

EpochEstimator::~EpochEstimator()
{
    // A measurement still running stops within a batch; the pool thread must not outlive us.
    if (m_control)
        m_control->stop = true;
    m_watcher.waitForFinished();
}

void EpochEstimator::setDelay(int milliseconds)
{
    m_delay.setInterval(std::max(0, milliseconds)); // restarts the timer when it is waiting
}

QString EpochEstimator::key(const core::TrainConfig &c)
{
    return QStringLiteral("%1|%2|%3|%4").arg(c.networkText()).arg(c.batchSize).arg(c.effectiveThreads()).arg(c.augment.active());
}

int EpochEstimator::epochImages(const core::TrainConfig &c)
{
    const int images = c.trainLimit > 0 ? std::min(c.trainLimit, kMnistTrainImages) : kMnistTrainImages;
    return std::max(0, images - c.holdout);
}

double EpochEstimator::knownSpeed(const core::TrainConfig &config) const
{
    return m_speeds.value(key(config), 0.0);
}

void EpochEstimator::request(const core::TrainConfig &config)
{
    m_config = config;
    m_hasConfig = true;
    if (!config.validate().isEmpty()) {
        m_delay.stop();
        Q_EMIT estimateChanged(tr("Seconds per epoch: estimated once the network can train."));
        return;
    }
    if (m_speeds.contains(key(config))) {
        m_delay.stop();
        announce();
        return;
    }
    Q_EMIT estimateChanged(m_allowed ? tr("Seconds per epoch: measuring on this machine…")
                                     : tr("Seconds per epoch: measured when training is not running."));
    if (m_allowed)
        m_delay.start();
}

void EpochEstimator::setAllowed(bool allowed)
{
    if (allowed == m_allowed)
        return;
    m_allowed = allowed;
    if (!allowed) {
        m_delay.stop();
        if (m_control)
            m_control->stop = true; // a run is starting: its speed is not ours to take
    } else if (m_hasConfig) {
        request(m_config);
    }
}

void EpochEstimator::start()
{
    if (!m_allowed || !m_hasConfig)
        return;
    if (m_watcher.isRunning()) {
        m_pending = true; // measure the newest config when this one is done
        return;
    }
    m_measuring = key(m_config);
    m_control = std::make_shared<core::RunControl>();
    const core::TrainConfig config = m_config;
    auto control = m_control;
    m_watcher.setFuture(QtConcurrent::run([config, control] {
        try {
            return core::measureTrainingSpeed(config, *control);
        } catch (const core::Error &) {
            return 0.0; // an invalid config is said by the editor; here it has no speed
        } catch (const std::exception &) {
            return 0.0;
        }
    }));
}

void EpochEstimator::onFinished()
{
    const double speed = m_watcher.result();
    const bool stopped = m_control && m_control->stop;
    m_control.reset();
    if (!stopped) {
        m_speeds.insert(m_measuring, speed);
        ++m_measurements;
    }
    if (m_pending || stopped) {
        m_pending = false;
        if (m_allowed && !m_speeds.contains(key(m_config)))
            start();
    }
    if (m_speeds.contains(key(m_config)))
        announce();
}

void EpochEstimator::announce()
{
    const double speed = knownSpeed(m_config);
    if (speed <= 0) {
        Q_EMIT estimateChanged(tr("Seconds per epoch: could not be measured."));
        return;
    }
    const double seconds = epochImages(m_config) / speed;
    const QString time = seconds < 90 ? tr("%1 s").arg(seconds < 10 ? QString::number(seconds, 'f', 1) : QString::number(std::lround(seconds)))
                                      : tr("%1 min").arg(seconds / 60, 0, 'f', 1);
    Q_EMIT estimateChanged(tr("About %1 per epoch on this machine (estimate: %2 images/s measured on a few batches)")
                               .arg(time)
                               .arg(std::lround(speed)));
}

} // namespace ui
