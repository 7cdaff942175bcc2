#pragma once
// What a checkpoint or PyTorch state_dict file holds for the seed model, read without LibTorch
// by the strict reader (torchfile.h) and checked field by field (docs/checkpoint-format.md).
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
/// Checkpoint format written by this build; readers accept 1 up to this.
inline constexpr int kFormatVersion = 1;
/// Architecture name of the seed model in checkpoints.
inline constexpr const char *kSeedArchitecture = "seed";
/// Above this a weight cannot come from training MNIST (they stay below ~10) and overflows activations.
inline constexpr float kMaxWeight = 1e6f;
} // namespace checkpoint

/// Adam's state of one parameter.
struct OptimizerMoments {
    std::int64_t step = 0;
    TensorData expAvg;
    TensorData expAvgSq; ///< never negative
};

/// A checkpoint read and validated against the seed model's names and shapes.
struct CheckpointContents {
    CheckpointInfo info;       ///< formatVersion 0 for a plain state_dict
    NamedTensors weights;      ///< every seed parameter, in seedParameterShapes() order, finite
    std::vector<std::pair<std::string, OptimizerMoments>> optimizer; ///< empty for weight-only files
};

/// The seed model's parameters (PyTorch's state_dict names) and shapes, in registration order.
const std::vector<std::pair<std::string, std::vector<std::int64_t>>> &seedParameterShapes();

/// Reads a DigitLab checkpoint or a PyTorch state_dict of the seed model (an OrderedDict or dict,
/// bare or under "state_dict"/"model_state_dict", keys optionally prefixed "module.", float32 or
/// float64). Throws CheckpointError naming the file and the field.
CheckpointContents readCheckpointFile(const QString &path);
/// What an archive the strict reader opened means for the seed model (the step after parsing).
CheckpointContents interpretArchive(const torchfile::Archive &archive);
/// The same from bytes already in memory; name is used in messages. Tighter limits for fuzzing.
CheckpointContents parseCheckpointBytes(std::vector<unsigned char> bytes, const QString &name,
                                        const torchfile::Limits &limits = {});

} // namespace core
