#pragma once
#include <QComboBox>

namespace core {
struct DatasetTag;
}

namespace ui {

/// The dataset to work on (issue 20): MNIST, Fashion-MNIST, the folder dataset in use, or
/// "Folder…" to open another. Shared by the Train tab (where training starts) and Browse; both
/// show the loaded test set's dataset, and a choice goes to the main window, which loads it and
/// remembers it (QSettings).
class DatasetPicker : public QComboBox {
    Q_OBJECT
public:
    explicit DatasetPicker(QWidget *parent = nullptr);

    /// Shows the loaded dataset (a folder one gets its own entry); emits nothing.
    void showDataset(const core::DatasetTag &tag, const QString &folder);
    /// The spec of the current entry: "mnist", "fashion-mnist" or a folder.
    QString currentSpec() const;
    /// Test hook and "Folder…"'s answer: choose the dataset in this folder.
    void chooseFolder(const QString &folder);

Q_SIGNALS:
    /// The user chose a dataset (core::Dataset::fromSpec() takes the spec).
    void datasetChosen(const QString &spec);

private:
    void onActivated(int index);
    int m_shown = 0; ///< the entry of the loaded dataset, restored when "Folder…" is cancelled
};

} // namespace ui
