#pragma once
#include "core/mnist.h"
#include "core/types.h"
#include <QByteArray>
#include <QHash>
#include <QImage>
#include <QString>
#include <QTemporaryDir>
#include <memory>
#include <vector>

namespace core {
class Classifier;
}

namespace testsupport {

// The helpers every test executable shares (core and ui tests compile this file): one way to
// find MNIST, to make a small training run, and to compare predictions.

/// The fetched MNIST folder. Fails the calling test (never skips) when the files are missing,
/// saying where it looked and how to fetch them.
QString mnistDir();
/// The four real MNIST files' bytes by name (as MnistDownloader::fileNames() names them), read
/// once per process: what a test server serves.
const QHash<QString, QByteArray> &mnistFileBytes();
/// Loaded once per process: the real splits.
const core::MnistSet &trainSet();
const core::MnistSet &testSet();
/// The test split as the GUI's ModelDocument holds it (the same object as testSet(), and the
/// one a window loading mnistDir() gets from the dataset cache).
std::shared_ptr<const core::MnistSet> sharedTestSet();

/// A short, reproducible run on a slice of MNIST: `epochs` epochs over the first `trainLimit`
/// training images, evaluated on the first `testLimit` test images, batch 100, with `threads`
/// threads (1 by default: a busy machine cannot stall a team that does not exist).
core::TrainConfig smallConfig(int trainLimit, int testLimit, int epochs = 1, int threads = 1, std::uint64_t seed = 1);

/// The model's predictions for the first n images of set (pixel/255, as training sees them).
std::vector<core::Prediction> predictFirst(const core::Classifier &model, const core::MnistSet &set, int n);
/// Same length, and every probability within `tolerance` (0: bit-for-bit equal).
bool samePredictions(const std::vector<core::Prediction> &a, const std::vector<core::Prediction> &b,
                     float tolerance = 0.0f);

/// A big-endian IDX file with the given header words followed by payload bytes.
QByteArray idx(std::initializer_list<quint32> header, const QByteArray &payload);
/// Writes bytes to dir/name (gzip-compressed when gzip is true); returns the path.
QString write(const QTemporaryDir &dir, const QString &name, const QByteArray &bytes, bool gzip = false);

/// Test image i of MNIST scaled by `scale` onto a width x height canvas at (x, y), as dark ink on
/// white (lightInk = false) or light ink on black.
QImage mnistOnCanvas(int index, int scale, int width, int height, int x, int y, bool lightInk);

} // namespace testsupport
