#include "layerview.h"
#include "classlabel.h"
#include "heatscale.h"
#include "layerviewaccessible.h"
#include "core/types.h"
#include <QAccessible>
#include <QHelpEvent>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QPaintEvent>
#include <QPainter>
#include <QToolTip>
#include <algorithm>
#include <cmath>

namespace ui {

namespace {
/// Width of the row titles and legends on the left.
constexpr int kLabelWidth = 190;
/// Space between rows.
constexpr int kRowGap = 10;
constexpr int kMargin = 8;
/// The page arrows' side.
constexpr int kArrow = 16;

/// A map's preferred side on screen: a few maps are shown large, many small (never below one
/// screen pixel per value: the row wraps and pages instead).
int targetSide(LayerView::RowKind kind, int count)
{
    if (kind == LayerView::RowKind::Input)
        return 56;
    if (kind == LayerView::RowKind::Kernels)
        return count <= 10 ? 40 : 24;
    return count <= 10 ? 48 : 24;
}

int linesOf(int count, int perLine) { return (count + perLine - 1) / perLine; }
} // namespace

LayerView::LayerView(QWidget *parent) : QWidget(parent)
{
    // Screen readers walk the rows (issue 18): the factory is installed once, on first use.
    static const bool factoryInstalled = [] {
        QAccessible::installFactory(&LayerViewAccessible::factory);
        return true;
    }();
    Q_UNUSED(factoryInstalled);
    setMouseTracking(true);
    setFocusPolicy(Qt::StrongFocus);
    setAccessibleName(tr("Network layers"));
    setAccessibleDescription(tr("Heat maps of every layer's outputs for the current input, a row per layer. Hover a map (or use the "
                                "arrow keys) to see what feeds it, click to keep it; click a class, or press Enter on it, to "
                                "explain that class. Page Up and Page Down page a row of many channels."));
    setNetwork(core::NetworkReport{});
}

void LayerView::addRow(Row row)
{
    m_rows.push_back(std::move(row));
}

void LayerView::setNetwork(const core::NetworkReport &report)
{
    m_rows.clear();
    m_hasActivations = false;
    m_hovered = {-1, -1, -1, -1};
    m_pinned = false;
    Row input;
    input.kind = RowKind::Input;
    input.title = tr("input %1").arg(report.input.text());
    input.count = 1;
    input.mapW = report.input.width;
    input.mapH = report.input.height;
    input.signedValues = false;
    addRow(std::move(input));
    bool nonNegative = true; // pixels
    for (std::size_t i = 0; i < report.layers.size(); ++i) {
        const core::LayerReport &l = report.layers[i];
        // A convolution on the image: its kernels are pictures of what it looks for.
        if (l.layer.kind == core::LayerKind::Conv2d && l.in.channels == 1 && !l.tensors.empty()) {
            Row kernels;
            kernels.kind = RowKind::Kernels;
            kernels.layer = int(i);
            kernels.title = tr("kernels of %1 %2").arg(l.position).arg(l.layer.text());
            kernels.count = l.out.channels;
            kernels.mapW = kernels.mapH = l.layer.kernel;
            kernels.weightKey = l.tensors.front().key;
            addRow(std::move(kernels));
        }
        Row row;
        row.layer = int(i);
        row.title = l.name();
        row.count = l.out.channels;
        if (!l.out.flat) {
            row.mapW = l.out.width;
            row.mapH = l.out.height;
        }
        // Signed where a layer can make negative values; after a ReLU, and the pools, dropout
        // and Flatten that follow it, not.
        const bool keepsSign = l.layer.kind == core::LayerKind::MaxPool2d || l.layer.kind == core::LayerKind::AvgPool2d ||
                               l.layer.isDropout() || l.layer.kind == core::LayerKind::Flatten;
        nonNegative = l.layer.kind == core::LayerKind::ReLU || (keepsSign && nonNegative);
        row.signedValues = !nonNegative;
        row.classes = i + 1 == report.layers.size();
        addRow(std::move(row));
    }
    Row softmax;
    softmax.kind = RowKind::Softmax;
    softmax.title = tr("softmax %1").arg(report.layers.empty() ? 0 : report.layers.back().out.channels);
    softmax.count = report.layers.empty() ? 0 : report.layers.back().out.channels;
    softmax.signedValues = false;
    softmax.classes = true;
    addRow(std::move(softmax));
    m_currentRow = std::clamp(m_currentRow, 0, rowCount() - 1);
    layoutRows();
    updateGeometry();
    update();
    if (QAccessible::isActive()) {
        QAccessibleEvent event(this, QAccessible::NameChanged);
        QAccessible::updateAccessibility(&event);
    }
}

void LayerView::setWeights(const core::NamedTensors &weights)
{
    for (Row &r : m_rows) {
        if (r.kind != RowKind::Kernels)
            continue;
        core::TensorData values;
        for (const auto &[key, value] : weights)
            if (key == r.weightKey)
                values = value;
        setRowValues(r, std::move(values));
        update(rowRect(int(&r - m_rows.data())));
    }
}

void LayerView::layoutRows()
{
    const QFontMetrics fm = fontMetrics();
    const int lineH = fm.height();
    int y = kMargin;
    for (Row &r : m_rows) {
        const int count = std::max(1, r.count);
        if (r.mapW > 1 || r.mapH > 1) {
            const int side = std::max(r.mapW, r.mapH);
            int scale = std::max(1, int(std::lround(double(targetSide(r.kind, count)) / side)));
            r.gap = count > 10 ? 2 : 4;
            for (;;) {
                r.cellW = r.mapW * scale;
                r.cellH = r.mapH * scale;
                r.perLine = std::max(1, (kCellsWidth + r.gap) / (r.cellW + r.gap));
                if (linesOf(count, r.perLine) <= kMaxLines || scale == 1)
                    break;
                --scale;
            }
        } else if (r.classes) {
            r.gap = 4;
            r.cellW = std::clamp((kCellsWidth + r.gap) / count - r.gap, 8, 48);
            r.cellH = r.kind == RowKind::Softmax ? 40 : 26;
            r.perLine = std::max(1, (kCellsWidth + r.gap) / (r.cellW + r.gap));
        } else {
            // A strip of units: as wide as the row allows, down to 2 pixels a unit.
            const int pitch = std::clamp(kCellsWidth / count, 2, 16);
            r.gap = pitch >= 5 ? 1 : 0;
            r.cellW = pitch - r.gap;
            r.cellH = 18;
            r.perLine = kCellsWidth / pitch;
        }
        r.perPage = r.perLine * kMaxLines;
        r.page = std::clamp(r.page, 0, std::max(0, linesOf(count, r.perPage) - 1));
        const int lines = std::min(linesOf(count, r.perLine), kMaxLines);
        const int cells = lines * (r.cellH + r.gap) - r.gap;
        const int titleLines = fm.horizontalAdvance(r.title) > kLabelWidth - 10 ? 2 : 1;
        // Title, legend, and a line for the page arrows and the hovered channel.
        const int label = titleLines * lineH + 2 + lineH + 8 + (r.kind == RowKind::Layer || r.count > r.perPage ? lineH + 4 : 0);
        r.top = y;
        r.height = std::max(cells, label);
        y += r.height + kRowGap;
    }
}

QSize LayerView::sizeHint() const
{
    const int h = m_rows.empty() ? 100 : m_rows.back().top + m_rows.back().height + kMargin;
    return {kLabelWidth + kCellsWidth + 2 * kMargin, h};
}

int LayerView::rowOfLayer(int layer) const
{
    for (int r = 0; r < rowCount(); ++r)
        if (m_rows[std::size_t(r)].kind == RowKind::Layer && m_rows[std::size_t(r)].layer == layer)
            return r;
    return -1;
}

int LayerView::pageCount(int row) const
{
    const Row &r = m_rows[std::size_t(row)];
    return std::max(1, linesOf(r.count, r.perPage));
}

void LayerView::setPage(int row, int page)
{
    if (row < 0 || row >= rowCount())
        return;
    Row &r = m_rows[std::size_t(row)];
    page = std::clamp(page, 0, pageCount(row) - 1);
    if (page == r.page)
        return;
    r.page = page;
    rebuildImages(r);
    if (m_hovered[0] == row && (m_hovered[1] < r.firstShown() || m_hovered[1] >= r.endShown()))
        m_hovered = {-1, -1, -1, -1};
    update(rowRect(row));
}

QString LayerView::pageText(int row) const
{
    const Row &r = m_rows[std::size_t(row)];
    if (pageCount(row) == 1)
        return {};
    return tr("%1–%2 of %3").arg(r.firstShown() + 1).arg(r.endShown()).arg(r.count);
}

QRect LayerView::cellRect(int row, int index) const
{
    if (row < 0 || row >= rowCount())
        return {};
    const Row &r = m_rows[std::size_t(row)];
    if (index < r.firstShown() || index >= r.endShown())
        return {};
    const int i = index - r.firstShown();
    return {kMargin + kLabelWidth + (i % r.perLine) * (r.cellW + r.gap), r.top + (i / r.perLine) * (r.cellH + r.gap), r.cellW, r.cellH};
}

QRect LayerView::rowRect(int row) const
{
    const Row &r = m_rows[std::size_t(row)];
    return {0, r.top - kRowGap / 2, width(), r.height + kRowGap};
}

QRect LayerView::pageButtonRect(int row, bool next) const
{
    if (pageCount(row) == 1)
        return {};
    const Row &r = m_rows[std::size_t(row)];
    const int lineH = fontMetrics().height();
    return {kMargin + (next ? kArrow + 4 : 0), r.top + r.height - lineH - 2, kArrow, lineH + 2};
}

QRect LayerView::promptRect() const
{
    // The first layers' rows (below the input and the kernels of a first convolution).
    QRect rows;
    int found = 0;
    for (int r = 0; r < rowCount() && found < 2; ++r)
        if (m_rows[std::size_t(r)].kind == RowKind::Layer) {
            const Row &row = m_rows[std::size_t(r)];
            rows = rows.united(QRect(kMargin + kLabelWidth, row.top, kCellsWidth, row.height));
            ++found;
        }
    const QRect shown = rows.intersected(visibleRegion().boundingRect());
    return shown.isEmpty() ? rows : shown;
}

void LayerView::setOutputs(const std::vector<core::LayerOutput> *outputs, const std::vector<float> &input)
{
    m_hasActivations = outputs != nullptr;
    for (Row &r : m_rows) {
        core::TensorData values;
        if (outputs && r.kind == RowKind::Input)
            values = core::TensorData{{1, r.mapH, r.mapW}, input};
        else if (outputs && r.kind == RowKind::Layer && std::size_t(r.layer) < outputs->size())
            values = (*outputs)[std::size_t(r.layer)].values;
        else if (outputs && r.kind == RowKind::Softmax && !outputs->empty())
            values = outputs->back().values;
        else if (r.kind == RowKind::Kernels)
            continue; // the weights stay
        setRowValues(r, std::move(values));
    }
    update();
}

void LayerView::setRowValues(Row &row, core::TensorData values)
{
    row.values = std::move(values);
    if (row.values.values.size() != std::size_t(row.count) * row.mapW * row.mapH || row.values.values.empty()) {
        row.values = {};
        row.scale = 0;
    } else if (row.kind == RowKind::Softmax) {
        row.scale = 1.0f; // probabilities: always 0..1
    } else {
        // One scale per row: the maps of a layer compare with each other.
        row.scale = HeatScale::maxAbs(row.values.values.data(), row.values.values.size());
    }
    rebuildImages(row);
}

void LayerView::rebuildImages(Row &row)
{
    row.strip = QImage();
    if (row.classes)
        return; // a few cells with text: painted one by one
    // The shown page as one image at screen scale, frames included: an update costs one pass
    // over its pixels, a repaint one blit per row (a row of 128 maps drew 128 scaled images).
    const int shown = row.endShown() - row.firstShown();
    if (shown <= 0)
        return;
    const int lines = (shown + row.perLine - 1) / row.perLine;
    const int w = std::min(shown, row.perLine) * (row.cellW + row.gap) - row.gap;
    const int h = lines * (row.cellH + row.gap) - row.gap;
    row.strip = QImage(w, h, QImage::Format_RGB32);
    row.strip.fill(palette().color(QPalette::Base));
    const std::size_t per = std::size_t(row.mapW) * row.mapH;
    const QRgb frame = qRgb(150, 150, 150), empty = qRgb(235, 235, 235);
    for (int c = row.firstShown(); c < row.endShown(); ++c) {
        const int i = c - row.firstShown();
        const QRect cell((i % row.perLine) * (row.cellW + row.gap), (i / row.perLine) * (row.cellH + row.gap), row.cellW, row.cellH);
        if (row.scale <= 0) {
            for (int y = cell.top(); y <= cell.bottom(); ++y)
                std::fill_n(reinterpret_cast<QRgb *>(row.strip.scanLine(y)) + cell.left(), cell.width(), empty);
            continue;
        }
        HeatScale::fill(row.strip, cell, row.values.values.data() + std::size_t(c) * per, row.mapW, row.mapH, row.scale);
        if (row.cellW >= 6 && row.cellH >= 6) {
            for (int x = cell.left(); x <= cell.right(); ++x) {
                reinterpret_cast<QRgb *>(row.strip.scanLine(cell.top()))[x] = frame;
                reinterpret_cast<QRgb *>(row.strip.scanLine(cell.bottom()))[x] = frame;
            }
            for (int y = cell.top(); y <= cell.bottom(); ++y) {
                auto *line = reinterpret_cast<QRgb *>(row.strip.scanLine(y));
                line[cell.left()] = line[cell.right()] = frame;
            }
        }
    }
}

void LayerView::setSelectedClass(int cls)
{
    if (cls == m_selectedClass)
        return;
    m_selectedClass = cls;
    update();
}

void LayerView::paintEvent(QPaintEvent *event)
{
    QPainter p(this);
    p.fillRect(event->rect(), palette().color(QPalette::Base));
    for (int r = 0; r < rowCount(); ++r) {
        if (!rowRect(r).intersects(event->rect()))
            continue; // in a scroll area most rows are out of sight
        paintLabels(p, r);
        paintCells(p, r);
    }
    paintHoveredUnit(p);
    if (!m_hasActivations && rowCount() > 2) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        // Word-wrapped in the shown part: centred on the whole row it was cut mid-word at 1024 px.
        p.drawText(promptRect(), Qt::AlignCenter | Qt::TextWordWrap, tr("Draw a digit, or select a test image in Browse"));
    }
}

