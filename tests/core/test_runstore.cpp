// The run database (issue 19): schema, recorder, crash safety, concurrency, bad files.
#include "runstoretestsupport.h"
#include "core/runrecorder.h"
#include "core/runstore.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QThread>
#include <catch2/catch.hpp>
#include <csignal>
#include <cmath>
#include <unistd.h>

using core::RunStatus;
using core::RunStore;
using core::RunStoreError;

namespace {

/// SQL straight on the file, as another program (or an older/newer DigitLab) would.
QVariant rawScalar(const QString &path, const QString &sql)
{
    QVariant result;
    {
        auto db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("raw"));
        db.setDatabaseName(path);
        REQUIRE(db.open());
        QSqlQuery q(db);
        REQUIRE(q.exec(sql));
        if (q.next())
            result = q.value(0);
    }
    QSqlDatabase::removeDatabase(QStringLiteral("raw"));
    return result;
}

QByteArray fileHash(const QString &path)
{
    QFile f(path);
    REQUIRE(f.open(QIODevice::ReadOnly));
    return QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256);
}

RunStoreError::Kind openError(const QString &path, RunStore::Options options = {})
{
    try {
        RunStore store(path, options);
    } catch (const RunStoreError &e) {
        CHECK(e.text().startsWith(path + QStringLiteral(": ")));
        return e.kind();
    }
    FAIL("opened without an error: " << path.toStdString());
    return RunStoreError::Kind::Failed;
}

/// Runs the test binary itself as a recording child (tests/core/main.cpp, --record-child).
QProcess *startChild(const QString &db, int runs, int epochs, const char *mode)
{
    auto *p = new QProcess;
    p->start(QCoreApplication::applicationFilePath(),
             {QStringLiteral("--record-child"), db, QString::number(runs), QString::number(epochs), QString::fromLatin1(mode)});
    REQUIRE(p->waitForStarted());
    return p;
}

} // namespace

TEST_CASE("runstore: a recorded run reads back whole: row, losses, epochs", "[runs]")
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("sub/runs.db")); // the folder is created
    {
        core::RunRecorder recorder(path);
        runstoretest::recordSynthetic(recorder, runstoretest::spec(0.003, 7), 3, 20, 0.9);
        REQUIRE(recorder.flush());
        CHECK(recorder.lastError().toStdString() == "");
    }
    RunStore store(path);
    CHECK(rawScalar(path, QStringLiteral("PRAGMA journal_mode")).toString() == QStringLiteral("wal"));
    CHECK(rawScalar(path, QStringLiteral("PRAGMA user_version")).toInt() == RunStore::kSchemaVersion);
    CHECK(rawScalar(path, QStringLiteral("PRAGMA integrity_check")).toString() == QStringLiteral("ok"));
    const auto runs = store.list();
    REQUIRE(runs.size() == 1);
    const auto &r = runs.front();
    CHECK(r.status == RunStatus::Finished);
    CHECK(r.learningRate == Approx(0.003));
    CHECK(r.seed == QStringLiteral("7"));
    CHECK(r.batchSize == 100);
    CHECK(r.epochs == 3);
    CHECK(r.epochsDone == 3);
    CHECK(r.datasetId == QStringLiteral("mnist"));
    CHECK(r.networkShort == QStringLiteral("tutorial"));
    CHECK(r.network.startsWith(QStringLiteral("Conv2d(10,5)")));
    CHECK(r.finalTestAccuracy == Approx(0.9));
    CHECK(r.bestTestAccuracy == Approx(0.9));
    CHECK(r.started.isValid());
    CHECK(r.ended.isValid());
    const auto c = store.curves(r.id);
    REQUIRE(c.losses.size() == 60); // kept whole: 3 epochs x 20 batches
    CHECK(c.losses.front().step == 1);
    CHECK(c.losses.back().step == 60);
    CHECK(c.losses.back().epochPosition() == Approx(3.0));
    CHECK(c.losses[5].imagesSeen == 600);
    REQUIRE(c.epochs.size() == 3);
    CHECK(c.epochs[1].stats.testAccuracy == Approx(0.9 - 0.2 / 9));
    CHECK(c.epochs[2].imagesSeen == 3 * 2000);
}

