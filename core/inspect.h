#pragma once
#include "network.h"
#include "tensordata.h"
#include <array>

namespace core {

class Classifier;

/// Every layer of the seed network for one input, in eval mode (dropout off), batch dimension
/// dropped. The Inside tab paints these; the test recomputes them by hand from weights().
struct LayerActivations {
    TensorData input;   ///< 1x28x28, pixels in 0..1
    TensorData conv1;   ///< 10x24x24, conv1's output before pooling (signed)
    TensorData pool1;   ///< 10x12x12, relu(max_pool2(conv1))
    TensorData conv2;   ///< 20x8x8, conv2's output before pooling (signed)
    TensorData pool2;   ///< 20x4x4, relu(max_pool2(conv2)): the 320 features fc1 reads
    TensorData fc1;     ///< 50, relu(fc1(...)): the hidden units fc2 reads
    TensorData logits;  ///< 10, fc2's output
    TensorData softmax; ///< 10, probabilities
};

/// One layer's output for one image (batch dimension dropped), named as core names layers:
/// "4 MaxPool2d(2) 32x13x13"; the last entry is the softmax.
struct LayerOutput {
    QString name;
    Layer layer;
    TensorData values;
};
/// Every layer's output of any network for one image of kPixels floats (white ink on black,
/// 0..1), in eval mode, each layer on its own (no fused layers), then the softmax.
std::vector<LayerOutput> layerOutputs(const Classifier &model, const float *pixels);

/// Computes every layer of the tutorial's network for one image of kPixels floats (white ink on
/// black, 0..1). Throws std::invalid_argument for another network (use layerOutputs()).
/// Thread-safe like Classifier's other const methods; single-threaded (a few hundred microseconds).
LayerActivations activations(const Classifier &model, const float *pixels);

/// Logits [n,10] of n images (n * kPixels floats), eval mode: what ONNX and PyTorch exports are
/// compared against.
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

/// Occlusion map (28x28): for each pixel, the drop of class `digit`'s probability when a blank
/// (black) kOcclusionPatch square centred on it (clipped at the border) replaces the input.
/// Positive where hiding the pixel's neighbourhood hurts the class. One batched forward pass of
/// 784 images: tens of milliseconds, so call it off the GUI thread.
TensorData occlusion(const Classifier &model, const float *pixels, int digit, int patch = kOcclusionPatch);

/// One kernel's footprint: which input pixels unit (channel, y, x) of conv2's 8x8 maps reads.
/// conv2 at (y, x) reads pool1's 5x5 window at (y, x); each pool1 cell covers 2x2 conv1 cells,
/// each reading a 5x5 window of the input, so the receptive field is the input square
/// [2y, 2y + 14) x [2x, 2x + 14) (14 = (5 - 1) * 2 + 2 + 5 - 1).
struct InputPatch {
    int left = 0;
    int top = 0;
    int size = 0;
};
InputPatch conv2ReceptiveField(int y, int x);

} // namespace core
