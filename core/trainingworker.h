#pragma once
#include "types.h"
#include <QList>
#include <QObject>
#include <QString>
#include <atomic>
#include <memory>

namespace core {

class Classifier;
class Trainer;
struct MnistSet;
struct RunControl;

/// Drives a core::Trainer on the thread it lives on (DESIGN.md "Threads and data flow").
///
/// Everything that touches the model goes through the slots below, so the Trainer is only ever
/// used by this object's thread: training, but also save, load, reset and snapshots. Call the
/// slots through queued connections / QMetaObject::invokeMethod from the GUI thread. The slots
/// run one at a time; while train() runs, the thread's event loop is busy, so stop and pause are
/// atomics (requestStop(), setPaused()) that may be called from any thread.
///
/// Exceptions never leave a slot: each failure becomes a signal carrying the error text. Every
/// slot ends with exactly one completion signal: initialized, dataLoaded/dataFailed, finished,
/// saved/saveFailed, loaded/loadFailed, resetDone, or failed (from any of them).
class TrainingWorker : public QObject {
    Q_OBJECT
public:
    /// Batch signals are sent at most this often (the GUI must never queue up work): 50 ms is
    /// 20 updates per second, smooth to the eye and far below what the GUI can absorb.
    static constexpr int kDefaultBatchIntervalMs = 50;

    explicit TrainingWorker(QObject *parent = nullptr);
    ~TrainingWorker() override;

    /// Registers the metatypes the signals carry (idempotent; called by the constructor).
    static void registerMetaTypes();

    // --- thread-safe controls, effective within one batch ---
    void requestStop();
    void setPaused(bool paused);
    bool isPaused() const;
    /// True once the run has actually come to rest in a pause (not just been asked to).
    bool isHolding() const;
    /// Optimizer steps taken so far by this worker's runs (a counter that only grows).
    std::int64_t batchesTrained() const;
    /// Clears stop and pause; call before queueing train() (not while a run is going on), so a
    /// stop requested right after the queueing is not lost.
    void resetControls();
    /// Minimum time between two batchFinished() signals; 0 sends every batch.
    void setBatchInterval(int milliseconds) { m_batchIntervalMs.store(milliseconds); }
    /// While training, also publish liveSnapshot() at most this often (0, the default: never).
    /// The Inside tab turns it on while it is shown, to watch the filters form.
    void setLiveSnapshotInterval(int milliseconds) { m_liveSnapshotMs.store(milliseconds); }

public Q_SLOTS:
    /// Creates the trainer with fresh weights (first slot to call). Emits initialized and
    /// snapshotReady, or failed.
    void initialize(const core::TrainConfig &config);
    /// Loads both splits of a dataset (core::Dataset::fromSpec(): "mnist", "fashion-mnist" or a
    /// folder) from dir (an empty dir: where the dataset is found, Dataset::resolveDir()).
    /// Emits dataLoaded or dataFailed. Training needs data; everything else does not.
    void loadData(const QString &dir, const QString &dataset = QStringLiteral("mnist"));
    /// Lets the next train() continue the weights on the loaded dataset although they learnt
    /// another (the user confirmed it); Trainer::acceptDataset().
    void acceptDataset();
    /// Trains from the trainer's epochsDone()+1 up to config.epochs (from new random weights
    /// and an empty history when fromScratch). Emits started, batch and epoch signals, a snapshot
    /// after each epoch and on stop, then finished or failed.
    void train(const core::TrainConfig &config, bool fromScratch = false);
    /// New random weights from config.seed and an empty history. Emits snapshotReady, then
    /// resetDone (the end of the request).
    void reset(const core::TrainConfig &config);
    /// Writes a checkpoint atomically. Emits saved or saveFailed.
    void save(const QString &path);
    /// Reads a checkpoint (a file path, or a ":/" resource such as Classifier::bundledPath()).
    /// On error the model is unchanged. Emits snapshotReady, then loaded (the end of the
    /// request: whoever waits for it finds the new model published), or loadFailed.
    void load(const QString &path);
    /// Test hook: the next training batch's loss becomes NaN (Trainer::injectNanForTesting).
    /// Not a request: it has no completion signal and is meant for an idle worker.
    void injectNanForTesting();

Q_SIGNALS:
    /// initialize() succeeded (its snapshotReady came just before).
    void initialized(const core::CheckpointInfo &info);
    void started(const core::TrainConfig &config, int epochsDone);
    void batchFinished(const core::BatchStats &stats);
    /// Sent just before the batchFinished() that closes the same interval.
    void batchLosses(const core::BatchLosses &losses);
    void epochFinished(const core::EpochStats &stats);
    void finished(const core::TrainingSummary &summary);
    /// A failed run, or a failed initialize()/reset(): the message is ready to show.
    void failed(const QString &message);

    /// A new immutable model copy for inference, with the metadata save() would write.
    void snapshotReady(std::shared_ptr<const core::Classifier> classifier, const core::CheckpointInfo &info);
    /// A mid-epoch copy of the training weights (see setLiveSnapshotInterval()), taken right after
    /// the batch `at` describes. Not a document change: only views that show weights follow it.
    void liveSnapshot(std::shared_ptr<const core::Classifier> classifier, const core::BatchStats &at);

    void dataLoaded(std::shared_ptr<const core::MnistSet> train, std::shared_ptr<const core::MnistSet> test,
                    const QString &dir);
    void dataFailed(const QString &dir, const QString &message);

    void saved(const QString &path, const core::CheckpointInfo &info);
    void saveFailed(const QString &path, const QString &message);
    void loaded(const QString &path, const core::CheckpointInfo &info);
    void loadFailed(const QString &path, const QString &message);
    void resetDone(const core::CheckpointInfo &info);

private:
    bool publishSnapshot();
    bool ensureTrainer(const TrainConfig &config);
    /// Checks the data, applies config (and new weights when fromScratch); false after failed().
    bool prepareRun(const TrainConfig &config, bool fromScratch);
    /// The throttling state of one run's batch signals.
    struct RunSignals;
    /// Sends a batch's signals (losses, stats, live snapshot) when the throttle allows.
    void onRunBatch(RunSignals &run, const BatchStats &stats);

    std::unique_ptr<Trainer> m_trainer;
    std::unique_ptr<RunControl> m_control;
    std::shared_ptr<const MnistSet> m_train;
    std::shared_ptr<const MnistSet> m_test;
    std::atomic<int> m_batchIntervalMs{kDefaultBatchIntervalMs};
    std::atomic<int> m_liveSnapshotMs{0};
};

} // namespace core

