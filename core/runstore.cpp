#include "runstore.h"
#include "error.h"
#include "runrecorder.h"
#include "types.h"
#include "version.h"
#include <QAtomicInteger>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSqlDatabase>
#include <QSqlDriver>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QStandardPaths>
#include <QSysInfo>
#include <QTextStream>
#include <QUrl>
#include <QVariant>
#include <cmath>
#include <unistd.h>

namespace core {

namespace {

// SQLite's primary result codes (sqlite3.h), which Qt passes on as QSqlError::nativeErrorCode().
constexpr int kSqliteReadOnly = 8;
constexpr int kSqliteBusy = 5;
constexpr int kSqliteLocked = 6;
constexpr int kSqliteCorrupt = 11;
constexpr int kSqliteFull = 13;
constexpr int kSqliteCantOpen = 14;
constexpr int kSqliteNotADb = 26;

const QString kStatusTexts[] = {QStringLiteral("running"), QStringLiteral("finished"), QStringLiteral("stopped"),
                                QStringLiteral("diverged"), QStringLiteral("failed"), QStringLiteral("interrupted")};

// One connection name per RunStore: Qt SQL keys connections by name, per process.
QAtomicInteger<quint64> g_connections{0};

// The schema, one step per version: migrations[v] takes a database from version v to v + 1.
// A new version appends a step (ALTER TABLE ...) and raises kSchemaVersion; steps never change.
const std::vector<std::vector<const char *>> kMigrations = {
    // 0 -> 1: the first schema (docs/runs.md).
    {R"(CREATE TABLE runs (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          name TEXT NOT NULL DEFAULT '',
          note TEXT NOT NULL DEFAULT '',
          started TEXT NOT NULL,
          updated TEXT NOT NULL,
          ended TEXT,
          source TEXT NOT NULL DEFAULT '',
          app_version TEXT NOT NULL DEFAULT '',
          network TEXT NOT NULL DEFAULT '',
          network_short TEXT NOT NULL DEFAULT '',
          recipe TEXT NOT NULL DEFAULT '{}',
          learning_rate REAL,
          batch_size INTEGER,
          epochs INTEGER,
          seed TEXT,
          threads INTEGER,
          optimizer TEXT NOT NULL DEFAULT '',
          dataset TEXT NOT NULL DEFAULT '',
          dataset_checksum TEXT NOT NULL DEFAULT '',
          train_images INTEGER NOT NULL DEFAULT 0,
          test_images INTEGER NOT NULL DEFAULT 0,
          start_epoch INTEGER NOT NULL DEFAULT 0,
          status TEXT NOT NULL CHECK (status IN
              ('running','finished','stopped','diverged','failed','interrupted')),
          message TEXT NOT NULL DEFAULT '',
          epochs_done INTEGER NOT NULL DEFAULT 0,
          final_test_accuracy REAL,
          best_test_accuracy REAL,
          final_test_loss REAL,
          images_per_second REAL,
          wall_seconds REAL NOT NULL DEFAULT 0,
          images_seen INTEGER NOT NULL DEFAULT 0,
          checkpoint TEXT NOT NULL DEFAULT '',
          owner TEXT NOT NULL DEFAULT '',
          hidden INTEGER NOT NULL DEFAULT 0))",
     R"(CREATE TABLE epochs (
          run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
          epoch INTEGER NOT NULL,
          train_loss REAL, train_accuracy REAL, test_loss REAL, test_accuracy REAL,
          seconds REAL, images_per_second REAL, wall_seconds REAL, images_seen INTEGER,
          PRIMARY KEY (run_id, epoch)) WITHOUT ROWID)",
     R"(CREATE TABLE losses (
          run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
          step INTEGER NOT NULL,
          epoch INTEGER NOT NULL, batch INTEGER NOT NULL, batches_per_epoch INTEGER NOT NULL,
          images_seen INTEGER, wall_seconds REAL,
          loss REAL, loss_min REAL, loss_max REAL, count INTEGER NOT NULL DEFAULT 1,
          PRIMARY KEY (run_id, step)) WITHOUT ROWID)",
     "CREATE INDEX runs_status ON runs(status)"},
};

QString nowText()
{
    return QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
}

QVariant finiteOrNull(double v)
{
    return std::isfinite(v) ? QVariant(v) : QVariant(QMetaType(QMetaType::Double));
}

/// A QString as SQL text: a null QString would be NULL, which the NOT NULL columns refuse.
QVariant text(const QString &s)
{
    return s.isNull() ? QVariant(QStringLiteral("")) : QVariant(s);
}

double doubleOr(const QVariant &v, double fallback)
{
    return v.isNull() ? fallback : v.toDouble();
}

/// /proc/PID/stat's 22nd field: the process's start time in clock ticks since boot.
QString processStartTicks(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    const QByteArray stat = f.readAll();
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    const auto close = stat.lastIndexOf(')');
    if (close < 0)
        return {};
    const auto fields = stat.mid(close + 2).split(' ');
    return fields.size() > 19 ? QString::fromLatin1(fields[19]) : QString();
}

