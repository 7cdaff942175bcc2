#include "ui/draw/drawcanvas.h"
#include "core/error.h"
#include "core/preprocess.h"
#include "core/safefile.h"
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileInfo>
#include <QImageReader>
#include <QMimeData>
#include <QMouseEvent>
#include <QDir>
#include <QPainter>
#include <QPainterPath>
#include <QTabletEvent>
#include <QTransform>
#include <QUndoCommand>
#include <QUndoStack>
#include <QUrl>
#include <algorithm>
#include <cmath>

namespace ui {

namespace {
// Mouse moves closer than this (widget px) to the previous point add nothing visible but cost
// a paint; skipping them keeps long strokes cheap.
constexpr qreal kMinStep = 0.75;
// Tablet pressure maps to this width range (times the base pen width): light strokes stay
// visible after normalisation, heavy ones do not blot.
constexpr qreal kMinPressureWidth = 0.4;
constexpr qreal kMaxPressureWidth = 1.6;

qreal pressureWidth(qreal pressure)
{
    return kMinPressureWidth + (kMaxPressureWidth - kMinPressureWidth) * std::clamp<qreal>(pressure, 0, 1);
}

} // namespace

/// One undoable change of the drawing, stored as the content before and after (strokes are
/// implicitly shared, so this costs a list of handles, not pixels).
class CanvasCommand : public QUndoCommand {
public:
    CanvasCommand(DrawCanvas *canvas, DrawCanvas::Content before, DrawCanvas::Content after,
                  const QString &text, bool alreadyApplied)
        : QUndoCommand(text), m_canvas(canvas), m_before(std::move(before)), m_after(std::move(after)),
          m_skipRedo(alreadyApplied)
    {
    }
    void redo() override
    {
        // A stroke is already on the canvas when it is pushed: the first redo() has nothing to do.
        if (m_skipRedo) {
            m_skipRedo = false;
            return;
        }
        m_canvas->applyContent(m_after);
    }
    void undo() override { m_canvas->applyContent(m_before); }

private:
    DrawCanvas *m_canvas;
    DrawCanvas::Content m_before;
    DrawCanvas::Content m_after;
    bool m_skipRedo;
};

DrawCanvas::DrawCanvas(QWidget *parent) : QWidget(parent), m_undo(new QUndoStack(this))
{
    setAttribute(Qt::WA_StaticContents);
    setAttribute(Qt::WA_OpaquePaintEvent);
    setAcceptDrops(true);
    setCursor(Qt::CrossCursor);
    setFocusPolicy(Qt::StrongFocus);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    setAccessibleName(tr("Drawing canvas"));
    setAccessibleDescription(tr("Draw one digit with the mouse, a pen or a finger"));
    m_image = QImage(QSize(1, 1), QImage::Format_RGB32);
    m_image.fill(Qt::white);
}

DrawCanvas::~DrawCanvas()
{
    // The commands point at this canvas: drop them before it goes.
    m_undo->clear();
}

qreal DrawCanvas::side() const
{
    return std::max(1, std::min(width(), height()));
}

QPointF DrawCanvas::origin() const
{
    return {(width() - side()) / 2.0, (height() - side()) / 2.0};
}

QPointF DrawCanvas::toWidget(QPointF unit) const
{
    return origin() + unit * side();
}

QPointF DrawCanvas::toUnit(QPointF widget) const
{
    return (widget - origin()) / side();
}

QRect DrawCanvas::paintPiece(QPainter &p, const Stroke &s, int piece) const
{
    const QTransform toWidgetPixels(side(), 0, 0, side(), origin().x(), origin().y());
    return paintPiece(p, s, piece, toWidgetPixels, penWidth()).toAlignedRect();
}

QRectF DrawCanvas::paintPiece(QPainter &p, const Stroke &s, int piece, const QTransform &toPixels, qreal base)
{
    const int n = int(s.size());
    if (n == 0 || piece < 0 || piece > n)
        return {};
    auto pt = [&](int i) { return toPixels.map(s[i].pos); };
    auto mid = [&](int i, int j) { return (pt(i) + pt(j)) / 2; };
    QPainterPath path;
    qreal w = base;
    if (piece == 0) {
        // The dot under the first point: a tap leaves a mark, as a pen would.
        w = base * s[0].width;
        const QPointF c = pt(0);
        p.setPen(Qt::NoPen);
        p.setBrush(Qt::black);
        p.drawEllipse(c, w / 2, w / 2);
        return QRectF(c - QPointF(w / 2 + 2, w / 2 + 2), QSizeF(w + 4, w + 4));
    }
    if (piece == n) { // tail: from the last midpoint to the last point
        if (n < 2)
            return {};
        path.moveTo(mid(n - 2, n - 1));
        path.lineTo(pt(n - 1));
        w = base * s[n - 1].width;
    } else if (piece == 1) {
        path.moveTo(pt(0));
        path.lineTo(mid(0, 1));
        w = base * (s[0].width + s[1].width) / 2;
    } else {
        // Quadratic pieces between midpoints, with the sampled points as control points: the
        // curve is smooth (C1) however coarse the mouse sampling, and each piece is final as soon
        // as its next point arrives, so strokes can be painted incrementally.
        path.moveTo(mid(piece - 2, piece - 1));
        path.quadTo(pt(piece - 1), mid(piece - 1, piece));
        w = base * s[piece - 1].width;
    }
    p.setPen(QPen(Qt::black, w, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
    p.setBrush(Qt::NoBrush);
    p.drawPath(path);
    const qreal pad = w / 2 + 2;
    return path.controlPointRect().adjusted(-pad, -pad, pad, pad);
}

QRectF DrawCanvas::strokeBounds() const
{
    qreal left = 0, top = 0, right = 0, bottom = 0;
    bool any = false;
    auto add = [&](const Stroke &s) {
        for (const StrokePoint &pt : s) {
            const QPointF q = pt.pos;
            left = any ? std::min(left, q.x()) : q.x();
            right = any ? std::max(right, q.x()) : q.x();
            top = any ? std::min(top, q.y()) : q.y();
            bottom = any ? std::max(bottom, q.y()) : q.y();
            any = true;
        }
    };
    for (const Stroke &s : m_content.strokes)
        add(s);
    add(m_current);
    if (!any)
        return {};
    // A single point still has a position: a zero-size box, not a null one.
    return QRectF(QPointF(left, top), QPointF(right, bottom));
}

bool DrawCanvas::isTooSmall() const
{
    if (!m_content.background.isNull() || isBlank())
        return false;
    const QRectF box = strokeBounds();
    return std::max(box.width(), box.height()) < kMinDigitSize;
}

core::NormalisedDigit DrawCanvas::networkDigit() const
{
    const QImage ink = networkImage();
    return ink.isNull() ? core::NormalisedDigit{} : core::preprocess::normalise(ink, core::Polarity::DarkInk);
}

QImage DrawCanvas::networkImage() const
{
    if (isBlank())
        return {};
    if (!m_content.background.isNull())
        return inkImage(); // a loaded image is classified as shown (its strokes on it included)
    if (isTooSmall())
        return {};
    // The strokes scaled so their longer side is kNetworkRenderPx, drawn with a pen proportional
    // to that size: a digit drawn small and one drawn large give the same picture.
    const QRectF box = strokeBounds();
    const qreal scale = kNetworkRenderPx / std::max(box.width(), box.height());
    const qreal pen = kNetworkPenRatio * kNetworkRenderPx;
    const int margin = int(std::ceil(pen * kMaxPressureWidth / 2)) + 4;
    const QSize size(int(std::ceil(box.width() * scale)) + 2 * margin, int(std::ceil(box.height() * scale)) + 2 * margin);
    QImage image(size, QImage::Format_RGB32);
    image.fill(Qt::white);
    QPainter p(&image);
    p.setRenderHint(QPainter::Antialiasing);
    const QTransform toPixels(scale, 0, 0, scale, margin - box.left() * scale, margin - box.top() * scale);
    for (const Stroke &s : m_content.strokes)
        for (int piece = 0; piece <= s.size(); ++piece)
            paintPiece(p, s, piece, toPixels, pen);
    for (int piece = 0; piece <= m_current.size(); ++piece)
        paintPiece(p, m_current, piece, toPixels, pen);
    p.end();
    return image;
}

void DrawCanvas::render()
{
    m_image.fill(Qt::white);
    m_inkRect = QRect();
    QPainter p(&m_image);
    p.setRenderHint(QPainter::Antialiasing);
    p.setRenderHint(QPainter::SmoothPixmapTransform);
    if (!m_content.background.isNull()) {
        const QSizeF fitted = QSizeF(m_content.background.size()).scaled(side(), side(), Qt::KeepAspectRatio);
        const QRectF target(origin() + QPointF((side() - fitted.width()) / 2, (side() - fitted.height()) / 2), fitted);
        p.drawImage(target, m_content.background);
        m_inkRect = target.toAlignedRect();
    }
    for (const Stroke &s : std::as_const(m_content.strokes))
        for (int piece = 0; piece <= s.size(); ++piece)
            m_inkRect |= paintPiece(p, s, piece);
    for (int piece = 0; piece < m_current.size(); ++piece)
        m_inkRect |= paintPiece(p, m_current, piece);
}

void DrawCanvas::applyContent(const Content &content)
{
    m_current.clear();
    m_drawing = false;
    m_content = content;
    render();
    update();
    Q_EMIT drawingSettled();
}

void DrawCanvas::paintEvent(QPaintEvent *event)
{
    if (!qFuzzyCompare(m_image.devicePixelRatio(), devicePixelRatioF())) // moved to another screen
        recreateImage();
    QPainter p(this);
    const QRect dirty = event->rect();
    const qreal dpr = m_image.devicePixelRatio();
    p.drawImage(QRectF(dirty), m_image, QRectF(QPointF(dirty.topLeft()) * dpr, QSizeF(dirty.size()) * dpr));
    if (isBlank()) {
        // A hint, not part of the image: it is never classified.
        p.setPen(QColor(0x9a, 0x9a, 0x9a));
        QFont f = font();
        f.setPointSizeF(f.pointSizeF() * 1.3);
        p.setFont(f);
        p.drawText(rect(), Qt::AlignCenter, tr("Draw a digit here"));
    }
}

void DrawCanvas::resizeEvent(QResizeEvent *event)
{
    // Re-render from the strokes rather than copying pixels: nothing is cropped when the canvas
    // shrinks, and the drawing (and pen width) scale with it.
    recreateImage();
    QWidget::resizeEvent(event);
}

void DrawCanvas::recreateImage()
{
    const qreal dpr = devicePixelRatioF();
    m_image = QImage((QSizeF(size()) * dpr).toSize().expandedTo(QSize(1, 1)), QImage::Format_RGB32);
    m_image.setDevicePixelRatio(dpr);
    render();
}

QImage DrawCanvas::inkImage() const
{
    const QRect ink = inkRect();
    if (isBlank() || ink.isEmpty())
        return {};
    const int margin = std::max(8, std::max(ink.width(), ink.height()) / 8);
    const QRect crop = ink.adjusted(-margin, -margin, margin, margin) & rect();
    const qreal dpr = m_image.devicePixelRatio();
    const QRect pixels = QRectF(QPointF(crop.topLeft()) * dpr, QSizeF(crop.size()) * dpr).toAlignedRect() & m_image.rect();
    return m_image.copy(pixels);
}

void DrawCanvas::beginStroke(QPointF widgetPos, qreal width)
{
    const bool wasBlank = isBlank();
    m_drawing = true;
    m_current = {StrokePoint{toUnit(widgetPos), width}};
    QPainter p(&m_image);
    p.setRenderHint(QPainter::Antialiasing);
    const QRect dirty = paintPiece(p, m_current, 0);
    m_inkRect |= dirty;
    if (wasBlank)
        update(); // remove the hint text
    else
        update(dirty);
    Q_EMIT inkChanged();
}

void DrawCanvas::extendStroke(QPointF widgetPos, qreal width)
{
    if (!m_drawing || m_current.isEmpty())
        return;
    if (QLineF(toWidget(m_current.last().pos), widgetPos).length() < kMinStep)
        return;
    m_current.append(StrokePoint{toUnit(widgetPos), width});
    QPainter p(&m_image);
    p.setRenderHint(QPainter::Antialiasing);
    const QRect dirty = paintPiece(p, m_current, int(m_current.size()) - 1);
    m_inkRect |= dirty;
    update(dirty);
    Q_EMIT inkChanged();
}

void DrawCanvas::endStroke()
{
    if (!m_drawing)
        return;
    m_drawing = false;
    {
        QPainter p(&m_image);
        p.setRenderHint(QPainter::Antialiasing);
        const QRect dirty = paintPiece(p, m_current, int(m_current.size()));
        m_inkRect |= dirty;
        update(dirty);
    }
    Content before = m_content;
    m_content.strokes.append(m_current);
    m_current.clear();
    m_undo->push(new CanvasCommand(this, std::move(before), m_content, tr("Stroke"), true));
    Q_EMIT drawingSettled();
}

void DrawCanvas::clear()
{
    if (isBlank())
        return;
    Content before = m_content;
    if (m_drawing) { // Esc in the middle of a stroke drops it too
        m_current.clear();
        m_drawing = false;
    }
    m_undo->push(new CanvasCommand(this, std::move(before), Content{}, tr("Clear"), false));
}

void DrawCanvas::setImage(const QImage &image)
{
    if (image.isNull())
        return;
    Content after;
    // The one polarity guess of the Draw tab, for files only (drawn ink is ink): core's.
    after.background = core::preprocess::toPaper(image);
    m_undo->push(new CanvasCommand(this, m_content, std::move(after), tr("Load image"), false));
}

bool DrawCanvas::loadImageFile(const QString &path)
{
    QImage image;
    try {
        image = core::preprocess::readImage(path); // the one image reader, shared with the CLI
    } catch (const core::ImageError &e) {
        Q_EMIT loadFailed(e.text());
        return false;
    }
    if (image.width() < kMinImageSide || image.height() < kMinImageSide) {
        Q_EMIT loadFailed(tr("%1: the image is %2×%3 pixels, too small to hold a digit (at least %4×%4).")
                              .arg(QDir::toNativeSeparators(path))
                              .arg(image.width())
                              .arg(image.height())
                              .arg(kMinImageSide));
        return false;
    }
    setImage(image);
    return true;
}

bool DrawCanvas::saveImage(const QString &path, QString *error) const
{
    try {
        core::safefile::writePng(path, m_image.convertToFormat(QImage::Format_Grayscale8)); // never over a device or FIFO
        return true;
    } catch (const core::FileError &e) {
        if (error)
            *error = e.text();
        return false;
    }
}

void DrawCanvas::mousePressEvent(QMouseEvent *event)
{
    if (event->button() != Qt::LeftButton)
        return QWidget::mousePressEvent(event);
    beginStroke(event->position(), 1.0);
    event->accept();
}

void DrawCanvas::mouseMoveEvent(QMouseEvent *event)
{
    // The stroke state, not event->buttons(), decides: some input paths report no buttons.
    if (!m_drawing)
        return QWidget::mouseMoveEvent(event);
    extendStroke(event->position(), 1.0);
    event->accept();
}

void DrawCanvas::mouseReleaseEvent(QMouseEvent *event)
{
    if (event->button() != Qt::LeftButton || !m_drawing)
        return QWidget::mouseReleaseEvent(event);
    extendStroke(event->position(), 1.0);
    endStroke();
    event->accept();
}

void DrawCanvas::tabletEvent(QTabletEvent *event)
{
    // Accepted tablet events suppress the synthesized mouse events, so each point arrives once.
    switch (event->type()) {
    case QEvent::TabletPress:
        beginStroke(event->position(), pressureWidth(event->pressure()));
        break;
    case QEvent::TabletMove:
        if (m_drawing)
            extendStroke(event->position(), pressureWidth(event->pressure()));
        break;
    case QEvent::TabletRelease:
        if (m_drawing) {
            extendStroke(event->position(), pressureWidth(event->pressure()));
            endStroke();
        }
        break;
    default:
        return QWidget::tabletEvent(event);
    }
    event->accept();
}

namespace {
/// A dropped local regular file whose content looks like an image. Regular first: sniffing the
/// format of a dragged FIFO would block the GUI thread until a writer came.
bool isImageFile(const QUrl &url)
{
    return url.isLocalFile() && QFileInfo(url.toLocalFile()).isFile() && !QImageReader::imageFormat(url.toLocalFile()).isEmpty();
}
} // namespace

void DrawCanvas::dragEnterEvent(QDragEnterEvent *event)
{
    // Only images: anything else (a checkpoint, say) is left to the main window.
    const QMimeData *mime = event->mimeData();
    const bool imageFile = mime->hasUrls() && !mime->urls().isEmpty() && isImageFile(mime->urls().first());
    if (mime->hasImage() || imageFile)
        event->acceptProposedAction();
    else
        event->ignore();
}

void DrawCanvas::dropEvent(QDropEvent *event)
{
    const QMimeData *mime = event->mimeData();
    if (mime->hasUrls() && !mime->urls().isEmpty() && isImageFile(mime->urls().first()))
        loadImageFile(mime->urls().first().toLocalFile());
    else if (mime->hasImage())
        setImage(qvariant_cast<QImage>(mime->imageData()));
    else
        return;
    event->acceptProposedAction();
}

} // namespace ui