TEST_CASE("runstore: a long run is stored as buckets that keep the min/max envelope", "[runs]")
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("runs.db"));
    {
        core::RunRecorder recorder(path);
        auto spec = runstoretest::spec(0.001, 1);
        spec.recipe[QStringLiteral("epochs")] = 2;
        recorder.begin(spec);
        // 2 epochs of 15,000 batches: 30,000 > kMaxLossPoints, so pairs of batches per point.
        for (int e = 1; e <= 2; ++e) {
            core::BatchLosses l{e, 1, 15000, {}};
            for (int b = 1; b <= 15000; ++b)
                l.losses.append(b == 777 && e == 1 ? 9.0f : 1.0f);
            recorder.addLosses(l);
        }
        recorder.end({RunStatus::Finished, {}, {}});
        REQUIRE(recorder.flush());
    }
    RunStore store(path);
    const auto c = store.curves(store.list().front().id);
    REQUIRE(c.losses.size() == 15000);
    CHECK(c.losses.size() <= std::size_t(core::RunRecorder::kMaxLossPoints));
    // Batch 777 is the first of bucket (777, 778): its spike survives as the maximum.
    const auto &spike = c.losses[388];
    CHECK(spike.step == 778);
    CHECK(spike.count == 2);
    CHECK(spike.lossMax == Approx(9.0));
    CHECK(spike.lossMin == Approx(1.0));
    CHECK(spike.loss == Approx(5.0));
}

TEST_CASE("runstore: rename, note, hide, purge and delete", "[runs]")
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("runs.db"));
    {
        core::RunRecorder recorder(path);
        for (int i = 0; i < 3; ++i)
            runstoretest::recordSynthetic(recorder, runstoretest::spec(0.001 * (i + 1), i), 1, 5, 0.5);
        REQUIRE(recorder.flush());
    }
    RunStore store(path);
    auto runs = store.list();
    REQUIRE(runs.size() == 3);
    CHECK(store.rename(runs[0].id, QStringLiteral("baseline, \"first\"")));
    CHECK(store.setNote(runs[0].id, QStringLiteral("seed recipe")));
    CHECK(store.run(runs[0].id)->displayName() == QStringLiteral("baseline, \"first\""));
    CHECK(store.run(runs[1].id)->displayName() == QStringLiteral("run %1").arg(runs[1].id));
    CHECK(store.setHidden(runs[1].id, true));
    CHECK(store.list().size() == 2);
    CHECK(store.setHidden(runs[1].id, false)); // undo
    CHECK(store.list().size() == 3);
    CHECK(store.setHidden(runs[1].id, true));
    CHECK(store.purgeHidden() == 1);
    CHECK(store.list(true).size() == 2);
    CHECK(store.curves(runs[1].id).losses.empty());
    CHECK(store.remove(runs[2].id));
    CHECK_FALSE(store.remove(runs[2].id));
    CHECK(store.list().size() == 1);
    const QString csv = core::runsCsv(store.list());
    CHECK(csv.section(QLatin1Char('\n'), 0, 0).startsWith(QStringLiteral("id,name,started,")));
    CHECK(csv.contains(QStringLiteral("\"baseline, \"\"first\"\"\"")));
}

TEST_CASE("runstore: a writer killed with SIGKILL leaves a consistent database and its run reads interrupted", "[runs]")
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("runs.db"));
    std::unique_ptr<QProcess> child(startChild(path, 1, 1000, "forever"));
    // The child says "committed" after its first commits: it is mid-run, writing, when killed.
    REQUIRE(child->waitForReadyRead(60000));
    REQUIRE(child->readAll().contains("committed"));
    ::kill(pid_t(child->processId()), SIGKILL);
    REQUIRE(child->waitForFinished(30000));
    CHECK(child->exitStatus() == QProcess::CrashExit);

    CHECK(rawScalar(path, QStringLiteral("PRAGMA integrity_check")).toString() == QStringLiteral("ok"));
    RunStore store(path); // "the next start"
    const auto runs = store.list();
    REQUIRE(runs.size() == 1);
    CHECK(runs.front().status == RunStatus::Interrupted);
    CHECK_FALSE(store.curves(runs.front().id).losses.empty());
    // Written to the file, not only shown: another reader sees it too.
    CHECK(rawScalar(path, QStringLiteral("SELECT status FROM runs")).toString() == QStringLiteral("interrupted"));
}

