#pragma once
#include "core/types.h"
#include <QList>
#include <QPointF>
#include <QWidget>
#include <vector>

class QChart;
class QCheckBox;
class QLogValueAxis;
class QTimer;
class QChartView;
class QLineSeries;
class QValueAxis;

namespace ui {

/// Decimates a per-batch curve for drawing: when points has more than maxPoints entries, each
/// bucket of consecutive points becomes its minimum and maximum in x order (so the noise band's
/// envelope stays), at most maxPoints in all. Otherwise returns points unchanged.
QList<QPointF> decimateMinMax(const QList<QPointF> &points, int maxPoints);
/// The last point of each bucket decimateMinMax() uses for the same n and maxPoints, after the
/// first point: a smooth curve thinned in step with the raw one.
QList<QPointF> decimateLast(const QList<QPointF> &points, qsizetype rawCount, int maxPoints);

/// The Train tab's two live charts: loss (every batch, an exponentially smoothed curve and the
/// per-epoch means, with a grid line at each epoch boundary) and accuracy (train and test per
/// epoch, y auto-zoomed to the recent values so that 97-99.5% stays readable).
///
/// Series are updated with replace() from lists kept here, never point by point (Qt Charts
/// recomputes a series' geometry on every change), and at most kRefreshMs apart. Painting cost
/// grows with the points drawn, so the per-batch series shows at most kMaxShownPoints: past that,
/// each bucket of batches is drawn as its minimum and maximum, which keeps the noise band's
/// envelope (docs/architecture.md, GUI threading).
class TrainingCharts : public QWidget {
    Q_OBJECT
public:
    /// Loss chart repaints at most 5 times a second: live to the eye, cheap for the GUI thread.
    static constexpr int kRefreshMs = 200;
    /// Points drawn per loss series; about the plot's width in pixels, so no detail is lost.
    static constexpr int kMaxShownPoints = 1200;

    explicit TrainingCharts(QWidget *parent = nullptr);
    ~TrainingCharts() override;

    /// Empties every series and sets the epoch range.
    void clear(int plannedEpochs);
    /// Per-epoch points from a checkpoint's history (per-batch losses are not stored there).
    void setHistory(const std::vector<core::EpochStats> &history, int plannedEpochs);
    /// Makes room on the x axes for a run to this many epochs.
    void setPlannedEpochs(int epochs);
    /// Drops the per-batch points after epoch `epochs` (a stopped epoch that is trained again).
    void truncateAfterEpoch(int epochs);
    void addBatchLosses(const core::BatchLosses &losses);
    void addEpoch(const core::EpochStats &stats);

    /// Both charts side by side, as an image (for "Export charts").
    QImage toImage();

    int rawLossPointCount() const { return int(m_raw.size()); }
    /// The points the per-batch series draws (after decimation and the pending refresh).
    QList<QPointF> shownRawLoss();
    int smoothedLossPointCount() const { return int(m_smoothed.size()); }
    int epochPointCount() const { return int(m_testAcc.size()); }
    /// Current accuracy axis range in percent (for tests of the auto-zoom).
    std::pair<double, double> accuracyRange() const;
    /// Current loss axis range (linear or log).
    std::pair<double, double> lossRange() const;
    /// Labels the loss / accuracy value axes ask Qt Charts for (bounded whatever the values).
    int lossTickCount() const;
    int accuracyTickCount() const;
    /// Batch losses that were NaN or infinite (counted, not drawn).
    int nonFiniteLossCount() const { return m_nonFinite; }

    /// Loss on a logarithmic axis: a run whose loss went to 1e6 still shows its later epochs.
    void setLogScale(bool on);
    bool logScale() const { return m_logScale; }
    /// Accuracy axis over every epoch instead of the auto-zoom on the recent ones.
    void setShowAllEpochs(bool on);
    bool showAllEpochs() const { return m_showAll; }

protected:
    void changeEvent(QEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;

private:
    void createLossChart();
    void createAccuracyChart();
    /// The two chart views, the option check boxes and the layout.
    void createViews();
    void applyPalette();
    void updateLossAxes();
    /// Pushes m_raw / m_smoothed to the series (decimated); called by the refresh timer.
    void refreshLossSeries();
    void updateAccuracyAxes();
    /// The points as the current loss axis can draw them (clamped above 0 on a log axis).
    QList<QPointF> forLossAxis(const QList<QPointF> &points) const;
    /// Adds an epoch's loss and accuracy points, leaving out what cannot be drawn.
    void appendEpochPoints(const core::EpochStats &stats);

    QChart *m_lossChart = nullptr;
    QChart *m_accChart = nullptr;
    QChartView *m_lossView = nullptr;
    QChartView *m_accView = nullptr;
    QLineSeries *m_rawSeries = nullptr;
    QLineSeries *m_smoothSeries = nullptr;
    QLineSeries *m_epochLossSeries = nullptr;
    QLineSeries *m_trainAccSeries = nullptr;
    QLineSeries *m_testAccSeries = nullptr;
    QValueAxis *m_lossX = nullptr;
    QValueAxis *m_lossY = nullptr;
    QLogValueAxis *m_lossLogY = nullptr;
    QCheckBox *m_logBox = nullptr;
    QCheckBox *m_allBox = nullptr;
    QValueAxis *m_accX = nullptr;
    QValueAxis *m_accY = nullptr;

    QList<QPointF> m_raw;
    QList<QPointF> m_smoothed;
    QList<QPointF> m_epochLoss;
    QList<QPointF> m_trainAcc;
    QList<QPointF> m_testAcc;
    QTimer *m_refresh = nullptr;
    bool m_lossDirty = false;
    double m_ema = -1;          ///< smoothed loss; < 0 until the first batch
    double m_lossMax = 0;       ///< largest finite loss shown
    double m_lossMin = 0;        ///< smallest finite loss shown; +inf until the first
    int m_nonFinite = 0;
    bool m_logScale = false;
    bool m_showAll = false;
    int m_plannedEpochs = 1;
};

} // namespace ui
