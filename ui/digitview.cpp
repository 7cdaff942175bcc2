#include "digitview.h"
#include <QPainter>
#include <algorithm>

namespace ui {

DigitView::DigitView(QWidget *parent) : QWidget(parent)
{
    setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Preferred);
}

void DigitView::setImage(const QImage &image)
{
    m_image = image;
    m_enlarged = QImage();
    update();
}

void DigitView::setPlaceholderText(const QString &text)
{
    m_placeholder = text;
    update();
}

void DigitView::setGridVisible(bool visible)
{
    m_grid = visible;
    m_enlarged = QImage();
    update();
}

const QImage &DigitView::enlarged(int scale)
{
    if (!m_enlarged.isNull() && m_enlargedScale == scale)
        return m_enlarged;
    m_enlargedScale = scale;
    m_enlarged = m_image.convertToFormat(QImage::Format_RGB32)
                     .scaled(m_image.size() * scale, Qt::IgnoreAspectRatio, Qt::FastTransformation);
    if (m_grid && scale >= 6) {
        // A faint grid, blended into the pixels directly (cheaper than painter lines with alpha).
        auto tint = [](QRgb &px) {
            px = qRgb((qRed(px) * 7 + 128) / 8, (qGreen(px) * 7 + 128) / 8, (qBlue(px) * 7 + 128) / 8);
        };
        const int w = m_enlarged.width(), h = m_enlarged.height();
        for (int y = 0; y < h; ++y) {
            auto *line = reinterpret_cast<QRgb *>(m_enlarged.scanLine(y));
            if (y % scale == 0 && y > 0) {
                for (int x = 0; x < w; ++x)
                    tint(line[x]);
            } else {
                for (int x = scale; x < w; x += scale)
                    tint(line[x]);
            }
        }
    }
    return m_enlarged;
}

void DigitView::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    const int side = std::min(width(), height());
    if (m_image.isNull()) {
        const QRect box((width() - side) / 2, (height() - side) / 2, side, side);
        p.fillRect(box, Qt::black);
        p.setPen(QColor(0xb0, 0xb0, 0xb0));
        p.drawText(box.adjusted(6, 6, -6, -6), Qt::AlignCenter | Qt::TextWordWrap, m_placeholder);
        return;
    }
    // Integer scale: every source pixel becomes an equal square block.
    const int scale = std::max(1, side / std::max(m_image.width(), m_image.height()));
    const QSize shown = m_image.size() * scale;
    const QRect target(QPoint((width() - shown.width()) / 2, (height() - shown.height()) / 2), shown);
    p.drawImage(target.topLeft(), enlarged(scale));
    p.setPen(palette().color(QPalette::Mid));
    p.setBrush(Qt::NoBrush);
    p.drawRect(target.adjusted(0, 0, -1, -1));
}

} // namespace ui
