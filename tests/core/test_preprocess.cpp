#include "core/classifier.h"
#include "core/error.h"
#include "core/preprocess.h"
#include "testsupport.h"

#include <QImage>
#include <QPainter>
#include <QTemporaryDir>
#include <catch2/catch.hpp>
#include <cmath>

namespace {

struct Geometry {
    double massX = 0, massY = 0;
    int width = 0, height = 0;
};

Geometry geometry(const core::NormalisedDigit &d)
{
    Geometry g;
    double mass = 0;
    int left = 28, right = -1, top = 28, bottom = -1;
    for (int y = 0; y < 28; ++y)
        for (int x = 0; x < 28; ++x) {
            const float v = d.pixels[y * 28 + x];
            mass += v;
            g.massX += x * v;
            g.massY += y * v;
            if (v > 0.15f) {
                left = std::min(left, x);
                right = std::max(right, x);
                top = std::min(top, y);
                bottom = std::max(bottom, y);
            }
        }
    g.massX /= mass;
    g.massY /= mass;
    g.width = right - left + 1;
    g.height = bottom - top + 1;
    return g;
}

double meanAbsDiff(const core::NormalisedDigit &a, const core::NormalisedDigit &b)
{
    double sum = 0;
    for (int i = 0; i < core::kPixels; ++i)
        sum += std::abs(a.pixels[i] - b.pixels[i]);
    return sum / core::kPixels;
}

} // namespace

TEST_CASE("a shifted, scaled, inverted digit normalises like the centred one", "[preprocess][data]")
{
    using testsupport::mnistOnCanvas;
    for (int index : {0, 1, 2, 3, 4, 7, 11, 18, 61}) {
        INFO("test image " << index);
        const auto centred = core::preprocess::normalise(mnistOnCanvas(index, 10, 560, 560, 140, 140, false));
        const auto moved = core::preprocess::normalise(mnistOnCanvas(index, 6, 900, 700, 40, 480, true));
        const auto small = core::preprocess::normalise(mnistOnCanvas(index, 3, 300, 120, 200, 20, false));
        REQUIRE_FALSE(centred.blank);
        REQUIRE_FALSE(moved.blank);
        CHECK(meanAbsDiff(centred, moved) < 0.03);
        CHECK(meanAbsDiff(centred, small) < 0.04);

        // MNIST's own geometry: longer side 20 px, centre of mass at (14, 14).
        const auto g = geometry(moved);
        CHECK(std::max(g.width, g.height) >= 19);
        CHECK(std::max(g.width, g.height) <= 21);
        CHECK(g.massX == Approx(14.0).margin(0.3));
        CHECK(g.massY == Approx(14.0).margin(0.3));
    }
}

TEST_CASE("normalised drawings are classified like the MNIST originals", "[preprocess][data]")
{
    const auto model = core::Classifier::bundled();
    const auto &test = testsupport::testSet();
    int agree = 0;
    constexpr int kImages = 200;
    for (int i = 0; i < kImages; ++i) {
        const auto drawn = core::preprocess::normalise(testsupport::mnistOnCanvas(i, 8, 400, 300, 60 + i % 90, 40 - i % 40 + 10, false));
        const auto original = core::preprocess::fromMnist(test.image(i));
        agree += model->predict(drawn.pixels.data()).digit == model->predict(original.pixels.data()).digit;
    }
    WARN("drawn-style copies agree with the originals on " << agree << "/" << kImages);
    CHECK(agree >= kImages * 95 / 100);
}

TEST_CASE("blank and unreadable images are reported, not classified", "[preprocess]")
{
    QImage white(200, 200, QImage::Format_RGB32);
    white.fill(Qt::white);
    CHECK(core::preprocess::normalise(white).blank);
    QImage grey(50, 80, QImage::Format_Grayscale8);
    grey.fill(128);
    CHECK(core::preprocess::normalise(grey).blank);
    CHECK(core::preprocess::normalise(QImage()).blank);

    // A single faint speck is below the contrast floor: still blank.
    QImage speck = white;
    speck.setPixel(10, 10, qRgb(240, 240, 240));
    CHECK(core::preprocess::normalise(speck).blank);

    QTemporaryDir dir;
    const auto blankPath = dir.filePath(QStringLiteral("blank.png"));
    REQUIRE(white.save(blankPath));
    try {
        core::preprocess::normaliseFile(blankPath);
        FAIL("blank image accepted");
    } catch (const core::ImageError &e) {
        CHECK(e.kind() == core::ImageError::Kind::Blank);
        CHECK_THAT(e.what(), Catch::Contains("blank.png") && Catch::Contains("blank"));
    }
    const auto textPath = testsupport::write(dir, QStringLiteral("notes.png"), QByteArray("not an image"));
    try {
        core::preprocess::normaliseFile(textPath);
        FAIL("text file accepted as image");
    } catch (const core::ImageError &e) {
        CHECK(e.kind() == core::ImageError::Kind::Unreadable);
        CHECK_THAT(e.what(), Catch::Contains("notes.png"));
    }
}

