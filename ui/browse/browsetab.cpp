#include "ui/browse/browsetab.h"
#include "ui/datasetpicker.h"
#include "core/dataset.h"
#include <QFileInfo>
#include "ui/mnistdownloadpanel.h"
#include "ui/predictiontext.h"
#include "ui/train/traintab.h"
#include <QScrollArea>
#include <QDir>
#include "ui/browse/confusionmatrixview.h"
#include "core/classifier.h"
#include "core/metrics.h"
#include "core/mnist.h"
#include "ui/browse/digitdelegate.h"
#include "ui/digitview.h"
#include "ui/modeldocument.h"
#include "ui/draw/probabilitybars.h"
#include "ui/browse/testsetmodel.h"
#include <QBoxLayout>
#include <QCheckBox>
#include <QComboBox>
#include <QElapsedTimer>
#include <QFutureWatcher>
#include <QGroupBox>
#include <QLabel>
#include <QListView>
#include <QLocale>
#include <QProgressBar>
#include <QPromise>
#include <QPushButton>
#include <QSplitter>
#include <QStackedWidget>
#include <QtConcurrent/QtConcurrentRun>

namespace ui {

namespace {
/// What the predictions come from, in the user's words: every snapshot of the worker's model is
/// a "training snapshot" to core, also before any training (issue 9 item 12).
QString modelName(const core::Classifier &classifier)
{
    if (classifier.source() != QStringLiteral("training snapshot"))
        return classifier.source();
    const core::CheckpointInfo &info = classifier.info();
    if (info.epochsDone == 0 && info.partialBatches == 0 && info.history.empty())
        return BrowseTab::tr("the current model");
    return BrowseTab::tr("the current model, %1").arg(TrainTab::epochsDoneText(info));
}
} // namespace

namespace {
/// "any", then one entry per class (the number beside its name, core::Dataset::classText()).
void fillDigitCombo(QComboBox *combo, const core::Dataset &dataset)
{
    const QVariant current = combo->currentData();
    combo->clear();
    combo->addItem(QObject::tr("any"), -1);
    for (int d = 0; d < dataset.classes(); ++d)
        combo->addItem(dataset.classText(d), d);
    const int i = combo->findData(current);
    combo->setCurrentIndex(i < 0 ? 0 : i);
}

void setComboData(QComboBox *combo, int value)
{
    const int i = combo->findData(value);
    combo->setCurrentIndex(i < 0 ? 0 : i);
}
} // namespace

BrowseTab::BrowseTab(ModelDocument *state, QWidget *parent)
    : QWidget(parent), m_state(state), m_model(new TestSetModel(this)), m_filter(new TestSetFilter(m_model, this)),
      m_view(new QListView(this)), m_stack(new QStackedWidget(this)), m_message(new QLabel(this)),
      m_trueCombo(new QComboBox(this)), m_predictedCombo(new QComboBox(this)),
      m_errorsOnly(new QCheckBox(tr("Misclassified only"), this)), m_showAll(new QPushButton(tr("Show all"), this)),
      m_sortCombo(new QComboBox(this)), m_count(new QLabel(this)), m_progress(new QProgressBar(this)),
      m_status(new QLabel(this)), m_detailImage(new DigitView(this)), m_detailText(new QLabel(this)),
      m_bars(new ProbabilityBars(this)), m_matrix(new ConfusionMatrixView(this)), m_datasetPicker(new DatasetPicker(this)), m_accuracy(new QLabel(this)),
      m_watcher(new QFutureWatcher<JobResult>(this))
{
    setObjectName(QStringLiteral("browseTab"));
    m_view->setObjectName(QStringLiteral("testGrid"));
    m_matrix->setObjectName(QStringLiteral("confusionMatrix"));
    m_bars->setObjectName(QStringLiteral("browseBars"));
    m_count->setObjectName(QStringLiteral("shownCount"));
    m_progress->setObjectName(QStringLiteral("predictionProgress"));

    setUpGrid();
    buildPages();
    buildLayout();
    connectControls();
    connectModels();
    onTestSetChanged();
}

// The grid: icon mode, fixed-size cells painted by the delegate on demand. Uniform sizes and
// batched layout keep 10,000 items cheap to lay out and to scroll.
void BrowseTab::setUpGrid()
{
    m_view->setModel(m_filter);
    m_view->setItemDelegate(new DigitDelegate(m_view));
    m_view->setViewMode(QListView::IconMode);
    m_view->setMovement(QListView::Static);
    m_view->setResizeMode(QListView::Adjust);
    m_view->setFlow(QListView::LeftToRight);
    m_view->setWrapping(true);
    m_view->setUniformItemSizes(true);
    m_view->setLayoutMode(QListView::Batched);
    m_view->setBatchSize(1000);
    m_view->setSpacing(2);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
    m_view->setAccessibleName(tr("MNIST test images"));
}

QHBoxLayout *BrowseTab::buildFilterBar()
{
    fillDigitCombo(m_trueCombo, m_dataset);
    fillDigitCombo(m_predictedCombo, m_dataset);
    m_trueCombo->setToolTip(tr("Show only images of this true digit"));
    m_predictedCombo->setToolTip(tr("Show only images predicted as this digit"));
    // On Linux Qt names a combo box by its value and its label by the Labelled-by relation of
    // the buddy below; the description carries the filter's meaning for readers that skip it.
    m_trueCombo->setAccessibleDescription(tr("True digit filter: %1").arg(m_trueCombo->toolTip()));
    m_predictedCombo->setAccessibleDescription(tr("Predicted digit filter: %1").arg(m_predictedCombo->toolTip()));
    m_sortCombo->setAccessibleDescription(tr("Sort order of the test images"));
    m_sortCombo->addItem(tr("Test-set order"), int(TestSetFilter::SortKey::Index));
    m_sortCombo->addItem(tr("Most confidently wrong first"), int(TestSetFilter::SortKey::ConfidentlyWrongFirst));
    m_sortCombo->addItem(tr("Least confident first"), int(TestSetFilter::SortKey::LeastConfidentFirst));
    m_progress->setTextVisible(true);
    m_progress->setFormat(tr("Predicting %v / %m"));
    m_progress->setAccessibleName(tr("Test-set prediction progress"));
    // Wide enough for "Predicting 10000 / 10000" in any font.
    m_progress->setMinimumWidth(fontMetrics().horizontalAdvance(tr("Predicting %1 / %1").arg(100000)) + 24);
    m_progress->setMaximumWidth(std::max(220, m_progress->minimumWidth()));
    m_progress->hide();

    auto *bar = new QHBoxLayout;
    // The dataset (issue 20), as on the Train tab: the choice goes to the main window. Labelled,
    // as a screen reader names a combo box by its value otherwise.
    auto *datasetLabel = new QLabel(tr("Dataset:"), this);
    datasetLabel->setBuddy(m_datasetPicker);
    bar->addWidget(datasetLabel);
    bar->addWidget(m_datasetPicker);
    auto *trueLabel = new QLabel(tr("True:"), this);
    trueLabel->setBuddy(m_trueCombo);
    auto *predLabel = new QLabel(tr("Predicted:"), this);
    predLabel->setBuddy(m_predictedCombo);
    auto *sortLabel = new QLabel(tr("Sort:"), this);
    sortLabel->setBuddy(m_sortCombo);
    bar->addWidget(trueLabel);
    bar->addWidget(m_trueCombo);
    bar->addWidget(predLabel);
    bar->addWidget(m_predictedCombo);
    bar->addWidget(m_errorsOnly);
    bar->addWidget(m_showAll);
    bar->addSpacing(12);
    bar->addWidget(sortLabel);
    bar->addWidget(m_sortCombo);
    bar->addStretch();
    bar->addWidget(m_count);
    bar->addWidget(m_progress);
    return bar;
}

// Detail of the selected image.
QGroupBox *BrowseTab::buildDetailBox()
{
    m_detailImage->setFixedSize(140, 140);
    m_detailImage->setPlaceholderText(tr("select an image"));
    m_detailText->setWordWrap(true);
    m_detailText->setTextFormat(Qt::RichText);
    m_detailText->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    auto *detailBox = new QGroupBox(tr("Selected image"), this);
    m_detailBox = detailBox;
    auto *detailLayout = new QHBoxLayout(detailBox);
    auto *detailLeft = new QVBoxLayout;
    detailLeft->addWidget(m_detailImage);
    detailLeft->addWidget(m_detailText, 1);
    detailLayout->addLayout(detailLeft);
    detailLayout->addWidget(m_bars, 1);
    return detailBox;
}

// The detail box, the confusion matrix and the status line.
QWidget *BrowseTab::buildSidePanel()
{
    auto *matrixBox = new QGroupBox(tr("Confusion matrix (click a cell to filter)"), this);
    auto *matrixLayout = new QVBoxLayout(matrixBox);
    m_accuracy->setWordWrap(true);
    matrixLayout->addWidget(m_accuracy);
    matrixLayout->addWidget(m_matrix, 1);

    auto *right = new QWidget(this);
    auto *rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(6, 0, 0, 0);
    rightLayout->addWidget(buildDetailBox());
    rightLayout->addWidget(matrixBox, 1);
    rightLayout->addWidget(m_status);
    return right;
}

// The stack's two pages: the grid, and a message (with "Download MNIST" when the set is missing).
void BrowseTab::buildPages()
{
    auto *gridPage = new QWidget(this);
    auto *gridLayout = new QVBoxLayout(gridPage);
    gridLayout->setContentsMargins(0, 0, 0, 0);
    // A filter that matches nothing (an empty matrix cell) says so instead of a blank grid.
    m_emptyNote = new QLabel(gridPage);
    m_emptyNote->setObjectName(QStringLiteral("emptyFilterNote"));
    m_emptyNote->setWordWrap(true);
    m_emptyNote->setAlignment(Qt::AlignCenter);
    m_emptyNote->setContentsMargins(8, 16, 8, 16);
    m_emptyNote->hide();
    gridLayout->addWidget(m_emptyNote);
    gridLayout->addWidget(m_view);
    m_message->setAlignment(Qt::AlignCenter);
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_stack->addWidget(gridPage);
    // The message page: a text, and "Download MNIST" when the test set is missing.
    auto *messagePage = new QWidget(this);
    auto *messageLayout = new QVBoxLayout(messagePage);
    m_downloadPanel = new MnistDownloadPanel(messagePage);
    m_downloadPanel->setMaximumWidth(520);
    messageLayout->addStretch(1);
    messageLayout->addWidget(m_message);
    messageLayout->addWidget(m_downloadPanel, 0, Qt::AlignHCenter);
    messageLayout->addStretch(1);
    m_downloadPanel->hide();
    m_stack->addWidget(messagePage);
}

void BrowseTab::buildLayout()
{
    // The details and matrix scroll rather than force the window taller than small screens
    // (issue 9: 655 px at the minimum window size).
    auto *rightScroll = new QScrollArea(this);
    auto *right = buildSidePanel();
    rightScroll->setWidget(right);
    rightScroll->setWidgetResizable(true);
    rightScroll->setFrameShape(QFrame::NoFrame);
    rightScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    rightScroll->setMinimumWidth(right->minimumSizeHint().width());
    auto *splitter = new QSplitter(Qt::Horizontal, this);
    splitter->addWidget(m_stack);
    splitter->addWidget(rightScroll);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    splitter->setChildrenCollapsible(false);
    splitter->setSizes({760, 520}); // the matrix reads well at about 500 px; the grid takes the rest

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(buildFilterBar());
    layout->addWidget(splitter, 1);
}

void BrowseTab::connectControls()
{
    auto applyFilter = [this] { applyControls(); };
    connect(m_trueCombo, &QComboBox::currentIndexChanged, this, applyFilter);
    connect(m_predictedCombo, &QComboBox::currentIndexChanged, this, applyFilter);
    connect(m_errorsOnly, &QCheckBox::toggled, this, applyFilter);
    connect(m_showAll, &QPushButton::clicked, this, [this] { setCriteria({}); });
    connect(m_sortCombo, &QComboBox::currentIndexChanged, this, [this] {
        if (!m_syncing)
            setSortKey(TestSetFilter::SortKey(m_sortCombo->currentData().toInt()));
    });
    connect(m_matrix, &ConfusionMatrixView::cellClicked, this, [this](int t, int p) {
        setCriteria(TestSetFilter::Criteria{t, p, false});
    });
    connect(m_view->selectionModel(), &QItemSelectionModel::currentChanged, this,
            [this](const QModelIndex &current) {
                if (m_syncing || !current.isValid())
                    return;
                m_selected = current.data(TestSetModel::IndexRole).toInt();
                showDetails(m_selected);
            });
    for (auto signal : {&QAbstractItemModel::rowsInserted, &QAbstractItemModel::rowsRemoved})
        connect(m_filter, signal, this, &BrowseTab::updateCount);
    connect(m_filter, &QAbstractItemModel::modelReset, this, &BrowseTab::updateCount);
    connect(m_filter, &QAbstractItemModel::layoutChanged, this, &BrowseTab::updateCount);
}

void BrowseTab::connectModels()
{
    connect(m_watcher, &QFutureWatcher<JobResult>::progressValueChanged, m_progress, &QProgressBar::setValue);
    connect(m_watcher, &QFutureWatcher<JobResult>::finished, this, &BrowseTab::onJobFinished);
    connect(m_state, &ModelDocument::testSetChanged, this, &BrowseTab::onTestSetChanged);
    connect(m_state, &ModelDocument::classifierChanged, this, &BrowseTab::startPredictions);
}

BrowseTab::~BrowseTab()
{
    // The jobs hold their own shared_ptrs (classifier, set) and touch nothing of this widget,
    // but there is no point letting them run on: cancel, and wait so no work outlives the tab.
    m_stale.append(m_watcher->future());
    for (QFuture<JobResult> &f : m_stale)
        f.cancel();
    for (QFuture<JobResult> &f : m_stale)
        if (f.isRunning())
            f.waitForFinished();
}

void BrowseTab::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (m_outdated)
        startPredictions();
}

