#pragma once
// What a checkpoint or PyTorch state_dict file holds for the seed model, read without LibTorch
// by the strict reader (torchfile.h) and checked field by field (docs/checkpoint-format.md).
#include "network.h"
#include "tensordata.h"
#include "torchfile.h"
#include "types.h"

#include <QString>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace core {

namespace checkpoint {
/// Marks a file as ours (key "format").
inline constexpr const char *kFormatTag = "digitlab-checkpoint";
/// Checkpoint format written by this build; readers accept 1 up to this. Version 2 (issue 17)
/// carries the network's text; version 1 files hold the tutorial's network ("seed").
inline constexpr int kFormatVersion = 2;
/// Architecture name of the tutorial's network in version 1 checkpoints.
inline constexpr const char *kSeedArchitecture = "seed";
/// Architecture name of version 2 checkpoints: the entry "network" holds the layer text.
inline constexpr const char *kNetworkArchitecture = "network";
/// Above this a weight cannot come from training MNIST (they stay below ~10) and overflows activations.
inline constexpr float kMaxWeight = 1e6f;
} // namespace checkpoint

/// The optimizer's state of one parameter: Adam's (and AdamW's) moments, or SGD's momentum.
struct OptimizerMoments {
    std::int64_t step = 0;
    TensorData expAvg;
    TensorData expAvgSq; ///< never negative
    TensorData momentum; ///< SGD's momentum_buffer (then the moments are empty)
};

/// A checkpoint read and validated against its network's names and shapes.
struct CheckpointContents {
    CheckpointInfo info;       ///< formatVersion 0 for a plain state_dict; info.config.network is the network
    /// Every parameter and float buffer of the network (BatchNorm's running statistics), in
    /// state_dict order, finite. num_batches_tracked counters are checked but not kept.
    NamedTensors weights;
    std::vector<std::pair<std::string, OptimizerMoments>> optimizer; ///< empty for weight-only files
};

/// The seed model's parameters (PyTorch's state_dict names) and shapes, in registration order.
const std::vector<std::pair<std::string, std::vector<std::int64_t>>> &seedParameterShapes();

/// Reads a DigitLab checkpoint (its network inside) or a PyTorch state_dict (an OrderedDict or
/// dict, bare or under "state_dict"/"model_state_dict", keys optionally prefixed "module.",
/// float32 or float64) of `network`, or of the tutorial's network when none is given. Throws
/// CheckpointError naming the file and the field (a tensor that does not fit: its key).
CheckpointContents readCheckpointFile(const QString &path, const Network *network = nullptr);
/// What an archive the strict reader opened means (the step after parsing).
CheckpointContents interpretArchive(const torchfile::Archive &archive, const Network *network = nullptr);
/// The same from bytes already in memory; name is used in messages. Tighter limits for fuzzing.
CheckpointContents parseCheckpointBytes(std::vector<unsigned char> bytes, const QString &name,
                                        const torchfile::Limits &limits = {}, const Network *network = nullptr);

} // namespace core
