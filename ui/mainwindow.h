#pragma once
#include "core/types.h"
#include <QMainWindow>
#include <QMessageBox>
#include <functional>
#include <memory>

class QAction;
class QComboBox;
class QLabel;
class QMenu;
class QTabWidget;

namespace core {
class Classifier;
}

namespace ui {

class InsideTab;
class ModelExporter;
class ModelDocument;
class RunsTab;
class TrainTab;
class TrainingController;

/// DigitLab's main window, window chrome only: the tabs, the File and Help menus, the status
/// bar, settings, drag-and-drop, the unsaved-changes prompt and a clean shutdown.
///
/// The document is the ModelDocument (path, modified flag, checkpoint info, data); the
/// TrainingController keeps it current from the worker. Dialogs go through injectable hooks
/// (message sink, unsaved prompt, save path) so tests never block on a dialog.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    /// Reports an error or notice to the user. Default: a window-modal QMessageBox opened with
    /// open(), so the event loop (and training) keeps running behind it.
    using MessageSink = std::function<void(QMessageBox::Icon icon, const QString &title, const QString &text)>;
    /// Asks Save / Discard / Cancel about unsaved weights. Default: QMessageBox::warning (blocking:
    /// the answer decides whether the window closes or the file is replaced).
    using UnsavedPrompt = std::function<QMessageBox::StandardButton(const QString &question)>;
    /// Asks for a file name to save to (empty = cancelled). Default: QFileDialog.
    using SavePathPrompt = std::function<QString(const QString &suggestion)>;
    /// Asks where to export charts or history (empty = cancelled). Default: QFileDialog.
    using ExportPathPrompt = std::function<QString(const QString &title, const QString &suggestion, const QString &filter)>;

    struct Options {
        bool loadBundledModel = true;  ///< at start-up; tests may begin from fresh weights
        /// The bundled model opened at start-up; empty: core::Classifier::defaultBundledName() ("best").
        QString bundledModel;
        bool loadData = true;          ///< load MNIST at start-up
        bool restoreSettings = true;
        QString dataDir;               ///< explicit MNIST folder (empty: settings, then resolveDataDir())
    };

    explicit MainWindow(QWidget *parent = nullptr);
    explicit MainWindow(const Options &options, QWidget *parent = nullptr);
    ~MainWindow() override;

    ModelDocument *document() const { return m_document; }
    TrainingController *controller() const { return m_controller; }
    TrainTab *trainTab() const { return m_trainTab; }
    QTabWidget *tabs() const { return m_tabs; }
    InsideTab *insideTab() const { return m_insideTab; }
    RunsTab *runsTab() const { return m_runsTab; }
    ModelExporter *modelExporter() const { return m_exporter; }

    void setMessageSink(MessageSink sink) { m_messageSink = std::move(sink); }
    void setUnsavedPrompt(UnsavedPrompt prompt) { m_unsavedPrompt = std::move(prompt); }
    void setSavePathPrompt(SavePathPrompt prompt) { m_savePathPrompt = std::move(prompt); }
    void setExportPathPrompt(ExportPathPrompt prompt) { m_exportPathPrompt = std::move(prompt); }

