#pragma once
#include <QByteArray>
#include <QHash>
#include <QObject>
#include <QString>
#include <QUrl>

class QTcpServer;
class QTcpSocket;

namespace testsupport {

/// A minimal HTTP/1.1 server on 127.0.0.1 (a free port), in the test's own thread: each path
/// answers with a body and a behaviour, so the download tests run without any network.
class HttpTestServer : public QObject {
    Q_OBJECT
public:
    enum class Mode {
        Normal,   ///< the whole body, then close
        Truncate, ///< Content-Length of the whole body, half of it, then close
        Stall,    ///< headers and the first KiB, then silence (the connection stays open)
        Slow,     ///< the body in small pieces over time (for progress screenshots and Cancel)
    };
    struct Route {
        QByteArray body;
        int status = 200;
        Mode mode = Mode::Normal;
    };

    explicit HttpTestServer(QObject *parent = nullptr);
    ~HttpTestServer() override;

    /// Serves body at path (e.g. "/mnist/t10k-labels-idx1-ubyte.gz").
    void route(const QString &path, const QByteArray &body, Mode mode = Mode::Normal, int status = 200);
    /// http://127.0.0.1:PORT + path
    QString url(const QString &path = QString()) const;
    /// Paths requested so far, in order.
    QStringList requests() const { return m_requests; }
    /// Bytes per 20 ms tick in Slow mode.
    void setSlowChunk(int bytes) { m_slowChunk = bytes; }

private:
    void onConnection();
    void respond(QTcpSocket *socket, const QString &path);

    QTcpServer *m_server;
    QHash<QString, Route> m_routes;
    QStringList m_requests;
    int m_slowChunk = 64 * 1024;
};

/// gzip (RFC 1952) of bytes, level 1: fast, and the downloader does not care how well it packs.
QByteArray gzip(const QByteArray &bytes);
/// A ustar archive of (name, bytes) entries with its end blocks.
QByteArray tar(const QList<QPair<QString, QByteArray>> &entries);

} // namespace testsupport
