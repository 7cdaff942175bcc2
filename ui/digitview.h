#pragma once
#include <QImage>
#include <QWidget>

namespace ui {

/// A small image (the 28x28 network input, an MNIST test digit) enlarged with crisp, square
/// pixels: integer scale factor, no smoothing, so what is shown is exactly what the network sees.
class DigitView : public QWidget {
    Q_OBJECT
public:
    explicit DigitView(QWidget *parent = nullptr);

    /// A null image shows the placeholder text.
    void setImage(const QImage &image);
    const QImage &image() const { return m_image; }
    void setPlaceholderText(const QString &text);
    /// A faint pixel grid, drawn when each pixel is at least this many screen pixels wide.
    void setGridVisible(bool visible);

    QSize sizeHint() const override { return {196, 196}; }
    QSize minimumSizeHint() const override { return {84, 84}; }
    bool hasHeightForWidth() const override { return true; }
    int heightForWidth(int width) const override { return width; }

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    /// The enlarged image with its grid, rebuilt only when the image or the scale changes: the
    /// Draw tab repaints this view with every live prediction.
    const QImage &enlarged(int scale);

    QImage m_image;
    QImage m_enlarged;
    int m_enlargedScale = 0;
    QString m_placeholder;
    bool m_grid = true;
};

} // namespace ui
