#pragma once
#include "error.h"
#include "types.h"
#include <QDateTime>
#include <QJsonObject>
#include <QString>
#include <memory>
#include <optional>
#include <vector>

namespace core {

/// How a recorded run ended, or that it is still going on. "interrupted": its process died
/// (killed, crashed, power cut) while it trained; found and written at the next start.
enum class RunStatus { Running, Finished, Stopped, Diverged, Failed, Interrupted };
/// "running", "finished", "stopped", "diverged", "failed", "interrupted" (the database's words).
QString runStatusText(RunStatus status);
std::optional<RunStatus> runStatusFromText(const QString &text);

/// What a run is, known when it starts: written once by RunRecorder::begin(). Plain values, so
/// that callers (the GUI's controller observer, the CLI) only change what they feed in.
struct RunSpec {
    QString name;             ///< empty: the table shows "run ID"
    QString source;           ///< "gui" or "cli"
    QString network;          ///< the network as one line of PyTorch layer names
    QString networkShort;     ///< its short form for tables ("tutorial")
    QJsonObject recipe;       ///< every hyper-parameter (TrainConfig::toJson() today)
    QString datasetId;        ///< "mnist"
    QString datasetChecksum;  ///< of the training files (MnistSet::checksum)
    int trainImages = 0;      ///< images per epoch (after any limit)
    int testImages = 0;       ///< images evaluated after each epoch
    int startEpoch = 0;       ///< epochs the model had before this run (a resumed run)
    int threads = 0;          ///< training threads actually used (0: as the recipe says)
};

/// How a run ended (RunRecorder::end()).
struct RunEnd {
    RunStatus status = RunStatus::Finished;
    QString message;     ///< why it failed or diverged (empty otherwise)
    QString checkpoint;  ///< the file the run was saved to, if any
};

/// One row of the runs table.
struct RunRecord {
    qint64 id = 0;
    QString name;             ///< as given or renamed; displayName() falls back to "run ID"
    QString note;
    QDateTime started;        ///< UTC
    QDateTime ended;          ///< invalid while running
    QString source;
    QString appVersion;
    QString network;
    QString networkShort;
    QJsonObject recipe;
    double learningRate = 0;
    int batchSize = 0;
    int epochs = 0;           ///< the run's epoch target
    QString seed;             ///< text: a 64-bit seed is exact
    int threads = 0;
    QString optimizer;        ///< empty when the recipe does not say (today: Adam)
    QString datasetId;
    QString datasetChecksum;
    int trainImages = 0;
    int testImages = 0;
    int startEpoch = 0;
    RunStatus status = RunStatus::Running;
    QString message;
    int epochsDone = 0;       ///< the model's epochs at the end (across resumes)
    double finalTestAccuracy = -1;  ///< 0..1; -1 before the first epoch
    double bestTestAccuracy = -1;
    double finalTestLoss = -1;
    double imagesPerSecond = 0;
    double wallSeconds = 0;   ///< training time so far (wall clock since the start)
    qint64 imagesSeen = 0;    ///< in this run
    QString checkpoint;
    bool hidden = false;      ///< deleted in the Runs tab, undoable until the next start

    QString displayName() const;
};

/// One stored point of the per-batch loss: a single batch, or (for runs too long to keep whole)
/// a bucket of consecutive batches with its mean, minimum and maximum, so the envelope stays.
struct LossPoint {
    qint64 step = 0;          ///< 1-based batch index over the model's epochs (last of the bucket)
    int epoch = 0;            ///< 1-based epoch of that batch
    int batch = 0;            ///< 1-based batch within the epoch
    int batchesPerEpoch = 0;
    qint64 imagesSeen = 0;    ///< in this run, after that batch
    double wallSeconds = 0;   ///< since the run started
    double loss = 0;          ///< mean over the bucket (NaN when not finite)
    double lossMin = 0;
    double lossMax = 0;
    int count = 1;            ///< batches in the bucket
    /// Position on an epoch axis: 2.5 is half-way through the third epoch.
    double epochPosition() const { return batchesPerEpoch > 0 ? (epoch - 1) + double(batch) / batchesPerEpoch : epoch; }
};

/// One finished epoch of a run, with where it happened on the run's clocks.
struct EpochPoint {
    EpochStats stats;
    double wallSeconds = 0;   ///< since the run started, at the end of the epoch's evaluation
    qint64 imagesSeen = 0;    ///< in this run
};

/// A run's curves, read back for charts and exports.
struct RunCurves {
    std::vector<LossPoint> losses;
    std::vector<EpochPoint> epochs;
};

/// The run database cannot be used. what() names the file and the problem in one sentence.
class RunStoreError : public Error {
public:
    enum class Kind {
        Unopenable,  ///< no folder, no permission
        Corrupt,     ///< not a SQLite database, or damaged
        Foreign,     ///< a SQLite database, but not DigitLab's
        Newer,       ///< written by a newer DigitLab (higher schema version): never modified
        ReadOnly,    ///< the file or its folder cannot be written
        Locked,      ///< another program held it locked longer than the busy timeout
        Full,        ///< the disk (or the database's size limit) is full
        Failed,      ///< any other SQLite error
    };
    RunStoreError(Kind kind, const QString &file, const QString &message) : Error(file, message), m_kind(kind) {}
    Kind kind() const noexcept { return m_kind; }

private:
    Kind m_kind;
};

/// Who is writing a run: host, boot, pid and the process's start time. A "running" run whose
/// writer is gone (kill -9, crash, reboot) is interrupted; pid + start time tell a reused pid apart.
struct RunOwner {
    QString text;  ///< "host|boot-id|pid|start-ticks"
    /// This process.
    static RunOwner current();
    /// False when the process is known dead (same host; other boot, or no such pid with that
    /// start time). Runs of other hosts (a shared home folder) are presumed alive.
    bool alive() const;
};

/// The run database: one SQLite file (Qt SQL's QSQLITE driver) in WAL mode, with a schema
/// version and migrations (docs/runs.md). One RunStore is one connection: use it on the thread
/// that made it. Readers never wait for writers (WAL); writers wait up to busyTimeoutMs for
/// each other, so several DigitLab processes can record at once.
///
/// Opening checks the file before changing anything: a database of a newer DigitLab or of
/// another program is refused (RunStoreError Newer / Foreign) and left byte for byte as it was.
/// It then marks the runs whose writer died as interrupted (when the file can be written).
class RunStore {
public:
    /// Written by this version. Older databases are migrated on open; newer ones are refused.
    static constexpr int kSchemaVersion = 1;
    /// SQLite's application_id of a DigitLab run database ("DGLR"): tells ours from others.
    static constexpr int kApplicationId = 0x44474c52;
    /// How long a write waits for another process's write: far longer than any of our
    /// transactions (milliseconds), short enough that a stuck lock is reported.
    static constexpr int kDefaultBusyTimeoutMs = 5000;

