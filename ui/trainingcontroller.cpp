#include "trainingcontroller.h"
#include "core/trainingworker.h"
#include <QDeadlineTimer>
#include <QEventLoop>
#include <QThread>
#include <QTimer>

namespace ui {

TrainingController::TrainingController(QObject *parent)
    : QObject(parent), m_thread(new QThread(this)), m_worker(std::make_unique<core::TrainingWorker>())
{
    m_thread->setObjectName(QStringLiteral("digitlab-training"));
    m_worker->moveToThread(m_thread);

    // Made before anyone else can connect, so the state is current when the other receivers of
    // the same signal run. Each worker slot ends with exactly one of these.
    auto *w = m_worker.get();
    auto done = [this] { completed(); };
    connect(w, &core::TrainingWorker::initialized, this, done);
    connect(w, &core::TrainingWorker::finished, this, done);
    connect(w, &core::TrainingWorker::failed, this, done);
    connect(w, &core::TrainingWorker::dataLoaded, this, done);
    connect(w, &core::TrainingWorker::dataFailed, this, done);
    connect(w, &core::TrainingWorker::saved, this, [this] {
        m_lastSaveError.clear();
        completed();
    });
    connect(w, &core::TrainingWorker::saveFailed, this, [this](const QString &, const QString &message) {
        m_lastSaveError = message;
        completed();
    });
    connect(w, &core::TrainingWorker::loaded, this, done);
    connect(w, &core::TrainingWorker::loadFailed, this, done);
    connect(w, &core::TrainingWorker::resetDone, this, done);
    m_thread->start();
}

TrainingController::~TrainingController()
{
    shutdown();
}

bool TrainingController::isPaused() const
{
    return m_worker && m_worker->isPaused();
}

bool TrainingController::isPauseHeld() const
{
    return m_worker && m_worker->isHolding();
}

qint64 TrainingController::batchesTrained() const
{
    return m_worker ? m_worker->batchesTrained() : 0;
}

void TrainingController::updateState()
{
    State state = State::Idle;
    if (m_running)
        state = m_stopping ? State::Stopping : State::Training;
    else if (m_pending > 0)
        state = State::Busy;
    if (state == m_state)
        return;
    m_state = state;
    Q_EMIT stateChanged(state);
}

bool TrainingController::queue()
{
    if (m_shutDown || m_running)
        return false;
    ++m_pending;
    updateState();
    return true;
}

void TrainingController::completed()
{
    // A run is the only request while it lasts, so its completion ends it.
    m_pending = std::max(0, m_pending - 1);
    if (m_pending == 0) {
        m_running = false;
        m_stopping = false;
    }
    updateState();
}

bool TrainingController::initialize(const core::TrainConfig &config)
{
    if (!queue())
        return false;
    QMetaObject::invokeMethod(m_worker.get(), "initialize", Qt::QueuedConnection,
                              Q_ARG(core::TrainConfig, config));
    return true;
}

bool TrainingController::loadData(const QString &dir)
{
    if (!queue())
        return false;
    QMetaObject::invokeMethod(m_worker.get(), "loadData", Qt::QueuedConnection, Q_ARG(QString, dir));
    return true;
}

bool TrainingController::start(const core::TrainConfig &config, bool fromScratch)
{
    if (m_shutDown || m_state != State::Idle)
        return false;
    m_worker->resetControls();
    m_running = true;
    m_stopping = false;
    ++m_pending;
    updateState();
    QMetaObject::invokeMethod(m_worker.get(), "train", Qt::QueuedConnection, Q_ARG(core::TrainConfig, config),
                              Q_ARG(bool, fromScratch));
    return true;
}

bool TrainingController::save(const QString &path)
{
    if (!queue())
        return false;
    QMetaObject::invokeMethod(m_worker.get(), "save", Qt::QueuedConnection, Q_ARG(QString, path));
    return true;
}

bool TrainingController::load(const QString &path)
{
    if (!queue())
        return false;
    QMetaObject::invokeMethod(m_worker.get(), "load", Qt::QueuedConnection, Q_ARG(QString, path));
    return true;
}

bool TrainingController::reset(const core::TrainConfig &config)
{
    if (!queue())
        return false;
    QMetaObject::invokeMethod(m_worker.get(), "reset", Qt::QueuedConnection, Q_ARG(core::TrainConfig, config));
    return true;
}

void TrainingController::pause()
{
    if (m_worker && m_running && !m_stopping)
        m_worker->setPaused(true);
}

void TrainingController::resume()
{
    if (m_worker)
        m_worker->setPaused(false);
}

void TrainingController::stop()
{
    if (!m_worker || !m_running || m_stopping)
        return;
    m_worker->requestStop();
    m_stopping = true;
    updateState();
}

bool TrainingController::waitForIdle(int timeoutMs)
{
    if (m_state == State::Idle)
        return true;
    QEventLoop loop;
    QTimer timeout;
    timeout.setSingleShot(true);
    connect(&timeout, &QTimer::timeout, &loop, &QEventLoop::quit);
    connect(this, &TrainingController::stateChanged, &loop, [&loop](State state) {
        if (state == State::Idle)
            loop.quit();
    });
    timeout.start(timeoutMs);
    loop.exec(QEventLoop::ExcludeUserInputEvents);
    return m_state == State::Idle;
}

bool TrainingController::shutdown(int timeoutMs)
{
    if (m_shutDown)
        return m_worker == nullptr || m_thread == nullptr;
    m_shutDown = true;
    m_worker->requestStop();
    // quit() is seen once the worker's current slot (a run returns within a batch) has returned;
    // requests still queued behind it are dropped with the event loop.
    m_thread->quit();
    const bool joined = m_thread->wait(QDeadlineTimer(timeoutMs));
    if (joined) {
        // The thread is gone: deleting the worker (and the model) here races with nothing.
        m_worker.reset();
    } else {
        // The thread is still inside a slot: deleting the worker would crash it. The process is
        // exiting, so leaking is harmless and better than a hang.
        (void)m_worker.release();
        m_thread->setParent(nullptr);
        m_thread = nullptr;
    }
    m_pending = 0;
    m_running = false;
    m_stopping = false;
    updateState();
    return joined;
}

} // namespace ui
