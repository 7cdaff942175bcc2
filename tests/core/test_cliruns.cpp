// digitlab-cli train records its run; digitlab-cli runs lists, shows, exports and deletes (issue 19).
#include "clitestsupport.h"
#include "testsupport.h"
#include "core/runstore.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <catch2/catch.hpp>
#include <csignal>

namespace {

using clitest::cli;
using clitest::cliAll;

/// A tiny training run (never a full epoch) recorded in db.
QStringList tinyTrain(const QTemporaryDir &dir, const QString &db, const QString &lr, const QString &seed)
{
    return {QStringLiteral("train"), QStringLiteral("--epochs"), QStringLiteral("2"), QStringLiteral("--train-limit"),
            QStringLiteral("300"), QStringLiteral("--test-limit"), QStringLiteral("100"), QStringLiteral("--threads"),
            QStringLiteral("1"), QStringLiteral("--lr"), lr, QStringLiteral("--seed"), seed, QStringLiteral("--out"),
            dir.filePath(QStringLiteral("run-%1.pt").arg(seed)), QStringLiteral("--runs-db"), db};
}

qint64 printedRunId(const QString &out)
{
    const auto m = QRegularExpression(QStringLiteral("^run (\\d+) \\(recorded in "), QRegularExpression::MultilineOption).match(out);
    REQUIRE(m.hasMatch());
    return m.captured(1).toLongLong();
}

QStringList csvRows(const QString &db)
{
    const auto r = cli({QStringLiteral("runs"), QStringLiteral("--format"), QStringLiteral("csv"), QStringLiteral("--runs-db"), db});
    REQUIRE(r.code == 0);
    return r.out.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
}

} // namespace

TEST_CASE("cli runs: train records each run and list, show, export and delete read the database", "[cli][data][runs]")
{
    testsupport::mnistDir();
    QTemporaryDir dir;
    const QString db = dir.filePath(QStringLiteral("runs.db"));

    // The empty listing by the real executable (once for runs: tests/core/clitestsupport.h), beside
    // the unrecorded run; they touch nothing the others read.
    auto batch = cliAll({{QStringLiteral("runs"), QStringLiteral("--runs-db"), db},
                         tinyTrain(dir, db, QStringLiteral("0.001"), QStringLiteral("5")) << QStringLiteral("--no-record")},
                        {0});
    auto r = batch[0];
    CHECK(r.code == 0);
    CHECK(r.out.contains(QStringLiteral("no runs recorded yet")));
    r = batch[1];
    REQUIRE(r.code == 0);
    CHECK_FALSE(r.out.contains(QStringLiteral("recorded in")));

    // One after the other: their IDs are in order.
    r = cli(tinyTrain(dir, db, QStringLiteral("0.002"), QStringLiteral("3")));
    REQUIRE(r.code == 0);
    const qint64 first = printedRunId(r.out);
    r = cli(tinyTrain(dir, db, QStringLiteral("0.0005"), QStringLiteral("4")));
    REQUIRE(r.code == 0);
    const qint64 second = printedRunId(r.out);
    CHECK(second == first + 1);

    // Everything that only reads the database, together.
    const QString csv = dir.filePath(QStringLiteral("curves.csv"));
    batch = cliAll({{QStringLiteral("runs"), QStringLiteral("--format"), QStringLiteral("csv"), QStringLiteral("--runs-db"), db},
                    {QStringLiteral("runs"), QStringLiteral("list"), QStringLiteral("--format"), QStringLiteral("json"), QStringLiteral("--runs-db"), db},
                    {QStringLiteral("runs"), QStringLiteral("--runs-db"), db},
                    {QStringLiteral("runs"), QStringLiteral("show"), QString::number(first), QStringLiteral("--runs-db"), db},
                    {QStringLiteral("runs"), QStringLiteral("export"), QString::number(first), QStringLiteral("--csv"), csv,
                     QStringLiteral("--runs-db"), db},
                    {QStringLiteral("runs"), QStringLiteral("show"), QStringLiteral("x"), QStringLiteral("--runs-db"), db},
                    {QStringLiteral("runs"), QStringLiteral("--format"), QStringLiteral("xml"), QStringLiteral("--runs-db"), db}});
    REQUIRE(batch[0].code == 0);
    const QStringList rows = batch[0].out.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    REQUIRE(rows.size() == 3); // header + the two recorded runs
    const QStringList header = rows[0].split(QLatin1Char(','));
    for (const char *column : {"id", "started", "network", "dataset", "learning_rate", "batch_size", "epochs", "seed", "status",
                               "final_test_accuracy"})
        CHECK(header.contains(QString::fromLatin1(column)));
    const auto field = [&](int row, const char *column) { return rows[row].split(QLatin1Char(','))[header.indexOf(QString::fromLatin1(column))]; };
    CHECK(field(1, "id") == QString::number(first));
    CHECK(field(1, "learning_rate") == QStringLiteral("0.002"));
    CHECK(field(2, "learning_rate") == QStringLiteral("0.0005"));
    CHECK(field(1, "seed") == QStringLiteral("3"));
    CHECK(field(1, "batch_size") == QStringLiteral("100"));
    CHECK(field(1, "epochs") == QStringLiteral("2"));
    CHECK(field(1, "status") == QStringLiteral("finished"));
    CHECK(field(1, "dataset") == QStringLiteral("mnist"));
    CHECK(field(1, "network") == QStringLiteral("tutorial"));
    CHECK(field(1, "final_test_accuracy").toDouble() > 0.1);

    r = batch[1];
    REQUIRE(r.code == 0);
    const auto json = QJsonDocument::fromJson(r.out.toUtf8()).array();
    REQUIRE(json.size() == 2);
    CHECK(json[1].toObject().value(QStringLiteral("seed")).toString() == QStringLiteral("4"));
    CHECK(json[1].toObject().value(QStringLiteral("recipe")).toObject().value(QStringLiteral("train_limit")).toInt() == 300);

    r = batch[2];
    REQUIRE(r.code == 0);
    CHECK(r.out.startsWith(QStringLiteral("ID")));
    CHECK(r.out.contains(QStringLiteral("finished")));

    r = batch[3];
    REQUIRE(r.code == 0);
    CHECK(r.out.contains(QStringLiteral("checkpoint")));
    CHECK(r.out.contains(dir.filePath(QStringLiteral("run-3.pt"))));
    CHECK(r.out.contains(QStringLiteral("Conv2d(10,5)")));

    r = batch[4];
    REQUIRE(r.code == 0);
    QFile f(csv);
    REQUIRE(f.open(QIODevice::ReadOnly));
    const QString curves = QString::fromUtf8(f.readAll());
    CHECK(curves.count(QStringLiteral("\n%1,batch,").arg(first)) == 2 * 3); // 300 images / 100 a batch, 2 epochs: whole
    CHECK(curves.count(QStringLiteral("\n%1,epoch,").arg(first)) == 2);

    r = batch[5];
    CHECK(r.code == 2);
    r = batch[6];
    CHECK(r.code == 2);

    r = cli({QStringLiteral("runs"), QStringLiteral("delete"), QString::number(first), QStringLiteral("--runs-db"), db});
    REQUIRE(r.code == 0);
    // After the delete: the listing and a second delete of the same run, together.
    batch = cliAll({{QStringLiteral("runs"), QStringLiteral("--format"), QStringLiteral("csv"), QStringLiteral("--runs-db"), db},
                    {QStringLiteral("runs"), QStringLiteral("delete"), QString::number(first), QStringLiteral("--runs-db"), db}});
    REQUIRE(batch[0].code == 0);
    CHECK(batch[0].out.split(QLatin1Char('\n'), Qt::SkipEmptyParts).size() == 2);
    r = batch[1];
    CHECK(r.code == 1);
    CHECK(r.err.contains(QStringLiteral("no run with ID")));

    // A newer DigitLab's database: one clear error, exit 1, the file untouched.
    {
        auto raw = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("cli-newer"));
        raw.setDatabaseName(db);
        REQUIRE(raw.open());
        QSqlQuery q(raw);
        REQUIRE(q.exec(QStringLiteral("PRAGMA user_version = %1").arg(core::RunStore::kSchemaVersion + 1)));
        q = QSqlQuery();
        raw.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("cli-newer"));
    r = cli({QStringLiteral("runs"), QStringLiteral("--runs-db"), db});
    CHECK(r.code == 1);
    CHECK(r.err.contains(QStringLiteral("newer DigitLab")));
    CHECK(r.err.count(QLatin1Char('\n')) == 1);
}

