#include "ui/train/trainingcharts.h"
#include "ui/train/chartaxes.h"
#include "core/metrics.h"
#include <QChart>
#include <QCheckBox>
#include <QLogValueAxis>
#include <QVBoxLayout>
#include <QChartView>
#include <QEvent>
#include <QGraphicsLayout>
#include <QHBoxLayout>
#include <QLegendMarker>
#include <QLineSeries>
#include <QPainter>
#include <QTimer>
#include <QValueAxis>
#include <algorithm>
#include <cmath>
#include <limits>

namespace ui {

namespace {

// Weight of the newest batch in the smoothed loss: about the last 50 batches (half an epoch of
// the seed recipe at 600 batches) shape the curve, enough to flatten dropout's noise.
constexpr double kSmoothing = 0.04;
// Beyond this many epochs one grid line per epoch turns into a grey wash.
constexpr int kMaxEpochTicks = 20;
// Horizontal room one epoch label needs ("15" plus spacing); closer labels get elided to "...".
constexpr int kEpochLabelPx = 30;
// The part of a chart view's width that is not plot area (y labels, title, margins).
constexpr int kChartChromePx = 90;
// Value-axis labels: a handful, readable at the chart's minimum height.
constexpr int kValueTicks = 6;
// Cross-entropy of a network that guesses uniformly among 10 classes (ln 10): where every run
// starts. A batch loss several times that only comes from a run that diverges.
constexpr double kChanceLoss = 2.302585;
constexpr double kSpikeLoss = 4 * kChanceLoss;
// After such a spike the linear axis fits the recent batches (their 99th percentile), so the curve
// that matters stays readable (issue 16 item 4); the log scale still shows everything.
constexpr qsizetype kRecentBatches = 300;
constexpr double kRecentQuantile = 0.99;
// The accuracy axis when there is nothing (finite) to show yet.
constexpr double kDefaultAccLo = 90;
constexpr double kDefaultAccHi = 100;

QChartView *makeView(QChart *chart, QWidget *parent)
{
    auto *view = new QChartView(chart, parent);
    view->setRenderHint(QPainter::Antialiasing);
    view->setMinimumSize(280, 220);
    return view;
}

QValueAxis *makeAxis(const QString &title, const QString &format)
{
    auto *axis = new QValueAxis;
    axis->setTitleText(title);
    axis->setLabelFormat(format);
    return axis;
}

void setEpochTicks(QValueAxis *axis, double first, double last, int viewWidth)
{
    const double span = std::max(1.0, last - first);
    const int maxTicks = std::clamp((viewWidth - kChartChromePx) / kEpochLabelPx, 3, kMaxEpochTicks);
    const double interval = std::ceil(span / maxTicks);
    axis->setTickType(QValueAxis::TicksDynamic);
    axis->setTickAnchor(0);
    axis->setTickInterval(interval);
    // With labels every few epochs, minor grid lines still mark each epoch boundary.
    axis->setMinorTickCount(interval <= 5 ? int(interval) - 1 : 0);
    axis->setRange(first, last);
}

// Points per bucket so that min+max of each stays within maxPoints.
qsizetype bucketSize(qsizetype n, int maxPoints)
{
    const qsizetype half = std::max(1, maxPoints / 2);
    return (n + half - 1) / half;
}

} // namespace

QList<QPointF> decimateMinMax(const QList<QPointF> &points, int maxPoints)
{
    const qsizetype n = points.size();
    if (n <= maxPoints)
        return points;
    const qsizetype bucket = bucketSize(n, maxPoints);
    QList<QPointF> out;
    out.reserve(maxPoints + 2);
    for (qsizetype first = 0; first < n; first += bucket) {
        const qsizetype last = std::min(n, first + bucket);
        qsizetype lo = first, hi = first;
        for (qsizetype i = first + 1; i < last; ++i) {
            if (points[i].y() < points[lo].y())
                lo = i;
            if (points[i].y() > points[hi].y())
                hi = i;
        }
        out.append(points[std::min(lo, hi)]);
        if (lo != hi)
            out.append(points[std::max(lo, hi)]);
    }
    return out;
}

QList<QPointF> decimateLast(const QList<QPointF> &points, qsizetype rawCount, int maxPoints)
{
    const qsizetype n = std::min(rawCount, points.size());
    if (rawCount <= maxPoints || n == 0)
        return points;
    const qsizetype bucket = bucketSize(rawCount, maxPoints);
    QList<QPointF> out;
    out.reserve(maxPoints / 2 + 2);
    out.append(points.first());
    for (qsizetype first = 0; first < n; first += bucket)
        out.append(points[std::min(n, first + bucket) - 1]);
    return out;
}

TrainingCharts::TrainingCharts(QWidget *parent) : QWidget(parent)
{
    createLossChart();
    createAccuracyChart();
    for (auto *chart : {m_lossChart, m_accChart}) {
        chart->legend()->setAlignment(Qt::AlignBottom);
        chart->setMargins(QMargins(4, 4, 4, 4));
        chart->layout()->setContentsMargins(0, 0, 0, 0);
        chart->setBackgroundRoundness(0);
    }
    createViews();

    m_refresh = new QTimer(this);
    m_refresh->setSingleShot(true);
    m_refresh->setInterval(kRefreshMs);
    connect(m_refresh, &QTimer::timeout, this, &TrainingCharts::refreshLossSeries);

    applyPalette();
    clear(1);
}

void TrainingCharts::createLossChart()
{
    m_lossChart = new QChart;
    m_lossChart->setTitle(tr("Training loss"));
    m_rawSeries = new QLineSeries;
    m_rawSeries->setName(tr("per batch"));
    m_smoothSeries = new QLineSeries;
    m_smoothSeries->setName(tr("smoothed"));
    m_epochLossSeries = new QLineSeries;
    m_epochLossSeries->setName(tr("epoch mean"));
    m_epochLossSeries->setPointsVisible(true);
    for (auto *s : {m_rawSeries, m_smoothSeries, m_epochLossSeries})
        m_lossChart->addSeries(s);
    m_lossX = makeAxis(tr("epoch"), QStringLiteral("%d"));
    m_lossY = makeAxis(tr("cross-entropy"), QStringLiteral("%.1f"));
    m_lossChart->addAxis(m_lossX, Qt::AlignBottom);
    m_lossChart->addAxis(m_lossY, Qt::AlignLeft);
    for (auto *s : {m_rawSeries, m_smoothSeries, m_epochLossSeries}) {
        s->attachAxis(m_lossX);
        s->attachAxis(m_lossY);
    }
    // Owned from the start: until the log scale is first shown no chart holds it (LeakSanitizer).
    m_lossLogY = new QLogValueAxis(this);
    m_lossLogY->setTitleText(tr("cross-entropy (log)"));
    m_lossLogY->setMinorTickCount(0);
}

void TrainingCharts::createAccuracyChart()
{
    m_accChart = new QChart;
    m_accChart->setTitle(tr("Accuracy"));
    m_trainAccSeries = new QLineSeries;
    m_trainAccSeries->setName(tr("train"));
    m_testAccSeries = new QLineSeries;
    m_testAccSeries->setName(tr("test"));
    for (auto *s : {m_trainAccSeries, m_testAccSeries}) {
        s->setPointsVisible(true);
        m_accChart->addSeries(s);
    }
    m_accX = makeAxis(tr("epoch"), QStringLiteral("%d"));
    m_accY = makeAxis(tr("accuracy (%)"), QStringLiteral("%.1f"));
    m_accChart->addAxis(m_accX, Qt::AlignBottom);
    m_accChart->addAxis(m_accY, Qt::AlignLeft);
    for (auto *s : {m_trainAccSeries, m_testAccSeries}) {
        s->attachAxis(m_accX);
        s->attachAxis(m_accY);
    }
}

void TrainingCharts::createViews()
{
    m_lossView = makeView(m_lossChart, this);
    // Room for the three legend entries side by side, so none is elided ("epoch me...").
    {
        const QFontMetrics fm(m_lossChart->legend()->font());
        int legend = 0;
        for (auto *s : {m_rawSeries, m_smoothSeries, m_epochLossSeries})
            legend += fm.horizontalAdvance(s->name()) + 2 * fm.height() + 12;
        m_lossView->setMinimumWidth(std::max(m_lossView->minimumWidth(), legend + 40));
    }
    m_accView = makeView(m_accChart, this);
    // Screen readers announce the charts by name; the description says what they hold.
    setAccessibleName(tr("Training charts"));
    m_lossView->setAccessibleName(tr("Training loss chart"));
    m_lossView->setAccessibleDescription(tr("Cross-entropy of every batch, smoothed, and each epoch's mean"));
    m_accView->setAccessibleName(tr("Accuracy chart"));
    m_accView->setAccessibleDescription(tr("Training and test accuracy per epoch"));
    m_logBox = new QCheckBox(tr("L&og scale"), this); // Alt+L is the learning rate's
    m_logBox->setToolTip(tr("Loss on a logarithmic axis: small late losses stay visible after a large early one."));
    m_allBox = new QCheckBox(tr("Show &all epochs"), this);
    m_allBox->setToolTip(tr("Accuracy over every epoch. Off: the axis zooms to the recent epochs so 97-99.5% is "
                            "readable, and early points may lie below it."));
    connect(m_logBox, &QCheckBox::toggled, this, &TrainingCharts::setLogScale);
    connect(m_allBox, &QCheckBox::toggled, this, &TrainingCharts::setShowAllEpochs);
    auto *charts = new QHBoxLayout;
    charts->setContentsMargins(0, 0, 0, 0);
    charts->addWidget(m_lossView, 3);
    charts->addWidget(m_accView, 2);
    auto *options = new QHBoxLayout;
    options->setContentsMargins(4, 0, 4, 0);
    options->addWidget(m_logBox);
    options->addStretch(3);
    options->addWidget(m_allBox);
    options->addStretch(2);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    layout->addLayout(charts, 1);
    layout->addLayout(options);
}

TrainingCharts::~TrainingCharts() = default;

void TrainingCharts::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::ApplicationPaletteChange)
        applyPalette();
    QWidget::changeEvent(event);
}

