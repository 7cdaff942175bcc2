#include "kernelview.h"
#include "heatscale.h"
#include "core/types.h"
#include <QPainter>
#include <algorithm>
#include <cmath>

namespace ui {

namespace {
/// Screen side of one window or kernel in the unit's detail (5x5 at 6 pixels a weight, 3x3 at 10).
constexpr int kDetailSide = 30;
/// The kernel grid's box: wide enough for 55 input channels of 3x3 at a pixel a weight (the rest
/// are said, not shown), as tall as twenty 5x5 kernels at three.
constexpr int kGridWidth = 220;
constexpr int kGridHeight = 320;
constexpr int kGap = 6;
constexpr int kMargin = 8;
/// The input's enlargement in the receptive-field panel.
constexpr int kInputScale = 3;

int detailWidth()
{
    return KernelView::kMaxTerms * (kDetailSide + kGap) + kGap + core::kSide * kInputScale;
}
} // namespace

KernelView::KernelView(QWidget *parent) : QWidget(parent)
{
    setAccessibleName(tr("Kernels"));
    setAccessibleDescription(tr("The windows and kernels that feed the hovered unit, its receptive field on the input, and all the "
                                "kernels of its convolution."));
}

QSize KernelView::sizeHint() const
{
    const int lineH = fontMetrics().height();
    const int h = 2 * lineH + 4 + std::max(lineH + 4 + kGridHeight, 2 * kDetailSide + 2 * lineH + 16);
    return {2 * kMargin + detailWidth() + 3 * kGap + kGridWidth, h + 2 * kMargin};
}

void KernelView::setNetwork(const core::NetworkReport &report, const core::NamedTensors &weights)
{
    m_report = report;
    m_weights = weights;
    m_defaultConv = -1;
    for (int i = 0; i < int(report.layers.size()); ++i)
        if (report.layers[std::size_t(i)].layer.kind == core::LayerKind::Conv2d)
            m_defaultConv = i;
    m_gridConv = -1; // rebuilt for the new weights
    if (m_layer >= int(report.layers.size()))
        m_layer = -1;
    explainUnit();
}

void KernelView::setOutputs(std::shared_ptr<const std::vector<core::LayerOutput>> outputs, const std::vector<float> &input)
{
    m_outputs = std::move(outputs);
    m_input = input;
    explainUnit();
}

void KernelView::setUnit(int layer, int channel, int y, int x)
{
    m_layer = layer >= 0 && layer < int(m_report.layers.size()) ? layer : -1;
    m_channel = channel;
    m_y = y;
    m_x = x;
    explainUnit();
}

const core::TensorData *KernelView::tensor(int layer, bool bias) const
{
    const auto &specs = m_report.layers[std::size_t(layer)].tensors;
    const std::size_t which = bias ? 1 : 0;
    if (specs.size() <= which)
        return nullptr;
    for (const auto &[key, value] : m_weights)
        if (key == specs[which].key)
            return &value;
    return nullptr;
}

int KernelView::convolutionOf(int layer) const
{
    // Every 2-D layer but a convolution keeps its input's channels: channel c comes from
    // channel c of the convolution before it.
    for (int i = layer; i >= 0; --i) {
        const auto &l = m_report.layers[std::size_t(i)];
        if (l.out.flat)
            return -1;
        if (l.layer.kind == core::LayerKind::Conv2d)
            return i;
    }
    return -1;
}

void KernelView::explainUnit()
{
    m_shown.clear();
    m_unit = {};
    m_withWindows = false;
    m_field = {0, 0, core::kSide, core::kSide};
    m_conv = m_layer >= 0 ? convolutionOf(m_layer) : m_defaultConv;
    if (m_layer >= 0) {
        const auto &l = m_report.layers[std::size_t(m_layer)];
        if (!l.out.flat && m_y < l.out.height && m_x < l.out.width)
            m_field = core::receptiveField(m_report, m_layer, m_y, m_x);
    }
    const core::TensorData *weight = m_conv >= 0 ? tensor(m_conv, false) : nullptr;
    const auto &conv = m_conv >= 0 ? m_report.layers[std::size_t(m_conv)] : core::LayerReport{};
    if (m_layer >= 0 && weight && m_channel < conv.out.channels) {
        const int k = conv.layer.kernel, cin = conv.in.channels;
        if (m_layer == m_conv && m_outputs) {
            // The unit's own sum: each input channel's window times its kernel.
            const core::TensorData image{{1, core::kSide, core::kSide}, m_input};
            const core::TensorData &in = m_conv == 0 ? image : (*m_outputs)[std::size_t(m_conv - 1)].values;
            const core::TensorData *bias = tensor(m_conv, true);
            try {
                m_unit = core::convolutionUnit(m_report, m_conv, in, *weight, bias ? *bias : core::TensorData{}, m_channel, m_y, m_x);
                m_shown = m_unit.terms;
                m_withWindows = true;
            } catch (const std::invalid_argument &) {
                m_unit = {}; // outputs of another network than the report's (mid-swap): nothing to show
            }
        } else {
            // A later layer: the kernels that made its channel.
            for (int c = 0; c < cin; ++c) {
                core::ConvolutionTerm t;
                t.channel = c;
                const float *w = weight->values.data() + (std::size_t(m_channel) * cin + c) * k * k;
                t.kernel.assign(w, w + std::size_t(k) * k);
                double norm = 0;
                for (float v : t.kernel)
                    norm += double(v) * v;
                t.contribution = float(std::sqrt(norm));
                m_shown.push_back(std::move(t));
            }
        }
        if (int(m_shown.size()) > kMaxTerms) {
            // The channels that matter most for this unit: the largest contributions (or kernels).
            std::stable_sort(m_shown.begin(), m_shown.end(),
                             [](const auto &a, const auto &b) { return std::abs(a.contribution) > std::abs(b.contribution); });
            m_shown.resize(kMaxTerms);
        }
    }
    rebuildGrid();
    update();
}

std::vector<int> KernelView::shownChannels() const
{
    std::vector<int> out;
    for (const auto &t : m_shown)
        out.push_back(t.channel);
    return out;
}

void KernelView::rebuildGrid()
{
    const core::TensorData *weight = m_conv >= 0 ? tensor(m_conv, false) : nullptr;
    if (!weight) {
        m_grid = QImage();
        m_gridConv = -1;
        return;
    }
    const auto &conv = m_report.layers[std::size_t(m_conv)];
    const int k = conv.layer.kernel, cin = conv.in.channels, cout = conv.out.channels;
    const int cell = std::clamp(kGridWidth / (cin * (k + 1)), 1, 3); // screen pixels per weight
    const int pitch = k * cell + 1;
    const int rows = std::min(cout, std::max(1, kGridHeight / pitch));
    const int first = (m_layer >= 0 ? std::clamp(m_channel, 0, cout - 1) / rows : 0) * rows;
    if (m_gridConv == m_conv && m_gridFirst == first && !m_grid.isNull())
        return; // painted once per page and model, not per repaint: hundreds of small images add up
    m_gridConv = m_conv;
    m_gridFirst = first;
    m_gridRows = std::min(rows, cout - first);
    m_gridColumns = std::min(cin, std::max(1, kGridWidth / pitch));
    m_gridCell = cell;
    m_weightScale = HeatScale::maxAbs(weight->values.data(), weight->values.size());
    m_grid = QImage(m_gridColumns * pitch, m_gridRows * pitch, QImage::Format_RGB32);
    m_grid.fill(palette().color(QPalette::Base));
    QPainter p(&m_grid);
    for (int m = 0; m < m_gridRows; ++m)
        for (int c = 0; c < m_gridColumns; ++c)
            p.drawImage(QRect(c * pitch, m * pitch, k * cell, k * cell),
                        HeatScale::image(weight->values.data() + (std::size_t(first + m) * cin + c) * k * k, k, k, m_weightScale));
}

QString KernelView::caption() const
{
    if (m_layer < 0 || !m_outputs || std::size_t(m_layer) >= m_outputs->size())
        return {};
    const auto &l = m_report.layers[std::size_t(m_layer)];
    const auto &values = (*m_outputs)[std::size_t(m_layer)].values.values;
    const std::size_t at = l.out.flat ? std::size_t(m_channel) : (std::size_t(m_channel) * l.out.height + m_y) * l.out.width + m_x;
    if (at >= values.size())
        return {};
    const QString v = HeatScale::number(values[at]);
    if (l.out.flat)
        return tr("%1: unit %2 = %3; it reads the whole input").arg(l.name()).arg(m_channel).arg(v);
    const QString unit = tr("%1: channel %2 at (%3, %4) = %5").arg(l.name()).arg(m_channel).arg(m_y).arg(m_x).arg(v);
    if (m_withWindows) {
        const int n = int(m_unit.terms.size());
        return n > kMaxTerms ? tr("%1: the sum of %2 windows × kernels plus bias %3; the %4 that add the most are below")
                                   .arg(unit).arg(n).arg(HeatScale::number(m_unit.bias)).arg(kMaxTerms)
                             : tr("%1: the sum of the %2 windows × kernels below, plus bias %3").arg(unit).arg(n).arg(HeatScale::number(m_unit.bias));
    }
    if (m_conv >= 0)
        return tr("%1; its channel comes from %2, whose kernels for it are below").arg(unit, m_report.layers[std::size_t(m_conv)].name());
    return unit;
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
                   m_defaultConv >= 0 ? tr("Hover a map to see the kernels that feed it and its patch of the input; click it to keep it here.")
                                      : tr("This network has no convolution: every unit reads the whole input."));
        return;
    }
    p.setPen(palette().color(QPalette::Text));
    p.drawText(QRect(kMargin, kMargin, detailW, 2 * lineH), Qt::AlignLeft | Qt::TextWordWrap, line);
    const int top = kMargin + 2 * lineH + 4;
    paintTerms(p, top, detailW);
    paintReceptiveField(p, top);
}

