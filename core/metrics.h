#pragma once
#include "core/types.h"
#include <QString>
#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace core {

/// Counts of (true class, predicted class) pairs: [true][predicted], classes x classes.
using ConfusionCounts = std::vector<std::vector<int>>;
/// A classes x classes matrix of zeros.
ConfusionCounts emptyConfusion(int classes = kClasses);

/// Adds each (truth, predicted) pair to `counts`; a pair whose class is outside the matrix (an
/// image not predicted yet) is skipped. Returns how many of the counted pairs were right. The one
/// place the confusion matrix is built: evaluation (model.cpp) and the Browse tab both call it.
int tallyConfusion(ConfusionCounts &counts, std::span<const int> truths, std::span<const int> predicted);
/// The same for LibTorch's int64 labels and argmax, without a copy.
int tallyConfusion(ConfusionCounts &counts, std::span<const std::int64_t> truths,
                   std::span<const std::int64_t> predicted);

/// A confusion matrix with the totals read from it.
struct Confusion {
    ConfusionCounts counts{};
    int correct = 0; ///< the diagonal
    int total = 0;   ///< every counted pair

    /// correct / total; 0 when nothing was counted.
    double accuracy() const;
    /// Images of `truth` (a row's sum).
    int rowTotal(int truth) const;
    /// Share of the images of `truth` predicted right; 0 for an empty row.
    double classAccuracy(int truth) const;
    /// The largest off-diagonal count (the worst mistake pair), 0 without mistakes.
    int maxMistakes() const;
};

/// Builds the confusion of two parallel lists (labels, predictions; see tallyConfusion).
Confusion confusionOf(std::span<const int> truths, std::span<const int> predicted, int classes = kClasses);
/// Reads the totals of counts made elsewhere (e.g. EvalResult::confusion).
Confusion confusionOf(const ConfusionCounts &counts);

/// "98.76%": a 0..1 fraction as a percentage with two decimals (GUI and CLI alike).
QString percentText(double fraction);
/// "1 epoch" / "3 epochs". No translation catalogue ships, so tr()'s %n plural would print
/// "epoch(s)": the two forms are spelled out. `one` and `many` are the English forms; many has %1.
QString countText(int n, const char *one, const char *many);
/// countText for epochs.
QString epochsText(int n);

} // namespace core
