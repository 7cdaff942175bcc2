#include "ui/train/networkeditor.h"
#include "ui/train/layerform.h"
#include "core/types.h"
#include <QAbstractItemModel>
#include <QApplication>
#include <QComboBox>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QLocale>
#include <QMenu>
#include <QPushButton>
#include <QStyle>
#include <QTableWidget>
#include <QToolButton>
#include <QVBoxLayout>

namespace ui {

namespace {

/// Merge keys of edits that happen in many small steps (a spin box, typing): one undo step each.
constexpr int kMergeText = 1;
constexpr int kMergeForm = 100; ///< + row * 8 + argument

/// 21,840 -> "21.8k"; 1,209,600 -> "1.21M": a table column a reader compares at a glance.
QString compact(std::int64_t n)
{
    const double v = double(n);
    if (n < 1000)
        return QString::number(n);
    if (n < 1'000'000)
        return QStringLiteral("%1k").arg(v / 1e3, 0, 'g', 3);
    if (n < 1'000'000'000)
        return QStringLiteral("%1M").arg(v / 1e6, 0, 'g', 3);
    return QStringLiteral("%1G").arg(v / 1e9, 0, 'g', 3);
}

QString kindHint(core::LayerKind kind)
{
    using K = core::LayerKind;
    switch (kind) {
    case K::Conv2d: return NetworkEditor::tr("convolution: learns local patterns");
    case K::MaxPool2d: return NetworkEditor::tr("keeps the strongest value of each window");
    case K::AvgPool2d: return NetworkEditor::tr("averages each window");
    case K::BatchNorm2d: return NetworkEditor::tr("normalises each channel of a map");
    case K::BatchNorm1d: return NetworkEditor::tr("normalises each feature of a vector");
    case K::ReLU: return NetworkEditor::tr("max(0, x)");
    case K::LeakyReLU: return NetworkEditor::tr("x, or a small slope below 0");
    case K::Tanh: return NetworkEditor::tr("squashes to -1..1");
    case K::Dropout: return NetworkEditor::tr("zeroes random units while training");
    case K::Dropout2d: return NetworkEditor::tr("zeroes random channels while training");
    case K::Flatten: return NetworkEditor::tr("map to vector, before Linear");
    case K::Linear: return NetworkEditor::tr("fully connected units");
    }
    return {};
}

constexpr core::LayerKind kAllKinds[] = {
    core::LayerKind::Conv2d, core::LayerKind::MaxPool2d, core::LayerKind::AvgPool2d, core::LayerKind::BatchNorm2d,
    core::LayerKind::BatchNorm1d, core::LayerKind::ReLU, core::LayerKind::LeakyReLU, core::LayerKind::Tanh,
    core::LayerKind::Dropout, core::LayerKind::Dropout2d, core::LayerKind::Flatten, core::LayerKind::Linear,
};

/// "layer 5, MaxPool2d(2): its input is..." -> "its input is...": the row already names the layer.
QString reasonOnly(const QString &message, int layer)
{
    if (layer <= 0)
        return message;
    const int colon = message.indexOf(QStringLiteral(": "));
    return message.startsWith(QStringLiteral("layer ")) && colon > 0 ? message.mid(colon + 2) : message;
}

} // namespace

NetworkEditor::NetworkEditor(QWidget *parent) : QWidget(parent)
{
    buildUi();
    setNetwork(core::Network::preset(QStringLiteral("tutorial")), 0);
}

void NetworkEditor::buildUi()
{
    setObjectName(QStringLiteral("networkEditor"));
    m_preset = new QComboBox;
    m_preset->setObjectName(QStringLiteral("networkPreset"));
    for (const QString &name : core::Network::presetNames()) {
        m_preset->addItem(name, name);
        const core::TrainConfig c = core::TrainConfig::preset(name);
        const core::Network net = core::Network::preset(name);
        m_preset->setItemData(m_preset->count() - 1,
                              tr("%1: %2, %3 epochs. Loads its network and its recipe.")
                                  .arg(name, net.summary(net.analyze().parameters))
                                  .arg(c.epochs),
                              Qt::ToolTipRole);
    }
    m_preset->addItem(tr("custom"), QString());
    m_preset->setItemData(m_preset->count() - 1, tr("Your own network: edit the layers or the text."), Qt::ToolTipRole);
    m_preset->setAccessibleName(tr("Network preset"));
    m_preset->setToolTip(tr("Start from a preset's network and recipe: tutorial (the PyTorch tutorial's CNN), fast "
                            "(99% in seconds), best (99.6%, minutes per epoch). Editing the layers makes it custom."));
    connect(m_preset, &QComboBox::activated, this, [this](int index) {
        const QString name = m_preset->itemData(index).toString();
        if (name.isEmpty() || name == m_network.presetName()) {
            analyze(); // "custom" picks nothing: show what the network is
            return;
        }
        Q_EMIT presetChosen(name);
    });

    m_text = new QLineEdit;
    m_text->setObjectName(QStringLiteral("networkText"));
    m_text->setAccessibleName(tr("Network as text"));
    m_text->setToolTip(tr("The network as one line in PyTorch's names, e.g. Conv2d(32,3) ReLU MaxPool2d(2) Flatten "
                          "Linear(10). Edit it here or in the list: both always agree. The input is 1x28x28; "
                          "input sizes are inferred."));
    m_text->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_text->setMaxLength(core::kMaxNetworkText);
    connect(m_text, &QLineEdit::textEdited, this, &NetworkEditor::onTextEdited);
    m_textErrorLabel = new QLabel;
    m_textErrorLabel->setObjectName(QStringLiteral("networkTextError"));
    m_textErrorLabel->setWordWrap(true);
    m_textErrorLabel->setStyleSheet(QStringLiteral("color: #b00020"));
    m_textErrorLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_textErrorLabel->hide();

    m_list = new QListWidget;
    m_list->setObjectName(QStringLiteral("layerList"));
    m_list->setAccessibleName(tr("Layers"));
    m_list->setAccessibleDescription(tr("Ctrl+Up and Ctrl+Down move the selected layer, Delete removes it, Insert adds one."));
    m_list->setToolTip(tr("The layers in order, input at the top. Drag a layer or press Ctrl+Up/Ctrl+Down to move it; "
                          "Delete removes it; Insert adds one after it."));
    m_list->setDragDropMode(QAbstractItemView::InternalMove);
    m_list->setDefaultDropAction(Qt::MoveAction);
    m_list->setSelectionMode(QAbstractItemView::SingleSelection);
    m_list->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_list->setIconSize(QSize(m_list->fontMetrics().height(), m_list->fontMetrics().height()));
    m_list->installEventFilter(this);
    connect(m_list, &QListWidget::currentRowChanged, this, [this] {
        if (!m_filling)
            showCurrentLayer();
    });
    // A drop moves rows inside the list's model (QListWidget's internal move); a style that
    // drops as insert-then-remove ends with a removal. Read the new order once it is over.
    connect(m_list->model(), &QAbstractItemModel::rowsMoved, this, &NetworkEditor::onRowsMoved, Qt::QueuedConnection);
    connect(m_list->model(), &QAbstractItemModel::rowsRemoved, this, &NetworkEditor::onRowsMoved, Qt::QueuedConnection);

    m_addMenu = new QMenu(this);
    for (core::LayerKind kind : kAllKinds) {
        QAction *a = m_addMenu->addAction(QStringLiteral("%1 — %2").arg(core::Layer::kindName(kind), kindHint(kind)));
        a->setData(int(kind));
        connect(a, &QAction::triggered, this, [this, kind] { addLayer(kind); });
    }
    m_addButton = new QToolButton;
    m_addButton->setObjectName(QStringLiteral("addLayer"));
    m_addButton->setText(tr("Add layer"));
    m_addButton->setToolTip(tr("Add a layer after the selected one (Insert in the list)."));
    m_addButton->setMenu(m_addMenu);
    m_addButton->setPopupMode(QToolButton::InstantPopup);
    m_addButton->setFocusPolicy(Qt::StrongFocus);
    // Tool buttons: four push buttons made the editor wider than the window (issue 18).
    auto toolButton = [](const QString &text) {
        auto *b = new QToolButton;
        b->setText(text);
        b->setFocusPolicy(Qt::StrongFocus);
        return b;
    };
    m_removeButton = toolButton(tr("Remove"));
    m_removeButton->setObjectName(QStringLiteral("removeLayer"));
    m_removeButton->setToolTip(tr("Remove the selected layer (Delete in the list)."));
    m_upButton = toolButton(tr("Up"));
    m_upButton->setObjectName(QStringLiteral("moveLayerUp"));
    m_upButton->setToolTip(tr("Move the selected layer towards the input (Ctrl+Up in the list)."));
    m_downButton = toolButton(tr("Down"));
    m_downButton->setObjectName(QStringLiteral("moveLayerDown"));
    m_downButton->setToolTip(tr("Move the selected layer towards the output (Ctrl+Down in the list)."));
    connect(m_removeButton, &QToolButton::clicked, this, &NetworkEditor::removeCurrentLayer);
    connect(m_upButton, &QToolButton::clicked, this, [this] { moveCurrentLayer(-1); });
    connect(m_downButton, &QToolButton::clicked, this, [this] { moveCurrentLayer(+1); });

    m_form = new LayerForm;
    m_form->setFixedWidth(195);
    connect(m_form, &LayerForm::changed, this, [this](const core::Layer &layer, const QString &argument) {
        const int row = m_list->currentRow();
        if (row < 0 || row >= int(m_network.layers().size()))
            return;
        auto layers = m_network.layers();
        layers[std::size_t(row)] = layer;
        static const QStringList kArgs{QStringLiteral("out"), QStringLiteral("kernel"), QStringLiteral("stride"),
                                       QStringLiteral("padding"), QStringLiteral("p"), QStringLiteral("slope")};
        commit(std::move(layers), row, tr("Change %1 of layer %2").arg(argument).arg(row + 1),
               kMergeForm + row * 8 + int(kArgs.indexOf(argument)));
    });

    // The layers' names are the list's, row for row, beside the table: the table adds the numbers.
    m_table = new QTableWidget(0, 4);
    m_table->setObjectName(QStringLiteral("shapeTable"));
    m_table->setAccessibleName(tr("Layer shapes"));
    m_table->setAccessibleDescription(tr("Every layer's output shape, weights and FLOPs per image."));
    m_table->setHorizontalHeaderLabels({tr("#"), tr("Output"), tr("Weights"), tr("FLOPs")});
    m_table->verticalHeader()->hide();
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setWordWrap(false);
    m_table->setTabKeyNavigation(false); // Tab leaves the table (its cells are read, not edited)
    // The layer's text takes what is left; the numbers keep their width.
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(1, QHeaderView::Stretch);
    m_table->setMinimumWidth(200);
    m_table->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->setToolTip(tr("What each layer makes of one image: its output shape, its trainable weights, and its "
                           "floating-point operations (2 per multiply-add)."));
    connect(m_table, &QTableWidget::currentCellChanged, this, [this](int row) {
        if (!m_filling && row >= 0 && row < m_list->count() && row != m_list->currentRow())
            m_list->setCurrentRow(row);
    });

    m_problemLabel = new QLabel;
    m_problemLabel->setObjectName(QStringLiteral("networkProblem"));
    m_problemLabel->setWordWrap(true);
    m_problemLabel->setStyleSheet(QStringLiteral("color: #b00020"));
    m_problemLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_totals = new QLabel;
    m_totals->setObjectName(QStringLiteral("networkTotals"));
    m_totals->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_estimate = new QLabel;
    m_estimate->setObjectName(QStringLiteral("epochEstimate"));
    m_estimate->setWordWrap(true);
    m_estimate->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_estimate->setToolTip(tr("Measured on this machine by timing a few training batches of this network with the current "
                              "batch size, threads and augmentation, scaled to the training images. The per-epoch "
                              "evaluation is not included; other programs running change it."));

    // --- layout ---
    auto *top = new QHBoxLayout;
    top->addWidget(m_preset);
    top->addWidget(m_text, 1);
    m_undoBox = new QWidget;
    auto *undoLayout = new QHBoxLayout(m_undoBox);
    undoLayout->setContentsMargins(0, 0, 0, 0);
    top->addWidget(m_undoBox);

    auto *listButtons = new QHBoxLayout;
    listButtons->addWidget(m_addButton);
    listButtons->addWidget(m_removeButton);
    listButtons->addWidget(m_upButton);
    listButtons->addWidget(m_downButton);
    listButtons->addStretch(1);
    auto *listColumn = new QVBoxLayout;
    listColumn->addWidget(m_list, 1);
    listColumn->addLayout(listButtons);

    auto *tableColumn = new QVBoxLayout;
    tableColumn->addWidget(m_table, 1);
    tableColumn->addWidget(m_problemLabel);
    tableColumn->addWidget(m_totals);
    tableColumn->addWidget(m_estimate);

    m_body = new QWidget;
    auto *middle = new QHBoxLayout(m_body);
    middle->setContentsMargins(0, 0, 0, 0);
    middle->addLayout(listColumn, 4);
    middle->addWidget(m_form, 0, Qt::AlignTop);
    middle->addLayout(tableColumn, 5);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(top);
    layout->addWidget(m_textErrorLabel);
    layout->addWidget(m_body, 1);
    setTabOrder(m_preset, m_text);
}

void NetworkEditor::setCompact(bool compact)
{
    m_body->setVisible(!compact);
}

void NetworkEditor::setUndoButtons(QToolButton *undo, QToolButton *redo)
{
    m_undoBox->layout()->addWidget(undo);
    m_undoBox->layout()->addWidget(redo);
}

void NetworkEditor::setNetwork(const core::Network &network, int currentRow)
{
    m_network = network;
    // While the user types, a text that means this network stays as typed (spaces, commas).
    bool typedSame = false;
    if (m_text->hasFocus()) {
        try {
            typedSame = core::Network::parse(m_text->text()) == network;
        } catch (const core::NetworkError &) {
        }
    }
    if (!typedSame) {
        m_text->setText(network.text());
        m_text->setCursorPosition(0); // the start of a long line: the first layers
    }
    m_textError.clear();
    m_textErrorLabel->hide();
    fillList(currentRow < 0 ? m_list->currentRow() : currentRow);
    analyze();
}

QString NetworkEditor::problem() const
{
    if (!m_textError.isEmpty())
        return tr("The network text does not parse: %1").arg(m_textError);
    if (!m_networkError.isEmpty())
        return tr("The network cannot train: %1").arg(m_networkError);
    return {};
}

void NetworkEditor::setEstimate(const QString &text)
{
    m_estimate->setText(text);
}

QString NetworkEditor::estimateText() const
{
    return m_estimate->text();
}

core::Layer NetworkEditor::defaultLayer(core::LayerKind kind)
{
    core::Layer l;
    l.kind = kind;
    switch (kind) {
    case core::LayerKind::Conv2d:
        l.out = 32;
        l.kernel = 3;
        l.stride = 1;
        break;
    case core::LayerKind::MaxPool2d:
    case core::LayerKind::AvgPool2d:
        l.kernel = 2;
        break;
    case core::LayerKind::Linear:
        l.out = 64;
        break;
    default:
        break;
    }
    return l;
}

void NetworkEditor::addLayer(core::LayerKind kind)
{
    auto layers = m_network.layers();
    if (int(layers.size()) >= core::kMaxLayers)
        return;
    const int row = m_list->currentRow() >= 0 ? m_list->currentRow() + 1 : int(layers.size());
    const core::Layer layer = defaultLayer(kind);
    layers.insert(layers.begin() + row, layer);
    commit(std::move(layers), row, tr("Add %1").arg(layer.text()), 0);
    m_list->setFocus();
}

void NetworkEditor::removeCurrentLayer()
{
    const int row = m_list->currentRow();
    auto layers = m_network.layers();
    if (row < 0 || row >= int(layers.size()))
        return;
    const QString what = tr("Remove %1").arg(layers[std::size_t(row)].text());
    layers.erase(layers.begin() + row);
    const int last = int(layers.size()) - 1;
    commit(std::move(layers), std::min(row, last), what, 0);
}

void NetworkEditor::moveCurrentLayer(int delta)
{
    const int row = m_list->currentRow();
    const int to = row + delta;
    auto layers = m_network.layers();
    if (row < 0 || to < 0 || to >= int(layers.size()))
        return;
    std::swap(layers[std::size_t(row)], layers[std::size_t(to)]);
    const QString what = tr("Move %1 %2").arg(layers[std::size_t(to)].text(), delta < 0 ? tr("up") : tr("down"));
    commit(std::move(layers), to, what, 0);
}

void NetworkEditor::commit(std::vector<core::Layer> layers, int currentRow, const QString &what, int mergeKey)
{
    m_network = core::Network(std::move(layers));
    m_text->setText(m_network.text());
    m_textError.clear();
    m_textErrorLabel->hide();
    fillList(currentRow);
    analyze();
    Q_EMIT edited(what, mergeKey);
}

void NetworkEditor::onTextEdited(const QString &text)
{
    try {
        core::Network parsed = core::Network::parse(text);
        m_textError.clear();
        m_textErrorLabel->hide();
        if (parsed != m_network) {
            m_network = std::move(parsed);
            fillList(m_list->currentRow());
            analyze();
            Q_EMIT edited(tr("Edit the network text"), kMergeText);
        } else {
            analyze();
        }
    } catch (const core::NetworkError &e) {
        // The list keeps the last text that parsed; the error says what is wrong with this one.
        m_textError = e.message();
        m_textErrorLabel->setText(tr("Not applied: %1").arg(e.message()));
        m_textErrorLabel->show();
        analyze();
    }
}

void NetworkEditor::onRowsMoved()
{
    if (m_filling || m_list->count() != int(m_network.layers().size()))
        return;
    std::vector<core::Layer> layers;
    bool same = true;
    for (int row = 0; row < m_list->count(); ++row) {
        const int from = m_list->item(row)->data(Qt::UserRole).toInt();
        if (from < 0 || from >= int(m_network.layers().size()))
            return;
        same = same && from == row;
        layers.push_back(m_network.layers()[std::size_t(from)]);
    }
    if (same)
        return;
    const int row = m_list->currentRow();
    const QString what = row >= 0 ? tr("Move %1").arg(layers[std::size_t(row)].text()) : tr("Move a layer");
    commit(std::move(layers), row, what, 0);
}

void NetworkEditor::fillList(int currentRow)
{
    m_filling = true;
    const auto &layers = m_network.layers();
    // Rebuilt whole: the rows carry their positions, which every edit can change.
    m_list->clear();
    for (std::size_t i = 0; i < layers.size(); ++i) {
        auto *item = new QListWidgetItem(QStringLiteral("%1  %2").arg(i + 1, 2).arg(layers[i].text()));
        item->setData(Qt::UserRole, int(i));
        item->setFlags(Qt::ItemIsSelectable | Qt::ItemIsEnabled | Qt::ItemIsDragEnabled);
        m_list->addItem(item);
    }
    const int n = int(layers.size());
    m_list->setCurrentRow(n == 0 ? -1 : std::clamp(currentRow, 0, n - 1));
    m_filling = false;
    showCurrentLayer();
}

void NetworkEditor::analyze()
{
    m_report.reset();
    m_partial.reset();
    m_networkError.clear();
    m_errorLayer = 0;
    try {
        m_report = m_network.analyze(core::kClasses);
    } catch (const core::NetworkError &e) {
        m_networkError = e.message();
        m_errorLayer = e.layer();
        // The layers before the one at fault still have their shapes: show them.
        const auto &all = m_network.layers();
        const std::size_t before = m_errorLayer > 0 ? std::min(all.size(), std::size_t(m_errorLayer - 1)) : 0;
        try {
            m_partial = core::Network(std::vector<core::Layer>(all.begin(), all.begin() + std::ptrdiff_t(before))).analyze(0);
        } catch (const core::NetworkError &) {
        }
    }
    // The preset the network is, else "custom".
    const int preset = m_preset->findData(m_network.presetName());
    m_preset->setCurrentIndex(preset >= 0 ? preset : m_preset->count() - 1);
    // The list marks the layer at fault.
    for (int row = 0; row < m_list->count(); ++row) {
        QListWidgetItem *item = m_list->item(row);
        const bool bad = row + 1 == m_errorLayer;
        item->setIcon(bad ? style()->standardIcon(QStyle::SP_MessageBoxWarning) : QIcon());
        item->setToolTip(bad ? m_networkError : QString());
        item->setForeground(bad ? QBrush(QColor(0xb0, 0x00, 0x20)) : QBrush());
        item->setData(Qt::AccessibleDescriptionRole, bad ? m_networkError : QString());
    }
    fillTable();
    const QString why = problem();
    m_problemLabel->setText(why.isEmpty() ? QString() : QStringLiteral("⚠ ") + why);
    m_problemLabel->setVisible(!why.isEmpty());
    if (m_report)
        m_totals->setText(tr("Total: %1 weights, %2 FLOPs per image, output %3.")
                              .arg(QLocale().toString(qint64(m_report->parameters)), compact(m_report->flops),
                                   m_report->layers.empty() ? m_report->input.text() : m_report->layers.back().out.text()));
    else
        m_totals->setText(tr("Total: –"));
    updateButtons();
    Q_EMIT validityChanged();
}

void NetworkEditor::fillTable()
{
    m_filling = true;
    const auto &layers = m_network.layers();
    m_table->clearSpans();
    m_table->setRowCount(int(layers.size()));
    auto set = [this](int row, int column, const QString &text, Qt::Alignment align = Qt::AlignLeft | Qt::AlignVCenter) {
        auto *item = new QTableWidgetItem(text);
        item->setTextAlignment(align);
        m_table->setItem(row, column, item);
        return item;
    };
    const Qt::Alignment right = Qt::AlignRight | Qt::AlignVCenter;
    for (int row = 0; row < int(layers.size()); ++row) {
        // A screen reader reads the row's first cell with the layer it numbers.
        QTableWidgetItem *number = set(row, 0, QString::number(row + 1), right);
        number->setToolTip(layers[std::size_t(row)].text());
        number->setData(Qt::AccessibleTextRole, QStringLiteral("%1 %2").arg(row + 1).arg(layers[std::size_t(row)].text()));
        const std::optional<core::NetworkReport> &report = m_report ? m_report : m_partial;
        if (report && row < int(report->layers.size())) {
            const core::LayerReport &r = report->layers[std::size_t(row)];
            set(row, 1, r.out.text());
            set(row, 2, QLocale().toString(qint64(r.parameters)), right);
            set(row, 3, compact(r.flops), right);
        } else if (row + 1 == m_errorLayer) {
            QTableWidgetItem *item = set(row, 1, QStringLiteral("⚠ ") + reasonOnly(m_networkError, m_errorLayer));
            item->setForeground(QColor(0xb0, 0x00, 0x20));
            item->setToolTip(m_networkError);
            m_table->setSpan(row, 1, 1, 3);
        } else {
            set(row, 1, QStringLiteral("–"));
            set(row, 2, QStringLiteral("–"), right);
            set(row, 3, QStringLiteral("–"), right);
        }
    }
    if (m_list->currentRow() >= 0)
        m_table->selectRow(m_list->currentRow());
    m_filling = false;
}

QString NetworkEditor::rowText(int row) const
{
    QStringList cells;
    for (int c = 0; c < m_table->columnCount(); ++c)
        if (QTableWidgetItem *item = m_table->item(row, c))
            cells << item->text();
    return cells.join(QLatin1Char(' '));
}

void NetworkEditor::showCurrentLayer()
{
    const int row = m_list->currentRow();
    const auto &layers = m_network.layers();
    if (row >= 0 && row < int(layers.size()))
        m_form->setLayer(layers[std::size_t(row)], row + 1);
    else
        m_form->setLayer(core::Layer{}, 0);
    if (row >= 0 && row < m_table->rowCount() && !m_filling) {
        m_filling = true;
        m_table->selectRow(row);
        m_filling = false;
    }
    updateButtons();
}

void NetworkEditor::updateButtons()
{
    const int row = m_list->currentRow();
    const int n = int(m_network.layers().size());
    m_addButton->setEnabled(n < core::kMaxLayers);
    m_removeButton->setEnabled(row >= 0 && row < n);
    m_upButton->setEnabled(row > 0 && row < n);
    m_downButton->setEnabled(row >= 0 && row + 1 < n);
}

bool NetworkEditor::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_list && event->type() == QEvent::KeyPress) {
        auto *key = static_cast<QKeyEvent *>(event);
        const bool ctrl = key->modifiers() & Qt::ControlModifier;
        if (ctrl && (key->key() == Qt::Key_Up || key->key() == Qt::Key_Down)) {
            moveCurrentLayer(key->key() == Qt::Key_Up ? -1 : +1);
            return true;
        }
        if (key->key() == Qt::Key_Delete && key->modifiers() == Qt::NoModifier) {
            removeCurrentLayer();
            return true;
        }
        if (key->key() == Qt::Key_Insert && key->modifiers() == Qt::NoModifier) {
            const QRect r = m_list->visualItemRect(m_list->currentItem());
            m_addMenu->popup(m_list->viewport()->mapToGlobal(r.isValid() ? r.bottomLeft() : QPoint(0, 0)));
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
}

} // namespace ui