TEST_CASE("cli runs: a train killed with SIGKILL reads interrupted and a bad database does not stop training", "[cli][data][runs]")
{
    testsupport::mnistDir();
    QTemporaryDir dir;
    const QString db = dir.filePath(QStringLiteral("runs.db"));
    {
        QProcess p;
        QStringList args = tinyTrain(dir, db, QStringLiteral("0.001"), QStringLiteral("1"));
        args[2] = QStringLiteral("1000"); // epochs: it runs until killed
        p.start(QStringLiteral(DIGITLAB_CLI_PATH), args);
        REQUIRE(p.waitForStarted());
        // The first epoch line: the run is recorded and training.
        QByteArray out;
        while (!out.contains("epoch 1/1000") && p.waitForReadyRead(120000))
            out += p.readAllStandardOutput();
        REQUIRE(out.contains("epoch 1/1000"));
        ::kill(pid_t(p.processId()), SIGKILL);
        REQUIRE(p.waitForFinished(30000));
    }
    QStringList rows = csvRows(db);
    REQUIRE(rows.size() == 2);
    const QStringList header = rows[0].split(QLatin1Char(','));
    CHECK(rows[1].split(QLatin1Char(','))[header.indexOf(QStringLiteral("status"))] == QStringLiteral("interrupted"));

    // Environment variable instead of the option; a file that is not a database.
    const QString bad = dir.filePath(QStringLiteral("bad.db"));
    {
        QFile f(bad);
        REQUIRE(f.open(QIODevice::WriteOnly));
        f.write("this is not a database, it is a text file\n");
    }
    QStringList args = tinyTrain(dir, db, QStringLiteral("0.001"), QStringLiteral("2"));
    args.removeLast();
    args.removeLast(); // no --runs-db: $DIGITLAB_RUNS_DB
    const auto r = cli(args, {{"DIGITLAB_RUNS_DB", bad.toLocal8Bit()}});
    CHECK(r.code == 0);
    const QString &err = r.err;
    CHECK(err.count(QStringLiteral("not recorded")) == 1);
    CHECK(err.contains(bad));
    CHECK(r.out.contains(QStringLiteral("saved ")));
}
