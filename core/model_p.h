#pragma once
// Private to digitlab_core: the only header that includes LibTorch. Included by checkpoint.cpp,
// classifier.cpp and trainer.cpp.
#include "checkpointreader.h"
#include "types.h"
#include "workteam.h"
#include <torch/nn.h>
#include <torch/optim/adam.h>
#include <torch/serialize.h>
#include <QByteArray>
#include <QString>
#include <map>
#include <string>
#include <vector>

namespace core {
struct MnistSet;

namespace detail {

/// The seed tutorial's CNN, layer for layer; member names are PyTorch's state_dict prefixes.
struct SeedNetImpl : torch::nn::Module {
    SeedNetImpl();
    /// Logits [N,10] for inputs [N,1,28,28] in 0..1. In training mode the dropout masks come
    /// from LibTorch's global generator.
    torch::Tensor forward(torch::Tensor x);
    /// Training forward with explicit dropout masks, whatever the mode: channelMask [N,20] for
    /// conv2_drop (Dropout2d) and unitMask [N,50] for the dropout after fc1, each 0 or 1/(1-p).
    /// Masks made per sample outside make results independent of which thread runs which sample.
    torch::Tensor forward(torch::Tensor x, const torch::Tensor &channelMask, const torch::Tensor &unitMask);
    /// fc1 (without ReLU) applied to the [N,20,4,4] output of the second pool.
    torch::Tensor fc1AsConv(const torch::Tensor &x);

    torch::nn::Conv2d conv1{nullptr};
    torch::nn::Conv2d conv2{nullptr};
    torch::nn::Dropout2d conv2_drop{nullptr};
    torch::nn::Linear fc1{nullptr};
    torch::nn::Linear fc2{nullptr};
};
TORCH_MODULE(SeedNet);

/// relu(max_pool2d(x, 2)), optionally times a per-(sample, channel) scale [N,C] (a Dropout2d
/// mask), as one autograd node; same values and gradients as the unfused LibTorch ops.
torch::Tensor poolRelu(const torch::Tensor &x, const torch::Tensor &scale = {});

/// Architecture name of SeedNet in checkpoints.
inline constexpr const char *kSeedArchitecture = checkpoint::kSeedArchitecture;
/// Checkpoint format written by this build; readers accept this and older.
inline constexpr int kFormatVersion = checkpoint::kFormatVersion;
/// Marks a file as ours (key "format").
inline constexpr const char *kFormatTag = checkpoint::kFormatTag;

/// Adam moments of one parameter.
struct AdamMoments {
    std::int64_t step = 0;
    torch::Tensor expAvg;
    torch::Tensor expAvgSq;
};

/// A checkpoint read completely into memory and validated against SeedNet's names and shapes.
struct CheckpointData {
    CheckpointInfo info;
    std::map<std::string, torch::Tensor> weights;   ///< state_dict
    std::map<std::string, AdamMoments> optimizer;   ///< empty for weight-only files
};

/// Parses and validates bytes with the strict torch-free reader (checkpointreader.h); name is the
/// file for messages. Throws CheckpointError. LibTorch's unpickler never sees untrusted bytes.
CheckpointData parseCheckpoint(const std::vector<char> &bytes, const QString &name);
/// Reads a file (or ":/" resource) and parses it. Throws CheckpointError.
CheckpointData readCheckpoint(const QString &path);
/// Serialises weights (+ optimizer moments when given) and metadata.
std::vector<char> serializeCheckpoint(SeedNet &net, torch::optim::Adam *optimizer, const CheckpointInfo &info);
/// Atomic write (QSaveFile). Throws CheckpointError(WriteFailed).
void writeFileAtomically(const QString &path, const std::vector<char> &bytes);

/// Copies validated weights into a model (no autograd).
void assignWeights(SeedNet &net, const std::map<std::string, torch::Tensor> &weights);
/// Deep copy of a model's parameters into a fresh model.
SeedNet cloneNet(SeedNet &net);

/// Images [first, first+n) of a set as a float tensor [n,1,28,28] in 0..1.
torch::Tensor imagesTensor(const MnistSet &set, int first, int n);
/// The whole set's labels as int64.
torch::Tensor labelsTensor(const MnistSet &set);

/// Largest piece of a set given to one forward pass (evaluation, predictSet): 10,000 test images
/// on 2 threads took 0.32 s in pieces of 1,000 against 0.14-0.16 s in pieces of 100-500 (the
/// activations of 1,000 images, ~23 MB for conv1 alone, no longer fit the caches).
inline constexpr int kMaxInferencePiece = 250;

/// Loss (mean cross-entropy), accuracy and confusion of a model already in eval mode, in pieces
/// of batchSize images (at most kMaxInferencePiece) taken by the team's members (each single-threaded, see
/// singleThreadedTorch) and summed in piece order: the same numbers for any team size.
EvalResult evaluateNet(SeedNet &net, const MnistSet &set, int batchSize, WorkTeam &team);

/// Makes LibTorch single-threaded on the calling thread (work-team members and the thread that
/// drives a team): the team is the parallelism, and an OpenMP team inside each operator would
/// wait for descheduled members on a busy machine (docs/benchmarks.md).
void singleThreadedTorch();

/// Converts a c10/LibTorch exception message into one line without the C++ backtrace.
QString torchMessage(const std::exception &e);

} // namespace detail
} // namespace core

#include "classifier.h"

namespace core {
/// Classifier's state: its own copy of the network, always in eval mode.
struct Classifier::Impl {
    detail::SeedNet net;
    CheckpointInfo info;
    QString source;
};
} // namespace core
