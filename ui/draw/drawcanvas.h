#pragma once
#include "core/preprocess.h"
#include <QImage>
#include <QList>
#include <QPointF>
#include <QWidget>

class QTransform;
class QUndoStack;

namespace ui {

class CanvasCommand;

/// The drawing surface of the Draw tab, in the manner of Qt's scribble example: a QImage backing
/// store that strokes are painted into incrementally, repainting only the dirty rectangle.
///
/// The drawing is also kept as data (strokes in resolution-independent units plus an optional
/// loaded image), which is what makes per-stroke undo/redo and resizing without loss possible:
/// both re-render the backing store from that data. The image is dark ink on white (paper), so
/// the classifier reads it with Polarity::DarkInk.
class DrawCanvas : public QWidget {
    Q_OBJECT
public:
    /// Pen width as a fraction of the canvas's shorter side. A digit drawn at a natural size
    /// (about two thirds of the canvas) then normalises to MNIST's 2-3 px strokes in the 20 px box.
    static constexpr qreal kPenWidth = 0.075;
    /// The pen the NETWORK sees, as a fraction of the digit's own size (the longer side of its
    /// strokes' bounding box): the 20 px box then holds ~2.3 px strokes, as MNIST's, whatever
    /// size the digit was drawn at and whatever the pen on screen (docs/architecture.md).
    static constexpr qreal kNetworkPenRatio = 0.13;
    /// Marks smaller than this (canvas units: 5% of the side) are a dot or a slip, not a digit.
    static constexpr qreal kMinDigitSize = 0.05;
    /// A loaded image smaller than this on either side cannot hold a digit (MNIST's are 20 px in
    /// a 28 px field): refused with a reason rather than shown as an empty canvas (issue 16).
    static constexpr int kMinImageSide = 8;
    /// The strokes' longer side when rendered for the network, px: 4-5x the 20 px box, so the
    /// area-averaged downscale is smooth.
    static constexpr int kNetworkRenderPx = 96;

    /// Points are in canvas units: (0,0)-(1,1) is the central square of side min(width, height),
    /// so a drawing scales with the canvas and keeps its proportions.
    struct StrokePoint {
        QPointF pos;
        qreal width = 1.0; ///< pen width factor: 1.0 for a mouse, from the pressure for a tablet
    };
    using Stroke = QList<StrokePoint>;
    struct Content {
        QImage background;     ///< a loaded image as dark ink on white (Grayscale8), or null
        QList<Stroke> strokes;
        bool isEmpty() const { return background.isNull() && strokes.isEmpty(); }
    };

    explicit DrawCanvas(QWidget *parent = nullptr);
    ~DrawCanvas() override;

    /// The backing store as shown, in device pixels (sharp on high-DPI screens).
    const QImage &image() const { return m_image; }
    /// The part of image() that holds ink, with a margin of paper so the background level can
    /// still be told: what gets classified (same result as the whole image, a fraction of the
    /// pixels). Null when blank.
    QImage inkImage() const;
    /// What gets classified. Drawn strokes are re-rendered from their data, scaled to their own
    /// bounding box with a pen of kNetworkPenRatio of it (the screen's pen width plays no part);
    /// a loaded image (with any strokes on it) is the inkImage(). Dark ink on white. Null when
    /// blank or when the drawing is smaller than kMinDigitSize (isTooSmall()).
    QImage networkImage() const;
    /// networkImage() normalised as MNIST was (known polarity: ink is ink); blank when there is
    /// nothing to classify. The one path from strokes to the network's input (Draw and Inside).
    /// Throws what core::preprocess::normalise throws.
    core::NormalisedDigit networkDigit() const;
    /// The bounding box of every stroke point (finished and in progress), in canvas units;
    /// null when there are no strokes.
    QRectF strokeBounds() const;
    /// Strokes only, and all of them within a box smaller than kMinDigitSize: not a digit.
    bool isTooSmall() const;
    /// No strokes, no loaded image and no stroke in progress.
    bool isBlank() const { return m_content.isEmpty() && m_current.isEmpty(); }
    /// An image file is loaded (possibly with strokes on it).
    bool hasLoadedImage() const { return !m_content.background.isNull(); }
    bool isDrawing() const { return m_drawing; }
    int strokeCount() const { return int(m_content.strokes.size()); }
    const Content &content() const { return m_content; }
    QUndoStack *undoStack() const { return m_undo; }
    /// Where ink may be, in widget pixels (everything painted since the last full render, plus
    /// the loaded image's area); empty when blank. Classifying only this part of the image gives
    /// the same result as the whole (the rest is background) at a fraction of the cost.
    QRect inkRect() const { return m_inkRect & rect(); }
    /// Pen width in widget pixels at full pressure.
    qreal penWidth() const { return kPenWidth * side(); }

    /// Replaces the drawing with an image (any polarity: a dark border means light ink, which is
    /// inverted to the canvas's dark-on-white). Undoable.
    void setImage(const QImage &image);
    /// Reads an image file and setImage()s it; on failure emits loadFailed() and returns false.
    bool loadImageFile(const QString &path);
    /// Writes the drawing as a grayscale PNG. Returns false (with a reason) when it cannot.
    bool saveImage(const QString &path, QString *error = nullptr) const;

    QSize sizeHint() const override { return {420, 420}; }
    QSize minimumSizeHint() const override { return {140, 140}; }

public Q_SLOTS:
    /// Erases everything (undoable).
    void clear();

Q_SIGNALS:
    /// Ink changed while a stroke is in progress: worth a throttled prediction.
    void inkChanged();
    /// The drawing is at rest after a change (stroke ended, undo/redo, clear, load): predict now.
    void drawingSettled();
    void loadFailed(const QString &message);

protected:
    void paintEvent(QPaintEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;
    void tabletEvent(QTabletEvent *event) override;
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;

private:
    friend class CanvasCommand;
    qreal side() const;
    QPointF origin() const;
    QPointF toWidget(QPointF unit) const;
    QPointF toUnit(QPointF widget) const;

    void beginStroke(QPointF widgetPos, qreal pressure);
    void extendStroke(QPointF widgetPos, qreal pressure);
    void endStroke();
    /// Paints piece `piece` of a smoothed stroke (0 = the initial dot, 1..n-1 the curve pieces as
    /// points arrive, n = the tail to the last point); returns the widget rect it touched.
    QRect paintPiece(QPainter &painter, const Stroke &stroke, int piece) const;
    /// The same piece through any mapping of canvas units to pixels, with a pen of basePen px
    /// at full pressure (shared by the screen and the network rendering).
    static QRectF paintPiece(QPainter &painter, const Stroke &stroke, int piece, const QTransform &toPixels, qreal basePen);
    void applyContent(const Content &content);
    /// A backing store of the widget's size at the screen's device pixel ratio, re-rendered.
    void recreateImage();
    void render();

    QImage m_image;
    Content m_content;
    Stroke m_current;
    QRect m_inkRect;
    bool m_drawing = false;
    QUndoStack *m_undo = nullptr;
};

} // namespace ui
