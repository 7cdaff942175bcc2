#pragma once
#include "network.h"
#include "tensordata.h"

namespace core {

class Classifier;

/// One layer's output for one image (batch dimension dropped), named as core names layers:
/// "4 MaxPool2d(2) 32x13x13"; the last entry is the softmax.
struct LayerOutput {
    QString name;
    Layer layer;
    TensorData values;
};
/// The shape inference of the model's network (its layers' shapes, parameters and state_dict
/// keys), as the model was built from it.
NetworkReport networkReport(const Classifier &model);

/// Every layer's output of any network for one image of kPixels floats (white ink on black,
/// 0..1), in eval mode, each layer on its own (no fused layers), then the softmax.
std::vector<LayerOutput> layerOutputs(const Classifier &model, const float *pixels);

/// Logits [n,classes] of n images (n * kPixels floats), eval mode: what ONNX and PyTorch exports are
/// compared against. Runs in pieces on one single-threaded LibTorch member per core, as
/// Classifier::evaluate() does (bounded memory for any n).
TensorData logits(const Classifier &model, const float *pixels, int n);

/// The network's parameters and float buffers as plain arrays, in PyTorch's state_dict order and
/// names; for the tutorial: conv1.weight 10x1x5x5, conv1.bias 10, conv2.weight 20x10x5x5,
/// conv2.bias 20, fc1.weight 50x320, fc1.bias 50, fc2.weight 10x50, fc2.bias 10.
NamedTensors weights(const Classifier &model);

/// How saliency() attributes a class score to the input pixels.
enum class SaliencyMethod {
    /// d logit / d pixel times pixel: one backward pass; noisy where ReLUs saturate.
    GradientTimesInput,
    /// Integrated gradients from the blank (black) image: the attributions add up to
    /// logit(input) - logit(blank) (completeness), so the map's total is the class's evidence.
    IntegratedGradients,
};

/// Riemann steps of integrated gradients. Measured on 100 test digits: 64 midpoints keep the
/// completeness error at 0.4% mean / 1.3% worst (32: 0.8% / 4.4%) for ~5 ms, one batched pass.
inline constexpr int kIntegratedGradientSteps = 64;

/// Per-pixel attribution (28x28, signed) of the logit of class `digit` for one image: positive
/// pixels pushed the class's score up, negative ones down. A blank input gives all zeros.
TensorData saliency(const Classifier &model, const float *pixels, int digit,
                    SaliencyMethod method = SaliencyMethod::IntegratedGradients,
                    int steps = kIntegratedGradientSteps);

/// Side of the occluding square: 5 px is a stroke's width and a bit, so hiding it removes a
/// piece of a stroke, not a whole digit.
inline constexpr int kOcclusionPatch = 5;

/// Forward FLOPs one occlusion map may cost. 784 occluded copies of the tutorial's network cost
/// 0.8 GFLOP (23 ms on one core), of `fast` 3.6 (110 ms), of `best` 32 (1.8 s): a map should
/// come within a few tenths of a second, so larger networks occlude every few pixels instead.
inline constexpr std::int64_t kOcclusionFlops = 5'000'000'000;
/// Floats of one layer's output over a chunk of occluded copies (16 MB): the copies go through the
/// network a chunk at a time, so a wide layer does not hold hundreds of MB for one map.
inline constexpr std::int64_t kOcclusionChunkFloats = std::int64_t(1) << 22;

/// The distance between occluded positions for a network of `flopsPerImage`: 1 (every pixel)
/// while 784 forward passes stay within kOcclusionFlops, else the smallest stride that does.
int occlusionStride(std::int64_t flopsPerImage);

/// Occlusion map (28x28): for each pixel, the drop of class `digit`'s probability when a blank
/// (black) `patch` square centred on it (clipped at the border) replaces the input. Positive where
/// hiding the pixel's neighbourhood hurts the class. With a `stride` above 1 the squares are
/// centred every `stride` pixels (in the middle of each stride x stride tile) and every pixel of
/// a tile gets its centre's value; 0 picks occlusionStride() of the network. One batched forward
/// pass of up to 784 images: call it off the GUI thread.
TensorData occlusion(const Classifier &model, const float *pixels, int digit, int patch = kOcclusionPatch, int stride = 0);

/// A rectangle of the network input (pixels), clipped to the image.
struct InputPatch {
    int left = 0;
    int top = 0;
    int width = 0;
    int height = 0;
    bool operator==(const InputPatch &o) const { return left == o.left && top == o.top && width == o.width && height == o.height; }
};

/// The receptive field of a unit: the input pixels that unit (y, x) of layer `layer` (0-based
/// index into report.layers; any channel) reads, as their bounding box. Convolutions and pools
/// widen it by their kernel, stride and padding; element-wise layers keep it; a unit of a flat
/// layer (after Flatten) reads the whole input. Windows that fall wholly on padding read
/// nothing, so the box is exact for any kernel, stride and padding. Throws std::invalid_argument
/// for a layer or unit out of range.
InputPatch receptiveField(const NetworkReport &report, int layer, int y, int x);

/// One input channel's share of a convolution unit: the window of the layer's input it reads
/// (kernel x kernel, zeros where it falls on the padding), the kernel that weighs it, and their
/// dot product.
struct ConvolutionTerm {
    int channel = 0;
    std::vector<float> window;
    std::vector<float> kernel;
    float contribution = 0;
};

/// What unit (channel, y, x) of Conv2d layer `layer` (0-based) adds up: one term per input
/// channel, in channel order, and the bias; value() is their sum, the unit's output. `input` is
/// the layer's input (the previous layer's output, or the image), `weight` and `bias` the
/// layer's tensors (core::weights()). The Inside tab's kernel view shows the terms. Throws
/// std::invalid_argument when the layer is no convolution or the shapes do not fit the report.
struct ConvolutionUnit {
    int kernel = 0;
    std::vector<ConvolutionTerm> terms;
    float bias = 0;
    float value() const;
};
ConvolutionUnit convolutionUnit(const NetworkReport &report, int layer, const TensorData &input, const TensorData &weight,
                                const TensorData &bias, int channel, int y, int x);

} // namespace core