    struct Options {
        int busyTimeoutMs = kDefaultBusyTimeoutMs;
        bool readOnly = false;   ///< never writes (no migration, no interrupted marks)
        /// Test hook: SQLite's max_page_count, so a write runs out of room like a full disk.
        int maxPageCountForTesting = 0;
    };

    /// --runs-db / $DIGITLAB_RUNS_DB, else ~/.local/share/DigitLab/runs.db (XDG data home:
    /// shared by the GUI and the CLI, as the MNIST folder is).
    static QString defaultPath(const QString &explicitPath = {});

    /// Opens (creating the file and its folder if needed) and migrates. Throws RunStoreError.
    explicit RunStore(const QString &path);
    RunStore(const QString &path, const Options &options);
    ~RunStore();
    RunStore(const RunStore &) = delete;
    RunStore &operator=(const RunStore &) = delete;

    QString path() const;
    /// The schema version found in the file when it was opened (0: a new file).
    int openedVersion() const;

    // --- reading ---
    /// Every run, oldest first (hidden ones only when includeHidden).
    std::vector<RunRecord> list(bool includeHidden = false) const;
    std::optional<RunRecord> run(qint64 id) const;
    RunCurves curves(qint64 id) const;

    // --- editing ---
    /// False when there is no such run.
    bool rename(qint64 id, const QString &name);
    bool setNote(qint64 id, const QString &note);
    bool setCheckpoint(qint64 id, const QString &path);
    /// Hides a run (the Runs tab's delete; undone with hidden = false). purgeHidden() deletes.
    bool setHidden(qint64 id, bool hidden);
    /// Deletes a run and its curves for good. False when there is no such run.
    bool remove(qint64 id);
    /// Deletes the hidden runs (at start-up: the previous session's deletes are final).
    int purgeHidden();
    /// Marks "running" runs whose writer is dead as interrupted; returns how many.
    int markInterrupted();

    // --- writing a run (RunRecorder, on its own thread) ---
    qint64 begin(const RunSpec &spec, const RunOwner &owner);
    /// Adds points and the run's progress in one transaction.
    void append(qint64 id, const std::vector<LossPoint> &losses, const std::vector<EpochPoint> &epochs,
                qint64 imagesSeen, double imagesPerSecond, double wallSeconds);
    void end(qint64 id, const RunEnd &end, double wallSeconds);

    struct Impl;

private:
    std::unique_ptr<Impl> d;
};

// --- texts for the CLI and exports (core computes, the UI and CLI show) ---
/// Columns of runsCsv(), in order (runsJson() has these, network_text and recipe).
QStringList runColumns();
/// A header row, then one row per run (RFC 4180 quoting).
QString runsCsv(const std::vector<RunRecord> &runs);
/// An array of objects with runColumns() as keys (numbers as numbers, null when unknown).
QByteArray runsJson(const std::vector<RunRecord> &runs);
/// Aligned columns for a terminal.
QString runsTable(const std::vector<RunRecord> &runs);
/// One run in detail: every field and its epochs, for `digitlab-cli runs show`.
QString runDetails(const RunRecord &run, const RunCurves &curves);
/// A run's curves as CSV: one row per stored loss point and per epoch (column "kind").
QString runCurvesCsv(const RunRecord &run, const RunCurves &curves);
/// One CSV field (quoted when it holds a comma, quote or line break).
QString csvField(const QString &text);

} // namespace core