bool BrowseTab::isPredicting() const
{
    return m_watcher->isRunning();
}

void BrowseTab::onTestSetChanged()
{
    const auto set = m_state->testSet();
    if (set) {
        // The classes' names everywhere this tab shows a class (issue 20).
        m_dataset = core::Dataset::fromTag(set->dataset);
        QStringList texts;
        for (int c = 0; c < m_dataset.classes(); ++c)
            texts << m_dataset.classText(c);
        m_bars->setClassLabels(texts);
        m_matrix->setClassLabels(m_dataset.classNames);
        fillDigitCombo(m_trueCombo, m_dataset);
        fillDigitCombo(m_predictedCombo, m_dataset);
        m_datasetPicker->showDataset(set->dataset, QFileInfo(set->imagesPath).absolutePath());
        m_view->setAccessibleName(tr("%1 test images").arg(m_dataset.name));
    }
    m_model->setTestSet(set);
    m_selected = -1;
    showDetails(-1);
    m_downloadPanel->setVisible(!set && !m_state->dataError().isEmpty());
    if (!set) {
        // Name what this tab needs (the test files), not the first file the loader missed
        // (which is the training set's).
        showMessage(m_state->dataError().isEmpty()
                        ? tr("The MNIST test set is not loaded yet.")
                        : tr("The Browse tab shows the MNIST test set: t10k-images-idx3-ubyte and "
                             "t10k-labels-idx1-ubyte (or .gz) in %1.\nMNIST could not be loaded there:\n%2\n\n"
                             "Choose the folder or download MNIST on the Train tab.")
                              .arg(QDir::toNativeSeparators(m_state->dataDir()), m_state->dataError()));
    } else {
        m_stack->setCurrentIndex(0);
    }
    updateStatistics();
    updateCount();
    startPredictions();
}

