#include "testsupport.h"
#include "core/classifier.h"
#include "core/dataset.h"
#include "core/mnistdownloader.h"
#include <QDir>
#include <QFile>
#include <QImage>
#include <QPainter>
#include <catch2/catch.hpp>
#include <cmath>
#include <zlib.h>

namespace testsupport {

QString mnistDir()
{
    const QString dir = core::mnist::resolveDataDir();
    if (!core::mnist::isPresent(dir))
        FAIL("MNIST is missing (looked in: " << core::mnist::candidateDataDirs().join(QStringLiteral(", ")).toStdString()
                                             << "): run packaging/fetch-mnist.sh or 'digitlab-cli fetch-data', or set DIGITLAB_DATA");
    return dir;
}

const QHash<QString, QByteArray> &mnistFileBytes()
{
    static const QHash<QString, QByteArray> files = [] {
        QHash<QString, QByteArray> f;
        const QString dir = mnistDir();
        for (const QString &name : core::MnistDownloader::fileNames()) {
            QFile file(dir + QLatin1Char('/') + name);
            REQUIRE(file.open(QIODevice::ReadOnly));
            f.insert(name, file.readAll());
        }
        return f;
    }();
    return files;
}

// Through the process's dataset cache: a window that loads the same folder gets these very sets,
// read and hashed once per process.
const core::MnistSet &trainSet()
{
    static const auto set = core::Dataset::builtin(QStringLiteral("mnist")).loadShared(core::Split::Train, mnistDir());
    return *set;
}

std::shared_ptr<const core::MnistSet> sharedTestSet()
{
    static const auto set = core::Dataset::builtin(QStringLiteral("mnist")).loadShared(core::Split::Test, mnistDir());
    return set;
}

const core::MnistSet &testSet()
{
    return *sharedTestSet();
}

core::TrainConfig smallConfig(int trainLimit, int testLimit, int epochs, int threads, std::uint64_t seed)
{
    core::TrainConfig c;
    c.epochs = epochs;
    c.batchSize = 100;
    c.threads = threads;
    c.seed = seed;
    c.trainLimit = trainLimit;
    c.testLimit = testLimit;
    return c;
}

std::vector<core::Prediction> predictFirst(const core::Classifier &model, const core::MnistSet &set, int n)
{
    REQUIRE(n <= set.count);
    std::vector<float> pixels(std::size_t(n) * core::kPixels);
    for (std::size_t i = 0; i < pixels.size(); ++i)
        pixels[i] = float(set.images[i]) / 255.0f;
    return model.predictBatch(pixels.data(), n);
}

bool samePredictions(const std::vector<core::Prediction> &a, const std::vector<core::Prediction> &b, float tolerance)
{
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        for (std::size_t k = 0; k < a[i].probabilities.size(); ++k)
            if (!(std::abs(a[i].probabilities[k] - b[i].probabilities[k]) <= tolerance))
                return false;
    return true;
}

QByteArray idx(std::initializer_list<quint32> header, const QByteArray &payload)
{
    QByteArray out;
    for (quint32 word : header)
        for (int shift = 24; shift >= 0; shift -= 8)
            out.append(char((word >> shift) & 0xff));
    return out + payload;
}

QString write(const QTemporaryDir &dir, const QString &name, const QByteArray &bytes, bool gzip)
{
    const QString path = dir.filePath(name);
    if (gzip) {
        gzFile f = gzopen(QFile::encodeName(path).constData(), "wb");
        REQUIRE(f != nullptr);
        REQUIRE(gzwrite(f, bytes.constData(), unsigned(bytes.size())) == bytes.size());
        gzclose(f);
    } else {
        QFile f(path);
        REQUIRE(f.open(QIODevice::WriteOnly));
        REQUIRE(f.write(bytes) == bytes.size());
    }
    return path;
}

QImage mnistOnCanvas(int index, int scale, int width, int height, int x, int y, bool lightInk)
{
    const auto &set = testSet();
    QImage digit(set.image(index), 28, 28, 28, QImage::Format_Grayscale8);
    QImage big = digit.scaled(28 * scale, 28 * scale, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
    if (!lightInk)
        big.invertPixels();
    QImage canvas(width, height, QImage::Format_Grayscale8);
    canvas.fill(lightInk ? Qt::black : Qt::white);
    QPainter p(&canvas);
    p.drawImage(x, y, big);
    p.end();
    return canvas;
}

} // namespace testsupport
