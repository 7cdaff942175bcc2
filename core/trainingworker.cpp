#include "trainingworker.h"
#include "dataset.h"
#include "classifier.h"
#include "error.h"
#include "mnist.h"
#include "trainer.h"
#include <QElapsedTimer>
#include <QFile>
#include <exception>
#include <mutex>
#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace core {

namespace {

// Turns whatever a core call threw into the text the UI shows; exceptions never cross threads.
QString describe(const std::exception &e)
{
    if (auto *error = dynamic_cast<const Error *>(&e))
        return error->text();
    return QString::fromUtf8(e.what());
}

/// Keeps a long session's memory from growing run after run (issue 16: the GUI went from 252 MB
/// to 440 MB while the memory in use stayed at ~65 MB). glibc raises its mmap threshold to the
/// largest block freed (up to 32 MiB), so after the first evaluation LibTorch's large blocks (23 MB
/// for 1,000 test images) were carved from the heaps, where blocks of different lifetimes left
/// them fragmented: +14 MB a run. Fixed thresholds never move: blocks from 16 MiB are mmapped and
/// go back to the system when freed, while the per-batch training tensors (a few MB) stay in the
/// heap (4 MiB cost 9x the page faults in training); the trim threshold is set with it, as a
/// fixed mmap threshold would leave it at 128 KiB (1.5M page faults per 400 batches, not 57k).
/// Process-wide, once: the worker is what trains for a whole session.
void boundHeapRetention()
{
#ifdef __GLIBC__
    static std::once_flag once;
    std::call_once(once, [] {
        mallopt(M_MMAP_THRESHOLD, 16 * 1024 * 1024);
        mallopt(M_TRIM_THRESHOLD, 32 * 1024 * 1024);
    });
#endif
}

/// After a run: the free pages inside every heap go back to the system (one call per run).
void releaseFreeMemory()
{
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

} // namespace

TrainingWorker::TrainingWorker(QObject *parent)
    : QObject(parent), m_control(std::make_unique<RunControl>())
{
    registerMetaTypes();
    boundHeapRetention();
}

TrainingWorker::~TrainingWorker() = default;

void TrainingWorker::registerMetaTypes()
{
    qRegisterMetaType<core::TrainConfig>("core::TrainConfig");
    qRegisterMetaType<core::BatchStats>("core::BatchStats");
    qRegisterMetaType<core::BatchLosses>("core::BatchLosses");
    qRegisterMetaType<core::EpochStats>("core::EpochStats");
    qRegisterMetaType<core::TrainingSummary>("core::TrainingSummary");
    qRegisterMetaType<core::CheckpointInfo>("core::CheckpointInfo");
    qRegisterMetaType<std::shared_ptr<const core::Classifier>>("std::shared_ptr<const core::Classifier>");
    qRegisterMetaType<std::shared_ptr<const core::MnistSet>>("std::shared_ptr<const core::MnistSet>");
}

void TrainingWorker::requestStop()
{
    m_control->stop.store(true);
    // A paused run must wake up to see the stop.
    m_control->pause.store(false);
}

void TrainingWorker::setPaused(bool paused)
{
    m_control->pause.store(paused);
}

bool TrainingWorker::isPaused() const
{
    return m_control->pause.load();
}

bool TrainingWorker::isHolding() const
{
    return m_control->holding.load();
}

std::int64_t TrainingWorker::batchesTrained() const
{
    return m_control->batchesDone.load();
}

void TrainingWorker::resetControls()
{
    m_control->stop.store(false);
    m_control->pause.store(false);
}

bool TrainingWorker::ensureTrainer(const TrainConfig &config)
{
    if (m_trainer)
        return true;
    try {
        m_trainer = std::make_unique<Trainer>(config);
        return true;
    } catch (const std::exception &e) {
        Q_EMIT failed(describe(e));
        return false;
    }
}

bool TrainingWorker::publishSnapshot()
{
    if (!m_trainer)
        return false;
    try {
        Q_EMIT snapshotReady(m_trainer->snapshot(), m_trainer->info());
        return true;
    } catch (const std::exception &e) {
        // Not failed(): during a run that would end the run's state in the controller.
        qWarning("TrainingWorker: cannot take a model snapshot: %s", e.what());
        return false;
    }
}

void TrainingWorker::initialize(const TrainConfig &config)
{
    m_trainer.reset();
    if (!ensureTrainer(config))
        return;
    publishSnapshot(); // before the request's end, as in load()
    Q_EMIT initialized(m_trainer->info());
}

void TrainingWorker::loadData(const QString &dir, const QString &datasetSpec)
{
    QString resolved = dir;
    try {
        const Dataset dataset = Dataset::fromSpec(datasetSpec);
        resolved = dataset.resolveDir(dir);
        // Shared: a dataset switched back to, or another window's, is not read again.
        auto train = dataset.loadShared(Split::Train, resolved);
        auto test = dataset.loadShared(Split::Test, resolved);
        m_train = train;
        m_test = test;
        Q_EMIT dataLoaded(train, test, resolved);
    } catch (const std::exception &e) {
        // No stale sets: training needs the folder the user now sees as missing.
        m_train.reset();
        m_test.reset();
        Q_EMIT dataFailed(resolved, describe(e));
    }
}

struct TrainingWorker::RunSignals {
    QElapsedTimer sinceSignal;
    QElapsedTimer sinceLive;
    bool firstBatch = true;
    BatchLosses pending;
};

bool TrainingWorker::prepareRun(const TrainConfig &config, bool fromScratch)
{
    if (!m_train || !m_test) {
        Q_EMIT failed(tr("Cannot train: the data set is not loaded."));
        return false;
    }
    // The network ends with the dataset's classes: a preset's last Linear is fitted to them.
    TrainConfig fitted = config;
    fitted.fitClasses(m_train->dataset.classes());
    if (!ensureTrainer(fitted))
        return false;
    try {
        m_trainer->setConfig(fitted);
        if (fromScratch)
            m_trainer->resetWeights();
    } catch (const std::exception &e) {
        Q_EMIT failed(describe(e));
        return false;
    }
    return true;
}

void TrainingWorker::acceptDataset()
{
    if (m_trainer)
        m_trainer->acceptDataset();
}

void TrainingWorker::onRunBatch(RunSignals &run, const BatchStats &stats)
{
    BatchLosses &pending = run.pending;
    if (pending.losses.isEmpty()) {
        pending.epoch = stats.epoch;
        pending.firstBatch = stats.batch;
        pending.batchesPerEpoch = stats.batchesPerEpoch;
    }
    pending.losses.append(static_cast<float>(stats.loss));
    // The first batch and each epoch's last one always go out: the GUI then shows a run's
    // start at once and every epoch ends on its true last point.
    const bool lastOfEpoch = stats.batch >= stats.batchesPerEpoch;
    // A copy of 21,840 weights takes microseconds: cheap enough at a few per second.
    if (const int live = m_liveSnapshotMs.load();
        live > 0 && (!run.sinceLive.isValid() || run.sinceLive.elapsed() >= live)) {
        try {
            Q_EMIT liveSnapshot(m_trainer->snapshot(), stats);
        } catch (const std::exception &e) {
            qWarning("TrainingWorker: cannot take a live snapshot: %s", e.what());
        }
        run.sinceLive.start();
    }
    if (run.firstBatch || lastOfEpoch || run.sinceSignal.elapsed() >= m_batchIntervalMs.load()) {
        Q_EMIT batchLosses(pending);
        Q_EMIT batchFinished(stats);
        pending = BatchLosses{};
        run.sinceSignal.restart();
        run.firstBatch = false;
    }
}

void TrainingWorker::train(const TrainConfig &config, bool fromScratch)
{
    if (!prepareRun(config, fromScratch))
        return;
    Q_EMIT started(config, m_trainer->epochsDone());

    RunSignals run;
    run.sinceSignal.start();
    ProgressSink sink;
    sink.batch = [this, &run](const BatchStats &stats) { onRunBatch(run, stats); };
    sink.epoch = [this](const EpochStats &stats) {
        Q_EMIT epochFinished(stats);
        publishSnapshot();
    };
    try {
        const TrainingSummary summary = m_trainer->run(*m_train, *m_test, *m_control, sink);
        if (!run.pending.losses.isEmpty())
            Q_EMIT batchLosses(run.pending);
        // A stopped run changed the weights with its partial epoch: publish them too.
        if (summary.stopped)
            publishSnapshot();
        releaseFreeMemory();
        Q_EMIT finished(summary);
    } catch (const std::exception &e) {
        publishSnapshot();
        releaseFreeMemory();
        Q_EMIT failed(describe(e));
    }
}

void TrainingWorker::injectNanForTesting()
{
    if (m_trainer)
        m_trainer->injectNanForTesting();
}

void TrainingWorker::reset(const TrainConfig &config)
{
    if (!ensureTrainer(config))
        return;
    try {
        m_trainer->setConfig(config);
        m_trainer->resetWeights();
    } catch (const std::exception &e) {
        Q_EMIT failed(describe(e));
        return;
    }
    publishSnapshot(); // before the request's end, as in load()
    Q_EMIT resetDone(m_trainer->info());
}

void TrainingWorker::save(const QString &path)
{
    if (!m_trainer) {
        Q_EMIT saveFailed(path, tr("There is no model to save."));
        return;
    }
    try {
        m_trainer->save(path);
        Q_EMIT saved(path, m_trainer->info());
    } catch (const std::exception &e) {
        Q_EMIT saveFailed(path, describe(e));
    }
}

void TrainingWorker::load(const QString &path)
{
    if (!ensureTrainer(TrainConfig{}))
        return;
    try {
        if (path.startsWith(QLatin1Char(':'))) {
            // A Qt resource (the bundled model): read it here, validate it in the trainer.
            QFile file(path);
            if (!file.open(QIODevice::ReadOnly))
                throw CheckpointError(CheckpointError::Kind::Unreadable, path, tr("cannot open the resource"));
            m_trainer->loadBytes(file.readAll(), path);
        } else {
            m_trainer->load(path);
        }
    } catch (const std::exception &e) {
        Q_EMIT loadFailed(path, describe(e));
        return;
    }
    // The snapshot first: the controller ends the request on loaded(), so whoever waits for it
    // (the window, a test waiting for idle) finds the loaded model already in the document. The
    // other order left a moment, longer on a busy machine, where the document named the new
    // model but still held the old one.
    publishSnapshot();
    Q_EMIT loaded(path, m_trainer->info());
}

} // namespace core
