#include "ui/runs/runrecording.h"
#include "ui/trainingcontroller.h"
#include "core/mnist.h"
#include "core/runrecorder.h"
#include <QFileInfo>

namespace ui {

RunRecording::RunRecording(TrainingController *controller, const QString &databasePath, QObject *parent)
    : QObject(parent), m_recorder(std::make_unique<core::RunRecorder>(databasePath))
{
    // The recorder emits on its own thread; queued to this object's (the GUI) thread.
    connect(m_recorder.get(), &core::RunRecorder::runStarted, this, [this](qint64 id) { m_liveId = id; });
    connect(m_recorder.get(), &core::RunRecorder::runEnded, this, [this](qint64 id) {
        if (m_liveId == id)
            m_liveId = -1;
    });
    connectController(controller);
}

RunRecording::~RunRecording() = default;

void RunRecording::connectController(TrainingController *c)
{
    connect(c, &TrainingController::dataLoaded, this,
            [this](const std::shared_ptr<const core::MnistSet> &train, const std::shared_ptr<const core::MnistSet> &test) {
                m_trainChecksum = train ? train->checksum : QString();
                m_trainCount = train ? train->count : 0;
                m_dataset = train ? train->dataset : core::DatasetTag{};
                m_testCount = test ? test->count : 0;
            });
    connect(c, &TrainingController::started, this, [this](const core::TrainConfig &config, int epochsDone) {
        m_divergence.reset();
        m_open = true;
        m_lastEnded = -1;
        m_recorder->begin(core::runSpecFor(config, m_dataset, m_trainChecksum, m_trainCount, m_testCount, epochsDone, QStringLiteral("gui")));
    });
    connect(c, &TrainingController::batchLosses, this, [this](const core::BatchLosses &losses) {
        if (!m_open)
            return;
        for (float loss : losses.losses)
            m_divergence.addLoss(loss);
        m_recorder->addLosses(losses);
    });
    connect(c, &TrainingController::batchFinished, this, [this](const core::BatchStats &stats) {
        if (m_open)
            m_recorder->addProgress(stats);
    });
    connect(c, &TrainingController::epochFinished, this, [this](const core::EpochStats &stats) {
        if (!m_open)
            return;
        // Not m_divergence.addEpoch(): its "accuracy at chance" is a hint for a learner watching,
        // and tiny runs (tests, demos) start there; a record says "diverged" only for the loss.
        m_recorder->addEpoch(stats);
    });
    connect(c, &TrainingController::finished, this, [this](const core::TrainingSummary &summary) {
        if (!m_open)
            return;
        m_open = false;
        const auto status = m_divergence.diverged() ? core::RunStatus::Diverged
                            : summary.stopped       ? core::RunStatus::Stopped
                                                    : core::RunStatus::Finished;
        m_recorder->end({status, {}, {}});
        m_lastEnded = m_liveId;
    });
    connect(c, &TrainingController::failed, this, [this](const QString &message) {
        if (!m_open)
            return; // a failed load or initialisation: no run
        m_open = false;
        // The trainer's one mid-run failure is a non-finite loss (core::TrainingError).
        const bool diverged = m_divergence.diverged() || message.contains(QLatin1String("the loss became"));
        m_recorder->end({diverged ? core::RunStatus::Diverged : core::RunStatus::Failed, message, {}});
    });
    connect(c, &TrainingController::saved, this, [this](const QString &path) {
        if (!m_open && m_lastEnded >= 0)
            m_recorder->setCheckpoint(m_lastEnded, QFileInfo(path).absoluteFilePath());
    });
    // Another model: a later save is not the last run's checkpoint.
    const auto forget = [this] { m_lastEnded = -1; };
    connect(c, &TrainingController::loaded, this, forget);
    connect(c, &TrainingController::resetDone, this, forget);
}

} // namespace ui
