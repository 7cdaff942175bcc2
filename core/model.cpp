// The seed model, its evaluation, and the checkpoint format (docs/checkpoint-format.md).
#include "model_p.h"
#include "checkpointreader.h"
#include "error.h"
#include "mnist.h"
#include "metrics.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSaveFile>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <ATen/Parallel.h>
#include <torch/autograd.h>
#include <algorithm>
#include <cmath>
#include <set>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace core::detail {

namespace F = torch::nn::functional;

SeedNetImpl::SeedNetImpl()
{
    // Registration order = state_dict order of the PyTorch seed: conv1, conv2, fc1, fc2.
    conv1 = register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 10, 5)));
    conv2 = register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(10, 20, 5)));
    conv2_drop = register_module("conv2_drop", torch::nn::Dropout2d(torch::nn::Dropout2dOptions(0.5)));
    fc1 = register_module("fc1", torch::nn::Linear(320, 50));
    fc2 = register_module("fc2", torch::nn::Linear(50, 10));
}

torch::Tensor SeedNetImpl::forward(torch::Tensor x)
{
    x = poolRelu(conv1->forward(x));
    x = poolRelu(conv2_drop->forward(conv2->forward(x)));
    x = torch::relu(fc1AsConv(x));
    x = F::dropout(x, F::DropoutFuncOptions().p(0.5).training(is_training()));
    return fc2->forward(x);
}

torch::Tensor SeedNetImpl::fc1AsConv(const torch::Tensor &x)
{
    // fc1 on the [N,20,4,4] map as a 4x4 convolution with the same weights viewed [50,20,4,4]:
    // the same products and sums as x.view(-1, 320) @ fc1.weight^T, run by oneDNN's kernels
    // instead of Debian's reference BLAS (docs/benchmarks.md).
    const auto w = fc1->weight.view({fc1->weight.size(0), x.size(1), x.size(2), x.size(3)});
    return F::conv2d(x, w, F::Conv2dFuncOptions().bias(fc1->bias)).view({x.size(0), -1});
}

torch::Tensor SeedNetImpl::forward(torch::Tensor x, const torch::Tensor &channelMask, const torch::Tensor &unitMask)
{
    x = poolRelu(conv1->forward(x));
    // Dropout2d before the pool: relu(maxpool(x * m)) == relu(maxpool(x)) * m for m >= 0, fused.
    // Channels-last input: oneDNN's backward kernels for conv2 are ~2.5x faster on it.
    x = poolRelu(conv2->forward(x.contiguous(at::MemoryFormat::ChannelsLast)), channelMask);
    x = torch::relu(fc1AsConv(x)) * unitMask;
    return fc2->forward(x);
}

