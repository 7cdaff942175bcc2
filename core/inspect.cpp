#include "inspect.h"
#include "classifier.h"
#include "model_p.h"

#include <torch/autograd.h>

#include <algorithm>
#include <stdexcept>
#include <string>

namespace core {

namespace F = torch::nn::functional;

namespace {

/// Inspecting one image is too small to split across threads; on a machine that trains next
/// door an OpenMP team would only spin. Sets this thread's count for a scope.
class SingleThread {
public:
    SingleThread() : m_saved(at::get_num_threads()) { at::set_num_threads(1); }
    ~SingleThread() { at::set_num_threads(m_saved); }

private:
    int m_saved;
};

TensorData toData(const torch::Tensor &t)
{
    const auto c = t.detach().to(torch::kFloat32).contiguous();
    TensorData out;
    out.shape.assign(c.sizes().begin(), c.sizes().end());
    out.values.assign(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
    return out;
}

torch::Tensor inputTensor(const float *pixels, int n = 1)
{
    // A copy: callers' buffers are const, and autograd may keep a reference to its input.
    return torch::from_blob(const_cast<float *>(pixels), {n, 1, kSide, kSide}, torch::kFloat32).clone();
}

detail::Net &net(const Classifier &model)
{
    // The Impl's net is in eval mode and never changes after construction; forward() only reads.
    return const_cast<detail::Net &>(model.impl().net);
}

/// The network's class count: its last layer's features.
int classCount(const Classifier &model)
{
    return model.impl().net->report.layers.back().out.channels;
}

void checkClass(const Classifier &model, int cls)
{
    const int classes = classCount(model);
    if (cls < 0 || cls >= classes)
        throw std::invalid_argument("class must be 0.." + std::to_string(classes - 1));
}

bool isWindowed(LayerKind kind)
{
    return kind == LayerKind::Conv2d || kind == LayerKind::MaxPool2d || kind == LayerKind::AvgPool2d;
}

/// The input positions (along one axis of `inSize`) that the marked output positions read
/// through a window of `kernel` at `stride` with `padding`.
std::vector<char> readPositions(const std::vector<char> &out, int inSize, int kernel, int stride, int padding)
{
    std::vector<char> in(std::size_t(inSize), 0);
    for (int o = 0; o < int(out.size()); ++o)
        if (out[std::size_t(o)])
            for (int i = std::max(0, o * stride - padding); i < std::min(inSize, o * stride - padding + kernel); ++i)
                in[std::size_t(i)] = 1;
    return in;
}

/// [first, last + 1) of the marked positions; {0, 0} when none is.
std::pair<int, int> span(const std::vector<char> &marked)
{
    const auto first = std::find(marked.begin(), marked.end(), 1);
    if (first == marked.end())
        return {0, 0};
    const auto last = std::find(marked.rbegin(), marked.rend(), 1);
    return {int(first - marked.begin()), int(marked.rend() - last)};
}

} // namespace

NetworkReport networkReport(const Classifier &model)
{
    return model.impl().net->report;
}

std::vector<LayerOutput> layerOutputs(const Classifier &model, const float *pixels)
{
    const SingleThread threads;
    c10::InferenceMode inference;
    auto &n = net(model);
    const auto outputs = n->layerOutputs(inputTensor(pixels));
    std::vector<LayerOutput> out;
    out.reserve(outputs.size() + 1);
    for (std::size_t i = 0; i < outputs.size(); ++i)
        out.push_back({n->report.layers[i].name(), n->report.layers[i].layer, toData(outputs[i][0])});
    const auto probs = torch::softmax(outputs.back(), 1)[0];
    out.push_back({QStringLiteral("softmax %1").arg(probs.size(0)), Layer{}, toData(probs)});
    return out;
}

TensorData logits(const Classifier &model, const float *pixels, int n)
{
    const int classes = classCount(model);
    TensorData out{{n > 0 ? n : 0, classes}, {}};
    if (n <= 0)
        return out;
    // In pieces on a set team, as evaluate() does: one forward pass of the 10,000 test images
    // through `best` held ~1 GB of activations and took 6 s of CPU, in pieces 2 s.
    out.values.resize(std::size_t(n) * std::size_t(classes));
    const int piece = detail::kMaxInferencePiece;
    const int pieces = (n + piece - 1) / piece;
    const auto runPiece = [&](int task, int) {
        c10::InferenceMode inference;
        const int first = task * piece, count = std::min(piece, n - first);
        const auto x = torch::from_blob(const_cast<float *>(pixels) + std::ptrdiff_t(first) * kPixels,
                                        {count, 1, kSide, kSide}, torch::kFloat32);
        const auto y = net(model)->forward(x).to(torch::kFloat32).contiguous();
        std::copy(y.data_ptr<float>(), y.data_ptr<float>() + y.numel(), out.values.begin() + std::ptrdiff_t(first) * classes);
    };
    if (pieces == 1) { // a few images: not worth starting a team's threads
        const SingleThread threads;
        runPiece(0, 0);
    } else {
        detail::SetTeam team;
        team.team().run(pieces, runPiece);
    }
    return out;
}

NamedTensors weights(const Classifier &model)
{
    NamedTensors out;
    for (const auto &[key, value] : detail::stateDict(net(model)))
        if (value.scalar_type() == torch::kFloat32)
            out.emplace_back(key, toData(value));
    return out;
}

TensorData saliency(const Classifier &model, const float *pixels, int digit, SaliencyMethod method, int steps)
{
    checkClass(model, digit);
    const SingleThread threads;
    auto &n = net(model);
    const auto x = inputTensor(pixels);
    torch::Tensor path;
    if (method == SaliencyMethod::GradientTimesInput) {
        path = x.clone();
    } else {
        // Midpoint Riemann sum along the straight line from the blank image to x, as one batch.
        steps = std::max(1, steps);
        const auto alphas = (torch::arange(steps, torch::kFloat32) + 0.5f).div(float(steps)).view({steps, 1, 1, 1});
        path = alphas * x;
    }
    path.set_requires_grad(true);
    const auto score = n->forward(path).select(1, digit).sum();
    // autograd::grad with explicit inputs leaves the parameters' .grad alone: concurrent callers
    // on the same snapshot never write shared state.
    const auto grad = torch::autograd::grad({score}, {path})[0];
    const auto meanGrad = grad.mean(0, /*keepdim=*/true);
    return toData((meanGrad * x)[0][0]);
}

int occlusionStride(std::int64_t flopsPerImage)
{
    for (int stride = 1; stride < kSide; ++stride) {
        const std::int64_t positions = std::int64_t((kSide + stride - 1) / stride) * ((kSide + stride - 1) / stride);
        if (positions * flopsPerImage <= kOcclusionFlops)
            return stride;
    }
    return kSide;
}

TensorData occlusion(const Classifier &model, const float *pixels, int digit, int patch, int stride)
{
    checkClass(model, digit);
    if (patch < 1 || patch > kSide)
        throw std::invalid_argument("occlusion patch must be 1..28");
    if (stride < 0 || stride > kSide)
        throw std::invalid_argument("occlusion stride must be 0..28");
    auto &n = net(model);
    if (stride == 0)
        stride = occlusionStride(n->report.flops);
    // One thread: the Inside tab runs this while training may use every core; an OpenMP team
    // here would take cores from the trainer for a map the user can wait a few ms longer for.
    const SingleThread threads;
    c10::InferenceMode inference;
    const auto x = inputTensor(pixels);
    // The centre of each stride x stride tile (the last tile may be cut by the border).
    std::vector<int> centres;
    for (int t = 0; t < kSide; t += stride)
        centres.push_back(std::min(t + (stride - 1) / 2, kSide - 1));
    const int side = int(centres.size());
    // Every position's occluded copy in one batch (stride 1: 784 x 28 x 28 floats, 2.4 MB).
    auto batch = x.expand({side * side, 1, kSide, kSide}).clone();
    auto *b = batch.data_ptr<float>();
    const int before = (patch - 1) / 2;
    for (int i = 0; i < side; ++i) {
        for (int j = 0; j < side; ++j) {
            const int y = centres[std::size_t(i)], xx = centres[std::size_t(j)];
            float *img = b + std::int64_t(i * side + j) * kPixels;
            for (int py = std::max(0, y - before); py < std::min(kSide, y - before + patch); ++py)
                for (int px = std::max(0, xx - before); px < std::min(kSide, xx - before + patch); ++px)
                    img[py * kSide + px] = 0.0f;
        }
    }
    const float base = torch::softmax(n->forward(x), 1)[0][digit].item<float>();
    // Forward in chunks: all 784 copies at once through a wide layer (200 maps of 26x26) held
    // 420 MB of activations, and faulting in that memory cost more than the arithmetic. A chunk's
    // largest layer output stays within kOcclusionChunkFloats (the tutorial's 784 copies: one chunk).
    std::int64_t widest = 1;
    for (const auto &layer : n->report.layers)
        widest = std::max(widest, layer.out.numel());
    const std::int64_t count = std::int64_t(side) * side;
    const std::int64_t chunk = std::clamp<std::int64_t>(kOcclusionChunkFloats / widest, 1, count);
    std::vector<torch::Tensor> probabilities;
    for (std::int64_t start = 0; start < count; start += chunk)
        probabilities.push_back(torch::softmax(n->forward(batch.narrow(0, start, std::min(chunk, count - start))), 1).select(1, digit));
    const auto drops = (base - torch::cat(probabilities)).contiguous();
    TensorData out{{kSide, kSide}, std::vector<float>(std::size_t(kPixels))};
    const float *d = drops.data_ptr<float>();
    for (int y = 0; y < kSide; ++y)
        for (int xx = 0; xx < kSide; ++xx)
            out.values[std::size_t(y * kSide + xx)] = d[(y / stride) * side + xx / stride];
    return out;
}

InputPatch receptiveField(const NetworkReport &report, int layer, int y, int x)
{
    if (layer < 0 || layer >= int(report.layers.size()))
        throw std::invalid_argument("receptiveField: no layer " + std::to_string(layer));
    const Shape &out = report.layers[std::size_t(layer)].out;
    const Shape &in = report.input;
    if (out.flat)
        return {0, 0, in.width, in.height};
    if (y < 0 || y >= out.height || x < 0 || x >= out.width)
        throw std::invalid_argument("receptiveField: no unit (" + std::to_string(y) + ", " + std::to_string(x) + ") in " +
                                    out.text().toStdString());
    // A window is a row range times a column range, so rows and columns go back on their own.
    std::vector<char> rows(std::size_t(out.height), 0), columns(std::size_t(out.width), 0);
    rows[std::size_t(y)] = 1;
    columns[std::size_t(x)] = 1;
    for (int i = layer; i >= 0; --i) {
        const LayerReport &r = report.layers[std::size_t(i)];
        if (!isWindowed(r.layer.kind))
            continue; // element-wise: the same positions
        const int k = r.layer.kernel, s = r.layer.effectiveStride(), p = r.layer.padding;
        rows = readPositions(rows, r.in.height, k, s, p);
        columns = readPositions(columns, r.in.width, k, s, p);
    }
    const auto [top, bottom] = span(rows);
    const auto [left, right] = span(columns);
    if (bottom == top || right == left)
        return {}; // every window on padding: the unit reads no pixel
    return {left, top, right - left, bottom - top};
}

float ConvolutionUnit::value() const
{
    float sum = bias;
    for (const auto &t : terms)
        sum += t.contribution;
    return sum;
}

ConvolutionUnit convolutionUnit(const NetworkReport &report, int layer, const TensorData &input, const TensorData &weight,
                                const TensorData &bias, int channel, int y, int x)
{
    if (layer < 0 || layer >= int(report.layers.size()) || report.layers[std::size_t(layer)].layer.kind != LayerKind::Conv2d)
        throw std::invalid_argument("convolutionUnit: layer " + std::to_string(layer) + " is no Conv2d");
    const LayerReport &r = report.layers[std::size_t(layer)];
    const int k = r.layer.kernel, s = r.layer.effectiveStride(), p = r.layer.padding;
    const int cin = r.in.channels, h = r.in.height, w = r.in.width;
    if (input.values.size() != std::size_t(r.in.numel()) || weight.values.size() != std::size_t(r.out.channels) * cin * k * k ||
        (!bias.values.empty() && bias.values.size() != std::size_t(r.out.channels)))
        throw std::invalid_argument("convolutionUnit: the tensors do not fit " + r.name().toStdString());
    if (channel < 0 || channel >= r.out.channels || y < 0 || y >= r.out.height || x < 0 || x >= r.out.width)
        throw std::invalid_argument("convolutionUnit: no unit there in " + r.name().toStdString());
    ConvolutionUnit unit;
    unit.kernel = k;
    unit.bias = bias.values.empty() ? 0.0f : bias.values[std::size_t(channel)];
    unit.terms.reserve(std::size_t(cin));
    for (int c = 0; c < cin; ++c) {
        ConvolutionTerm t;
        t.channel = c;
        t.window.assign(std::size_t(k) * k, 0.0f);
        const float *kernel = weight.values.data() + (std::size_t(channel) * cin + c) * k * k;
        t.kernel.assign(kernel, kernel + std::size_t(k) * k);
        double sum = 0;
        for (int ky = 0; ky < k; ++ky)
            for (int kx = 0; kx < k; ++kx) {
                const int iy = y * s - p + ky, ix = x * s - p + kx;
                if (iy < 0 || iy >= h || ix < 0 || ix >= w)
                    continue; // zero padding
                const float v = input.values[(std::size_t(c) * h + iy) * w + ix];
                t.window[std::size_t(ky) * k + kx] = v;
                sum += double(v) * kernel[ky * k + kx];
            }
        t.contribution = float(sum);
        unit.terms.push_back(std::move(t));
    }
    return unit;
}

} // namespace core
