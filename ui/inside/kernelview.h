#pragma once
#include "core/inspect.h"
#include <QImage>
#include <QWidget>

class QPainter;

namespace ui {

/// What feeds one conv2 unit, in the manner of CNN Explainer's kernel view: for conv2 map k at
/// (y, x), the ten 5x5 windows of the pooled conv1 maps it reads, each above the 5x5 kernel that
/// weighs it, and the input with the unit's 14x14 receptive field outlined. Beside it, all of
/// conv2's 20x10 kernels as one grid (a row per map), the hovered map's row outlined.
class KernelView : public QWidget {
    Q_OBJECT
public:
    explicit KernelView(QWidget *parent = nullptr);

    /// conv2.weight (20x10x5x5) and conv2.bias (20).
    void setConv2(const core::TensorData &weight, const core::TensorData &bias);
    /// The activations of the current input (null: none).
    void setActivations(const core::LayerActivations *activations);
    /// The unit to explain; map -1 shows the kernel grid only.
    void setUnit(int map, int y, int x);
    int unitMap() const { return m_map; }
    /// The explanation line ("conv2 map 3 at (2, 5) = ..."), empty when no unit is shown.
    QString caption() const;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override { return sizeHint(); }

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    // paintEvent's steps.
    int paintKernelGrid(QPainter &p) const;
    void paintUnitInputs(QPainter &p, int top, int detailW) const;
    void paintReceptiveField(QPainter &p, int top) const;
    QImage m_grid; ///< all 200 kernels at screen scale, rebuilt by setConv2()
    core::TensorData m_weight;
    core::TensorData m_bias;
    core::LayerActivations m_activations;
    bool m_hasActivations = false;
    int m_map = -1, m_y = 0, m_x = 0;
};

} // namespace ui
