// The Inside view's computations (core/inspect.h), checked against a forward pass written out by
// hand from the exported weights, and for networks other than the tutorial's (issue 18): every
// layer, the receptive field against a brute-force walk, a convolution unit's terms, saliency and
// occlusion. No LibTorch here.
#include "core/classifier.h"
#include "core/inspect.h"
#include "core/trainer.h"
#include "testsupport.h"

#include <catch2/catch.hpp>
#include <array>
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

/// The tutorial's layers as layerOutputs() gives them (each layer on its own, then the softmax).
struct TutorialLayers {
    TensorData conv1, pool1, conv2, pool2, fc1, logits, softmax;
    explicit TutorialLayers(const std::vector<core::LayerOutput> &o)
    {
        // 1 Conv2d 2 MaxPool2d 3 ReLU 4 Conv2d 5 Dropout2d 6 MaxPool2d 7 ReLU 8 Flatten 9 Linear
        // 10 ReLU 11 Dropout 12 Linear, softmax.
        REQUIRE(o.size() == 13);
        conv1 = o[0].values;
        pool1 = o[2].values;
        conv2 = o[3].values;
        pool2 = o[6].values;
        fc1 = o[9].values;
        logits = o[11].values;
        softmax = o[12].values;
    }
};

/// A model of `text` with fresh random weights (seeded): what the Inside tab shows for a network
/// before it is trained.
std::shared_ptr<const core::Classifier> randomModel(const QString &text, std::uint64_t seed = 5)
{
    core::TrainConfig config = testsupport::smallConfig(600, 300, 1, 1, seed);
    config.network = text;
    return core::Trainer(config).snapshot();
}

/// Not the tutorial: BatchNorm in both forms, LeakyReLU, Tanh, strides, padding, an average pool,
/// two linear layers (14 layers).
const QString kMixed = QStringLiteral("Conv2d(6,3,padding=1) BatchNorm2d LeakyReLU(0.1) Conv2d(8,3,stride=2) Tanh "
                                      "AvgPool2d(2) Conv2d(12,3,padding=2) ReLU MaxPool2d(3,stride=2,padding=1) Flatten "
                                      "Linear(24) BatchNorm1d ReLU Linear(10)");

/// The receptive field the slow way: a 2-D mask of the positions that unit (y, x) of `layer`
/// reads, walked back one layer at a time through every window position by position.
core::InputPatch bruteForceField(const core::NetworkReport &report, int layer, int y, int x)
{
    const auto &out = report.layers[std::size_t(layer)].out;
    std::vector<char> mask(std::size_t(out.height) * out.width, 0);
    mask[std::size_t(y) * out.width + x] = 1;
    for (int i = layer; i >= 0; --i) {
        const auto &r = report.layers[std::size_t(i)];
        const auto kind = r.layer.kind;
        if (kind != core::LayerKind::Conv2d && kind != core::LayerKind::MaxPool2d && kind != core::LayerKind::AvgPool2d)
            continue;
        std::vector<char> in(std::size_t(r.in.height) * r.in.width, 0);
        const int k = r.layer.kernel, s = r.layer.effectiveStride(), p = r.layer.padding;
        for (int oy = 0; oy < r.out.height; ++oy)
            for (int ox = 0; ox < r.out.width; ++ox) {
                if (!mask[std::size_t(oy) * r.out.width + ox])
                    continue;
                for (int ky = 0; ky < k; ++ky)
                    for (int kx = 0; kx < k; ++kx) {
                        const int iy = oy * s - p + ky, ix = ox * s - p + kx;
                        if (iy >= 0 && iy < r.in.height && ix >= 0 && ix < r.in.width)
                            in[std::size_t(iy) * r.in.width + ix] = 1;
                    }
            }
        mask = std::move(in);
    }
    int top = 28, left = 28, bottom = -1, right = -1;
    for (int iy = 0; iy < 28; ++iy)
        for (int ix = 0; ix < 28; ++ix)
            if (mask[std::size_t(iy) * 28 + ix]) {
                top = std::min(top, iy);
                bottom = std::max(bottom, iy);
                left = std::min(left, ix);
                right = std::max(right, ix);
            }
    if (bottom < 0)
        return {};
    return {left, top, right - left + 1, bottom - top + 1};
}

} // namespace

