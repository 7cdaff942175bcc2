#include "insidetab.h"
#include "classlabel.h"
#include "core/dataset.h"
#include "heatscale.h"
#include "kernelview.h"
#include "layerview.h"
#include "saliencyview.h"
#include "core/classifier.h"
#include "core/preprocess.h"
#include "ui/draw/drawcanvas.h"
#include "ui/draw/drawtab.h"
#include "ui/modeldocument.h"

#include <QButtonGroup>
#include <QComboBox>
#include <QFutureWatcher>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>
#include <algorithm>

namespace ui {

InsideTab::InsideTab(ModelDocument *state, QWidget *parent)
    : QWidget(parent), m_state(state), m_canvas(new DrawCanvas(this)), m_origin(new QLabel(this)), m_stamp(new QLabel(this)),
      m_layers(new LayerView(this)), m_kernels(new KernelView(this)), m_classButtons(new QButtonGroup(this)),
      m_question(new QLabel(this)), m_method(new QComboBox(this)), m_saliency(new SaliencyView(this)),
      m_occlusion(new SaliencyView(this)), m_message(new QLabel(this)), m_throttle(new QTimer(this)),
      m_watcher(new QFutureWatcher<SaliencyJob>(this)), m_liveSaliencyTimer(new QTimer(this))
{
    setObjectName(QStringLiteral("insideTab"));
    auto *layout = new QHBoxLayout(this);
    layout->addWidget(createLeftColumn());
    layout->addWidget(createMiddle(), 1);
    layout->addWidget(createRightColumn());
    connectParts();
    onClassifierChanged();
}

QWidget *InsideTab::createLeftColumn()
{
    // Left: a small canvas (draw here and watch every layer), where the input comes from.
    m_canvas->setObjectName(QStringLiteral("insideCanvas"));
    m_canvas->setAccessibleName(tr("Drawing canvas of the Inside tab"));
    m_canvas->setFixedSize(220, 220);
    auto *clear = new QPushButton(tr("C&lear"), this);
    clear->setAccessibleName(tr("Clear the Inside tab's canvas"));
    connect(clear, &QPushButton::clicked, m_canvas, &DrawCanvas::clear);
    // A label's accessible name is its text: fixed names would hide what it says (issue 16).
    m_origin->setObjectName(QStringLiteral("insideOrigin"));
    m_origin->setAccessibleDescription(tr("Input shown"));
    m_origin->setWordWrap(true);
    m_stamp->setObjectName(QStringLiteral("insideStamp"));
    m_stamp->setAccessibleDescription(tr("Weights shown"));
    m_stamp->setWordWrap(true);
    auto *left = new QVBoxLayout;
    auto *drawHere = new QLabel(tr("<b>Draw here</b> (or use the Draw tab, or select an image in Browse)"), this);
    drawHere->setWordWrap(true);
    left->addWidget(drawHere);
    left->addWidget(m_canvas);
    left->addWidget(clear, 0, Qt::AlignLeft);
    left->addSpacing(8);
    left->addWidget(m_origin);
    left->addWidget(m_stamp);
    left->addStretch();
    auto *leftWidget = new QWidget(this);
    leftWidget->setLayout(left);
    leftWidget->setFixedWidth(236);
    return leftWidget;
}

QWidget *InsideTab::createMiddle()
{
    // Middle: the layers over the kernel view, scrollable on small screens.
    auto *middle = new QWidget(this);
    auto *middleLayout = new QVBoxLayout(middle);
    middleLayout->setContentsMargins(0, 0, 0, 0);
    middleLayout->addWidget(m_layers);
    middleLayout->addWidget(m_kernels);
    middleLayout->addStretch();
    m_scroll = new QScrollArea(this);
    m_scroll->setObjectName(QStringLiteral("insideLayersScroll"));
    m_scroll->setWidget(middle);
    m_scroll->setWidgetResizable(true);
    m_scroll->setFrameShape(QFrame::NoFrame);
    // The layer view takes the keys; the scroll area is no stop of its own.
    m_scroll->setFocusPolicy(Qt::NoFocus);
    // The layer view's prompt sits in its shown part: repaint it where it now belongs on a scroll.
    for (QScrollBar *bar : {m_scroll->horizontalScrollBar(), m_scroll->verticalScrollBar()})
        connect(bar, &QScrollBar::valueChanged, m_layers, qOverload<>(&QWidget::update));
    // The keyboard cursor stays in sight.
    connect(m_layers, &LayerView::cursorMoved, this, [this](const QRect &r) {
        const QPoint c = m_layers->mapTo(m_scroll->widget(), r.center());
        m_scroll->ensureVisible(c.x(), c.y(), r.width() / 2 + 8, r.height() / 2 + 8);
    });
    return m_scroll;
}

QLayout *InsideTab::createClassButtons()
{
    auto *buttons = new QGridLayout;
    buttons->setSpacing(2);
    for (int d = 0; d < core::kClasses; ++d) {
        auto *b = new QToolButton(this);
        b->setText(classLabel(d));
        b->setCheckable(true);
        b->setAccessibleName(tr("Explain class %1").arg(classLabel(d)));
        b->setObjectName(QStringLiteral("explainClass%1").arg(d));
        b->setMinimumWidth(30);
        m_classButtons->addButton(b, d);
        buttons->addWidget(b, d / 5, d % 5);
    }
    m_classButtons->setExclusive(true);
    return buttons;
}

QWidget *InsideTab::createRightColumn()
{
    // Right: why this class, why not that one.
    auto *right = new QVBoxLayout;
    auto *explain = new QLabel(tr("<b>Explain class</b> (or click a logit / softmax bar)"), this);
    explain->setWordWrap(true);
    right->addWidget(explain);
    right->addLayout(createClassButtons());
    m_question->setObjectName(QStringLiteral("insideQuestion"));
    m_question->setAccessibleDescription(tr("Question explained"));
    m_question->setWordWrap(true);
    QFont big = font();
    big.setPointSizeF(font().pointSizeF() * 1.3);
    big.setBold(true);
    m_question->setFont(big);
    right->addWidget(m_question);
    m_method->addItem(tr("Integrated gradients"), int(core::SaliencyMethod::IntegratedGradients));
    m_method->addItem(tr("Gradient × input"), int(core::SaliencyMethod::GradientTimesInput));
    m_method->setAccessibleName(tr("Saliency method"));
    m_method->setToolTip(tr("Integrated gradients: attributions that add up to the class score's rise from a blank image.\n"
                            "Gradient × input: one backward pass, noisier."));
    right->addWidget(m_method);
    m_saliency->setObjectName(QStringLiteral("saliencyView"));
    m_occlusion->setObjectName(QStringLiteral("occlusionView"));
    m_occlusion->setTitle(tr("Occlusion"));
    right->addWidget(m_saliency);
    right->addWidget(m_occlusion);
    m_key = new QLabel(this);
    m_key->setWordWrap(true);
    right->addWidget(m_key);
    m_message->setWordWrap(true);
    m_message->setStyleSheet(QStringLiteral("color: #c0392b"));
    m_message->setAccessibleDescription(tr("Inside tab message"));
    m_message->hide();
    right->addWidget(m_message);
    right->addStretch();
    auto *rightWidget = new QWidget(this);
    rightWidget->setLayout(right);
    rightWidget->setFixedWidth(m_saliency->sizeHint().width() + 40);
    return rightWidget;
}

void InsideTab::connectParts()
{
    m_throttle->setSingleShot(true);
    m_liveSaliencyTimer->setSingleShot(true);
    connect(m_liveSaliencyTimer, &QTimer::timeout, this, &InsideTab::startSaliency);
    connect(m_throttle, &QTimer::timeout, this, &InsideTab::takeCanvasInput);
    connect(m_canvas, &DrawCanvas::inkChanged, this, &InsideTab::scheduleCanvasInput);
    connect(m_canvas, &DrawCanvas::drawingSettled, this, &InsideTab::takeCanvasInput);
    connect(m_classButtons, &QButtonGroup::idClicked, this, &InsideTab::explainClass);
    connect(m_layers, &LayerView::classClicked, this, &InsideTab::explainClass);
    connect(m_layers, &LayerView::unitHovered, m_kernels, &KernelView::setUnit);
    connect(m_method, &QComboBox::currentIndexChanged, this, [this] { startSaliency(); });
    connect(m_state, &ModelDocument::classifierChanged, this, &InsideTab::onClassifierChanged);
    connect(m_state, &ModelDocument::currentInputChanged, this, &InsideTab::refresh);
    // A save or an import renames the model the stamp names.
    connect(m_state, &ModelDocument::fileChanged, this, [this] {
        if (!m_live)
            onClassifierChanged();
    });
    connect(m_watcher, &QFutureWatcher<SaliencyJob>::finished, this, &InsideTab::onSaliencyFinished);
}

InsideTab::~InsideTab()
{
    // The job holds its own shared_ptr to the model and copies of its inputs; wait so no work
    // outlives the tab.
    m_watcher->waitForFinished();
}

std::shared_ptr<const core::Classifier> InsideTab::model() const
{
    return m_live ? m_live : m_state->classifier();
}

int InsideTab::explainedClass() const
{
    if (m_input.empty() || m_predicted < 0)
        return -1;
    return m_pinned >= 0 ? m_pinned : m_predicted;
}

QString InsideTab::questionText() const { return m_question->text(); }
QString InsideTab::stampText() const { return m_stamp->text(); }

void InsideTab::explainClass(int digit)
{
    // Picking the predicted class goes back to following the prediction as the input changes.
    m_pinned = (digit < 0 || digit >= std::min(m_classes, core::kClasses) || digit == m_predicted) ? -1 : digit;
    updateQuestion();
    startSaliency();
}

void InsideTab::showTrainingSnapshot(std::shared_ptr<const core::Classifier> classifier, const core::BatchStats &at)
{
    if (!classifier)
        return;
    m_live = std::move(classifier);
    m_stampText = tr("Weights: %1, training epoch %2/%3 · batch %4/%5")
                      .arg(modelName(*m_live))
                      .arg(at.epoch)
                      .arg(at.epochs)
                      .arg(at.batch)
                      .arg(at.batchesPerEpoch);
    refresh();
}

QString InsideTab::modelName(const core::Classifier &classifier) const
{
    // The worker's snapshots all say "training snapshot": name the model as the status bar does
    // (the document's source), except for a model read straight from a bundled resource.
    if (const QString bundled = core::Classifier::bundledName(classifier.source()); !bundled.isEmpty())
        return tr("bundled model (%1)").arg(bundled);
    return m_state->source();
}

void InsideTab::onClassifierChanged()
{
    // A published snapshot (epoch end, stop, load, reset) supersedes any live one.
    m_live.reset();
    if (const auto c = m_state->classifier()) {
        const int epochs = c->info().epochsDone;
        m_stampText = epochs == 1 ? tr("Weights: %1, 1 epoch trained").arg(modelName(*c))
                                  : tr("Weights: %1, %2 epochs trained").arg(modelName(*c)).arg(epochs);
    } else {
        m_stampText = tr("Weights: no model");
    }
    refresh();
}

void InsideTab::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    Q_EMIT liveSnapshotsWanted(kLiveSnapshotMs);
    if (m_outdated)
        refresh();
}

