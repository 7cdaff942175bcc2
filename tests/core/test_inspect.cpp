// The Inside view's computations (core/inspect.h), checked against a forward pass written out by
// hand from the exported weights: no LibTorch here.
#include "core/classifier.h"
#include "core/inspect.h"
#include "testsupport.h"

#include <catch2/catch.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <numeric>

namespace {

using core::TensorData;
using Shape = std::vector<std::int64_t>;

std::map<std::string, TensorData> byName(const core::NamedTensors &named)
{
    std::map<std::string, TensorData> m;
    for (const auto &[k, v] : named)
        m[k] = v;
    return m;
}

std::vector<float> testImage(int index)
{
    const auto &set = testsupport::testSet();
    std::vector<float> px(core::kPixels);
    for (int i = 0; i < core::kPixels; ++i)
        px[i] = set.images[std::size_t(index) * core::kPixels + i] / 255.0f;
    return px;
}

/// Valid 2-D convolution (cross-correlation, as PyTorch's Conv2d) of C x H x W by O x C x K x K.
std::vector<float> conv(const std::vector<float> &in, int c, int h, int w, const TensorData &weight, const TensorData &bias)
{
    const int o = int(weight.shape[0]), k = int(weight.shape[2]);
    const int oh = h - k + 1, ow = w - k + 1;
    std::vector<float> out(std::size_t(o) * oh * ow);
    for (int oc = 0; oc < o; ++oc)
        for (int y = 0; y < oh; ++y)
            for (int x = 0; x < ow; ++x) {
                double s = bias.values[oc];
                for (int ic = 0; ic < c; ++ic)
                    for (int ky = 0; ky < k; ++ky)
                        for (int kx = 0; kx < k; ++kx)
                            s += double(weight.values[((oc * c + ic) * k + ky) * k + kx]) * in[(ic * h + y + ky) * w + x + kx];
                out[(oc * oh + y) * ow + x] = float(s);
            }
    return out;
}

/// relu(max_pool 2x2) of C x H x W.
std::vector<float> poolRelu(const std::vector<float> &in, int c, int h, int w)
{
    std::vector<float> out(std::size_t(c) * (h / 2) * (w / 2));
    for (int ch = 0; ch < c; ++ch)
        for (int y = 0; y < h / 2; ++y)
            for (int x = 0; x < w / 2; ++x) {
                float m = -INFINITY;
                for (int dy = 0; dy < 2; ++dy)
                    for (int dx = 0; dx < 2; ++dx)
                        m = std::max(m, in[(ch * h + 2 * y + dy) * w + 2 * x + dx]);
                out[(ch * (h / 2) + y) * (w / 2) + x] = std::max(0.0f, m);
            }
    return out;
}

std::vector<float> linear(const std::vector<float> &in, const TensorData &weight, const TensorData &bias, bool relu)
{
    const int o = int(weight.shape[0]), i = int(weight.shape[1]);
    std::vector<float> out(o);
    for (int r = 0; r < o; ++r) {
        double s = bias.values[r];
        for (int c = 0; c < i; ++c)
            s += double(weight.values[std::size_t(r) * i + c]) * in[c];
        out[r] = relu ? std::max(0.0f, float(s)) : float(s);
    }
    return out;
}

float maxAbsDiff(const std::vector<float> &a, const std::vector<float> &b)
{
    REQUIRE(a.size() == b.size());
    float m = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        m = std::max(m, std::abs(a[i] - b[i]));
    return m;
}

float sum(const TensorData &t) { return std::accumulate(t.values.begin(), t.values.end(), 0.0f); }

} // namespace

TEST_CASE("Inspect: layer and weight shapes", "[inspect]")
{
    const auto model = core::Classifier::bundled();
    const auto px = testImage(0);
    const auto a = core::activations(*model, px.data());
    CHECK(a.input.shape == Shape{1, 28, 28});
    CHECK(a.conv1.shape == Shape{10, 24, 24});
    CHECK(a.pool1.shape == Shape{10, 12, 12});
    CHECK(a.conv2.shape == Shape{20, 8, 8});
    CHECK(a.pool2.shape == Shape{20, 4, 4});
    CHECK(a.fc1.shape == Shape{50});
    CHECK(a.logits.shape == Shape{10});
    CHECK(a.softmax.shape == Shape{10});
    for (const auto *t : {&a.input, &a.conv1, &a.pool1, &a.conv2, &a.pool2, &a.fc1, &a.logits, &a.softmax})
        CHECK(std::int64_t(t->values.size()) == t->numel());

    const auto w = core::weights(*model);
    REQUIRE(w.size() == 8);
    const std::vector<std::pair<std::string, Shape>> expected{
        {"conv1.weight", {10, 1, 5, 5}}, {"conv1.bias", {10}}, {"conv2.weight", {20, 10, 5, 5}}, {"conv2.bias", {20}},
        {"fc1.weight", {50, 320}},       {"fc1.bias", {50}},   {"fc2.weight", {10, 50}},        {"fc2.bias", {10}}};
    for (std::size_t i = 0; i < expected.size(); ++i) {
        CHECK(w[i].first == expected[i].first);
        CHECK(w[i].second.shape == expected[i].second);
        CHECK(std::int64_t(w[i].second.values.size()) == w[i].second.numel());
    }
}

