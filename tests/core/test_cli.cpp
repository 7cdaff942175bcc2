#include "clitestsupport.h"
#include "testsupport.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <catch2/catch.hpp>
#include <csignal>
#include <sys/stat.h>

namespace {

using clitest::cli;

/// Saves test image i as a drawing would look: dark ink, white paper, large and off-centre.
QString drawnImage(const QTemporaryDir &dir, int i, const char *format = "PNG")
{
    const auto path = dir.filePath(QStringLiteral("digit%1.%2").arg(i).arg(QString::fromLatin1(format).toLower()));
    REQUIRE(testsupport::mnistOnCanvas(i, 9, 400, 320, 30 + 7 * i, 20 + 3 * i, false).save(path, format));
    return path;
}

} // namespace

TEST_CASE("cli: usage errors exit 2, help exits 0", "[cli]")
{
    // In this process (clitest::cliAll), but for three real processes of the executable: its exit
    // status with no command (2, usage on stderr), a usage error and a --help of a command.
    const QStringList commands{QStringLiteral("train"), QStringLiteral("eval"), QStringLiteral("predict"), QStringLiteral("bench")};
    QList<QStringList> runs{{},
                            {QStringLiteral("frobnicate")},
                            {QStringLiteral("--help")},
                            {QStringLiteral("train"), QStringLiteral("--epochs"), QStringLiteral("abc")},
                            {QStringLiteral("train"), QStringLiteral("--lr"), QStringLiteral("-1")},
                            {QStringLiteral("eval"), QStringLiteral("--bogus")},
                            {QStringLiteral("predict")}};
    for (const QString &command : commands)
        runs.append({command, QStringLiteral("--help")});
    const auto results = clitest::cliAll(runs, {0, 5, 10});
    auto r = results[0];
    CHECK(r.code == 2);
    CHECK(r.err.contains(QStringLiteral("Commands:")));
    r = results[1];
    CHECK(r.code == 2);
    CHECK(r.err.contains(QStringLiteral("unknown command 'frobnicate'")));
    r = results[2];
    CHECK(r.code == 0);
    for (qsizetype i = 0; i < commands.size(); ++i) {
        INFO(commands[i].toStdString());
        r = results[7 + i];
        CHECK(r.code == 0);
        CHECK(r.out.startsWith(QStringLiteral("Usage: digitlab-cli ") + commands[i]));
    }
    r = results[7]; // train --help
    for (const char *opt : {"--epochs", "--batch-size", "--lr", "--seed", "--threads", "--data", "--out", "--resume"})
        CHECK(r.out.contains(QString::fromLatin1(opt)));
    r = results[3];
    CHECK(r.code == 2);
    CHECK(r.err.contains(QStringLiteral("--epochs must be a whole number")));
    r = results[4];
    CHECK(r.code == 2);
    CHECK(r.err.contains(QStringLiteral("learning rate")));
    r = results[5];
    CHECK(r.code == 2);
    r = results[6];
    CHECK(r.code == 2);
}

TEST_CASE("cli eval: the bundled model's accuracy and confusion matrix", "[cli][data]")
{
    testsupport::mnistDir();
    const auto r = cli({QStringLiteral("eval")});
    REQUIRE(r.code == 0);
    const auto m = QRegularExpression(QStringLiteral("^test accuracy: (\\d+\\.\\d\\d)% \\((\\d+)/10000\\)$"),
                                      QRegularExpression::MultilineOption).match(r.out);
    REQUIRE(m.hasMatch());
    CHECK(m.captured(1).toDouble() >= 98.9);
    CHECK(r.out.contains(QRegularExpression(QStringLiteral("^test loss: 0\\.\\d{4}$"), QRegularExpression::MultilineOption)));
    // Ten matrix rows whose counts add up to the 10,000 test images.
    int total = 0, rows = 0;
    for (const auto &line : r.out.split(QLatin1Char('\n'))) {
        const auto cells = line.simplified().split(QLatin1Char(' '));
        if (cells.size() == 11 && line.startsWith(QStringLiteral("  "))) {
            ++rows;
            for (int i = 1; i < 11; ++i)
                total += cells[i].toInt();
        }
    }
    CHECK(rows == 10);
    CHECK(total == 10000);
}