void InsideTab::hideEvent(QHideEvent *event)
{
    QWidget::hideEvent(event);
    Q_EMIT liveSnapshotsWanted(0);
}

void InsideTab::scheduleCanvasInput()
{
    // The Draw tab's leading and trailing throttle, at its rate.
    const qint64 elapsed = m_sinceCanvas.isValid() ? m_sinceCanvas.elapsed() : DrawTab::kPredictIntervalMs;
    if (elapsed >= DrawTab::kPredictIntervalMs)
        takeCanvasInput();
    else if (!m_throttle->isActive())
        m_throttle->start(int(DrawTab::kPredictIntervalMs - elapsed));
}

void InsideTab::takeCanvasInput()
{
    m_throttle->stop();
    m_sinceCanvas.start();
    core::NormalisedDigit digit;
    try {
        // The strokes re-rendered with a pen proportional to the digit's size (a loaded image as
        // shown), normalised with the known polarity: the same input in the Draw and Inside tabs.
        digit = m_canvas->networkDigit();
    } catch (const std::exception &e) {
        m_message->setText(QString::fromUtf8(e.what()));
        m_message->show();
    }
    if (digit.blank)
        m_state->setCurrentInput({}, tr("your drawing"));
    else
        m_state->setCurrentInput({digit.pixels.begin(), digit.pixels.end()}, tr("your drawing"));
}

