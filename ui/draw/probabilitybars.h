#pragma once
#include "core/types.h"
#include <QWidget>
#include <array>

namespace ui {

/// Ten horizontal softmax bars, one per digit, with the top class highlighted. Shared by the
/// Draw tab (live prediction) and the Browse tab (the selected test image, whose true class is
/// marked so a mistake reads at a glance). A custom widget rather than a Qt Charts bar series:
/// it repaints in well under a millisecond, which the Draw tab's latency budget needs.
class ProbabilityBars : public QWidget {
    Q_OBJECT
public:
    explicit ProbabilityBars(QWidget *parent = nullptr);

    /// Shows a prediction's probabilities (they should sum to about 1).
    void setProbabilities(const std::array<float, core::kClasses> &probabilities);
    /// Empty bars: nothing to classify (a blank canvas, no selection).
    void clear();
    /// Marks the ground-truth class (-1: unknown, as for a drawing).
    void setTrueClass(int digit);

    bool isEmpty() const { return m_empty; }
    const std::array<float, core::kClasses> &probabilities() const { return m_probabilities; }
    /// The highlighted class, or -1 when empty.
    int topClass() const;
    int trueClass() const { return m_trueClass; }

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    std::array<float, core::kClasses> m_probabilities{};
    bool m_empty = true;
    int m_trueClass = -1;
};

} // namespace ui