void BrowseTab::showMessage(const QString &text)
{
    m_message->setText(text);
    m_stack->setCurrentWidget(m_message->parentWidget());
}

void BrowseTab::startPredictions()
{
    // A running job is for an older classifier or set: cancel it (it stops after its current
    // batch) and ignore whatever it would deliver.
    if (m_watcher->isRunning()) {
        QFuture<JobResult> old = m_watcher->future();
        old.cancel();
        m_stale.append(old);
    }
    m_stale.removeIf([](const QFuture<JobResult> &f) { return f.isFinished(); });
    const quint64 job = ++m_job;

    // While the tab is hidden, a new snapshot (one per training epoch) only marks the predictions
    // outdated: 10,000 predictions nobody looks at would take cores from training.
    m_outdated = !isVisible() && m_state->testSet() && m_state->classifier();
    if (m_outdated) {
        m_watcher->setFuture(QFuture<JobResult>());
        m_progress->hide();
        m_status->setText(tr("Predictions will be updated for the new model."));
        return;
    }

    const std::shared_ptr<const core::MnistSet> set = m_state->testSet();
    const std::shared_ptr<const core::Classifier> classifier = m_state->classifier();
    if (!set || !classifier) {
        showNoPredictions(set != nullptr);
        return;
    }

    m_progress->setRange(0, set->count);
    m_progress->setValue(0);
    m_progress->show();
    m_status->setText(tr("Predicting the test set with %1…").arg(modelName(*classifier)));
    m_watcher->setFuture(QtConcurrent::run(&BrowseTab::predictionJob, classifier, set, job));
}

