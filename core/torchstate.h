#pragma once
#include <memory>

namespace core {

/// LibTorch's process-wide settings that the commands change as they work, captured to be put
/// back: the calling thread's intra-op thread count (Trainer::run() leaves it at 1, a thread team
/// member's setting) and the default random generator (a new network's initial weights draw from
/// it). For code that runs a whole command and then goes on in the same process: the tests run
/// digitlab-cli's commands in theirs (tests/core/clitestsupport.h). Torch-free header.
class TorchState {
public:
    /// The state now.
    TorchState();
    ~TorchState();
    TorchState(const TorchState &) = delete;
    TorchState &operator=(const TorchState &) = delete;

    /// Puts the captured state back (on the calling thread, for the thread count).
    void restore() const;

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace core
