#pragma once
#include <QProcess>
#include <QString>
#include <QStringList>
#include <catch2/catch.hpp>

namespace clitest {

/// What a digitlab-cli run printed and returned.
struct Result {
    int code = -1;
    QString out;
    QString err;
};

/// Runs digitlab-cli (the build tree's) with args to the end (five minutes at most).
inline Result cli(const QStringList &args)
{
    QProcess p;
    p.start(QStringLiteral(DIGITLAB_CLI_PATH), args);
    REQUIRE(p.waitForStarted());
    REQUIRE(p.waitForFinished(5 * 60 * 1000));
    REQUIRE(p.exitStatus() == QProcess::NormalExit);
    return {p.exitCode(), QString::fromUtf8(p.readAllStandardOutput()), QString::fromUtf8(p.readAllStandardError())};
}

} // namespace clitest