void InsideTab::refresh()
{
    if (!isVisible()) {
        m_outdated = true; // computed when the tab is shown
        return;
    }
    m_outdated = false;
    QElapsedTimer timer;
    timer.start();
    const auto classifier = model();
    m_stamp->setText(m_stampText);
    const QString origin = m_state->currentInputOrigin();
    m_input = m_state->currentInput();
    m_origin->setText(m_input.empty() ? tr("Input: none yet") : tr("Input: %1").arg(origin));
    m_message->hide();

    if (classifier.get() != m_weightsOf)
        showModel(classifier.get());

    m_predicted = -1;
    std::shared_ptr<const std::vector<core::LayerOutput>> outputs;
    if (classifier && m_input.size() == std::size_t(core::kPixels)) {
        try {
            outputs = std::make_shared<const std::vector<core::LayerOutput>>(core::layerOutputs(*classifier, m_input.data()));
            const auto &softmax = outputs->back().values.values;
            m_predicted = int(std::max_element(softmax.begin(), softmax.end()) - softmax.begin());
        } catch (const std::exception &e) {
            m_message->setText(QString::fromUtf8(e.what()));
            m_message->show();
            outputs.reset();
        }
    }
    if (!outputs)
        m_input.clear();
    m_layers->setOutputs(outputs.get(), m_input);
    m_kernels->setOutputs(outputs, m_input);
    updateQuestion();
    m_lastUpdateMs = double(timer.nsecsElapsed()) / 1e6;
    ++m_updateCount;
    startSaliency();
    Q_EMIT updated();
}