QString bootId()
{
    QFile f(QStringLiteral("/proc/sys/kernel/random/boot_id"));
    return f.open(QIODevice::ReadOnly) ? QString::fromLatin1(f.readAll().trimmed()) : QString();
}

} // namespace

QString runStatusText(RunStatus status)
{
    return kStatusTexts[int(status)];
}

std::optional<RunStatus> runStatusFromText(const QString &text)
{
    for (int i = 0; i < int(std::size(kStatusTexts)); ++i)
        if (kStatusTexts[i] == text)
            return RunStatus(i);
    return std::nullopt;
}

QString RunRecord::displayName() const
{
    return name.isEmpty() ? QStringLiteral("run %1").arg(id) : name;
}

RunOwner RunOwner::current()
{
    const qint64 pid = ::getpid();
    return {QStringLiteral("%1|%2|%3|%4").arg(QSysInfo::machineHostName(), bootId()).arg(pid).arg(processStartTicks(pid))};
}

bool RunOwner::alive() const
{
    const auto parts = text.split(QLatin1Char('|'));
    if (parts.size() != 4)
        return false; // no owner written: nobody can be writing it
    if (parts[0] != QSysInfo::machineHostName())
        return true;
    if (parts[1] != bootId())
        return false; // the machine rebooted since: every process of that boot is gone
    bool ok = false;
    const qint64 pid = parts[2].toLongLong(&ok);
    if (!ok)
        return false;
    const QString ticks = processStartTicks(pid);
    return !ticks.isEmpty() && ticks == parts[3];
}

// ---------------------------------------------------------------------------------------------
struct RunStore::Impl {
    QString path;
    QString connection;
    Options options;
    int openedVersion = 0;

    QSqlDatabase db() const { return QSqlDatabase::database(connection, false); }

    /// The one clear sentence for an SQLite error.
    [[noreturn]] void fail(const QSqlError &error, const QString &doing) const
    {
        const int code = error.nativeErrorCode().toInt() & 0xff; // extended codes keep the primary in the low byte
        const QString detail = error.databaseText().isEmpty() ? error.text() : error.databaseText();
        using K = RunStoreError::Kind;
        switch (code) {
        case kSqliteReadOnly:
            throw RunStoreError(K::ReadOnly, path, QStringLiteral("the run database is read-only (%1); runs are not recorded").arg(detail));
        case kSqliteBusy:
        case kSqliteLocked:
            throw RunStoreError(K::Locked, path, QStringLiteral("the run database stayed locked by another program for more than %1 s; "
                                                                "runs are not recorded").arg(options.busyTimeoutMs / 1000.0));
        case kSqliteFull:
            throw RunStoreError(K::Full, path, QStringLiteral("the disk is full (%1); runs are not recorded").arg(detail));
        case kSqliteCorrupt:
        case kSqliteNotADb:
            throw RunStoreError(K::Corrupt, path, QStringLiteral("is not a SQLite database or is damaged (%1); move it away and "
                                                                 "DigitLab starts a new one").arg(detail));
        case kSqliteCantOpen:
            if (!QFileInfo(QFileInfo(path).absolutePath()).isWritable() || (QFileInfo::exists(path) && !QFileInfo(path).isWritable()))
                throw RunStoreError(K::ReadOnly, path, QStringLiteral("the run database or its folder is read-only (%1); runs are not recorded").arg(detail));
            throw RunStoreError(K::Unopenable, path, QStringLiteral("cannot open the run database (%1)").arg(detail));
        default:
            throw RunStoreError(K::Failed, path, QStringLiteral("%1 failed: %2").arg(doing, detail));
        }
    }

    QSqlQuery exec(const QString &sql, const QVariantList &values = {}) const
    {
        QSqlQuery q(db());
        if (!q.prepare(sql))
            fail(q.lastError(), QStringLiteral("preparing a query"));
        for (const auto &v : values)
            q.addBindValue(v);
        if (!q.exec())
            fail(q.lastError(), sql.section(QLatin1Char(' '), 0, 0).toLower());
        return q;
    }

    QVariant scalar(const QString &sql) const
    {
        auto q = exec(sql);
        return q.next() ? q.value(0) : QVariant();
    }

    /// Runs f in one transaction: all of it is written, or none (kill -9 included).
    template <typename F> void transaction(F &&f) const
    {
        // BEGIN IMMEDIATE takes the write lock up front, so the busy timeout covers the whole
        // transaction and no upgrade from a read lock can deadlock against another writer.
        exec(QStringLiteral("BEGIN IMMEDIATE"));
        try {
            f();
            exec(QStringLiteral("COMMIT"));
        } catch (...) {
            QSqlQuery(db()).exec(QStringLiteral("ROLLBACK"));
            throw;
        }
    }

    void open();
    void migrate();
    RunRecord record(const QSqlQuery &q) const;
};

