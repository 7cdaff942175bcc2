#pragma once
#include "core/tensordata.h"
#include <QImage>
#include <QWidget>

namespace ui {

/// A 28x28 attribution map (saliency or occlusion) overlaid on the input it explains: the input
/// in light grey on white, red where pixels raised the class's score, blue where they lowered
/// it, with a legend. Paints only.
class SaliencyView : public QWidget {
    Q_OBJECT
public:
    explicit SaliencyView(QWidget *parent = nullptr);

    void setTitle(const QString &title);
    /// The input (kPixels floats; empty: none) and its map (28x28; empty: not computed yet).
    void setData(const std::vector<float> &input, const core::TensorData &map);
    const core::TensorData &map() const { return m_map; }
    /// The overlay as shown, without legend (for tests and screenshots).
    QImage overlay() const;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override { return sizeHint(); }

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    QString m_title;
    std::vector<float> m_input;
    core::TensorData m_map;
    float m_scale = 0;
};

} // namespace ui