// A row's title, legend, page arrows and hovered channel, in the label column.
void LayerView::paintLabels(QPainter &p, int r) const
{
    const Row &row = m_rows[std::size_t(r)];
    const QColor text = palette().color(QPalette::Text);
    const QFontMetrics fm = fontMetrics();
    const int lineH = fm.height();
    const int titleLines = fm.horizontalAdvance(row.title) > kLabelWidth - 10 ? 2 : 1;
    p.setPen(text);
    p.drawText(QRect(kMargin, row.top, kLabelWidth - 10, titleLines * lineH), Qt::AlignLeft | Qt::AlignTop | Qt::TextWordWrap, row.title);
    const int legendTop = row.top + titleLines * lineH + 2;
    if (row.scale > 0)
        HeatScale::paintLegend(p, QRect(kMargin, legendTop, kLabelWidth - 24, lineH + 8), row.scale, row.signedValues);
    // The status line: page arrows and range, then the hovered channel.
    QString status;
    int statusLeft = kMargin;
    if (pageCount(r) > 1) {
        for (bool next : {false, true}) {
            const QRect b = pageButtonRect(r, next);
            const bool enabled = next ? row.page + 1 < pageCount(r) : row.page > 0;
            p.setPen(enabled ? text : palette().color(QPalette::PlaceholderText));
            p.drawRect(b.adjusted(0, 0, -1, -1));
            p.drawText(b, Qt::AlignCenter, next ? QStringLiteral("›") : QStringLiteral("‹"));
        }
        statusLeft = pageButtonRect(r, true).right() + 6;
        status = pageText(r);
    }
    if (m_hovered[0] == r && row.kind == RowKind::Layer)
        status += (status.isEmpty() ? QString() : QStringLiteral(" · ")) +
                  (row.mapW > 1 || row.mapH > 1 ? tr("channel %1").arg(m_hovered[1]) : tr("unit %1").arg(m_hovered[1]));
    if (!status.isEmpty()) {
        p.setPen(text);
        p.drawText(QRect(statusLeft, row.top + row.height - lineH - 2, kLabelWidth - (statusLeft - kMargin), lineH + 2),
                   Qt::AlignLeft | Qt::AlignVCenter, status);
    }
    if (hasFocus() && r == m_currentRow) {
        QPen focus(palette().color(QPalette::Highlight), 1, Qt::DashLine);
        p.setPen(focus);
        p.drawRect(QRect(2, row.top - 3, kLabelWidth - 4, row.height + 5));
    }
}

