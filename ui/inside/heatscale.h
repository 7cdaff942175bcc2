#pragma once
#include <QImage>
#include <QRect>
#include <QString>
#include <cstddef>

class QPainter;

namespace ui {

/// The Inside tab's one colour scale: blue for negative, white for zero, red for positive, so a
/// signed map (a convolution, a saliency) and a non-negative one (after ReLU, softmax) read the
/// same way: white is nothing, the stronger the colour the larger the value. Each layer is
/// scaled to its own largest magnitude, which its legend states.
class HeatScale {
public:
    /// The colour of v on a scale of -maxAbs..maxAbs (clamped).
    static QRgb colour(float v, float maxAbs);
    /// The same colour with alpha growing with |v| (for overlays on an image).
    static QRgb overlayColour(float v, float maxAbs);
    /// Largest |value|, never below a tiny floor (an all-zero map stays white, no division by 0).
    static float maxAbs(const float *values, std::size_t n);
    /// A w x h map as an image, one pixel per value (scale it up with smooth transformation off).
    static QImage image(const float *values, int w, int h, float maxAbs);
    /// The same map drawn straight into `target` (RGB32) over `cell`, each value a block of
    /// pixels (nearest neighbour): a layer of hundreds of maps costs one pass over its pixels,
    /// not an image and a scaled drawImage() per map.
    static void fill(QImage &target, const QRect &cell, const float *values, int w, int h, float maxAbs);
    /// The network input as the Draw tab shows it: white ink on black.
    static QImage input(const float *values, int w, int h);
    /// A horizontal legend bar from -maxAbs (or 0 when !signedValues) to +maxAbs, with its labels.
    static void paintLegend(QPainter &p, const QRect &rect, float maxAbs, bool signedValues);
    /// "0.52", "12", "3.1e-05": short labels for the legend.
    static QString number(float v);
};

} // namespace ui
