#pragma once
#include "core/runstore.h"
#include "ui/runs/runcurves.h"
#include <QList>
#include <QPointF>
#include <QWidget>
#include <memory>
#include <vector>

class QChart;
class QChartView;
class QLogValueAxis;
class QValueAxis;
class QCheckBox;
class QComboBox;
class QLabel;
class QSlider;

namespace ui {

/// The Runs tab's charts: the selected runs' loss (per batch: smoothed in the run's colour over
/// its raw envelope in a faint one) and accuracy (test per epoch, solid; train, dashed) on one x
/// axis (epoch, images seen or wall time), log y for the loss, a smoothing slider, and the
/// values of every run under the mouse. Holds the curves it is given and nothing else.
///
/// Qt Charts repaints every point of every series, so each series is thinned to a budget that
/// shrinks with the number of runs (kPointBudget in all): 20 runs stay responsive.
class RunCharts : public QWidget {
    Q_OBJECT
public:
    /// Points drawn per chart over all runs (raw and smoothed): about what a plot can show.
    static constexpr int kPointBudget = 12000;
    /// One run's series never get fewer points than this.
    static constexpr int kMinPointsPerSeries = 300;

    struct Run {
        core::RunRecord record;
        core::RunCurves curves;
    };

    explicit RunCharts(QWidget *parent = nullptr);
    ~RunCharts() override;

    void setRuns(std::vector<Run> runs);
    const std::vector<Run> &runs() const { return m_runs; }

    void setAxis(RunAxis axis);
    RunAxis axis() const { return m_axis; }
    void setLogScale(bool on);
    bool logScale() const { return m_log; }
    /// 0 (raw only) to 0.99; the slider shows it in hundredths.
    void setSmoothing(double smoothing);
    double smoothing() const { return m_smoothing; }

    /// "epoch 2.50 · run 3: loss 0.214, test 96.1% · ..." for x on the current axis (the text
    /// the hover label shows).
    QString valuesAt(double x) const;
    /// Both charts side by side (Export PNG).
    QImage toImage();

    // For tests and the benchmark.
    QChart *lossChart() const { return m_lossChart; }
    QChart *accuracyChart() const { return m_accChart; }
    QComboBox *axisBox() const { return m_axisBox; }
    QCheckBox *logBox() const { return m_logBox; }
    QSlider *smoothingSlider() const { return m_smoothSlider; }
    QLabel *hoverLabel() const { return m_hover; }
    QLabel *legendLabel() const { return m_legend; }
    /// The x range shown (both charts share it).
    std::pair<double, double> xRange() const;
    /// Points in the loss chart's series (all runs): the drawing cost.
    int lossPointsShown() const;

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void rebuild();
    void setupAxes(double xLo, double xHi, double lossLo, double lossHi, double accLo, double accHi);

    struct SeriesPool;
    std::unique_ptr<SeriesPool> m_lossPool;
    std::unique_ptr<SeriesPool> m_accPool;
    std::vector<Run> m_runs;
    /// Per run, what is drawn, for valuesAt(): the loss curve shown (smoothed or raw), test acc.
    std::vector<QList<QPointF>> m_shownLoss;
    std::vector<QList<QPointF>> m_shownAcc;
    RunAxis m_axis = RunAxis::Epoch;
    bool m_log = false;
    double m_smoothing = 0.6;
    QChart *m_lossChart = nullptr;
    QChart *m_accChart = nullptr;
    QChartView *m_lossView = nullptr;
    QChartView *m_accView = nullptr;
    // The axes live as long as the charts (replacing them per rebuild left stale labels until
    // the next layout pass); the loss chart has both y axes and shows one.
    QValueAxis *m_lossX = nullptr;
    QValueAxis *m_lossY = nullptr;
    QLogValueAxis *m_lossLogY = nullptr;
    QValueAxis *m_accX = nullptr;
    QValueAxis *m_accY = nullptr;
    QComboBox *m_axisBox = nullptr;
    QCheckBox *m_logBox = nullptr;
    QSlider *m_smoothSlider = nullptr;
    QLabel *m_smoothValue = nullptr;
    QLabel *m_hover = nullptr;
    /// The legend: one coloured name per run, for both charts (Qt Charts' own legend left
    /// gaps for the unnamed raw and train series).
    QLabel *m_legend = nullptr;
};

} // namespace ui