TEST_CASE("cli eval: runtime errors exit 1 and name the file", "[cli]")
{
    QTemporaryDir dir;
    const auto bad = testsupport::write(dir, QStringLiteral("bad.pt"), QByteArray("garbage"));
    const auto results = clitest::cliAll({{QStringLiteral("eval"), QStringLiteral("--checkpoint"), bad},
                                          {QStringLiteral("eval"), QStringLiteral("--data"), dir.filePath(QStringLiteral("nowhere"))}});
    auto r = results[0];
    CHECK(r.code == 1);
    CHECK(r.err.contains(bad));
    r = results[1];
    CHECK(r.code == 1);
    CHECK(r.err.contains(QStringLiteral("nowhere")));
    CHECK(r.err.contains(QStringLiteral("MNIST not found")));
}

TEST_CASE("cli predict: drawn digits, errors per file, JSON", "[cli][data]")
{
    QTemporaryDir dir;
    const auto &test = testsupport::testSet();
    QStringList paths;
    for (int i = 0; i < 10; ++i)
        paths << drawnImage(dir, i, i % 3 == 0 ? "JPG" : i % 3 == 1 ? "BMP" : "PNG");
    const auto missing = dir.filePath(QStringLiteral("missing.png"));
    const auto blank = dir.filePath(QStringLiteral("blank.png"));
    QImage white(100, 100, QImage::Format_RGB32);
    white.fill(Qt::white);
    REQUIRE(white.save(blank));
    const auto results = clitest::cliAll({QStringList{QStringLiteral("predict")} + paths,
                                          {QStringLiteral("predict"), missing, paths[0], blank},
                                          {QStringLiteral("predict"), QStringLiteral("--json"), paths[1]}});
    auto r = results[0];
    REQUIRE(r.code == 0);
    const auto lines = r.out.trimmed().split(QLatin1Char('\n'));
    REQUIRE(lines.size() == 10);
    int correct = 0;
    for (int i = 0; i < 10; ++i) {
        const auto m = QRegularExpression(QStringLiteral("^(.+)\\t(\\d)\\t([01]\\.\\d{4})$")).match(lines[i]);
        REQUIRE(m.hasMatch());
        CHECK(m.captured(1) == paths[i]);
        correct += m.captured(2).toInt() == test.labels[i];
    }
    CHECK(correct >= 9);

    r = results[1];
    CHECK(r.code == 1);
    CHECK(r.out.trimmed().split(QLatin1Char('\n')).size() == 1);
    CHECK(r.out.startsWith(paths[0] + QLatin1Char('\t')));
    CHECK(r.err.contains(missing));
    CHECK(r.err.contains(blank + QStringLiteral(": the image is blank")));

    r = results[2];
    REQUIRE(r.code == 0);
    const auto obj = QJsonDocument::fromJson(r.out.toUtf8()).object();
    CHECK(obj.value(QStringLiteral("path")).toString() == paths[1]);
    CHECK(obj.value(QStringLiteral("digit")).toInt() == test.labels[1]);
    const auto probs = obj.value(QStringLiteral("probabilities")).toArray();
    REQUIRE(probs.size() == 10);
    double sum = 0;
    for (const auto &v : probs)
        sum += v.toDouble();
    CHECK(sum == Approx(1.0).margin(1e-4));
    CHECK(probs[test.labels[1]].toDouble() == Approx(obj.value(QStringLiteral("confidence")).toDouble()).margin(1e-4));
}