namespace {

/// Marks an output whose gradient is zero (ReLU cut it off, or its channel was dropped).
constexpr std::uint8_t kNoGradient = 4;

/// One window of the pool, scalar. ATen's comparison: a later value wins if greater or NaN, so
/// ties go to the first in row-major order. Returns the output; *at = winner or kNoGradient.
inline float poolWindow(float a, float b, float c, float d, float f, std::uint8_t *at)
{
    float m = a;
    std::uint8_t k = 0;
    if (b > m || std::isnan(b)) { m = b; k = 1; }
    if (c > m || std::isnan(c)) { m = c; k = 2; }
    if (d > m || std::isnan(d)) { m = d; k = 3; }
    const bool live = (m > 0.0f || std::isnan(m)) && f != 0.0f;
    *at = live ? k : kNoGradient;
    return live ? m * f : 0.0f;
}

#if defined(__SSE2__)
/// Lanes of t from x, the others from y (SSE2 has no blend).
inline __m128 pick(__m128 t, __m128 x, __m128 y) { return _mm_or_ps(_mm_and_ps(t, x), _mm_andnot_ps(t, y)); }
inline __m128 winsOver(__m128 v, __m128 m) { return _mm_or_ps(_mm_cmpgt_ps(v, m), _mm_cmpunord_ps(v, v)); }
#endif

/// One plane of the pool, four windows at a time with SSE2 (part of every x86-64 CPU): the
/// scalar loop costs more than the convolutions around it.
void poolPlane(const float *in, float *out, std::uint8_t *which, std::int64_t oh, std::int64_t ow, std::int64_t w, float f)
{
    for (std::int64_t i = 0; i < oh; ++i) {
        const float *r0 = in + 2 * i * w, *r1 = r0 + w;
        float *o = out + i * ow;
        std::uint8_t *k = which + i * ow;
        std::int64_t j = 0;
#if defined(__SSE2__)
        const __m128 scale = _mm_set1_ps(f), zero = _mm_setzero_ps();
        const __m128 scaleLive = f != 0.0f ? _mm_castsi128_ps(_mm_set1_epi32(-1)) : zero;
        for (; j + 4 <= ow; j += 4) {
            const __m128 x0 = _mm_loadu_ps(r0 + 2 * j), x1 = _mm_loadu_ps(r0 + 2 * j + 4);
            const __m128 y0 = _mm_loadu_ps(r1 + 2 * j), y1 = _mm_loadu_ps(r1 + 2 * j + 4);
            const __m128 a = _mm_shuffle_ps(x0, x1, _MM_SHUFFLE(2, 0, 2, 0));
            const __m128 b = _mm_shuffle_ps(x0, x1, _MM_SHUFFLE(3, 1, 3, 1));
            const __m128 c = _mm_shuffle_ps(y0, y1, _MM_SHUFFLE(2, 0, 2, 0));
            const __m128 d = _mm_shuffle_ps(y0, y1, _MM_SHUFFLE(3, 1, 3, 1));
            __m128 m = a, at = zero;
            __m128 t = winsOver(b, m);
            m = pick(t, b, m);
            at = pick(t, _mm_castsi128_ps(_mm_set1_epi32(1)), at);
            t = winsOver(c, m);
            m = pick(t, c, m);
            at = pick(t, _mm_castsi128_ps(_mm_set1_epi32(2)), at);
            t = winsOver(d, m);
            m = pick(t, d, m);
            at = pick(t, _mm_castsi128_ps(_mm_set1_epi32(3)), at);
            const __m128 live = _mm_and_ps(winsOver(m, zero), scaleLive);
            _mm_storeu_ps(o + j, _mm_and_ps(live, _mm_mul_ps(m, scale)));
            const __m128i code = _mm_castps_si128(pick(live, at, _mm_castsi128_ps(_mm_set1_epi32(kNoGradient))));
            const __m128i bytes = _mm_packus_epi16(_mm_packs_epi32(code, code), _mm_setzero_si128());
            const int packed = _mm_cvtsi128_si32(bytes);
            std::memcpy(k + j, &packed, 4);
        }
#endif
        for (; j < ow; ++j)
            o[j] = poolWindow(r0[2 * j], r0[2 * j + 1], r1[2 * j], r1[2 * j + 1], f, k + j);
    }
}

/// The pool's backward for one plane: each window gets its output's gradient (times the scale)
/// at the winning position and zeros elsewhere; every input element is written once.
void unpoolPlane(const float *grad, const std::uint8_t *which, float *gin, std::int64_t oh, std::int64_t ow, std::int64_t w, float f)
{
    for (std::int64_t i = 0; i < oh; ++i) {
        float *r0 = gin + 2 * i * w, *r1 = r0 + w;
        const float *g = grad + i * ow;
        const std::uint8_t *k = which + i * ow;
        std::int64_t j = 0;
#if defined(__SSE2__)
        const __m128 scale = _mm_set1_ps(f);
        for (; j + 4 <= ow; j += 4) {
            const __m128 v = _mm_mul_ps(_mm_loadu_ps(g + j), scale);
            int packed;
            std::memcpy(&packed, k + j, 4);
            const __m128i z = _mm_setzero_si128();
            const __m128i code = _mm_unpacklo_epi16(_mm_unpacklo_epi8(_mm_cvtsi32_si128(packed), z), z);
            const __m128 e0 = _mm_and_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(code, _mm_set1_epi32(0))), v);
            const __m128 e1 = _mm_and_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(code, _mm_set1_epi32(1))), v);
            const __m128 e2 = _mm_and_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(code, _mm_set1_epi32(2))), v);
            const __m128 e3 = _mm_and_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(code, _mm_set1_epi32(3))), v);
            _mm_storeu_ps(r0 + 2 * j, _mm_unpacklo_ps(e0, e1));
            _mm_storeu_ps(r0 + 2 * j + 4, _mm_unpackhi_ps(e0, e1));
            _mm_storeu_ps(r1 + 2 * j, _mm_unpacklo_ps(e2, e3));
            _mm_storeu_ps(r1 + 2 * j + 4, _mm_unpackhi_ps(e2, e3));
        }
