#pragma once
// A network as data (issue 17): the ordered layers in PyTorch's class names, read from and
// written as one line of text, with shape inference, parameters and FLOPs per layer. Torch-free:
// the parser is fuzzed, and the UI and the CLI read a network without LibTorch. The one LibTorch
// builder (model_p.h) takes a Network; nothing else in the code base knows a layer list.
#include "error.h"
#include <QString>
#include <QStringList>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace core {

/// A network text that does not parse, or a network that cannot work on its input. The message
/// names the layer's position (1-based) and its text: "layer 5, MaxPool2d(2): ...".
class NetworkError : public Error {
public:
    explicit NetworkError(const QString &message, int layer = 0) : Error(QString(), message), m_layer(layer) {}
    /// 1-based position of the layer at fault; 0 when the fault is the whole text.
    int layer() const noexcept { return m_layer; }

private:
    int m_layer;
};

/// The layer kinds, named as PyTorch's torch.nn classes.
enum class LayerKind { Conv2d, MaxPool2d, AvgPool2d, BatchNorm2d, BatchNorm1d, ReLU, LeakyReLU, Tanh, Dropout, Dropout2d, Flatten, Linear };

/// One layer and its arguments, as PyTorch's constructor takes them (input sizes inferred).
struct Layer {
    LayerKind kind = LayerKind::ReLU;
    int out = 0;         ///< Conv2d: out_channels; Linear: out_features
    int kernel = 0;      ///< Conv2d, MaxPool2d, AvgPool2d: kernel_size
    int stride = 0;      ///< Conv2d: 1 by default; pools: kernel_size by default (0 = that default)
    int padding = 0;     ///< Conv2d and pools: zero padding on each side
    double p = 0.5;      ///< Dropout, Dropout2d: probability of zeroing
    double slope = 0.01; ///< LeakyReLU: negative_slope

    /// PyTorch's class name ("Conv2d").
    static QString kindName(LayerKind kind);
    /// The layer in canonical text: class name, then the arguments that differ from PyTorch's
    /// defaults ("Conv2d(64,3,padding=1)", "MaxPool2d(2)", "ReLU").
    QString text() const;
    /// The stride in effect (defaults resolved).
    int effectiveStride() const;
    /// Has weights (Conv2d, Linear, BatchNorm).
    bool hasParameters() const;
    bool isDropout() const { return kind == LayerKind::Dropout || kind == LayerKind::Dropout2d; }
    bool operator==(const Layer &o) const;
};

/// A tensor shape per image: channels x height x width, or `features` when flat.
struct Shape {
    int channels = 1;
    int height = 28;
    int width = 28;
    bool flat = false;   ///< 1-D: channels holds the feature count
    std::int64_t numel() const { return flat ? channels : std::int64_t(channels) * height * width; }
    /// "32x13x13" or "128".
    QString text() const;
    std::vector<std::int64_t> dims() const;
    bool operator==(const Shape &o) const
    {
        return flat == o.flat && channels == o.channels && (flat || (height == o.height && width == o.width));
    }
};

/// A state_dict entry of a layer: PyTorch's key and shape. Buffers (BatchNorm's running
/// statistics) are marked; num_batches_tracked (an int64 counter) is listed for the exports only.
struct TensorSpec {
    std::string key;
    std::vector<std::int64_t> shape;
    bool buffer = false;         ///< running_mean / running_var / num_batches_tracked
    bool counter = false;        ///< num_batches_tracked: int64 scalar, not a float tensor
};

/// What shape inference found for one layer.
struct LayerReport {
    int position = 0;            ///< 1-based
    Layer layer;
    Shape in;
    Shape out;
    std::int64_t parameters = 0; ///< trainable values (weights, biases, BatchNorm's scale and shift)
    std::int64_t flops = 0;      ///< per image, forward: 2 per multiply-add, 1 per other element op
    QString module;              ///< PyTorch module name: "3" (nn.Sequential), or conv1/fc1 in `tutorial`
    std::vector<TensorSpec> tensors;
    /// "4 MaxPool2d(2) 32x13x13": position, layer, output shape (the Inside tab's row names).
    QString name() const;
};

/// A network checked against its input: every layer's shapes and costs, and the totals.
struct NetworkReport {
    std::vector<LayerReport> layers;
    Shape input;
    std::int64_t parameters = 0;
    std::int64_t flops = 0;
    /// All state_dict entries in PyTorch's order (parameters and buffers).
    std::vector<TensorSpec> tensors() const;
};

/// Limits a network must stay within: anything larger cannot train on this kind of machine, and
/// a text from a file or a user must never make the app allocate or compute without bound.
inline constexpr int kMaxLayers = 64;
inline constexpr int kMaxNetworkText = 4096;          ///< characters of a network's text
inline constexpr int kMaxChannels = 1024;             ///< Conv2d out_channels
inline constexpr int kMaxFeatures = 16384;            ///< Linear out_features
inline constexpr int kMaxKernel = 28;                 ///< kernel_size and stride: the input's side
inline constexpr int kMaxPadding = 14;                ///< half the input's side
inline constexpr std::int64_t kMaxParameters = 20'000'000;    ///< 80 MB of float32 weights
inline constexpr std::int64_t kMaxFlops = 2'000'000'000;      ///< per image, forward (the tutorial: 1.2 M)
inline constexpr std::int64_t kMaxActivation = 4'000'000;     ///< elements of one layer's output per image

/// An ordered list of layers (PyTorch's nn.Sequential of them).
class Network {
public:
    Network() = default;
    explicit Network(std::vector<Layer> layers) : m_layers(std::move(layers)) {}

    /// Parses one or more layers separated by spaces, commas or newlines, each a PyTorch class
    /// name with optional arguments, positional in PyTorch's order (input sizes left out, or
    /// given and then checked) or by PyTorch's keyword names: "Conv2d(32,3) BatchNorm2d ReLU
    /// MaxPool2d(2) Flatten Linear(10)". "nn." prefixes are accepted. Throws NetworkError.
    /// Only the syntax and each layer's own arguments are checked; analyze() checks the whole.
    static Network parse(const QString &text);
    /// The preset of that name (presetNames()); throws NetworkError naming the known ones.
    static Network preset(const QString &name);
    /// "tutorial", "fast", "best".
    static QStringList presetNames();
    /// A preset's name, or an empty string when the network is none of them.
    QString presetName() const;
    /// The same network ending in `classes` outputs: a last Linear takes that out_features
    /// (how a preset fits a dataset of other than 10 classes, docs/networks.md); any other last
    /// layer is left as it is, for analyze() to report.
    Network withClasses(int classes) const;

    /// One line, canonical (Layer::text() of each layer, separated by spaces): parse(text()) == *this.
    QString text() const;
    /// "2 conv + 2 linear, 21.8k weights".
    QString summary(std::int64_t parameters) const;
    const std::vector<Layer> &layers() const { return m_layers; }
    bool empty() const { return m_layers.empty(); }
    /// The PyTorch tutorial's Net, whose state_dict keys are conv1/conv2/fc1/fc2 instead of 0..11.
    bool isTutorial() const;

    /// Shape inference for an input (MNIST: 1x28x28) and a class count: each layer's output,
    /// parameters and FLOPs, and the checks a user needs (each layer fits its input, the last
    /// gives `classes` features, limits). Throws NetworkError naming the layer.
    NetworkReport analyze(int classes = 10, Shape input = {}) const;

    bool operator==(const Network &o) const { return m_layers == o.m_layers; }
    bool operator!=(const Network &o) const { return !(*this == o); }

private:
    std::vector<Layer> m_layers;
};

} // namespace core
