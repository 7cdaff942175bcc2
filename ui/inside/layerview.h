#pragma once
#include "core/inspect.h"
#include <QImage>
#include <QWidget>
#include <array>
#include <vector>

class QPainter;

namespace ui {

/// Every layer of any network for one input, top to bottom as the data flows: the input, one
/// row per layer named as core names it ("4 MaxPool2d(2) 32x13x13"), then the softmax. A 2-D
/// layer is a heat map per channel, a 1-D layer a strip of units; a convolution on the image
/// has its kernels in a row above it. Each row has its own scale (HeatScale) and legend.
///
/// Rows of many channels stay readable: the maps shrink to at most one screen pixel per value,
/// wrap onto up to kMaxLines lines, and beyond that the row pages ("channels 1–75 of 128", with
/// arrows). Hovering a unit names its channel (tooltip, and beside the row) and reports it: the
/// kernel view shows what feeds it. Clicking a cell of the last layer or the softmax picks the
/// class to explain. From the keyboard: Up/Down pick a row, Left/Right a channel, Page Up/Down
/// page, Enter explains a class. A screen reader walks the rows as a list (LayerViewAccessible).
/// Paints only: the numbers come from core::layerOutputs().
class LayerView : public QWidget {
    Q_OBJECT
public:
    enum class RowKind { Input, Kernels, Layer, Softmax };
    /// Lines a row's cells may wrap onto before it pages: three lines of maps keep a layer of 128
    /// channels on one screen next to its neighbours.
    static constexpr int kMaxLines = 3;
    /// Width of the cells' area: a 1280-pixel window shows it, with the labels, beside the canvas
    /// and the saliency maps, and ten 24x24 maps at 2 pixels a value fit on one line.
    static constexpr int kCellsWidth = 520;

    explicit LayerView(QWidget *parent = nullptr);

    /// The network's rows (every layer of the report). Clears the outputs and the kernels; the
    /// pages start at the first.
    void setNetwork(const core::NetworkReport &report);
    /// The weights of the kernel rows (a convolution on the image); the rows and pages stay.
    void setWeights(const core::NamedTensors &weights);
    /// The layers' outputs for `input` (kPixels floats), as core::layerOutputs() gives them; null
    /// shows the kernels only (blank canvas, no model).
    void setOutputs(const std::vector<core::LayerOutput> *outputs, const std::vector<float> &input);
    /// The class being explained (outlined in the class rows), -1: none.
    void setSelectedClass(int cls);
    int selectedClass() const { return m_selectedClass; }
    bool hasActivations() const { return m_hasActivations; }

    int rowCount() const { return int(m_rows.size()); }
    RowKind rowKind(int row) const { return m_rows[std::size_t(row)].kind; }
    /// "input 1x28x28", "kernels of 1 Conv2d(10,5)", "4 MaxPool2d(2) 32x13x13", "softmax 10".
    QString rowTitle(int row) const { return m_rows[std::size_t(row)].title; }
    /// The row showing layer `layer` (0-based index into the report), -1 when none.
    int rowOfLayer(int layer) const;
    /// The report's layer a row shows (-1: the input and the softmax).
    int layerOfRow(int row) const { return m_rows[std::size_t(row)].layer; }
    int softmaxRow() const { return rowCount() - 1; }
    int channelCount(int row) const { return m_rows[std::size_t(row)].count; }
    /// Paging of a row: how many pages, which one is shown, and "channels 1–75 of 128" (empty
    /// for a row that fits).
    int pageCount(int row) const;
    int page(int row) const { return m_rows[std::size_t(row)].page; }
    void setPage(int row, int page);
    QString pageText(int row) const;
    /// Where cell `index` of a row is painted; empty when it is on another page.
    QRect cellRect(int row, int index) const;
    /// The row's whole band (label column and cells).
    QRect rowRect(int row) const;
    /// The previous / next page arrows of a paged row (empty when the row fits).
    QRect pageButtonRect(int row, bool next) const;
    /// Where the "draw a digit" prompt goes: the first layers' rows, cut to the part of the view
    /// that is shown (in a narrow window the rows run off to the right under a scroll bar).
    QRect promptRect() const;

    /// The row of the keyboard cursor.
    int currentRow() const { return m_currentRow; }
    void setCurrentRow(int row);
    /// The unit under the pointer or the keyboard cursor: {row, channel, y, x}; row -1 when none.
    std::array<int, 4> hoveredUnit() const { return m_hovered; }
    /// A clicked unit (or the keyboard's) stays while the pointer moves elsewhere.
    bool isUnitKept() const { return m_pinned; }
    /// Hovers unit (y, x) of channel `channel` in `row`, turning to its page (as the pointer or
    /// the arrow keys do).
    void hoverUnit(int row, int channel, int y, int x);
    /// A row for a screen reader: its title, what its cells are and the part shown.
    QString rowDescription(int row) const;
    /// A unit in words (the tooltip): "4 MaxPool2d(2) 32x13x13: channel 17 at (3, 5) = 0.42".
    QString unitText(int row, int channel, int y, int x) const;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override { return sizeHint(); }

Q_SIGNALS:
    /// A cell of the last layer or of the softmax was clicked, or Enter pressed on one.
    void classClicked(int cls);
    /// The pointer or the cursor is on unit (y, x) of channel `channel` of layer `layer`
    /// (0-based index into the report; y = x = 0 for a 1-D layer).
    void unitHovered(int layer, int channel, int y, int x);
    /// The keyboard cursor moved to rect (in this widget): a scroll area should show it.
    void cursorMoved(const QRect &rect);

protected:
    void paintEvent(QPaintEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;
    bool event(QEvent *event) override;
    void focusInEvent(QFocusEvent *event) override;
    void focusOutEvent(QFocusEvent *event) override;

private:
    struct Row {
        RowKind kind = RowKind::Layer;
        int layer = -1;             ///< index into the report (Layer and Kernels rows)
        std::string weightKey;      ///< Kernels rows: the state_dict key of the kernels
        QString title;
        int count = 0;              ///< channels or units
        int mapW = 1, mapH = 1;     ///< values per cell (1x1 for units)
        bool signedValues = true;
        bool classes = false;       ///< cells are the classes (the last layer, the softmax)
        int cellW = 0, cellH = 0, gap = 0;
        int perLine = 1, perPage = 1;
        int page = 0;
        int top = 0, height = 0;
        core::TensorData values;    ///< what the cells show (empty: nothing yet)
        QImage strip;               ///< the current page's cells at screen scale (none for the class rows)
        float scale = 0;            ///< largest |value| of the whole row; 0 when empty
        int firstShown() const { return page * perPage; }
        int endShown() const { return std::min(count, (page + 1) * perPage); }
    };
    void addRow(Row row);
    void layoutRows();
    void setRowValues(Row &row, core::TensorData values);
    void rebuildImages(Row &row);
    // paintEvent's steps.
    void paintLabels(QPainter &p, int r) const;
    void paintCells(QPainter &p, int r) const;
    void paintUnit(QPainter &p, const Row &row, int c, const QRect &cell) const;
    void paintHoveredUnit(QPainter &p) const;
    /// The cell under pos: {row, channel, y, x}, row -1 when none.
    std::array<int, 4> unitAt(const QPoint &pos) const;
    void moveCursor(int channelStep);
    void announceCurrentRow();

    std::vector<Row> m_rows;
    bool m_pinned = false;       ///< a clicked unit (or the cursor's) stays until another click
    bool m_hasActivations = false;
    int m_selectedClass = -1;
    int m_currentRow = 0;
    std::array<int, 4> m_hovered{-1, -1, -1, -1};
};

} // namespace ui
