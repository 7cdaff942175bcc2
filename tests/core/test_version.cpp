// One version (issue 10): project(VERSION) -> core::version() -> --version, About, checkpoints.
#include "core/trainer.h"
#include "core/version.h"
#include <QProcess>
#include <QRegularExpression>
#include <catch2/catch.hpp>

TEST_CASE("Version comes from project(VERSION) and reaches the CLI and checkpoints", "[version]")
{
    const QString v = core::version();
    REQUIRE(QRegularExpression(QStringLiteral("^\\d+\\.\\d+\\.\\d+$")).match(v).hasMatch());

    QProcess cli;
    cli.start(QStringLiteral(DIGITLAB_CLI_PATH), {QStringLiteral("--version")});
    REQUIRE(cli.waitForFinished(60000));
    REQUIRE(cli.exitCode() == 0);
    REQUIRE(QString::fromUtf8(cli.readAllStandardOutput()).trimmed() == QStringLiteral("digitlab-cli ") + v);

    core::TrainConfig config;
    core::Trainer trainer(config);
    REQUIRE(trainer.info().appVersion == v);
}