TEST_CASE("Inspect: activations equal a forward pass computed by hand", "[inspect]")
{
    const auto model = core::Classifier::bundled();
    auto w = byName(core::weights(*model));
    for (int index : {0, 1, 7, 1234}) {
        const auto px = testImage(index);
        const auto a = core::activations(*model, px.data());
        const auto c1 = conv(px, 1, 28, 28, w["conv1.weight"], w["conv1.bias"]);
        const auto p1 = poolRelu(c1, 10, 24, 24);
        const auto c2 = conv(p1, 10, 12, 12, w["conv2.weight"], w["conv2.bias"]);
        const auto p2 = poolRelu(c2, 20, 8, 8);
        const auto h = linear(p2, w["fc1.weight"], w["fc1.bias"], true);
        const auto logits = linear(h, w["fc2.weight"], w["fc2.bias"], false);
        CHECK(maxAbsDiff(a.input.values, px) == 0.0f);
        CHECK(maxAbsDiff(a.conv1.values, c1) < 1e-4f);
        CHECK(maxAbsDiff(a.pool1.values, p1) < 1e-4f);
        CHECK(maxAbsDiff(a.conv2.values, c2) < 1e-4f);
        CHECK(maxAbsDiff(a.pool2.values, p2) < 1e-4f);
        CHECK(maxAbsDiff(a.fc1.values, h) < 1e-4f);
        CHECK(maxAbsDiff(a.logits.values, logits) < 1e-4f);
        // Softmax, and the same answer as the classifier's own predict().
        const auto pred = model->predict(px.data());
        for (int k = 0; k < core::kClasses; ++k)
            CHECK(a.softmax.values[k] == Approx(pred.probabilities[k]).margin(1e-6));
        CHECK(sum(a.softmax) == Approx(1.0f).margin(1e-5));
    }
}

TEST_CASE("Inspect: saliency of a blank input is zero", "[inspect]")
{
    const auto model = core::Classifier::bundled();
    const std::vector<float> blank(core::kPixels, 0.0f);
    for (auto method : {core::SaliencyMethod::GradientTimesInput, core::SaliencyMethod::IntegratedGradients})
        for (int digit : {0, 3, 9}) {
            const auto s = core::saliency(*model, blank.data(), digit, method);
            CHECK(s.shape == Shape{28, 28});
            CHECK(std::all_of(s.values.begin(), s.values.end(), [](float v) { return v == 0.0f; }));
        }
    CHECK_THROWS(core::saliency(*model, blank.data(), 10));
}

TEST_CASE("Inspect: integrated gradients add up to the logit's rise from blank", "[inspect]")
{
    // Completeness: the map's total is logit(x) - logit(blank), which is what makes it readable as
    // "evidence for the class"; gradient x input has no such guarantee.
    const auto model = core::Classifier::bundled();
    const std::vector<float> blank(core::kPixels, 0.0f);
    const auto blankLogits = core::activations(*model, blank.data()).logits;
    for (int index : {0, 1, 2}) {
        const auto px = testImage(index);
        const auto a = core::activations(*model, px.data());
        const int digit = testsupport::testSet().labels[index];
        const auto s = core::saliency(*model, px.data(), digit, core::SaliencyMethod::IntegratedGradients);
        const float rise = a.logits.values[digit] - blankLogits.values[digit];
        CHECK(sum(s) == Approx(rise).epsilon(0.03).margin(0.1));
        // Pixels without ink get no attribution (the baseline is the blank image).
        for (int i = 0; i < core::kPixels; ++i)
            if (px[i] == 0.0f)
                CHECK(s.values[i] == 0.0f);
    }
}

