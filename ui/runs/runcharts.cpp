#include "ui/runs/runcharts.h"
#include "ui/train/chartaxes.h"
#include "ui/train/trainingcharts.h"
#include <QChart>
#include <QChartView>
#include <QCheckBox>
#include <QComboBox>
#include <QEvent>
#include <QGraphicsLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLegendMarker>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QMouseEvent>
#include <QPainter>
#include <QSlider>
#include <QToolTip>
#include <QVBoxLayout>
#include <QValueAxis>
#include <cmath>
#include <limits>

namespace ui {

namespace {

// Value-axis labels: a handful, readable at the chart's minimum height.
constexpr int kValueTicks = 6;
// Antialiased lines cost about twice the paint time (measured with 20 runs); above this many
// points in a chart the lines are dense enough not to need it.
constexpr int kAntialiasMaxPoints = 4000;
// The raw curve under a smoothed one: the run's colour, faint enough to read as a band.
constexpr int kRawAlpha = 60;

QList<QPointF> thin(const QList<QPointF> &points, int maxPoints)
{
    if (points.size() <= maxPoints)
        return points;
    // A smooth curve loses nothing visible by keeping every k-th point (and the last).
    const qsizetype step = (points.size() + maxPoints - 1) / maxPoints;
    QList<QPointF> out;
    out.reserve(maxPoints + 1);
    for (qsizetype i = 0; i < points.size(); i += step)
        out.append(points[i]);
    if (out.back() != points.back())
        out.append(points.back());
    return out;
}

} // namespace

/// A chart's line series, reused from one rebuild to the next: replace() on an existing series
/// is far cheaper than adding a series to a chart and attaching it to axes (measured: 20 runs,
/// rebuild from ~300 ms to ~100 ms).
struct RunCharts::SeriesPool {
    QChart *chart = nullptr;
    std::vector<QLineSeries *> series;
    std::size_t used = 0;

