#include "modelexporter.h"
#include "core/classifier.h"
#include "core/export.h"
#include "ui/modeldocument.h"

#include <QAction>
#include <QFileDialog>
#include <QMenu>
#include <QMessageBox>

namespace ui {

ModelExporter::ModelExporter(ModelDocument *state, QWidget *dialogParent)
    : QObject(dialogParent), m_state(state), m_dialogParent(dialogParent)
{
    setObjectName(QStringLiteral("modelExporter"));
    m_prompt = [this](Format format, const QString &suggestion) {
        return format == Format::Onnx
                   ? QFileDialog::getSaveFileName(m_dialogParent, tr("Export as ONNX"), suggestion, tr("ONNX models (*.onnx)"))
                   : QFileDialog::getSaveFileName(m_dialogParent, tr("Export as PyTorch state_dict"), suggestion,
                                                  tr("PyTorch files (*.pt *.pth)"));
    };
    m_errorSink = [this](const QString &message) { QMessageBox::critical(m_dialogParent, tr("Export failed"), message); };
}

void ModelExporter::addTo(QMenu *menu)
{
    QMenu *sub = menu->addMenu(tr("Export &Model"));
    m_onnx = sub->addAction(tr("&ONNX…"), this, [this] { run(Format::Onnx); });
    m_onnx->setObjectName(QStringLiteral("exportOnnxAction"));
    m_onnx->setStatusTip(tr("Write the model as ONNX (opset %1) for ONNX Runtime, OpenCV dnn or a browser").arg(core::kOnnxOpset));
    m_pytorch = sub->addAction(tr("&PyTorch state_dict…"), this, [this] { run(Format::PyTorch); });
    m_pytorch->setObjectName(QStringLiteral("exportPytorchAction"));
    m_pytorch->setStatusTip(tr("Write the weights and, beside them, a Python module that builds the network: "
                               "net = model.build(); net.load_state_dict(torch.load(file))"));
}

QString ModelExporter::exportTo(Format format, const QString &path)
{
    const auto classifier = m_state->classifier();
    QString error;
    if (!classifier) {
        error = tr("There is no model to export yet.");
    } else {
        try {
            if (format == Format::Onnx)
                core::exportOnnx(*classifier, path);
            else
                core::exportStateDict(*classifier, path);
        } catch (const core::Error &e) {
            error = e.text();
        } catch (const std::exception &e) {
            error = tr("%1: %2").arg(path, QString::fromUtf8(e.what()));
        }
    }
    if (!error.isEmpty()) {
        if (m_errorSink)
            m_errorSink(error);
        return error;
    }
    Q_EMIT exported(path);
    return {};
}

void ModelExporter::run(Format format)
{
    const QString path = m_prompt(format, format == Format::Onnx ? QStringLiteral("digitlab.onnx") : QStringLiteral("digitlab_state_dict.pt"));
    if (!path.isEmpty())
        exportTo(format, path);
}

} // namespace ui