TEST_CASE("Inspect: layer and weight shapes", "[inspect]")
{
    const auto model = core::Classifier::bundled(QStringLiteral("tutorial"));
    const auto px = testImage(0);
    const auto outputs = core::layerOutputs(*model, px.data());
    const TutorialLayers a(outputs);
    CHECK(outputs[0].name == QStringLiteral("1 Conv2d(10,5) 10x24x24"));
    CHECK(outputs[5].name == QStringLiteral("6 MaxPool2d(2) 20x4x4"));
    CHECK(outputs[12].name == QStringLiteral("softmax 10"));
    CHECK(a.conv1.shape == Shape{10, 24, 24});
    CHECK(a.pool1.shape == Shape{10, 12, 12});
    CHECK(a.conv2.shape == Shape{20, 8, 8});
    CHECK(a.pool2.shape == Shape{20, 4, 4});
    CHECK(a.fc1.shape == Shape{50});
    CHECK(a.logits.shape == Shape{10});
    CHECK(a.softmax.shape == Shape{10});
    for (const auto &o : outputs)
        CHECK(std::int64_t(o.values.values.size()) == o.values.numel());

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

TEST_CASE("Inspect: every layer's output equals a forward pass computed by hand", "[inspect]")
{
    const auto model = core::Classifier::bundled(QStringLiteral("tutorial"));
    auto w = byName(core::weights(*model));
    for (int index : {0, 1, 7, 1234}) {
        const auto px = testImage(index);
        const TutorialLayers a(core::layerOutputs(*model, px.data()));
        const auto c1 = conv(px, 1, 28, 28, w["conv1.weight"], w["conv1.bias"]);
        const auto p1 = poolRelu(c1, 10, 24, 24);
        const auto c2 = conv(p1, 10, 12, 12, w["conv2.weight"], w["conv2.bias"]);
        const auto p2 = poolRelu(c2, 20, 8, 8);
        const auto h = linear(p2, w["fc1.weight"], w["fc1.bias"], true);
        const auto logits = linear(h, w["fc2.weight"], w["fc2.bias"], false);
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

TEST_CASE("Inspect: logits of many images are each image's own, in any piece", "[inspect]")
{
    // logits() runs a set in pieces on a team (the exports' --test-logits): 601 images cross two
    // piece boundaries and end in a short piece; each row must be that image's logits alone.
    const auto model = core::Classifier::bundled(QStringLiteral("tutorial"));
    const int n = 601;
    std::vector<float> px(std::size_t(n) * core::kPixels);
    for (int i = 0; i < n; ++i) {
        const auto one = testImage(i);
        std::copy(one.begin(), one.end(), px.begin() + std::ptrdiff_t(i) * core::kPixels);
    }
    const auto all = core::logits(*model, px.data(), n);
    REQUIRE(all.shape == Shape{n, 10});
    REQUIRE(all.values.size() == std::size_t(n) * 10);
    for (int i : {0, 1, 249, 250, 251, 499, 500, 501, 599, 600}) {
        const auto one = core::logits(*model, px.data() + std::ptrdiff_t(i) * core::kPixels, 1);
        for (int k = 0; k < 10; ++k)
            CHECK(all.values[std::size_t(i) * 10 + k] == Approx(one.values[k]).margin(1e-5));
    }
    CHECK(core::logits(*model, px.data(), 0).shape == Shape{0, 10});
}

TEST_CASE("Inspect: saliency of a blank input is zero", "[inspect]")
{
    const auto model = core::Classifier::bundled(QStringLiteral("tutorial"));
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
    const auto model = core::Classifier::bundled(QStringLiteral("tutorial"));
    const std::vector<float> blank(core::kPixels, 0.0f);
    const auto blankLogits = core::logits(*model, blank.data(), 1);
    for (int index : {0, 1, 2}) {
        const auto px = testImage(index);
        const auto logits = core::logits(*model, px.data(), 1);
        const int digit = testsupport::testSet().labels[index];
        const auto s = core::saliency(*model, px.data(), digit, core::SaliencyMethod::IntegratedGradients);
        const float rise = logits.values[digit] - blankLogits.values[digit];
        CHECK(sum(s) == Approx(rise).epsilon(0.03).margin(0.1));
        // Pixels without ink get no attribution (the baseline is the blank image).
        for (int i = 0; i < core::kPixels; ++i)
            if (px[i] == 0.0f)
                CHECK(s.values[i] == 0.0f);
    }
}

TEST_CASE("Inspect: occluding the strokes of a confident digit lowers its probability", "[inspect]")
{
    const auto model = core::Classifier::bundled(QStringLiteral("tutorial"));
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

TEST_CASE("Inspect: the receptive field of the tutorial's conv2", "[inspect]")
{
    // conv2 (5x5) over pool1 (2x2 of conv1, each 5x5 over the input): (5-1)*2 + 2 + 5 - 1 = 14.
    const auto report = core::Network::preset(QStringLiteral("tutorial")).analyze();
    const int conv2 = 3;
    CHECK(core::receptiveField(report, conv2, 0, 0) == core::InputPatch{0, 0, 14, 14});
    CHECK(core::receptiveField(report, conv2, 7, 7) == core::InputPatch{14, 14, 14, 14});
    CHECK(core::receptiveField(report, conv2, 3, 5) == core::InputPatch{10, 6, 14, 14});
    // conv1: its own 5x5 window; after Flatten: the whole image.
    CHECK(core::receptiveField(report, 0, 2, 3) == core::InputPatch{3, 2, 5, 5});
    CHECK(core::receptiveField(report, 8, 0, 0) == core::InputPatch{0, 0, 28, 28});
    CHECK_THROWS_AS(core::receptiveField(report, conv2, 8, 0), std::invalid_argument);
    CHECK_THROWS_AS(core::receptiveField(report, 12, 0, 0), std::invalid_argument);
}

TEST_CASE("Inspect: the receptive field of any layer equals a brute-force walk back", "[inspect]")
{
    // Strides above and below the kernel, padding (up to windows that read only padding),
    // pools with their own strides, element-wise layers in between.
    const QStringList networks{
        core::Network::preset(QStringLiteral("best")).text(),
        core::Network::preset(QStringLiteral("fast")).text(),
        kMixed,
        QStringLiteral("Conv2d(4,3,stride=2,padding=1) MaxPool2d(3,stride=2,padding=1) Conv2d(4,2,stride=3) Flatten Linear(10)"),
        QStringLiteral("Conv2d(4,1,padding=3) Conv2d(4,3,stride=4,padding=2) AvgPool2d(2,stride=1) Dropout2d Flatten Linear(10)"),
        QStringLiteral("MaxPool2d(2,stride=3) Conv2d(3,5,padding=4) BatchNorm2d MaxPool2d(4,stride=2,padding=2) Flatten Linear(10)"),
    };
    int checked = 0;
    for (const QString &text : networks) {
        INFO(text.toStdString());
        const auto report = core::Network::parse(text).analyze();
        for (int layer = 0; layer < int(report.layers.size()); ++layer) {
            const auto &out = report.layers[std::size_t(layer)].out;
            if (out.flat)
                continue;
            for (int y = 0; y < out.height; ++y)
                for (int x = 0; x < out.width; ++x) {
                    INFO("layer " << layer << " unit (" << y << ", " << x << ")");
                    REQUIRE(core::receptiveField(report, layer, y, x) == bruteForceField(report, layer, y, x));
                    ++checked;
                }
        }
    }
    CHECK(checked > 5000); // every unit of every 2-D layer above (8,369 with the presets of issue 17)
    // A unit whose window lies wholly on the padding reads no pixel.
    const auto padded = core::Network::parse(QStringLiteral("Conv2d(2,1,padding=3) Flatten Linear(10)")).analyze();
    CHECK(core::receptiveField(padded, 0, 0, 0) == core::InputPatch{});
    CHECK(core::receptiveField(padded, 0, 3, 4) == core::InputPatch{1, 0, 1, 1});
}

TEST_CASE("Inspect: every layer of a network other than the tutorial's", "[inspect]")
{
    const auto model = randomModel(kMixed);
    const auto report = model->network().analyze();
    REQUIRE(report.layers.size() == 14);
    const auto px = testImage(3);
    const auto outputs = core::layerOutputs(*model, px.data());
    REQUIRE(outputs.size() == 15);
    for (std::size_t i = 0; i < report.layers.size(); ++i) {
        CHECK(outputs[i].name == report.layers[i].name());
        CHECK(outputs[i].values.shape == report.layers[i].out.dims());
    }
    CHECK(outputs[1].name == QStringLiteral("2 BatchNorm2d 6x28x28"));
    CHECK(outputs[14].name == QStringLiteral("softmax 10"));
    // The last layer is the logits, the same as logits().
    CHECK(maxAbsDiff(outputs[13].values.values, core::logits(*model, px.data(), 1).values) < 1e-5f);
}

TEST_CASE("Inspect: a convolution unit is the sum of its windows times its kernels", "[inspect]")
{
    // Padding, stride and many input channels, with the inputs layerOutputs() gives.
    for (const QString &text : {core::Network::preset(QStringLiteral("best")).text(), kMixed}) {
        INFO(text.toStdString());
        const auto model = randomModel(text);
        const auto report = model->network().analyze();
        const auto named = byName(core::weights(*model));
        const auto px = testImage(0);
        const auto outputs = core::layerOutputs(*model, px.data());
        TensorData image{{1, 28, 28}, px};
        int checked = 0;
        for (int layer = 0; layer < int(report.layers.size()); ++layer) {
            const auto &r = report.layers[std::size_t(layer)];
            if (r.layer.kind != core::LayerKind::Conv2d)
                continue;
            const TensorData &input = layer == 0 ? image : outputs[std::size_t(layer - 1)].values;
            const auto &weight = named.at(r.tensors[0].key);
            const auto &bias = named.at(r.tensors[1].key);
            for (const auto &[c, y, x] : {std::array<int, 3>{0, 0, 0}, {r.out.channels - 1, r.out.height - 1, r.out.width - 1},
                                          {r.out.channels / 2, r.out.height / 2, r.out.width / 3}}) {
                const auto unit = core::convolutionUnit(report, layer, input, weight, bias, c, y, x);
                CHECK(unit.terms.size() == std::size_t(r.in.channels));
                CHECK(unit.kernel == r.layer.kernel);
                const float expected = outputs[std::size_t(layer)].values.values[(std::size_t(c) * r.out.height + y) * r.out.width + x];
                CHECK(unit.value() == Approx(expected).margin(1e-4));
                ++checked;
            }
        }
        CHECK(checked >= 9);
        CHECK_THROWS_AS(core::convolutionUnit(report, 1, image, named.begin()->second, {}, 0, 0, 0), std::invalid_argument);
    }
}

TEST_CASE("Inspect: saliency and occlusion for networks other than the tutorial's", "[inspect]")
{
    for (const QString &text : {kMixed, core::Network::preset(QStringLiteral("fast")).text()}) {
        INFO(text.toStdString());
        const auto model = randomModel(text);
        const std::vector<float> blank(core::kPixels, 0.0f);
        const auto px = testImage(1);
        const auto logits = core::logits(*model, px.data(), 1).values;
        const auto blankLogits = core::logits(*model, blank.data(), 1).values;
        for (int cls : {2, 7}) {
            const auto s = core::saliency(*model, px.data(), cls, core::SaliencyMethod::IntegratedGradients, 128);
            REQUIRE(s.shape == Shape{28, 28});
            // Completeness holds for any network: the map adds up to the logit's rise from blank.
            CHECK(sum(s) == Approx(logits[cls] - blankLogits[cls]).epsilon(0.05).margin(0.02));
            const auto g = core::saliency(*model, px.data(), cls, core::SaliencyMethod::GradientTimesInput);
            CHECK(std::any_of(g.values.begin(), g.values.end(), [](float v) { return v != 0.0f; }));
            // Occlusion at one pixel, by hand.
            const auto map = core::occlusion(*model, px.data(), cls);
            REQUIRE(map.shape == Shape{28, 28});
            const auto before = model->predict(px.data()).probabilities[cls];
            for (const int at : {14 * 28 + 14, 5 * 28 + 20}) {
                auto occluded = px;
                for (int y = at / 28 - 2; y <= at / 28 + 2; ++y)
                    for (int x = at % 28 - 2; x <= at % 28 + 2; ++x)
                        occluded[y * 28 + x] = 0.0f;
                CHECK(map.values[at] == Approx(before - model->predict(occluded.data()).probabilities[cls]).margin(1e-4));
            }
        }
        // Every third pixel (as a network too large for every pixel is occluded): each pixel has
        // its tile's centre's value.
        const auto coarse = core::occlusion(*model, px.data(), 7, core::kOcclusionPatch, 3);
        const auto fine = core::occlusion(*model, px.data(), 7, core::kOcclusionPatch, 1);
        for (const auto &[y, x, cy, cx] : {std::array<int, 4>{0, 0, 1, 1}, {13, 17, 13, 16}, {27, 26, 27, 25}})
            CHECK(coarse.values[std::size_t(y * 28 + x)] == Approx(fine.values[std::size_t(cy * 28 + cx)]).margin(1e-5));
        CHECK_THROWS_AS(core::saliency(*model, px.data(), 10), std::invalid_argument);
        CHECK_THROWS_AS(core::occlusion(*model, px.data(), -1), std::invalid_argument);
    }
}

// Issue 16: a wide layer (200 maps of 26x26) took all 784 occluded copies in one batch, 420 MB
// of activations (1.1 GB peak for the Inside tab's map); they go through in chunks now.
TEST_CASE("Inspect: occlusion of a wide network, copy by copy in chunks, matches occluding by hand", "[inspect]")
{
    const QString text = QStringLiteral("Conv2d(200,3) ReLU MaxPool2d(2) Flatten Linear(10)");
    const auto report = core::Network::parse(text).analyze();
    REQUIRE(core::occlusionStride(report.flops) == 1);
    REQUIRE(std::int64_t(core::kPixels) * 200 * 26 * 26 > 8 * core::kOcclusionChunkFloats); // many chunks
    const auto model = randomModel(text);
    const auto px = testImage(0);
    const int cls = model->predict(px.data()).digit;
    const auto map = core::occlusion(*model, px.data(), cls);
    const auto before = model->predict(px.data()).probabilities[cls];
    // The first, a middle and the last copy (the last chunk is a short one).
    for (const int at : {2 * 28 + 2, 14 * 28 + 14, 27 * 28 + 27}) {
        auto occluded = px;
        for (int y = std::max(0, at / 28 - 2); y <= std::min(27, at / 28 + 2); ++y)
            for (int x = std::max(0, at % 28 - 2); x <= std::min(27, at % 28 + 2); ++x)
                occluded[y * 28 + x] = 0.0f;
        CHECK(map.values[at] == Approx(before - model->predict(occluded.data()).probabilities[cls]).margin(1e-4));
    }
}

TEST_CASE("Inspect: occlusion stays within its budget for large networks", "[inspect]")
{
    CHECK(core::occlusionStride(core::Network::preset(QStringLiteral("tutorial")).analyze().flops) == 1);
    CHECK(core::occlusionStride(core::Network::preset(QStringLiteral("fast")).analyze().flops) == 1);
    for (const std::int64_t flops : {std::int64_t(40'550'528), std::int64_t(200'000'000), core::kMaxFlops}) {
        const int s = core::occlusionStride(flops);
        const auto positions = [](int stride) { return std::int64_t((28 + stride - 1) / stride) * ((28 + stride - 1) / stride); };
        CHECK(s > 1);
        CHECK(positions(s) * flops <= core::kOcclusionFlops);
        CHECK(positions(s - 1) * flops > core::kOcclusionFlops);
    }
}

TEST_CASE("Inspect: cost of each computation", "[.benchmark][inspect]")
{
    const auto model = core::Classifier::bundled(QStringLiteral("tutorial"));
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
    time("layer outputs", 200, [&] { core::layerOutputs(*model, px.data()); });
    time("weights", 200, [&] { core::weights(*model); });
    time("gradient x input", 100, [&] { core::saliency(*model, px.data(), 7, core::SaliencyMethod::GradientTimesInput); });
    time("integrated gradients (32)", 50, [&] { core::saliency(*model, px.data(), 7); });
    time("occlusion", 10, [&] { core::occlusion(*model, px.data(), 7); });
    // Completeness error of integrated gradients against the step count, over 100 test digits.
    const auto blankLogits = core::logits(*model, blank.data(), 1);
    for (int steps : {8, 16, 32, 64}) {
        double worst = 0, mean = 0;
        for (int i = 0; i < 100; ++i) {
            const auto img = testImage(i);
            const int d = testsupport::testSet().labels[i];
            const auto logits = core::logits(*model, img.data(), 1);
            const auto s = core::saliency(*model, img.data(), d, core::SaliencyMethod::IntegratedGradients, steps);
            const double rise = logits.values[d] - blankLogits.values[d];
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
        const auto logits = core::logits(*model, img.data(), 1);
        const auto s = core::saliency(*model, img.data(), d, core::SaliencyMethod::GradientTimesInput);
        const double rise = logits.values[d] - blankLogits.values[d];
        gxiMean += std::abs(sum(s) - rise) / std::max(1e-6, std::abs(rise)) / 100;
    }
    WARN("gradient x input: |sum - rise| / rise mean " << gxiMean * 100 << "%");
}

TEST_CASE("Inspect: cost of every layer, saliency and occlusion per preset", "[.benchmark][inspect]")
{
    const auto px = testImage(0);
    for (const QString &preset : core::Network::presetNames()) {
        const auto model = randomModel(core::Network::preset(preset).text());
        const auto median = [](int reps, const auto &fn) {
            std::vector<double> ms;
            for (int i = 0; i < reps; ++i) {
                const auto t0 = std::chrono::steady_clock::now();
                fn();
                ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
            }
            std::sort(ms.begin(), ms.end());
            return ms[ms.size() / 2];
        };
        WARN(preset.toStdString() << ": layer outputs " << median(21, [&] { core::layerOutputs(*model, px.data()); })
                                  << " ms, integrated gradients " << median(5, [&] { core::saliency(*model, px.data(), 7); })
                                  << " ms, gradient x input "
                                  << median(5, [&] { core::saliency(*model, px.data(), 7, core::SaliencyMethod::GradientTimesInput); })
                                  << " ms, occlusion " << median(3, [&] { core::occlusion(*model, px.data(), 7); }) << " ms (medians)");
    }
}
