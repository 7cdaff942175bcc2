// The parallel training step (issue 12): chunked gradients, the work team, reproducibility
// across thread counts and resumes.
#include "core/classifier.h"
#include "core/trainer.h"
#include "core/workteam.h"
#include "testsupport.h"

#include <catch2/catch.hpp>
#include <QElapsedTimer>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <functional>
#include <stdexcept>
#include <thread>

namespace {

core::TrainConfig config(int threads, int epochs = 1, int trainLimit = 2000)
{
    return testsupport::smallConfig(trainLimit, 1000, epochs, threads, 11);
}

/// Largest |a - b| relative to the largest |b| of the same vector.
double relativeDifference(const std::vector<float> &a, const std::vector<float> &b)
{
    REQUIRE(a.size() == b.size());
    double diff = 0, scale = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        diff = std::max(diff, double(std::abs(a[i] - b[i])));
        scale = std::max(scale, double(std::abs(b[i])));
    }
    return scale > 0 ? diff / scale : diff;
}

std::vector<float> probabilitiesOf(const core::Classifier &model, int n)
{
    std::vector<float> pixels(std::size_t(n) * core::kPixels);
    const auto &set = testsupport::testSet();
    for (std::size_t i = 0; i < pixels.size(); ++i)
        pixels[i] = set.images[i] / 255.0f;
    std::vector<float> out;
    for (const auto &p : model.predictBatch(pixels.data(), n))
        out.insert(out.end(), p.probabilities.begin(), p.probabilities.end());
    return out;
}

} // namespace

TEST_CASE("work team: every task runs exactly once and errors reach the caller", "[training]")
{
    for (int size : {1, 2, 5}) {
        std::atomic<int> initialised{0};
        core::WorkTeam team(size, [&](int) { initialised.fetch_add(1); });
        CHECK(team.size() == size);
        CHECK(initialised.load() == size - 1); // the constructor waits for every thread's init
        for (int round = 0; round < 200; ++round) {
            const int tasks = 1 + round % 13;
            std::vector<std::atomic<int>> runs(tasks);
            // Catch2's assertions are not thread-safe: members only count, the test thread checks.
            std::atomic<int> badMember{0};
            team.run(tasks, [&](int t, int member) {
                if (member < 0 || member >= size)
                    badMember.fetch_add(1);
                runs[t].fetch_add(1);
            });
            REQUIRE(badMember.load() == 0);
            for (auto &r : runs)
                REQUIRE(r.load() == 1);
        }
        std::atomic<int> none{0};
        team.run(0, [&](int, int) { none.fetch_add(1); });
        CHECK(none.load() == 0);
        std::atomic<int> ran{0};
        CHECK_THROWS_WITH(team.run(9, [&](int t, int) {
            ran.fetch_add(1);
            if (t == 4)
                throw std::runtime_error("task 4 failed");
        }), "task 4 failed");
        CHECK(ran.load() == 9);
        // Still usable after an error.
        std::atomic<int> after{0};
        team.run(3, [&](int, int) { after.fetch_add(1); });
        CHECK(after.load() == 3);
    }
}

TEST_CASE("chunked parallel gradients equal the full-batch gradient of LibTorch's own operators", "[training][data]")
{
    const auto &train = testsupport::trainSet();
    core::Trainer trainer(config(1));
    // The seed's forward spelled with max_pool2d, relu, linear and the same dropout masks, one
    // pass over the whole batch: what the fused, chunked path must reproduce.
    const auto reference = trainer.batchGradientForTesting(train, 100, 1, true);
    REQUIRE(reference.size() == std::size_t(trainer.parameterCount()));
    double norm = 0;
    for (float g : reference)
        norm += double(g) * g;
    CHECK(norm > 0);
    for (int threads : {1, 2, 3, 7}) {
        INFO("threads " << threads);
        const auto chunked = trainer.batchGradientForTesting(train, 100, threads, false);
        CHECK(relativeDifference(chunked, reference) < 1e-5);
        // Same thread count, same chunks, chunk-ordered sum: bit for bit, whoever ran what.
        CHECK(trainer.batchGradientForTesting(train, 100, threads, false) == chunked);
    }
    // An uneven last chunk (97 images) is weighted by the batch size like the others.
    CHECK(relativeDifference(trainer.batchGradientForTesting(train, 97, 2, false),
                             trainer.batchGradientForTesting(train, 97, 1, true)) < 1e-5);
}

