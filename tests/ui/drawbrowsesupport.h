#pragma once
// Shared helpers of the Draw and Browse tab tests.
#include "ui/draw/drawtab.h"
#include "ui/modeldocument.h"
#include <QList>
#include <QPointF>
#include <QSize>
#include <memory>

class QWidget;

namespace ui {
class DrawCanvas;
}

namespace core {
class Classifier;
struct MnistSet;
} // namespace core

namespace drawbrowse {

/// The MNIST test set, read once (testsupport::sharedTestSet()). Fails the calling test (saying
/// where it looked) when missing: these tests never skip.
std::shared_ptr<const core::MnistSet> testSet();
/// The bundled pretrained model; fails the calling test when it cannot be read.
std::shared_ptr<const core::Classifier> bundled();
/// A model with fresh random weights: its predictions differ from the bundled model's.
std::shared_ptr<const core::Classifier> untrained();

/// A Draw tab predicting with the bundled model, shown at `size` and exposed: the setting of
/// every Draw tab test and screenshot.
struct DrawTabFixture {
    ui::ModelDocument state;
    ui::DrawTab tab{&state};
    ui::DrawCanvas *canvas = tab.canvas();
    explicit DrawTabFixture(QSize size);
};

/// Draws one stroke through the points (widget coordinates) with QTest mouse events: press at
/// the first, a move per point, release at the last.
void drawStroke(QWidget *widget, const QList<QPointF> &points);

/// Stroke paths that trace an MNIST image: the ink is upscaled, thresholded and thinned to a
/// one-pixel skeleton, which is followed into polylines. Coordinates are in the 28x28 image's
/// pixel units (0..28).
QList<QList<QPointF>> skeletonStrokes(const std::uint8_t *pixels);

/// Traces test image `index` of set onto the canvas with QTest strokes along its skeleton: its
/// height `size` of the canvas's shorter side, centred, then moved by shift (in canvas sides).
void traceDigit(ui::DrawCanvas *canvas, const core::MnistSet &set, int index, double size, QPointF shift = {});

} // namespace drawbrowse