void InsideTab::showModel(const core::Classifier *classifier)
{
    m_weightsOf = classifier;
    core::NetworkReport report;
    core::NamedTensors weights;
    if (classifier) {
        report = core::networkReport(*classifier);
        weights = core::weights(*classifier);
    }
    const QString text = classifier ? classifier->network().text() : QString();
    if (text != m_networkText || m_layers->rowCount() <= 2) {
        // Another network (a model opened, a run of another network): new rows, nothing hovered.
        m_networkText = text;
        m_layers->setNetwork(report);
        m_kernels->setUnit(-1, 0, 0, 0);
        m_classes = report.layers.empty() ? 0 : report.layers.back().out.channels;
        const int stride = core::occlusionStride(report.flops);
        const QString patch = stride == 1 ? tr("a %1×%1 patch around the pixel is blanked").arg(core::kOcclusionPatch)
                                          : tr("a %1×%1 patch is blanked, every %2 pixels (a large network: fewer forward passes)")
                                                .arg(core::kOcclusionPatch).arg(stride);
        m_key->setText(tr("<span style='color:#b2182b'>red</span>: raised the class's score, "
                          "<span style='color:#2166ac'>blue</span>: lowered it. Occlusion: probability lost when %1.").arg(patch));
        m_occlusion->setToolTip(tr("The probability the class loses when %1").arg(patch));
    }
    m_layers->setWeights(weights);
    m_kernels->setNetwork(report, weights);
    m_kernels->setVisible(m_kernels->hasConvolution());
}