// Runs on QtConcurrent's pool: touches nothing of the widget, only its own shared_ptrs.
void BrowseTab::predictionJob(QPromise<JobResult> &promise, std::shared_ptr<const core::Classifier> classifier,
                              std::shared_ptr<const core::MnistSet> set, quint64 job)
{
    QElapsedTimer timer;
    timer.start();
    promise.setProgressRange(0, set->count);
    JobResult result;
    result.job = job;
    try {
        result.predictions = classifier->predictSet(
            *set, kBatch, [&promise](int done, int) { promise.setProgressValue(done); },
            [&promise] { return promise.isCanceled(); });
    } catch (const std::exception &e) {
        // Exceptions never cross the thread boundary: an empty result with the reason.
        result.predictions.clear();
        result.error = QString::fromUtf8(e.what());
    }
    result.seconds = double(timer.nsecsElapsed()) / 1e9;
    if (!promise.isCanceled())
        promise.addResult(std::move(result));
}

// Nothing to predict with (no model) or on (no set): the grid shows labels only.
void BrowseTab::showNoPredictions(bool haveSet)
{
    m_watcher->setFuture(QFuture<JobResult>());
    m_progress->hide();
    m_model->clearPredictions();
    m_syncing = true;
    m_filter->refresh();
    m_syncing = false;
    restoreSelection();
    updateStatistics();
    m_status->setText(haveSet ? tr("No model loaded: load a checkpoint or train one to see predictions.") : QString());
}