#endif
        for (; j < ow; ++j) {
            const float v = k[j] == kNoGradient ? 0.0f : g[j] * f;
            r0[2 * j] = k[j] == 0 ? v : 0.0f;
            r0[2 * j + 1] = k[j] == 1 ? v : 0.0f;
            r1[2 * j] = k[j] == 2 ? v : 0.0f;
            r1[2 * j + 1] = k[j] == 3 ? v : 0.0f;
        }
    }
}

/// relu(max_pool2d(x, 2)) [* scale per (n, c)] as one autograd node. LibTorch 1.13's CPU
/// max_pool2d_with_indices costs ~3x a whole convolution on these shapes (docs/benchmarks.md);
/// this is a plain loop with the same results: the first maximum of each window in row-major
/// order wins (NaN wins, as in ATen), ReLU keeps NaN, and the gradient goes to that one input.
struct PoolReluFunction : torch::autograd::Function<PoolReluFunction> {
    static torch::Tensor forward(torch::autograd::AutogradContext *ctx, const torch::Tensor &input, const torch::Tensor &scale)
    {
        TORCH_CHECK(input.dim() == 4 && input.scalar_type() == torch::kFloat32 && input.size(2) % 2 == 0 && input.size(3) % 2 == 0,
                    "poolRelu expects float [N,C,H,W] with even H and W");
        const auto x = input.contiguous();
        const std::int64_t planes = x.size(0) * x.size(1), h = x.size(2), w = x.size(3), oh = h / 2, ow = w / 2;
        const bool scaled = scale.numel() > 0;
        TORCH_CHECK(!scaled || scale.numel() == planes, "poolRelu: one scale per (sample, channel)");
        const auto s = scaled ? scale.contiguous() : scale;
        auto out = torch::empty({x.size(0), x.size(1), oh, ow}, x.options());
        auto which = torch::empty({x.size(0), x.size(1), oh, ow}, x.options().dtype(torch::kUInt8));
        const float *in = x.data_ptr<float>();
        const float *sp = scaled ? s.data_ptr<float>() : nullptr;
        float *o = out.data_ptr<float>();
        std::uint8_t *k = which.data_ptr<std::uint8_t>();
        for (std::int64_t p = 0; p < planes; ++p)
            poolPlane(in + p * h * w, o + p * oh * ow, k + p * oh * ow, oh, ow, w, scaled ? sp[p] : 1.0f);
        ctx->save_for_backward({which, s});
        ctx->saved_data["h"] = h;
        ctx->saved_data["w"] = w;
        return out;
    }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext *ctx, torch::autograd::variable_list grads)
    {
        const auto saved = ctx->get_saved_variables();
        const auto &which = saved[0];
        const auto &s = saved[1];
        const std::int64_t h = ctx->saved_data["h"].toInt(), w = ctx->saved_data["w"].toInt(), oh = h / 2, ow = w / 2;
        const auto g = grads[0].contiguous();
        auto gin = torch::empty({which.size(0), which.size(1), h, w}, g.options());
        const std::int64_t planes = which.size(0) * which.size(1);
        const bool scaled = s.numel() > 0;
        const float *gp = g.data_ptr<float>();
        const float *sp = scaled ? s.data_ptr<float>() : nullptr;
        const std::uint8_t *k = which.data_ptr<std::uint8_t>();
        float *gi = gin.data_ptr<float>();
        for (std::int64_t p = 0; p < planes; ++p)
            unpoolPlane(gp + p * oh * ow, k + p * oh * ow, gi + p * h * w, oh, ow, w, scaled ? sp[p] : 1.0f);
        return {gin, torch::Tensor()};
    }
};

} // namespace

