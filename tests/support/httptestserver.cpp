#include "httptestserver.h"
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>
#include <zlib.h>

namespace testsupport {

HttpTestServer::HttpTestServer(QObject *parent) : QObject(parent), m_server(new QTcpServer(this))
{
    m_server->listen(QHostAddress::LocalHost, 0);
    connect(m_server, &QTcpServer::newConnection, this, &HttpTestServer::onConnection);
}

HttpTestServer::~HttpTestServer() = default;

void HttpTestServer::route(const QString &path, const QByteArray &body, Mode mode, int status)
{
    m_routes.insert(path, Route{body, status, mode, {}});
}

void HttpTestServer::routeEndless(const QString &path, const QByteArray &body, const QByteArray &tail, int status)
{
    m_routes.insert(path, Route{body, status, Mode::Endless, tail});
}

QString HttpTestServer::url(const QString &path) const
{
    return QStringLiteral("http://127.0.0.1:%1%2").arg(m_server->serverPort()).arg(path);
}

void HttpTestServer::onConnection()
{
    while (QTcpSocket *socket = m_server->nextPendingConnection()) {
        ++m_open;
        connect(socket, &QTcpSocket::disconnected, this, [this] { --m_open; });
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        connect(socket, &QTcpSocket::bytesWritten, this, [this](qint64 bytes) { m_bytesSent += bytes; });
        auto buffer = std::make_shared<QByteArray>();
        connect(socket, &QTcpSocket::readyRead, this, [this, socket, buffer] {
            buffer->append(socket->readAll());
            const int end = buffer->indexOf("\r\n\r\n");
            if (end < 0)
                return;
            const QList<QByteArray> requestLine = buffer->left(buffer->indexOf("\r\n")).split(' ');
            buffer->clear();
            respond(socket, requestLine.size() >= 2 ? QString::fromUtf8(requestLine[1]) : QString());
        });
    }
}

void HttpTestServer::respond(QTcpSocket *socket, const QString &path)
{
    m_requests << path;
    const auto it = m_routes.constFind(path);
    const Route route = it != m_routes.constEnd() ? *it : Route{QByteArray("not found\n"), 404, Mode::Normal, {}};
    const QByteArray reason = route.status == 200 ? "OK" : route.status == 404 ? "Not Found" : "Error";
    // Endless and Trickle bodies end when the connection does (HTTP/1.0 style), as a hostile
    // server's would: no length to check them against.
    const bool unbounded = route.mode == Mode::Endless || route.mode == Mode::Trickle;
    const bool keepAlive = m_keepAlive && route.mode == Mode::Normal;
    QByteArray head = "HTTP/1.1 " + QByteArray::number(route.status) + ' ' + reason + "\r\n" +
                      "Content-Type: application/octet-stream\r\n" +
                      (unbounded ? QByteArray() : "Content-Length: " + QByteArray::number(route.body.size()) + "\r\n") +
                      (keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n");
    socket->write(head);
    switch (route.mode) {
    case Mode::Normal:
        socket->write(route.body);
        if (!keepAlive)
            socket->disconnectFromHost();
        break;
    case Mode::Truncate:
        socket->write(route.body.left(route.body.size() / 2));
        socket->disconnectFromHost();
        break;
    case Mode::Stall:
        socket->write(route.body.left(1024));
        socket->flush();
        break; // and nothing more
    case Mode::Slow: {
        auto *timer = new QTimer(socket);
        auto offset = std::make_shared<qsizetype>(0);
        const QByteArray body = route.body;
        const int chunk = m_slowChunk;
        connect(timer, &QTimer::timeout, socket, [socket, timer, offset, body, chunk] {
            socket->write(body.mid(*offset, chunk));
            *offset += chunk;
            if (*offset >= body.size()) {
                timer->stop();
                socket->disconnectFromHost();
            }
        });
        timer->start(m_slowMs);
        break;
    }
    case Mode::Endless: {
        socket->write(route.body);
        // Refilled as the client reads: the server's own memory stays small, and what it sends
        // is what the client took.
        auto queued = std::make_shared<qint64>(0);
        const QByteArray tail = route.tail.isEmpty() ? QByteArray(64 * 1024, 'x') : route.tail;
        const qint64 cap = m_endlessCap;
        auto pump = [socket, queued, tail, cap] {
            while (socket->bytesToWrite() < 4 * tail.size() + 256 * 1024 && *queued < cap) {
                socket->write(tail);
                *queued += tail.size();
            }
            if (*queued >= cap && socket->bytesToWrite() == 0)
                socket->disconnectFromHost();
        };
        connect(socket, &QTcpSocket::bytesWritten, socket, pump);
        pump();
        break;
    }
    case Mode::Trickle: {
        auto *timer = new QTimer(socket);
        auto offset = std::make_shared<qsizetype>(0);
        const QByteArray body = route.body;
        connect(timer, &QTimer::timeout, socket, [socket, timer, offset, body] {
            socket->write(body.mid(*offset, 1));
            if (++*offset >= body.size()) {
                timer->stop();
                socket->disconnectFromHost();
            }
        });
        timer->start(m_trickleMs);
        break;
    }
    }
}

QByteArray gzip(const QByteArray &bytes)
{
    z_stream z{};
    deflateInit2(&z, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    QByteArray out(qsizetype(deflateBound(&z, uLong(bytes.size()))), Qt::Uninitialized);
    z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(bytes.constData()));
    z.avail_in = uInt(bytes.size());
    z.next_out = reinterpret_cast<Bytef *>(out.data());
    z.avail_out = uInt(out.size());
    deflate(&z, Z_FINISH);
    out.resize(qsizetype(z.total_out));
    deflateEnd(&z);
    return out;
}

QByteArray tar(const QList<QPair<QString, QByteArray>> &entries)
{
    QByteArray out;
    for (const auto &[name, data] : entries) {
        QByteArray h(512, '\0');
        const QByteArray n = name.toUtf8();
        std::memcpy(h.data(), n.constData(), std::min<qsizetype>(n.size(), 99));
        std::memcpy(h.data() + 100, "0000644", 7);
        std::memcpy(h.data() + 108, "0001750", 7);
        std::memcpy(h.data() + 116, "0001750", 7);
        const QByteArray size = QByteArray::number(data.size(), 8).rightJustified(11, '0');
        std::memcpy(h.data() + 124, size.constData(), 11);
        std::memcpy(h.data() + 136, "14600000000", 11);
        h[156] = '0';
        std::memcpy(h.data() + 257, "ustar\0" "00", 8);
        std::memset(h.data() + 148, ' ', 8);
        unsigned sum = 0;
        for (char c : h)
            sum += quint8(c);
        const QByteArray chk = QByteArray::number(sum, 8).rightJustified(6, '0');
        std::memcpy(h.data() + 148, chk.constData(), 6);
        h[154] = '\0';
        out += h;
        out += data;
        out += QByteArray((512 - data.size() % 512) % 512, '\0');
    }
    out += QByteArray(1024, '\0');
    return out;
}

} // namespace testsupport
