#pragma once
#include "../core/testsupport.h"
#include "core/mnist.h"
#include <QString>
#include <functional>
#include <memory>

namespace uitest {

/// The MNIST folder; FAILs the current test with a clear message when the files are missing
/// (tests never skip for want of data). The one lookup of all tests: testsupport::mnistDir().
inline constexpr auto &requireMnistDir = testsupport::mnistDir;

/// Runs the event loop until pred() holds or timeoutMs passes; returns pred().
bool waitUntil(const std::function<bool()> &pred, int timeoutMs);

/// Where screenshots go: $DIGITLAB_SHOTS_DIR, else the source tree's docs/ (created if needed).
QString shotsDir();

/// A fresh, empty temporary directory removed at exit.
QString tempDir();

} // namespace uitest