// The convolution's kernels on the right: a row per output channel, a column per input channel.
// Returns its left edge.
int KernelView::paintKernelGrid(QPainter &p) const
{
    const QColor text = palette().color(QPalette::Text);
    const int lineH = fontMetrics().height();
    const int gridLeft = width() - kMargin - kGridWidth;
    if (m_grid.isNull())
        return gridLeft;
    const auto &conv = m_report.layers[std::size_t(m_conv)];
    p.setPen(text);
    const QString rows = m_gridRows == conv.out.channels ? tr("kernels of %1").arg(conv.name())
                                                         : tr("kernels of %1, channels %2–%3").arg(conv.name()).arg(m_gridFirst).arg(m_gridFirst + m_gridRows - 1);
    p.drawText(QRect(gridLeft, kMargin, kGridWidth, 2 * lineH), Qt::AlignLeft | Qt::TextWordWrap, rows);
    const int gridTop = kMargin + 2 * lineH + 4;
    p.drawImage(gridLeft, gridTop, m_grid);
    if (m_gridColumns < conv.in.channels)
        p.drawText(QRect(gridLeft, gridTop + m_grid.height() + 2, kGridWidth, lineH), Qt::AlignLeft,
                   tr("inputs 0–%1 of %2").arg(m_gridColumns - 1).arg(conv.in.channels));
    if (m_layer >= 0 && m_channel >= m_gridFirst && m_channel < m_gridFirst + m_gridRows) {
        const int pitch = conv.layer.kernel * m_gridCell + 1;
        p.setPen(QPen(text, 2));
        p.drawRect(QRect(gridLeft - 2, gridTop + (m_channel - m_gridFirst) * pitch - 2, m_grid.width() + 2, pitch + 2));
    }
    return gridLeft;
}