TEST_CASE("polarity and transparency", "[preprocess]")
{
    // A thick dark bar on light paper, and the same bar light on dark: the same input.
    QImage paper(120, 120, QImage::Format_Grayscale8);
    paper.fill(230); // off-white paper: the background level is removed
    QPainter p(&paper);
    p.fillRect(50, 20, 14, 80, QColor(20, 20, 20));
    p.end();
    QImage night = paper;
    night.invertPixels();
    const auto a = core::preprocess::normalise(paper);
    const auto b = core::preprocess::normalise(night);
    REQUIRE_FALSE(a.blank);
    CHECK(meanAbsDiff(a, b) < 1e-6);
    CHECK(a.pixels[14 * 28 + 14] > 0.9f); // ink is bright, as in MNIST
    CHECK(a.pixels[0] == 0.0f);

    // Dark ink on a transparent background (a typical exported drawing).
    QImage clear(120, 120, QImage::Format_ARGB32);
    clear.fill(Qt::transparent);
    QPainter q(&clear);
    q.fillRect(50, 20, 14, 80, Qt::black);
    q.end();
    const auto c = core::preprocess::normalise(clear);
    REQUIRE_FALSE(c.blank);
    CHECK(meanAbsDiff(a, c) < 0.01);

    const auto img = a.toImage();
    CHECK(img.size() == QSize(28, 28));
    CHECK(qGray(img.pixel(14, 14)) > 230);
}

TEST_CASE("known polarity is never guessed: ink covering most of the image is ink", "[preprocess]")
{
    // Issue 9 item 4: a crop that is mostly ink (a thick stroke in a corner) lost its ink when
    // the most common value was taken as the background.
    QImage mostlyInk(40, 40, QImage::Format_Grayscale8);
    mostlyInk.fill(255);
    QPainter p(&mostlyInk);
    p.fillRect(0, 0, 34, 40, Qt::black); // 85% ink
    p.end();
    const auto d = core::preprocess::normalise(mostlyInk, core::Polarity::DarkInk);
    REQUIRE_FALSE(d.blank);
    CHECK(d.pixels[14 * 28 + 14] > 0.9f);
    // MNIST's own polarity, also known.
    QImage light = mostlyInk;
    light.invertPixels();
    const auto l = core::preprocess::normalise(light, core::Polarity::LightInk);
    REQUIRE_FALSE(l.blank);
    CHECK(meanAbsDiff(d, l) < 1e-6);
}

TEST_CASE("automatic polarity is decided on the whole image's border", "[preprocess]")
{
    // Dark ink on paper whose ink touches the border on one side: the border's median is paper.
    QImage paper(100, 100, QImage::Format_Grayscale8);
    paper.fill(235);
    QPainter p(&paper);
    p.fillRect(40, 0, 20, 100, QColor(10, 10, 10)); // a bar from edge to edge
    p.end();
    const QImage flat = core::preprocess::toPaper(paper);
    CHECK(qGray(flat.pixel(5, 5)) == 255); // off-white paper lifted to white
    CHECK(qGray(flat.pixel(50, 50)) < 40);
    QImage night = paper;
    night.invertPixels();
    const QImage flatNight = core::preprocess::toPaper(night);
    CHECK(qGray(flatNight.pixel(5, 5)) == 255);
    CHECK(qGray(flatNight.pixel(50, 50)) < 40);
    const auto a = core::preprocess::normalise(paper);
    const auto b = core::preprocess::normalise(night);
    REQUIRE_FALSE(a.blank);
    CHECK(meanAbsDiff(a, b) < 1e-6);
    CHECK(a.pixels[14 * 28 + 14] > 0.9f);
}
