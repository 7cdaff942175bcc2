#include "ui/datasetpicker.h"
#include "core/dataset.h"

#include <QDir>
#include <QFileDialog>

namespace ui {

namespace {
/// The entry that opens a folder: no spec of its own.
const QString kFolderEntry = QStringLiteral("folder…");
} // namespace

DatasetPicker::DatasetPicker(QWidget *parent) : QComboBox(parent)
{
    for (const QString &id : core::Dataset::builtinIds()) {
        const core::Dataset d = core::Dataset::builtin(id);
        addItem(d.name, id);
        setItemData(count() - 1, QStringLiteral("%1: %2").arg(d.name, d.description), Qt::ToolTipRole);
    }
    addItem(tr("Folder…"), kFolderEntry);
    setItemData(count() - 1, tr("A folder of IDX files (train-images-idx3-ubyte…, raw or .gz) and optionally classes.txt"),
                Qt::ToolTipRole);
    setAccessibleName(tr("Dataset"));
    setToolTip(tr("The images to train on and to browse"));
    setSizeAdjustPolicy(QComboBox::AdjustToContents);
    connect(this, &QComboBox::activated, this, &DatasetPicker::onActivated);
}

void DatasetPicker::showDataset(const core::DatasetTag &tag, const QString &folder)
{
    int i = findData(tag.id.startsWith(QLatin1String("idx:")) ? folder : tag.id);
    if (i < 0 && !folder.isEmpty()) {
        insertItem(count() - 1, tag.name, folder);
        i = count() - 2;
        setItemData(i, QDir::toNativeSeparators(folder), Qt::ToolTipRole);
    }
    if (i >= 0) {
        m_shown = i;
        setCurrentIndex(i);
    }
}

QString DatasetPicker::currentSpec() const
{
    return itemData(m_shown).toString();
}

void DatasetPicker::chooseFolder(const QString &folder)
{
    if (folder.isEmpty()) {
        setCurrentIndex(m_shown);
        return;
    }
    int i = findData(folder);
    if (i < 0) {
        insertItem(count() - 1, QDir(folder).dirName(), folder);
        i = count() - 2;
    }
    setCurrentIndex(i);
    m_shown = i;
    Q_EMIT datasetChosen(folder);
}

void DatasetPicker::onActivated(int index)
{
    const QString spec = itemData(index).toString();
    if (spec == kFolderEntry) {
        chooseFolder(QFileDialog::getExistingDirectory(this, tr("Open an IDX dataset folder")));
        return;
    }
    if (index == m_shown)
        return;
    m_shown = index;
    Q_EMIT datasetChosen(spec);
}

} // namespace ui
