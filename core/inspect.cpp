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

detail::SeedNet &net(const Classifier &model)
{
    // The Impl's net is in eval mode and never changes after construction; forward() only reads.
    return const_cast<detail::SeedNet &>(model.impl().net);
}

void checkDigit(int digit)
{
    if (digit < 0 || digit >= kClasses)
        throw std::invalid_argument("digit must be 0..9");
}

} // namespace

LayerActivations activations(const Classifier &model, const float *pixels)
{
    const SingleThread threads;
    c10::InferenceMode inference;
    auto &n = net(model);
    const auto x = inputTensor(pixels);
    const auto c1 = n->conv1->forward(x);
    const auto p1 = torch::relu(F::max_pool2d(c1, F::MaxPool2dFuncOptions(2)));
    const auto c2 = n->conv2->forward(p1);
    const auto p2 = torch::relu(F::max_pool2d(c2, F::MaxPool2dFuncOptions(2)));
    const auto h = torch::relu(n->fc1->forward(p2.view({1, 320})));
    const auto logits = n->fc2->forward(h);
    LayerActivations a;
    a.input = toData(x[0]);
    a.conv1 = toData(c1[0]);
    a.pool1 = toData(p1[0]);
    a.conv2 = toData(c2[0]);
    a.pool2 = toData(p2[0]);
    a.fc1 = toData(h[0]);
    a.logits = toData(logits[0]);
    a.softmax = toData(torch::softmax(logits, 1)[0]);
    return a;
}

TensorData logits(const Classifier &model, const float *pixels, int n)
{
    c10::InferenceMode inference;
    if (n <= 0)
        return TensorData{{0, kClasses}, {}};
    return toData(net(model)->forward(inputTensor(pixels, n)));
}

NamedTensors weights(const Classifier &model)
{
    NamedTensors out;
    for (const auto &p : net(model)->named_parameters())
        out.emplace_back(p.key(), toData(p.value()));
    return out;
}

TensorData saliency(const Classifier &model, const float *pixels, int digit, SaliencyMethod method, int steps)
{
    checkDigit(digit);
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
    checkDigit(digit);
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