TEST_CASE("runstore: a live writer's run stays running for other readers", "[runs]")
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("runs.db"));
    core::RunRecorder recorder(path);
    recorder.begin(runstoretest::spec(0.001, 1));
    REQUIRE(recorder.waitForRunId() > 0);
    RunStore other(path);
    CHECK(other.markInterrupted() == 0);
    CHECK(other.list().front().status == RunStatus::Running);
    recorder.end({RunStatus::Stopped, {}, {}});
    REQUIRE(recorder.flush());
    CHECK(other.list().front().status == RunStatus::Stopped);
}

TEST_CASE("runstore: two processes recording at once both succeed", "[runs]")
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("runs.db"));
    std::unique_ptr<QProcess> a(startChild(path, 3, 4, "finish"));
    std::unique_ptr<QProcess> b(startChild(path, 3, 4, "finish"));
    for (auto *p : {a.get(), b.get()}) {
        REQUIRE(p->waitForFinished(120000));
        INFO(p->readAllStandardError().toStdString());
        CHECK(p->exitStatus() == QProcess::NormalExit);
        CHECK(p->exitCode() == 0);
    }
    RunStore store(path);
    const auto runs = store.list();
    REQUIRE(runs.size() == 6);
    for (const auto &r : runs) {
        CHECK(r.status == RunStatus::Finished);
        CHECK(r.epochsDone == 4);
        CHECK(store.curves(r.id).losses.size() == 4 * 50);
    }
    CHECK(rawScalar(path, QStringLiteral("PRAGMA integrity_check")).toString() == QStringLiteral("ok"));
}

TEST_CASE("runstore: a database from a newer DigitLab is refused and left unchanged", "[runs]")
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("runs.db"));
    {
        core::RunRecorder recorder(path);
        runstoretest::recordSynthetic(recorder, runstoretest::spec(0.001, 1), 1, 5, 0.5);
    }
    rawScalar(path, QStringLiteral("PRAGMA user_version = %1").arg(RunStore::kSchemaVersion + 1));
    const auto before = fileHash(path);
    const auto filesBefore = QDir(dir.path()).entryList(QDir::Files);
    CHECK(openError(path) == RunStoreError::Kind::Newer);
    CHECK(openError(path, {RunStore::kDefaultBusyTimeoutMs, true, 0}) == RunStoreError::Kind::Newer);
    // The recorder says so once and records nothing.
    core::RunRecorder recorder(path);
    runstoretest::recordSynthetic(recorder, runstoretest::spec(0.001, 1), 1, 5, 0.5);
    REQUIRE(recorder.flush());
    CHECK(recorder.waitForRunId() == -1);
    CHECK(recorder.lastError().contains(QStringLiteral("newer DigitLab")));
    CHECK(fileHash(path) == before);
    CHECK(QDir(dir.path()).entryList(QDir::Files) == filesBefore);
    CHECK(rawScalar(path, QStringLiteral("SELECT count(*) FROM runs")).toInt() == 1);
}

TEST_CASE("runstore: corrupt and foreign files are refused with one clear message", "[runs]")
{
    QTemporaryDir dir;
    const QString garbage = dir.filePath(QStringLiteral("garbage.db"));
    {
        QFile f(garbage);
        REQUIRE(f.open(QIODevice::WriteOnly));
        f.write(QByteArray(8192, 'x'));
    }
    const auto before = fileHash(garbage);
    CHECK(openError(garbage) == RunStoreError::Kind::Corrupt);
    CHECK(fileHash(garbage) == before);

    const QString foreign = dir.filePath(QStringLiteral("foreign.db"));
    rawScalar(foreign, QStringLiteral("CREATE TABLE photos (id INTEGER)"));
    const auto foreignBefore = fileHash(foreign);
    CHECK(openError(foreign) == RunStoreError::Kind::Foreign);
    CHECK(fileHash(foreign) == foreignBefore);

    CHECK(openError(dir.path()) == RunStoreError::Kind::Unopenable); // a folder

    // Training goes on: the recorder takes every call and reports once.
    core::RunRecorder recorder(garbage);
    int failures = 0;
    QObject::connect(&recorder, &core::RunRecorder::failed, &recorder, [&] { ++failures; }, Qt::DirectConnection);
    runstoretest::recordSynthetic(recorder, runstoretest::spec(0.001, 1), 2, 5, 0.5);
    REQUIRE(recorder.flush());
    CHECK(failures == 1);
    CHECK(recorder.lastError().contains(QStringLiteral("not a SQLite database")));
}

