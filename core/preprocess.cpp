#include "preprocess.h"
#include "error.h"
#include "safefile.h"

#include <QBuffer>
#include <QImageReader>
#include <QPainter>
#include <QStringList>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <mutex>
#include <string_view>
#include <vector>
#include <zlib.h>

namespace core {

namespace {

/// MNIST fits each digit's longer side into a 20x20 box inside the 28x28 field.
constexpr int kBox = 20;
/// Centre of mass of MNIST digits in pixel-index coordinates (measured over the training set:
/// 13.99 rows, 14.01 columns); a drawn digit's mass goes to the same spot.
constexpr double kMassCentre = 14.0;
/// Ink below this fraction of the strongest ink does not count for the bounding box (JPEG noise,
/// paper texture, the faint edge of an anti-aliased stroke).
constexpr double kInkThreshold = 0.15;
/// Contrast (0..255) below which an image is treated as blank: nothing was drawn.
constexpr int kMinContrast = 24;
/// The largest image file read: a phone photo is 2-15 MB; Qt's own limit on the decoded image
/// (QImageReader::allocationLimit, 128 MB in Qt 6.4) bounds what a small file can expand to.
constexpr std::int64_t kMaxImageBytes = std::int64_t(64) << 20;

/// Collects the Qt messages this thread logs while it lives instead of printing them: Qt's image
/// plugins pass libjpeg's and libpng's warnings ("Premature end of JPEG file") to qWarning, and
/// they belong in the one error message about the file. Other threads' messages go on to the
/// handler that was installed before. Decodes on several threads share one installation; a
/// handler installed by someone else meanwhile would be replaced when the last decode ends.
class DecoderMessages {
public:
    DecoderMessages()
    {
        t_sink = &m_messages;
        const std::lock_guard lock(s_mutex);
        if (s_users++ == 0)
            s_previous = qInstallMessageHandler(&handler);
    }
    ~DecoderMessages()
    {
        t_sink = nullptr;
        const std::lock_guard lock(s_mutex);
        if (--s_users == 0)
            qInstallMessageHandler(s_previous.load());
    }
    DecoderMessages(const DecoderMessages &) = delete;
    DecoderMessages &operator=(const DecoderMessages &) = delete;

