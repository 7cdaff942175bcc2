#include "heatscale.h"
#include <QPainter>
#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

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

/// Steps of the colour table over -maxAbs..maxAbs: finer than the 255 levels a channel has, so
/// the table's colours are the exact ones to within one level.
constexpr int kTableSteps = 1024;

/// colour() tabulated: the Inside tab colours a few hundred thousand values per update.
const std::array<QRgb, kTableSteps> &table()
{
    static const std::array<QRgb, kTableSteps> colours = [] {
        std::array<QRgb, kTableSteps> t{};
        for (int i = 0; i < kTableSteps; ++i)
            t[std::size_t(i)] = HeatScale::colour(2.0f * float(i) / float(kTableSteps - 1) - 1.0f, 1.0f);
        return t;
    }();
    return colours;
}

QRgb tableColour(const std::array<QRgb, kTableSteps> &t, float v, float inverse)
{
    if (!std::isfinite(v))
        return qRgb(255, 255, 255);
    const float u = std::clamp(v * inverse, -1.0f, 1.0f);
    return t[std::size_t((u + 1.0f) * 0.5f * float(kTableSteps - 1) + 0.5f)];
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
    fill(img, img.rect(), values, w, h, maxAbs);
    return img;
}

void HeatScale::fill(QImage &target, const QRect &cell, const float *values, int w, int h, float maxAbs)
{
    const QRect r = cell.intersected(target.rect());
    if (r.isEmpty() || w <= 0 || h <= 0)
        return;
    const auto &t = table();
    const float inverse = maxAbs > kTiny ? 1.0f / maxAbs : 0.0f;
    std::vector<QRgb> row(std::size_t(cell.width()));
    int lastMapY = -1;
    for (int y = r.top(); y <= r.bottom(); ++y) {
        const int my = (y - cell.top()) * h / cell.height();
        if (my != lastMapY) {
            // One map row's colours at screen width, reused for the screen rows it covers.
            for (int x = 0; x < cell.width(); ++x)
                row[std::size_t(x)] = tableColour(t, values[std::size_t(my) * w + std::size_t(x * w / cell.width())], inverse);
            lastMapY = my;
        }
        auto *line = reinterpret_cast<QRgb *>(target.scanLine(y));
        std::copy(row.begin() + (r.left() - cell.left()), row.begin() + (r.right() - cell.left() + 1), line + r.left());
    }
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