QString RunStore::defaultPath(const QString &explicitPath)
{
    if (!explicitPath.isEmpty())
        return explicitPath;
    const QString env = qEnvironmentVariable("DIGITLAB_RUNS_DB");
    if (!env.isEmpty())
        return env;
    // GenericDataLocation, as the MNIST folder: the GUI and the CLI share one database.
    return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) + QLatin1String("/DigitLab/runs.db");
}

RunStore::RunStore(const QString &path) : RunStore(path, Options{}) {}

RunStore::RunStore(const QString &path, const Options &options) : d(std::make_unique<Impl>())
{
    d->path = path;
    d->options = options;
    d->connection = QStringLiteral("digitlab-runs-%1").arg(++g_connections);
    try {
        d->open();
        if (!d->options.readOnly) {
            try {
                markInterrupted(); // "the next start": a dead writer's run is written as interrupted
            } catch (const RunStoreError &e) {
                // A file we may read but not write still lists its runs (list() shows a dead
                // writer's run as interrupted without writing it); anything else is an error.
                if (e.kind() != RunStoreError::Kind::ReadOnly && e.kind() != RunStoreError::Kind::Locked)
                    throw;
            }
        }
    } catch (...) {
        QSqlDatabase::database(d->connection, false).close();
        QSqlDatabase::removeDatabase(d->connection);
        throw;
    }
}

RunStore::~RunStore()
{
    {
        auto db = d->db();
        db.close();
    }
    QSqlDatabase::removeDatabase(d->connection);
}

void RunStore::Impl::open()
{
    using K = RunStoreError::Kind;
    if (!QSqlDatabase::isDriverAvailable(QStringLiteral("QSQLITE")))
        throw RunStoreError(K::Unopenable, path, QStringLiteral("Qt's SQLite driver is not installed (Debian: libqt6sql6-sqlite); "
                                                                "runs are not recorded"));
    const QFileInfo info(path);
    if (info.exists() && !info.isFile())
        throw RunStoreError(K::Unopenable, path, QStringLiteral("is not a regular file (a folder or device); runs are not recorded"));
    if (!info.exists()) {
        if (options.readOnly)
            throw RunStoreError(K::Unopenable, path, QStringLiteral("no run database here yet (no run was recorded)"));
        if (!QDir().mkpath(info.absolutePath()))
            throw RunStoreError(K::Unopenable, path, QStringLiteral("cannot create the folder %1").arg(info.absolutePath()));
    }
    // A file (or folder) we may not write is opened for reading: its runs can still be listed,
    // and the first write says "read-only". SQLite cannot make the WAL index (-shm) there, so it
    // reads the file as immutable: nobody can be writing it.
    const bool unwritable = info.exists() && (!info.isWritable() || !QFileInfo(info.absolutePath()).isWritable());
    if (unwritable)
        options.readOnly = true;
    auto db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), connection);
    db.setDatabaseName(unwritable ? QUrl::fromLocalFile(info.absoluteFilePath()).toString(QUrl::FullyEncoded)
                                        + QStringLiteral("?immutable=1")
                                  : path);
    QString connectOptions = QStringLiteral("QSQLITE_BUSY_TIMEOUT=%1").arg(options.busyTimeoutMs);
    if (options.readOnly)
        connectOptions += QStringLiteral(";QSQLITE_OPEN_READONLY");
    if (unwritable)
        connectOptions += QStringLiteral(";QSQLITE_OPEN_URI");
    db.setConnectOptions(connectOptions);
    if (!db.open())
        fail(db.lastError(), QStringLiteral("opening"));

    // Look before touching: these reads change nothing, so a refused file stays as it was.
    openedVersion = scalar(QStringLiteral("PRAGMA user_version")).toInt(); // fails on a non-database
    const int appId = scalar(QStringLiteral("PRAGMA application_id")).toInt();
    const int tables = scalar(QStringLiteral("SELECT count(*) FROM sqlite_master")).toInt();
    if ((appId != 0 && appId != kApplicationId) || (appId == 0 && tables > 0))
        throw RunStoreError(K::Foreign, path, QStringLiteral("is a SQLite database of another program, not DigitLab's runs; "
                                                             "it was not changed (pass another file with --runs-db)"));
    if (openedVersion > kSchemaVersion)
        throw RunStoreError(K::Newer, path, QStringLiteral("was written by a newer DigitLab (schema version %1; this version reads "
                                                           "up to %2); it was not changed: update DigitLab or use another file")
                                                .arg(openedVersion).arg(kSchemaVersion));
    if (options.readOnly) {
        if (openedVersion < kSchemaVersion)
            throw RunStoreError(K::Failed, path, QStringLiteral("has schema version %1 and needs migrating; open it once with write access")
                                                     .arg(openedVersion));
        return;
    }
    // WAL: readers (the Runs tab, `runs list`) never wait for a writer, and a commit is one
    // append, so a process killed at any moment leaves the last committed state. NORMAL sync
    // is crash-safe in WAL mode (only a power cut may lose the last commits).
    const QString mode = scalar(QStringLiteral("PRAGMA journal_mode=WAL")).toString();
    if (mode.compare(QLatin1String("wal"), Qt::CaseInsensitive) != 0 && QFileInfo(path).isWritable())
        throw RunStoreError(K::Failed, path, QStringLiteral("cannot switch to write-ahead logging (journal mode stays %1)").arg(mode));
    exec(QStringLiteral("PRAGMA synchronous=NORMAL"));
    if (options.maxPageCountForTesting > 0)
        exec(QStringLiteral("PRAGMA max_page_count=%1").arg(options.maxPageCountForTesting));
    if (openedVersion < kSchemaVersion)
        migrate();
}

