#pragma once
// Crafted IDX dataset folders for the dataset tests (core and CLI): real MNIST images with the
// labels a test chooses, so a tiny training run still learns something.
#include "testsupport.h"
#include "../support/httptestserver.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <catch2/catch.hpp>
#include <functional>

namespace datasettest {

inline void writeBytes(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    REQUIRE(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    REQUIRE(f.write(bytes) == bytes.size());
}

/// The IDX files of one split: MNIST test images first..first+count with label(i) as labels.
inline std::pair<QByteArray, QByteArray> split(int first, int count, const std::function<int(int)> &label, int side = 28)
{
    const auto &mnist = testsupport::testSet();
    QByteArray pixels;
    QByteArray labels;
    for (int i = first; i < first + count; ++i) {
        if (side == 28)
            pixels.append(reinterpret_cast<const char *>(mnist.image(i)), 784);
        else
            pixels.append(QByteArray(side * side, char(i & 0xff)));
        labels.append(char(label(i)));
    }
    return {testsupport::idx({0x803, quint32(count), quint32(side), quint32(side)}, pixels),
            testsupport::idx({0x801, quint32(count)}, labels)};
}

/// A dataset folder at dir: `train` training and `test` test images (train from MNIST's test
/// image 0, test after them), labelled by label(i), gzip-compressed when gz; classes.txt written
/// when classes is not null.
inline void writeFolder(const QString &dir, int train, int test, const std::function<int(int)> &label, bool gz = false,
                        const char *classes = nullptr, int side = 28)
{
    REQUIRE(QDir().mkpath(dir));
    const auto [trainImages, trainLabels] = split(0, train, label, side);
    const auto [testImages, testLabels] = split(train, test, label, side);
    const auto put = [&](const char *name, const QByteArray &bytes) {
        writeBytes(dir + QLatin1Char('/') + QLatin1String(name) + (gz ? QStringLiteral(".gz") : QString()), gz ? testsupport::gzip(bytes) : bytes);
    };
    put("train-images-idx3-ubyte", trainImages);
    put("train-labels-idx1-ubyte", trainLabels);
    put("t10k-images-idx3-ubyte", testImages);
    put("t10k-labels-idx1-ubyte", testLabels);
    if (classes)
        writeBytes(dir + QStringLiteral("/classes.txt"), QByteArray(classes));
}

/// The SHA-256 of a file's uncompressed bytes.
inline QString sha256(const QByteArray &bytes) { return QString::fromLatin1(QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex()); }

} // namespace datasettest
