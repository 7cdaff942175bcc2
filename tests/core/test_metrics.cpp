// core/metrics: the one confusion matrix (evaluation and the Browse tab) and the number texts
// the GUI and the CLI share.
#include "core/metrics.h"
#include "core/classifier.h"
#include "testsupport.h"

#include <catch2/catch.hpp>
#include <vector>

TEST_CASE("the confusion matrix counts each pair once per image", "[metrics]")
{
    const std::vector<int> truths{0, 0, 1, 2, 2, 2, 9};
    const std::vector<int> predicted{0, 6, 1, 2, 3, 2, 4};
    const core::Confusion c = core::confusionOf(truths, predicted);
    CHECK(c.total == 7);
    CHECK(c.correct == 4);
    CHECK(c.accuracy() == Approx(4.0 / 7.0));
    CHECK(c.counts[0][0] == 1);
    CHECK(c.counts[0][6] == 1);
    CHECK(c.counts[2][2] == 2);
    CHECK(c.counts[2][3] == 1);
    CHECK(c.counts[9][4] == 1);
    CHECK(c.rowTotal(2) == 3);
    CHECK(c.classAccuracy(2) == Approx(2.0 / 3.0));
    CHECK(c.classAccuracy(9) == 0.0);
    CHECK(c.classAccuracy(5) == 0.0); // an empty row is not a division by zero
    CHECK(c.maxMistakes() == 1);
    int sum = 0;
    for (const auto &row : c.counts)
        for (int n : row)
            sum += n;
    CHECK(sum == c.total);
}

TEST_CASE("images without a prediction are left out of the matrix", "[metrics]")
{
    // The Browse tab counts while predictions arrive: -1 is "not predicted yet".
    const std::vector<int> truths{3, 3, 7, 11};
    const std::vector<int> predicted{3, -1, 10, 7};
    const core::Confusion c = core::confusionOf(truths, predicted);
    CHECK(c.total == 1);
    CHECK(c.correct == 1);
    CHECK(c.counts[3][3] == 1);
}

TEST_CASE("tallying adds to counts made before", "[metrics]")
{
    core::ConfusionCounts counts = core::emptyConfusion();
    const std::vector<std::int64_t> t1{1, 2}, p1{1, 1};
    const std::vector<std::int64_t> t2{2, 2}, p2{2, 1};
    CHECK(core::tallyConfusion(counts, t1, p1) == 1);
    CHECK(core::tallyConfusion(counts, t2, p2) == 1);
    CHECK(counts[2][1] == 2);
    CHECK(counts[2][2] == 1);
    const core::Confusion c = core::confusionOf(counts);
    CHECK(c.total == 4);
    CHECK(c.correct == 2);
    CHECK(c.maxMistakes() == 2);
    const std::vector<int> shortList{1};
    const std::vector<int> longList{1, 2};
    core::ConfusionCounts other = core::emptyConfusion();
    CHECK_THROWS_AS(core::tallyConfusion(other, shortList, longList), std::invalid_argument);
}

TEST_CASE("evaluation and the shared matrix agree on real predictions", "[metrics]")
{
    // The bundled model on the first 500 test images: Classifier::evaluate (model.cpp) and
    // confusionOf over predictBatch must give the same matrix.
    const auto model = core::Classifier::bundled();
    const core::MnistSet set = testsupport::testSet().head(500);
    const core::EvalResult r = model->evaluate(set);
    const auto predictions = testsupport::predictFirst(*model, set, set.count);
    std::vector<int> truths, digits;
    for (int i = 0; i < set.count; ++i) {
        truths.push_back(set.labels[std::size_t(i)]);
        digits.push_back(predictions[std::size_t(i)].digit);
    }
    const core::Confusion c = core::confusionOf(truths, digits);
    CHECK(c.counts == r.confusion);
    CHECK(c.correct == r.correct);
    CHECK(c.total == r.total);
    CHECK(c.accuracy() > 0.9);
}

TEST_CASE("percentages and counts read the same in the GUI and the CLI", "[metrics]")
{
    CHECK(core::percentText(0.98765) == QStringLiteral("98.77%"));
    CHECK(core::percentText(1.0) == QStringLiteral("100.00%"));
    CHECK(core::percentText(0.0) == QStringLiteral("0.00%"));
    CHECK(core::epochsText(1) == QStringLiteral("1 epoch"));
    CHECK(core::epochsText(0) == QStringLiteral("0 epochs"));
    CHECK(core::epochsText(15) == QStringLiteral("15 epochs"));
    CHECK(core::countText(2, "1 training thread", "%1 training threads") == QStringLiteral("2 training threads"));
    CHECK(core::countText(1, "1 training thread", "%1 training threads") == QStringLiteral("1 training thread"));
}