void RunStore::Impl::migrate()
{
    transaction([&] {
        // Re-read under the write lock: another process may have migrated meanwhile.
        int version = scalar(QStringLiteral("PRAGMA user_version")).toInt();
        for (; version < kSchemaVersion; ++version)
            for (const char *sql : kMigrations[std::size_t(version)])
                exec(QString::fromLatin1(sql));
        exec(QStringLiteral("PRAGMA application_id=%1").arg(kApplicationId));
        exec(QStringLiteral("PRAGMA user_version=%1").arg(kSchemaVersion));
    });
}

QString RunStore::path() const { return d->path; }
int RunStore::openedVersion() const { return d->openedVersion; }

namespace {
// A run database is a file like any other: one from elsewhere (or damaged) may hold a 50 MB name
// or millions of loss rows. What DigitLab reads from it is bounded (issue 16): text columns are cut
// by SQLite before they reach Qt, curves to what RunRecorder ever writes, with room to spare.
constexpr int kMaxFieldChars = 4096;   // names, paths, a network's text (the parser reads 4096)
constexpr int kMaxLongFieldChars = 65536; // notes, messages, the recipe's JSON
constexpr int kMaxLossRows = 4 * RunRecorder::kMaxLossPoints;
constexpr int kMaxEpochRows = 4 * kMaxEpochs;

QString boundedColumn(const char *name, int maxChars)
{
    return QStringLiteral("substr(%1, 1, %2)").arg(QLatin1String(name)).arg(maxChars);
}

const QString kRunColumns = QStringList{
    QStringLiteral("id"), boundedColumn("name", kMaxFieldChars), boundedColumn("note", kMaxLongFieldChars),
    boundedColumn("started", 64), boundedColumn("ended", 64), boundedColumn("source", kMaxFieldChars),
    boundedColumn("app_version", 64), boundedColumn("network", kMaxFieldChars),
    boundedColumn("network_short", kMaxFieldChars), boundedColumn("recipe", kMaxLongFieldChars),
    QStringLiteral("learning_rate, batch_size, epochs"), boundedColumn("seed", 64), QStringLiteral("threads"),
    boundedColumn("optimizer", kMaxFieldChars), boundedColumn("dataset", kMaxFieldChars),
    boundedColumn("dataset_checksum", kMaxFieldChars), QStringLiteral("train_images, test_images, start_epoch"),
    boundedColumn("status", 64), boundedColumn("message", kMaxLongFieldChars),
    QStringLiteral("epochs_done, final_test_accuracy, best_test_accuracy, final_test_loss, images_per_second, wall_seconds, images_seen"),
    boundedColumn("checkpoint", kMaxFieldChars), QStringLiteral("hidden"), boundedColumn("owner", 256)}
                                   .join(QStringLiteral(", "));
} // namespace

RunRecord RunStore::Impl::record(const QSqlQuery &q) const
{
    RunRecord r;
    int i = 0;
    r.id = q.value(i++).toLongLong();
    r.name = q.value(i++).toString();
    r.note = q.value(i++).toString();
    r.started = QDateTime::fromString(q.value(i++).toString(), Qt::ISODateWithMs);
    r.ended = QDateTime::fromString(q.value(i++).toString(), Qt::ISODateWithMs);
    r.source = q.value(i++).toString();
    r.appVersion = q.value(i++).toString();
    r.network = q.value(i++).toString();
    r.networkShort = q.value(i++).toString();
    r.recipe = QJsonDocument::fromJson(q.value(i++).toString().toUtf8()).object();
    r.learningRate = q.value(i++).toDouble();
    r.batchSize = q.value(i++).toInt();
    r.epochs = q.value(i++).toInt();
    r.seed = q.value(i++).toString();
    r.threads = q.value(i++).toInt();
    r.optimizer = q.value(i++).toString();
    r.datasetId = q.value(i++).toString();
    r.datasetChecksum = q.value(i++).toString();
    r.trainImages = q.value(i++).toInt();
    r.testImages = q.value(i++).toInt();
    r.startEpoch = q.value(i++).toInt();
    r.status = runStatusFromText(q.value(i++).toString()).value_or(RunStatus::Failed);
    r.message = q.value(i++).toString();
    r.epochsDone = q.value(i++).toInt();
    r.finalTestAccuracy = doubleOr(q.value(i++), -1);
    r.bestTestAccuracy = doubleOr(q.value(i++), -1);
    r.finalTestLoss = doubleOr(q.value(i++), -1);
    r.imagesPerSecond = doubleOr(q.value(i++), 0);
    r.wallSeconds = q.value(i++).toDouble();
    r.imagesSeen = q.value(i++).toLongLong();
    r.checkpoint = q.value(i++).toString();
    r.hidden = q.value(i++).toInt() != 0;
    // A read-only store cannot write "interrupted"; it still shows the truth.
    if (r.status == RunStatus::Running && !RunOwner{q.value(i).toString()}.alive())
        r.status = RunStatus::Interrupted;
    r.started.setTimeSpec(Qt::UTC);
    if (r.ended.isValid())
        r.ended.setTimeSpec(Qt::UTC);
    return r;
}

