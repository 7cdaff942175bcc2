#pragma once
#include "core/inspect.h"
#include <QImage>
#include <QWidget>
#include <memory>
#include <vector>

class QPainter;

namespace ui {

/// What feeds one unit, in the manner of CNN Explainer's kernel view, for any network. For a
/// unit of a convolution: the windows of the layer's input it reads, each above the kernel that
/// weighs it (every input channel up to kMaxTerms, else the kMaxTerms that add the most), and
/// the sum they make. For a unit of a later 2-D layer (BatchNorm, ReLU, a pool): the kernels of
/// the convolution its channel comes from. Always: the input with the unit's receptive field
/// outlined (core::receptiveField), and beside it the kernels of that convolution as one grid (a
/// row per output channel, a column per input channel; paged to the hovered channel's rows).
class KernelView : public QWidget {
    Q_OBJECT
public:
    /// Input channels shown for a unit: ten 5x5 windows and kernels fill the view's width.
    static constexpr int kMaxTerms = 10;

    explicit KernelView(QWidget *parent = nullptr);

    /// The network (its convolutions) and its weights.
    void setNetwork(const core::NetworkReport &report, const core::NamedTensors &weights);
    /// Every layer's output for the current input (core::layerOutputs(); null: none) and the input.
    void setOutputs(std::shared_ptr<const std::vector<core::LayerOutput>> outputs, const std::vector<float> &input);
    /// The unit to explain: unit (y, x) of channel `channel` of layer `layer` (0-based index into
    /// the report); layer -1 shows the kernel grid only.
    void setUnit(int layer, int channel, int y, int x);
    int unitLayer() const { return m_layer; }
    int unitChannel() const { return m_channel; }
    /// The convolution whose kernels are shown (index into the report), -1 when the network has none.
    int convolution() const { return m_conv; }
    bool hasConvolution() const { return m_defaultConv >= 0; }
    /// The input channels shown for the unit, in the order shown (for tests).
    std::vector<int> shownChannels() const;
    /// The receptive field outlined on the input.
    core::InputPatch field() const { return m_field; }
    /// The explanation line ("4 Conv2d(20,5) 20x8x8: channel 3 at (2, 5) = ..."), empty when no unit is shown.
    QString caption() const;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override { return sizeHint(); }

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    const core::TensorData *tensor(int layer, bool bias) const;
    /// The last convolution at or before layer (through layers that keep the channels), -1: none.
    int convolutionOf(int layer) const;
    void explainUnit();
    void rebuildGrid();
    // paintEvent's steps.
    int paintKernelGrid(QPainter &p) const;
    void paintTerms(QPainter &p, int top, int detailW) const;
    void paintReceptiveField(QPainter &p, int top) const;

    core::NetworkReport m_report;
    core::NamedTensors m_weights;
    std::shared_ptr<const std::vector<core::LayerOutput>> m_outputs;
    std::vector<float> m_input;
    int m_defaultConv = -1;          ///< shown when no unit is: the last convolution
    int m_layer = -1, m_channel = 0, m_y = 0, m_x = 0;
    int m_conv = -1;                 ///< the convolution of the unit (or the default)
    core::ConvolutionUnit m_unit;    ///< the unit's terms when its layer is a convolution
    std::vector<core::ConvolutionTerm> m_shown; ///< the terms (or bare kernels) painted
    bool m_withWindows = false;
    core::InputPatch m_field;
    QImage m_grid;                   ///< the kernel grid's current page at screen scale
    int m_gridConv = -1, m_gridFirst = -1, m_gridRows = 0, m_gridColumns = 0, m_gridCell = 0;
    float m_weightScale = 0;
};

} // namespace ui