TEST_CASE("same seed and threads give identical weights with a thread team", "[training][data][slow]")
{
    const auto &train = testsupport::trainSet();
    const auto &test = testsupport::testSet();
    core::RunControl control;
    core::Trainer a(config(2)), b(config(2));
    a.run(train, test, control);
    b.run(train, test, control);
    REQUIRE(a.history().size() == 1);
    CHECK(a.history()[0].trainLoss == b.history()[0].trainLoss);
    CHECK(a.history()[0].testLoss == b.history()[0].testLoss);
    CHECK(probabilitiesOf(*a.snapshot(), 20) == probabilitiesOf(*b.snapshot(), 20));
    CHECK(control.batchesDone.load() == 40);
}

TEST_CASE("a resumed two-thread run equals the uninterrupted one", "[training][data][checkpoint]")
{
    const auto &train = testsupport::trainSet();
    const auto &test = testsupport::testSet();
    core::RunControl control;
    core::Trainer straight(config(2, 2));
    straight.run(train, test, control);

    QTemporaryDir dir;
    const auto path = dir.filePath(QStringLiteral("one.pt"));
    {
        core::Trainer first(config(2, 1));
        first.run(train, test, control);
        first.save(path);
    }
    core::Trainer resumed(config(2, 2));
    resumed.load(path);
    resumed.setConfig(config(2, 2));
    resumed.run(train, test, control);
    REQUIRE(resumed.history().size() == 2);
    CHECK(resumed.history()[1].trainLoss == straight.history()[1].trainLoss);
    CHECK(resumed.history()[1].testLoss == straight.history()[1].testLoss);
    CHECK(probabilitiesOf(*resumed.snapshot(), 20) == probabilitiesOf(*straight.snapshot(), 20));
}

TEST_CASE("one and two threads train to nearly the same model", "[training][data][slow]")
{
    // Same data order and dropout masks; only the grouping of the gradient sums differs
    // (one chunk of 100 against two of 50), so the runs drift apart by float rounding only.
    const auto &train = testsupport::trainSet();
    const auto &test = testsupport::testSet();
    core::RunControl control;
    core::Trainer one(config(1)), two(config(2));
    one.run(train, test, control);
    two.run(train, test, control);
    CHECK(two.history()[0].trainLoss == Approx(one.history()[0].trainLoss).epsilon(1e-3));
    CHECK(two.history()[0].testLoss == Approx(one.history()[0].testLoss).epsilon(1e-2));
    CHECK(std::abs(two.history()[0].testAccuracy - one.history()[0].testAccuracy) <= 0.01);
}

TEST_CASE("set prediction and evaluation on the work team match single-image predictions", "[training][data]")
{
    const auto model = core::Classifier::bundled();
    const auto set = testsupport::testSet().head(1234); // several full pieces and a short one
    const auto pixelsOf = [&](int i) {
        std::vector<float> pixels(core::kPixels);
        for (int k = 0; k < core::kPixels; ++k)
            pixels[std::size_t(k)] = set.image(i)[k] / 255.0f;
        return pixels;
    };
    std::vector<int> progress;
    const auto all = model->predictSet(set, 500, [&](int done, int total) {
        CHECK(total == set.count);
        progress.push_back(done);
    });
    REQUIRE(int(all.size()) == set.count);
    REQUIRE_FALSE(progress.empty());
    CHECK(std::is_sorted(progress.begin(), progress.end()));
    CHECK(progress.back() == set.count);
    int correct = 0;
    for (int i = 0; i < set.count; ++i)
        correct += all[std::size_t(i)].digit == set.labels[std::size_t(i)];
    for (int i : {0, 249, 250, 499, 500, 1001, 1233}) {
        INFO("image " << i);
        const auto one = model->predict(pixelsOf(i).data());
        CHECK(all[std::size_t(i)].digit == one.digit);
        CHECK(all[std::size_t(i)].confidence == Approx(one.confidence).margin(1e-5));
    }
    const auto eval = model->evaluate(set, 500);
    CHECK(eval.total == set.count);
    CHECK(eval.correct == correct);
    int diagonal = 0, cells = 0;
    for (int t = 0; t < core::kClasses; ++t)
        for (int p = 0; p < core::kClasses; ++p) {
            cells += eval.confusion[t][p];
            diagonal += t == p ? eval.confusion[t][p] : 0;
        }
    CHECK(cells == set.count);
    CHECK(diagonal == correct);
    // Another piece size sums the same losses in another grouping: equal up to rounding.
    CHECK(model->evaluate(set, 97).loss == Approx(eval.loss).epsilon(1e-6));
    // Cancelled before the first round: nothing predicted, and no claim to have done anything.
    CHECK(model->predictSet(set, 500, {}, [] { return true; }).empty());
}