std::vector<RunRecord> RunStore::list(bool includeHidden) const
{
    auto q = d->exec(QStringLiteral("SELECT %1 FROM runs %2 ORDER BY id").arg(kRunColumns, includeHidden ? QString() : QStringLiteral("WHERE hidden = 0")));
    std::vector<RunRecord> runs;
    while (q.next())
        runs.push_back(d->record(q));
    return runs;
}

std::optional<RunRecord> RunStore::run(qint64 id) const
{
    auto q = d->exec(QStringLiteral("SELECT %1 FROM runs WHERE id = ?").arg(kRunColumns), {id});
    if (!q.next())
        return std::nullopt;
    return d->record(q);
}

RunCurves RunStore::curves(qint64 id) const
{
    RunCurves c;
    auto q = d->exec(QStringLiteral("SELECT step, epoch, batch, batches_per_epoch, images_seen, wall_seconds, loss, loss_min, "
                                    "loss_max, count FROM losses WHERE run_id = ? ORDER BY step LIMIT %1").arg(kMaxLossRows), {id});
    const double nan = std::numeric_limits<double>::quiet_NaN();
    while (q.next()) {
        LossPoint p;
        p.step = q.value(0).toLongLong();
        p.epoch = q.value(1).toInt();
        p.batch = q.value(2).toInt();
        p.batchesPerEpoch = q.value(3).toInt();
        p.imagesSeen = q.value(4).toLongLong();
        p.wallSeconds = q.value(5).toDouble();
        p.loss = doubleOr(q.value(6), nan);
        p.lossMin = doubleOr(q.value(7), nan);
        p.lossMax = doubleOr(q.value(8), nan);
        p.count = q.value(9).toInt();
        c.losses.push_back(p);
    }
    auto e = d->exec(QStringLiteral("SELECT epoch, train_loss, train_accuracy, test_loss, test_accuracy, seconds, "
                                    "images_per_second, wall_seconds, images_seen FROM epochs WHERE run_id = ? ORDER BY epoch LIMIT %1").arg(kMaxEpochRows), {id});
    while (e.next()) {
        EpochPoint p;
        p.stats.epoch = e.value(0).toInt();
        p.stats.trainLoss = doubleOr(e.value(1), nan);
        p.stats.trainAccuracy = e.value(2).toDouble();
        p.stats.testLoss = doubleOr(e.value(3), nan);
        p.stats.testAccuracy = e.value(4).toDouble();
        p.stats.seconds = e.value(5).toDouble();
        p.stats.imagesPerSecond = e.value(6).toDouble();
        p.wallSeconds = e.value(7).toDouble();
        p.imagesSeen = e.value(8).toLongLong();
        c.epochs.push_back(p);
    }
    return c;
}

bool RunStore::rename(qint64 id, const QString &name)
{
    return d->exec(QStringLiteral("UPDATE runs SET name = ? WHERE id = ?"), {text(name), id}).numRowsAffected() > 0;
}

bool RunStore::setNote(qint64 id, const QString &note)
{
    return d->exec(QStringLiteral("UPDATE runs SET note = ? WHERE id = ?"), {text(note), id}).numRowsAffected() > 0;
}

bool RunStore::setCheckpoint(qint64 id, const QString &path)
{
    return d->exec(QStringLiteral("UPDATE runs SET checkpoint = ? WHERE id = ?"), {text(path), id}).numRowsAffected() > 0;
}

bool RunStore::setHidden(qint64 id, bool hidden)
{
    return d->exec(QStringLiteral("UPDATE runs SET hidden = ? WHERE id = ?"), {hidden ? 1 : 0, id}).numRowsAffected() > 0;
}

bool RunStore::remove(qint64 id)
{
    bool found = false;
    d->transaction([&] {
        d->exec(QStringLiteral("DELETE FROM losses WHERE run_id = ?"), {id});
        d->exec(QStringLiteral("DELETE FROM epochs WHERE run_id = ?"), {id});
        found = d->exec(QStringLiteral("DELETE FROM runs WHERE id = ?"), {id}).numRowsAffected() > 0;
    });
    return found;
}

int RunStore::purgeHidden()
{
    int n = 0;
    d->transaction([&] {
        d->exec(QStringLiteral("DELETE FROM losses WHERE run_id IN (SELECT id FROM runs WHERE hidden != 0)"));
        d->exec(QStringLiteral("DELETE FROM epochs WHERE run_id IN (SELECT id FROM runs WHERE hidden != 0)"));
        n = d->exec(QStringLiteral("DELETE FROM runs WHERE hidden != 0")).numRowsAffected();
    });
    return n;
}