    const QStringList &messages() const { return m_messages; }

private:
    static void handler(QtMsgType type, const QMessageLogContext &context, const QString &text)
    {
        if (t_sink && type != QtFatalMsg) {
            t_sink->append(text.trimmed());
            return;
        }
        if (const QtMessageHandler previous = s_previous.load())
            previous(type, context, text);
    }
    QStringList m_messages;
    static inline thread_local QStringList *t_sink = nullptr;
    static inline std::mutex s_mutex;
    static inline int s_users = 0;
    static inline std::atomic<QtMessageHandler> s_previous{nullptr};
};

/// What is wrong with a PNG file's chunk structure (empty when nothing is, or when it is not a
/// PNG): every chunk up to IEND must be whole and pass its CRC-32. Checked before Qt's decoder
/// sees the file, because libpng reports a truncated or corrupt PNG on stderr itself (Qt keeps
/// libpng's default error handler), not through Qt's message handler: refused here, the damage
/// is named in the one message and nothing is printed apart. Bytes after IEND are not image data
/// and are left alone, as libpng does.
QString pngDamage(const std::vector<unsigned char> &b)
{
    static const unsigned char kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (b.size() < sizeof kSignature || std::memcmp(b.data(), kSignature, sizeof kSignature) != 0)
        return {};
    const auto be32 = [&b](std::size_t at) {
        return (std::uint32_t(b[at]) << 24) | (std::uint32_t(b[at + 1]) << 16) | (std::uint32_t(b[at + 2]) << 8) | std::uint32_t(b[at + 3]);
    };
    for (std::size_t p = sizeof kSignature;;) {
        const std::size_t left = b.size() - p;
        if (left < 12)
            return QStringLiteral("the file ends at byte %1, before the PNG's last chunk (IEND): truncated").arg(b.size());
        const std::uint32_t length = be32(p);
        const std::string_view type(reinterpret_cast<const char *>(&b[p + 4]), 4);
        if (length > left - 12)
            return QStringLiteral("chunk %1 at byte %2 needs %3 bytes, the file has %4 left: truncated")
                .arg(printable(type)).arg(p).arg(length).arg(left - 12);
        if (std::uint32_t(crc32(crc32(0L, Z_NULL, 0), &b[p + 4], uInt(length) + 4)) != be32(p + 8 + length))
            return QStringLiteral("chunk %1 at byte %2 fails its CRC-32 check").arg(printable(type)).arg(p);
        if (p == sizeof kSignature && type != "IHDR")
            return QStringLiteral("the first chunk is %1, not IHDR").arg(printable(type));
        if (type == "IEND")
            return {};
        p += 12 + std::size_t(length);
    }
}

/// libpng's warnings about colour metadata (a wrong sRGB or ICC profile, common in files that
/// image editors write) say nothing about the pixels; every other decoder message means the
/// data are damaged: a truncated JPEG decodes with its missing rows grey, and a digit is then
/// read from what was never drawn.
bool reportsDamage(const QString &message)
{
    static const char *const kBenign[] = {"iCCP", "sRGB", "gAMA", "cHRM", "known incorrect sRGB profile"};
    for (const char *benign : kBenign)
        if (message.contains(QLatin1String(benign)))
            return false;
    return true;
}

/// The median of the outermost pixels: the background of any digit image (a digit may touch
/// the border, but it does not cover most of it).
int borderMedian(const QImage &gray)
{
    const int w = gray.width(), h = gray.height();
    std::array<int, 256> histogram{};
    int n = 0;
    for (int x = 0; x < w; ++x) {
        histogram[gray.constScanLine(0)[x]]++;
        histogram[gray.constScanLine(h - 1)[x]]++;
        n += 2;
    }
    for (int y = 1; y < h - 1; ++y) {
        histogram[gray.constScanLine(y)[0]]++;
        histogram[gray.constScanLine(y)[w - 1]]++;
        n += 2;
    }
    int seen = 0;
    for (int v = 0; v < 256; ++v) {
        seen += histogram[std::size_t(v)];
        if (2 * seen >= n)
            return v;
    }
    return 255;
}

/// Any image as 8-bit gray, transparency flattened onto white.
QImage toGray(const QImage &image)
{
    if (!image.hasAlphaChannel())
        return image.convertToFormat(QImage::Format_Grayscale8);
    QImage flat(image.size(), QImage::Format_RGB32);
    flat.fill(Qt::white);
    QPainter p(&flat);
    p.drawImage(0, 0, image);
    p.end();
    return flat.convertToFormat(QImage::Format_Grayscale8);
}

/// Ink strength 0..255 per pixel (bright = ink) of a grayscale image whose polarity is known;
/// nothing is guessed: the background is 0 ink by definition (the Draw canvas, or toPaper()'s
/// output, whose paper level was already taken from the whole image's border).
std::vector<int> inkOf(const QImage &gray, bool darkInk, int &maxInk)
{
    const int w = gray.width(), h = gray.height();
    std::vector<int> ink(std::size_t(w) * h);
    maxInk = 0;
    for (int y = 0; y < h; ++y) {
        const uchar *line = gray.constScanLine(y);
        for (int x = 0; x < w; ++x) {
            const int v = darkInk ? 255 - line[x] : line[x];
            ink[std::size_t(y) * w + x] = v;
            maxInk = std::max(maxInk, v);
        }
    }
    return ink;
}

/// The bounding box of the pixels with at least kInkThreshold of the strongest ink; null if none.
QRect inkBox(const std::vector<int> &ink, int w, int h, int maxInk)
{
    const int threshold = std::max(1, int(std::ceil(maxInk * kInkThreshold)));
    int left = w, right = -1, top = h, bottom = -1;
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            if (ink[std::size_t(y) * w + x] >= threshold) {
                left = std::min(left, x);
                right = std::max(right, x);
                top = std::min(top, y);
                bottom = std::max(bottom, y);
            }
    if (right < 0)
        return {};
    return QRect(QPoint(left, top), QPoint(right, bottom));
}

/// The ink inside `box`, contrast-stretched so the strongest ink is 255 (as MNIST's), its longer
/// side scaled to 20 px with the aspect ratio kept (SmoothTransformation area-averages when shrinking).
QImage scaledToBox(const std::vector<int> &ink, int w, const QRect &box, int maxInk)
{
    const int bw = box.width(), bh = box.height();
    QImage crop(bw, bh, QImage::Format_Grayscale8);
    for (int y = 0; y < bh; ++y) {
        uchar *line = crop.scanLine(y);
        for (int x = 0; x < bw; ++x) {
            const int v = ink[std::size_t(box.top() + y) * w + box.left() + x];
            line[x] = uchar(std::min(255, v * 255 / maxInk));
        }
    }
    const double scale = double(kBox) / std::max(bw, bh);
    const int sw = std::clamp(int(std::lround(bw * scale)), 1, kBox);
    const int sh = std::clamp(int(std::lround(bh * scale)), 1, kBox);
    return crop.scaled(sw, sh, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
}

/// Places the patch in the 28x28 field with its centre of mass at MNIST's, sub-pixel (bilinear):
/// a whole-pixel shift would move the digit by up to half a pixel depending on where it was
/// drawn. False when the patch has no mass.
bool placeByMass(const QImage &scaled, std::array<float, kPixels> &pixels)
{
    const int sw = scaled.width(), sh = scaled.height();
    double mass = 0, mx = 0, my = 0;
    for (int y = 0; y < sh; ++y) {
        const uchar *line = scaled.constScanLine(y);
        for (int x = 0; x < sw; ++x) {
            mass += line[x];
            mx += double(x) * line[x];
            my += double(y) * line[x];
        }
    }
    if (mass <= 0)
        return false;
    const double offX = kMassCentre - mx / mass;
    const double offY = kMassCentre - my / mass;
    auto at = [&](int x, int y) -> double {
        if (x < 0 || y < 0 || x >= sw || y >= sh)
            return 0.0;
        return scaled.constScanLine(y)[x];
    };
    for (int y = 0; y < kSide; ++y) {
        for (int x = 0; x < kSide; ++x) {
            const double u = x - offX, v = y - offY;
            const int x0 = int(std::floor(u)), y0 = int(std::floor(v));
            const double fx = u - x0, fy = v - y0;
            const double value = (1 - fx) * (1 - fy) * at(x0, y0) + fx * (1 - fy) * at(x0 + 1, y0)
                               + (1 - fx) * fy * at(x0, y0 + 1) + fx * fy * at(x0 + 1, y0 + 1);
            pixels[std::size_t(y * kSide + x)] = float(value / 255.0);
        }
    }
    return true;
}

} // namespace

QImage NormalisedDigit::toImage() const
{
    QImage img(kSide, kSide, QImage::Format_Grayscale8);
    for (int y = 0; y < kSide; ++y) {
        uchar *line = img.scanLine(y);
        for (int x = 0; x < kSide; ++x)
            line[x] = uchar(std::lround(std::clamp(pixels[y * kSide + x], 0.0f, 1.0f) * 255.0f));
    }
    return img;
}

namespace preprocess {

QImage toPaper(const QImage &image)
{
    if (image.isNull())
        return {};
    QImage gray = toGray(image);
    // The whole image's border is background: a dark one means light ink, which is inverted.
    int paper = borderMedian(gray);
    if (paper < 128) {
        gray.invertPixels();
        paper = 255 - paper;
    }
    // Off-white paper becomes white, so its grain is not ink: ink = how far below the paper.
    if (paper < 255 && paper > 0) {
        for (int y = 0; y < gray.height(); ++y) {
            uchar *line = gray.scanLine(y);
            for (int x = 0; x < gray.width(); ++x)
                line[x] = uchar(255 - std::max(0, paper - int(line[x])));
        }
    }
    return gray;
}

NormalisedDigit normalise(const QImage &image, Polarity polarity)
{
    NormalisedDigit out;
    if (image.isNull() || image.width() < 1 || image.height() < 1)
        return out;
    // Only an image of unknown polarity is looked at as a whole first (border decides); a known
    // polarity (the canvas: ink is ink) is taken as it is, however much of it is ink.
    const QImage gray = polarity == Polarity::Auto ? toPaper(image) : toGray(image);
    int maxInk = 0;
    const auto ink = inkOf(gray, polarity != Polarity::LightInk, maxInk);
    if (maxInk < kMinContrast)
        return out; // blank

    const QRect box = inkBox(ink, gray.width(), gray.height(), maxInk);
    if (box.isNull())
        return out;
    out.inkBox = box;
    if (!placeByMass(scaledToBox(ink, gray.width(), box, maxInk), out.pixels))
        return out;
    out.blank = false;
    return out;
}

QImage readImage(const QString &path)
{
    std::vector<unsigned char> bytes;
    try {
        bytes = safefile::readFile(path, kMaxImageBytes); // a FIFO fails at once, never blocks
    } catch (const FileError &e) {
        throw ImageError(ImageError::Kind::Unreadable, path, e.message());
    }
    if (const QString damage = pngDamage(bytes); !damage.isEmpty())
        throw ImageError(ImageError::Kind::Unreadable, path, QStringLiteral("the image is damaged or truncated (%1)").arg(damage));
    QByteArray data = QByteArray::fromRawData(reinterpret_cast<const char *>(bytes.data()), qsizetype(bytes.size()));
    QBuffer buffer(&data);
    buffer.open(QIODevice::ReadOnly);
    QImageReader reader(&buffer); // the format from the content, as the file name may lie
    reader.setAutoTransform(true); // honour EXIF rotation of phone photos
    QImage image;
    QStringList damage;
    {
        const DecoderMessages decoder;
        image = reader.read();
        for (const QString &m : decoder.messages())
            if (reportsDamage(m) && !damage.contains(m))
                damage << printable(m, 200);
    }
    const QString decoderSays = damage.isEmpty() ? QString() : QStringLiteral(" (the decoder says: %1)").arg(damage.join(QLatin1String("; ")));
    if (image.isNull())
        throw ImageError(ImageError::Kind::Unreadable, path,
                         QStringLiteral("cannot read the image (%1)%2; expected a PNG, JPEG, BMP or other image file")
                             .arg(reader.errorString(), decoderSays));
    if (!damage.isEmpty())
        throw ImageError(ImageError::Kind::Unreadable, path, QStringLiteral("the image is damaged or truncated%1").arg(decoderSays));
    return image;
}

NormalisedDigit normaliseFile(const QString &path, Polarity polarity)
{
    auto digit = normalise(readImage(path), polarity);
    if (digit.blank)
        throw ImageError(ImageError::Kind::Blank, path, QStringLiteral("the image is blank: no digit found"));
    return digit;
}

NormalisedDigit fromMnist(const std::uint8_t *pixels)
{
    NormalisedDigit out;
    for (int i = 0; i < kPixels; ++i) {
        out.pixels[i] = pixels[i] / 255.0f;
        if (pixels[i])
            out.blank = false;
    }
    return out;
}

} // namespace preprocess
} // namespace core