void TrainingCharts::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    // Label spacing depends on the width.
    updateLossAxes();
    updateAccuracyAxes();
}

void TrainingCharts::applyPalette()
{
    // Follow the system's light or dark palette instead of the charts' fixed themes.
    const QPalette pal = palette();
    const QColor window = pal.color(QPalette::Window);
    const QColor text = pal.color(QPalette::WindowText);
    const bool dark = window.lightness() < 128;
    QColor grid = text;
    grid.setAlpha(40);
    QColor minorLine = text;
    minorLine.setAlpha(90);
    for (auto *chart : {m_lossChart, m_accChart}) {
        chart->setBackgroundBrush(window);
        chart->setPlotAreaBackgroundVisible(false);
        chart->setTitleBrush(text);
        chart->legend()->setLabelColor(text);
    }
    for (QAbstractAxis *axis : std::initializer_list<QAbstractAxis *>{m_lossX, m_lossY, m_lossLogY, m_accX, m_accY}) {
        axis->setLabelsColor(text);
        axis->setTitleBrush(text);
        axis->setLinePenColor(minorLine);
        axis->setGridLineColor(grid);
        axis->setMinorGridLineColor(grid);
    }
    const QColor blue = dark ? QColor(0x6c, 0xa8, 0xff) : QColor(0x1f, 0x5f, 0xc8);
    const QColor orange = dark ? QColor(0xff, 0xa6, 0x4d) : QColor(0xd0, 0x62, 0x00);
    QColor light = blue;
    light.setAlpha(70);
    m_rawSeries->setPen(QPen(light, 1));
    m_smoothSeries->setPen(QPen(blue, 2.2));
    m_epochLossSeries->setPen(QPen(orange, 1.5, Qt::DashLine));
    m_epochLossSeries->setColor(orange);
    m_trainAccSeries->setPen(QPen(orange, 2));
    m_testAccSeries->setPen(QPen(blue, 2));
    for (auto *view : {m_lossView, m_accView}) {
        if (view)
            view->setBackgroundBrush(window);
    }
}

