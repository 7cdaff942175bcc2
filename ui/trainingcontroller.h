#pragma once
#include "core/types.h"
#include <QObject>
#include <QString>
#include <memory>

class QThread;

namespace core {
class TrainingWorker;
}

namespace ui {

/// Owns the training thread and its core::TrainingWorker, on the GUI thread.
///
/// Every model operation (train, save, load, reset) is queued to the worker, so the model is
/// only ever touched by the worker thread. Requests other than start() queue up behind each
/// other (the worker runs them in order), but all are refused while a run is going on: they would
/// wait in the worker's queue until the run ends. start() needs Idle. Connect to worker()'s
/// signals for results; they arrive queued on the receiver's thread.
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

    explicit TrainingController(QObject *parent = nullptr);
    /// Stops a run and joins the thread (see shutdown()).
    ~TrainingController() override;

    core::TrainingWorker *worker() const { return m_worker.get(); }
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
    bool loadData(const QString &dir);
    /// Continues the current model up to config.epochs, or starts over from new weights.
    bool start(const core::TrainConfig &config, bool fromScratch = false);
    bool save(const QString &path);
    bool load(const QString &path);
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

    /// Stops any run, lets the worker finish its current slot and joins the thread. Afterwards
    /// every request is refused. Returns false if the thread did not end within timeoutMs (it is
    /// then left to end on its own: the process is exiting).
    bool shutdown(int timeoutMs = 10000);

Q_SIGNALS:
    void stateChanged(ui::TrainingController::State state);

private:
    void updateState();
    bool queue();
    void completed();

    QThread *m_thread = nullptr;
    std::unique_ptr<core::TrainingWorker> m_worker;
    State m_state = State::Idle;
    int m_pending = 0;
    bool m_running = false;
    bool m_stopping = false;
    bool m_shutDown = false;
    QString m_lastSaveError = QStringLiteral("no save yet");
};

} // namespace ui
