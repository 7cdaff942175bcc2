#pragma once
#include <QString>

namespace core {

/// DigitLab's version ("0.1.0"), from the one project(VERSION) in CMakeLists.txt. The About box,
/// both programs' --version and the checkpoints' app_version all read it here.
QString version();

} // namespace core