int RunStore::markInterrupted()
{
    std::vector<qint64> dead;
    {
        auto q = d->exec(QStringLiteral("SELECT id, owner FROM runs WHERE status = 'running'"));
        while (q.next())
            if (!RunOwner{q.value(1).toString()}.alive())
                dead.push_back(q.value(0).toLongLong());
    }
    if (dead.empty())
        return 0;
    d->transaction([&] {
        for (qint64 id : dead)
            // ended = the last write: the run got at least that far. The check on status
            // keeps a run that its writer ended meanwhile as it was ended.
            d->exec(QStringLiteral("UPDATE runs SET status = 'interrupted', ended = updated, message = "
                                   "'the process recording it ended without finishing the run' WHERE id = ? AND status = 'running'"),
                    {id});
    });
    return int(dead.size());
}

qint64 RunStore::begin(const RunSpec &spec, const RunOwner &owner)
{
    const auto &r = spec.recipe;
    const QString now = nowText();
    const QVariant none;
    const auto value = [&](const char *key) { return r.contains(QLatin1String(key)) ? r.value(QLatin1String(key)).toVariant() : none; };
    const QVariant threads = spec.threads > 0 ? QVariant(spec.threads) : value("threads");
    QVariant seed = value("seed");
    if (seed.isValid())
        seed = seed.toString();
    qint64 id = 0;
    d->transaction([&] {
        auto q = d->exec(QStringLiteral(
            "INSERT INTO runs (name, started, updated, source, app_version, network, network_short, recipe, learning_rate, "
            "batch_size, epochs, seed, threads, optimizer, dataset, dataset_checksum, train_images, test_images, start_epoch, "
            "epochs_done, status, owner) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,'running',?)"),
            {text(spec.name), now, now, text(spec.source), version(), text(spec.network), text(spec.networkShort),
             QString::fromUtf8(QJsonDocument(r).toJson(QJsonDocument::Compact)), value("learning_rate"), value("batch_size"),
             value("epochs"), seed, threads, text(r.value(QLatin1String("optimizer")).toString()), text(spec.datasetId),
             text(spec.datasetChecksum), spec.trainImages, spec.testImages, spec.startEpoch, spec.startEpoch, text(owner.text)});
        id = q.lastInsertId().toLongLong();
    });
    return id;
}

void RunStore::append(qint64 id, const std::vector<LossPoint> &losses, const std::vector<EpochPoint> &epochs,
                      qint64 imagesSeen, double imagesPerSecond, double wallSeconds)
{
    d->transaction([&] {
        if (!losses.empty()) {
            QSqlQuery q(d->db());
            q.prepare(QStringLiteral("INSERT OR REPLACE INTO losses (run_id, step, epoch, batch, batches_per_epoch, images_seen, "
                                     "wall_seconds, loss, loss_min, loss_max, count) VALUES (?,?,?,?,?,?,?,?,?,?,?)"));
            for (const auto &p : losses) {
                int i = 0;
                for (const QVariant &v : {QVariant(id), QVariant(p.step), QVariant(p.epoch), QVariant(p.batch),
                                          QVariant(p.batchesPerEpoch), QVariant(p.imagesSeen), QVariant(p.wallSeconds),
                                          finiteOrNull(p.loss), finiteOrNull(p.lossMin), finiteOrNull(p.lossMax), QVariant(p.count)})
                    q.bindValue(i++, v);
                if (!q.exec())
                    d->fail(q.lastError(), QStringLiteral("insert"));
            }
        }
        for (const auto &e : epochs) {
            const auto &s = e.stats;
            d->exec(QStringLiteral("INSERT OR REPLACE INTO epochs (run_id, epoch, train_loss, train_accuracy, test_loss, test_accuracy, "
                                   "seconds, images_per_second, wall_seconds, images_seen) VALUES (?,?,?,?,?,?,?,?,?,?)"),
                    {id, s.epoch, finiteOrNull(s.trainLoss), s.trainAccuracy, finiteOrNull(s.testLoss), s.testAccuracy, s.seconds,
                     s.imagesPerSecond, e.wallSeconds, e.imagesSeen});
            d->exec(QStringLiteral("UPDATE runs SET epochs_done = ?, final_test_accuracy = ?, final_test_loss = ?, "
                                   "best_test_accuracy = max(coalesce(best_test_accuracy, 0), ?) WHERE id = ?"),
                    {s.epoch, s.testAccuracy, finiteOrNull(s.testLoss), s.testAccuracy, id});
        }
        d->exec(QStringLiteral("UPDATE runs SET updated = ?, images_seen = max(images_seen, ?), images_per_second = ?, "
                               "wall_seconds = ? WHERE id = ?"),
                {nowText(), imagesSeen, imagesPerSecond > 0 ? QVariant(imagesPerSecond) : QVariant(), wallSeconds, id});
    });
}

