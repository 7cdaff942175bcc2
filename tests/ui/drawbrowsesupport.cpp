#include "drawbrowsesupport.h"
#include "../core/testsupport.h"
#include "core/classifier.h"
#include "core/error.h"
#include "core/mnist.h"
#include "core/trainer.h"
#include "ui/draw/drawcanvas.h"
#include <QImage>
#include <QTest>
#include <QWidget>
#include <array>
#include <catch2/catch.hpp>
#include <vector>

namespace drawbrowse {

std::shared_ptr<const core::MnistSet> testSet()
{
    const auto set = testsupport::sharedTestSet();
    REQUIRE(set->count == 10000);
    return set;
}

std::shared_ptr<const core::Classifier> bundled()
{
    try {
        return core::Classifier::bundled();
    } catch (const core::Error &e) {
        FAIL("the bundled model cannot be read: " << e.what());
    }
    return {};
}

std::shared_ptr<const core::Classifier> untrained()
{
    core::TrainConfig config;
    config.seed = 12345;
    core::Trainer trainer(config);
    return trainer.snapshot();
}

DrawTabFixture::DrawTabFixture(QSize size)
{
    state.setClassifier(bundled());
    tab.resize(size);
    tab.show();
    REQUIRE(QTest::qWaitForWindowExposed(&tab));
}

void drawStroke(QWidget *widget, const QList<QPointF> &points)
{
    REQUIRE(!points.isEmpty());
    QTest::mousePress(widget, Qt::LeftButton, Qt::NoModifier, points.first().toPoint());
    for (qsizetype i = 1; i < points.size(); ++i)
        QTest::mouseMove(widget, points[i].toPoint());
    QTest::mouseRelease(widget, Qt::LeftButton, Qt::NoModifier, points.last().toPoint());
}

namespace {

// Upscaling before thinning gives the skeleton sub-pixel resolution of the 28x28 image.
constexpr int kUp = 4;
constexpr int kN = 28 * kUp;

using Grid = std::vector<std::uint8_t>;

int at(const Grid &g, int x, int y)
{
    return (x < 0 || y < 0 || x >= kN || y >= kN) ? 0 : g[std::size_t(y * kN + x)];
}

// Zhang-Suen thinning: peels boundary pixels in two alternating sub-iterations until only a
// one-pixel-wide, connected skeleton is left.
void thin(Grid &g)
{
    bool changed = true;
    std::vector<int> remove;
    while (changed) {
        changed = false;
        for (int step = 0; step < 2; ++step) {
            remove.clear();
            for (int y = 0; y < kN; ++y)
                for (int x = 0; x < kN; ++x) {
                    if (!at(g, x, y))
                        continue;
                    const int p2 = at(g, x, y - 1), p3 = at(g, x + 1, y - 1), p4 = at(g, x + 1, y),
                              p5 = at(g, x + 1, y + 1), p6 = at(g, x, y + 1), p7 = at(g, x - 1, y + 1),
                              p8 = at(g, x - 1, y), p9 = at(g, x - 1, y - 1);
                    const int b = p2 + p3 + p4 + p5 + p6 + p7 + p8 + p9;
                    if (b < 2 || b > 6)
                        continue;
                    const std::array<int, 9> ring{p2, p3, p4, p5, p6, p7, p8, p9, p2};
                    int a = 0;
                    for (int i = 0; i < 8; ++i)
                        a += ring[std::size_t(i)] == 0 && ring[std::size_t(i + 1)] == 1;
                    if (a != 1)
                        continue;
                    if (step == 0 ? (p2 * p4 * p6 == 0 && p4 * p6 * p8 == 0) : (p2 * p4 * p8 == 0 && p2 * p6 * p8 == 0))
                        remove.push_back(y * kN + x);
                }
            for (int i : remove)
                g[std::size_t(i)] = 0;
            changed = changed || !remove.empty();
        }
    }
}

constexpr std::array<std::array<int, 2>, 8> kNeighbours{{{1, 0}, {0, 1}, {-1, 0}, {0, -1}, {1, 1}, {-1, 1}, {-1, -1}, {1, -1}}};

int degree(const Grid &g, int x, int y)
{
    int d = 0;
    for (auto [dx, dy] : kNeighbours)
        d += at(g, x + dx, y + dy);
    return d;
}

} // namespace

QList<QList<QPointF>> skeletonStrokes(const std::uint8_t *pixels)
{
    const QImage small(pixels, 28, 28, 28, QImage::Format_Grayscale8);
    const QImage big = small.scaled(kN, kN, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
    Grid g(std::size_t(kN * kN));
    for (int y = 0; y < kN; ++y)
        for (int x = 0; x < kN; ++x)
            g[std::size_t(y * kN + x)] = big.constScanLine(y)[x] > 110 ? 1 : 0;
    thin(g);

    // Follow the skeleton: start at end points (degree 1) so strokes run end to end, then pick up
    // what is left (closed loops). A branch starts from the visited pixel it touches, so it joins
    // its parent stroke as a pen would.
    Grid visited(g.size(), 0);
    QList<QList<QPointF>> strokes;
    auto follow = [&](int x, int y, QList<QPointF> stroke) {
        for (;;) {
            visited[std::size_t(y * kN + x)] = 1;
            stroke.append(QPointF((x + 0.5) / kUp, (y + 0.5) / kUp));
            bool moved = false;
            for (auto [dx, dy] : kNeighbours) {
                const int nx = x + dx, ny = y + dy;
                if (at(g, nx, ny) && !visited[std::size_t(ny * kN + nx)]) {
                    x = nx;
                    y = ny;
                    moved = true;
                    break;
                }
            }
            if (!moved)
                break;
        }
        if (stroke.size() >= 3) // skeleton spurs of a pixel or two are noise, not pen strokes
            strokes.append(stroke);
    };
    for (int pass = 0; pass < 2; ++pass)
        for (int y = 0; y < kN; ++y)
            for (int x = 0; x < kN; ++x) {
                if (!at(g, x, y) || visited[std::size_t(y * kN + x)])
                    continue;
                if (pass == 0 && degree(g, x, y) != 1)
                    continue;
                QList<QPointF> start;
                for (auto [dx, dy] : kNeighbours) // attach a branch to the stroke it leaves
                    if (at(g, x + dx, y + dy) && visited[std::size_t((y + dy) * kN + x + dx)]) {
                        start.append(QPointF((x + dx + 0.5) / kUp, (y + dy + 0.5) / kUp));
                        break;
                    }
                follow(x, y, start);
            }
    return strokes;
}

void traceDigit(ui::DrawCanvas *canvas, const core::MnistSet &set, int index, double size, QPointF shift)
{
    const auto strokes = skeletonStrokes(set.image(index));
    QRectF box;
    for (const auto &s : strokes)
        for (const QPointF &p : s)
            box = box.isNull() ? QRectF(p, QSizeF(0.01, 0.01)) : box.united(QRectF(p, QSizeF(0.01, 0.01)));
    const double side = std::min(canvas->width(), canvas->height());
    const double scale = size * side / box.height();
    const QPointF offset = QPointF(canvas->width() / 2.0, canvas->height() / 2.0) - box.center() * scale + shift * side;
    for (const auto &s : strokes) {
        QList<QPointF> pts;
        for (qsizetype i = 0; i < s.size(); i += 2)
            pts.append(offset + s[i] * scale);
        pts.append(offset + s.last() * scale);
        drawStroke(canvas, pts);
    }
}

} // namespace drawbrowse