torch::Tensor poolRelu(const torch::Tensor &x, const torch::Tensor &scale)
{
    return PoolReluFunction::apply(x, scale.defined() ? scale : torch::Tensor(torch::empty({0}, x.options())));
}

QString torchMessage(const std::exception &e)
{
    // c10::Error::what() carries a multi-line backtrace; what_without_backtrace() is the message.
    if (auto *c10e = dynamic_cast<const c10::Error *>(&e))
        return QString::fromStdString(c10e->what_without_backtrace()).section(QLatin1Char('\n'), 0, 0);
    return QString::fromUtf8(e.what()).section(QLatin1Char('\n'), 0, 0);
}

namespace {

using Kind = CheckpointError::Kind;

QJsonObject infoToJson(const CheckpointInfo &info)
{
    QJsonArray history;
    for (const auto &e : info.history)
        history.append(e.toJson());
    return QJsonObject{
        {QStringLiteral("epochs_done"), info.epochsDone},
        {QStringLiteral("partial_batches"), info.partialBatches}, // a stopped epoch's batches (issue 9)
        {QStringLiteral("config"), info.config.toJson()},
        {QStringLiteral("history"), history},
        {QStringLiteral("mnist_train_md5"), info.mnistTrainChecksum},
        {QStringLiteral("mnist_test_md5"), info.mnistTestChecksum},
        {QStringLiteral("created"), info.created},
        {QStringLiteral("app_version"), info.appVersion},
    };
}

/// A validated torch-free tensor as a LibTorch float32 tensor of the same shape (owning its data).
torch::Tensor toTorch(const TensorData &t)
{
    return torch::from_blob(const_cast<float *>(t.values.data()), t.shape, torch::kFloat32).clone();
}

/// The strict reader's result as LibTorch tensors; everything was checked before this point.
CheckpointData toCheckpointData(CheckpointContents contents)
{
    CheckpointData data;
    data.info = std::move(contents.info);
    for (auto &[name, tensor] : contents.weights) {
        data.weights[name] = toTorch(tensor);
        tensor.values = {}; // keep the peak near one copy of the weights
    }
    for (auto &[name, m] : contents.optimizer) {
        AdamMoments am;
        am.step = m.step;
        am.expAvg = toTorch(m.expAvg);
        am.expAvgSq = toTorch(m.expAvgSq);
        data.optimizer[name] = std::move(am);
    }
    return data;
}

} // namespace

// LibTorch's unpickler is never used to read: it is not hardened for untrusted input (it crashed
// on crafted files). checkpointreader.cpp reads and validates; this only converts.
CheckpointData parseCheckpoint(const std::vector<char> &bytes, const QString &file)
{
    return toCheckpointData(parseCheckpointBytes(std::vector<unsigned char>(bytes.begin(), bytes.end()), file));
}

CheckpointData readCheckpoint(const QString &path)
{
    return toCheckpointData(readCheckpointFile(path));
}

