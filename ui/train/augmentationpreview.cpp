#include "ui/train/augmentationpreview.h"
#include "core/trainer.h"
#include <QPainter>
#include <cmath>

namespace ui {

namespace {
constexpr int kColumns = 4;
constexpr int kZoom = 2; ///< 28 px digits at 56 px: the warp's detail shows
constexpr int kGap = 4;
} // namespace

AugmentationPreview::AugmentationPreview(QWidget *parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("augmentationPreview"));
    setAccessibleName(tr("Augmentation preview"));
    setSizePolicy(QSizePolicy::Fixed, QSizePolicy::Fixed);
    refresh();
}

void AugmentationPreview::setDigit(std::vector<std::uint8_t> pixels, int rows, int cols)
{
    m_pixels = std::move(pixels);
    m_rows = rows;
    m_cols = cols;
    refresh();
}

void AugmentationPreview::setAugmentation(const core::Augmentation &augment, std::uint64_t seed)
{
    if (augment.rotation == m_augment.rotation && augment.translate == m_augment.translate
        && augment.scale == m_augment.scale && seed == m_seed && !m_copies.empty())
        return;
    m_augment = augment;
    m_seed = seed;
    refresh();
}

void AugmentationPreview::refresh()
{
    m_copies.clear();
    m_images.clear();
    const std::size_t size = std::size_t(m_rows) * std::size_t(m_cols);
    if (m_pixels.size() == size && size > 0) {
        m_copies = core::augmentedCopies(m_pixels.data(), m_rows, m_cols, m_augment, kCopies, m_seed);
        for (int i = 0; i < kCopies; ++i) {
            QImage image(m_cols, m_rows, QImage::Format_Grayscale8);
            for (int y = 0; y < m_rows; ++y) {
                uchar *line = image.scanLine(y);
                for (int x = 0; x < m_cols; ++x)
                    line[x] = uchar(std::lround(255 * m_copies[size * std::size_t(i) + std::size_t(y * m_cols + x)]));
            }
            m_images.push_back(std::move(image));
        }
    }
    setAccessibleDescription(m_images.empty()
                                 ? tr("No training digit yet: the preview appears once MNIST is loaded.")
                                 : m_augment.active()
                                       ? tr("%1 copies of one training digit, each rotated up to %2 degrees, shifted up to %3% "
                                            "and scaled up to %4% at random, as training will show it.")
                                             .arg(kCopies)
                                             .arg(m_augment.rotation)
                                             .arg(m_augment.translate * 100)
                                             .arg(m_augment.scale * 100)
                                       : tr("%1 copies of one training digit: no augmentation, every copy is the digit itself.").arg(kCopies));
    setToolTip(accessibleDescription());
    update();
}

QSize AugmentationPreview::sizeHint() const
{
    const int rows = (kCopies + kColumns - 1) / kColumns;
    return {kColumns * m_cols * kZoom + (kColumns - 1) * kGap, rows * m_rows * kZoom + (rows - 1) * kGap};
}

QSize AugmentationPreview::minimumSizeHint() const
{
    return sizeHint();
}

void AugmentationPreview::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    if (m_images.empty()) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(rect(), Qt::AlignCenter | Qt::TextWordWrap, tr("A training digit appears here once MNIST is loaded."));
        return;
    }
    p.setRenderHint(QPainter::SmoothPixmapTransform, false);
    for (int i = 0; i < int(m_images.size()); ++i) {
        const QRect cell((i % kColumns) * (m_cols * kZoom + kGap), (i / kColumns) * (m_rows * kZoom + kGap), m_cols * kZoom,
                         m_rows * kZoom);
        p.drawImage(cell, m_images[std::size_t(i)]);
    }
}

} // namespace ui
