#include "inspect.h"
#include "classifier.h"
#include "model_p.h"

#include <torch/autograd.h>

#include <stdexcept>

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

void checkDigit(const Classifier &model, int digit)
{
    const auto classes = net(model)->report.layers.back().out.numel();
    if (digit < 0 || digit >= classes)
        throw std::invalid_argument("class must be 0.." + std::to_string(classes - 1));
}

} // namespace

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

LayerActivations activations(const Classifier &model, const float *pixels)
{
    if (!model.network().isTutorial())
        throw std::invalid_argument("The Inside tab draws the tutorial's network only for now; this model is " +
                                    model.network().text().toStdString() + " (Draw, Browse and the exports work for it).");
    const auto layers = layerOutputs(model, pixels);
    // The tutorial's layers: 0 conv1, 2 relu(pool), 3 conv2, 6 relu(pool), 9 relu(fc1), 11 fc2.
    LayerActivations a;
    a.input = toData(inputTensor(pixels)[0]);
    a.conv1 = layers[0].values;
    a.pool1 = layers[2].values;
    a.conv2 = layers[3].values;
    a.pool2 = layers[6].values;
    a.fc1 = layers[9].values;
    a.logits = layers[11].values;
    a.softmax = layers[12].values;
    return a;
}

TensorData logits(const Classifier &model, const float *pixels, int n)
{
    c10::InferenceMode inference;
    if (n <= 0)
        return TensorData{{0, net(model)->report.layers.back().out.numel()}, {}};
    return toData(net(model)->forward(inputTensor(pixels, n)));
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
    checkDigit(model, digit);
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

TensorData occlusion(const Classifier &model, const float *pixels, int digit, int patch)
{
    checkDigit(model, digit);
    if (patch < 1 || patch > kSide)
        throw std::invalid_argument("occlusion patch must be 1..28");
    // One thread: the Inside tab runs this while training may use every core; an OpenMP team
    // here would take cores from the trainer for a map the user can wait a few ms longer for.
    const SingleThread threads;
    c10::InferenceMode inference;
    auto &n = net(model);
    const auto x = inputTensor(pixels);
    // Every pixel's occluded copy in one batch: 784 x 28 x 28 floats (2.4 MB).
    auto batch = x.expand({kPixels, 1, kSide, kSide}).clone();
    auto *b = batch.data_ptr<float>();
    const int before = (patch - 1) / 2;
    for (int y = 0; y < kSide; ++y) {
        for (int xx = 0; xx < kSide; ++xx) {
            float *img = b + std::int64_t(y * kSide + xx) * kPixels;
            for (int py = std::max(0, y - before); py < std::min(kSide, y - before + patch); ++py)
                for (int px = std::max(0, xx - before); px < std::min(kSide, xx - before + patch); ++px)
                    img[py * kSide + px] = 0.0f;
        }
    }
    const float base = torch::softmax(n->forward(x), 1)[0][digit].item<float>();
    const auto probs = torch::softmax(n->forward(batch), 1).select(1, digit);
    return toData((base - probs).view({kSide, kSide}));
}

InputPatch conv2ReceptiveField(int y, int x)
{
    // conv2 (5x5) over pool1 (2x2 of conv1, each 5x5 over the input): (5-1)*2 + 2 + 5 - 1 = 14.
    constexpr int kField = 14;
    return InputPatch{2 * x, 2 * y, kField};
}

} // namespace core
