#include "saliencyview.h"
#include "heatscale.h"
#include "core/types.h"
#include <QPainter>
#include <cmath>

namespace ui {

namespace {
/// Screen pixels per input pixel.
constexpr int kScale = 6;
constexpr int kMargin = 4;
} // namespace

SaliencyView::SaliencyView(QWidget *parent) : QWidget(parent) {}

QSize SaliencyView::sizeHint() const
{
    const int lineH = fontMetrics().height();
    return {core::kSide * kScale + 2 * kMargin, core::kSide * kScale + 3 * lineH + 14 + 2 * kMargin};
}

void SaliencyView::setTitle(const QString &title)
{
    m_title = title;
    setAccessibleName(title);
    update();
}

void SaliencyView::setData(const std::vector<float> &input, const core::TensorData &map)
{
    m_input = input;
    m_map = map;
    m_scale = map.values.size() == std::size_t(core::kPixels) ? HeatScale::maxAbs(map.values.data(), map.values.size()) : 0;
    update();
}

QImage SaliencyView::overlay() const
{
    QImage img(core::kSide, core::kSide, QImage::Format_ARGB32);
    img.fill(Qt::white);
    if (m_input.size() != std::size_t(core::kPixels))
        return img;
    for (int y = 0; y < core::kSide; ++y) {
        auto *line = reinterpret_cast<QRgb *>(img.scanLine(y));
        for (int x = 0; x < core::kSide; ++x) {
            // Ink as light grey: the digit stays recognisable under the colours.
            const int grey = 255 - int(std::lround(110 * m_input[std::size_t(y * core::kSide + x)]));
            QColor c(grey, grey, grey);
            if (m_scale > 0) {
                const QRgb o = HeatScale::overlayColour(m_map.values[std::size_t(y * core::kSide + x)], m_scale);
                const float a = qAlpha(o) / 255.0f;
                c = QColor(int(grey * (1 - a) + qRed(o) * a), int(grey * (1 - a) + qGreen(o) * a), int(grey * (1 - a) + qBlue(o) * a));
            }
            line[x] = c.rgb();
        }
    }
    return img;
}

void SaliencyView::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    const int lineH = fontMetrics().height();
    p.setPen(palette().color(QPalette::WindowText));
    p.drawText(QRect(kMargin, kMargin, width() - 2 * kMargin, lineH), Qt::AlignLeft, m_title);
    const QRect image(kMargin, kMargin + lineH + 2, core::kSide * kScale, core::kSide * kScale);
    p.drawImage(image, overlay());
    p.setPen(QColor(150, 150, 150));
    p.drawRect(image.adjusted(0, 0, -1, -1));
    if (m_input.empty()) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(image, Qt::AlignCenter, tr("no input"));
    } else if (m_scale > 0) {
        HeatScale::paintLegend(p, QRect(kMargin, image.bottom() + 4, image.width(), lineH + 8), m_scale, true);
    } else {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(QRect(kMargin, image.bottom() + 4, image.width(), lineH), Qt::AlignLeft, tr("computing…"));
    }
}

} // namespace ui