TEST_CASE("runstore: a hostile database's huge texts and rows are read bounded and printed escaped", "[runs]")
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("runs.db"));
    {
        core::RunRecorder recorder(path);
        runstoretest::recordSynthetic(recorder, runstoretest::spec(0.001, 1), 1, 5, 0.5);
        REQUIRE(recorder.flush());
    }
    // Edited as another program could: a 5 MB name ending in a terminal escape, a bell in the
    // note, and far more loss and epoch rows than RunRecorder ever writes.
    rawScalar(path, QStringLiteral("UPDATE runs SET name = printf('%.*c', 5000000, 'N') || char(27) || '[31m', "
                                   "note = 'x' || char(7), seed = char(27) || ']0;title' || char(7)"));
    rawScalar(path, QStringLiteral("WITH RECURSIVE n(i) AS (SELECT 1000 UNION ALL SELECT i + 1 FROM n WHERE i < 201000) "
                                   "INSERT INTO losses (run_id, step, epoch, batch, batches_per_epoch, loss) "
                                   "SELECT 1, i, 1, 1, 1, 0.5 FROM n"));
    rawScalar(path, QStringLiteral("WITH RECURSIVE n(i) AS (SELECT 10 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) "
                                   "INSERT INTO epochs (run_id, epoch, test_accuracy) SELECT 1, i, 0.5 FROM n"));
    RunStore store(path);
    const auto runs = store.list();
    REQUIRE(runs.size() == 1);
    CHECK(runs.front().name.size() <= 4096);
    CHECK(runs.front().name.startsWith(QStringLiteral("NNNN")));
    const auto curves = store.curves(1);
    CHECK(curves.losses.size() <= std::size_t(4 * core::RunRecorder::kMaxLossPoints));
    CHECK(curves.losses.size() > std::size_t(core::RunRecorder::kMaxLossPoints)); // cut, not emptied
    CHECK(curves.epochs.size() <= std::size_t(4 * core::kMaxEpochs));
    for (const QString &text : {core::runsTable(runs), core::runDetails(runs.front(), curves)}) {
        CHECK(text.size() < 2000000); // 20,000 epoch rows at most, names cut
        CHECK_FALSE(text.contains(QChar(27)));
        CHECK_FALSE(text.contains(QChar(7)));
    }
    CHECK(core::runsTable(runs).contains(QStringLiteral("\\x1b")));
}

TEST_CASE("runstore: read-only, locked and full databases give one clear message", "[runs]")
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("runs.db"));
    {
        core::RunRecorder recorder(path);
        runstoretest::recordSynthetic(recorder, runstoretest::spec(0.001, 1), 1, 5, 0.5);
    }
    SECTION("read-only")
    {
        // root ignores file modes: then the connection is made read-only instead, which fails
        // the same way (SQLITE_READONLY) on the first write. (Run as another user, e.g.
        // `runuser -u nobody -- build/tests/digitlab_core_tests "runstore: read-only*"`, for the
        // file-mode path.)
        RunStore::Options options;
        if (::geteuid() != 0) {
            QFile::setPermissions(path, QFileDevice::ReadOwner);
            QFile::setPermissions(dir.path(), QFileDevice::ReadOwner | QFileDevice::ExeOwner);
            RunStore reader(path); // a file we cannot write still lists its runs
            CHECK(reader.list().size() == 1);
        } else {
            options.readOnly = true;
            RunStore reader(path, options);
            CHECK(reader.list().size() == 1); // reading still works
        }
        try {
            RunStore store(path, options);
            store.begin(runstoretest::spec(0.001, 1), core::RunOwner::current());
            FAIL("wrote to a read-only database");
        } catch (const RunStoreError &e) {
            CHECK((e.kind() == RunStoreError::Kind::ReadOnly || e.kind() == RunStoreError::Kind::Unopenable));
            CHECK(e.text().contains(QStringLiteral("read-only")));
        }
        QFile::setPermissions(dir.path(), QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
        QFile::setPermissions(path, QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    }
    SECTION("locked longer than the busy timeout")
    {
        auto db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("holder"));
        db.setDatabaseName(path);
        REQUIRE(db.open());
        {
            QSqlQuery hold(db);
            REQUIRE(hold.exec(QStringLiteral("BEGIN EXCLUSIVE")));
            core::RunRecorder recorder(path, {200, false, 0});
            recorder.begin(runstoretest::spec(0.001, 1));
            CHECK(recorder.waitForRunId(30000) == -1);
            CHECK(recorder.lastError().contains(QStringLiteral("locked")));
            REQUIRE(hold.exec(QStringLiteral("ROLLBACK")));
        }
        db.close();
        db = {};
        QSqlDatabase::removeDatabase(QStringLiteral("holder"));
    }
    SECTION("full disk")
    {
        const int pages = rawScalar(path, QStringLiteral("PRAGMA page_count")).toInt();
        core::RunRecorder recorder(path, {RunStore::kDefaultBusyTimeoutMs, false, pages + 2});
        runstoretest::recordSynthetic(recorder, runstoretest::spec(0.001, 1), 15, 600, 0.5);
        REQUIRE(recorder.flush());
        CHECK(recorder.lastError().contains(QStringLiteral("disk is full")));
        CHECK(rawScalar(path, QStringLiteral("PRAGMA integrity_check")).toString() == QStringLiteral("ok"));
    }
}

