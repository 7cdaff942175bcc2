#pragma once
#include "types.h"
#include <QImage>
#include <QRectF>
#include <array>

namespace core {

/// A digit as the network sees it: 28x28, 0..1, white ink on black, normalised as MNIST was.
struct NormalisedDigit {
    bool blank = true;                ///< no ink found: nothing to classify
    std::array<float, kPixels> pixels{};
    QRect inkBox;                     ///< the ink's bounding box in the source image
    /// The 28x28 input as an 8-bit grayscale image (white ink on black).
    QImage toImage() const;
};

/// Which way round the source image is.
enum class Polarity {
    Auto,      ///< an image file: polarity and paper level from the whole image's border (toPaper)
    DarkInk,   ///< known dark ink on white (the Draw canvas): nothing is guessed
    LightInk,  ///< known light ink on black (MNIST)
};

namespace preprocess {

/// Any image file's content as dark ink on white paper, 8-bit gray: transparency flattened onto
/// white, inverted when the whole image's border (its median) is dark, and the paper level (the
/// border's median) lifted to white so paper grain is not ink. The one place that guesses
/// polarity: the Draw canvas uses it for loaded images; drawn strokes are ink by construction.
QImage toPaper(const QImage &image);

/// MNIST's normalisation of any grayscale (or colour, converted) image of one digit: ink bounding
/// box, longer side scaled to 20 px keeping aspect ratio (area-averaged, anti-aliased), centre of
/// mass moved to the centre of the 28x28 field. Blank (no ink) gives blank = true.
NormalisedDigit normalise(const QImage &image, Polarity polarity = Polarity::Auto);

/// Reads an image file (PNG/JPEG/BMP...), EXIF rotation applied (phone photos). Throws
/// ImageError (Unreadable) naming the file when it is not a regular file of at most 64 MiB (a
/// FIFO fails at once), not an image Qt can read, or damaged: a decoder's warning (libjpeg's
/// "Premature end of JPEG file", libpng's) is part of that one message, never printed apart.
QImage readImage(const QString &path);

/// Reads an image file (readImage) and normalises it. Throws ImageError when it cannot be
/// read or is blank.
NormalisedDigit normaliseFile(const QString &path, Polarity polarity = Polarity::Auto);

/// An MNIST image (28x28 bytes) as network input, unchanged but for the /255 scaling.
NormalisedDigit fromMnist(const std::uint8_t *pixels);

} // namespace preprocess
} // namespace core
