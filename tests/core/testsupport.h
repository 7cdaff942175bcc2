#pragma once
#include "core/mnist.h"
#include <QByteArray>
#include <QImage>
#include <QString>
#include <QTemporaryDir>
#include <memory>

namespace testsupport {

/// The fetched MNIST folder. Fails the calling test (never skips) when the files are missing.
QString mnistDir();
/// Loaded once per process: the real splits.
const core::MnistSet &trainSet();
const core::MnistSet &testSet();

/// A big-endian IDX file with the given header words followed by payload bytes.
QByteArray idx(std::initializer_list<quint32> header, const QByteArray &payload);
/// Writes bytes to dir/name (gzip-compressed when gzip is true); returns the path.
QString write(const QTemporaryDir &dir, const QString &name, const QByteArray &bytes, bool gzip = false);

/// Test image i of MNIST scaled by `scale` onto a width x height canvas at (x, y), as dark ink on
/// white (lightInk = false) or light ink on black.
QImage mnistOnCanvas(int index, int scale, int width, int height, int x, int y, bool lightInk);

} // namespace testsupport