void RunStore::end(qint64 id, const RunEnd &end, double wallSeconds)
{
    const QString now = nowText();
    d->transaction([&] {
        d->exec(QStringLiteral("UPDATE runs SET status = ?, message = ?, ended = ?, updated = ?, wall_seconds = ?, "
                               "checkpoint = CASE WHEN ? = '' THEN checkpoint ELSE ? END WHERE id = ?"),
                {runStatusText(end.status), text(end.message), now, now, wallSeconds, text(end.checkpoint), text(end.checkpoint), id});
    });
}

// ---------------------------------------------------------------------------------------------
namespace {

/// Every column of the CSV/JSON listing: its name and its value as text and as JSON.
struct Column {
    const char *name;
    QJsonValue (*json)(const RunRecord &);
    bool inCsv = true; ///< the network's text holds commas: JSON and `runs show` carry it
};

QJsonValue optional(double v, bool known) { return known ? QJsonValue(v) : QJsonValue(QJsonValue::Null); }

const Column kColumns[] = {
    {"id", [](const RunRecord &r) { return QJsonValue(r.id); }},
    {"name", [](const RunRecord &r) { return QJsonValue(r.displayName()); }},
    {"started", [](const RunRecord &r) { return QJsonValue(r.started.toString(Qt::ISODate)); }},
    {"ended", [](const RunRecord &r) { return r.ended.isValid() ? QJsonValue(r.ended.toString(Qt::ISODate)) : QJsonValue(); }},
    {"source", [](const RunRecord &r) { return QJsonValue(r.source); }},
    {"network", [](const RunRecord &r) { return QJsonValue(r.networkShort); }},
    {"network_text", [](const RunRecord &r) { return QJsonValue(r.network); }, false},
    {"dataset", [](const RunRecord &r) { return QJsonValue(r.datasetId); }},
    {"optimizer", [](const RunRecord &r) { return QJsonValue(r.optimizer); }},
    {"learning_rate", [](const RunRecord &r) { return QJsonValue(r.learningRate); }},
    {"batch_size", [](const RunRecord &r) { return QJsonValue(r.batchSize); }},
    {"epochs", [](const RunRecord &r) { return QJsonValue(r.epochs); }},
    {"seed", [](const RunRecord &r) { return QJsonValue(r.seed); }},
    {"threads", [](const RunRecord &r) { return QJsonValue(r.threads); }},
    {"train_images", [](const RunRecord &r) { return QJsonValue(r.trainImages); }},
    {"status", [](const RunRecord &r) { return QJsonValue(runStatusText(r.status)); }},
    {"epochs_done", [](const RunRecord &r) { return QJsonValue(r.epochsDone); }},
    {"final_test_accuracy", [](const RunRecord &r) { return optional(r.finalTestAccuracy, r.finalTestAccuracy >= 0); }},
    {"best_test_accuracy", [](const RunRecord &r) { return optional(r.bestTestAccuracy, r.bestTestAccuracy >= 0); }},
    {"final_test_loss", [](const RunRecord &r) { return optional(r.finalTestLoss, r.finalTestLoss >= 0); }},
    {"images_per_second", [](const RunRecord &r) { return optional(r.imagesPerSecond, r.imagesPerSecond > 0); }},
    {"wall_seconds", [](const RunRecord &r) { return QJsonValue(r.wallSeconds); }},
    {"checkpoint", [](const RunRecord &r) { return QJsonValue(r.checkpoint); }},
    {"note", [](const RunRecord &r) { return QJsonValue(r.note); }},
};

QString jsonText(const QJsonValue &v)
{
    if (v.isNull() || v.isUndefined())
        return {};
    if (v.isString())
        return v.toString();
    if (v.isDouble()) {
        const double x = v.toDouble();
        return x == std::floor(x) && std::abs(x) < 1e15 ? QString::number(qint64(x)) : QString::number(x, 'g', 10);
    }
    return QString::fromUtf8(QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact));
}

} // namespace

QString csvField(const QString &text)
{
    if (!text.contains(QLatin1Char(',')) && !text.contains(QLatin1Char('"')) && !text.contains(QLatin1Char('\n'))
        && !text.contains(QLatin1Char('\r')))
        return text;
    QString quoted = text;
    quoted.replace(QLatin1Char('"'), QLatin1String("\"\""));
    return QLatin1Char('"') + quoted + QLatin1Char('"');
}

QStringList runColumns()
{
    QStringList names;
    for (const auto &c : kColumns)
        if (c.inCsv)
            names << QString::fromLatin1(c.name);
    return names;
}

QString runsCsv(const std::vector<RunRecord> &runs)
{
    QString text = runColumns().join(QLatin1Char(',')) + QLatin1Char('\n');
    for (const auto &r : runs) {
        QStringList fields;
        for (const auto &c : kColumns)
            if (c.inCsv)
                fields << csvField(jsonText(c.json(r)));
        text += fields.join(QLatin1Char(',')) + QLatin1Char('\n');
    }
    return text;
}

