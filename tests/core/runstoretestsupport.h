#pragma once
#include "core/runstore.h"

namespace core {
class RunRecorder;
}

/// Synthetic runs for the run store's tests (core and ui): no training, known numbers.
namespace runstoretest {

/// The tutorial network on MNIST with this learning rate and seed, batch 100, 2,000 images an
/// epoch (20 batches).
core::RunSpec spec(double learningRate, int seed);
/// Records a whole run: `epochs` epochs of `batchesPerEpoch` losses (sent 10 at a time), test
/// accuracy rising to finalAccuracy (finalAccuracy - 0.2 (1 - e/epochs)^2 after epoch e), then
/// "finished".
void recordSynthetic(core::RunRecorder &recorder, core::RunSpec spec, int epochs, int batchesPerEpoch, double finalAccuracy);
/// The loss of batch b (1-based over the run) in recordSynthetic(): a noisy decay, faster for
/// a larger learning rate (so that runs look different in screenshots).
float syntheticLoss(qint64 b, double learningRate = 0.001);

/// `TESTBINARY --record-child DB RUNS EPOCHS forever|finish`: records RUNS runs of EPOCHS epochs
/// of 50 batches, committing often; "forever" prints "committed" after its first commit and
/// never ends (the test kills it). Exit 0 when every run was recorded.
int childMain(int argc, char **argv);

} // namespace runstoretest
