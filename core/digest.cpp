#include "core/digest.h"

#include <openssl/evp.h>
#include <stdexcept>

namespace core {

struct Digest::Context {
    EVP_MD_CTX *ctx = nullptr;
    ~Context() { EVP_MD_CTX_free(ctx); }
};

Digest::Digest(Algorithm algorithm) : m_context(std::make_unique<Context>())
{
    m_context->ctx = EVP_MD_CTX_new();
    // Failure here means libcrypto cannot allocate or lacks MD5/SHA-256 (a broken installation):
    // nothing a caller could recover from, so it is thrown like std::bad_alloc.
    if (!m_context->ctx ||
        EVP_DigestInit_ex(m_context->ctx, algorithm == Algorithm::Md5 ? EVP_md5() : EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("OpenSSL cannot start an MD5/SHA-256 digest");
}

Digest::~Digest() = default;

void Digest::addData(QByteArrayView data)
{
    if (!data.isEmpty() && EVP_DigestUpdate(m_context->ctx, data.data(), std::size_t(data.size())) != 1)
        throw std::runtime_error("OpenSSL digest update failed");
}

QString Digest::hex()
{
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (EVP_DigestFinal_ex(m_context->ctx, out, &size) != 1)
        throw std::runtime_error("OpenSSL digest final failed");
    return QString::fromLatin1(QByteArray(reinterpret_cast<const char *>(out), int(size)).toHex());
}

QString Digest::hex(Algorithm algorithm, QByteArrayView data)
{
    Digest d(algorithm);
    d.addData(data);
    return d.hex();
}

} // namespace core