TEST_CASE("cli train: a short run saves a checkpoint that resumes and evaluates", "[cli][data][slow]")
{
    testsupport::mnistDir();
    QTemporaryDir dir;
    const auto out = dir.filePath(QStringLiteral("run.pt"));
    const QStringList small{QStringLiteral("--train-limit"), QStringLiteral("600"), QStringLiteral("--test-limit"),
                            QStringLiteral("200"), QStringLiteral("--threads"), QStringLiteral("1"), QStringLiteral("--out"), out};
    auto r = cli(QStringList{QStringLiteral("train"), QStringLiteral("--epochs"), QStringLiteral("1")} + small);
    REQUIRE(r.code == 0);
    const QRegularExpression epochLine(QStringLiteral(
        "^epoch (\\d+)/(\\d+)  train loss \\d+\\.\\d{4}  train acc [\\d.]+%  test loss \\d+\\.\\d{4}  test accuracy [\\d.]+%  [\\d.]+ s  \\d+ images/s$"),
        QRegularExpression::MultilineOption);
    auto m = epochLine.match(r.out);
    REQUIRE(m.hasMatch());
    CHECK(m.captured(1) == QStringLiteral("1"));
    CHECK(QFile::exists(out));

    r = cli(QStringList{QStringLiteral("train"), QStringLiteral("--epochs"), QStringLiteral("2"), QStringLiteral("--resume"), out} + small);
    REQUIRE(r.code == 0);
    CHECK(r.out.contains(QStringLiteral("resumed ")));
    m = epochLine.match(r.out);
    REQUIRE(m.hasMatch());
    CHECK(m.captured(1) == QStringLiteral("2"));
    CHECK(m.captured(2) == QStringLiteral("2"));

    r = cli({QStringLiteral("eval"), QStringLiteral("--checkpoint"), out});
    CHECK(r.code == 0);
    CHECK(r.out.contains(QStringLiteral("2 epochs")));
}

namespace {
/// The file a descriptor refers to (device, inode).
std::pair<dev_t, ino_t> fileOf(int fd)
{
    struct stat st {};
    REQUIRE(::fstat(fd, &st) == 0);
    return {st.st_dev, st.st_ino};
}

/// A signal's handler now.
using Handler = void (*)(int);
Handler handlerOf(int signal)
{
    struct sigaction action {};
    REQUIRE(::sigaction(signal, nullptr, &action) == 0);
    return action.sa_handler;
}
} // namespace

TEST_CASE("cli in this process: --help returns, and a run leaves the process as it found it", "[cli][data]")
{
    // What clitest::cli() promises (tests/core/clitestsupport.h), so that no run can change the next:
    // --help no longer exits, and train's signal handlers, the captured descriptors, the names,
    // the current folder and the environment are all as they were.
    testsupport::mnistDir();
    QTemporaryDir dir;
    const auto stdoutFile = fileOf(1), stderrFile = fileOf(2);
    const Handler sigint = handlerOf(SIGINT), sigterm = handlerOf(SIGTERM);
    const QString folder = QDir::currentPath(), application = QCoreApplication::applicationName();
    REQUIRE_FALSE(qEnvironmentVariableIsSet("DIGITLAB_CLITEST_PROBE"));

    auto r = cli({QStringLiteral("predict"), QStringLiteral("--help")});
    CHECK(r.code == 0);
    CHECK(r.out.startsWith(QStringLiteral("Usage: digitlab-cli predict")));
    CHECK(r.err.isEmpty());
    r = cli({QStringLiteral("train"), QStringLiteral("--epochs"), QStringLiteral("1"), QStringLiteral("--train-limit"),
             QStringLiteral("100"), QStringLiteral("--test-limit"), QStringLiteral("100"), QStringLiteral("--threads"),
             QStringLiteral("1"), QStringLiteral("--no-record"), QStringLiteral("--out"), dir.filePath(QStringLiteral("t.pt"))},
            {{"DIGITLAB_CLITEST_PROBE", "1"}});
    CHECK(r.code == 0);
    CHECK(r.out.contains(QStringLiteral("saved ")));

    CHECK(fileOf(1) == stdoutFile);
    CHECK(fileOf(2) == stderrFile);
    CHECK(handlerOf(SIGINT) == sigint);
    CHECK(handlerOf(SIGTERM) == sigterm);
    CHECK(QDir::currentPath() == folder);
    CHECK(QCoreApplication::applicationName() == application);
    CHECK_FALSE(qEnvironmentVariableIsSet("DIGITLAB_CLITEST_PROBE"));
}
