#include "metrics.h"
#include <QCoreApplication>
#include <algorithm>
#include <stdexcept>

namespace core {

namespace {

template <typename Int>
int tally(ConfusionCounts &counts, std::span<const Int> truths, std::span<const Int> predicted)
{
    const auto isDigit = [&](std::int64_t d) { return d >= 0 && d < std::int64_t(counts.size()); };
    if (truths.size() != predicted.size())
        throw std::invalid_argument("tallyConfusion: labels and predictions differ in length");
    int correct = 0;
    for (std::size_t i = 0; i < truths.size(); ++i) {
        const Int t = truths[i];
        const Int p = predicted[i];
        if (!isDigit(t) || !isDigit(p))
            continue;
        ++counts[static_cast<std::size_t>(t)][static_cast<std::size_t>(p)];
        correct += t == p;
    }
    return correct;
}

} // namespace

int tallyConfusion(ConfusionCounts &counts, std::span<const int> truths, std::span<const int> predicted)
{
    return tally(counts, truths, predicted);
}

int tallyConfusion(ConfusionCounts &counts, std::span<const std::int64_t> truths,
                   std::span<const std::int64_t> predicted)
{
    return tally(counts, truths, predicted);
}

double Confusion::accuracy() const
{
    return total ? static_cast<double>(correct) / total : 0.0;
}

int Confusion::rowTotal(int truth) const
{
    const auto &row = counts.at(static_cast<std::size_t>(truth));
    int sum = 0;
    for (int c : row)
        sum += c;
    return sum;
}

double Confusion::classAccuracy(int truth) const
{
    const int n = rowTotal(truth);
    return n ? static_cast<double>(counts[static_cast<std::size_t>(truth)][static_cast<std::size_t>(truth)]) / n : 0.0;
}

int Confusion::maxMistakes() const
{
    int worst = 0;
    for (std::size_t t = 0; t < counts.size(); ++t)
        for (std::size_t p = 0; p < counts[t].size(); ++p)
            if (t != p)
                worst = std::max(worst, counts[t][p]);
    return worst;
}

ConfusionCounts emptyConfusion(int classes)
{
    return ConfusionCounts(std::size_t(std::max(0, classes)), std::vector<int>(std::size_t(std::max(0, classes)), 0));
}

Confusion confusionOf(std::span<const int> truths, std::span<const int> predicted, int classes)
{
    ConfusionCounts counts = emptyConfusion(classes);
    tallyConfusion(counts, truths, predicted);
    return confusionOf(counts);
}

Confusion confusionOf(const ConfusionCounts &counts)
{
    Confusion c;
    c.counts = counts;
    for (std::size_t t = 0; t < counts.size(); ++t)
        for (std::size_t p = 0; p < counts[t].size(); ++p) {
            c.total += counts[t][p];
            if (t == p)
                c.correct += counts[t][p];
        }
    return c;
}

QString percentText(double fraction)
{
    return QString::number(100.0 * fraction, 'f', 2) + QLatin1Char('%');
}

QString countText(int n, const char *one, const char *many)
{
    return n == 1 ? QCoreApplication::translate("core", one) : QCoreApplication::translate("core", many).arg(n);
}

QString epochsText(int n)
{
    return countText(n, "1 epoch", "%1 epochs");
}

} // namespace core
