#pragma once
#include "core/types.h"
#include <QString>

namespace ui {

/// Why a prediction is unsure, as the UI words it: "3 or 5?" when the top two are close,
/// "maybe 3" when the top class is merely weak; empty when the model is sure. Display text lives
/// in ui/, core only says *that* it is unsure (Prediction::unsure(), secondDigit()).
QString doubtReason(const core::Prediction &prediction);
/// The sentence under the Draw tab's verdict: "Not sure: 3 or 5?"; empty when sure.
QString doubtSentence(const core::Prediction &prediction);

} // namespace ui
