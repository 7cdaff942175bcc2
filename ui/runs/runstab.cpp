#include "ui/runs/runstab.h"
#include "core/error.h"
#include "core/safefile.h"
#include "ui/runs/runcharts.h"
#include "ui/runs/runcurves.h"
#include "ui/runs/runrecording.h"
#include "ui/runs/runsmodel.h"
#include "core/runrecorder.h"
#include "core/runstore.h"
#include <QDialog>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QKeyEvent>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>
#include <QTableWidget>
#include <QTimer>
#include <QVBoxLayout>
#include <algorithm>

namespace ui {

namespace {

// The live run's chart follows its commits (one a second) at most this often.
constexpr int kLiveRefreshMs = 1000;
// The tab's connection is on the GUI thread: a write (rename, delete) waits at most this long
// for another process's transaction (ours last milliseconds), then says the file is locked.
constexpr int kGuiBusyTimeoutMs = 1000;

QString writeText(const QString &path, const QString &text)
{
    // The one writer (core/safefile.h): atomic, durable, never replaces a device or FIFO.
    const QByteArray bytes = text.toUtf8();
    try {
        core::safefile::writeFileAtomically(path, bytes.constData(), std::size_t(bytes.size()));
    } catch (const core::Error &e) {
        return e.text();
    }
    return {};
}

} // namespace

RunsTab::RunsTab(TrainingController *controller, const QString &databasePath, QWidget *parent)
    : QWidget(parent), m_path(core::RunStore::defaultPath(databasePath))
{
    setObjectName(QStringLiteral("runsTab"));
    createWidgets();
    try {
        core::RunStore::Options options;
        options.busyTimeoutMs = kGuiBusyTimeoutMs;
        m_store = std::make_unique<core::RunStore>(m_path, options);
    } catch (const core::RunStoreError &e) {
        showError(e.text());
    }
    // The last session's deletes are final now (a read-only file keeps them hidden).
    withStore([](core::RunStore &s) { s.purgeHidden(); });
    m_recording = new RunRecording(controller, m_path, this);
    connectRecording();
    reload();
}

RunsTab::~RunsTab() = default;

void RunsTab::createWidgets()
{
    m_model = new RunsModel(this);
    m_model->setEditHook([this](qint64 id, RunsModel::Column column, const QString &text) {
        return withStore([&](core::RunStore &s) { column == RunsModel::Name ? s.rename(id, text) : s.setNote(id, text); });
    });
    m_proxy = new QSortFilterProxyModel(this);
    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(Qt::UserRole);
    m_proxy->setFilterKeyColumn(-1);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);

    m_filter = new QLineEdit(this);
    m_filter->setPlaceholderText(tr("Any text in any column: a status, a learning rate, a note…"));
    m_filter->setClearButtonEnabled(true);
    m_filter->setAccessibleName(tr("Search runs"));
    auto *filterLabel = new QLabel(tr("&Search:"), this);
    filterLabel->setBuddy(m_filter);
    connect(m_filter, &QLineEdit::textChanged, m_proxy, &QSortFilterProxyModel::setFilterFixedString);

    m_error = new QLabel(this);
    m_error->setWordWrap(true);
    m_error->setStyleSheet(QStringLiteral("color: #b00020;"));
    m_error->setAccessibleName(tr("Run database problem"));
    m_error->hide();

