#include "error.h"

#include <QList>
#include <algorithm>

namespace core {

namespace {

/// Characters that would break a message's line or hide or reorder its text on a terminal.
bool needsEscape(char32_t c)
{
    return c < 0x20 || (c >= 0x7f && c < 0xa0) || c == 0x200e || c == 0x200f || (c >= 0x202a && c <= 0x202e)
           || (c >= 0x2066 && c <= 0x2069) || c == 0xfeff;
}

QString escaped(const QString &text)
{
    QString out;
    out.reserve(text.size());
    for (const char32_t c : text.toUcs4()) {
        if (!needsEscape(c)) {
            out += QString::fromUcs4(&c, 1);
            continue;
        }
        switch (c) {
        case '\n': out += QLatin1String("\\n"); break;
        case '\r': out += QLatin1String("\\r"); break;
        case '\t': out += QLatin1String("\\t"); break;
        default:
            out += c < 0x100 ? QStringLiteral("\\x%1").arg(uint(c), 2, 16, QLatin1Char('0'))
                             : QStringLiteral("\\u%1").arg(uint(c), 4, 16, QLatin1Char('0'));
        }
    }
    return out;
}

std::string compose(const QString &file, const QString &message)
{
    return (file.isEmpty() ? message : printable(file, 0) + QLatin1String(": ") + message).toStdString();
}

} // namespace

QString printable(const QString &text, int maxChars)
{
    // Cut before escaping (the cost stays bounded by maxChars), then escape, then cut again: an
    // escape sequence takes up to six characters.
    const auto elide = [maxChars](const QString &s) -> QString {
        if (maxChars <= 0 || s.size() <= maxChars)
            return s;
        const qsizetype keep = std::max<qsizetype>(1, maxChars - 1);
        return s.left(keep - keep / 2) + QChar(0x2026) + s.right(keep / 2);
    };
    return elide(escaped(elide(text)));
}

QString printable(std::string_view utf8, int maxChars)
{
    // Up to four bytes a character: a head and a tail of 4 * maxChars bytes hold all that shows.
    const std::size_t part = std::size_t(std::max(maxChars, 1)) * 4;
    if (maxChars <= 0 || utf8.size() <= 2 * part)
        return printable(QString::fromUtf8(utf8.data(), qsizetype(utf8.size())), maxChars);
    const QString head = QString::fromUtf8(utf8.data(), qsizetype(part));
    const QString tail = QString::fromUtf8(utf8.data() + utf8.size() - part, qsizetype(part));
    const qsizetype keep = std::max(1, maxChars - 1);
    return escaped(head).left(keep - keep / 2) + QChar(0x2026) + escaped(tail).right(keep / 2);
}

Error::Error(const QString &file, const QString &message)
    : std::runtime_error(compose(file, message)), m_file(file), m_message(message)
{
}

} // namespace core
