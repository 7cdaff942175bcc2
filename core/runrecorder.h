#pragma once
#include "runstore.h"
#include "types.h"
#include <QObject>
#include <QString>
#include <memory>

namespace core {

/// Today's run description: the tutorial network (the only one until networks are data), the
/// recipe from config, MNIST with the training files' checksum. trainImages / testImages are the
/// sets' sizes before config's limits. The GUI and the CLI both build their RunSpec here.
RunSpec runSpecFor(const TrainConfig &config, const QString &datasetChecksum, int trainImages, int testImages,
                   int startEpoch, const QString &source);
/// The same for a run on `dataset` (its id is what the record names; issue 20).
RunSpec runSpecFor(const TrainConfig &config, const DatasetTag &dataset, const QString &datasetChecksum, int trainImages,
                   int testImages, int startEpoch, const QString &source);

/// Records training runs into a RunStore from any thread, without ever waiting for the disk.
///
/// The calls below only append to a queue under a mutex (well under a microsecond); a writer
/// thread of the recorder's own commits what has arrived once a second, after each epoch and at
/// the end, each time in one transaction (docs/runs.md). Runs follow each other: begin(), the
/// progress calls, end(); a begin() while a run is open ends that one as stopped.
///
/// A database that cannot be used (corrupt, newer, read-only, locked too long, full disk) never
/// stops training: the recorder drops the run's remaining writes and reports failed() once with
/// the store's message; the next begin() tries again.
///
/// The signals are emitted on the writer thread: connect with a receiver (queued).
class RunRecorder : public QObject {
    Q_OBJECT
public:
    /// Losses kept whole up to this many batches per run (15 epochs of 600 are 9,000); beyond it,
    /// consecutive batches are stored as buckets with mean, minimum and maximum.
    static constexpr int kMaxLossPoints = 20000;
    /// Commit at most this often while batches arrive (epochs and the end commit at once).
    static constexpr int kDefaultFlushMs = 1000;

    /// The database file (RunStore::defaultPath() resolves options and the environment).
    explicit RunRecorder(const QString &databasePath, QObject *parent = nullptr);
    RunRecorder(const QString &databasePath, const RunStore::Options &options, QObject *parent = nullptr);
    /// Writes what is queued (an open run is ended as stopped) and joins the writer thread.
    ~RunRecorder() override;

    QString databasePath() const;
    void setFlushInterval(int milliseconds);

    // --- a run, from any one thread at a time (the training thread or the GUI thread) ---
    void begin(const RunSpec &spec);
    /// Per-batch losses (the GUI's throttled lists, or one batch from the CLI).
    void addLosses(const BatchLosses &losses);
    /// Images seen and the throughput so far.
    void addProgress(const BatchStats &stats);
    void addEpoch(const EpochStats &stats);
    void end(const RunEnd &end);
    /// The run ended before was saved to path (the GUI saves after a run).
    void setCheckpoint(qint64 runId, const QString &path);

    /// The id of the run begun last, waiting up to timeoutMs for its insert; -1 when it could
    /// not be recorded (see lastError()) or the wait ran out.
    qint64 waitForRunId(int timeoutMs = 10000) const;
    /// Waits until everything queued so far is committed (or dropped after an error).
    bool flush(int timeoutMs = 10000);
    /// The last failure's message (empty when none).
    QString lastError() const;

Q_SIGNALS:
    /// The run has its row (id): the Runs tab shows it.
    void runStarted(qint64 id);
    /// A transaction of the run committed (new points, an epoch, the end, its checkpoint).
    void runWritten(qint64 id);
    void runEnded(qint64 id);
    /// The run cannot be recorded: message is the store's one sentence; training goes on.
    void failed(const QString &message);

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace core