void BrowseTab::onJobFinished()
{
    QFuture<JobResult> future = m_watcher->future();
    if (future.isCanceled() || future.resultCount() == 0)
        return;
    // A copy, not takeResult(): that leaves the future in no state at all, and waiting on it
    // later (the destructor does) would block forever.
    JobResult result = future.result();
    if (result.job != m_job)
        return; // a stale job that slipped through
    m_progress->hide();
    const auto set = m_model->testSet();
    if (!result.error.isEmpty() || !set || int(result.predictions.size()) != set->count) {
        m_status->setText(result.error.isEmpty() ? tr("Prediction stopped before the end of the test set.")
                                                 : tr("Prediction failed: %1").arg(result.error));
        return;
    }
    m_lastSeconds = result.seconds;
    m_model->setPredictions(std::move(result.predictions));
    m_syncing = true;
    m_filter->refresh();
    m_syncing = false;
    restoreSelection();
    updateStatistics();
    updateCount();
    showDetails(m_selected);
    const auto classifier = m_state->classifier();
    m_status->setText(tr("%1 predictions in %2 s (%3)")
                          .arg(QLocale().toString(set->count))
                          .arg(result.seconds, 0, 'f', 2)
                          .arg(classifier ? modelName(*classifier) : QString()));
    Q_EMIT predictionsUpdated();
}