void TrainingCharts::clear(int plannedEpochs)
{
    m_raw.clear();
    m_smoothed.clear();
    m_epochLoss.clear();
    m_trainAcc.clear();
    m_testAcc.clear();
    m_ema = -1;
    m_lossMax = 0;
    m_lossMin = std::numeric_limits<double>::infinity();
    m_nonFinite = 0;
    m_lossDirty = false;
    m_refresh->stop();
    for (auto *s : {m_rawSeries, m_smoothSeries, m_epochLossSeries, m_trainAccSeries, m_testAccSeries})
        s->clear();
    m_plannedEpochs = std::max(1, plannedEpochs);
    updateLossAxes();
    updateAccuracyAxes();
}

void TrainingCharts::setHistory(const std::vector<core::EpochStats> &history, int plannedEpochs)
{
    clear(std::max(plannedEpochs, int(history.size())));
    for (const auto &stats : history)
        appendEpochPoints(stats);
    m_epochLossSeries->replace(forLossAxis(m_epochLoss));
    m_trainAccSeries->replace(m_trainAcc);
    m_testAccSeries->replace(m_testAcc);
    if (!history.empty())
        m_plannedEpochs = std::max(m_plannedEpochs, history.back().epoch);
    updateLossAxes();
    updateAccuracyAxes();
}

