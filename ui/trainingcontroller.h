#pragma once
#include "core/types.h"
#include <QObject>
#include <QString>
#include <memory>

class QThread;

namespace core {
class Classifier;
class TrainingWorker;
struct MnistSet;
}

namespace ui {

class ModelDocument;

/// Owns the training thread and its core::TrainingWorker, on the GUI thread: the only door to
/// the worker (docs/architecture.md, "Controller and document").
///
/// Every model operation (train, save, load, reset) is queued to the worker, so the model is
/// only ever touched by the worker thread. Requests other than start() queue up behind each
/// other (the worker runs them in order), but all are refused while a run is going on: they would
/// wait in the worker's queue until the run ends. start() needs Idle.
///
/// The controller is the only receiver of the worker's signals. For each one it first updates
/// the ModelDocument, then its own state, then re-emits the signal under the same name: whoever
/// connects to the controller sees a document and a state that already include the result.
class TrainingController : public QObject {
    Q_OBJECT
public:
    enum class State {
        Idle,      ///< nothing queued: any request is accepted
        Training,  ///< a run is going on (possibly paused)
        Stopping,  ///< stop requested, waiting for the run to return
        Busy,      ///< requests (save, load, reset, data, initialize) are queued or running
    };
    Q_ENUM(State)

    /// Keeps document up to date with the worker's model and data (it must outlive the
    /// controller's requests; the main window owns both).
    explicit TrainingController(ModelDocument *document, QObject *parent = nullptr);
    /// With a document of its own (tests and tools that need no window).
    explicit TrainingController(QObject *parent = nullptr);
    /// Stops a run and joins the thread (see shutdown()).
    ~TrainingController() override;

    ModelDocument *document() const { return m_document; }
    /// False once shutdown() joined the thread and deleted the worker.
    bool hasWorker() const { return m_worker != nullptr; }
    State state() const { return m_state; }
    bool isIdle() const { return m_state == State::Idle; }
    /// Requests queued in the worker and not completed yet (a run counts as one).
    int pendingRequests() const { return m_pending; }
    bool isRunning() const { return m_state == State::Training || m_state == State::Stopping; }
    bool isPaused() const;
    /// The run has come to rest in a pause: nothing trains until resume() or stop().
    bool isPauseHeld() const;
    /// Optimizer steps taken by the worker so far (grows monotonically; 0 without a worker).
    qint64 batchesTrained() const;

    // Requests: each returns false (and does nothing) when the state does not allow it.
    bool initialize(const core::TrainConfig &config);
    /// Loads a dataset ("mnist", "fashion-mnist", a folder) from dir (empty: where it is found).
    bool loadData(const QString &dir, const QString &dataset = QStringLiteral("mnist"));
    /// The next start() may continue the model on the loaded dataset although it learnt another
    /// (the user confirmed it).
    bool acceptDataset();
    /// Continues the current model up to config.epochs, or starts over from new weights.
    bool start(const core::TrainConfig &config, bool fromScratch = false);
    bool save(const QString &path);
    bool load(const QString &path);
    /// A load that makes a new, unsaved model (the file is not the document's file).
    bool importWeights(const QString &path);
    bool reset(const core::TrainConfig &config);
    void pause();
    void resume();
    /// Asks a run to stop; it returns within one batch (finished(summary.stopped) follows).
    void stop();

    /// Runs a local event loop until the state is Idle or timeoutMs passed; true when idle.
    /// For the few places that must finish a request before going on (closing the window).
    bool waitForIdle(int timeoutMs);
    /// Outcome of the last completed save(): empty when it succeeded, else the error text.
    QString lastSaveError() const { return m_lastSaveError; }

    /// Minimum time between two batchFinished() signals (0: every batch).
    void setBatchInterval(int milliseconds);
    /// While training, also send liveSnapshot() at most this often (0: never).
    void setLiveSnapshotInterval(int milliseconds);
    /// Test hook: the next batch's loss becomes NaN (queued to an idle worker).
    void injectNanForTesting();

    /// Stops any run, lets the worker finish its current slot and joins the thread. Afterwards
    /// every request is refused. Returns false if the thread did not end within timeoutMs (it is
    /// then left to end on its own: the process is exiting).
    bool shutdown(int timeoutMs = 10000);

Q_SIGNALS:
    void stateChanged(ui::TrainingController::State state);

    // The worker's signals, re-emitted after the state and the document took them in
    // (core::TrainingWorker documents each).
    void initialized(const core::CheckpointInfo &info);
    void started(const core::TrainConfig &config, int epochsDone);
    void batchFinished(const core::BatchStats &stats);
    void batchLosses(const core::BatchLosses &losses);
    void epochFinished(const core::EpochStats &stats);
    void finished(const core::TrainingSummary &summary);
    void failed(const QString &message);
    void snapshotReady(std::shared_ptr<const core::Classifier> classifier, const core::CheckpointInfo &info);
    void liveSnapshot(std::shared_ptr<const core::Classifier> classifier, const core::BatchStats &at);
    void dataLoaded(std::shared_ptr<const core::MnistSet> train, std::shared_ptr<const core::MnistSet> test,
                    const QString &dir);
    void dataFailed(const QString &dir, const QString &message);
    void saved(const QString &path, const core::CheckpointInfo &info);
    void saveFailed(const QString &path, const QString &message);
    void loaded(const QString &path, const core::CheckpointInfo &info);
    void loadFailed(const QString &path, const QString &message);
    void resetDone(const core::CheckpointInfo &info);
    /// The imported model's accuracy on the test set was measured (accuracy < 0: it failed,
    /// error says why). The document holds it already (ModelDocument::measuredAccuracy()).
    void evaluated(double accuracy, int images, const QString &error);

private:
    /// Measures the document's classifier on its test set off the GUI thread (an import has no
    /// history to say how good it is); waits for the test set when it is not loaded yet.
    void evaluateImport();
    void connectRunSignals();
    void connectModelSignals();
    void connectFileSignals();
    void connectDataSignals();
    void updateState();
    bool queue();
    void completed();
    /// The document after a completed load of path.
    void documentLoaded(const QString &path, const core::CheckpointInfo &info);

    ModelDocument *m_document = nullptr;
    QThread *m_thread = nullptr;
    std::unique_ptr<core::TrainingWorker> m_worker;
    State m_state = State::Idle;
    int m_pending = 0;
    bool m_running = false;
    bool m_stopping = false;
    bool m_shutDown = false;
    bool m_runFromScratch = false; ///< of the run going on (or last started)
    QString m_importPath;          ///< the load in flight is an import of this file
    bool m_evaluateImport = false; ///< the next snapshot (or the data, if missing) is an import to measure
    QString m_lastSaveError = QStringLiteral("no save yet");
};

} // namespace ui