void BrowseTab::applyControls()
{
    if (m_syncing)
        return;
    TestSetFilter::Criteria c;
    c.trueDigit = m_trueCombo->currentData().toInt();
    c.predictedDigit = m_predictedCombo->currentData().toInt();
    c.errorsOnly = m_errorsOnly->isChecked();
    setCriteria(c);
}

void BrowseTab::setCriteria(const TestSetFilter::Criteria &criteria)
{
    m_syncing = true;
    setComboData(m_trueCombo, criteria.trueDigit);
    setComboData(m_predictedCombo, criteria.predictedDigit);
    m_errorsOnly->setChecked(criteria.errorsOnly);
    m_filter->setCriteria(criteria);
    m_syncing = false;
    m_matrix->setSelection(criteria.trueDigit, criteria.predictedDigit);
    restoreSelection();
    updateCount();
}

void BrowseTab::setSortKey(TestSetFilter::SortKey key)
{
    m_syncing = true; // the layout change may move the current index about
    setComboData(m_sortCombo, int(key));
    m_filter->setSortKey(key);
    m_syncing = false;
    // A new order starts at the top (the interesting end), unless the selection is still shown.
    m_view->scrollToTop();
    restoreSelection();
}

void BrowseTab::selectTestIndex(int testIndex)
{
    m_selected = testIndex;
    restoreSelection();
    showDetails(testIndex);
}

void BrowseTab::restoreSelection()
{
    // Keep the remembered image selected if the grid still shows it; otherwise select nothing
    // (rather than letting the selection drift to a neighbour) and bring it back later.
    const int row = m_filter->proxyRowOf(m_selected);
    QItemSelectionModel *sel = m_view->selectionModel();
    m_syncing = true;
    if (row >= 0) {
        const QModelIndex idx = m_filter->index(row, 0);
        if (sel->currentIndex() != idx || !sel->isSelected(idx))
            sel->setCurrentIndex(idx, QItemSelectionModel::ClearAndSelect);
        m_view->scrollTo(idx);
    } else {
        sel->clear();
    }
    m_syncing = false;
    // The detail panel keeps a filtered-out image (it comes back when a filter shows it again),
    // but says that the grid does not show it (issue 9 item 12).
    m_detailBox->setTitle(m_selected >= 0 && row < 0 ? tr("Selected image (not shown by the current filter)")
                                                     : tr("Selected image"));
}

void BrowseTab::updateCount()
{
    const int total = m_model->rowCount();
    const int shown = m_filter->rowCount();
    m_count->setText(shown == total ? tr("%1 images").arg(QLocale().toString(total))
                                    : tr("Showing %1 of %2").arg(QLocale().toString(shown), QLocale().toString(total)));
    if (m_emptyNote) {
        m_emptyNote->setVisible(shown == 0 && total > 0);
        if (shown == 0 && total > 0)
            m_emptyNote->setText(emptyFilterText());
    }
}