    m_table = new QTableView(this);
    m_table->setModel(m_proxy);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(RunsModel::Started, Qt::DescendingOrder);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_table->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setAccessibleName(tr("Recorded runs"));
    m_table->setAlternatingRowColors(true);
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        updateButtons();
        updateCharts();
    });
    m_table->installEventFilter(this); // Delete deletes the selected runs

    const auto button = [this](const QString &text, const QString &accessible, const QString &tip) {
        auto *b = new QPushButton(text, this);
        b->setAccessibleName(accessible);
        b->setToolTip(tip);
        return b;
    };
    m_deleteButton = button(tr("D&elete"), tr("Delete the selected runs"), tr("Delete the selected runs (Undo brings them back)"));
    m_undoButton = button(tr("&Undo Delete"), tr("Undo the delete"), tr("Bring the runs just deleted back"));
    m_diffButton = button(tr("Differen&ce…"), tr("Difference of two runs"), tr("The settings of the two selected runs side by side"));
    m_openButton = button(tr("&Open Checkpoint"), tr("Open the run's checkpoint"), tr("Open the checkpoint the run was saved to"));
    m_againButton = button(tr("Train &Again"), tr("Train again with the run's settings"),
                           tr("Start a new run from new weights with this run's settings"));
    m_exportTableButton = button(tr("Export Tab&le…"), tr("Export the table as CSV"), tr("The runs shown, one CSV row each"));
    m_exportCurvesButton = button(tr("Export Cur&ves…"), tr("Export the selected curves as CSV"),
                                  tr("The selected runs' losses and epochs as CSV"));
    m_exportPngButton = button(tr("Export &PNG…"), tr("Export the charts as PNG"), tr("Both charts as one image"));
    m_undoLabel = new QLabel(this);
    m_undoLabel->hide();
    m_undoButton->hide();
    connect(m_deleteButton, &QPushButton::clicked, this, &RunsTab::deleteSelected);
    connect(m_undoButton, &QPushButton::clicked, this, &RunsTab::undoDelete);
    connect(m_diffButton, &QPushButton::clicked, this, &RunsTab::showDifference);
    connect(m_openButton, &QPushButton::clicked, this, [this] {
        const auto ids = selectedRunIds();
        const int row = ids.size() == 1 ? m_model->rowOf(ids.first()) : -1;
        if (row >= 0 && !m_model->run(row).checkpoint.isEmpty())
            Q_EMIT openCheckpointRequested(m_model->run(row).checkpoint);
    });
    connect(m_againButton, &QPushButton::clicked, this, [this] {
        const auto ids = selectedRunIds();
        const int row = ids.size() == 1 ? m_model->rowOf(ids.first()) : -1;
        if (row >= 0)
            Q_EMIT trainAgainRequested(core::TrainConfig::fromJson(m_model->run(row).recipe));
    });
    connect(m_exportTableButton, &QPushButton::clicked, this, [this] {
        exportWithPrompt(tr("Export runs"), QStringLiteral("digitlab-runs.csv"), tr("CSV files (*.csv)"), &RunsTab::exportTable);
    });
    connect(m_exportCurvesButton, &QPushButton::clicked, this, [this] {
        exportWithPrompt(tr("Export curves"), QStringLiteral("digitlab-run-curves.csv"), tr("CSV files (*.csv)"), &RunsTab::exportCurves);
    });
    connect(m_exportPngButton, &QPushButton::clicked, this, [this] {
        exportWithPrompt(tr("Export charts"), QStringLiteral("digitlab-runs.png"), tr("PNG images (*.png)"), &RunsTab::exportCharts);
    });

    m_note = new QLineEdit(this);
    m_note->setPlaceholderText(tr("A note on the selected run (Enter keeps it)"));
    m_note->setAccessibleName(tr("Note on the selected run"));
    auto *noteLabel = new QLabel(tr("&Note:"), this);
    noteLabel->setBuddy(m_note);
    connect(m_note, &QLineEdit::editingFinished, this, [this] {
        const auto ids = selectedRunIds();
        const int row = ids.size() == 1 ? m_model->rowOf(ids.first()) : -1;
        if (row >= 0 && m_note->text().trimmed() != m_model->run(row).note)
            m_model->setData(m_model->index(row, RunsModel::Note), m_note->text(), Qt::EditRole);
    });

    m_charts = new RunCharts(this);
    m_charts->setAccessibleName(tr("Loss and accuracy charts of the selected runs"));
    m_liveRefresh = new QTimer(this);
    m_liveRefresh->setSingleShot(true);
    m_liveRefresh->setInterval(kLiveRefreshMs);
    connect(m_liveRefresh, &QTimer::timeout, this, &RunsTab::updateCharts);

    auto *top = new QHBoxLayout;
    top->addWidget(filterLabel);
    top->addWidget(m_filter, 1);
    auto *buttons = new QHBoxLayout;
    for (auto *b : {m_deleteButton, m_diffButton, m_openButton, m_againButton})
        buttons->addWidget(b);
    buttons->addStretch(1);
    for (auto *b : {m_exportTableButton, m_exportCurvesButton, m_exportPngButton})
        buttons->addWidget(b);
    auto *undo = new QHBoxLayout;
    undo->addWidget(m_undoLabel);
    undo->addWidget(m_undoButton);
    undo->addStretch(1);
    auto *note = new QHBoxLayout;
    note->addWidget(noteLabel);
    note->addWidget(m_note, 1);

    auto *upper = new QWidget(this);
    auto *upperLayout = new QVBoxLayout(upper);
    upperLayout->setContentsMargins(0, 0, 0, 0);
    upperLayout->addLayout(top);
    upperLayout->addWidget(m_error);
    upperLayout->addWidget(m_table, 1);
    upperLayout->addLayout(undo);
    upperLayout->addLayout(note);
    upperLayout->addLayout(buttons);
    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(upper);
    splitter->addWidget(m_charts);
    splitter->setStretchFactor(0, 2);
    splitter->setStretchFactor(1, 3);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(splitter);
    updateButtons();
}

