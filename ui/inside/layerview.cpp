#include "layerview.h"
#include "heatscale.h"
#include "core/types.h"
#include <QMouseEvent>
#include <QPainter>
#include <algorithm>

namespace ui {

namespace {
/// Width of the row titles and legends on the left.
constexpr int kLabelWidth = 165;
/// Vertical room for a row's title above its cells' legend.
constexpr int kRowGap = 10;
constexpr int kMargin = 8;
} // namespace

LayerView::LayerView(QWidget *parent) : QWidget(parent)
{
    setMouseTracking(true);
    setAccessibleName(tr("Network layers"));
    setAccessibleDescription(tr("Heat maps of every layer's activations for the current input. Hover a conv2 map to "
                                "see the kernels that feed it; click a logit or a softmax bar to explain that class."));
    // {title, cells, map w, map h, cell w, cell h, gap, signed}
    struct Spec {
        const char *title;
        int count, mapW, mapH, cellW, cellH, gap;
        bool signedValues;
    };
    const Spec specs[kRows] = {
        {QT_TR_NOOP("input 28×28"), 1, 28, 28, 56, 56, 0, false},
        {QT_TR_NOOP("conv1 filters 10×5×5"), 10, 5, 5, 40, 40, 12, true},
        {QT_TR_NOOP("conv1 10×24×24"), 10, 24, 24, 48, 48, 4, true},
        {QT_TR_NOOP("pool+ReLU 10×12×12"), 10, 12, 12, 48, 48, 4, false},
        {QT_TR_NOOP("conv2 20×8×8 (hover)"), 20, 8, 8, 24, 24, 2, true},
        {QT_TR_NOOP("pool+ReLU 20×4×4"), 20, 4, 4, 24, 24, 2, false},
        {QT_TR_NOOP("fc1+ReLU 50"), 50, 1, 1, 9, 22, 1, false},
        {QT_TR_NOOP("logits 10 (click)"), 10, 1, 1, 48, 26, 4, true},
        {QT_TR_NOOP("softmax 10 (click)"), 10, 1, 1, 48, 40, 4, false},
    };
    const int titleH = fontMetrics().height();
    int y = kMargin;
    for (int i = 0; i < kRows; ++i) {
        auto &r = m_rows[i];
        r.title = tr(specs[i].title);
        r.count = specs[i].count;
        r.mapW = specs[i].mapW;
        r.mapH = specs[i].mapH;
        r.cellW = specs[i].cellW;
        r.cellH = specs[i].cellH;
        r.pitch = specs[i].cellW + specs[i].gap;
        r.signedValues = specs[i].signedValues;
        r.top = y;
        // The label column needs a title line and a legend (bar + numbers) per row.
        y += std::max(r.cellH, 2 * titleH + 10) + kRowGap;
    }
}

QSize LayerView::sizeHint() const
{
    int w = 0;
    for (const auto &r : m_rows)
        w = std::max(w, r.count * r.pitch);
    const auto &last = m_rows.back();
    return {kLabelWidth + w + 2 * kMargin, last.top + std::max(last.cellH, 2 * fontMetrics().height() + 10) + kMargin};
}

QRect LayerView::cellRect(Row r, int index) const
{
    const auto &l = row(r);
    return {kMargin + kLabelWidth + index * l.pitch, l.top, l.cellW, l.cellH};
}

void LayerView::setActivations(const core::LayerActivations *activations)
{
    m_hasActivations = activations != nullptr;
    if (activations)
        m_activations = *activations;
    rebuildImages();
    update();
}

void LayerView::setConv1Filters(const core::TensorData &weight)
{
    m_conv1Filters = weight;
    rebuildImages();
    update();
}

void LayerView::setSelectedClass(int digit)
{
    if (digit == m_selectedClass)
        return;
    m_selectedClass = digit;
    update();
}

void LayerView::rebuildImages()
{
    const auto build = [this](Row r, const core::TensorData &t) {
        auto &images = m_images[int(r)];
        images.clear();
        const auto &l = row(r);
        const std::size_t per = std::size_t(l.mapW) * l.mapH;
        if (t.values.size() != per * std::size_t(l.count)) {
            m_scale[int(r)] = 0;
            return;
        }
        // One scale per row: maps of a layer compare with each other.
        const float scale = HeatScale::maxAbs(t.values.data(), t.values.size());
        m_scale[int(r)] = scale;
        if (per == 1)
            return; // units are painted as plain rectangles
        for (int i = 0; i < l.count; ++i)
            images.push_back(HeatScale::image(t.values.data() + i * per, l.mapW, l.mapH, scale));
    };
    build(Row::Input, m_hasActivations ? m_activations.input : core::TensorData{});
    build(Row::Conv1Filters, m_conv1Filters);
    const core::TensorData none;
    build(Row::Conv1, m_hasActivations ? m_activations.conv1 : none);
    build(Row::Pool1, m_hasActivations ? m_activations.pool1 : none);
    build(Row::Conv2, m_hasActivations ? m_activations.conv2 : none);
    build(Row::Pool2, m_hasActivations ? m_activations.pool2 : none);
    build(Row::Fc1, m_hasActivations ? m_activations.fc1 : none);
    build(Row::Logits, m_hasActivations ? m_activations.logits : none);
    build(Row::Softmax, m_hasActivations ? m_activations.softmax : none);
    if (m_scale[int(Row::Softmax)] > 0)
        m_scale[int(Row::Softmax)] = 1.0f; // probabilities: always 0..1
}

QRect LayerView::promptRect() const
{
    const QRect rows = cellRect(Row::Conv1, 0).united(cellRect(Row::Pool1, 9));
    const QRect shown = rows.intersected(visibleRegion().boundingRect());
    return shown.isEmpty() ? rows : shown;
}

void LayerView::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.fillRect(rect(), palette().color(QPalette::Base));
    for (int i = 0; i < kRows; ++i)
        paintRow(p, Row(i));
    paintHoveredUnit(p);
    if (!m_hasActivations) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        // Word-wrapped in the shown part: centred on the whole row it was cut mid-word at 1024 px.
        p.drawText(promptRect(), Qt::AlignCenter | Qt::TextWordWrap, tr("Draw a digit, or select a test image in Browse"));
    }
}

