#pragma once
#include <QWidget>

class QLabel;
class QProgressBar;
class QPushButton;

namespace core {
class MnistDownloader;
struct DownloadProgress;
}

namespace ui {

/// "Download MNIST" with a progress bar (bytes and files), Cancel and the outcome, for the
/// missing-data panels of the Train and Browse tabs. Every panel shows the one application-wide
/// download (sharedDownloader()), so starting it in one tab shows its progress in the other.
/// The files go to core::mnist::downloadDir(); sources come from core::MnistDownloader's
/// defaults ($DIGITLAB_MNIST_SOURCES or the built-in list). TLS certificates are always verified.
class MnistDownloadPanel : public QWidget {
    Q_OBJECT
public:
    explicit MnistDownloadPanel(QWidget *parent = nullptr);

    /// The application's one downloader (created on first use, owned by the application object).
    static core::MnistDownloader *sharedDownloader();

    QPushButton *downloadButton() const { return m_download; }
    QPushButton *cancelButton() const { return m_cancel; }
    QProgressBar *progressBar() const { return m_progress; }
    QLabel *statusLabel() const { return m_status; }

    /// Starts the shared download into core::mnist::downloadDir() (what the button does).
    void startDownload();

Q_SIGNALS:
    /// The four files are verified in dir: load them from there.
    void downloaded(const QString &dir);

private:
    void onProgress(const core::DownloadProgress &progress);
    void onFinished(bool ok, const QString &error);
    void updateState();

    QPushButton *m_download = nullptr;
    QPushButton *m_cancel = nullptr;
    QProgressBar *m_progress = nullptr;
    QLabel *m_status = nullptr;
};

} // namespace ui
