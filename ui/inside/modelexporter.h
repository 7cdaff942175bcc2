#pragma once
#include <QObject>
#include <QString>
#include <functional>

class QAction;
class QMenu;
class QWidget;

namespace ui {

class ModelDocument;

/// File > Export > ONNX… / PyTorch state_dict…: writes the model the Draw, Browse and Inside
/// tabs use (ModelDocument's classifier: while training, the last published snapshot) with
/// core::exportOnnx / core::exportStateDict. The file dialog is an injectable hook so tests
/// never block on it.
class ModelExporter : public QObject {
    Q_OBJECT
public:
    enum class Format { Onnx, PyTorch };
    /// Asks where to write (empty: cancelled). Default: QFileDialog.
    using PathPrompt = std::function<QString(Format format, const QString &suggestion)>;
    /// Shows an error. Default: QMessageBox::critical.
    using ErrorSink = std::function<void(const QString &message)>;

    ModelExporter(ModelDocument *state, QWidget *dialogParent);

    /// Adds the "Export Model" submenu with both actions to menu.
    void addTo(QMenu *menu);
    QAction *onnxAction() const { return m_onnx; }
    QAction *pytorchAction() const { return m_pytorch; }
    void setPathPrompt(PathPrompt prompt) { m_prompt = std::move(prompt); }
    void setErrorSink(ErrorSink sink) { m_errorSink = std::move(sink); }

    /// Writes the current model to path; returns an empty string or the error shown.
    QString exportTo(Format format, const QString &path);

Q_SIGNALS:
    void exported(const QString &path);

private:
    void run(Format format);

    ModelDocument *m_state;
    QWidget *m_dialogParent;
    QAction *m_onnx = nullptr;
    QAction *m_pytorch = nullptr;
    PathPrompt m_prompt;
    ErrorSink m_errorSink;
};

} // namespace ui