std::vector<char> serializeCheckpoint(SeedNet &net, torch::optim::Adam *optimizer, const CheckpointInfo &info)
{
    c10::Dict<std::string, torch::Tensor> weights;
    for (const auto &p : net->named_parameters())
        weights.insert(p.key(), p.value().detach().clone());

    c10::impl::GenericDict optState(c10::StringType::get(), c10::AnyType::get());
    if (optimizer) {
        auto &states = optimizer->state();
        for (const auto &p : net->named_parameters()) {
            auto it = states.find(c10::guts::to_string(p.value().unsafeGetTensorImpl()));
            if (it == states.end())
                continue;
            auto &s = static_cast<torch::optim::AdamParamState &>(*it->second);
            c10::impl::GenericDict one(c10::StringType::get(), c10::AnyType::get());
            one.insert("step", s.step());
            one.insert("exp_avg", s.exp_avg().clone());
            one.insert("exp_avg_sq", s.exp_avg_sq().clone());
            optState.insert(p.key(), one);
        }
    }

    c10::impl::GenericDict root(c10::StringType::get(), c10::AnyType::get());
    root.insert("format", std::string(kFormatTag));
    root.insert("format_version", int64_t(kFormatVersion));
    root.insert("architecture", std::string(kSeedArchitecture));
    root.insert("metadata", QJsonDocument(infoToJson(info)).toJson(QJsonDocument::Compact).toStdString());
    root.insert("model_state_dict", weights);
    root.insert("optimizer_state", optState);
    return torch::pickle_save(root);
}

void assignWeights(SeedNet &net, const std::map<std::string, torch::Tensor> &weights)
{
    torch::NoGradGuard noGrad;
    for (auto &p : net->named_parameters())
        p.value().copy_(weights.at(p.key()));
}

SeedNet cloneNet(SeedNet &net)
{
    SeedNet copy;
    std::map<std::string, torch::Tensor> weights;
    for (const auto &p : net->named_parameters())
        weights[p.key()] = p.value().detach();
    assignWeights(copy, weights);
    copy->eval();
    return copy;
}

torch::Tensor imagesTensor(const MnistSet &set, int first, int n)
{
    const auto bytes = torch::from_blob(const_cast<std::uint8_t *>(set.image(first)),
                                        {n, 1, set.rows, set.cols}, torch::kUInt8);
    return bytes.to(torch::kFloat32).div_(255.0f); // ToTensor(): pixel/255, no mean/std normalisation
}

torch::Tensor labelsTensor(const MnistSet &set)
{
    return torch::from_blob(const_cast<std::uint8_t *>(set.labels.data()), {set.count}, torch::kUInt8)
        .to(torch::kInt64);
}

void singleThreadedTorch()
{
    at::internal::lazy_init_num_threads(); // else the first operator resets the count from the global
    at::set_num_threads(1);
}

EvalResult evaluateNet(SeedNet &net, const MnistSet &set, int batchSize, WorkTeam &team)
{
    EvalResult r;
    const auto labels = labelsTensor(set);
    batchSize = std::clamp(batchSize, 1, kMaxInferencePiece);
    const int pieces = (set.count + batchSize - 1) / batchSize;
    std::vector<double> lossSums(static_cast<std::size_t>(pieces));
    std::vector<std::int64_t> predicted(static_cast<std::size_t>(set.count));
    team.run(pieces, [&](int piece, int) {
        c10::InferenceMode inference;
        const int first = piece * batchSize;
        const int n = std::min(batchSize, set.count - first);
        const auto out = net->forward(imagesTensor(set, first, n));
        const auto y = labels.slice(0, first, first + n);
        lossSums[static_cast<std::size_t>(piece)] =
            F::cross_entropy(out, y, F::CrossEntropyFuncOptions().reduction(torch::kSum)).item<double>();
        const auto pred = out.argmax(1).contiguous();
        std::copy_n(pred.data_ptr<int64_t>(), n, predicted.begin() + first);
    });
    // Summed in piece order whatever order the team ran them in: the same loss on any thread count.
    double lossSum = 0;
    for (const double pieceLoss : lossSums)
        lossSum += pieceLoss;
    const auto count = static_cast<std::size_t>(set.count);
    r.correct = tallyConfusion(r.confusion, {labels.data_ptr<std::int64_t>(), count}, {predicted.data(), count});
    r.total = set.count;
    r.loss = set.count ? lossSum / set.count : 0;
    return r;
}

} // namespace core::detail
