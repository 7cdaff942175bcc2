#include "runrecorder.h"
#include "network.h"
#include <QElapsedTimer>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <limits>
#include <mutex>
#include <thread>

namespace core {

namespace {

/// One call of the recorder's API, queued for the writer thread.
struct Event {
    enum class Type { Begin, Losses, Progress, Epoch, End, Checkpoint };
    explicit Event(Type t) : type(t) {}
    Type type;
    double at = 0;           ///< seconds since begin(), taken by the caller
    RunSpec spec;
    BatchLosses losses;
    BatchStats progress;
    EpochStats epoch;
    RunEnd end;
    qint64 runId = 0;
    QString path;
};

/// A bucket of consecutive batches being summed up into one LossPoint.
struct Bucket {
    Bucket() { point.count = 0; }
    LossPoint point;
    double sum = 0;
    int finite = 0;
    void add(double loss)
    {
        if (std::isfinite(loss)) {
            point.lossMin = point.count == 0 || !std::isfinite(point.lossMin) ? loss : std::min(point.lossMin, loss);
            point.lossMax = point.count == 0 || !std::isfinite(point.lossMax) ? loss : std::max(point.lossMax, loss);
            sum += loss;
            ++finite;
        } else if (point.count == 0) {
            point.lossMin = point.lossMax = std::numeric_limits<double>::quiet_NaN();
        }
        ++point.count;
    }
    LossPoint take()
    {
        LossPoint p = point;
        p.loss = finite > 0 ? sum / finite : std::numeric_limits<double>::quiet_NaN();
        *this = {};
        return p;
    }
};

} // namespace

RunSpec runSpecFor(const TrainConfig &config, const QString &datasetChecksum, int trainImages, int testImages, int startEpoch,
                   const QString &source)
{
    return runSpecFor(config, DatasetTag{}, datasetChecksum, trainImages, testImages, startEpoch, source);
}

RunSpec runSpecFor(const TrainConfig &config, const DatasetTag &dataset, const QString &datasetChecksum, int trainImages,
                   int testImages, int startEpoch, const QString &source)
{
    const auto limited = [](int limit, int count) { return limit > 0 && limit < count ? limit : count; };
    RunSpec spec;
    spec.source = source;
    const Network network = Network::parse(config.networkText());
    spec.network = network.text();
    spec.networkShort = network.presetName().isEmpty() ? network.summary(network.analyze(0).parameters) : network.presetName();
    spec.recipe = config.toJson();
    spec.datasetId = dataset.id;
    spec.datasetChecksum = datasetChecksum;
    spec.trainImages = limited(config.trainLimit, trainImages);
    spec.testImages = limited(config.testLimit, testImages);
    spec.startEpoch = startEpoch;
    spec.threads = config.effectiveThreads();
    return spec;
}

struct RunRecorder::Impl {
    RunRecorder *q = nullptr;
    QString path;
    RunStore::Options options;

    // --- shared with the callers, under mutex ---
    std::mutex mutex;
    std::condition_variable wake;   ///< the writer: events, urgency, stop
    std::condition_variable done;   ///< the callers: run ids and flushes
    std::deque<Event> queue;
    bool urgent = false;
    bool stopping = false;
    bool runOpen = false;           ///< begun and not ended (caller's view)
    QElapsedTimer clock;            ///< since the last begin()
    quint64 queued = 0;             ///< events queued so far
    quint64 processed = 0;          ///< events the writer has handled
    quint64 idFor = 0;              ///< the begin event whose id is known (sequence number)
    quint64 lastBegin = 0;
    qint64 runId = -1;
    QString lastError;
    int flushMs = kDefaultFlushMs;

    // --- the writer thread's own ---
    std::unique_ptr<RunStore> store;
    RunOwner owner;
    qint64 current = -1;           ///< the open run's id (-1: none, or it could not be recorded)
    RunSpec spec;
    int batchSize = 1;
    int bucketSize = 0;             ///< 0 until the first losses tell the run's length
    Bucket bucket;
    double lastLossAt = 0;
    std::vector<LossPoint> losses;
    std::vector<EpochPoint> epochs;
    qint64 imagesSeen = 0;
    double imagesPerSecond = 0;
    double wallSeconds = 0;
    std::thread thread;

    void push(Event e, bool now)
    {
        {
            std::lock_guard lock(mutex);
            if (e.type == Event::Type::Begin) {
                clock.start();
                runOpen = true;
                runId = -1;
                lastBegin = queued + 1;
            } else if (e.type == Event::Type::End) {
                runOpen = false;
            }
            e.at = clock.isValid() ? clock.nsecsElapsed() / 1e9 : 0;
            queue.push_back(std::move(e));
            ++queued;
            urgent = urgent || now;
        }
        if (now)
            wake.notify_one();
    }