// Each map (or unit) of the shown page in its cell.
void LayerView::paintCells(QPainter &p, int r) const
{
    const Row &row = m_rows[std::size_t(r)];
    if (!row.strip.isNull()) {
        p.drawImage(kMargin + kLabelWidth, row.top, row.strip);
        return;
    }
    // The class rows: a logit with its value, a probability as a bar.
    const QColor frame(150, 150, 150);
    for (int c = row.firstShown(); c < row.endShown(); ++c) {
        const QRect cell = cellRect(r, c);
        if (row.scale <= 0) {
            p.fillRect(cell, QColor(235, 235, 235));
            continue;
        }
        paintUnit(p, row, c, cell);
        p.setPen(frame);
        p.drawRect(cell.adjusted(0, 0, -1, -1));
    }
    // The class being explained, in both class rows.
    if (m_selectedClass >= 0) {
        const QRect cell = cellRect(r, m_selectedClass);
        if (!cell.isEmpty()) {
            p.setPen(QPen(palette().color(QPalette::Text), 2));
            p.drawRect(cell.adjusted(-2, -2, 1, 1));
        }
    }
}

// One unit: a coloured cell; a class's logit with its value, a probability as a bar.
void LayerView::paintUnit(QPainter &p, const Row &row, int c, const QRect &cell) const
{
    const float v = row.values.values[std::size_t(c)];
    if (row.kind == RowKind::Softmax) {
        // Probabilities read best as bar lengths; the colour repeats the value.
        p.fillRect(cell, QColor(245, 245, 245));
        const int h = int(std::lround(cell.height() * std::clamp(v, 0.0f, 1.0f)));
        p.fillRect(QRect(cell.left(), cell.bottom() - h + 1, cell.width(), h), QColor::fromRgb(HeatScale::colour(v, 1.0f)));
    } else {
        p.fillRect(cell, QColor::fromRgb(HeatScale::colour(v, row.scale)));
    }
    if (row.classes && cell.width() >= 20) {
        // Dark cells get white text (a strong logit, a near-certain class).
        const bool dark = row.kind == RowKind::Softmax ? v > 0.6f : std::abs(v) > 0.6f * row.scale;
        p.setPen(dark ? QColor(Qt::white) : palette().color(QPalette::Text));
        p.drawText(cell, Qt::AlignCenter, row.kind == RowKind::Softmax ? classLabel(c) : HeatScale::number(v));
    }
}

