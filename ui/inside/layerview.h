#pragma once
#include "core/inspect.h"
#include <QImage>
#include <QWidget>
#include <array>
#include <vector>

class QPainter;

namespace ui {

/// Every layer of the network for one input, top to bottom as the data flows: the 28x28 input, conv1's filters
/// above the maps they make, conv1 (10x24x24), after pool+ReLU (10x12x12), conv2 (20x8x8), after
/// pool+ReLU (20x4x4), fc1's 50 units, the 10 logits and the softmax. Each map is a small heat map
/// on HeatScale; each row has its own legend. Hovering a conv2 map reports the unit under the
/// cursor (the kernel view shows what feeds it); clicking a logit or a softmax bar picks the
/// class to explain. Paints only: the numbers come from core::activations().
class LayerView : public QWidget {
    Q_OBJECT
public:
    enum class Row { Input, Conv1Filters, Conv1, Pool1, Conv2, Pool2, Fc1, Logits, Softmax };
    static constexpr int kRows = 9;

    explicit LayerView(QWidget *parent = nullptr);

    /// The activations to show; null shows the filters only (blank canvas, no model).
    void setActivations(const core::LayerActivations *activations);
    /// conv1.weight (10x1x5x5).
    void setConv1Filters(const core::TensorData &weight);
    /// The class being explained (outlined in the logits and softmax rows), -1: none.
    void setSelectedClass(int digit);
    int selectedClass() const { return m_selectedClass; }
    bool hasActivations() const { return m_hasActivations; }

    /// Where cell `index` of a row is painted (for tests and the kernel view's pointer).
    QRect cellRect(Row row, int index) const;
    /// Where the "draw a digit" prompt goes: the conv1 and pool rows, cut to the part of the view
    /// that is shown (in a narrow window the rows run off to the right under a scroll bar).
    QRect promptRect() const;
    /// The conv2 unit under the pointer (or last clicked, for touch): {map, y, x}, map -1 when none.
    std::array<int, 3> hoveredUnit() const { return m_hovered; }

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override { return sizeHint(); }

Q_SIGNALS:
    /// A logit or softmax cell was clicked.
    void classClicked(int digit);
    /// The pointer is over conv2 map `map` at (y, x) of its 8x8 grid; map -1: it left.
    void conv2UnitHovered(int map, int y, int x);

protected:
    void paintEvent(QPaintEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;

private:
    struct RowLayout {
        QString title;
        int count = 0;     ///< cells
        int mapW = 0, mapH = 0; ///< values per cell (1x1 for units)
        int cellW = 0, cellH = 0; ///< painted size of a cell
        int pitch = 0;     ///< cellW + gap
        int top = 0;       ///< y of the cells
        bool signedValues = true;
    };
    const RowLayout &row(Row r) const { return m_rows[int(r)]; }
    // paintEvent's steps.
    void paintRow(QPainter &p, Row r) const;
    void paintUnit(QPainter &p, Row r, int unit, const QRect &cell) const;
    void paintHoveredUnit(QPainter &p) const;
    void rebuildImages();
    void setHovered(int map, int y, int x);
    /// Hovers the conv2 unit at pos, if there is one; true when it did.
    bool hoverAt(const QPoint &pos);

    std::array<RowLayout, kRows> m_rows;
    std::array<std::vector<QImage>, kRows> m_images;
    std::array<float, kRows> m_scale{};
    core::LayerActivations m_activations;
    core::TensorData m_conv1Filters;
    bool m_hasActivations = false;
    int m_selectedClass = -1;
    std::array<int, 3> m_hovered{-1, -1, -1};
};

} // namespace ui
