#include "heatscale.h"
#include <QPainter>
#include <algorithm>
#include <cmath>

namespace ui {

namespace {
// ColorBrewer's RdBu end points: distinguishable for the common colour-vision deficiencies.
constexpr QRgb kNegative = 0xff2166ac;
constexpr QRgb kPositive = 0xffb2182b;
/// Below this the scale is treated as empty (all white).
constexpr float kTiny = 1e-12f;

QRgb mix(QRgb to, float t)
{
    t = std::clamp(t, 0.0f, 1.0f);
    const auto ch = [&](int c) { return int(std::lround(255 + (c - 255) * t)); };
    return qRgb(ch(qRed(to)), ch(qGreen(to)), ch(qBlue(to)));
}
} // namespace

QRgb HeatScale::colour(float v, float maxAbs)
{
    if (maxAbs <= kTiny || !std::isfinite(v))
        return qRgb(255, 255, 255);
    return mix(v < 0 ? kNegative : kPositive, std::abs(v) / maxAbs);
}

QRgb HeatScale::overlayColour(float v, float maxAbs)
{
    if (maxAbs <= kTiny || !std::isfinite(v))
        return qRgba(0, 0, 0, 0);
    const float t = std::clamp(std::abs(v) / maxAbs, 0.0f, 1.0f);
    const QRgb c = v < 0 ? kNegative : kPositive;
    // Square root: weak but real evidence stays visible next to the strongest pixels.
    return qRgba(qRed(c), qGreen(c), qBlue(c), int(std::lround(235 * std::sqrt(t))));
}

float HeatScale::maxAbs(const float *values, std::size_t n)
{
    float m = 0;
    for (std::size_t i = 0; i < n; ++i)
        if (std::isfinite(values[i]))
            m = std::max(m, std::abs(values[i]));
    return std::max(m, kTiny);
}

QImage HeatScale::image(const float *values, int w, int h, float maxAbs)
{
    QImage img(w, h, QImage::Format_RGB32);
    for (int y = 0; y < h; ++y) {
        auto *line = reinterpret_cast<QRgb *>(img.scanLine(y));
        for (int x = 0; x < w; ++x)
            line[x] = colour(values[y * w + x], maxAbs);
    }
    return img;
}

QImage HeatScale::input(const float *values, int w, int h)
{
    QImage img(w, h, QImage::Format_Grayscale8);
    for (int y = 0; y < h; ++y) {
        uchar *line = img.scanLine(y);
        for (int x = 0; x < w; ++x)
            line[x] = uchar(std::lround(std::clamp(values[y * w + x], 0.0f, 1.0f) * 255));
    }
    return img;
}

QString HeatScale::number(float v)
{
    const float a = std::abs(v);
    if (a == 0)
        return QStringLiteral("0");
    if (a >= 100 || a < 0.01f)
        return QString::number(double(v), 'g', 2);
    return QString::number(double(v), 'f', a >= 10 ? 0 : (a >= 1 ? 1 : 2));
}

void HeatScale::paintLegend(QPainter &p, const QRect &rect, float maxAbs, bool signedValues)
{
    const QFontMetrics fm = p.fontMetrics();
    const QRect bar(rect.left(), rect.top(), rect.width(), std::max(4, rect.height() - fm.height() - 1));
    for (int x = 0; x < bar.width(); ++x) {
        const float t = bar.width() > 1 ? float(x) / float(bar.width() - 1) : 1.0f;
        const float v = signedValues ? (2 * t - 1) * maxAbs : t * maxAbs;
        p.setPen(QColor::fromRgb(colour(v, maxAbs)));
        p.drawLine(bar.left() + x, bar.top(), bar.left() + x, bar.bottom());
    }
    p.setPen(QColor(120, 120, 120));
    p.setBrush(Qt::NoBrush);
    p.drawRect(bar.adjusted(0, 0, -1, -1));
    p.setPen(p.pen().color().darker(150));
    const int y = bar.bottom() + 1;
    const QRect text(rect.left(), y, rect.width(), fm.height());
    p.drawText(text, Qt::AlignLeft | Qt::AlignTop, signedValues ? HeatScale::number(-maxAbs) : QStringLiteral("0"));
    if (signedValues)
        p.drawText(text, Qt::AlignHCenter | Qt::AlignTop, QStringLiteral("0"));
    p.drawText(text, Qt::AlignRight | Qt::AlignTop, HeatScale::number(maxAbs));
}

} // namespace ui