// The windows the unit reads (top) over the kernels that weigh them (bottom), or the kernels alone.
void KernelView::paintTerms(QPainter &p, int top, int detailW) const
{
    if (m_shown.empty() || m_conv < 0)
        return;
    const QColor text = palette().color(QPalette::Text);
    const int lineH = fontMetrics().height();
    const int k = m_report.layers[std::size_t(m_conv)].layer.kernel;
    const int s = std::max(1, kDetailSide / k) * k;
    // One scale for all windows (they are parts of one layer's output) and one for the kernels.
    float windowScale = 0;
    for (const auto &t : m_shown)
        windowScale = std::max(windowScale, HeatScale::maxAbs(t.window.data(), t.window.size()));
    const float kernelScale = m_weightScale;
    for (std::size_t i = 0; i < m_shown.size(); ++i) {
        const auto &t = m_shown[i];
        const int left = kMargin + int(i) * (kDetailSide + kGap);
        const QRect wr(left, top, s, s), kr(left, top + s + 4, s, s);
        if (m_withWindows) {
            p.drawImage(wr, HeatScale::image(t.window.data(), k, k, windowScale));
            p.setPen(QColor(150, 150, 150));
            p.drawRect(wr.adjusted(0, 0, -1, -1));
        }
        p.drawImage(kr, HeatScale::image(t.kernel.data(), k, k, kernelScale));
        p.setPen(QColor(150, 150, 150));
        p.drawRect(kr.adjusted(0, 0, -1, -1));
        p.setPen(text);
        p.drawText(QRect(left - 2, kr.bottom() + 2, s + 4, lineH), Qt::AlignHCenter, QString::number(t.channel));
    }
    p.drawText(QRect(kMargin, top + 2 * s + lineH + 8, detailW, lineH), Qt::AlignLeft,
               m_withWindows ? tr("top: windows read · bottom: kernels · below: input channel")
                             : tr("the kernels that make this channel · below: input channel"));
}

// The input with the unit's receptive field.
void KernelView::paintReceptiveField(QPainter &p, int top) const
{
    if (m_input.size() != std::size_t(core::kPixels))
        return;
    const int lineH = fontMetrics().height();
    const int inLeft = kMargin + kMaxTerms * (kDetailSide + kGap) + kGap;
    const QRect inRect(inLeft, top, core::kSide * kInputScale, core::kSide * kInputScale);
    p.drawImage(inRect, HeatScale::input(m_input.data(), core::kSide, core::kSide));
    if (m_field.width > 0 && m_field.height > 0) {
        p.setPen(QPen(QColor(255, 200, 0), 2));
        p.drawRect(QRect(inRect.left() + m_field.left * kInputScale, inRect.top() + m_field.top * kInputScale,
                         m_field.width * kInputScale, m_field.height * kInputScale));
    }
    p.setPen(palette().color(QPalette::Text));
    p.drawText(QRect(inLeft - 10, inRect.bottom() + 2, inRect.width() + 20, lineH), Qt::AlignHCenter, tr("input patch"));
}

} // namespace ui