QByteArray runsJson(const std::vector<RunRecord> &runs)
{
    QJsonArray array;
    for (const auto &r : runs) {
        QJsonObject o;
        for (const auto &c : kColumns)
            o.insert(QString::fromLatin1(c.name), c.json(r));
        o.insert(QStringLiteral("recipe"), r.recipe);
        array.append(o);
    }
    return QJsonDocument(array).toJson(QJsonDocument::Indented);
}

QString runsTable(const std::vector<RunRecord> &runs)
{
    const QStringList header{QStringLiteral("ID"), QStringLiteral("STARTED"), QStringLiteral("NAME"), QStringLiteral("NETWORK"),
                             QStringLiteral("DATASET"), QStringLiteral("LR"), QStringLiteral("BATCH"), QStringLiteral("EPOCHS"),
                             QStringLiteral("SEED"), QStringLiteral("STATUS"), QStringLiteral("TEST ACC"), QStringLiteral("TIME")};
    std::vector<QStringList> rows{header};
    for (const auto &r : runs)
        // A terminal table: control characters escaped, long texts elided (printable()).
        rows.push_back({QString::number(r.id), r.started.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm")), printable(r.displayName(), 40),
                        printable(r.networkShort, 40), printable(r.datasetId, 40), QString::number(r.learningRate, 'g', 6), QString::number(r.batchSize),
                        QStringLiteral("%1/%2").arg(r.epochsDone).arg(r.epochs), printable(r.seed, 24), runStatusText(r.status),
                        r.finalTestAccuracy < 0 ? QStringLiteral("-") : QString::number(100 * r.finalTestAccuracy, 'f', 2) + QLatin1Char('%'),
                        QString::number(r.wallSeconds, 'f', 1) + QStringLiteral(" s")});
    std::vector<qsizetype> widths(header.size(), 0);
    for (const auto &row : rows)
        for (qsizetype i = 0; i < row.size(); ++i)
            widths[std::size_t(i)] = std::max(widths[std::size_t(i)], row[i].size());
    QString text;
    for (const auto &row : rows) {
        QString line;
        for (qsizetype i = 0; i < row.size(); ++i)
            line += row[i].leftJustified(widths[std::size_t(i)] + 2);
        text += line.trimmed() + QLatin1Char('\n');
    }
    return text;
}

QString runDetails(const RunRecord &run, const RunCurves &curves)
{
    QString text;
    QTextStream s(&text);
    for (const auto &c : kColumns)
        s << QString::fromLatin1(c.name).leftJustified(20) << printable(jsonText(c.json(run)), 0) << '\n';
    s << QStringLiteral("dataset_checksum").leftJustified(20) << printable(run.datasetChecksum, 0) << '\n';
    s << QStringLiteral("recipe").leftJustified(20)
      << printable(QString::fromUtf8(QJsonDocument(run.recipe).toJson(QJsonDocument::Compact)), 0) << '\n';
    if (!run.message.isEmpty())
        s << QStringLiteral("message").leftJustified(20) << printable(run.message, 0) << '\n';
    s << QStringLiteral("loss_points").leftJustified(20) << curves.losses.size() << '\n';
    s << "\nepoch  train_loss  train_accuracy  test_loss  test_accuracy  seconds  images_per_second\n";
    for (const auto &e : curves.epochs)
        s << QStringLiteral("%1  %2  %3  %4  %5  %6  %7\n")
                 .arg(e.stats.epoch, 5).arg(e.stats.trainLoss, 10, 'f', 4).arg(e.stats.trainAccuracy, 14, 'f', 4)
                 .arg(e.stats.testLoss, 9, 'f', 4).arg(e.stats.testAccuracy, 13, 'f', 4).arg(e.stats.seconds, 7, 'f', 1)
                 .arg(e.stats.imagesPerSecond, 17, 'f', 0);
    return text;
}

QString runCurvesCsv(const RunRecord &run, const RunCurves &curves)
{
    QString text = QStringLiteral("run_id,kind,epoch,batch,step,images_seen,wall_seconds,loss,loss_min,loss_max,"
                                  "train_loss,train_accuracy,test_loss,test_accuracy\n");
    const auto num = [](double v) { return std::isfinite(v) ? QString::number(v, 'g', 8) : QString(); };
    for (const auto &p : curves.losses)
        text += QStringLiteral("%1,batch,%2,%3,%4,%5,%6,%7,%8,%9,,,,\n")
                    .arg(run.id).arg(p.epoch).arg(p.batch).arg(p.step).arg(p.imagesSeen)
                    .arg(num(p.wallSeconds), num(p.loss), num(p.lossMin), num(p.lossMax));
    for (const auto &e : curves.epochs)
        text += QStringLiteral("%1,epoch,%2,,,%3,%4,,,,%5,%6,%7,%8\n")
                    .arg(run.id).arg(e.stats.epoch).arg(e.imagesSeen)
                    .arg(num(e.wallSeconds), num(e.stats.trainLoss), num(e.stats.trainAccuracy), num(e.stats.testLoss),
                         num(e.stats.testAccuracy));
    return text;
}

} // namespace core