// A row's title and legend, then each map (or unit) in its cell.
void LayerView::paintRow(QPainter &p, Row r) const
{
    const int i = int(r);
    const auto &l = m_rows[i];
    const QColor text = palette().color(QPalette::Text);
    const int titleH = fontMetrics().height();
    p.setPen(text);
    p.drawText(QRect(kMargin, l.top, kLabelWidth - 10, titleH), Qt::AlignLeft | Qt::AlignVCenter, l.title);
    const bool has = m_scale[i] > 0;
    if (has)
        HeatScale::paintLegend(p, QRect(kMargin, l.top + titleH + 2, kLabelWidth - 24, titleH + 8), m_scale[i], l.signedValues);
    for (int c = 0; c < l.count; ++c) {
        const QRect cell = cellRect(r, c);
        if (!has) {
            p.fillRect(cell, QColor(235, 235, 235));
            continue;
        }
        const auto &images = m_images[i];
        if (!images.empty())
            p.drawImage(cell, images[std::size_t(c)]);
        else
            paintUnit(p, r, c, cell);
        p.setPen(QColor(150, 150, 150));
        p.drawRect(cell.adjusted(0, 0, -1, -1));
    }
    // The class being explained, in both class rows.
    if ((r == Row::Logits || r == Row::Softmax) && m_selectedClass >= 0) {
        p.setPen(QPen(text, 2));
        p.drawRect(cellRect(r, m_selectedClass).adjusted(-2, -2, 1, 1));
    }
}

// One unit of fc1, the logits or the softmax: a coloured cell (a bar for a probability).
void LayerView::paintUnit(QPainter &p, Row r, int c, const QRect &cell) const
{
    const auto &values = (r == Row::Fc1 ? m_activations.fc1 : r == Row::Logits ? m_activations.logits : m_activations.softmax).values;
    const float v = values[std::size_t(c)];
    if (r == Row::Softmax) {
        // Probabilities read best as bar lengths; the colour repeats the value.
        p.fillRect(cell, QColor(245, 245, 245));
        const int h = int(std::lround(cell.height() * std::clamp(v, 0.0f, 1.0f)));
        p.fillRect(QRect(cell.left(), cell.bottom() - h + 1, cell.width(), h), QColor::fromRgb(HeatScale::colour(v, 1.0f)));
    } else {
        p.fillRect(cell, QColor::fromRgb(HeatScale::colour(v, m_scale[int(r)])));
    }
    if (r == Row::Logits || r == Row::Softmax) {
        // Dark cells get white text (a strong logit, a near-certain class).
        const bool dark = r == Row::Logits ? std::abs(v) > 0.6f * m_scale[int(r)] : v > 0.6f;
        p.setPen(dark ? QColor(Qt::white) : palette().color(QPalette::Text));
        const QString label = r == Row::Logits ? HeatScale::number(v) : QString::number(c);
        p.drawText(cell, Qt::AlignCenter, label);
    }
}

// The hovered conv2 unit: its map framed, the unit itself in yellow.
void LayerView::paintHoveredUnit(QPainter &p) const
{
    if (m_hovered[0] < 0)
        return;
    const auto &l = row(Row::Conv2);
    const QRect cell = cellRect(Row::Conv2, m_hovered[0]);
    const int s = l.cellW / l.mapW;
    p.setPen(QPen(QColor(0, 0, 0), 2));
    p.drawRect(cell.adjusted(-2, -2, 1, 1));
    p.setPen(QPen(QColor(255, 200, 0), 2));
    p.drawRect(QRect(cell.left() + m_hovered[2] * s, cell.top() + m_hovered[1] * s, s, s));
}

bool LayerView::hoverAt(const QPoint &pos)
{
    const auto &l = row(Row::Conv2);
    for (int m = 0; m < l.count && m_hasActivations; ++m) {
        const QRect cell = cellRect(Row::Conv2, m);
        if (cell.contains(pos)) {
            const int s = l.cellW / l.mapW;
            setHovered(m, std::clamp((pos.y() - cell.top()) / s, 0, l.mapH - 1), std::clamp((pos.x() - cell.left()) / s, 0, l.mapW - 1));
            return true;
        }
    }
    return false;
}

void LayerView::mouseMoveEvent(QMouseEvent *event)
{
    // Leaving the row keeps the last unit: the kernel view stays readable while the pointer moves
    // down to it.
    if (!hoverAt(event->position().toPoint()))
        QWidget::mouseMoveEvent(event);
}

void LayerView::mousePressEvent(QMouseEvent *event)
{
    const QPoint pos = event->position().toPoint();
    if (hoverAt(pos)) // a click (or a tap: no hover on touch screens) picks the unit too
        return;
    for (Row r : {Row::Logits, Row::Softmax})
        for (int c = 0; c < core::kClasses; ++c)
            if (cellRect(r, c).contains(pos)) {
                Q_EMIT classClicked(c);
                return;
            }
    QWidget::mousePressEvent(event);
}

void LayerView::setHovered(int map, int y, int x)
{
    if (m_hovered == std::array<int, 3>{map, y, x})
        return;
    m_hovered = {map, y, x};
    update();
    Q_EMIT conv2UnitHovered(map, y, x);
}

} // namespace ui
