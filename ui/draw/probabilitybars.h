#pragma once
#include "core/types.h"
#include <QStringList>
#include <QWidget>
#include <vector>

namespace ui {

/// Horizontal softmax bars, one per class (labelled with the dataset's class names, the number
/// beside a name; a long name elides, its tooltip shows it whole), with the top class highlighted. Shared by the
/// Draw tab (live prediction) and the Browse tab (the selected test image, whose true class is
/// marked so a mistake reads at a glance). A custom widget rather than a Qt Charts bar series:
/// it repaints in well under a millisecond, which the Draw tab's latency budget needs.
class ProbabilityBars : public QWidget {
    Q_OBJECT
public:
    explicit ProbabilityBars(QWidget *parent = nullptr);

    /// Shows a prediction's probabilities (they should sum to about 1).
    void setProbabilities(const std::vector<float> &probabilities);
    /// The labels of the rows, one per class (core::Dataset::classText()); the class count too.
    void setClassLabels(const QStringList &labels);
    const QStringList &classLabels() const { return m_labels; }
    /// Empty bars: nothing to classify (a blank canvas, no selection).
    void clear();
    /// Marks the ground-truth class (-1: unknown, as for a drawing).
    void setTrueClass(int digit);

    bool isEmpty() const { return m_empty; }
    const std::vector<float> &probabilities() const { return m_probabilities; }
    /// The highlighted class, or -1 when empty.
    int topClass() const;
    int trueClass() const { return m_trueClass; }

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    void paintEvent(QPaintEvent *event) override;
    bool event(QEvent *event) override;

private:
    int classes() const { return int(m_labels.size()); }
    int labelWidth() const;
    QStringList m_labels{QStringLiteral("0"), QStringLiteral("1"), QStringLiteral("2"), QStringLiteral("3"), QStringLiteral("4"),
                         QStringLiteral("5"), QStringLiteral("6"), QStringLiteral("7"), QStringLiteral("8"), QStringLiteral("9")};
    std::vector<float> m_probabilities = std::vector<float>(core::kClasses, 0.f);
    bool m_empty = true;
    int m_trueClass = -1;
};

} // namespace ui
