#include "mnistdownloadpanel.h"
#include "core/error.h"
#include "core/mnist.h"
#include "core/mnistdownloader.h"
#include <QCoreApplication>
#include <QDir>
#include <QHBoxLayout>
#include <QLabel>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>

namespace ui {

namespace {

// Progress bar resolution: per mille of the current transfer.
constexpr int kSteps = 1000;

QString megabytes(qint64 bytes)
{
    return QString::number(bytes / 1048576.0, 'f', 1);
}

QPointer<core::MnistDownloader> &sharedInstance()
{
    static QPointer<core::MnistDownloader> downloader;
    return downloader;
}

} // namespace

core::MnistDownloader *MnistDownloadPanel::sharedDownloader()
{
    auto &downloader = sharedInstance();
    if (!downloader) {
        downloader = new core::MnistDownloader(QCoreApplication::instance());
        // Deleted while the application object still exists (post routines run first in its
        // destructor), not as its child after it is gone: a transfer still going on at Quit
        // closed its TLS socket in Qt's network thread after that, and Qt warned
        // "QObject::connect(QObject, Unknown): invalid nullptr parameter".
        qAddPostRoutine([] { delete sharedInstance(); });
    }
    return downloader;
}

MnistDownloadPanel::MnistDownloadPanel(QWidget *parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("mnistDownloadPanel"));
    m_download = new QPushButton(tr("Download MNIST"), this);
    m_download->setToolTip(tr("Downloads the four MNIST files (about 12 MB) into %1 and checks each against the "
                              "published MD5 and SHA-256 sums.")
                               .arg(QDir::toNativeSeparators(core::mnist::downloadDir())));
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_progress = new QProgressBar(this);
    m_progress->setRange(0, kSteps);
    m_progress->setTextVisible(true);
    m_status = new QLabel(this);
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *buttons = new QHBoxLayout;
    buttons->setContentsMargins(0, 0, 0, 0);
    buttons->addWidget(m_download);
    buttons->addWidget(m_cancel);
    buttons->addStretch(1);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(buttons);
    layout->addWidget(m_progress);
    layout->addWidget(m_status);

    auto *downloader = sharedDownloader();
    connect(m_download, &QPushButton::clicked, this, &MnistDownloadPanel::startDownload);
    connect(m_cancel, &QPushButton::clicked, downloader, &core::MnistDownloader::cancel);
    connect(downloader, &core::MnistDownloader::started, this, &MnistDownloadPanel::updateState);
    connect(downloader, &core::MnistDownloader::progress, this, &MnistDownloadPanel::onProgress);
    connect(downloader, &core::MnistDownloader::finished, this, &MnistDownloadPanel::onFinished);
    updateState();
}

void MnistDownloadPanel::startDownload()
{
    auto *downloader = sharedDownloader();
    if (downloader->isRunning())
        return;
    try {
        // Read the sources now: $DIGITLAB_MNIST_SOURCES may have changed since start-up.
        downloader->setSources(core::MnistDownloader::defaultSources());
    } catch (const core::Error &e) {
        m_status->setText(tr("Cannot download: %1").arg(e.text()));
        return;
    }
    m_progress->setValue(0);
    m_progress->setFormat(tr("Connecting…"));
    m_status->setText(tr("Downloading into %1").arg(QDir::toNativeSeparators(core::mnist::downloadDir())));
    downloader->start(core::mnist::downloadDir()); // started(): every panel shows it
}

void MnistDownloadPanel::onProgress(const core::DownloadProgress &p)
{
    updateState();
    // The bar: this transfer's share when its size is known, else the files done. The text
    // below it says which file, how many bytes, how many files and from where.
    m_progress->setFormat(QStringLiteral("%p%"));
    m_progress->setValue(p.bytesTotal > 0 ? int(kSteps * p.bytesReceived / p.bytesTotal)
                                          : kSteps * p.filesDone / std::max(1, p.filesTotal));
    QString bytes;
    if (p.bytesTotal > 0)
        bytes = tr("%1 of %2 MB").arg(megabytes(p.bytesReceived), megabytes(p.bytesTotal));
    else if (p.bytesReceived > 0)
        bytes = tr("%1 MB").arg(megabytes(p.bytesReceived));
    QString text = p.item.isEmpty() ? QString() : p.item + (bytes.isEmpty() ? QString() : QStringLiteral(": ") + bytes);
    text += (text.isEmpty() ? QString() : QStringLiteral("\n")) + tr("%1 of %2 files verified").arg(p.filesDone).arg(p.filesTotal);
    if (!p.source.isEmpty())
        text += tr(" · from %1").arg(p.source.section(QLatin1Char(':'), 1));
    m_status->setText(text);
}

void MnistDownloadPanel::onFinished(bool ok, const QString &error)
{
    updateState();
    if (ok) {
        m_progress->setValue(kSteps);
        m_progress->setFormat(tr("Done"));
        m_status->setText(tr("MNIST is ready (MD5 and SHA-256 verified)."));
        Q_EMIT downloaded(sharedDownloader()->targetDir());
        return;
    }
    m_progress->setVisible(false);
    m_status->setText(error == QLatin1String("cancelled") ? tr("Download cancelled; nothing was kept of the file in transfer.")
                                                          : tr("Download failed: %1").arg(error));
}

void MnistDownloadPanel::updateState()
{
    const bool running = sharedDownloader()->isRunning();
    m_download->setEnabled(!running);
    m_cancel->setVisible(running);
    if (running)
        m_progress->setVisible(true);
    else if (m_progress->format() != tr("Done"))
        m_progress->setVisible(false);
}

} // namespace ui
