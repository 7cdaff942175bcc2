#pragma once
#include <QStringList>

/// digitlab-cli's commands as a function: the executable (app/climain.cpp) is a thin main() around
/// it, and the core tests call it in their own process (tests/core/clitestsupport.h), saving a
/// process start-up (half a second of LibTorch's) per call.
namespace cli {

/// The names main() gives the application (QStandardPaths and QSettings read them); the tests set
/// the same ones while a command runs in their process.
inline constexpr char kOrganizationName[] = "DigitLab";
inline constexpr char kApplicationName[] = "digitlab";

/// Runs one digitlab-cli command line, `arguments` as QCoreApplication::arguments() gives them
/// (the program first). Prints to stdout and stderr and returns the exit status: 0 success, 1
/// runtime error, 2 usage error, 130 interrupted. Needs a QCoreApplication. Never exits the
/// process (--help returns 0). `train` installs SIGINT and SIGTERM handlers that it leaves in
/// place, as the process ends after it; a caller that goes on restores its own.
int run(const QStringList &arguments);

} // namespace cli