QString BrowseTab::emptyFilterText() const
{
    const TestSetFilter::Criteria c = m_filter->criteria();
    QString what;
    if (c.trueDigit >= 0 && c.predictedDigit >= 0)
        what = c.trueDigit == c.predictedDigit ? tr("No %1 of the test set is predicted correctly.").arg(c.trueDigit)
                                               : tr("No %1 of the test set is predicted as %2.").arg(c.trueDigit).arg(c.predictedDigit);
    else if (c.trueDigit >= 0)
        what = c.errorsOnly ? tr("Every %1 of the test set is predicted correctly.").arg(c.trueDigit)
                            : tr("The test set has no %1.").arg(c.trueDigit);
    else if (c.predictedDigit >= 0)
        what = c.errorsOnly ? tr("No image is wrongly predicted as %1.").arg(c.predictedDigit)
                            : tr("No image is predicted as %1.").arg(c.predictedDigit);
    else if (c.errorsOnly)
        what = m_model->hasPredictions() ? tr("No image is misclassified.") : tr("No predictions yet.");
    else
        what = tr("No image matches the filter.");
    return what + QLatin1Char(' ') + tr("Show all brings every image back.");
}

void BrowseTab::updateStatistics()
{
    const int n = m_model->rowCount();
    if (!m_model->hasPredictions() || n == 0) {
        m_correct = -1;
        m_matrix->clear();
        m_accuracy->setText(!m_model->testSet() ? tr("Accuracy: no test set loaded")
                                                : m_state->classifier() ? tr("Accuracy: waiting for predictions")
                                                                        : tr("Accuracy: no model"));
        return;
    }
    std::vector<int> truths(std::size_t(n), -1);
    std::vector<int> predicted(std::size_t(n), -1);
    for (int row = 0; row < n; ++row) {
        truths[std::size_t(row)] = m_model->label(row);
        predicted[std::size_t(row)] = m_model->prediction(row)->digit;
    }
    const core::Confusion confusion = core::confusionOf(truths, predicted, m_dataset.classes());
    m_correct = confusion.correct;
    m_matrix->setMatrix(confusion.counts);
    m_accuracy->setText(tr("<b>Accuracy %1</b> — %2 of %3 correct, %4 misclassified")
                            .arg(core::percentText(double(confusion.correct) / n),
                                 QLocale().toString(confusion.correct), QLocale().toString(n),
                                 QLocale().toString(n - confusion.correct)));
}

void BrowseTab::showDetails(int testIndex)
{
    if (testIndex < 0 || testIndex >= m_model->rowCount()) {
        m_detailImage->setImage(QImage());
        m_detailText->setText(tr("Select an image in the grid (arrow keys move)."));
        m_bars->setTrueClass(-1);
        m_bars->clear();
        return;
    }
    m_detailImage->setImage(m_model->image(testIndex).copy());
    if (isVisible()) // the Inside tab (issue 11): the image the user looks at
        m_state->setCurrentTestImage(testIndex);
    const int truth = m_model->label(testIndex);
    m_bars->setTrueClass(truth);
    QString text = tr("<b>Test image %1</b><br>true class: <b>%2</b>").arg(testIndex).arg(m_dataset.classText(truth).toHtmlEscaped());
    if (const core::Prediction *p = m_model->prediction(testIndex)) {
        m_bars->setProbabilities(p->probabilities);
        const bool wrong = p->digit != truth;
        text += tr("<br>predicted: <b><span style='color:%1'>%2</span></b> (%3%)")
                    .arg(wrong ? QStringLiteral("#b02418") : QStringLiteral("#1f8a4c"))
                    .arg(m_dataset.classText(p->digit).toHtmlEscaped())
                    .arg(double(p->confidence) * 100, 0, 'f', 1);
        if (p->unsure())
            text += tr("<br><i>unsure: %1</i>").arg(doubtReason(*p).toHtmlEscaped());
    } else {
        m_bars->clear();
        text += tr("<br>predicted: …");
    }
    if (m_filter->proxyRowOf(testIndex) < 0)
        text += tr("<br><i>(not shown by the current filter)</i>");
    m_detailText->setText(text);
}

} // namespace ui
