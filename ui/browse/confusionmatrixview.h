#pragma once
#include "core/metrics.h"
#include <QWidget>
#include <array>

class QPainter;

namespace ui {

/// A confusion matrix (one row and column per class: 10x10 for MNIST) as a heat map: rows are the
/// true class, columns the prediction, numbered, the class names in tooltips; each
/// cell shows its count. The diagonal and the mistakes are coloured on separate scales (the
/// diagonal holds ~99% of the images and would otherwise wash every mistake out). A last column
/// gives each class's accuracy. Clicking a cell asks to show that (true, predicted) pair; clicking
/// a row or column header asks for the whole row or column (the other digit is then -1).
class ConfusionMatrixView : public QWidget {
    Q_OBJECT
public:
    using Matrix = core::ConfusionCounts; ///< [true][predicted]

    explicit ConfusionMatrixView(QWidget *parent = nullptr);

    void setMatrix(const Matrix &matrix);
    /// One label per class (core::Dataset::classLabel()): the class count, and the names the
    /// tooltips and the screen reader say. Clears the matrix when the count changes.
    void setClassLabels(const QStringList &labels);
    int classes() const { return int(m_labels.size()); }
    /// "Trouser (1)", or "3" when the name is the number.
    QString classLabel(int c) const;
    /// No data (predictions not computed yet): an empty grid.
    void clear();
    bool hasMatrix() const { return m_has; }
    const Matrix &matrix() const { return m_matrix; }
    /// Highlights the cell, row (predicted -1) or column (true -1) the grid is filtered to.
    void setSelection(int trueDigit, int predictedDigit);

    /// Where a cell is drawn (widget coordinates), e.g. for tests that click it.
    QRect cellRect(int trueDigit, int predictedDigit) const;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;
    // No height-for-width: in Browse's side panel that made the matrix taller than the window
    // and its last row hid under a scroll bar (issue 16 item 9). Cells fit the smaller of the
    // width and the height given (geometry()); minimumSizeHint() keeps them readable.

Q_SIGNALS:
    void cellClicked(int trueDigit, int predictedDigit);

protected:
    void paintEvent(QPaintEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    bool event(QEvent *event) override;

private:
    struct Geometry {
        int header = 0;   ///< width of the row labels and height of the column labels
        int cell = 0;
        int accuracy = 0; ///< width of the accuracy column
        QPoint origin;    ///< top-left of cell (0, 0)
    };
    Geometry geometry() const;
    /// Tells a screen reader the counts changed.
    void notifyAccessibility();
    // paintEvent's steps.
    void paintLabels(QPainter &p, const Geometry &g) const;
    QColor cellColour(const core::Confusion &confusion, int trueDigit, int predictedDigit) const;
    void paintCells(QPainter &p, const Geometry &g) const;
    void paintSelection(QPainter &p) const;
    /// (true, predicted) under a point; -1 for a header, -2 outside.
    std::pair<int, int> hit(QPoint pos) const;

    QStringList m_labels{QStringLiteral("0"), QStringLiteral("1"), QStringLiteral("2"), QStringLiteral("3"), QStringLiteral("4"),
                         QStringLiteral("5"), QStringLiteral("6"), QStringLiteral("7"), QStringLiteral("8"), QStringLiteral("9")};
    Matrix m_matrix = core::emptyConfusion(core::kClasses);
    bool m_has = false;
    int m_selTrue = -1;
    int m_selPredicted = -1;
};

} // namespace ui
