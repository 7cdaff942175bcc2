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
    Auto,      ///< decide from the border pixels (a light border means dark ink)
    DarkInk,   ///< dark ink on a light background (paper, the Draw canvas)
    LightInk,  ///< light ink on a dark background (MNIST)
};

namespace preprocess {

/// MNIST's normalisation of any grayscale (or colour, converted) image of one digit: ink bounding
/// box, longer side scaled to 20 px keeping aspect ratio (area-averaged, anti-aliased), centre of
/// mass moved to the centre of the 28x28 field. Blank (no ink) gives blank = true.
NormalisedDigit normalise(const QImage &image, Polarity polarity = Polarity::Auto);

/// Reads an image file (PNG/JPEG/BMP...) and normalises it. Throws ImageError when it cannot be
/// read or is blank.
NormalisedDigit normaliseFile(const QString &path, Polarity polarity = Polarity::Auto);

/// An MNIST image (28x28 bytes) as network input, unchanged but for the /255 scaling.
NormalisedDigit fromMnist(const std::uint8_t *pixels);

} // namespace preprocess
} // namespace core
