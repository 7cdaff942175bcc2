#include "mnist.h"
#include "error.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QFile>
#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>
#include <zlib.h>

namespace core {

MnistSet MnistSet::head(int n) const
{
    if (n <= 0 || n >= count)
        return *this;
    MnistSet out;
    out.count = n;
    out.rows = rows;
    out.cols = cols;
    out.images.assign(images.begin(), images.begin() + std::ptrdiff_t(n) * pixelsPerImage());
    out.labels.assign(labels.begin(), labels.begin() + n);
    out.imagesPath = imagesPath;
    out.labelsPath = labelsPath;
    out.checksum = checksum;
    return out;
}

namespace mnist {

namespace {

using Kind = MnistError::Kind;

/// IDX magic numbers: 0x08 = unsigned byte, last byte = number of dimensions.
constexpr quint32 kImagesMagic = 0x00000803;
constexpr quint32 kLabelsMagic = 0x00000801;
/// The network is built for MNIST's 28x28 images.
constexpr int kExpectedSide = 28;

quint32 bigEndian(const QByteArray &bytes, int offset)
{
    const auto *p = reinterpret_cast<const unsigned char *>(bytes.constData()) + offset;
    return (quint32(p[0]) << 24) | (quint32(p[1]) << 16) | (quint32(p[2]) << 8) | quint32(p[3]);
}

/// Whole file, decompressed when it is gzip (zlib reads plain files through unchanged).
QByteArray readAll(const QString &path)
{
    if (!QFileInfo::exists(path))
        throw MnistError(Kind::Missing, path, QStringLiteral("no such file"));
    gzFile f = gzopen(QFile::encodeName(path).constData(), "rb");
    if (!f)
        throw MnistError(Kind::Unreadable, path, QStringLiteral("cannot open for reading"));
    gzbuffer(f, 1 << 17);
    QByteArray out;
    out.reserve(int(QFileInfo(path).size()));
    char buffer[1 << 16];
    for (;;) {
        const int n = gzread(f, buffer, sizeof buffer);
        if (n < 0) {
            int code = 0;
            const QString why = QString::fromLatin1(gzerror(f, &code));
            gzclose(f);
            throw MnistError(code == Z_BUF_ERROR ? Kind::Truncated : Kind::Unreadable, path,
                             QStringLiteral("cannot decompress (%1): truncated or corrupt gzip file").arg(why));
        }
        if (n == 0)
            break;
        out.append(buffer, n);
    }
    int code = Z_OK;
    const QString why = QString::fromLatin1(gzerror(f, &code));
    gzclose(f);
    if (code != Z_OK && code != Z_STREAM_END)
        throw MnistError(Kind::Truncated, path, QStringLiteral("gzip stream ends early (%1)").arg(why));
    return out;
}

QString md5(const QByteArray &bytes)
{
    return QString::fromLatin1(QCryptographicHash::hash(bytes, QCryptographicHash::Md5).toHex());
}

void checkLength(const QString &path, const QByteArray &bytes, qint64 header, qint64 expected, const QString &what)
{
    const qint64 size = bytes.size();
    if (size < expected)
        throw MnistError(Kind::Truncated, path,
                         QStringLiteral("truncated: %1 need %2 bytes after the %3-byte header, found %4")
                             .arg(what).arg(expected - header).arg(header).arg(size - header));
    if (size > expected)
        throw MnistError(Kind::BadDimensions, path,
                         QStringLiteral("%1 bytes after the end of the data the header describes (%2)")
                             .arg(size - expected).arg(what));
}

QString findFile(const QString &dir, const QString &name)
{
    const QDir d(dir);
    for (const QString &candidate : {name, QString(name + QLatin1String(".gz"))})
        if (QFileInfo::exists(d.filePath(candidate)))
            return d.filePath(candidate);
    return d.filePath(name);
}

bool hasFile(const QString &dir, const QString &name)
{
    return QFileInfo::exists(QDir(dir).filePath(name)) || QFileInfo::exists(QDir(dir).filePath(name + QLatin1String(".gz")));
}

} // namespace

QString imagesFileName(Split split)
{
    return split == Split::Train ? QStringLiteral("train-images-idx3-ubyte") : QStringLiteral("t10k-images-idx3-ubyte");
}

QString labelsFileName(Split split)
{
    return split == Split::Train ? QStringLiteral("train-labels-idx1-ubyte") : QStringLiteral("t10k-labels-idx1-ubyte");
}

MnistSet loadFiles(const QString &imagesPath, const QString &labelsPath)
{
    const QByteArray images = readAll(imagesPath);
    // The magic number first: a label file given as images should say so, not "too short".
    if (images.size() >= 4)
        if (const auto magic = bigEndian(images, 0); magic != kImagesMagic)
            throw MnistError(Kind::BadMagic, imagesPath,
                             QStringLiteral("magic number 0x%1, expected 0x%2 (IDX unsigned-byte 3-D images)")
                                 .arg(magic, 8, 16, QLatin1Char('0')).arg(kImagesMagic, 8, 16, QLatin1Char('0')));
    if (images.size() < 16)
        throw MnistError(Kind::Truncated, imagesPath,
                         QStringLiteral("truncated: %1 bytes, shorter than the 16-byte IDX image header").arg(images.size()));
    const qint64 count = bigEndian(images, 4);
    const qint64 rows = bigEndian(images, 8);
    const qint64 cols = bigEndian(images, 12);
    if (rows != kExpectedSide || cols != kExpectedSide)
        throw MnistError(Kind::BadDimensions, imagesPath,
                         QStringLiteral("images are %1x%2, expected %3x%3").arg(rows).arg(cols).arg(kExpectedSide));
    checkLength(imagesPath, images, 16, 16 + count * rows * cols,
                QStringLiteral("%1 images of %2x%3").arg(count).arg(rows).arg(cols));

    const QByteArray labels = readAll(labelsPath);
    if (labels.size() >= 4)
        if (const auto magic = bigEndian(labels, 0); magic != kLabelsMagic)
            throw MnistError(Kind::BadMagic, labelsPath,
                             QStringLiteral("magic number 0x%1, expected 0x%2 (IDX unsigned-byte 1-D labels)")
                                 .arg(magic, 8, 16, QLatin1Char('0')).arg(kLabelsMagic, 8, 16, QLatin1Char('0')));
    if (labels.size() < 8)
        throw MnistError(Kind::Truncated, labelsPath,
                         QStringLiteral("truncated: %1 bytes, shorter than the 8-byte IDX label header").arg(labels.size()));
    const qint64 labelCount = bigEndian(labels, 4);
    if (labelCount != count)
        throw MnistError(Kind::CountMismatch, labelsPath,
                         QStringLiteral("%1 labels, but %2 has %3 images").arg(labelCount).arg(QFileInfo(imagesPath).fileName()).arg(count));
    checkLength(labelsPath, labels, 8, 8 + labelCount, QStringLiteral("%1 labels").arg(labelCount));

    MnistSet set;
    set.count = int(count);
    set.rows = int(rows);
    set.cols = int(cols);
    set.images.assign(images.constData() + 16, images.constData() + images.size());
    set.labels.assign(labels.constData() + 8, labels.constData() + labels.size());
    for (int i = 0; i < set.count; ++i)
        if (set.labels[i] > 9)
            throw MnistError(Kind::BadLabel, labelsPath, QStringLiteral("label %1 at index %2, expected 0 to 9").arg(set.labels[i]).arg(i));
    set.imagesPath = imagesPath;
    set.labelsPath = labelsPath;
    // The MD5 of the uncompressed files: comparable with the published MNIST sums.
    set.checksum = md5(images) + QLatin1Char(':') + md5(labels);
    return set;
}

MnistSet load(const QString &dir, Split split)
{
    return loadFiles(findFile(dir, imagesFileName(split)), findFile(dir, labelsFileName(split)));
}

bool isPresent(const QString &dir)
{
    for (auto split : {Split::Train, Split::Test})
        if (!hasFile(dir, imagesFileName(split)) || !hasFile(dir, labelsFileName(split)))
            return false;
    return true;
}

QString buildTreeSourceDir()
{
    // Written by the build (cmake/options.cmake) next to every executable it makes; never installed.
    QFile marker(QCoreApplication::applicationDirPath() + QLatin1String("/digitlab-build-tree"));
    if (QCoreApplication::instance() == nullptr || !marker.open(QIODevice::ReadOnly))
        return {};
    const QString dir = QString::fromUtf8(marker.read(4096)).trimmed();
    return !dir.isEmpty() && QFileInfo(dir).isDir() ? dir : QString();
}

QString userDataDir()
{
    // GenericDataLocation, not AppDataLocation: the GUI and the CLI have different application
    // names, and both must find the same download.
    return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) + QLatin1String("/DigitLab/mnist");
}

QString downloadDir()
{
    return candidateDataDirs().constFirst();
}

QStringList candidateDataDirs(const QString &explicitDir)
{
    QStringList dirs;
    if (!explicitDir.isEmpty())
        return {explicitDir};
    if (const auto env = qEnvironmentVariable("DIGITLAB_DATA"); !env.isEmpty())
        return {env};
    if (const QString source = buildTreeSourceDir(); !source.isEmpty())
        dirs << source + QLatin1String("/data/mnist");
    dirs << userDataDir();
    return dirs;
}

QString resolveDataDir(const QString &explicitDir)
{
    const auto dirs = candidateDataDirs(explicitDir);
    for (const auto &d : dirs)
        if (isPresent(d))
            return d;
    return dirs.last();
}

} // namespace mnist
} // namespace core