    QLineSeries *next(const QList<QPointF> &points, const QColor &color, qreal width, Qt::PenStyle style, const QString &name)
    {
        if (used == series.size()) {
            auto *s = new QLineSeries;
            chart->addSeries(s);
            series.push_back(s);
        }
        QLineSeries *s = series[used++];
        s->setName(name);
        QPen pen(color, width, style);
        pen.setCosmetic(true);
        s->setPen(pen);
        s->setPointsVisible(false);
        s->replace(points);
        return s;
    }
    /// Drops the series this rebuild did not use.
    void trim()
    {
        while (series.size() > used) {
            chart->removeSeries(series.back());
            delete series.back();
            series.pop_back();
        }
    }
};

namespace {

QChart *makeChart(const QString &title)
{
    auto *chart = new QChart;
    chart->setTitle(title);
    chart->legend()->hide(); // RunCharts::m_legend names the runs once for both charts
    chart->layout()->setContentsMargins(0, 0, 0, 0);
    return chart;
}

void range(const QList<QPointF> &points, double &xLo, double &xHi, double &yLo, double &yHi)
{
    for (const auto &p : points) {
        xLo = std::min(xLo, p.x());
        xHi = std::max(xHi, p.x());
        if (std::isfinite(p.y())) {
            yLo = std::min(yLo, p.y());
            yHi = std::max(yHi, p.y());
        }
    }
}

} // namespace

RunCharts::RunCharts(QWidget *parent) : QWidget(parent)
{
    m_lossChart = makeChart(tr("Training loss (per batch)"));
    m_accChart = makeChart(tr("Accuracy per epoch (%)"));
    m_lossPool = std::make_unique<SeriesPool>();
    m_lossPool->chart = m_lossChart;
    m_accPool = std::make_unique<SeriesPool>();
    m_accPool->chart = m_accChart;
    m_lossView = new QChartView(m_lossChart, this);
    m_accView = new QChartView(m_accChart, this);
    for (auto *view : {m_lossView, m_accView}) {
        view->setMinimumSize(300, 240);
        view->setMouseTracking(true);
        view->viewport()->setMouseTracking(true);
        view->viewport()->installEventFilter(this);
    }
    m_lossView->setAccessibleName(tr("Loss chart of the selected runs"));
    m_accView->setAccessibleName(tr("Accuracy chart of the selected runs"));

    m_axisBox = new QComboBox(this);
    m_axisBox->addItem(tr("Epoch"), int(RunAxis::Epoch));
    m_axisBox->addItem(tr("Images seen"), int(RunAxis::Images));
    m_axisBox->addItem(tr("Wall time"), int(RunAxis::WallTime));
    m_axisBox->setAccessibleName(tr("X axis"));
    auto *axisLabel = new QLabel(tr("&X axis:"), this);
    axisLabel->setBuddy(m_axisBox);
    connect(m_axisBox, &QComboBox::currentIndexChanged, this, [this] { setAxis(RunAxis(m_axisBox->currentData().toInt())); });

    m_logBox = new QCheckBox(tr("Lo&g loss"), this);
    m_logBox->setAccessibleName(tr("Logarithmic loss axis"));
    connect(m_logBox, &QCheckBox::toggled, this, &RunCharts::setLogScale);

    m_smoothSlider = new QSlider(Qt::Horizontal, this);
    m_smoothSlider->setRange(0, 99);
    m_smoothSlider->setValue(int(std::lround(m_smoothing * 100)));
    m_smoothSlider->setAccessibleName(tr("Smoothing"));
    m_smoothSlider->setToolTip(tr("Exponential moving average of the loss; the raw curve stays as a faint band"));
    auto *smoothLabel = new QLabel(tr("S&moothing:"), this);
    smoothLabel->setBuddy(m_smoothSlider);
    m_smoothValue = new QLabel(this);
    m_smoothValue->setMinimumWidth(32);
    connect(m_smoothSlider, &QSlider::valueChanged, this, [this](int v) { setSmoothing(v / 100.0); });

    m_hover = new QLabel(tr("Hover a chart to read every run's value."), this);
    m_hover->setAccessibleName(tr("Values under the mouse"));
    m_hover->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_hover->setWordWrap(true);

    auto *controls = new QHBoxLayout;
    controls->addWidget(axisLabel);
    controls->addWidget(m_axisBox);
    controls->addSpacing(12);
    controls->addWidget(m_logBox);
    controls->addSpacing(12);
    controls->addWidget(smoothLabel);
    controls->addWidget(m_smoothSlider, 1);
    controls->addWidget(m_smoothValue);
    m_legend = new QLabel(this);
    m_legend->setAccessibleName(tr("Legend: the colour of each run"));
    m_legend->setWordWrap(true);

    auto *charts = new QHBoxLayout;
    charts->addWidget(m_lossView);
    charts->addWidget(m_accView);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(controls);
    layout->addLayout(charts, 1);
    layout->addWidget(m_legend);
    layout->addWidget(m_hover);
    rebuild();
}

RunCharts::~RunCharts() = default; // the charts own the series

void RunCharts::setRuns(std::vector<Run> runs)
{
    m_runs = std::move(runs);
    rebuild();
}

void RunCharts::setAxis(RunAxis axis)
{
    if (axis == m_axis)
        return;
    m_axis = axis;
    const int index = m_axisBox->findData(int(axis));
    if (m_axisBox->currentIndex() != index)
        m_axisBox->setCurrentIndex(index);
    rebuild();
}

void RunCharts::setLogScale(bool on)
{
    if (on == m_log)
        return;
    m_log = on;
    m_logBox->setChecked(on);
    rebuild();
}

void RunCharts::setSmoothing(double smoothing)
{
    smoothing = std::clamp(smoothing, 0.0, 0.99);
    if (smoothing == m_smoothing)
        return;
    m_smoothing = smoothing;
    const int v = int(std::lround(smoothing * 100));
    if (m_smoothSlider->value() != v)
        m_smoothSlider->setValue(v);
    rebuild();
}

void RunCharts::rebuild()
{
    m_smoothValue->setText(QString::number(m_smoothing, 'f', 2));
    m_lossPool->used = 0;
    m_accPool->used = 0;
    m_shownLoss.assign(m_runs.size(), {});
    m_shownAcc.assign(m_runs.size(), {});
    const bool smoothed = m_smoothing > 0;
    const int perSeries = std::max(kMinPointsPerSeries, kPointBudget / std::max<int>(1, int(m_runs.size()) * (smoothed ? 2 : 1)));
    const double inf = std::numeric_limits<double>::infinity();
    double xLo = inf, xHi = -inf, lossLo = inf, lossHi = -inf, accLo = inf, accHi = -inf;
    for (std::size_t i = 0; i < m_runs.size(); ++i) {
        const auto &run = m_runs[i];
        const QColor color = runcurves::runColor(run.record.id);
        const QString name = run.record.displayName();
        QList<QPointF> raw = runcurves::rawEnvelope(run.curves, m_axis);
        if (m_log)
            for (auto &p : raw)
                p.setY(std::max(p.y(), chartaxes::kLogFloor));
        range(raw, xLo, xHi, lossLo, lossHi);
        if (smoothed) {
            QColor faint = color;
            faint.setAlpha(kRawAlpha);
            m_lossPool->next(decimateMinMax(raw, perSeries), faint, 1, Qt::SolidLine, {});
            m_shownLoss[i] = runcurves::smooth(runcurves::rawLoss(run.curves, m_axis), m_smoothing);
            if (m_log)
                for (auto &p : m_shownLoss[i])
                    p.setY(std::max(p.y(), chartaxes::kLogFloor));
            m_lossPool->next(thin(m_shownLoss[i], perSeries), color, 2, Qt::SolidLine, name);
        } else {
            m_shownLoss[i] = runcurves::rawLoss(run.curves, m_axis);
            m_lossPool->next(decimateMinMax(raw, perSeries), color, 1.2, Qt::SolidLine, name);
        }
        m_shownAcc[i] = runcurves::accuracy(run.curves, m_axis, true);
        const auto train = runcurves::accuracy(run.curves, m_axis, false);
        range(m_shownAcc[i], xLo, xHi, accLo, accHi);
        range(train, xLo, xHi, accLo, accHi);
        QColor light = color;
        light.setAlpha(140);
        m_accPool->next(train, light, 1, Qt::DashLine, {});
        auto *test = m_accPool->next(m_shownAcc[i], color, 2, Qt::SolidLine, name);
        test->setPointsVisible(m_shownAcc[i].size() < 40);
    }
    m_lossPool->trim();
    m_accPool->trim();
    m_lossView->setRenderHint(QPainter::Antialiasing, lossPointsShown() <= kAntialiasMaxPoints);
    m_accView->setRenderHint(QPainter::Antialiasing, true);
    QStringList legend;
    for (const auto &run : m_runs)
        legend << QStringLiteral("<span style='color:%1'>&#9632;</span>&nbsp;%2")
                      .arg(runcurves::runColor(run.record.id).name(), run.record.displayName().toHtmlEscaped());
    m_legend->setText(m_runs.empty() ? tr("Select runs in the table to compare their curves.")
                                     : legend.join(QStringLiteral(" &nbsp; "))
                                           + tr(" &nbsp; <i>(loss: %1; accuracy: test solid, train dashed)</i>")
                                                 .arg(smoothed ? tr("smoothed, raw band faint") : tr("raw")));
    if (!(xLo <= xHi)) { // nothing selected
        xLo = 0;
        xHi = 1;
    }
    setupAxes(xLo, xHi, lossLo, lossHi, accLo, accHi);
}

namespace {

void applyTicks(QValueAxis *axis, const LinearTicks &t)
{
    axis->setTickType(QValueAxis::TicksDynamic);
    axis->setTickAnchor(t.min);
    axis->setTickInterval(t.step);
    axis->setRange(t.min, t.max);
    axis->setLabelFormat(t.labelFormat);
}

} // namespace

void RunCharts::setupAxes(double xLo, double xHi, double lossLo, double lossHi, double accLo, double accHi)
{
    if (!m_lossX) {
        m_lossX = new QValueAxis;
        m_lossY = new QValueAxis;
        m_lossLogY = new QLogValueAxis;
        m_accX = new QValueAxis;
        m_accY = new QValueAxis;
        m_lossY->setTitleText(tr("loss"));
        m_lossLogY->setTitleText(tr("loss (log)"));
        m_accY->setTitleText(tr("%"));
        m_lossChart->addAxis(m_lossX, Qt::AlignBottom);
        m_lossChart->addAxis(m_lossY, Qt::AlignLeft);
        m_lossChart->addAxis(m_lossLogY, Qt::AlignLeft);
        m_accChart->addAxis(m_accX, Qt::AlignBottom);
        m_accChart->addAxis(m_accY, Qt::AlignLeft);
    }
    LinearTicks x = chartaxes::linear(xLo, xHi, kValueTicks, 0, 1);
    // Every axis starts at 0 (no epoch, image or second yet) and ends at the data's own end,
    // not a rounded tick: a run of 15 epochs ends at 15.
    x.min = std::min(0.0, xLo);
    x.max = xHi;
    if (m_axis == RunAxis::Images || x.step >= 1)
        x.labelFormat = QStringLiteral("%.0f"); // whole epochs, images, seconds
    for (auto *axis : {m_lossX, m_accX}) {
        axis->setTitleText(runcurves::axisTitle(m_axis));
        applyTicks(axis, x);
    }
    m_lossY->setVisible(!m_log);
    m_lossLogY->setVisible(m_log);
    if (m_log) {
        const LogTicks t = chartaxes::logarithmic(std::isfinite(lossLo) ? lossLo * 0.9 : 0.01, std::isfinite(lossHi) ? lossHi * 1.1 : 2.5,
                                                  kValueTicks);
        m_lossLogY->setBase(t.base);
        m_lossLogY->setRange(t.min, t.max);
        m_lossLogY->setLabelFormat(t.labelFormat);
    } else {
        applyTicks(m_lossY, chartaxes::linear(0, std::isfinite(lossHi) ? lossHi * 1.02 : 2.5, kValueTicks, 0, 2.5));
    }
    applyTicks(m_accY, chartaxes::linear(std::isfinite(accLo) ? std::max(0.0, accLo - 1) : 0,
                                         std::isfinite(accHi) ? std::min(100.0, accHi + 0.5) : 100, kValueTicks, 0, 100));
    // Attaching is the costly part: only series that are new or on the other y axis.
    QAbstractAxis *lossY = m_log ? static_cast<QAbstractAxis *>(m_lossLogY) : m_lossY;
    QAbstractAxis *otherY = m_log ? static_cast<QAbstractAxis *>(m_lossY) : m_lossLogY;
    for (auto *s : m_lossChart->series()) {
        const auto attached = s->attachedAxes();
        if (!attached.contains(m_lossX))
            s->attachAxis(m_lossX);
        if (attached.contains(otherY))
            s->detachAxis(otherY);
        if (!attached.contains(lossY))
            s->attachAxis(lossY);
    }
    for (auto *s : m_accChart->series()) {
        const auto attached = s->attachedAxes();
        if (!attached.contains(m_accX))
            s->attachAxis(m_accX);
        if (!attached.contains(m_accY))
            s->attachAxis(m_accY);
    }
}

std::pair<double, double> RunCharts::xRange() const
{
    return {m_lossX->min(), m_lossX->max()};
}

int RunCharts::lossPointsShown() const
{
    int n = 0;
    for (auto *s : m_lossChart->series())
        n += int(static_cast<QLineSeries *>(s)->count());
    return n;
}

QString RunCharts::valuesAt(double x) const
{
    QString where;
    switch (m_axis) {
    case RunAxis::Epoch:
        where = tr("epoch %1").arg(x, 0, 'f', 2);
        break;
    case RunAxis::Images:
        where = tr("%1 images").arg(QLocale().toString(qint64(std::llround(x))));
        break;
    case RunAxis::WallTime:
        where = tr("%1 s").arg(x, 0, 'f', 1);
        break;
    }
    QStringList parts{where};
    for (std::size_t i = 0; i < m_runs.size(); ++i) {
        const double loss = runcurves::valueAt(m_shownLoss[i], x);
        const double acc = runcurves::valueAt(m_shownAcc[i], x);
        QStringList values;
        if (std::isfinite(loss))
            values << tr("loss %1").arg(loss, 0, 'f', 4);
        if (std::isfinite(acc))
            values << tr("test %1%").arg(acc, 0, 'f', 2);
        parts << QStringLiteral("%1: %2").arg(m_runs[i].record.displayName(), values.isEmpty() ? tr("no data") : values.join(QStringLiteral(", ")));
    }
    return parts.join(QStringLiteral(" · "));
}

bool RunCharts::eventFilter(QObject *watched, QEvent *event)
{
    if (event->type() == QEvent::MouseMove) {
        QChartView *view = watched == m_lossView->viewport() ? m_lossView : watched == m_accView->viewport() ? m_accView : nullptr;
        if (view && !m_runs.empty()) {
            const auto *e = static_cast<QMouseEvent *>(event);
            const QPointF scene = view->mapToScene(e->position().toPoint());
            const QPointF inChart = view->chart()->mapFromScene(scene);
            if (view->chart()->plotArea().contains(inChart) && !view->chart()->series().isEmpty()) {
                const double x = view->chart()->mapToValue(inChart, view->chart()->series().constLast()).x();
                m_hover->setText(valuesAt(x));
                QToolTip::showText(e->globalPosition().toPoint(), m_hover->text().replace(QStringLiteral(" · "), QStringLiteral("\n")), view);
            }
        }
    }
    return QWidget::eventFilter(watched, event);
}

QImage RunCharts::toImage()
{
    const QPixmap loss = m_lossView->grab();
    const QPixmap acc = m_accView->grab();
    QImage image(loss.width() + acc.width(), std::max(loss.height(), acc.height()), QImage::Format_ARGB32);
    image.fill(Qt::white);
    QPainter p(&image);
    p.drawPixmap(0, 0, loss);
    p.drawPixmap(loss.width(), 0, acc);
    return image;
}

} // namespace ui
