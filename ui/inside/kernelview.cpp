#include "kernelview.h"
#include "heatscale.h"
#include "core/types.h"
#include <QPainter>

namespace ui {

namespace {
/// Screen pixels per weight / activation in the unit's detail.
constexpr int kDetailScale = 6;
/// Screen pixels per weight in the full 20x10 kernel grid.
constexpr int kGridScale = 3;
constexpr int kGap = 6;
constexpr int kMargin = 8;
/// The input's enlargement in the receptive-field panel.
constexpr int kInputScale = 3;
} // namespace

KernelView::KernelView(QWidget *parent) : QWidget(parent)
{
    setAccessibleName(tr("conv2 kernels"));
    setAccessibleDescription(tr("The ten kernels and input windows that feed the hovered conv2 unit, and all of conv2's kernels."));
}

QSize KernelView::sizeHint() const
{
    const int detailW = 10 * (5 * kDetailScale + kGap) + kGap + core::kSide * kInputScale;
    const int gridW = 10 * (5 * kGridScale + 1);
    const int h = fontMetrics().height() * 2 + std::max(20 * (5 * kGridScale + 1), 2 * (5 * kDetailScale) + kGap + fontMetrics().height() + 20);
    return {2 * kMargin + detailW + 3 * kGap + gridW, h + 2 * kMargin};
}

void KernelView::setConv2(const core::TensorData &weight, const core::TensorData &bias)
{
    m_weight = weight;
    m_bias = bias;
    m_grid = QImage();
    if (m_weight.values.size() == 20 * 10 * 25) {
        // Painted once per model, not per repaint: 200 small images add up.
        const float scale = HeatScale::maxAbs(m_weight.values.data(), m_weight.values.size());
        m_grid = QImage(10 * (5 * kGridScale + 1), 20 * (5 * kGridScale + 1), QImage::Format_RGB32);
        m_grid.fill(palette().color(QPalette::Base));
        QPainter p(&m_grid);
        for (int m = 0; m < 20; ++m)
            for (int c = 0; c < 10; ++c)
                p.drawImage(QRect(c * (5 * kGridScale + 1), m * (5 * kGridScale + 1), 5 * kGridScale, 5 * kGridScale),
                            HeatScale::image(m_weight.values.data() + (m * 10 + c) * 25, 5, 5, scale));
    }
    update();
}

void KernelView::setActivations(const core::LayerActivations *activations)
{
    m_hasActivations = activations != nullptr;
    if (activations)
        m_activations = *activations;
    update();
}

void KernelView::setUnit(int map, int y, int x)
{
    m_map = map;
    m_y = y;
    m_x = x;
    update();
}

QString KernelView::caption() const
{
    if (m_map < 0 || !m_hasActivations || m_activations.conv2.values.size() != 20 * 64)
        return {};
    const float v = m_activations.conv2.values[std::size_t(m_map * 64 + m_y * 8 + m_x)];
    const float b = m_bias.values.size() == 20 ? m_bias.values[std::size_t(m_map)] : 0.0f;
    return tr("conv2 map %1 at (%2, %3) = %4: the sum of the 10 windows × kernels below, plus bias %5")
        .arg(m_map).arg(m_y).arg(m_x).arg(HeatScale::number(v), HeatScale::number(b));
}

void KernelView::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.fillRect(rect(), palette().color(QPalette::Base));
    const int gridLeft = paintKernelGrid(p);
    const int detailW = gridLeft - 3 * kGap - kMargin;
    const int lineH = fontMetrics().height();
    const QString line = caption();
    if (line.isEmpty()) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(QRect(kMargin, kMargin, detailW, 4 * lineH), Qt::AlignLeft | Qt::TextWordWrap,
                   tr("Hover a conv2 map to see the ten 5×5 kernels that feed it and the input patch under the pointer."));
        return;
    }
    p.setPen(palette().color(QPalette::Text));
    p.drawText(QRect(kMargin, kMargin, detailW, 2 * lineH), Qt::AlignLeft | Qt::TextWordWrap, line);
    const int top = kMargin + 2 * lineH + 4;
    paintUnitInputs(p, top, detailW);
    paintReceptiveField(p, top);
}