// The hovered unit: its cell framed, the unit itself in yellow.
void LayerView::paintHoveredUnit(QPainter &p) const
{
    const auto [r, c, y, x] = m_hovered;
    if (r < 0)
        return;
    const Row &row = m_rows[std::size_t(r)];
    const QRect cell = cellRect(r, c);
    if (cell.isEmpty())
        return;
    p.setPen(QPen(QColor(0, 0, 0), 2));
    p.drawRect(cell.adjusted(-2, -2, 1, 1));
    if (row.mapW > 1 || row.mapH > 1) {
        const int sx = row.cellW / row.mapW, sy = row.cellH / row.mapH;
        p.setPen(QPen(QColor(255, 200, 0), 2));
        p.drawRect(QRect(cell.left() + x * sx, cell.top() + y * sy, sx, sy));
    }
}

std::array<int, 4> LayerView::unitAt(const QPoint &pos) const
{
    for (int r = 0; r < rowCount(); ++r) {
        const Row &row = m_rows[std::size_t(r)];
        if (pos.y() < row.top || pos.y() >= row.top + row.height)
            continue;
        const int dx = pos.x() - kMargin - kLabelWidth, dy = pos.y() - row.top;
        if (dx < 0)
            return {-1, -1, -1, -1};
        const int col = dx / (row.cellW + row.gap), line = dy / (row.cellH + row.gap);
        const int c = row.firstShown() + line * row.perLine + col;
        if (col >= row.perLine || c >= row.endShown())
            return {-1, -1, -1, -1};
        const QRect cell = cellRect(r, c);
        if (!cell.contains(pos))
            return {-1, -1, -1, -1};
        const int y = std::clamp((pos.y() - cell.top()) * row.mapH / std::max(1, cell.height()), 0, row.mapH - 1);
        const int x = std::clamp((pos.x() - cell.left()) * row.mapW / std::max(1, cell.width()), 0, row.mapW - 1);
        return {r, c, y, x};
    }
    return {-1, -1, -1, -1};
}

