#pragma once
// Private to digitlab_core: the only header that includes LibTorch. Included by checkpoint.cpp,
// classifier.cpp and trainer.cpp.
#include "checkpointreader.h"
#include "network.h"
#include "types.h"
#include "workteam.h"
#include <torch/nn.h>
#include <torch/optim/adam.h>
#include <torch/serialize.h>
#include <QByteArray>
#include <QString>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace core {
struct MnistSet;

namespace detail {

/// Batch statistics one training chunk measured in a BatchNorm layer (its "ghost batch"): the
/// trainer folds them into the running statistics after the batch, in chunk order.
struct BatchNormStats {
    torch::Tensor mean;   ///< [C]
    torch::Tensor var;    ///< [C], unbiased, as PyTorch's running_var update uses
};

/// Any network a core::Network describes, as PyTorch's nn.Sequential of its layers: the one
/// LibTorch builder (issue 17). Modules are registered as "0", "1", ... (or conv1/conv2/fc1/fc2
/// for the tutorial's network), so named_parameters() and named_buffers() are the state_dict.
/// The forward pass fuses what the hand-written seed model fused, wherever the layers allow it:
/// MaxPool2d(2)+ReLU (either order, optionally after Dropout2d) as one SSE2 node, a Linear after
/// Flatten as a convolution over the map (oneDNN instead of the reference BLAS), channels-last
/// input to a training convolution with more than one input channel. The tutorial therefore
/// trains bit for bit as before.
struct NetImpl : torch::nn::Module {
    explicit NetImpl(const Network &network);

    /// Logits [N,classes] for inputs [N,1,28,28] in 0..1, inference semantics whatever the mode
    /// (no dropout, BatchNorm's running statistics).
    torch::Tensor forward(torch::Tensor x);
    /// Training forward: masks[k] is the k-th dropout layer's per-sample mask ([N,C] for
    /// Dropout2d, [N,features] for Dropout; 0 or 1/(1-p)); BatchNorm normalises with this
    /// batch's statistics, which land in *bnStats (one entry per BatchNorm layer) when given.
    torch::Tensor forward(torch::Tensor x, const std::vector<torch::Tensor> &masks, std::vector<BatchNormStats> *bnStats);
    /// The training forward with LibTorch's own operators only (no fused nodes): the reference the
    /// fused forward is tested against.
    torch::Tensor forwardUnfused(torch::Tensor x, const std::vector<torch::Tensor> &masks);
    /// Every layer's output for the Inside view (inference semantics), unfused, in layer order.
    std::vector<torch::Tensor> layerOutputs(torch::Tensor x);

    Network network;
    NetworkReport report;
    /// Per layer: its module (Conv2d, Linear, BatchNorm) or an empty holder.
    std::vector<torch::nn::Conv2d> convs;
    std::vector<torch::nn::Linear> linears;
    std::vector<torch::nn::BatchNorm2d> norms2d;
    std::vector<torch::nn::BatchNorm1d> norms1d;
    /// Units per sample of each dropout layer's mask, in layer order, and its probability.
    std::vector<std::pair<std::int64_t, double>> dropoutUnits;
    /// BatchNorm layers in order (their layer index).
    std::vector<int> batchNormLayers;

private:
    torch::Tensor run(torch::Tensor x, bool training, const std::vector<torch::Tensor> *masks,
                      std::vector<BatchNormStats> *bnStats, std::vector<torch::Tensor> *outputs, bool fuse);
};
TORCH_MODULE(Net);

/// relu(max_pool2d(x, 2)), optionally times a per-(sample, channel) scale [N,C] (a Dropout2d
/// mask), as one autograd node; same values and gradients as the unfused LibTorch ops.
torch::Tensor poolRelu(const torch::Tensor &x, const torch::Tensor &scale = {});

/// Checkpoint format written by this build; readers accept this and older.
inline constexpr int kFormatVersion = checkpoint::kFormatVersion;
/// Marks a file as ours (key "format").
inline constexpr const char *kFormatTag = checkpoint::kFormatTag;

/// The optimizer's state of one parameter: Adam's and AdamW's moments, or SGD's momentum buffer.
struct OptimizerSlot {
    std::int64_t step = 0;
    torch::Tensor expAvg;
    torch::Tensor expAvgSq;
    torch::Tensor momentum;
};
/// By state_dict key of the parameter.
using OptimizerSlots = std::map<std::string, OptimizerSlot>;

/// A checkpoint read completely into memory and validated against its network's names and shapes.
struct CheckpointData {
    CheckpointInfo info;                            ///< info.config.network is the network's text
    Network network;
    std::map<std::string, torch::Tensor> weights;   ///< state_dict: parameters and BatchNorm buffers
    OptimizerSlots optimizer;                       ///< empty for weight-only files
};

/// Parses and validates bytes with the strict torch-free reader (checkpointreader.h); name is the
/// file for messages; a plain state_dict is read as `network` when given, else as the tutorial's.
/// Throws CheckpointError. LibTorch's unpickler never sees untrusted bytes.
CheckpointData parseCheckpoint(const std::vector<char> &bytes, const QString &name, const Network *network = nullptr);
/// Reads a file (or ":/" resource) and parses it. Throws CheckpointError.
CheckpointData readCheckpoint(const QString &path, const Network *network = nullptr);
/// Serialises the network, its weights and buffers (+ the optimizer's state when given) and metadata.
std::vector<char> serializeCheckpoint(Net &net, const OptimizerSlots *optimizer, const CheckpointInfo &info);
/// Atomic write (QSaveFile). Throws CheckpointError(WriteFailed).
void writeFileAtomically(const QString &path, const std::vector<char> &bytes);

/// A new network with LibTorch's default initialisation from its global generator.
Net buildNet(const Network &network);
/// Copies validated weights and buffers into a model (no autograd).
void assignWeights(Net &net, const std::map<std::string, torch::Tensor> &weights);
/// Deep copy of a model's parameters and buffers into a fresh model in eval mode.
Net cloneNet(Net &net);
/// The state_dict: parameters and buffers by key, in PyTorch's order.
std::vector<std::pair<std::string, torch::Tensor>> stateDict(Net &net);

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
EvalResult evaluateNet(Net &net, const MnistSet &set, int batchSize, WorkTeam &team);

/// Makes LibTorch single-threaded on the calling thread (work-team members and the thread that
/// drives a team): the team is the parallelism, and an OpenMP team inside each operator would
/// wait for descheduled members on a busy machine (docs/benchmarks.md).
void singleThreadedTorch();

/// A team of one single-threaded LibTorch member per core for a whole set (evaluate, predictSet,
/// logits): members take pieces as they come free, so a core taken by another program (training
/// next door, a build) costs at most one piece instead of stalling an OpenMP team in every
/// operator. The calling thread is member 0; its thread count is restored afterwards.
class SetTeam {
public:
    SetTeam();
    ~SetTeam();
    SetTeam(const SetTeam &) = delete;
    SetTeam &operator=(const SetTeam &) = delete;
    WorkTeam &team() { return *m_team; }

private:
    int m_saved;
    std::unique_ptr<WorkTeam> m_team;
};

/// Converts a c10/LibTorch exception message into one line without the C++ backtrace.
QString torchMessage(const std::exception &e);

} // namespace detail
} // namespace core

#include "classifier.h"

namespace core {
/// Classifier's state: its own copy of the network, always in eval mode.
struct Classifier::Impl {
    detail::Net net{nullptr};
    CheckpointInfo info;
    QString source;
};
} // namespace core