// All 200 kernels on the right: a row per conv2 map, a column per input channel. Returns its left edge.
int KernelView::paintKernelGrid(QPainter &p) const
{
    const QColor text = palette().color(QPalette::Text);
    const int lineH = fontMetrics().height();
    const int gridW = 10 * (5 * kGridScale + 1);
    const int gridLeft = width() - kMargin - gridW;
    p.setPen(text);
    p.drawText(QRect(gridLeft - 40, kMargin, gridW + 40, lineH), Qt::AlignRight, tr("all conv2 kernels"));
    const int gridTop = kMargin + lineH + 4;
    if (m_weight.values.size() == 20 * 10 * 25) {
        p.drawImage(gridLeft, gridTop, m_grid);
        if (m_map >= 0) {
            p.setPen(QPen(text, 2));
            p.drawRect(QRect(gridLeft - 2, gridTop + m_map * (5 * kGridScale + 1) - 2, gridW + 2, 5 * kGridScale + 3));
        }
    }
    return gridLeft;
}

// The ten windows of pool1 (what the unit reads) over their kernels (how it weighs them).
void KernelView::paintUnitInputs(QPainter &p, int top, int detailW) const
{
    const QColor text = palette().color(QPalette::Text);
    const int lineH = fontMetrics().height();
    const bool haveWeights = m_weight.values.size() == 20 * 10 * 25;
    const float wScale = haveWeights ? HeatScale::maxAbs(m_weight.values.data(), m_weight.values.size()) : 0;
    const int s5 = 5 * kDetailScale;
    const auto &pool1 = m_activations.pool1.values;
    const float poolScale = HeatScale::maxAbs(pool1.data(), pool1.size());
    for (int c = 0; c < 10; ++c) {
        const int left = kMargin + c * (s5 + kGap);
        float window[25];
        for (int wy = 0; wy < 5; ++wy)
            for (int wx = 0; wx < 5; ++wx)
                window[wy * 5 + wx] = pool1[std::size_t(c * 144 + (m_y + wy) * 12 + m_x + wx)];
        const QRect wr(left, top, s5, s5), kr(left, top + s5 + 4, s5, s5);
        p.drawImage(wr, HeatScale::image(window, 5, 5, poolScale));
        if (haveWeights)
            p.drawImage(kr, HeatScale::image(m_weight.values.data() + (m_map * 10 + c) * 25, 5, 5, wScale));
        p.setPen(QColor(150, 150, 150));
        p.drawRect(wr.adjusted(0, 0, -1, -1));
        p.drawRect(kr.adjusted(0, 0, -1, -1));
        p.setPen(text);
        p.drawText(QRect(left, kr.bottom() + 2, s5, lineH), Qt::AlignHCenter, QString::number(c));
    }
    p.drawText(QRect(kMargin, top + 2 * s5 + lineH + 8, detailW, lineH), Qt::AlignLeft,
               tr("top: pooled conv1 windows read · bottom: the kernels"));
}

// The input with the receptive field of the unit.
void KernelView::paintReceptiveField(QPainter &p, int top) const
{
    const int lineH = fontMetrics().height();
    const int inLeft = kMargin + 10 * (5 * kDetailScale + kGap) + kGap;
    const QRect inRect(inLeft, top, core::kSide * kInputScale, core::kSide * kInputScale);
    p.drawImage(inRect, HeatScale::input(m_activations.input.values.data(), core::kSide, core::kSide));
    const auto field = core::conv2ReceptiveField(m_y, m_x);
    p.setPen(QPen(QColor(255, 200, 0), 2));
    p.drawRect(QRect(inRect.left() + field.left * kInputScale, inRect.top() + field.top * kInputScale, field.size * kInputScale,
                     field.size * kInputScale));
    p.setPen(palette().color(QPalette::Text));
    p.drawText(QRect(inLeft - 10, inRect.bottom() + 2, inRect.width() + 20, lineH), Qt::AlignHCenter, tr("input patch"));
}

} // namespace ui
