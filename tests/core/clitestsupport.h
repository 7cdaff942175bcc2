#pragma once
#include <QList>
#include <QProcess>
#include <QString>
#include <QStringList>
#include <algorithm>
#include <catch2/catch.hpp>
#include <memory>
#include <vector>

namespace clitest {

// Every digitlab-cli process pays about half a second of CPU before main() (the dynamic loader
// and LibTorch's operator registration), and it was most of the suite's time (issue 16). So:
// run independent invocations together with cliAll() (a serial ctest leaves the second core idle
// otherwise), and never start a process to learn what an earlier one already printed.

/// What a digitlab-cli run printed and returned.
struct Result {
    int code = -1;
    QString out;
    QString err;
};

/// Generous: a refusal takes well under a second, a short training run a few.
inline constexpr int kTimeoutMs = 5 * 60 * 1000;

/// Runs digitlab-cli (the build tree's) with each args at once (a few at a time) and returns the
/// results in the same order. A run past timeoutMs (one that blocks on a FIFO never ends) is
/// killed and fails the test, naming its arguments.
inline QList<Result> cliAll(const QList<QStringList> &runs, int timeoutMs = kTimeoutMs)
{
    constexpr int kAtOnce = 4; // both cores busy, without a burst of start-ups on a loaded machine
    QList<Result> results;
    for (qsizetype first = 0; first < runs.size(); first += kAtOnce) {
        std::vector<std::unique_ptr<QProcess>> batch;
        for (qsizetype i = first; i < std::min(runs.size(), first + kAtOnce); ++i) {
            batch.push_back(std::make_unique<QProcess>());
            batch.back()->start(QStringLiteral(DIGITLAB_CLI_PATH), runs[i]);
        }
        for (std::size_t i = 0; i < batch.size(); ++i) {
            QProcess &p = *batch[i];
            const QStringList &args = runs[first + qsizetype(i)];
            if (!p.waitForFinished(timeoutMs)) {
                for (auto &other : batch)
                    other->kill();
                for (auto &other : batch)
                    other->waitForFinished();
                FAIL("digitlab-cli " << args.join(QLatin1Char(' ')).toStdString() << " did not finish");
            }
            INFO("digitlab-cli " << args.join(QLatin1Char(' ')).toStdString());
            REQUIRE(p.exitStatus() == QProcess::NormalExit);
            results.append({p.exitCode(), QString::fromUtf8(p.readAllStandardOutput()),
                            QString::fromUtf8(p.readAllStandardError())});
        }
    }
    return results;
}

/// Runs digitlab-cli with args to the end (see cliAll()).
inline Result cli(const QStringList &args, int timeoutMs = kTimeoutMs)
{
    return cliAll({args}, timeoutMs).front();
}

} // namespace clitest