    void run();
    void handle(const Event &e);
    void beginRun(const Event &e);
    void addLosses(const Event &e);
    void commit();
    void endRun(const RunEnd &end, double at);
    void report(const RunStoreError &error);
};

RunRecorder::RunRecorder(const QString &databasePath, QObject *parent) : RunRecorder(databasePath, RunStore::Options{}, parent) {}

RunRecorder::RunRecorder(const QString &databasePath, const RunStore::Options &options, QObject *parent)
    : QObject(parent), d(std::make_unique<Impl>())
{
    d->q = this;
    d->path = databasePath;
    d->options = options;
    d->thread = std::thread([this] { d->run(); });
}

RunRecorder::~RunRecorder()
{
    bool open = false;
    {
        std::lock_guard lock(d->mutex);
        open = d->runOpen;
    }
    if (open)
        end({RunStatus::Stopped, QStringLiteral("DigitLab was closed during the run"), {}});
    {
        std::lock_guard lock(d->mutex);
        d->stopping = true;
    }
    d->wake.notify_one();
    d->thread.join();
}

QString RunRecorder::databasePath() const { return d->path; }

void RunRecorder::setFlushInterval(int milliseconds)
{
    std::lock_guard lock(d->mutex);
    d->flushMs = std::max(1, milliseconds);
}

void RunRecorder::begin(const RunSpec &spec)
{
    Event e(Event::Type::Begin);
    e.spec = spec;
    d->push(std::move(e), true);
}

void RunRecorder::addLosses(const BatchLosses &losses)
{
    Event e(Event::Type::Losses);
    e.losses = losses;
    d->push(std::move(e), false);
}

void RunRecorder::addProgress(const BatchStats &stats)
{
    Event e(Event::Type::Progress);
    e.progress = stats;
    d->push(std::move(e), false);
}

void RunRecorder::addEpoch(const EpochStats &stats)
{
    Event e(Event::Type::Epoch);
    e.epoch = stats;
    d->push(std::move(e), true);
}

void RunRecorder::end(const RunEnd &end)
{
    Event e(Event::Type::End);
    e.end = end;
    d->push(std::move(e), true);
}

void RunRecorder::setCheckpoint(qint64 runId, const QString &path)
{
    Event e(Event::Type::Checkpoint);
    e.runId = runId;
    e.path = path;
    d->push(std::move(e), true);
}

qint64 RunRecorder::waitForRunId(int timeoutMs) const
{
    std::unique_lock lock(d->mutex);
    d->done.wait_for(lock, std::chrono::milliseconds(timeoutMs), [&] { return d->idFor >= d->lastBegin; });
    return d->idFor >= d->lastBegin ? d->runId : -1;
}

bool RunRecorder::flush(int timeoutMs)
{
    std::unique_lock lock(d->mutex);
    const quint64 target = d->queued;
    d->urgent = true;
    d->wake.notify_one();
    return d->done.wait_for(lock, std::chrono::milliseconds(timeoutMs), [&] { return d->processed >= target; });
}

QString RunRecorder::lastError() const
{
    std::lock_guard lock(d->mutex);
    return d->lastError;
}

void RunRecorder::Impl::run()
{
    owner = RunOwner::current();
    for (;;) {
        std::deque<Event> events;
        quint64 upTo = 0;
        {
            std::unique_lock lock(mutex);
            wake.wait_for(lock, std::chrono::milliseconds(flushMs), [&] { return stopping || urgent; });
            events.swap(queue);
            upTo = queued;
            urgent = false;
            if (events.empty() && stopping)
                break;
        }
        for (const auto &e : events)
            handle(e);
        if (current >= 0)
            commit();
        {
            std::lock_guard lock(mutex);
            processed = upTo;
        }
        done.notify_all();
    }
    store.reset(); // the connection belongs to this thread: close it here
}

void RunRecorder::Impl::handle(const Event &e)
{
    switch (e.type) {
    case Event::Type::Begin:
        beginRun(e);
        break;
    case Event::Type::Losses:
        if (current >= 0)
            addLosses(e);
        break;
    case Event::Type::Progress:
        imagesSeen = std::max<qint64>(imagesSeen, e.progress.imagesSeen);
        imagesPerSecond = e.progress.imagesPerSecond;
        wallSeconds = e.at;
        break;
    case Event::Type::Epoch:
        if (current >= 0) {
            EpochPoint p;
            p.stats = e.epoch;
            p.wallSeconds = e.at;
            p.imagesSeen = qint64(e.epoch.epoch - spec.startEpoch) * spec.trainImages;
            imagesSeen = std::max<qint64>(imagesSeen, p.imagesSeen);
            wallSeconds = e.at;
            epochs.push_back(p);
        }
        break;
    case Event::Type::End:
        endRun(e.end, e.at);
        break;
    case Event::Type::Checkpoint:
        if (store) {
            try {
                if (store->setCheckpoint(e.runId, e.path))
                    Q_EMIT q->runWritten(e.runId);
            } catch (const RunStoreError &error) {
                report(error);
            }
        }
        break;
    }
}

void RunRecorder::Impl::beginRun(const Event &e)
{
    if (current >= 0)
        endRun({RunStatus::Stopped, {}, {}}, wallSeconds);
    spec = e.spec;
    batchSize = std::max(1, spec.recipe.value(QLatin1String("batch_size")).toInt(1));
    bucketSize = 0;
    bucket = {};
    lastLossAt = 0;
    losses.clear();
    epochs.clear();
    imagesSeen = 0;
    imagesPerSecond = 0;
    wallSeconds = 0;
    qint64 id = -1;
    try {
        if (!store) {
            store = std::make_unique<RunStore>(path, options);
            store->markInterrupted();
        }
        id = store->begin(spec, owner);
    } catch (const RunStoreError &error) {
        store.reset(); // a new begin() tries again: the disk may have room by then
        report(error);
    }
    current = id;
    {
        std::lock_guard lock(mutex);
        runId = id;
        idFor = lastBegin;
    }
    done.notify_all();
    if (id >= 0)
        Q_EMIT q->runStarted(id);
}

void RunRecorder::Impl::addLosses(const Event &e)
{
    const auto &l = e.losses;
    const int bpe = std::max(1, l.batchesPerEpoch);
    if (bucketSize == 0) {
        const qint64 total = qint64(std::max(1, spec.recipe.value(QLatin1String("epochs")).toInt(1) - spec.startEpoch)) * bpe;
        bucketSize = int(std::max<qint64>(1, (total + kMaxLossPoints - 1) / kMaxLossPoints));
    }
    // The list arrived at e.at; its batches are spread evenly since the previous list.
    const double from = lastLossAt;
    const qsizetype n = l.losses.size();
    int epoch = l.epoch;
    int batch = l.firstBatch;
    for (qsizetype i = 0; i < n; ++i) {
        if (batch > bpe) {
            batch = 1;
            ++epoch;
        }
        bucket.add(l.losses[i]);
        auto &p = bucket.point;
        p.epoch = epoch;
        p.batch = batch;
        p.batchesPerEpoch = bpe;
        p.step = qint64(epoch - 1) * bpe + batch;
        p.imagesSeen = qint64(epoch - 1 - spec.startEpoch) * spec.trainImages
                       + std::min<qint64>(qint64(batch) * batchSize, spec.trainImages > 0 ? spec.trainImages : qint64(batch) * batchSize);
        p.wallSeconds = from + (e.at - from) * double(i + 1) / double(n);
        // A bucket never spans two epochs: per-epoch views stay exact.
        if (p.count >= bucketSize || batch == bpe)
            losses.push_back(bucket.take());
        ++batch;
    }
    lastLossAt = e.at;
}

void RunRecorder::Impl::commit()
{
    if (losses.empty() && epochs.empty() && imagesSeen == 0)
        return;
    try {
        store->append(current, losses, epochs, imagesSeen, imagesPerSecond, wallSeconds);
        losses.clear();
        epochs.clear();
        Q_EMIT q->runWritten(current);
    } catch (const RunStoreError &error) {
        report(error);
    }
}

void RunRecorder::Impl::endRun(const RunEnd &end, double at)
{
    if (current < 0)
        return;
    if (bucket.point.count > 0)
        losses.push_back(bucket.take());
    wallSeconds = std::max(wallSeconds, at);
    commit();
    if (current < 0)
        return; // the commit failed and was reported
    const qint64 id = current;
    try {
        store->end(id, end, wallSeconds);
    } catch (const RunStoreError &error) {
        report(error);
        return;
    }
    current = -1;
    Q_EMIT q->runWritten(id);
    Q_EMIT q->runEnded(id);
}

void RunRecorder::Impl::report(const RunStoreError &error)
{
    // The rest of this run is dropped: a half-written run that goes on later would be a lie.
    current = -1;
    losses.clear();
    epochs.clear();
    {
        std::lock_guard lock(mutex);
        lastError = error.text();
    }
    Q_EMIT q->failed(error.text());
}

} // namespace core
