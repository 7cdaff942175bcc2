#define CATCH_CONFIG_RUNNER
#include <QCoreApplication>
#include <catch2/catch.hpp>
#include "runstoretestsupport.h"
#include <QTemporaryDir>
#include <cstring>

int main(int argc, char **argv)
{
    // An application object for QStandardPaths and image plugins; the core tests need no event loop.
    QCoreApplication app(argc, argv);
    // The run store's tests run this binary as a recording child (kill -9, concurrent writers).
    if (argc > 1 && std::strcmp(argv[1], "--record-child") == 0)
        return runstoretest::childMain(argc, argv);
    // Runs that tests train (also through digitlab-cli, which inherits this) go to a scratch
    // database, never the user's.
    QTemporaryDir runsDir;
    if (qEnvironmentVariableIsEmpty("DIGITLAB_RUNS_DB"))
        qputenv("DIGITLAB_RUNS_DB", runsDir.filePath(QStringLiteral("runs.db")).toLocal8Bit());
    QCoreApplication::setOrganizationName(QStringLiteral("DigitLab"));
    QCoreApplication::setApplicationName(QStringLiteral("digitlab-tests"));
    return Catch::Session().run(argc, argv);
}
