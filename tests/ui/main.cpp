// Catch2 main for the UI tests: a QApplication on the offscreen platform, so widgets, timers and
// queued signals behave as in the application, with no display needed.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include "core/trainingworker.h"
#include <QApplication>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>

int main(int argc, char *argv[])
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    // Settings and recent files go to a test location, never the user's.
    QStandardPaths::setTestModeEnabled(true);
    QApplication app(argc, argv);
    // Every window records its runs (issue 19): into a scratch database, never the user's.
    QTemporaryDir runsDir;
    if (qEnvironmentVariableIsEmpty("DIGITLAB_RUNS_DB"))
        qputenv("DIGITLAB_RUNS_DB", runsDir.filePath(QStringLiteral("runs.db")).toLocal8Bit());
    // Settings of this process only: `ctest -j` runs test files side by side, and one file's
    // settings (a chosen dataset folder, the last model) must not reach a window another builds.
    QTemporaryDir settingsDir;
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, settingsDir.path());
    QCoreApplication::setOrganizationName(QStringLiteral("DigitLabTests"));
    QCoreApplication::setApplicationName(QStringLiteral("digitlab_ui_tests"));
    core::TrainingWorker::registerMetaTypes();
    return Catch::Session().run(argc, argv);
}