void LayerView::hoverUnit(int row, int channel, int y, int x)
{
    if (row < 0 || row >= rowCount() || channel < 0 || channel >= m_rows[std::size_t(row)].count)
        return;
    Row &r = m_rows[std::size_t(row)];
    setPage(row, channel / std::max(1, r.perPage));
    y = std::clamp(y, 0, r.mapH - 1);
    x = std::clamp(x, 0, r.mapW - 1);
    const std::array<int, 4> unit{row, channel, y, x};
    if (m_hovered == unit)
        return;
    const int before = m_hovered[0];
    m_hovered = unit;
    if (before >= 0 && before < rowCount())
        update(rowRect(before));
    update(rowRect(row));
    if (r.kind == RowKind::Layer)
        Q_EMIT unitHovered(r.layer, channel, y, x);
}

QString LayerView::unitText(int row, int channel, int y, int x) const
{
    const Row &r = m_rows[std::size_t(row)];
    const bool has = r.scale > 0 && std::size_t(channel) < std::size_t(r.count);
    const std::size_t at = (std::size_t(channel) * r.mapH + y) * r.mapW + x;
    const QString value = has ? HeatScale::number(r.values.values[at]) : tr("nothing yet");
    if (r.kind == RowKind::Kernels)
        return tr("%1: the kernel of channel %2, weight (%3, %4) = %5").arg(r.title).arg(channel).arg(y).arg(x).arg(value);
    if (r.classes)
        return tr("%1: class %2 = %3").arg(r.title, classLabel(channel), value);
    if (r.mapW > 1 || r.mapH > 1)
        return tr("%1: channel %2 at (%3, %4) = %5").arg(r.title).arg(channel).arg(y).arg(x).arg(value);
    return tr("%1: unit %2 = %3").arg(r.title).arg(channel).arg(value);
}