TEST_CASE("evaluation and set prediction timings", "[.benchmark][training]")
{
    const auto model = core::Classifier::bundled();
    const auto &test = testsupport::testSet();
    const auto median = [](const std::function<void()> &f) {
        std::vector<double> seconds;
        for (int i = 0; i < 5; ++i) {
            QElapsedTimer t;
            t.start();
            f();
            seconds.push_back(t.nsecsElapsed() / 1e9);
        }
        std::sort(seconds.begin(), seconds.end());
        return seconds[2];
    };
    for (int piece : {100, 250}) // larger requests are cut to 250 (kMaxInferencePiece)
        WARN("Classifier::evaluate of " << test.count << " test images in pieces of " << piece << ": median "
                                        << median([&] { (void)model->evaluate(test, piece); }) << " s over 5 runs");
    WARN("Classifier::predictSet in pieces of 500: median " << median([&] { (void)model->predictSet(test, 500); }) << " s over 5 runs");
}

// Issue 18: the Train tab's preview and estimate, torch-free entry points into the trainer.
TEST_CASE("augmentedCopies: the trainer's warp, one stream per copy, reproducible from the seed", "[training][augment]")
{
    std::vector<std::uint8_t> digit(28 * 28, 0);
    for (int y = 6; y < 22; ++y)
        for (int x = 12; x < 16; ++x)
            digit[std::size_t(y * 28 + x)] = 255; // a vertical bar: a "1"
    const core::Augmentation none;
    const auto plain = core::augmentedCopies(digit.data(), 28, 28, none, 4, 1);
    REQUIRE(plain.size() == std::size_t(4 * 784));
    for (std::size_t i = 0; i < plain.size(); ++i)
        REQUIRE(plain[i] == float(digit[i % 784]) / 255.0f);
    core::Augmentation a;
    a.rotation = 30;
    a.translate = 0.1;
    a.scale = 0.1;
    const auto warped = core::augmentedCopies(digit.data(), 28, 28, a, 4, 1);
    CHECK(warped == core::augmentedCopies(digit.data(), 28, 28, a, 4, 1));
    CHECK(warped != core::augmentedCopies(digit.data(), 28, 28, a, 4, 2));
    CHECK_FALSE(std::equal(warped.begin(), warped.begin() + 784, warped.begin() + 784));
    CHECK_FALSE(std::equal(warped.begin(), warped.begin() + 784, plain.begin()));
    for (float v : warped)
        REQUIRE((v >= 0.0f && v <= 1.0f));
}

TEST_CASE("measureTrainingSpeed: images per second of a network, stopped at once when asked", "[training][estimate]")
{
    core::TrainConfig c = core::TrainConfig::preset(QStringLiteral("fast"));
    c.threads = 1;
    core::RunControl control;
    CHECK(core::measureTrainingSpeed(c, control) > 0);
    core::RunControl stopped;
    stopped.stop = true;
    CHECK(core::measureTrainingSpeed(c, stopped) == 0);
    CHECK(stopped.batchesDone == 0);
    c.network = QStringLiteral("Conv2d(8,3) Linear(10)");
    CHECK_THROWS_AS(core::measureTrainingSpeed(c, control), core::ConfigError);
}

// Issue 18: how close the Train tab's estimate is to a real epoch (printed; no assertion on time).
TEST_CASE("epoch estimate against a real epoch, tutorial and fast", "[.benchmark][estimate]")
{
    const core::MnistSet &train = testsupport::trainSet();
    const core::MnistSet &test = testsupport::testSet();
    for (const char *name : {"tutorial", "fast"}) {
        core::TrainConfig c = core::TrainConfig::preset(QString::fromLatin1(name));
        c.epochs = 1;
        c.testLimit = 1000;
        core::RunControl measure;
        const double speed = core::measureTrainingSpeed(c, measure);
        core::Trainer trainer(c);
        core::RunControl control;
        double seconds = 0;
        core::ProgressSink sink;
        sink.epoch = [&seconds](const core::EpochStats &e) { seconds = e.seconds; };
        trainer.run(train, test, control, sink);
        const double estimate = train.count / speed;
        std::printf("%s: estimate %.1f s per epoch (%.0f images/s), real %.1f s, estimate/real %.2f\n", name, estimate,
                    speed, seconds, estimate / seconds);
        CHECK(seconds > 0);
    }
}
