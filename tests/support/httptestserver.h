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
        Endless,  ///< no Content-Length: the body, then the tail repeated as fast as the client reads
        Trickle,  ///< no Content-Length: the body one byte per trickle interval
    };
    struct Route {
        QByteArray body;
        int status = 200;
        Mode mode = Mode::Normal;
        QByteArray tail; ///< Endless: repeated after the body
    };

    explicit HttpTestServer(QObject *parent = nullptr);
    ~HttpTestServer() override;

    /// Serves body at path (e.g. "/mnist/t10k-labels-idx1-ubyte.gz").
    void route(const QString &path, const QByteArray &body, Mode mode = Mode::Normal, int status = 200);
    /// Serves body at path, then tail again and again (Mode::Endless) with this status.
    void routeEndless(const QString &path, const QByteArray &body, const QByteArray &tail, int status = 200);
    /// http://127.0.0.1:PORT + path
    QString url(const QString &path = QString()) const;
    /// Paths requested so far, in order.
    QStringList requests() const { return m_requests; }
    /// Bytes per tick in Slow mode.
    void setSlowChunk(int bytes) { m_slowChunk = bytes; }
    /// Milliseconds between two ticks in Slow mode (20 unless set).
    void setSlowInterval(int milliseconds) { m_slowMs = milliseconds; }
    /// Milliseconds between two bytes in Trickle mode.
    void setTrickleInterval(int milliseconds) { m_trickleMs = milliseconds; }
    /// "Endless" ends after this many bytes (and closes), so that a client with no limit still
    /// ends its test, failing it, instead of running for ever.
    void setEndlessCap(qint64 bytes) { m_endlessCap = bytes; }
    /// Bytes the clients took from the sockets so far (headers included).
    qint64 bytesSent() const { return m_bytesSent; }
    /// Keep-alive: answer "Connection: keep-alive" and leave the connection open after a Normal
    /// response, as real servers do, for the client to reuse or close.
    void setKeepAlive(bool on) { m_keepAlive = on; }
    /// Connections open now.
    int openConnections() const { return m_open; }

private:
    void onConnection();
    void respond(QTcpSocket *socket, const QString &path);

    QTcpServer *m_server;
    QHash<QString, Route> m_routes;
    QStringList m_requests;
    int m_slowChunk = 64 * 1024;
    int m_slowMs = 20;
    int m_trickleMs = 20;
    qint64 m_endlessCap = 256LL * 1024 * 1024;
    qint64 m_bytesSent = 0;
    bool m_keepAlive = false;
    int m_open = 0;
};

/// gzip (RFC 1952) of bytes, level 1: fast, and the downloader does not care how well it packs.
QByteArray gzip(const QByteArray &bytes);
/// A ustar archive of (name, bytes) entries with its end blocks.
QByteArray tar(const QList<QPair<QString, QByteArray>> &entries);

} // namespace testsupport
