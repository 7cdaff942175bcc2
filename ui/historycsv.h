#pragma once
#include "core/types.h"
#include <QString>
#include <vector>

namespace ui {

/// The training history as CSV: a header line, then one line per epoch (File > Export History).
QString historyCsv(const std::vector<core::EpochStats> &history);
/// Writes historyCsv() to path atomically. Returns an error text naming the file, or empty.
QString writeHistoryCsv(const QString &path, const std::vector<core::EpochStats> &history);

} // namespace ui
