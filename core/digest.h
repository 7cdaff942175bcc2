#pragma once
// MD5 and SHA-256 through OpenSSL's libcrypto. Qt 6.4's QCryptographicHash computes SHA-256 in
// portable C at about 150 MB/s; libcrypto uses the CPU's SHA extensions where it has them (about
// 1.7 GB/s here), and every MNIST load hashes 55 MB (issue 16: the suite's time went largely into
// re-hashing the data in each process). Torch-free.
#include <QByteArrayView>
#include <QString>
#include <memory>

namespace core {

class Digest {
public:
    enum class Algorithm { Md5, Sha256 };
    explicit Digest(Algorithm algorithm);
    ~Digest();
    Digest(const Digest &) = delete;
    Digest &operator=(const Digest &) = delete;

    void addData(QByteArrayView data);
    /// The digest of everything added, as lower-case hex; ends this digest (call once).
    QString hex();

    /// One-shot helper.
    static QString hex(Algorithm algorithm, QByteArrayView data);

private:
    struct Context;
    std::unique_ptr<Context> m_context;
};

} // namespace core
