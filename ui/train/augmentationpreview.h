#pragma once
#include "core/types.h"
#include <QImage>
#include <QWidget>
#include <cstdint>
#include <vector>

namespace ui {

/// One training digit as 16 copies, each warped by the recipe's augmentation exactly as the
/// trainer would warp it (core::augmentedCopies): what the network will see of that digit.
class AugmentationPreview : public QWidget {
    Q_OBJECT
public:
    static constexpr int kCopies = 16; ///< a 4x4 grid: enough to see the spread of the draws
    explicit AugmentationPreview(QWidget *parent = nullptr);

    /// The digit to show (rows x cols bytes as MNIST stores them); empty shows a placeholder.
    void setDigit(std::vector<std::uint8_t> pixels, int rows = 28, int cols = 28);
    void setAugmentation(const core::Augmentation &augment, std::uint64_t seed);
    /// The copies shown (kCopies * rows * cols values in 0..1); empty without a digit (tests).
    const std::vector<float> &copies() const { return m_copies; }

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    void refresh();

    std::vector<std::uint8_t> m_pixels;
    int m_rows = 28;
    int m_cols = 28;
    core::Augmentation m_augment;
    std::uint64_t m_seed = 1;
    std::vector<float> m_copies;
    std::vector<QImage> m_images;
};

} // namespace ui