QString LayerView::rowDescription(int row) const
{
    const Row &r = m_rows[std::size_t(row)];
    QString what;
    if (r.kind == RowKind::Kernels)
        what = tr("%1 kernels of %2×%3").arg(r.count).arg(r.mapH).arg(r.mapW);
    else if (r.classes)
        what = tr("%1 classes").arg(r.count);
    else if (r.mapW > 1 || r.mapH > 1)
        what = tr("%1 maps of %2×%3").arg(r.count).arg(r.mapH).arg(r.mapW);
    else
        what = tr("%1 units").arg(r.count);
    if (r.scale <= 0)
        what += tr(", nothing to show yet");
    else if (r.kind == RowKind::Softmax && !r.values.values.empty()) {
        const auto top = std::max_element(r.values.values.begin(), r.values.values.end());
        what += tr(", most likely class %1 at %2").arg(classLabel(int(top - r.values.values.begin()))).arg(HeatScale::number(*top));
    } else
        what += tr(", largest magnitude %1").arg(HeatScale::number(r.scale));
    if (pageCount(row) > 1)
        what += tr("; showing %1 (page %2 of %3)").arg(pageText(row)).arg(r.page + 1).arg(pageCount(row));
    return what;
}

void LayerView::mouseMoveEvent(QMouseEvent *event)
{
    // Leaving the cells keeps the last unit: the kernel view stays readable while the pointer
    // moves down to it. A clicked unit stays until another click.
    const auto unit = unitAt(event->position().toPoint());
    if (unit[0] >= 0 && !m_pinned && !m_rows[std::size_t(unit[0])].classes)
        hoverUnit(unit[0], unit[1], unit[2], unit[3]);
    QWidget::mouseMoveEvent(event);
}