TEST_CASE("runstore: statuses, CSV fields and the default path", "[runs]")
{
    for (auto s : {RunStatus::Running, RunStatus::Finished, RunStatus::Stopped, RunStatus::Diverged, RunStatus::Failed,
                   RunStatus::Interrupted})
        CHECK(core::runStatusFromText(core::runStatusText(s)) == s);
    CHECK_FALSE(core::runStatusFromText(QStringLiteral("done")).has_value());
    CHECK(core::csvField(QStringLiteral("a,b")) == QStringLiteral("\"a,b\""));
    CHECK(core::csvField(QStringLiteral("plain")) == QStringLiteral("plain"));
    CHECK(RunStore::defaultPath(QStringLiteral("/x/y.db")) == QStringLiteral("/x/y.db"));
    const QByteArray saved = qgetenv("DIGITLAB_RUNS_DB");
    qputenv("DIGITLAB_RUNS_DB", "/tmp/elsewhere.db");
    CHECK(RunStore::defaultPath() == QStringLiteral("/tmp/elsewhere.db"));
    qunsetenv("DIGITLAB_RUNS_DB");
    CHECK(RunStore::defaultPath().endsWith(QStringLiteral("/DigitLab/runs.db")));
    qputenv("DIGITLAB_RUNS_DB", saved);
    for (const char *column : {"id", "started", "network", "dataset", "learning_rate", "batch_size", "epochs", "seed", "status",
                               "final_test_accuracy"})
        CHECK(core::runColumns().contains(QString::fromLatin1(column)));
}

TEST_CASE("runstore benchmark: what recording costs the training thread per batch", "[.benchmark]")
{
    QTemporaryDir dir;
    core::RunRecorder recorder(dir.filePath(QStringLiteral("runs.db")));
    auto spec = runstoretest::spec(0.001, 1);
    spec.recipe[QStringLiteral("epochs")] = 100;
    recorder.begin(spec);
    REQUIRE(recorder.waitForRunId() > 0);
    // What digitlab-cli train calls per batch: one loss, the progress.
    constexpr int kBatches = 60000;
    QElapsedTimer t;
    t.start();
    for (int i = 0; i < kBatches; ++i) {
        const int epoch = 1 + i / 600;
        const int batch = 1 + i % 600;
        recorder.addLosses({epoch, batch, 600, {runstoretest::syntheticLoss(i)}});
        core::BatchStats b;
        b.epoch = epoch;
        b.batch = batch;
        b.batchesPerEpoch = 600;
        b.imagesSeen = qint64(i + 1) * 100;
        recorder.addProgress(b);
    }
    const double perBatchUs = t.nsecsElapsed() / 1e3 / kBatches;
    recorder.end({RunStatus::Finished, {}, {}});
    QElapsedTimer f;
    f.start();
    REQUIRE(recorder.flush(120000));
    WARN("caller's cost per batch: " << perBatchUs << " us (a seed-recipe batch of 100 takes ~7,000-10,000 us); "
         "final commit " << f.nsecsElapsed() / 1e6 << " ms");
    RunStore store(dir.filePath(QStringLiteral("runs.db")));
    CHECK(store.curves(store.list().front().id).losses.size() == std::size_t(kBatches));
}