void TrainingCharts::setPlannedEpochs(int epochs)
{
    m_plannedEpochs = std::max(1, epochs);
    updateLossAxes();
    updateAccuracyAxes();
}

void TrainingCharts::truncateAfterEpoch(int epochs)
{
    // Epoch e's batches lie in (e-1, e]; a small tolerance absorbs the division's rounding.
    const double limit = epochs + 1e-9;
    qsizetype keep = m_raw.size();
    while (keep > 0 && m_raw[keep - 1].x() > limit)
        --keep;
    if (keep == m_raw.size())
        return;
    m_raw.resize(keep);
    m_smoothed.resize(keep);
    m_ema = m_smoothed.isEmpty() ? -1 : m_smoothed.last().y();
    m_lossDirty = true;
    refreshLossSeries();
}

void TrainingCharts::addBatchLosses(const core::BatchLosses &losses)
{
    if (losses.losses.isEmpty() || losses.batchesPerEpoch <= 0)
        return;
    int epoch = losses.epoch;
    int batch = losses.firstBatch;
    const double oldMax = m_lossMax;
    const double oldMin = m_lossMin;
    for (float lossValue : losses.losses) {
        // x in epochs: batch b of epoch e ends at (e-1) + b/B, so epoch e's points lie in (e-1, e].
        const double x = (epoch - 1) + double(batch) / losses.batchesPerEpoch;
        // A diverged run's inf/NaN has no place on an axis: counted (the Train tab reports the
        // divergence), not drawn. Huge finite losses are capped so axis arithmetic stays finite.
        const double loss = lossValue;
        if (std::isfinite(loss)) {
            const double y = chartaxes::displayable(loss, 0);
            m_raw.append(QPointF(x, y));
            m_ema = m_ema < 0 ? y : (1 - kSmoothing) * m_ema + kSmoothing * y;
            if (!std::isfinite(m_ema))
                m_ema = y;
            m_smoothed.append(QPointF(x, m_ema));
            m_lossMax = std::max(m_lossMax, y);
            m_lossMin = std::min(m_lossMin, y);
        } else {
            ++m_nonFinite;
        }
        if (++batch > losses.batchesPerEpoch) {
            batch = 1;
            ++epoch;
        }
    }
    if (m_raw.isEmpty())
        return;
    m_lossDirty = true;
    if (!m_refresh->isActive())
        m_refresh->start();
    // After a spike the robust top follows the recent batches: the axis moves with them.
    if (m_lossMax != oldMax || m_raw.last().x() > m_lossX->max() || (m_logScale && m_lossMin != oldMin)
        || (!m_logScale && m_lossMax > kSpikeLoss))
        updateLossAxes();
}

void TrainingCharts::refreshLossSeries()
{
    m_refresh->stop();
    if (!m_lossDirty)
        return;
    m_lossDirty = false;
    const qsizetype n = m_raw.size();
    if (n <= kMaxShownPoints) {
        m_rawSeries->replace(forLossAxis(m_raw));
        m_smoothSeries->replace(forLossAxis(m_smoothed));
        return;
    }
    m_rawSeries->replace(forLossAxis(decimateMinMax(m_raw, kMaxShownPoints)));
    m_smoothSeries->replace(forLossAxis(decimateLast(m_smoothed, n, kMaxShownPoints)));
}

QList<QPointF> TrainingCharts::shownRawLoss()
{
    refreshLossSeries();
    return m_rawSeries->points();
}

void TrainingCharts::addEpoch(const core::EpochStats &stats)
{
    refreshLossSeries();
    appendEpochPoints(stats);
    m_epochLossSeries->replace(forLossAxis(m_epochLoss));
    m_trainAccSeries->replace(m_trainAcc);
    m_testAccSeries->replace(m_testAcc);
    m_plannedEpochs = std::max(m_plannedEpochs, stats.epoch);
    updateLossAxes();
    updateAccuracyAxes();
}