void RunsTab::setLiveRefreshInterval(int milliseconds)
{
    m_liveRefresh->setInterval(std::max(0, milliseconds));
}

void RunsTab::connectRecording()
{
    const auto refreshRow = [this](qint64 id) {
        if (!m_store)
            return;
        withStore([&](core::RunStore &s) {
            if (auto run = s.run(id); run && !run->hidden)
                m_model->updateRun(*run);
        });
        if (m_curves.remove(id) > 0 && !m_liveRefresh->isActive())
            m_liveRefresh->start();
    };
    // Emitted on the recorder's thread: queued to this tab.
    const core::RunRecorder *recorder = m_recording->recorder();
    connect(recorder, &core::RunRecorder::runStarted, this, refreshRow);
    connect(recorder, &core::RunRecorder::runWritten, this, refreshRow);
    connect(recorder, &core::RunRecorder::runEnded, this, refreshRow);
    connect(recorder, &core::RunRecorder::failed, this, [this](const QString &message) {
        showError(message);
        Q_EMIT statusMessage(tr("This run is not recorded: %1").arg(message));
    });
}

bool RunsTab::eventFilter(QObject *watched, QEvent *event)
{
    // While a cell is edited the keys go to its editor, not here.
    if (watched == m_table && event->type() == QEvent::KeyPress
        && static_cast<QKeyEvent *>(event)->matches(QKeySequence::Delete)) {
        deleteSelected();
        return true;
    }
    return QWidget::eventFilter(watched, event);
}

QString RunsTab::errorText() const
{
    return m_error->isVisible() || !m_error->isHidden() ? m_error->text() : QString();
}

void RunsTab::showError(const QString &message)
{
    m_error->setText(message);
    m_error->show();
}

bool RunsTab::withStore(const std::function<void(core::RunStore &)> &f)
{
    if (!m_store)
        return false;
    try {
        f(*m_store);
        return true;
    } catch (const core::RunStoreError &e) {
        showError(e.text());
        return false;
    }
}

void RunsTab::reload()
{
    const auto selected = selectedRunIds();
    std::vector<core::RunRecord> runs;
    withStore([&](core::RunStore &s) { runs = s.list(); });
    m_model->setRuns(std::move(runs));
    m_table->resizeColumnsToContents();
    m_curves.clear();
    selectRuns(selected);
}

QList<qint64> RunsTab::selectedRunIds() const
{
    QList<qint64> ids;
    for (const auto &index : m_table->selectionModel()->selectedRows())
        ids.append(m_model->run(m_proxy->mapToSource(index).row()).id);
    std::sort(ids.begin(), ids.end());
    return ids;
}

void RunsTab::selectRuns(const QList<qint64> &ids)
{
    QItemSelection selection;
    for (qint64 id : ids) {
        const int row = m_model->rowOf(id);
        if (row < 0)
            continue;
        const QModelIndex index = m_proxy->mapFromSource(m_model->index(row, 0));
        if (index.isValid())
            selection.select(index, index);
    }
    m_table->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    updateButtons();
    updateCharts();
}

void RunsTab::updateButtons()
{
    const auto ids = selectedRunIds();
    const int row = ids.size() == 1 ? m_model->rowOf(ids.first()) : -1;
    m_deleteButton->setEnabled(!ids.isEmpty() && m_store);
    m_diffButton->setEnabled(ids.size() == 2);
    m_openButton->setEnabled(row >= 0 && !m_model->run(row).checkpoint.isEmpty());
    m_againButton->setEnabled(row >= 0);
    m_exportCurvesButton->setEnabled(!ids.isEmpty());
    m_note->setEnabled(row >= 0 && m_store);
    m_note->setText(row >= 0 ? m_model->run(row).note : QString());
}

void RunsTab::updateCharts()
{
    std::vector<RunCharts::Run> runs;
    for (qint64 id : selectedRunIds()) {
        const int row = m_model->rowOf(id);
        if (row < 0)
            continue;
        auto curves = m_curves.value(id);
        if (!curves) {
            core::RunCurves read;
            if (!withStore([&](core::RunStore &s) { read = s.curves(id); }))
                continue;
            curves = std::make_shared<const core::RunCurves>(std::move(read));
            m_curves.insert(id, curves);
        }
        runs.push_back({m_model->run(row), *curves});
    }
    m_charts->setRuns(std::move(runs));
}