void InsideTab::updateQuestion()
{
    const int cls = explainedClass();
    m_layers->setSelectedClass(cls);
    if (cls < 0) {
        m_question->setText(m_input.empty() ? tr("Nothing to explain") : QString());
        if (QAbstractButton *b = m_classButtons->checkedButton()) {
            m_classButtons->setExclusive(false);
            b->setChecked(false);
            m_classButtons->setExclusive(true);
        }
        m_saliency->setTitle(tr("Saliency"));
        return;
    }
    if (QAbstractButton *b = m_classButtons->button(cls))
        b->setChecked(true);
    // The classes by their dataset's names, with the number (issue 20): "Why not 1 Trouser?".
    const core::Dataset dataset = core::Dataset::fromTag(m_state->classifier() ? m_state->classifier()->info().dataset : core::DatasetTag{});
    const QString name = dataset.classText(cls);
    m_question->setText(cls == m_predicted ? tr("Why %1?").arg(name) : tr("Why not %1? (the network says %2)").arg(name, dataset.classText(m_predicted)));
    m_saliency->setTitle(tr("%1 for class %2").arg(m_method->currentText(), name));
    m_occlusion->setTitle(m_live ? tr("Occlusion: at the epoch's end") : tr("Occlusion for class %1").arg(name));
    for (QAbstractButton *b : m_classButtons->buttons())
        b->setToolTip(dataset.classText(m_classButtons->id(b)));
}

void InsideTab::startSaliency()
{
    ++m_request;
    const int cls = explainedClass();
    const auto classifier = model();
    if (cls < 0 || !classifier) {
        m_saliency->setData(m_input, {});
        m_occlusion->setData(m_input, {});
        return;
    }
    updateQuestion();
    const bool live = m_live != nullptr;
    if (live && m_sinceLiveSaliency.isValid() && m_sinceLiveSaliency.elapsed() < kLiveSaliencyMs) {
        // Training: the latest request runs when the interval is over.
        if (!m_liveSaliencyTimer->isActive())
            m_liveSaliencyTimer->start(int(kLiveSaliencyMs - m_sinceLiveSaliency.elapsed()));
        return;
    }
    m_liveSaliencyTimer->stop();
    if (m_watcher->isRunning()) {
        // One job at a time: the latest request runs when this one is done.
        m_saliencyPending = true;
        return;
    }
    m_saliencyPending = false;
    const auto method = core::SaliencyMethod(m_method->currentData().toInt());
    const quint64 request = m_request;
    if (live)
        m_sinceLiveSaliency.start();
    else
        m_sinceLiveSaliency.invalidate();
    m_watcher->setFuture(QtConcurrent::run([classifier, input = m_input, cls, method, request, live] {
        SaliencyJob job;
        job.request = request;
        job.withOcclusion = !live;
        QElapsedTimer t;
        t.start();
        try {
            job.saliency = core::saliency(*classifier, input.data(), cls, method);
            if (job.withOcclusion)
                job.occlusion = core::occlusion(*classifier, input.data(), cls);
        } catch (const std::exception &e) {
            job.error = QString::fromUtf8(e.what());
        }
        job.ms = double(t.nsecsElapsed()) / 1e6;
        return job;
    }));
}

void InsideTab::onSaliencyFinished()
{
    const SaliencyJob job = m_watcher->result();
    if (m_saliencyPending || job.request != m_request) {
        // Stale: the input, model or class changed meanwhile. Compute the latest instead.
        startSaliency();
        return;
    }
    if (!job.error.isEmpty()) {
        m_message->setText(job.error);
        m_message->show();
    }
    m_lastSaliencyMs = job.ms;
    ++m_saliencyCount;
    m_saliency->setData(m_input, job.saliency);
    if (job.withOcclusion) {
        m_occlusion->setData(m_input, job.occlusion);
        m_occlusion->setTitle(tr("Occlusion for class %1").arg(classLabel(explainedClass())));
    } else if (m_occlusion->map().values.empty()) {
        m_occlusion->setData(m_input, {});
    }
    Q_EMIT saliencyUpdated();
}

} // namespace ui