void LayerView::mousePressEvent(QMouseEvent *event)
{
    const QPoint pos = event->position().toPoint();
    for (int r = 0; r < rowCount(); ++r)
        for (bool next : {false, true})
            if (pageButtonRect(r, next).contains(pos)) {
                setCurrentRow(r);
                setPage(r, page(r) + (next ? 1 : -1));
                return;
            }
    const auto [r, c, y, x] = unitAt(pos);
    if (r < 0) {
        QWidget::mousePressEvent(event);
        return;
    }
    setCurrentRow(r);
    if (m_rows[std::size_t(r)].classes) {
        Q_EMIT classClicked(c);
        return;
    }
    // A click (or a tap: no hover on touch screens) picks the unit and keeps it; a click on the
    // kept unit lets the pointer lead again.
    const bool same = m_pinned && m_hovered == std::array<int, 4>{r, c, y, x};
    m_pinned = !same;
    hoverUnit(r, c, y, x);
}

void LayerView::moveCursor(int channelStep)
{
    const int r = m_currentRow;
    const Row &row = m_rows[std::size_t(r)];
    if (row.count == 0)
        return;
    const int current = m_hovered[0] == r ? m_hovered[1] : row.firstShown() - channelStep;
    const int c = std::clamp(current + channelStep, 0, row.count - 1);
    m_pinned = true;
    hoverUnit(r, c, m_hovered[0] == r ? m_hovered[2] : row.mapH / 2, m_hovered[0] == r ? m_hovered[3] : row.mapW / 2);
    Q_EMIT cursorMoved(cellRect(r, c).united(rowRect(r)));
}

void LayerView::keyPressEvent(QKeyEvent *event)
{
    const int r = m_currentRow;
    switch (event->key()) {
    case Qt::Key_Up:
    case Qt::Key_Down:
        setCurrentRow(r + (event->key() == Qt::Key_Down ? 1 : -1));
        Q_EMIT cursorMoved(rowRect(m_currentRow));
        return;
    case Qt::Key_Left:
    case Qt::Key_Right:
        moveCursor(event->key() == Qt::Key_Right ? 1 : -1);
        return;
    case Qt::Key_Home:
    case Qt::Key_End:
        moveCursor(event->key() == Qt::Key_End ? channelCount(r) : -channelCount(r));
        return;
    case Qt::Key_PageUp:
    case Qt::Key_PageDown:
        setPage(r, page(r) + (event->key() == Qt::Key_PageDown ? 1 : -1));
        announceCurrentRow();
        return;
    case Qt::Key_Return:
    case Qt::Key_Enter:
    case Qt::Key_Space:
        if (m_rows[std::size_t(r)].classes && m_hovered[0] == r) {
            Q_EMIT classClicked(m_hovered[1]);
            return;
        }
        break;
    case Qt::Key_Escape:
        if (m_pinned) {
            m_pinned = false;
            return;
        }
        break;
    default:
        break;
    }
    QWidget::keyPressEvent(event);
}

bool LayerView::event(QEvent *event)
{
    if (event->type() == QEvent::ToolTip) {
        auto *help = static_cast<QHelpEvent *>(event);
        const auto [r, c, y, x] = unitAt(help->pos());
        if (r >= 0) {
            QToolTip::showText(help->globalPos(), unitText(r, c, y, x), this, cellRect(r, c));
            return true;
        }
        for (int row = 0; row < rowCount(); ++row)
            if (rowRect(row).contains(help->pos()) && help->pos().x() < kMargin + kLabelWidth) {
                QToolTip::showText(help->globalPos(), rowTitle(row) + QStringLiteral("\n") + rowDescription(row), this, rowRect(row));
                return true;
            }
        QToolTip::hideText();
        event->ignore();
        return true;
    }
    return QWidget::event(event);
}

void LayerView::setCurrentRow(int row)
{
    row = std::clamp(row, 0, rowCount() - 1);
    if (row == m_currentRow)
        return;
    const int before = m_currentRow;
    m_currentRow = row;
    if (before < rowCount())
        update(rowRect(before));
    update(rowRect(row));
    announceCurrentRow();
}

void LayerView::announceCurrentRow()
{
    if (!hasFocus() || !QAccessible::isActive())
        return;
    QAccessibleEvent event(this, QAccessible::Focus);
    event.setChild(m_currentRow);
    QAccessible::updateAccessibility(&event);
}

void LayerView::focusInEvent(QFocusEvent *event)
{
    QWidget::focusInEvent(event);
    update(rowRect(m_currentRow));
    announceCurrentRow();
}

void LayerView::focusOutEvent(QFocusEvent *event)
{
    QWidget::focusOutEvent(event);
    update(rowRect(m_currentRow));
}

} // namespace ui