void TrainingCharts::updateLossAxes()
{
    double lastX = m_plannedEpochs;
    if (!m_raw.isEmpty())
        lastX = std::max(lastX, std::ceil(m_raw.last().x()));
    double firstX = 0;
    setEpochTicks(m_lossX, firstX, lastX, m_lossView ? m_lossView->width() : 600);
    // A handful of labels on a "nice" step for any loss (issue 9: a step capped at 1.0 asked
    // Qt Charts for a million labels when the loss reached 1e6, and froze the window).
    if (m_logScale) {
        const double lo = std::isfinite(m_lossMin) && m_lossMin > 0 ? m_lossMin * 0.9 : 0.01;
        const double hi = m_lossMax > 0 ? m_lossMax * 1.1 : 2.5;
        const LogTicks t = chartaxes::logarithmic(lo, hi, kValueTicks);
        m_lossLogY->setBase(t.base);
        m_lossLogY->setRange(t.min, t.max);
        m_lossLogY->setLabelFormat(t.labelFormat);
        m_logBox->setText(tr("L&og scale"));
        return;
    }
    double maxLoss = m_lossMax > 0 ? m_lossMax * 1.02 : 2.5;
    double recentTop = 0;
    int above = 0;
    if (m_lossMax > kSpikeLoss && chartaxes::recentQuantile(m_raw, kRecentBatches, kRecentQuantile, recentTop)
        && recentTop * 1.1 < m_lossMax) {
        maxLoss = std::max(recentTop * 1.1, 0.1);
        for (const QPointF &p : std::as_const(m_raw))
            above += p.y() > maxLoss;
    }
    // Say when the robust top leaves batches out, as the accuracy chart does for its zoom.
    m_logBox->setText(above == 0 ? tr("L&og scale")
                                 : tr("L&og scale (%1 above the view)").arg(core::countText(above, "1 batch", "%1 batches")));
    // From 0 (a loss is never negative; synthetic test data may be).
    const double minLoss = std::isfinite(m_lossMin) ? std::min(0.0, m_lossMin) : 0.0;
    const LinearTicks t = chartaxes::linear(minLoss, maxLoss, kValueTicks, 0, 2.5);
    m_lossY->setTickType(QValueAxis::TicksDynamic);
    m_lossY->setTickAnchor(t.min);
    m_lossY->setTickInterval(t.step);
    m_lossY->setRange(t.min, t.max);
    m_lossY->setLabelFormat(t.labelFormat);
}

void TrainingCharts::updateAccuracyAxes()
{
    setEpochTicks(m_accX, 0.5, m_plannedEpochs + 0.5, m_accView ? m_accView->width() : 400);
    m_accX->setTickAnchor(1);
    // Auto-zoom: fit the recent epochs, so the first epoch (often 80-95% with dropout on) does not
    // squeeze the interesting 97-99.5% band into a few pixels. Older points may leave the view
    // unless "Show all epochs" is on.
    const qsizetype n = m_testAcc.size();
    const qsizetype from = m_showAll ? 0 : (n >= 3 ? n / 2 : 0);
    double lo = kDefaultAccLo, hi = kDefaultAccHi;
    double tlo = 0, thi = 0;
    const bool haveTest = chartaxes::finiteYRange(m_testAcc, lo, hi, from);
    if (chartaxes::finiteYRange(m_trainAcc, tlo, thi, std::min(from, m_trainAcc.size()))) {
        lo = haveTest ? std::min(lo, tlo) : tlo;
        hi = haveTest ? std::max(hi, thi) : thi;
    }
    // Half a step of air, never beyond 0-100%, at least half a point wide.
    lo = std::clamp(lo - 0.25, 0.0, 100.0);
    hi = std::clamp(hi + 0.25, 0.0, 100.0);
    if (hi - lo < 0.5) {
        lo = std::max(0.0, hi - 0.5);
        hi = std::min(100.0, lo + 0.5);
    }
    LinearTicks t = chartaxes::linear(lo, hi, kValueTicks + 2, kDefaultAccLo, kDefaultAccHi);
    t.min = std::max(0.0, t.min);
    t.max = std::min(100.0, t.max);
    m_accY->setTickType(QValueAxis::TicksDynamic);
    m_accY->setTickAnchor(t.min);
    m_accY->setTickInterval(t.step);
    m_accY->setRange(t.min, t.max);
    m_accY->setLabelFormat(t.labelFormat);
    // Say when the zoom leaves points out, so an early epoch is not silently missing.
    int hidden = 0;
    for (const auto *list : {&m_trainAcc, &m_testAcc})
        for (const QPointF &p : *list)
            hidden += p.y() < t.min - 1e-9 || p.y() > t.max + 1e-9;
    m_allBox->setText(hidden == 0 || m_showAll ? tr("Show &all epochs")
                                               : tr("Show &all epochs (%1 below the view)").arg(hidden));
}