TEST_CASE("Inspect: occluding the strokes of a confident digit lowers its probability", "[inspect]")
{
    const auto model = core::Classifier::bundled();
    int checked = 0;
    for (int index = 0; index < 50 && checked < 5; ++index) {
        const auto px = testImage(index);
        const auto pred = model->predict(px.data());
        const int label = testsupport::testSet().labels[index];
        if (pred.digit != label || pred.confidence < 0.99f)
            continue;
        ++checked;
        const auto map = core::occlusion(*model, px.data(), label);
        REQUIRE(map.shape == Shape{28, 28});
        // Somewhere on the strokes, hiding a 5x5 patch costs the class probability (a confident
        // digit is robust: the largest single-patch drop is 0.8% to 50% on these five)...
        float strokeDrop = 0, blankCornerDrop = 0;
        for (int i = 0; i < core::kPixels; ++i)
            if (px[i] > 0.5f)
                strokeDrop = std::max(strokeDrop, map.values[i]);
        // ...while blanking the already blank corner changes nothing.
        blankCornerDrop = std::abs(map.values[0]);
        CHECK(strokeDrop > 1e-3f);
        CHECK(blankCornerDrop < 1e-6f);

        // And the same by hand: blank the stroke pixel with the largest drop's patch, re-predict.
        const int at = int(std::max_element(map.values.begin(), map.values.end()) - map.values.begin());
        auto occluded = px;
        for (int y = at / 28 - 2; y <= at / 28 + 2; ++y)
            for (int x = at % 28 - 2; x <= at % 28 + 2; ++x)
                if (y >= 0 && y < 28 && x >= 0 && x < 28)
                    occluded[y * 28 + x] = 0.0f;
        const auto after = model->predict(occluded.data());
        CHECK(after.probabilities[label] == Approx(pred.probabilities[label] - map.values[at]).margin(1e-4));
        CHECK(after.probabilities[label] < pred.probabilities[label]);
    }
    CHECK(checked == 5);
}

TEST_CASE("Inspect: conv2's receptive field", "[inspect]")
{
    CHECK(core::conv2ReceptiveField(0, 0).size == 14);
    const auto last = core::conv2ReceptiveField(7, 7);
    CHECK(last.left + last.size == 28);
    CHECK(last.top + last.size == 28);
    CHECK(core::conv2ReceptiveField(3, 5).left == 10);
    CHECK(core::conv2ReceptiveField(3, 5).top == 6);
}

TEST_CASE("Inspect: cost of each computation", "[.benchmark][inspect]")
{
    const auto model = core::Classifier::bundled();
    const auto px = testImage(0);
    const std::vector<float> blank(core::kPixels, 0.0f);
    const auto time = [](const char *name, int reps, const auto &fn) {
        fn();
        const auto t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < reps; ++i)
            fn();
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / reps;
        WARN(name << ": " << ms << " ms");
    };
    time("activations", 200, [&] { core::activations(*model, px.data()); });
    time("weights", 200, [&] { core::weights(*model); });
    time("gradient x input", 100, [&] { core::saliency(*model, px.data(), 7, core::SaliencyMethod::GradientTimesInput); });
    time("integrated gradients (32)", 50, [&] { core::saliency(*model, px.data(), 7); });
    time("occlusion", 10, [&] { core::occlusion(*model, px.data(), 7); });
    // Completeness error of integrated gradients against the step count, over 100 test digits.
    const auto blankLogits = core::activations(*model, blank.data()).logits;
    for (int steps : {8, 16, 32, 64}) {
        double worst = 0, mean = 0;
        for (int i = 0; i < 100; ++i) {
            const auto img = testImage(i);
            const int d = testsupport::testSet().labels[i];
            const auto a = core::activations(*model, img.data());
            const auto s = core::saliency(*model, img.data(), d, core::SaliencyMethod::IntegratedGradients, steps);
            const double rise = a.logits.values[d] - blankLogits.values[d];
            const double err = std::abs(sum(s) - rise) / std::max(1e-6, std::abs(rise));
            worst = std::max(worst, err);
            mean += err / 100;
        }
        WARN("IG " << steps << " steps: completeness error mean " << mean * 100 << "% worst " << worst * 100 << "%");
    }
    double gxiMean = 0;
    for (int i = 0; i < 100; ++i) {
        const auto img = testImage(i);
        const int d = testsupport::testSet().labels[i];
        const auto a = core::activations(*model, img.data());
        const auto s = core::saliency(*model, img.data(), d, core::SaliencyMethod::GradientTimesInput);
        const double rise = a.logits.values[d] - blankLogits.values[d];
        gxiMean += std::abs(sum(s) - rise) / std::max(1e-6, std::abs(rise)) / 100;
    }
    WARN("gradient x input: |sum - rise| / rise mean " << gxiMean * 100 << "%");
}