int RunsTab::deleteSelected()
{
    const auto ids = selectedRunIds();
    if (ids.isEmpty())
        return 0;
    QList<qint64> hidden;
    for (qint64 id : ids)
        if (withStore([&](core::RunStore &s) { s.setHidden(id, true); }))
            hidden.append(id);
    m_lastDeleted = hidden;
    m_undoLabel->setText(tr("Deleted %n run(s).", nullptr, int(hidden.size())));
    m_undoLabel->show();
    m_undoButton->show();
    reload();
    return int(hidden.size());
}

bool RunsTab::undoDelete()
{
    if (m_lastDeleted.isEmpty())
        return false;
    const auto ids = m_lastDeleted;
    for (qint64 id : ids)
        withStore([&](core::RunStore &s) { s.setHidden(id, false); });
    m_lastDeleted.clear();
    m_undoLabel->hide();
    m_undoButton->hide();
    reload();
    selectRuns(ids);
    return true;
}

QWidget *RunsTab::showDifference()
{
    const auto ids = selectedRunIds();
    if (ids.size() != 2)
        return nullptr;
    const auto &a = m_model->run(m_model->rowOf(ids[0]));
    const auto &b = m_model->run(m_model->rowOf(ids[1]));
    const auto rows = runDifferences(a, b);
    auto *dialog = new QDialog(this);
    dialog->setObjectName(QStringLiteral("runDifference"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowTitle(tr("%1 vs %2").arg(a.displayName(), b.displayName()));
    auto *table = new QTableWidget(int(rows.size()), 3, dialog);
    table->setObjectName(QStringLiteral("differenceTable"));
    table->setAccessibleName(tr("Settings of the two runs"));
    table->setHorizontalHeaderLabels({tr("Setting"), a.displayName(), b.displayName()});
    table->verticalHeader()->hide();
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    int differing = 0;
    for (int i = 0; i < int(rows.size()); ++i) {
        const auto &r = rows[std::size_t(i)];
        const QStringList cells{r.name, r.a, r.b};
        for (int c = 0; c < 3; ++c) {
            auto *item = new QTableWidgetItem(cells[c]);
            if (r.differs) {
                QFont bold = item->font();
                bold.setBold(true);
                item->setFont(bold);
                item->setBackground(QColor(255, 236, 179)); // amber: "look here"
            }
            table->setItem(i, c, item);
        }
        differing += r.differs ? 1 : 0;
    }
    // The network's text is long: the two runs' columns share the width and wrap.
    table->setWordWrap(true);
    table->horizontalHeader()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    table->horizontalHeader()->setSectionResizeMode(1, QHeaderView::Stretch);
    table->horizontalHeader()->setSectionResizeMode(2, QHeaderView::Stretch);
    table->resizeRowsToContents();
    auto *summary = new QLabel(tr("%n setting(s) differ (highlighted).", nullptr, differing), dialog);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, dialog);
    connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::close);
    auto *layout = new QVBoxLayout(dialog);
    layout->addWidget(summary);
    layout->addWidget(table);
    layout->addWidget(buttons);
    dialog->resize(760, 520);
    dialog->show();
    table->resizeRowsToContents(); // now that the columns have their widths
    return dialog;
}

QString RunsTab::exportTable(const QString &path) const
{
    std::vector<core::RunRecord> shown;
    for (int row = 0; row < m_proxy->rowCount(); ++row)
        shown.push_back(m_model->run(m_proxy->mapToSource(m_proxy->index(row, 0)).row()));
    return writeText(path, core::runsCsv(shown));
}

QString RunsTab::exportCurves(const QString &path) const
{
    QString text;
    for (const auto &run : m_charts->runs()) {
        QString csv = core::runCurvesCsv(run.record, run.curves);
        if (!text.isEmpty())
            csv = csv.section(QLatin1Char('\n'), 1); // one header
        text += csv;
    }
    return writeText(path, text);
}

QString RunsTab::exportCharts(const QString &path) const
{
    try {
        core::safefile::writePng(path, m_charts->toImage());
    } catch (const core::Error &e) {
        return e.text();
    }
    return {};
}

void RunsTab::exportWithPrompt(const QString &title, const QString &suggestion, const QString &filter,
                               QString (RunsTab::*write)(const QString &) const)
{
    const QString path = m_savePath ? m_savePath(title, suggestion, filter)
                                    : QFileDialog::getSaveFileName(this, title, suggestion, filter);
    if (path.isEmpty())
        return;
    const QString error = (this->*write)(path);
    if (!error.isEmpty())
        showError(error);
    else
        Q_EMIT statusMessage(tr("Wrote %1.").arg(QFileInfo(path).fileName()));
}

} // namespace ui