void TrainingCharts::appendEpochPoints(const core::EpochStats &stats)
{
    // The mean over (e-1, e] sits in the middle of its epoch; a diverged epoch's NaN is left out.
    if (std::isfinite(stats.trainLoss)) {
        const double y = chartaxes::displayable(stats.trainLoss, 0);
        m_epochLoss.append(QPointF(stats.epoch - 0.5, y));
        m_lossMax = std::max(m_lossMax, y);
        m_lossMin = std::min(m_lossMin, y);
    }
    // Accuracies are 0-100% by construction; a NaN (nothing evaluated) is drawn at 0.
    m_trainAcc.append(QPointF(stats.epoch, std::clamp(chartaxes::displayable(100.0 * stats.trainAccuracy, 0), 0.0, 100.0)));
    m_testAcc.append(QPointF(stats.epoch, std::clamp(chartaxes::displayable(100.0 * stats.testAccuracy, 0), 0.0, 100.0)));
}

QList<QPointF> TrainingCharts::forLossAxis(const QList<QPointF> &points) const
{
    if (!m_logScale)
        return points;
    QList<QPointF> out = points;
    for (QPointF &p : out)
        p.setY(std::max(p.y(), chartaxes::kLogFloor));
    return out;
}

void TrainingCharts::setLogScale(bool on)
{
    if (on == m_logScale)
        return;
    m_logScale = on;
    if (m_logBox->isChecked() != on)
        m_logBox->setChecked(on);
    QAbstractAxis *oldAxis = on ? static_cast<QAbstractAxis *>(m_lossY) : m_lossLogY;
    QAbstractAxis *newAxis = on ? static_cast<QAbstractAxis *>(m_lossLogY) : m_lossY;
    for (auto *s : {m_rawSeries, m_smoothSeries, m_epochLossSeries})
        s->detachAxis(oldAxis);
    m_lossChart->removeAxis(oldAxis); // the chart gives up ownership; we keep both axes
    oldAxis->setParent(this);
    m_lossChart->addAxis(newAxis, Qt::AlignLeft);
    updateLossAxes();
    for (auto *s : {m_rawSeries, m_smoothSeries, m_epochLossSeries})
        s->attachAxis(newAxis);
    m_epochLossSeries->replace(forLossAxis(m_epochLoss));
    m_lossDirty = true;
    refreshLossSeries();
}

void TrainingCharts::setShowAllEpochs(bool on)
{
    m_showAll = on;
    if (m_allBox->isChecked() != on)
        m_allBox->setChecked(on);
    updateAccuracyAxes();
}

int TrainingCharts::lossTickCount() const
{
    if (m_logScale) {
        LogTicks t;
        t.base = m_lossLogY->base();
        t.min = m_lossLogY->min();
        t.max = m_lossLogY->max();
        return t.count();
    }
    LinearTicks t;
    t.min = m_lossY->min();
    t.max = m_lossY->max();
    t.step = m_lossY->tickInterval();
    return t.count();
}

int TrainingCharts::accuracyTickCount() const
{
    LinearTicks t;
    t.min = m_accY->min();
    t.max = m_accY->max();
    t.step = m_accY->tickInterval();
    return t.count();
}

std::pair<double, double> TrainingCharts::lossRange() const
{
    if (m_logScale)
        return {m_lossLogY->min(), m_lossLogY->max()};
    return {m_lossY->min(), m_lossY->max()};
}

std::pair<double, double> TrainingCharts::accuracyRange() const
{
    return {m_accY->min(), m_accY->max()};
}

QImage TrainingCharts::toImage()
{
    return grab().toImage();
}

} // namespace ui