    /// The current checkpoint file (empty: bundled or not saved yet) and its modified flag.
    QString currentPath() const;
    bool isModified() const;
    QStringList recentFiles() const;
    /// The status bar's model description (for tests and screenshots): "tutorial: 2 conv + 2
    /// linear, 21.8k weights · 15 epochs · test 99.01%".
    QString modelStatusText() const;
    /// The status bar's model picker: the bundled models, the current model and the last file.
    QComboBox *modelPicker() const { return m_modelPicker; }
    /// File > Bundled Model: one action per bundled model, in bundledNames() order.
    QList<QAction *> bundledModelActions() const { return m_bundledActions; }

public Q_SLOTS:
    /// Opens a checkpoint (after the unsaved-changes prompt). False when refused or cancelled;
    /// the result arrives as the controller's loaded/loadFailed.
    bool openFile(const QString &path);
    /// Loads the weights of a PyTorch state_dict of the seed model (the tutorial's own
    /// torch.save(model.state_dict(), f), a dict, or one wrapped as {"state_dict": ...}; read by
    /// the strict reader, docs/checkpoint-format.md) into a new, unsaved model: Save then asks
    /// for a DigitLab file instead of overwriting the PyTorch one.
    bool importWeights(const QString &path);
    /// Queues a save to path. False when refused (e.g. training).
    bool saveTo(const QString &path);
    bool save();
    bool saveAs();
    /// Opens the bundled model of that name (empty: the default, "best") after the unsaved-changes
    /// prompt; the result arrives as the controller's loaded.
    void revertToBundled(const QString &name = QString());
    void startTraining();
    /// Loads a dataset ("mnist", "fashion-mnist" or a folder) and remembers the choice.
    void loadDataset(const QString &spec);
    void resetWeights();

protected:
    void closeEvent(QCloseEvent *event) override;
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;

private:
    /// Documents when it exists, else home: where file dialogs start (issue 9).
    static QString startFolder();
    /// Reads and validates a checkpoint before any prompt; reports and returns false when bad.
    bool checkModelFile(const QString &path);
    void createTabs();
    void createActions();
    void createExportActions();
    void createMenus();
    void createStatusBar();
    /// Messages, reports and the recent-files list that follow the controller's results.
    void connectController();
    void onLoaded(const QString &path);
    void onLoadFailed(const QString &path, const QString &message);
    void onSaved();
    /// Confirms a successful export in the status bar and the log.
    void exportedTo(const QString &what, const QString &path);
    void updateDataLabel();
    /// The start-up requests: fresh weights, the data, the bundled (and last) model.
    void startUp();
    void restoreWindowSettings();
    void saveWindowSettings();
    void updateActions();
    void updateStatus();
    /// The model picker's entries and current entry, after any change of model or file.
    void updateModelPicker();
    void onModelPicked(int index);
    void updateTitle();
    void addRecentFile(const QString &path);
    void rebuildRecentMenu();
    void report(QMessageBox::Icon icon, const QString &title, const QString &text);
    /// The unsaved-changes prompt; true when it is fine to go on (saved or discarded).
    bool maybeSave(const QString &question);
    /// Stops a run and saves synchronously (closing); true on success.
    bool saveNow();
    QString askSavePath();

    Options m_options;
    ModelDocument *m_document = nullptr;
    TrainingController *m_controller = nullptr;
    TrainTab *m_trainTab = nullptr;
    QTabWidget *m_tabs = nullptr;
    InsideTab *m_insideTab = nullptr;   ///< issue 11
    RunsTab *m_runsTab = nullptr;       ///< issue 19
    ModelExporter *m_exporter = nullptr; ///< File > Export Model (issue 11)
    QLabel *m_modelLabel = nullptr;
    QLabel *m_dataLabel = nullptr;
    QLabel *m_deviceLabel = nullptr;
    QMenu *m_recentMenu = nullptr;
    QAction *m_openAction = nullptr;
    QAction *m_quitAction = nullptr;
    QAction *m_guideAction = nullptr;
    QAction *m_aboutQtAction = nullptr;
    QAction *m_aboutAction = nullptr;
    QAction *m_importAction = nullptr;
    QAction *m_saveAction = nullptr;
    QAction *m_saveAsAction = nullptr;
    QList<QAction *> m_bundledActions; ///< File > Bundled Model (issue 18)
    QComboBox *m_modelPicker = nullptr; ///< the status bar's model picker (issue 18)
    QAction *m_exportChartsAction = nullptr;
    QAction *m_exportHistoryAction = nullptr;

    MessageSink m_messageSink;
    UnsavedPrompt m_unsavedPrompt;
    SavePathPrompt m_savePathPrompt;
    ExportPathPrompt m_exportPathPrompt;

    bool m_shutDown = false;
    /// The last checkpoint file opened or saved in this session (empty: the bundled model since).
    QString m_lastFile;
    /// The last model with a file, kept in the model picker after a switch to a bundled one so
    /// that the user can switch back.
    QString m_pickerFile;
};

} // namespace ui
